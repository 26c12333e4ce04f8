package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"hookboard/handlers"
	"hookboard/store"
)

// target is a running server the load is aimed at.
type target struct {
	name         string
	base         string // http://host:port, no trailing slash
	incomingPath string // path and fixed query of the incoming URL, token included
	rpcPath      string // "" when the server has no JSON-RPC endpoint
	apiToken     string
	pid          int    // process whose peak RSS is reported (0: unknown)
	morePids     []int  // further server processes of the target (several instances)
	rssOf        string // what that RSS covers
	store        *store.Store
	logs         []*childStream // standard error of its server processes
	// instances are the servers of one database that share the load
	// (splitCall); nil for one server.
	instances []*target
	bin       string // the hookboard binary, when the target is one
	closeFn   func()
	// setReceivers makes exactly urls the enabled endpoints (nil when the
	// target's database is out of reach).
	setReceivers func(urls []string, timeout time.Duration) error
}

func (t *target) close() {
	if t.closeFn != nil {
		t.closeFn()
	}
}

// incomingPath is the path and fixed query of Hookboard's incoming URL
// (Kanboard's form) for token; the load appends &title=.
func incomingPath(token string) string {
	return "/?controller=webhook&action=task&token=" + url.QueryEscape(token)
}

// peakRSS reads VmHWM (the resident set's high-water mark) of the target's
// process from /proc; of several processes, the highest.
func (t *target) peakRSS() int64 {
	if t.pid == 0 {
		return 0
	}
	peak := vmHWM(t.pid)
	for _, pid := range t.morePids {
		peak = max(peak, vmHWM(pid))
	}
	return peak
}

// cpuTime is the CPU time (user + system) the target's processes have used
// so far, or 0 when the target shares this process or is out of reach.
func (t *target) cpuTime() time.Duration {
	if t.pid == 0 || t.pid == os.Getpid() {
		return 0
	}
	total := cpuOf(t.pid)
	for _, pid := range t.morePids {
		total += cpuOf(pid)
	}
	return total
}

// cpuOf is the CPU time (user + system) process pid has used so far, or 0
// when it cannot be read.
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after ')'.
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}

func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// discardLogger formats every log line as production does and drops it, so
// the server pays for logging but the terminal stays readable.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startInproc runs Hookboard's real handlers (handlers.New on a fresh
// database) behind a real net/http server on 127.0.0.1, in this process.
func startInproc(ctx context.Context, dir string, deliveryWait time.Duration) (*target, error) {
	st, err := store.Open(filepath.Join(dir, "hookboard.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	first, _, err := st.Bootstrap(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	_, api, err := st.CreateIntegration(ctx, store.NewIntegration{Name: "load api", Kind: store.KindAPI})
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	deps := handlers.Deps{
		Store:  st,
		Logger: discardLogger(),
		Config: handlers.Config{BaseURL: base, Version: "load"},
	}
	stopNotifier, err := wireNotifier(&deps, deliveryWait)
	if err != nil {
		st.Close()
		ln.Close()
		return nil, err
	}
	app := handlers.New(deps)
	srv := &http.Server{Handler: app.Routes(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t := &target{
		name:         "hookboard",
		base:         base,
		incomingPath: incomingPath(first.IncomingToken),
		rpcPath:      "/jsonrpc.php",
		apiToken:     api.Token,
		pid:          os.Getpid(),
		rssOf:        "load process (client and servers in-process)",
		store:        st,
	}
	t.closeFn = func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		app.Close()
		stopNotifier()
		st.Close()
	}
	t.setReceivers = func(urls []string, timeout time.Duration) error {
		return setEndpoints(ctx, st, urls, timeout)
	}
	return t, nil
}

// startBinary runs the real hookboard binary as a child process, so its peak
// RSS is the server's alone. bin "" builds it first with `go build`.
func startBinary(ctx context.Context, dir, bin string, deliveryWait time.Duration) (*target, error) {
	bin, err := buildBinary(ctx, dir, bin)
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "hookboard.db")
	p, err := startServe(bin, db, nil, deliveryWait, true)
	if err != nil {
		return nil, err
	}
	// Integrations and endpoints are rows in the database file, as the
	// CLI's `integration add` and `webhook add` would write them while the
	// server runs.
	st, err := store.Open(db, store.Options{})
	if err != nil {
		p.stop()
		return nil, err
	}
	_, api, err := st.CreateIntegration(ctx, store.NewIntegration{Name: "load api", Kind: store.KindAPI})
	if err != nil {
		st.Close()
		p.stop()
		return nil, err
	}
	return &target{
		setReceivers: func(urls []string, timeout time.Duration) error {
			return setEndpoints(ctx, st, urls, timeout)
		},
		bin:          bin,
		name:         "hookboard",
		base:         p.base,
		incomingPath: incomingPath(p.token),
		rpcPath:      "/jsonrpc.php",
		apiToken:     api.Token,
		pid:          p.cmd.Process.Pid,
		rssOf:        "hookboard server process",
		logs:         []*childStream{p.log},
		closeFn: func() {
			st.Close()
			p.stop()
		},
	}, nil
}

// buildBinary returns bin, or when it is "" builds hookboard into dir.
func buildBinary(ctx context.Context, dir, bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	bin = filepath.Join(dir, "hookboard")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "hookboard")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build hookboard: %w", err)
	}
	return bin, nil
}

