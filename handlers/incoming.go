package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"hookboard/store"
)

// incomingParams are the parameters the incoming URL reads. Others are ignored.
var incomingParams = []string{
	"token", "appsecret_proof", "title", "description", "color_id", "project_id", "column_id",
	"swimlane_id", "owner_id", "category_id", "date_due", "score", "reference",
}

func isIncomingParam(name string) bool { return slices.Contains(incomingParams, name) }

// errTooLarge means the body went over the limit (413).
var errTooLarge = errors.New("request body too large")

// incomingRequest is what a caller sent to the incoming URL: one value per
// known parameter, and the first problem found while reading (reported as
// 400 only after the token has been checked, so an unauthenticated caller
// learns nothing about parameters).
type incomingRequest struct {
	values  map[string]string
	problem string
}

// root serves "/": Kanboard's incoming URL when controller=webhook and
// action=task, otherwise the browser's start page.
func (a *App) root(w http.ResponseWriter, r *http.Request) {
	q, qerr := url.ParseQuery(r.URL.RawQuery)
	if c := strings.ToLower(q.Get("controller")); c == "webhook" || c == "webhookcontroller" {
		if strings.EqualFold(q.Get("action"), "task") {
			a.createFromURL(w, r, q, qerr)
			return
		}
		textReply(w, http.StatusNotFound, bodyFailed, "unknown webhook action")
		return
	}
	a.home(w, r)
}

// incomingTask serves the clean alias of the incoming URL.
func (a *App) incomingTask(w http.ResponseWriter, r *http.Request) {
	q, qerr := url.ParseQuery(r.URL.RawQuery)
	a.createFromURL(w, r, q, qerr)
}

// createFromURL creates a task from a URL (DESIGN §4). query is the request's
// query string, parsed once by the route (qerr: it was malformed).
func (a *App) createFromURL(w http.ResponseWriter, r *http.Request, query url.Values, qerr error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		textReply(w, http.StatusMethodNotAllowed, bodyFailed, "method not allowed")
		return
	}
	req, err := readIncoming(r, a.cfg.MaxBodyBytes, query, qerr)
	if errors.Is(err, errTooLarge) {
		textReply(w, http.StatusRequestEntityTooLarge, bodyFailed, fmt.Sprintf("body over %d bytes", a.cfg.MaxBodyBytes))
		return
	}
	if err != nil {
		textReply(w, http.StatusBadRequest, bodyFailed, err.Error())
		return
	}
	creds := a.credentials(r, store.KindIncoming, req.values["token"], req.values["appsecret_proof"])
	task, taskErr := newTaskFromParams(req.values)
	if req.problem != "" || taskErr != nil || r.Method == http.MethodHead {
		// Judged first, so that a caller without a valid token learns
		// nothing about its parameters.
		in, err := a.store.Authenticate(r.Context(), creds)
		if err != nil {
			a.replyStoreError(w, r, err)
			return
		}
		a.store.RecordIntegrationUse(in.ID)
		switch {
		case req.problem != "":
			textReply(w, http.StatusBadRequest, bodyFailed, req.problem)
		case taskErr != nil:
			textReply(w, http.StatusBadRequest, bodyFailed, taskErr.Error())
		default:
			// A dry run: the same checks, nothing written.
			if err := a.store.CheckTask(r.Context(), in, task); err != nil {
				a.replyStoreError(w, r, err)
				return
			}
			textReply(w, http.StatusOK, bodyOK, "")
		}
		return
	}
	in, id, events, err := a.store.CreateTaskWithToken(r.Context(), creds, task)
	if in.ID != 0 && !errors.Is(err, store.ErrUnauthorized) {
		// An authenticated request counts as a use of its integration,
		// whatever becomes of it then.
		a.store.RecordIntegrationUse(in.ID)
	}
	if err != nil {
		a.replyStoreError(w, r, err)
		return
	}
	a.deliver(r.Context(), events)
	w.Header().Set("X-Hookboard-Task-Id", strconv.FormatInt(id, 10))
	textReply(w, http.StatusOK, bodyOK, "")
}

// replyStoreError maps a store error to the incoming URL's replies.
func (a *App) replyStoreError(w http.ResponseWriter, r *http.Request, err error) {
	var inv *store.InvalidError
	var refused *store.RefusedError
	switch {
	case errors.As(err, &refused):
		a.log.Info("incoming webhook refused", "reason", refused.Reason, "remote", r.RemoteAddr)
		textReply(w, http.StatusUnauthorized, bodyNotAuthorized, "")
	case errors.As(err, &inv):
		textReply(w, http.StatusBadRequest, bodyFailed, inv.Reason)
	case errors.Is(err, store.ErrUnavailable):
		a.log.Error("incoming webhook: database unavailable", "err", err)
		textReply(w, http.StatusServiceUnavailable, bodyFailed, "database unavailable, try again")
	default:
		a.log.Error("incoming webhook failed", "err", err)
		textReply(w, http.StatusInternalServerError, bodyFailed, "internal error")
	}
}

