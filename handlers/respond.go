package handlers

import (
	"net/http"
)

// Incoming-webhook reply bodies: scripts compare them byte for byte.
const (
	bodyOK            = "OK"
	bodyFailed        = "FAILED"
	bodyNotAuthorized = "Not Authorized"
)

// textReply writes a plain-text reply. reason, when set, goes to the
// X-Hookboard-Error header so the body stays what Kanboard scripts expect.
func textReply(w http.ResponseWriter, status int, body, reason string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if reason != "" {
		h.Set("X-Hookboard-Error", reason)
	}
	w.WriteHeader(status)
	w.Write([]byte(body))
}