// serveProc is one `hookboard serve` child process.
type serveProc struct {
	cmd   *exec.Cmd
	base  string // http://host:port, as it logged when listening
	token string // the incoming token of its first-run banner, when one was awaited
	log   *childStream
	done  chan struct{} // closed when the process has exited
}

// startServe starts `bin serve` on db with extra environment variables
// and waits until it listens. With banner it also waits for the first-run
// banner (a fresh database) and reads the incoming token from it; a server
// started on a database another one set up prints none. A server that
// exits or does not listen in time is reported with the last lines it
// wrote to standard error.
func startServe(bin, db string, env []string, deliveryWait time.Duration, banner bool) (*serveProc, error) {
	cmd := exec.Command(bin, "serve", "-db", db, "-addr", "127.0.0.1:0", "-allow-webhook-nets", "loopback",
		"-delivery-wait", deliveryWait.String())
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	// The request log is read and dropped (only its warnings, errors and
	// last lines are kept): the server still formats and writes every line.
	p := &serveProc{cmd: cmd, log: newChildStream(`msg="hookboard listening"`), done: make(chan struct{})}
	out := newChildStream("curl '")
	cmd.Stdout, cmd.Stderr = out, p.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	wait := func(s *childStream, what string) (string, error) {
		select {
		case line := <-s.caught:
			return line, nil
		case <-p.done:
			return "", fmt.Errorf("server exited before %s (%s); it wrote:\n%s", what, cmd.ProcessState, p.log.lastLines())
		case <-time.After(30 * time.Second):
			p.stop()
			return "", fmt.Errorf("server did not print %s in time; it wrote:\n%s", what, p.log.lastLines())
		}
	}
	line, err := wait(p.log, "that it listens")
	if err != nil {
		return nil, err
	}
	addr := listenAddr.FindStringSubmatch(line)
	if addr == nil {
		p.stop()
		return nil, fmt.Errorf("no address in the server's line %q", line)
	}
	p.base = "http://" + addr[1]
	if banner {
		curl, err := wait(out, "its incoming URL")
		if err != nil {
			return nil, err
		}
		incoming := strings.TrimSuffix(strings.TrimPrefix(curl, "curl '"), "'")
		u, err := url.Parse(incoming)
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("first-run curl URL %q: %w", incoming, err)
		}
		p.token = u.Query().Get("token")
	}
	return p, nil
}

var listenAddr = regexp.MustCompile(`\baddr=(\S+)`)

// stop ends the server as SIGINT does, and kills it when that takes longer
// than its shutdown timeout.
func (p *serveProc) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// childStream takes what a child server writes to one stream: it catches
// the first line containing want (handed once to caught), and keeps the
// last lines and the first warnings and errors, not the request log.
type childStream struct {
	mu      sync.Mutex
	want    string
	caught  chan string
	partial []byte   // a line not ended yet
	tail    []byte   // the last lines, at most tailBytes
	errs    []string // the first maxErrLines lines at level WARN or ERROR
	nErrs   int
}

const (
	tailBytes   = 4 << 10
	maxErrLines = 5
)

func newChildStream(want string) *childStream {
	return &childStream{want: want, caught: make(chan string, 1)}
}

func (s *childStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := append(s.partial, p...)
	end := bytes.LastIndexByte(data, '\n') + 1
	lines := data[:end]
	s.partial = append([]byte(nil), data[end:]...)
	if s.want != "" {
		if i := bytes.Index(lines, []byte(s.want)); i >= 0 {
			s.caught <- strings.TrimSpace(string(lineAt(lines, i)))
			s.want = ""
		}
	}
	// The log lines of warnings and errors, in the order written.
	for line := range bytes.Lines(lines) {
		if !bytes.Contains(line, []byte("level=ERROR")) && !bytes.Contains(line, []byte("level=WARN")) {
			continue
		}
		if s.nErrs++; len(s.errs) < maxErrLines {
			s.errs = append(s.errs, strings.TrimSpace(string(line)))
		}
	}
	s.tail = append(s.tail, lines...)
	if len(s.tail) > tailBytes {
		s.tail = append(s.tail[:0], s.tail[len(s.tail)-tailBytes:]...)
	}
	return len(p), nil
}

