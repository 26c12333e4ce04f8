package handlers

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRedactQuery(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"controller=webhook&action=task&token=hbi_abc&title=x", "controller=webhook&action=task&token=REDACTED&title=x"},
		{"token=a&appsecret_proof=ff00&password=p&api_key=k&secret=s", "token=REDACTED&appsecret_proof=REDACTED&password=REDACTED&api_key=REDACTED&secret=REDACTED"},
		{"%74oken=hbi_abc", "%74oken=REDACTED"},                        // escaped name
		{"TOKEN=hbi_abc&Token[]=x", "TOKEN=REDACTED&Token[]=REDACTED"}, // any case, array form
		{"%zz=hbi_abc&title=x", "%zz=REDACTED&title=x"},                // undecodable name: redacted to be safe
		{"token", "token=REDACTED"},
		{"title=token%3Dx", "title=token%3Dx"},
	} {
		if got := RedactQuery(c.in); got != c.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactLogAttr(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		opts := &slog.HandlerOptions{ReplaceAttr: RedactLogAttr}
		var log *slog.Logger
		if format == "json" {
			log = slog.New(slog.NewJSONHandler(&buf, opts))
		} else {
			log = slog.New(slog.NewTextHandler(&buf, opts))
		}
		h := http.Header{}
		h.Set("Authorization", "Bearer hbp_header_secret")
		h.Set("X-Api-Auth", "api_auth_secret")
		h.Set("X-Hookboard-Proof", "proof_secret")
		h.Set("Cookie", "session=cookie_secret")
		h.Set("User-Agent", "curl/8")
		u, _ := url.Parse("https://user:url_password@example.com/webhook/task?token=url_token_secret&title=kept")
		log.Info("oops", "headers", h, "url", u, "token", "attr_token_secret", "Authorization", "Basic attr_basic_secret",
			slog.Group("req", "password", "group_password_secret"), "title", "kept title")
		out := buf.String()
		for _, secret := range []string{"hbp_header_secret", "api_auth_secret", "proof_secret", "cookie_secret",
			"url_password", "url_token_secret", "attr_token_secret", "attr_basic_secret", "group_password_secret"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: %q logged: %s", format, secret, out)
			}
		}
		for _, kept := range []string{"curl/8", "title=kept", "kept title"} {
			if !strings.Contains(out, kept) {
				t.Errorf("%s: %q lost: %s", format, kept, out)
			}
		}
	}
	// The header passed in is not changed.
	h := http.Header{"Authorization": {"Bearer x"}}
	RedactHeader(h)
	if h.Get("Authorization") != "Bearer x" {
		t.Error("RedactHeader changed its argument")
	}
}
