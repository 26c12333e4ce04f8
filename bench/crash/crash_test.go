// Package crash proves that Hookboard keeps its word across a hard crash:
// the real binary runs under incoming-webhook load, is killed with SIGKILL
// in the middle, and is started again on the same database file.
package crash

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hookboard/store"
)

// ack is one request the server answered 200 "OK".
type ack struct {
	title  string
	taskID int64
}

// server is one run of the binary.
type server struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	done chan struct{}
}

// buildBinary compiles the real hookboard command into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the go tool is needed to build the binary: %v", err)
		}
		t.Skipf("the go tool is needed to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "hookboard")
	out, err := exec.Command(goTool, "build", "-o", bin, "hookboard").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var listenAddr = regexp.MustCompile(`msg="hookboard listening" addr=(\S+)`)

// start runs `hookboard serve` on db and waits until it listens. On the
// first start it also returns the incoming token from the first-run banner.
func start(t *testing.T, bin, db string) (*server, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-db", db, "-addr", "127.0.0.1:0", "-shutdown-timeout", "5s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() { s.kill() })

	tokenCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "curl '"); ok {
				if u, err := url.Parse(strings.TrimSuffix(rest, "'")); err == nil {
					tokenCh <- u.Query().Get("token")
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := listenAddr.FindStringSubmatch(sc.Text()); m != nil {
				addrCh <- m[1]
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		cmd.Wait()
		close(s.done)
	}()

	select {
	case addr := <-addrCh:
		s.base = "http://" + addr
	case <-s.done:
		t.Fatal("server exited before listening")
	case <-time.After(60 * time.Second):
		t.Fatal("server did not listen within 60 s")
	}
	select {
	case tok := <-tokenCh:
		return s, tok
	case <-time.After(200 * time.Millisecond):
		return s, "" // a restart prints no banner
	}
}

func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop shuts the server down the normal way (SIGTERM).
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Error("server did not stop within 30 s of SIGTERM")
		s.kill()
	}
}

// load fires incoming-webhook requests from `workers` goroutines until stop
// is closed, and returns every request answered 200 "OK", with the task id
// the server reported.
func load(base, token string, workers int, round int, stop <-chan struct{}, count *atomic.Int64) []ack {
	client := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var mu sync.Mutex
	var acks []ack
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				title := fmt.Sprintf("crash r%d w%d #%d", round, w, seq)
				u := base + "/?controller=webhook&action=task&token=" + url.QueryEscape(token) + "&title=" + url.QueryEscape(title)
				resp, err := client.Get(u)
				if err != nil {
					continue // the server is gone: keep trying until told to stop
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(body) != "OK" {
					continue
				}
				id, err := strconv.ParseInt(resp.Header.Get("X-Hookboard-Task-Id"), 10, 64)
				if err != nil {
					id = 0
				}
				mu.Lock()
				acks = append(acks, ack{title: title, taskID: id})
				mu.Unlock()
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return acks
}

// crashRounds is how many times the server is killed: 2 in `go test`, more
// with HOOKBOARD_CRASH_ROUNDS for a longer soak.
func crashRounds(t *testing.T) int {
	if v := os.Getenv("HOOKBOARD_CRASH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("HOOKBOARD_CRASH_ROUNDS=%q is not a positive number", v)
		}
		return n
	}
	return 2
}

func TestAcknowledgedTasksSurviveSIGKILL(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "hookboard.db")
	srv, token := start(t, bin, db)
	if token == "" {
		t.Fatal("first start printed no incoming URL")
	}

	var acked []ack
	for round := range crashRounds(t) {
		stop := make(chan struct{})
		got := make(chan []ack, 1)
		var count atomic.Int64
		go func() { got <- load(srv.base, token, 8, round, stop, &count) }()
		// Kill in the middle of the load, once a fair number of tasks were
		// acknowledged (or after a while on a slow machine).
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) && count.Load() < 300 {
			time.Sleep(20 * time.Millisecond)
		}
		srv.kill()
		time.Sleep(50 * time.Millisecond) // let in-flight requests fail
		close(stop)
		roundAcks := <-got
		if len(roundAcks) == 0 {
			t.Fatalf("round %d: no request was acknowledged before the kill", round)
		}
		t.Logf("round %d: %d tasks acknowledged, then SIGKILL", round, len(roundAcks))
		acked = append(acked, roundAcks...)
		srv, _ = start(t, bin, db)
	}
	srv.stop(t)

	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	missing := 0
	for _, a := range acked {
		task, err := st.TaskByID(ctx, a.taskID)
		if err != nil || task.Title != a.title {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged task %q (id %d) is not in the database after the crash: %v", a.title, a.taskID, err)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged tasks lost", missing, len(acked))
	}

	// The outbox: every task that exists has its task.create event, whether
	// or not its request was answered before the kill.
	tasks, err := st.TaskCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events, err := st.EventCount(ctx, store.EventTaskCreate)
	if err != nil {
		t.Fatal(err)
	}
	if tasks != events || tasks < int64(len(acked)) {
		t.Fatalf("%d tasks, %d task.create events, %d acknowledged: want tasks = events >= acknowledged", tasks, events, len(acked))
	}
	t.Logf("%d acknowledged, %d tasks and %d task.create events after %d crashes", len(acked), tasks, events, crashRounds(t))
}
