package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"hookboard/internal/testdb"
	"hookboard/store"
)

func TestDeliverSendsHeadersAndRecordsAttempt(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	rc := newReceiver(t)
	ep, sec := addEndpoint(t, db.st, store.NewEndpoint{Name: "r", URL: rc.URL() + "?team=a"})
	n := newTestNotifier(t, db.st, c, 10*time.Second)

	events := createTask(t, db.st, "Ship it")
	n.Deliver(context.Background(), events)

	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost || r.URL != "/hook?team=a&token="+sec.Token {
		t.Errorf("request line = %s %s", r.Method, r.URL)
	}
	want := map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "Hookboard-Webhook/test",
		"X-Webhook-Token":   sec.Token,
		"X-Hookboard-Event": "task.create",
		"Webhook-Id":        events[0],
		"Webhook-Timestamp": "1795428000",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	var body struct {
		EventName string         `json:"event_name"`
		EventData map[string]any `json:"event_data"`
		Author    *string        `json:"event_author"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.EventName != "task.create" || body.Author == nil || *body.Author != "admin" {
		t.Errorf("body = %s", r.Body)
	}

	d := onlyDelivery(t, db.st, ep.ID)
	if d.Status != store.DeliveryDelivered || d.AttemptCount != 1 || d.LastStatus != 200 || d.EventID != events[0] {
		t.Fatalf("delivery = %+v", d)
	}
	a := d.Attempts[0]
	if a.Trigger != store.TriggerSync || a.ResponseStatus != 200 || string(a.ResponseBody) != "thanks" || a.Error != "" {
		t.Errorf("attempt = %+v", a)
	}
	if strings.Contains(a.RequestURL, sec.Token) || a.RequestHeaders["X-Webhook-Token"] != "[redacted]" {
		t.Errorf("recorded request shows the token: %s %v", a.RequestURL, a.RequestHeaders)
	}
	if a.RequestURL != rc.URL()+"?team=a&token=[redacted]" || string(a.RequestBody) != string(r.Body) {
		t.Errorf("recorded request = %s %s", a.RequestURL, a.RequestBody)
	}
	eps, err := db.st.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 1 || eps[0].LastStatus != 200 || !eps[0].FailingSince.IsZero() {
		t.Errorf("endpoint health = %+v", eps)
	}
}

// verify checks a received request with the Standard Webhooks library.
func verify(t *testing.T, secret string, r received) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.VerifyIgnoringTimestamp(r.Body, r.Header)
}

func TestSignaturesVerifyWithStandardWebhooksLibrary(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	rc := newReceiver(t)
	ep, sec := addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL(), Format: store.FormatEnvelope})
	n := newTestNotifier(t, db.st, c, 10*time.Second)
	ctx := context.Background()

	n.Deliver(ctx, createTask(t, db.st, "one"))
	first := rc.requests()[0]
	if err := verify(t, sec.Secret, first); err != nil {
		t.Fatalf("signature does not verify: %v (header %q)", err, first.Header.Get("webhook-signature"))
	}
	tampered := first
	tampered.Body = []byte(strings.Replace(string(first.Body), "one", "two", 1))
	if err := verify(t, sec.Secret, tampered); err == nil {
		t.Fatal("a tampered body verified")
	}
	other := received{Body: first.Body, Header: first.Header.Clone()}
	other.Header.Set("webhook-id", "another-id")
	if err := verify(t, sec.Secret, other); err == nil {
		t.Fatal("a changed webhook-id verified")
	}

	// Rotation with a grace: two signatures, each secret verifies alone.
	newSecret, err := db.st.RotateEndpointSecret(ctx, ep.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	n.Deliver(ctx, createTask(t, db.st, "two"))
	second := rc.requests()[1]
	if sigs := strings.Fields(second.Header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("during rotation got signatures %q, want 2", sigs)
	}
	for _, s := range []string{sec.Secret, newSecret} {
		if err := verify(t, s, second); err != nil {
			t.Errorf("secret %s… does not verify during rotation: %v", s[:10], err)
		}
	}
	tampered = second
	tampered.Body = append([]byte(nil), second.Body...)
	tampered.Body[len(tampered.Body)-2] ^= 1
	for _, s := range []string{sec.Secret, newSecret} {
		if err := verify(t, s, tampered); err == nil {
			t.Error("a tampered body verified during rotation")
		}
	}

	// After the grace only the new secret signs.
	c.Advance(time.Hour + time.Second)
	n.Deliver(ctx, createTask(t, db.st, "three"))
	third := rc.requests()[2]
	if err := verify(t, newSecret, third); err != nil {
		t.Errorf("new secret does not verify after the grace: %v", err)
	}
	if err := verify(t, sec.Secret, third); err == nil {
		t.Error("the old secret still verifies after the grace")
	}
}

func TestTokenRotationKeepsSendingOldTokenDuringGrace(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	rc := newReceiver(t)
	ep, sec := addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL()})
	n := newTestNotifier(t, db.st, c, 10*time.Second)
	ctx := context.Background()

	newToken, err := db.st.RotateEndpointToken(ctx, ep.ID, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if newToken == sec.Token || !strings.HasPrefix(newToken, store.PrefixEndpointToken) {
		t.Fatalf("new token %q", newToken)
	}
	n.Deliver(ctx, createTask(t, db.st, "during grace"))
	c.Advance(24*time.Hour + time.Second)
	n.Deliver(ctx, createTask(t, db.st, "after grace"))
	// "now": no grace, the new token at once.
	newest, err := db.st.RotateEndpointToken(ctx, ep.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	n.Deliver(ctx, createTask(t, db.st, "rotated now"))

	got := rc.requests()
	want := []string{sec.Token, newToken, newest}
	for i, r := range got {
		if tok := r.Header.Get("X-Webhook-Token"); tok != want[i] {
			t.Errorf("request %d sent token %q, want %q", i, tok, want[i])
		}
		if !strings.HasSuffix(r.URL, "token="+want[i]) {
			t.Errorf("request %d URL %q, want token %q", i, r.URL, want[i])
		}
	}
	if len(got) != 3 {
		t.Fatalf("got %d requests, want 3", len(got))
	}
}

func TestFailuresNeverShowSecrets(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ep, sec := addEndpoint(t, db.st, store.NewEndpoint{URL: "http://" + addr + "/h?x=1"})
	var logs bytes.Buffer
	allow, _ := ParseAllowlist("loopback")
	n, err := New(Options{Store: db.st, Allow: allow, Now: c.Now, DeliveryWait: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(ctx)
	n.Deliver(ctx, createTask(t, db.st, "x"))
	d := onlyDelivery(t, db.st, ep.ID)
	a := d.Attempts[0]
	if !strings.Contains(logs.String(), "webhook endpoint failing") || !strings.Contains(a.Error, "connection refused") {
		t.Fatalf("log %q, attempt error %q", logs.String(), a.Error)
	}
	recorded, _ := json.Marshal(a)
	for _, secret := range []string{sec.Token, sec.Secret, strings.TrimPrefix(sec.Secret, "whsec_")} {
		if strings.Contains(logs.String(), secret) || strings.Contains(string(recorded), secret) {
			t.Errorf("a secret shows in the log or the delivery log:\n%s\n%s", logs.String(), recorded)
		}
	}
}

// TestAttemptRecordsResponseHeadersAndFirst4KiB: the delivery log keeps
// the request as sent (signature headers included, token redacted), the
// receiver's status, headers and the first 4 KiB of a longer body, and a
// latency.
func TestAttemptRecordsResponseHeadersAndFirst4KiB(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	long := strings.Repeat("0123456789abcdef", 1024) // 16 KiB
	gotHeaders := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case gotHeaders <- r.Header.Clone():
		default: // one attempt is expected; onlyDelivery below says so if not
		}
		time.Sleep(5 * time.Millisecond) // a measurable answer time: latency is stored in whole ms
		w.Header().Set("X-Receiver", "queue-7")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, long)
	}))
	t.Cleanup(srv.Close)
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: srv.URL + "/in", Format: store.FormatEnvelope})
	n := newTestNotifier(t, db.st, c, 10*time.Second)
	events := createTask(t, db.st, "recorded")
	n.Deliver(ctx, events)

	d := onlyDelivery(t, db.st, ep.ID)
	if len(d.Attempts) != 1 {
		t.Fatalf("attempts %+v", d.Attempts)
	}
	a := d.Attempts[0]
	if a.ResponseStatus != http.StatusUnprocessableEntity || a.Error != "HTTP 422" {
		t.Errorf("status %d, error %q", a.ResponseStatus, a.Error)
	}
	if a.ResponseHeaders["X-Receiver"] != "queue-7" || a.ResponseHeaders["Content-Type"] != "text/plain" {
		t.Errorf("response headers %v", a.ResponseHeaders)
	}
	if len(a.ResponseBody) != 4096 || string(a.ResponseBody) != long[:4096] {
		t.Errorf("stored %d bytes of the answer, want its first 4096", len(a.ResponseBody))
	}
	if a.Latency < 5*time.Millisecond || a.Latency > 10*time.Second {
		t.Errorf("latency %s, want the receiver's 5 ms answer time or more", a.Latency)
	}
	for _, h := range []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "User-Agent", "X-Hookboard-Event", "Content-Type"} {
		if a.RequestHeaders[h] == "" {
			t.Errorf("recorded request lacks %s: %v", h, a.RequestHeaders)
		}
	}
	if a.RequestHeaders["Webhook-Id"] != events[0] || a.RequestURL != srv.URL+"/in" || !json.Valid(a.RequestBody) {
		t.Errorf("recorded request %s %v %s", a.RequestURL, a.RequestHeaders, a.RequestBody)
	}
	// Each recorded header is named as the receiver's parser names it and
	// holds what the receiver got (the token redacted), and none is missing.
	got := <-gotHeaders
	for name, value := range a.RequestHeaders {
		if name != http.CanonicalHeaderKey(name) {
			t.Errorf("recorded header %q is not named canonically", name)
		}
		if want := got.Get(name); value != want && name != "X-Webhook-Token" {
			t.Errorf("recorded %s: %q, the receiver got %q", name, value, want)
		}
	}
	for name := range got {
		if _, ok := a.RequestHeaders[name]; !ok {
			t.Errorf("the receiver got %s, the log does not show it", name)
		}
	}
}

// TestOneEndpointGetsEventsInOrder: the events of one request reach an
// endpoint one after the other, in the order they were made, never two at
// once; a second endpoint gets them all too.
func TestOneEndpointGetsEventsInOrder(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	var mu sync.Mutex
	inFlight, most := 0, 0
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		ids = append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
		time.Sleep(30 * time.Millisecond) // long enough for an overlapping request to show
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	other := newReceiver(t)
	addEndpoint(t, db.st, store.NewEndpoint{URL: srv.URL})
	addEndpoint(t, db.st, store.NewEndpoint{URL: other.URL()})
	n := newTestNotifier(t, db.st, c, 10*time.Second)

	var events []string
	for _, title := range []string{"first", "second", "third", "fourth"} {
		events = append(events, createTask(t, db.st, title)...)
	}
	n.Deliver(ctx, events)
	mu.Lock()
	defer mu.Unlock()
	if most != 1 {
		t.Errorf("%d requests to one endpoint at once, want 1", most)
	}
	if !slices.Equal(ids, events) {
		t.Errorf("webhook-ids in arrival order %v, want the events' order %v", ids, events)
	}
	if got := other.requests(); len(got) != len(events) {
		t.Errorf("the other endpoint got %d requests, want %d", len(got), len(events))
	}
}

// TestLogShowsTheBodyAsSent: for every format, and for a retry as for the
// first attempt, the delivery log's request body is the very bytes the
// receiver got, and the attempt's row holds them whole. Both a plain title
// and one with characters JSON writers may escape are checked.
func TestLogShowsTheBodyAsSent(t *testing.T) {
	for _, title := range []string{"Ship it", `Ship "it" <now> & then, café ☃`} {
		t.Run(title, func(t *testing.T) {
			c := newClock()
			db := openDB(t, c)
			ctx := context.Background()
			rc := newReceiver(t)
			rc.status = func(n int) (int, http.Header) {
				if n <= 3 {
					return http.StatusServiceUnavailable, nil // every first attempt fails
				}
				return http.StatusOK, nil
			}
			var eps []store.Endpoint
			for _, format := range store.Formats {
				ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL() + "?format=" + format, Format: format})
				eps = append(eps, ep)
			}
			n := newTestNotifier(t, db.st, c, 10*time.Second)
			n.Deliver(ctx, createTask(t, db.st, title))
			c.Advance(10 * time.Second)
			if k, err := n.RunOnce(ctx); err != nil || k != 3 {
				t.Fatalf("retries attempted %d (%v), want 3", k, err)
			}
			sent := map[string][][]byte{} // by format, in order
			for _, r := range rc.requests() {
				f := r.URL[strings.Index(r.URL, "format=")+len("format="):]
				if i := strings.IndexByte(f, '&'); i >= 0 {
					f = f[:i] // the kanboard format's token follows
				}
				sent[f] = append(sent[f], r.Body)
			}
			for _, ep := range eps {
				d := onlyDelivery(t, db.st, ep.ID)
				if d.Status != store.DeliveryDelivered || len(d.Attempts) != 2 || len(sent[ep.Format]) != 2 {
					t.Fatalf("%s: delivery %s with %d attempts, %d requests received", ep.Format, d.Status, len(d.Attempts), len(sent[ep.Format]))
				}
				for i, a := range d.Attempts {
					if !bytes.Equal(a.RequestBody, sent[ep.Format][i]) {
						t.Errorf("%s attempt %d: the log shows\n%s\nthe receiver got\n%s", ep.Format, i+1, a.RequestBody, sent[ep.Format][i])
					}
					if stored := storedRequestBody(t, db.path, a.ID); !bytes.Equal(stored, sent[ep.Format][i]) {
						t.Errorf("%s attempt %d: its row holds\n%s\nthe receiver got\n%s", ep.Format, i+1, stored, sent[ep.Format][i])
					}
				}
			}
		})
	}
}

// storedRequestBody reads an attempt's request body from its row, as
// another process would.
func storedRequestBody(t *testing.T, path string, attemptID int64) []byte {
	t.Helper()
	var body []byte
	if err := testdb.Open(t, path).QueryRowContext(t.Context(), `SELECT request_body FROM delivery_attempts WHERE id = $1`, attemptID).Scan(&body); err != nil {
		t.Fatal(err)
	}
	return body
}

// A fast receiver's answer is recorded as soon as it came, not when a slow
// receiver of the same event has answered too: a process that dies in
// between would otherwise send the fast one its webhook again.
func TestEachEndpointRecordedWhenItsAttemptsEnd(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	fast := newReceiver(t)
	fastEP, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: fast.URL()})
	slowGot, release := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(slowGot)
		<-release
	}))
	t.Cleanup(slow.Close)
	var once sync.Once
	answer := func() { once.Do(func() { close(release) }) }
	t.Cleanup(answer) // before slow.Close, which waits for the handler
	slowEP, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: slow.URL + "/hook", Timeout: 10 * time.Second})
	n := newTestNotifier(t, db.st, c, 30*time.Second)

	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		n.Deliver(context.Background(), createTask(t, db.st, "fast and slow"))
	}()
	<-slowGot
	// The slow receiver has not answered: the fast one's delivery is in the
	// log already, delivered.
	var d store.Delivery
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		list, err := db.st.Deliveries(context.Background(), fastEP.ID, 10, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			d = list[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fast receiver's delivery was not recorded while the slow one's attempt ran")
		}
	}
	if d.Status != store.DeliveryDelivered {
		t.Fatalf("fast receiver's delivery: %s, want delivered", d.Status)
	}
	if list, _ := db.st.Deliveries(context.Background(), slowEP.ID, 10, false); len(list) != 0 {
		t.Fatalf("the slow receiver's delivery is recorded before it answered: %+v", list)
	}
	answer()
	<-delivered
	if d := onlyDelivery(t, db.st, slowEP.ID); d.Status != store.DeliveryDelivered {
		t.Fatalf("slow receiver's delivery: %s, want delivered", d.Status)
	}
}
