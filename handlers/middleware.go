package handlers

import (
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
)

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests writes one log line per request with status and latency. The
// query string is redacted: the incoming URL carries its token there.
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Duration("latency", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		}
		if r.URL.RawQuery != "" {
			attrs = append(attrs, slog.String("query", RedactQuery(r.URL.RawQuery)))
		}
		if reason := w.Header().Get("X-Hookboard-Error"); reason != "" {
			attrs = append(attrs, slog.String("error", reason))
		}
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// secretParams are query parameters whose values never reach a log.
var secretParams = map[string]bool{
	"token": true, "appsecret_proof": true, "password": true, "api_key": true, "secret": true,
}

// RedactQuery replaces the values of secret parameters with "REDACTED". A
// parameter whose name does not decode is redacted too, rather than risk a leak.
func RedactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		key, err := url.QueryUnescape(name)
		if err != nil || secretParams[strings.ToLower(strings.TrimSuffix(key, "[]"))] {
			parts[i] = name + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// recoverPanics turns a panic into a 500 and a log line with the stack.
func (a *App) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
