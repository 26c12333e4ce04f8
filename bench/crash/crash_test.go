// Package crash proves that Hookboard keeps its word across a hard crash:
// the real binary runs under incoming-webhook load, is killed with SIGKILL
// in the middle, and is started again on the same database file.
package crash

import (
	"bufio"
	"context"
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hookboard/internal/testdb"
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

// command is the binary run on db with its key file (see testdb.KeyFile):
// every process on one database must read its secrets with the same key.
func command(bin, db string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOOKBOARD_KEY_FILE="+testdb.KeyFile(db))
	return cmd
}

// openStore opens db as the servers on it do.
func openStore(t *testing.T, db string) *store.Store {
	t.Helper()
	st, err := store.Open(db, store.Options{KeyFile: testdb.KeyFile(db)})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var listenAddr = regexp.MustCompile(`msg="hookboard listening" addr=(\S+)`)

// start runs `hookboard serve` on db and waits until it listens. On the
// first start it also returns the incoming token from the first-run banner.
func start(t *testing.T, bin, db string, extra ...string) (*server, string) {
	t.Helper()
	args := append([]string{"serve", "-db", db, "-addr", "127.0.0.1:0", "-shutdown-timeout", "5s",
		"-allow-webhook-nets", "loopback"}, extra...)
	cmd := command(bin, db, args...)
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

// receiver is a webhook receiver that counts the task.create events it
// accepted per task id. While down it answers 500 to everything and counts
// nothing, so a delivery it counts was made while it was up.
type receiver struct {
	srv     *httptest.Server
	down    atomic.Bool
	refused atomic.Int64
	mu      sync.Mutex
	tasks   map[int64]int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{tasks: map[int64]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			r.refused.Add(1)
			// 500 without Retry-After: the sender retries on its schedule.
			http.Error(w, "receiver down", http.StatusInternalServerError)
			return
		}
		var body struct {
			EventName string `json:"event_name"`
			EventData struct {
				TaskID int64 `json:"task_id"`
			} `json:"event_data"`
		}
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if body.EventName == store.EventTaskCreate {
			r.mu.Lock()
			r.tasks[body.EventData.TaskID]++
			r.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tasks[id] > 0
}

// longCrash runs the long version: deliveries in the background (the server
// answers before its webhooks go out, so the kill leaves deliveries behind)
// and a wait for the retry worker to take them after their 30 s lease.
func longCrash() bool { return os.Getenv("HOOKBOARD_CRASH_LONG") != "" }

func TestAcknowledgedTasksSurviveSIGKILL(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "hookboard.db")
	var extra []string
	if longCrash() {
		extra = []string{"-delivery-wait", "0"}
	}
	srv, token := start(t, bin, db, extra...)
	if token == "" {
		t.Fatal("first start printed no incoming URL")
	}
	rcv := newReceiver(t)
	if out, err := exec.Command(bin, "webhook", "add", "-db", db, "-allow-webhook-nets", "loopback", "-url", rcv.srv.URL+"/hook", "-json").CombinedOutput(); err != nil {
		t.Fatalf("webhook add: %v\n%s", err, out)
	}

	var acked, lastRound []ack
	rounds := crashRounds(t)
	for round := range rounds {
		// In the last round the receiver is down until the server has been
		// killed and started again: every webhook of that round's
		// acknowledged tasks fails its first attempt (before the OK) and can
		// only reach the receiver from the restarted server's retry worker.
		last := round == rounds-1
		rcv.down.Store(last)
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
		if last {
			lastRound = roundAcks
			// The killed server refused-and-scheduled these webhooks; it is
			// dead now, so what the receiver accepts from here on comes
			// from the restarted server. Up before the restart, so the new
			// worker's first retry cannot hit a receiver still down.
			if n := rcv.refused.Load(); !longCrash() && n < int64(len(lastRound)) {
				t.Fatalf("receiver refused %d webhooks while down, want at least the %d acknowledged", n, len(lastRound))
			}
			rcv.down.Store(false)
		}
		// Restarted on its address, as a service manager would: the same
		// instance, so its worker takes over at once what the killed run
		// owed.
		srv, _ = start(t, bin, db, append(slices.Clip(extra), "-addr", strings.TrimPrefix(srv.base, "http://"))...)
	}

	// Every acknowledged task reaches the receiver: before its OK when the
	// request waits for its webhooks (the default) and the receiver is up,
	// else from the retry worker of a later run: at once for a delivery the
	// dead run leased and never recorded an attempt of (the restarted
	// instance's worker takes those over), after 5 s for one whose failed
	// attempt was recorded.
	wait := 20 * time.Second
	if longCrash() {
		wait = 90 * time.Second
	}
	mustDeliver := acked
	if longCrash() {
		// Also the tasks committed by requests that the kill cut off before
		// their answer: their webhooks were owed just the same.
		mustDeliver = allTasks(t, db)
	}
	deadline := time.Now().Add(wait)
	var undelivered []ack
	for {
		undelivered = undelivered[:0]
		for _, a := range mustDeliver {
			if !rcv.got(a.taskID) {
				undelivered = append(undelivered, a)
			}
		}
		if len(undelivered) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	srv.stop(t)
	for i, a := range undelivered {
		if i == 5 {
			break
		}
		t.Errorf("task %q (id %d): no task.create reached the receiver", a.title, a.taskID)
	}
	if len(undelivered) > 0 {
		t.Fatalf("%d of %d tasks had no task.create delivered within %s", len(undelivered), len(mustDeliver), wait)
	}

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
	t.Logf("%d acknowledged (%d of them delivered only after the last restart), %d tasks and %d task.create events after %d crashes",
		len(acked), len(lastRound), tasks, events, rounds)
}

// allTasks lists every task in the database (read while the server runs:
// WAL lets a reader in beside it). Task ids are dense: nothing deletes here.
func allTasks(t *testing.T, db string) []ack {
	t.Helper()
	st := openStore(t, db)
	defer st.Close()
	ctx := context.Background()
	// Listed, not counted through ids 1..n: on PostgreSQL a transaction
	// cut off by SIGKILL has used up its identity value, so ids have gaps.
	projects, err := st.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []ack
	for _, p := range projects {
		tasks, err := st.Tasks(ctx, p.ID, store.TaskAny)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			out = append(out, ack{title: task.Title, taskID: task.ID})
		}
	}
	n, err := st.TaskCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(out)) != n {
		t.Fatalf("listed %d tasks in %d projects, but the database counts %d", len(out), len(projects), n)
	}
	return out
}