// lineAt is the line of b that holds b[i], without its newline.
func lineAt(b []byte, i int) []byte {
	start := bytes.LastIndexByte(b[:i], '\n') + 1
	end := bytes.IndexByte(b[i:], '\n')
	if end < 0 {
		return b[start:]
	}
	return b[start : i+end]
}

// lastLines is what the stream kept of its end, the unfinished line included.
func (s *childStream) lastLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(string(s.tail) + string(s.partial))
}

// errorLines is how many warning and error lines the stream saw, and the first ones.
func (s *childStream) errorLines() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nErrs, slices.Clone(s.errs)
}

// startURL aims at a server someone else runs.
func startURL(base, token, apiToken string) *target {
	base = strings.TrimRight(base, "/")
	t := &target{name: "hookboard", base: base, apiToken: apiToken,
		incomingPath: incomingPath(token)}
	if apiToken != "" {
		t.rpcPath = "/jsonrpc.php"
	}
	return t
}

// The baseline is the simplest correct server the targets compare against:
// Go's net/http and the same SQLite driver, WAL, synchronous=NORMAL, one
// immediate transaction per request writing a task row and an event row on a
// single writer connection. No auth, no validation, no snapshot, no outbox.
const baselineSchema = `
CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, name TEXT NOT NULL, task_id INTEGER NOT NULL,
	created_at_ms INTEGER NOT NULL, data TEXT NOT NULL);`

func baselineHandler(db *sql.DB) http.Handler {
	create := func(ctx context.Context, title string) (int64, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		now := time.Now()
		res, err := tx.ExecContext(ctx, `INSERT INTO tasks (title, created_at) VALUES (?, ?)`, title, now.Unix())
		if err != nil {
			return 0, err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return 0, err
		}
		data := fmt.Sprintf(`{"task_id":%d,"task":{"id":%d,"title":%q}}`, id, id, title)
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (name, task_id, created_at_ms, data) VALUES ('task.create', ?, ?, ?)`,
			id, now.UnixMilli(), data); err != nil {
			return 0, err
		}
		return id, tx.Commit()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/task", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if _, err := create(r.Context(), r.URL.Query().Get("title")); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "FAILED")
			return
		}
		io.WriteString(w, "OK")
	})
	mux.HandleFunc("/jsonrpc", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Params struct {
				Title string `json:"title"`
			} `json:"params"`
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			io.WriteString(w, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`)
			return
		}
		id, err := create(r.Context(), req.Params.Title)
		if err != nil {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","error":{"code":-32000,"message":"database"},"id":%s}`, req.ID)
			return
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","result":%d,"id":%s}`, id, req.ID)
	})
	return mux
}

func openBaselineDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(baselineSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("baseline schema: %w", err)
	}
	return db, nil
}

// listenBaseline serves the baseline on a fresh database in dir, on a free
// loopback port. close stops the server and closes the database.
func listenBaseline(dir string) (base string, close func(), err error) {
	db, err := openBaselineDB(filepath.Join(dir, "baseline.db"))
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: baselineHandler(db), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		srv.Close()
		db.Close()
	}, nil
}

// startBaselineInproc runs the baseline server in this process.
func startBaselineInproc(dir string) (*target, error) {
	base, closeFn, err := listenBaseline(dir)
	if err != nil {
		return nil, err
	}
	return &target{
		name:         "baseline",
		base:         base,
		incomingPath: "/task?x=1",
		rpcPath:      "/jsonrpc",
		pid:          os.Getpid(),
		rssOf:        "load process (client and servers in-process)",
		closeFn:      closeFn,
	}, nil
}

// startBaselineChild runs the baseline in a child process (this program,
// re-executed with -serve-baseline) so its peak RSS is its own.
func startBaselineChild(dir string) (*target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve-baseline", dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		stop()
		return nil, fmt.Errorf("baseline child did not start: %q %v", line, err)
	}
	return &target{
		name:         "baseline",
		base:         base,
		incomingPath: "/task?x=1",
		rpcPath:      "/jsonrpc",
		pid:          cmd.Process.Pid,
		rssOf:        "baseline server process",
		closeFn:      stop,
	}, nil
}

// serveBaseline is the child side of startBaselineChild: it prints its
// address and serves until SIGINT or SIGTERM.
func serveBaseline(dir string) error {
	base, closeFn, err := listenBaseline(dir)
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("listening %s\n", base)
	<-ctx.Done()
	return nil
}
