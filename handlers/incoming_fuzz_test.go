package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzIncoming sends arbitrary query strings, content types and bodies to
// the incoming URL with a valid token. It must never panic or answer 5xx,
// must answer only the documented bodies, and must create exactly one task
// and one event on OK and nothing otherwise.
func FuzzIncoming(f *testing.F) {
	f.Add("GET", "title=hello", "", []byte(nil))
	f.Add("POST", "", "application/x-www-form-urlencoded", []byte("title=form&color_id=red"))
	f.Add("POST", "", "application/json", []byte(`{"title":"json","project_id":1,"score":2}`))
	f.Add("POST", "", "application/json", []byte(`{"title":["a"]}`))
	f.Add("POST", "title=q", "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nm\r\n--x--\r\n"))
	f.Add("HEAD", "title=dry&column_id=2", "", []byte(nil))
	f.Add("GET", "title=%zz", "", []byte(nil))
	f.Add("GET", "title=a&title=b", "", []byte(nil))
	f.Add("POST", "title=x&date_due=2027-01-01&owner_id=1", "text/plain", []byte("\x00\xff"))

	fx := newIncomingFixture(f)
	f.Fuzz(func(t *testing.T, method, query, contentType string, body []byte) {
		switch method {
		case "GET", "POST", "HEAD", "PUT":
		default:
			method = "GET"
		}
		target := "/webhook/task?token=" + url.QueryEscape(fx.token)
		if query != "" {
			target += "&" + query
		}
		req, err := http.NewRequest(method, "http://hookboard.test"+target, strings.NewReader(string(body)))
		if err != nil {
			return // not a request a client could send
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		tasksBefore, eventsBefore := fx.counts(t)
		rec := httptest.NewRecorder()
		fx.handler.ServeHTTP(rec, req)
		status, got := rec.Code, rec.Body.String()
		if status >= 500 {
			t.Fatalf("%s %q %q %q: %d %q (%s)", method, query, contentType, body, status, got, rec.Header().Get("X-Hookboard-Error"))
		}
		wantBody := map[int]string{200: "OK", 400: "FAILED", 401: "Not Authorized", 405: "FAILED", 413: "FAILED"}
		want, known := wantBody[status]
		if !known || (method != "HEAD" && got != want) {
			t.Fatalf("%s %q: unexpected reply %d %q", method, query, status, got)
		}
		tasksAfter, eventsAfter := fx.counts(t)
		created := status == 200 && method != "HEAD"
		if created && (tasksAfter != tasksBefore+1 || eventsAfter != eventsBefore+1) {
			t.Fatalf("OK but tasks %d->%d events %d->%d", tasksBefore, tasksAfter, eventsBefore, eventsAfter)
		}
		if !created && (tasksAfter != tasksBefore || eventsAfter != eventsBefore) {
			t.Fatalf("%d but tasks %d->%d events %d->%d", status, tasksBefore, tasksAfter, eventsBefore, eventsAfter)
		}
	})
}
