package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"hookboard/store"
)

func endpointCount(t *testing.T, db string) int {
	t.Helper()
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eps, err := st.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(eps)
}

func TestWebhookAddRefusesBadInput(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hb.db")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no url", []string{}, "needs -url"},
		{"relative url", []string{"-url", "/hook"}, "is not an absolute http:// or https:// URL"},
		{"ftp url", []string{"-url", "ftp://example.com/x"}, "is not an absolute http:// or https:// URL"},
		{"garbage url", []string{"-url", "http://exa mple.com"}, "is not an absolute"},
		{"user in url", []string{"-url", "https://u:p@example.com/"}, "user name or password"},
		{"unknown event", []string{"-url", "https://example.com/h", "-events", "task.create,task.explode"}, `unknown event "task.explode"`},
		{"unknown format", []string{"-url", "https://example.com/h", "-format", "xml"}, `unknown format "xml"`},
		{"timeout over 10s", []string{"-url", "https://example.com/h", "-timeout", "11s"}, "timeout 11s is out of range"},
		{"timeout not a duration", []string{"-url", "https://example.com/h", "-timeout", "soon"}, "invalid value"},
		{"unknown project", []string{"-url", "https://example.com/h", "-projects", "99"}, "project 99 does not exist"},
		{"bad project", []string{"-url", "https://example.com/h", "-projects", "one"}, `project "one" is not a project id`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", append([]string{"webhook", "add", "-db", db}, tc.args...)...)
			if code == 0 {
				t.Fatalf("accepted; stdout %q", out)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q, want it to say %q", errOut, tc.want)
			}
			if strings.Contains(out, "whsec_") {
				t.Errorf("a secret was printed: %q", out)
			}
			if n := endpointCount(t, db); n != 0 {
				t.Fatalf("%d endpoints stored after a refused add", n)
			}
		})
	}
}

func TestWebhookCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hb.db")
	var mu sync.Mutex
	var got []*http.Request
	status := http.StatusOK
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got = append(got, r)
		s := status
		mu.Unlock()
		w.WriteHeader(s)
	}))
	defer rc.Close()

	code, out, errOut := runCLI(t, "", "webhook", "add", "-db", db, "-allow-webhook-nets", "loopback", "-json", "-url", rc.URL+"/in", "-name", "ci",
		"-events", "task.create,comment.create", "-format", "envelope", "-timeout", "2s")
	if code != 0 {
		t.Fatalf("add: %d %s", code, errOut)
	}
	var added struct {
		ID     int64
		Token  string
		Secret string
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.ID != 1 ||
		!strings.HasPrefix(added.Token, "hbw_") || !strings.HasPrefix(added.Secret, "whsec_") {
		t.Fatalf("add -json printed %q (%v)", out, err)
	}

	code, out, _ = runCLI(t, "", "webhook", "add", "-db", db, "-url", "https://example.com/other")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "whsec_") {
		t.Fatalf("add without -json: last line %q", lines[len(lines)-1])
	}

	code, out, _ = runCLI(t, "", "webhook", "list", "-db", db)
	if code != 0 || !strings.Contains(out, "1\tci\t"+rc.URL+"/in\tenvelope\tevents=task.create,comment.create\tprojects=all\ttimeout=2s\tenabled") {
		t.Fatalf("list: %q", out)
	}

	// Test is refused by the guard unless loopback is allowed.
	code, out, errOut = runCLI(t, "", "webhook", "test", "1", "-db", db)
	if code == 0 || !strings.Contains(out, "is not allowed for webhooks") || len(got) != 0 {
		t.Fatalf("test to loopback without allowlist: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "webhook", "test", "1", "-db", db, "-allow-webhook-nets", "loopback")
	if code != 0 || !strings.Contains(out, "delivered") || len(got) != 1 {
		t.Fatalf("test: %d %q %q", code, out, errOut)
	}
	if got[0].Header.Get("X-Webhook-Token") != added.Token || got[0].Header.Get("X-Hookboard-Event") != "webhook.test" {
		t.Errorf("test request headers %v", got[0].Header)
	}

	code, out, _ = runCLI(t, "", "deliveries", "-db", db, "-json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 2 {
		t.Fatalf("deliveries: %d %q", code, out)
	}
	if list[0]["status"] != "delivered" || list[1]["status"] != "failed" {
		t.Errorf("deliveries newest first: %v", list)
	}
	code, out, _ = runCLI(t, "", "deliveries", "-db", db, "-failed")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "failed") {
		t.Errorf("deliveries -failed: %q", out)
	}

	// Redeliver the refused one, now allowed.
	code, out, _ = runCLI(t, "", "redeliver", "1", "-db", db, "-allow-webhook-nets", "loopback")
	if code != 0 || !strings.Contains(out, ": delivered") || len(got) != 2 {
		t.Fatalf("redeliver: %d %q", code, out)
	}
	if got[1].Header.Get("webhook-id") == got[0].Header.Get("webhook-id") {
		t.Error("two different test events share a webhook-id")
	}
	mu.Lock()
	status = http.StatusInternalServerError
	mu.Unlock()
	code, out, errOut = runCLI(t, "", "redeliver", "1", "-db", db, "-allow-webhook-nets", "loopback")
	if code == 0 || !strings.Contains(out, "HTTP 500") || !strings.Contains(errOut, "did not accept") {
		t.Errorf("failed redeliver: %d %q %q", code, out, errOut)
	}
	if got[2].Header.Get("webhook-id") != got[1].Header.Get("webhook-id") {
		t.Error("redelivery changed the webhook-id")
	}

	code, out, _ = runCLI(t, "", "webhook", "rotate-secret", "1", "-db", db, "-grace", "now")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "whsec_") || lines[len(lines)-1] == added.Secret {
		t.Errorf("rotate-secret: %q", out)
	}
	code, out, _ = runCLI(t, "", "webhook", "rotate-token", "1", "-db", db, "-grace", "2d", "-json")
	if code != 0 || !strings.Contains(out, `"grace_seconds": 172800`) || !strings.Contains(out, `"token": "hbw_`) {
		t.Errorf("rotate-token: %q", out)
	}
	if code, _, errOut = runCLI(t, "", "webhook", "rotate-token", "1", "-db", db, "-grace", "soon"); code == 0 || !strings.Contains(errOut, "-grace") {
		t.Errorf("bad grace accepted: %q", errOut)
	}
	if code, out, _ = runCLI(t, "", "webhook", "disable", "1", "-db", db); code != 0 || out != "webhook 1: disable done\n" {
		t.Errorf("disable: %d %q", code, out)
	}
	_, out, _ = runCLI(t, "", "webhook", "list", "-db", db, "-json")
	if !strings.Contains(out, `"enabled": false`) {
		t.Errorf("list after disable: %s", out)
	}
	if code, out, _ = runCLI(t, "", "webhook", "rm", "1", "-db", db, "-json"); code != 0 || !strings.Contains(out, `"done": "rm"`) {
		t.Errorf("rm: %d %q", code, out)
	}
	if code, _, errOut = runCLI(t, "", "webhook", "rm", "1", "-db", db); code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("rm of a removed endpoint: %d %q", code, errOut)
	}
	if n := endpointCount(t, db); n != 1 {
		t.Errorf("%d endpoints left, want 1", n)
	}
}

