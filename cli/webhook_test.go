package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"hookboard/store"
)

func endpointCount(t *testing.T, db string) int {
	t.Helper()
	st, err := openTestStore(db, store.Options{})
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

// assertNothingSent checks that no test event, delivery or send request
// was written.
func assertNothingSent(t *testing.T, db string) {
	t.Helper()
	st, err := openTestStore(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.Deliveries(context.Background(), 0, 100, false)
	if err != nil || len(list) != 0 {
		t.Errorf("deliveries written: %v %v", list, err)
	}
	if _, err := st.SendRequestByID(context.Background(), 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a send request was written: %v", err)
	}
}

func TestWebhookAddRefusesBadInput(t *testing.T) {
	db := testDB(t)
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
	db := testDB(t)
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

	// No server: test and redeliver say so and write nothing.
	code, out, errOut = runCLI(t, "", "webhook", "test", "1", "-db", db)
	if code != 1 || !strings.Contains(errOut, "no Hookboard server is running on "+db) || out != "" {
		t.Fatalf("test without a server: %d %q %q", code, out, errOut)
	}
	assertNothingSent(t, db)

	// The server allows loopback; the CLI has no flag of its own, and the
	// server sends with its settings.
	s := startServer(t, db, "-allow-webhook-nets", "loopback")
	code, out, errOut = runCLI(t, "", "webhook", "test", "1", "-db", db)
	if code != 0 || !strings.Contains(out, "test attempt accepted: HTTP 200") || len(got) != 1 {
		t.Fatalf("test: %d %q %q", code, out, errOut)
	}
	if got[0].Header.Get("X-Webhook-Token") != added.Token || got[0].Header.Get("X-Hookboard-Event") != "webhook.test" {
		t.Errorf("test request headers %v", got[0].Header)
	}
	code, out, errOut = runCLI(t, "", "webhook", "test", "1", "-db", db, "-allow-webhook-nets", "loopback")
	if code != 2 || !strings.Contains(errOut, "-allow-webhook-nets") {
		t.Errorf("the CLI still takes a network flag: %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "webhook", "test", "9", "-db", db)
	if code != 1 || !strings.Contains(errOut, "endpoint 9: not found") {
		t.Errorf("test of a missing endpoint: %d %q", code, errOut)
	}

	code, out, _ = runCLI(t, "", "deliveries", "-db", db, "-json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 {
		t.Fatalf("deliveries: %d %q", code, out)
	}
	if list[0]["status"] != "delivered" {
		t.Errorf("deliveries: %v", list)
	}

	code, out, _ = runCLI(t, "", "redeliver", "1", "-db", db)
	if code != 0 || !strings.Contains(out, "redeliver attempt accepted: HTTP 200") || !strings.Contains(out, "delivery status: delivered") || len(got) != 2 {
		t.Fatalf("redeliver: %d %q", code, out)
	}
	if got[1].Header.Get("webhook-id") != got[0].Header.Get("webhook-id") {
		t.Error("redelivery changed the webhook-id")
	}
	mu.Lock()
	status = http.StatusInternalServerError
	mu.Unlock()
	code, out, errOut = runCLI(t, "", "redeliver", "1", "-db", db, "-json")
	var answer struct {
		Status      string
		LastAttempt struct {
			Trigger        string
			OK             bool
			ResponseStatus int `json:"response_status"`
		} `json:"last_attempt"`
	}
	if err := json.Unmarshal([]byte(out), &answer); err != nil || code != 1 || answer.LastAttempt.ResponseStatus != 500 ||
		answer.LastAttempt.Trigger != "redeliver" || answer.LastAttempt.OK || !strings.Contains(errOut, "did not accept") {
		t.Errorf("failed redeliver -json: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "redeliver", "1", "-db", db)
	if code != 1 || !strings.Contains(out, "redeliver attempt failed: HTTP 500") ||
		!strings.Contains(out, "delivery status: delivered (by an earlier attempt)") || strings.Contains(strings.Split(out, "\n")[0], "delivered") {
		t.Errorf("failed redeliver: %d %q", code, out)
	}
	if len(got) != 4 {
		t.Errorf("receiver got %d requests, want 4", len(got))
	}
	s.stop()
	_, out, _ = runCLI(t, "", "webhook", "list", "-db", db)
	if strings.Contains(out, "is not allowed") {
		t.Errorf("a refusal was recorded: %q", out)
	}
	// A stopped server clears its heartbeat: the CLI is told at once.
	if code, _, errOut = runCLI(t, "", "redeliver", "1", "-db", db); code != 1 || !strings.Contains(errOut, "no Hookboard server is running") {
		t.Errorf("redeliver after the server stopped: %d %q", code, errOut)
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
	db := testDB(t)
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

// TestSendRequestsThroughTheRealBinary: the server and the CLI as separate
// processes of the released binary. The server allows loopback; the CLI's
// test and redeliver, with no network flag, reach a receiver on 127.0.0.1
// through it, and the refusal the CLI's own guard made before is gone.
// After SIGTERM the CLI says no server is running.
func TestSendRequestsThroughTheRealBinary(t *testing.T) {
	bin := buildHookboard(t)
	db := testDB(t)
	got := make(chan string, 8)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got <- r.Header.Get("X-Hookboard-Event")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	cli := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, append(args, "-db", db)...)
		cmd.Env = append(os.Environ(), "HOOKBOARD_DB=", keyFileEnv+"="+testGetenv(keyFileEnv))
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
	}
	if code, _, errOut := cli("webhook", "add", "-url", rc.URL+"/hook", "-allow-webhook-nets", "loopback"); code != 0 {
		t.Fatal(errOut)
	}
	p := startProcess(t, bin, "-db", db, "-allow-webhook-nets", "loopback")

	code, out, errOut := cli("webhook", "test", "1")
	if code != 0 || !strings.Contains(out, "test attempt accepted: HTTP 204") || <-got != "webhook.test" {
		t.Fatalf("webhook test: %d %q %q", code, out, errOut)
	}
	code, out, errOut = cli("redeliver", "1", "-json")
	var answer struct {
		Status      string
		LastAttempt struct {
			Trigger        string
			ResponseStatus int `json:"response_status"`
		} `json:"last_attempt"`
	}
	if err := json.Unmarshal([]byte(out), &answer); err != nil || code != 0 || answer.Status != "delivered" ||
		answer.LastAttempt.Trigger != "redeliver" || answer.LastAttempt.ResponseStatus != 204 || <-got != "webhook.test" {
		t.Fatalf("redeliver: %d %q %q", code, out, errOut)
	}
	if _, out, _ = cli("webhook", "list"); strings.Contains(out, "failing") || !strings.Contains(out, "last HTTP 204") {
		t.Errorf("endpoint after the CLI's sends: %q", out)
	}

	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
	code, out, errOut = cli("webhook", "test", "1")
	if code != 1 || out != "" || !strings.Contains(errOut, "no Hookboard server is running on "+db) {
		t.Errorf("webhook test with the server stopped: %d %q %q", code, out, errOut)
	}
	if list := deliveriesJSON(t, db); len(list) != 1 {
		t.Errorf("%d deliveries, want the one test", len(list))
	}
}
