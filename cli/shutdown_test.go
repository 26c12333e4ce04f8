package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test binary is built once per package run, the README's release
// way, with this version stamped into versionVar.
const (
	versionVar  = "hookboard/cli.Version"
	testVersion = "v9.8.7"
)

var testBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain removes the test binary after the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if testBinary.dir != "" {
		os.RemoveAll(testBinary.dir)
	}
	if pgKey.dir != "" {
		os.RemoveAll(pgKey.dir)
	}
	os.Exit(code)
}

// buildHookboard compiles the real binary, once for all the tests that need
// a process, as the README's Install section does (CGO_ENABLED=0,
// -trimpath, -s -w, the version stamped with -X). Without a Go toolchain
// the test is skipped, except under CI.
func buildHookboard(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("go toolchain not found (required under CI)")
		}
		t.Skip("go toolchain not found")
	}
	testBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "hookboard-cli-test")
		if err != nil {
			testBinary.err = err
			return
		}
		testBinary.dir = dir
		bin := filepath.Join(dir, "hookboard")
		cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags", "-s -w -X "+versionVar+"="+testVersion, "-o", bin, ".")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			testBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		testBinary.path = bin
	})
	if testBinary.err != nil {
		t.Fatal(testBinary.err)
	}
	return testBinary.path
}

// hookboardProcess is "hookboard serve" running as its own process.
type hookboardProcess struct {
	cmd      *exec.Cmd
	url      string
	stdout   *syncBuffer
	stderr   *syncBuffer
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // set before exited closes
	exitedAt time.Time
}

func startProcess(t *testing.T, bin string, args ...string) *hookboardProcess {
	t.Helper()
	p := &hookboardProcess{stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.Env = append(os.Environ(), "HOOKBOARD_DB=", keyFileEnv+"="+testGetenv(keyFileEnv)) // only the flags count
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		p.exitedAt = time.Now()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	listening := regexp.MustCompile(`msg="hookboard listening" addr=(\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(p.stderr.String()); m != nil {
			p.url = "http://" + m[1]
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("hookboard exited before listening: %v\n%s", p.waitErr, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("hookboard did not start:\n%s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliveriesJSON is "hookboard deliveries -json".
func deliveriesJSON(t *testing.T, db string) []map[string]any {
	t.Helper()
	code, stdout, stderr := runCLI(t, "", "deliveries", "-db", db, "-json")
	if code != 0 {
		t.Fatalf("deliveries: %s", stderr)
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return out
}

// TestSIGTERMWithSlowReceiver: SIGTERM while a receiver holds a delivery
// open; the process exits within -shutdown-timeout, the delivery stays
// pending, and the next start sends it.
func TestSIGTERMWithSlowReceiver(t *testing.T) {
	bin := buildHookboard(t)
	db := testDB(t)

	var slow atomic.Bool
	slow.Store(true)
	arrived := make(chan string, 16) // webhook-id of each request
	release := make(chan struct{})
	defer close(release)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- r.Header.Get("webhook-id")
		if slow.Load() {
			select { // far longer than the shutdown bound
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	if code, _, stderr := runCLI(t, "", "webhook", "add", "-db", db, "-allow-webhook-nets", "loopback", "-url", rc.URL, "-timeout", "10s"); code != 0 {
		t.Fatal(stderr)
	}

	const bound = time.Second
	flags := []string{"-db", db, "-allow-webhook-nets", "loopback", "-delivery-wait", "0", "-shutdown-timeout", bound.String()}
	p := startProcess(t, bin, flags...)
	m := regexp.MustCompile(`token=([^&']+)`).FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("no token in the first-run output:\n%s", p.stdout)
	}
	token, _ := url.QueryUnescape(m[1])
	if code, body := createTask(t, p.url, token, "sent while stopping"); code != 200 || body != "OK" {
		t.Fatalf("incoming: %d %q", code, body)
	}
	var webhookID string
	select {
	case webhookID = <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the receiver never got the delivery")
	}

	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", p.waitErr, p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM\n%s", p.stderr)
	}
	// The endpoint timeout (10 s) is what an unbounded shutdown would wait;
	// the bound is 1 s. The margin is for a loaded machine.
	if took := p.exitedAt.Sub(sent); took > bound+5*time.Second {
		t.Fatalf("exit took %s after SIGTERM with -shutdown-timeout %s", took, bound)
	}
	if logs := p.stderr.String(); !strings.Contains(logs, "shutting down") || !strings.Contains(logs, "cut off at shutdown") {
		t.Errorf("shutdown not logged as cut off:\n%s", logs)
	}
	ds := deliveriesJSON(t, db)
	if len(ds) != 1 || ds[0]["status"] != "pending" || ds[0]["attempts"] != float64(0) {
		t.Fatalf("after SIGTERM the delivery should be pending with no recorded attempt: %v", ds)
	}

	// The next start sends it (once its lease from the first run passes).
	slow.Store(false)
	p2 := startProcess(t, bin, flags...)
	select {
	case id := <-arrived:
		if id != webhookID {
			t.Fatalf("after restart the receiver got webhook-id %q, want %q", id, webhookID)
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("the pending delivery was not sent within 90 s of the restart\n%s", p2.stderr)
	}
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p2.exited
	if p2.waitErr != nil {
		t.Fatalf("second exit: %v", p2.waitErr)
	}
	ds = deliveriesJSON(t, db)
	if len(ds) != 1 || ds[0]["status"] != "delivered" {
		t.Fatalf("after the restart the delivery should be delivered: %v", ds)
	}
}

// TestShutdownDrainsInFlightRequest stops the server while a request waits
// for its webhook: the request still gets its reply and the delivery is
// recorded, because shutdown waits for both (within -shutdown-timeout).
func TestShutdownDrainsInFlightRequest(t *testing.T) {
	db := testDB(t)
	arrived := make(chan struct{}, 1)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		time.Sleep(500 * time.Millisecond) // still working when shutdown starts
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	if code, _, stderr := runCLI(t, "", "webhook", "add", "-db", db, "-allow-webhook-nets", "loopback", "-url", rc.URL, "-timeout", "5s"); code != 0 {
		t.Fatal(stderr)
	}
	s := startServer(t, db, "-allow-webhook-nets", "loopback", "-delivery-wait", "5s", "-shutdown-timeout", "10s")
	m := regexp.MustCompile(`token=([^&']+)`).FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatal("no token in the first-run output")
	}
	token, _ := url.QueryUnescape(m[1])

	type reply struct {
		code int
		body string
	}
	replied := make(chan reply, 1)
	go func() {
		resp, err := http.Get(s.url + "/webhook/task?title=draining&token=" + url.QueryEscape(token))
		if err != nil {
			replied <- reply{0, err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		replied <- reply{resp.StatusCode, string(b)}
	}()
	select {
	case <-arrived: // the request is now waiting for its delivery
	case <-time.After(20 * time.Second):
		t.Fatal("the receiver never got the delivery")
	}
	s.stop() // what SIGTERM does: cancel the serve context
	if r := <-replied; r.code != 200 || r.body != "OK" {
		t.Fatalf("in-flight request during shutdown: %d %q", r.code, r.body)
	}
	ds := deliveriesJSON(t, db)
	if len(ds) != 1 || ds[0]["status"] != "delivered" {
		t.Fatalf("the delivery in flight at shutdown should be recorded as delivered: %v", ds)
	}
}
