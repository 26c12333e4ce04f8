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

// secretLogKeys are log attribute keys and header names whose values never
// reach a log, whichever code logs them.
var secretLogKeys = map[string]bool{
	"authorization": true, "proxy-authorization": true, "x-api-auth": true, "x-hookboard-proof": true,
	"cookie": true, "set-cookie": true, "token": true, "password": true, "secret": true,
	"app_secret": true, "appsecret_proof": true, "proof": true, "api_key": true,
}

// RedactLogAttr is a slog ReplaceAttr function, the server logger's last
// line of defence: an attribute named like a credential ("token",
// "authorization", …) is replaced by "REDACTED", a logged http.Header loses
// its credential headers, and a logged *url.URL its secret query values.
func RedactLogAttr(_ []string, a slog.Attr) slog.Attr {
	if secretLogKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, "REDACTED")
	}
	if a.Value.Kind() != slog.KindAny {
		return a
	}
	switch v := a.Value.Any().(type) {
	case http.Header:
		return slog.Any(a.Key, RedactHeader(v))
	case *url.URL:
		if v == nil {
			return a
		}
		u := *v
		u.User = nil
		u.RawQuery = RedactQuery(u.RawQuery)
		return slog.String(a.Key, u.String())
	}
	return a
}

// RedactHeader returns a copy of h whose credential headers (Authorization,
// X-Api-Auth, X-Hookboard-Proof, cookies) read "REDACTED".
func RedactHeader(h http.Header) http.Header {
	out := h.Clone()
	for name := range out {
		if secretLogKeys[strings.ToLower(name)] {
			out[name] = []string{"REDACTED"}
		}
	}
	return out
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
