package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that a running server and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCLI runs one command line in-process and returns exit status and output.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), &Env{
		Args: args, Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: testGetenv,
	})
	return code, stdout.String(), stderr.String()
}

// server is "hookboard serve" running in-process on a free port.
type server struct {
	url    string
	stdout *syncBuffer
	logs   *syncBuffer // standard error
	stop   func()
}

func startServer(t *testing.T, db string, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	out, logs := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	args := append([]string{"serve", "-addr", "127.0.0.1:0", "-db", db}, extra...)
	go func() {
		done <- Run(ctx, &Env{
			Args: args, Stdin: strings.NewReader(""), Stdout: out, Stderr: logs,
			Getenv: testGetenv,
			Ready:  func(addr string) { ready <- addr },
		})
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d before listening: %s", code, logs)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	s := &server{url: "http://" + addr, stdout: out, logs: logs}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d", code)
		}
	}
	t.Cleanup(s.stop)
	return s
}

// createTask calls the incoming URL and returns status and body.
func createTask(t *testing.T, base, token, title string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/webhook/task?token=" + url.QueryEscape(token) + "&title=" + url.QueryEscape(title))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestFirstRunPrintsSecretsOnce(t *testing.T) {
	db := testDB(t)
	s := startServer(t, db)
	out := s.stdout.String()
	if !regexp.MustCompile(`(?m)^  username:\s+admin$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^  password:\s+\S{16,}$`).MatchString(out) {
		t.Fatalf("first start did not print the admin login:\n%s", out)
	}
	// The printed curl command works as printed.
	m := regexp.MustCompile(`curl '([^']+)'`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no curl command in:\n%s", out)
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "OK" {
		t.Fatalf("printed curl command answered %d %q", resp.StatusCode, body)
	}
	s.stop()

	again := startServer(t, db)
	if out := again.stdout.String(); strings.Contains(out, "password") || strings.Contains(out, "token=") {
		t.Fatalf("second start printed secrets:\n%s", out)
	}
}

func TestIntegrationRoundTrip(t *testing.T) {
	db := testDB(t)
	s := startServer(t, db)

	code, out, errOut := runCLI(t, "", "integration", "add", "deploy-bot", "-db", db, "-json")
	if code != 0 {
		t.Fatalf("integration add: %d %s", code, errOut)
	}
	var added struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil || !strings.HasPrefix(added.Token, "hbi_") {
		t.Fatalf("integration add -json printed %q (%v)", out, err)
	}
	if status, body := createTask(t, s.url, added.Token, "from the new token"); status != 200 || body != "OK" {
		t.Fatalf("new token: %d %q", status, body)
	}

	id := jsonID(added.ID)
	code, out, _ = runCLI(t, "", "integration", "regenerate", id, "-db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	fresh := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(fresh, "hbi_") || fresh == added.Token {
		t.Fatalf("regenerate: %d, last line %q", code, fresh)
	}
	if status, body := createTask(t, s.url, added.Token, "old token"); status != 401 || body != "Not Authorized" {
		t.Fatalf("old token after regenerate: %d %q", status, body)
	}
	if status, _ := createTask(t, s.url, fresh, "regenerated token"); status != 200 {
		t.Fatalf("regenerated token: %d", status)
	}

	if code, out, errOut := runCLI(t, "", "integration", "disable", id, "-db", db); code != 0 || out != "integration "+id+": disable done\n" {
		t.Fatalf("disable: %q %s", out, errOut)
	}
	if status, _ := createTask(t, s.url, fresh, "disabled"); status != 401 {
		t.Fatalf("disabled token: %d", status)
	}
	if code, _, errOut := runCLI(t, "", "integration", "enable", id, "-db", db); code != 0 {
		t.Fatalf("enable: %s", errOut)
	}
	if status, _ := createTask(t, s.url, fresh, "enabled again"); status != 200 {
		t.Fatalf("enabled token: %d", status)
	}

	if code, _, errOut := runCLI(t, "", "integration", "rm", id, "-db", db); code != 0 {
		t.Fatalf("rm: %s", errOut)
	}
	if status, _ := createTask(t, s.url, fresh, "removed"); status != 401 {
		t.Fatalf("removed token: %d", status)
	}
	code, out, _ = runCLI(t, "", "integration", "list", "-db", db, "-json")
	if code != 0 || strings.Contains(out, "deploy-bot") {
		t.Fatalf("list after rm: %d %s", code, out)
	}
}

func jsonID(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestIntegrationAddRefusesBadInput(t *testing.T) {
	db := testDB(t)
	cases := [][]string{
		{"integration", "add", "x", "-kind", "robot"},
		{"integration", "add", "x", "-project", "99"},
		{"integration", "add", "x", "-expires", "soon"},
		{"integration", "add", "x", "-allow-ip", "not-an-ip"},
		{"integration", "add", "  "},
		{"integration", "add"},
	}
	for _, args := range cases {
		code, out, errOut := runCLI(t, "", append(args, "-db", db)...)
		if code == 0 || errOut == "" || strings.Contains(out, "hbi_") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	code, out, _ := runCLI(t, "", "integration", "list", "-db", db, "-json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("refused adds stored something: %s", out)
	}
}

func TestUserCommands(t *testing.T) {
	db := testDB(t)
	if code, _, errOut := runCLI(t, "s3cret-pass\n", "user", "add", "carol", "-password-stdin", "-db", db); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	code, out, _ := runCLI(t, "", "user", "add", "dave", "-admin", "-db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines[len(lines)-1]) < 16 {
		t.Fatalf("user add with a generated password: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "short\n", "user", "passwd", "carol", "-password-stdin", "-db", db); code == 0 || !strings.Contains(errOut, "at least 8") {
		t.Fatalf("short password accepted: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "x\n", "user", "add", "carol", "-db", db); code == 0 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate user: %d %q", code, errOut)
	}
	code, out, _ = runCLI(t, "", "user", "list", "-db", db, "-json")
	var users []struct {
		Username string `json:"username"`
		Admin    bool   `json:"admin"`
	}
	if err := json.Unmarshal([]byte(out), &users); code != 0 || err != nil {
		t.Fatalf("user list: %d %v %q", code, err, out)
	}
	if len(users) != 2 || users[0].Username != "carol" || users[0].Admin || users[1].Username != "dave" || !users[1].Admin {
		t.Fatalf("users %+v", users)
	}
}

func TestHelpListsCommandsAndFlags(t *testing.T) {
	code, out, _ := runCLI(t, "", "-h")
	for _, want := range []string{"serve", "user", "integration", "version", "-addr", "-db", "-base-url", "-allow-webhook-nets", "HOOKBOARD_DB"} {
		if !strings.Contains(out, want) {
			t.Errorf("-h output lacks %q", want)
		}
	}
	if code != 0 {
		t.Errorf("-h exit %d", code)
	}
	if code, _, errOut := runCLI(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	db := testDB(t)
	env := map[string]string{"HOOKBOARD_DB": db}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), &Env{
		Args: []string{"user", "add", "erin", "-password-stdin"}, Stdin: strings.NewReader("long enough\n"),
		Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return cmp.Or(env[k], testGetenv(k)) },
	})
	if code != 0 {
		t.Fatalf("user add with HOOKBOARD_DB: %d %s", code, stderr.String())
	}
	code, out, _ := runCLI(t, "", "user", "list", "-db", db)
	if code != 0 || !strings.Contains(out, "erin") {
		t.Fatalf("the user did not land in HOOKBOARD_DB's file: %q", out)
	}
}

// -expires and -grace read days and Go durations; -expires refuses zero,
// -grace takes it as "now".
func TestExpiryAndGraceDurations(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		in            string
		expiry, grace time.Duration
		expiryOK      bool
		graceOK       bool
	}{
		{"never", 0, 0, true, false},
		{"now", 0, 0, false, true},
		{"0", 0, 0, false, true},
		{"0d", 0, 0, false, true},
		{"30d", 30 * day, 30 * day, true, true},
		{" 12h ", 12 * time.Hour, 12 * time.Hour, true, true},
		{"-1d", 0, 0, false, false},
		{"-5m", 0, 0, false, false},
		{"1.5d", 0, 0, false, false},
		{"soon", 0, 0, false, false},
	} {
		d, err := parseExpiry(c.in)
		if (err == nil) != c.expiryOK || d != c.expiry {
			t.Errorf("parseExpiry(%q) = %s, %v", c.in, d, err)
		}
		d, err = parseGrace(c.in)
		if (err == nil) != c.graceOK || d != c.grace {
			t.Errorf("parseGrace(%q) = %s, %v", c.in, d, err)
		}
	}
}