// TestServeDeliversInBackgroundWithZeroWait: "hookboard serve" wires the
// notifier with -allow-webhook-nets and -delivery-wait. With a wait of 0
// the incoming request answers while the receiver still holds the
// webhook, which then arrives and is recorded as delivered.
func TestServeDeliversInBackgroundWithZeroWait(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hb.db")
	release := make(chan struct{})
	arrived := make(chan http.Header, 1)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-release
		arrived <- r.Header.Clone()
	}))
	defer rc.Close()
	if code, _, errOut := runCLI(t, "", "webhook", "add", "-db", db, "-allow-webhook-nets", "loopback", "-url", rc.URL, "-timeout", "5s"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := runCLI(t, "", "serve", "-db", db, "-addr", "127.0.0.1:0", "-allow-webhook-nets", "bogus"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Fatalf("bad -allow-webhook-nets: %d %q", code, errOut)
	}
	s := startServer(t, db, "-allow-webhook-nets", "loopback", "-delivery-wait", "0")
	m := regexp.MustCompile(`token=([^&']+)`).FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no token in first-run output")
	}
	token, _ := url.QueryUnescape(m[1])
	if code, body := createTask(t, s.url, token, "background"); code != 200 || body != "OK" {
		t.Fatalf("incoming: %d %q", code, body)
	}
	select {
	case <-arrived:
		t.Fatal("the receiver answered before it was released")
	default:
	}
	close(release)
	h := <-arrived
	if h.Get("X-Hookboard-Event") != "task.create" || h.Get("webhook-id") == "" || h.Get("User-Agent") != "Hookboard-Webhook/"+Version {
		t.Errorf("receiver got headers %v", h)
	}
	s.stop() // graceful: lets the background delivery be recorded
	_, out, _ := runCLI(t, "", "deliveries", "-db", db, "-json")
	if !strings.Contains(out, `"status": "delivered"`) {
		t.Errorf("delivery not recorded as delivered: %s", out)
	}
}