// credentials are what a request presents with a token of kind. The proof
// may come as a parameter or in X-Hookboard-Proof.
func (a *App) credentials(r *http.Request, kind, token, proof string) store.Credentials {
	if proof == "" {
		proof = r.Header.Get("X-Hookboard-Proof")
	}
	addr, _ := a.clientIP(r)
	return store.Credentials{Kind: kind, Token: token, Proof: proof, Addr: addr}
}

// readIncoming collects the known parameters from the query string and, for
// a POST, from the body (form, multipart or JSON object). The query string
// wins. A parameter given twice in one place, or as an array, is a problem.
// The only error returned is errTooLarge or an unreadable body.
func readIncoming(r *http.Request, maxBody int64, query url.Values, qerr error) (incomingRequest, error) {
	var body []byte
	if r.Method == http.MethodPost && r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return incomingRequest{}, errTooLarge
		}
		if err != nil {
			return incomingRequest{}, fmt.Errorf("cannot read body: %w", err)
		}
	}
	req := incomingRequest{values: map[string]string{}}
	if qerr != nil {
		req.problem = "query string is malformed"
	}
	fromBody := map[string][]string{}
	if len(body) > 0 {
		var perr error
		fromBody, perr = parseIncomingBody(r.Header.Get("Content-Type"), body)
		if perr != nil && req.problem == "" {
			req.problem = perr.Error()
		}
	}
	for _, source := range []map[string][]string{fromBody, query} { // query last: it wins
		for name, vals := range source {
			base := strings.TrimSuffix(name, "[]")
			if !isIncomingParam(base) {
				continue
			}
			if (base != name || len(vals) > 1) && req.problem == "" {
				req.problem = fmt.Sprintf("parameter %s given more than once or as an array", base)
			}
			if len(vals) > 0 {
				req.values[base] = vals[0]
			}
		}
	}
	return req, nil
}

func parseIncomingBody(contentType string, body []byte) (map[string][]string, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// Curl's -d sends form encoding; a missing type is read the same way.
		mediaType = "application/x-www-form-urlencoded"
	}
	switch mediaType {
	case "application/json":
		return parseJSONParams(body)
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return nil, errors.New("multipart body without boundary")
		}
		form, err := multipart.NewReader(bytes.NewReader(body), boundary).ReadForm(int64(len(body)) + 1024)
		if err != nil {
			return nil, errors.New("multipart body is malformed")
		}
		defer form.RemoveAll()
		if len(form.File) > 0 {
			return nil, errors.New("files are not accepted here")
		}
		return form.Value, nil
	default:
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("form body is malformed")
		}
		return values, nil
	}
}

// parseJSONParams reads a JSON object whose values are strings or numbers.
// It keeps what it read before a problem, so that a caller with a valid
// token learns what was wrong (400) instead of being refused (401).
func parseJSONParams(body []byte) (map[string][]string, error) {
	out := map[string][]string{}
	if !utf8.Valid(body) {
		// The decoder would turn the bad bytes into U+FFFD, which the
		// text checks could no longer see.
		return out, errors.New("JSON body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return out, errors.New("JSON body must be an object")
	}
	var problem error
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return out, errors.New("JSON body is malformed")
		}
		key, _ := keyTok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return out, errors.New("JSON body is malformed")
		}
		if !isIncomingParam(key) {
			continue
		}
		switch val := v.(type) {
		case string:
			out[key] = append(out[key], val)
		case json.Number:
			out[key] = append(out[key], val.String())
		case []any:
			out[key+"[]"] = []string{""}
		default:
			if problem == nil {
				problem = fmt.Errorf("parameter %s must be a string or a number", key)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return out, errors.New("JSON body is malformed")
	}
	if _, err := dec.Token(); err != io.EOF {
		return out, errors.New("JSON body has data after the object")
	}
	return out, problem
}

// newTaskFromParams turns parameters into a task. What the caller left out
// of its placement is the integration's to fill in, at the write.
func newTaskFromParams(v map[string]string) (store.NewTask, error) {
	t := store.NewTask{
		Title:       v["title"],
		Description: v["description"],
		ColorID:     strings.TrimSpace(v["color_id"]),
		Reference:   v["reference"],
	}
	if err := store.ValidateTitle(t.Title); err != nil {
		return t, err
	}
	ids := []struct {
		name string
		dst  *int64
	}{
		{"project_id", &t.ProjectID}, {"column_id", &t.ColumnID}, {"swimlane_id", &t.SwimlaneID},
		{"owner_id", &t.OwnerID}, {"category_id", &t.CategoryID},
	}
	for _, id := range ids {
		n, err := parseID(id.name, v[id.name])
		if err != nil {
			return t, err
		}
		*id.dst = n
	}
	if s := strings.TrimSpace(v["score"]); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return t, fmt.Errorf("score %q is not an integer", s)
		}
		t.Score = n
	}
	if s := strings.TrimSpace(v["date_due"]); s != "" {
		due, err := store.ParseDate(s)
		if err != nil {
			return t, fmt.Errorf("date_due: %w", err)
		}
		t.DateDue = due
	}
	return t, nil
}

// parseID reads an optional positive id; "" and "0" mean "not given".
func parseID(name, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s %q is not a valid id", name, s)
	}
	return n, nil
}
