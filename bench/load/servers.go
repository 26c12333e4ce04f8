package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	"strconv"
	"strings"
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
	rssOf        string // what that RSS covers
	store        *store.Store
	bin          string // the hookboard binary, when the target is one
	closeFn      func()
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
// process from /proc.
func (t *target) peakRSS() int64 {
	if t.pid == 0 {
		return 0
	}
	return vmHWM(t.pid)
}

// cpuTime is the CPU time (user + system) the target's process has used so
// far, or 0 when the target shares this process or is out of reach.
func (t *target) cpuTime() time.Duration {
	if t.pid == 0 || t.pid == os.Getpid() {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", t.pid))
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
	if bin == "" {
		bin = filepath.Join(dir, "hookboard")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "hookboard")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("go build hookboard: %w", err)
		}
	}
	db := filepath.Join(dir, "hookboard.db")
	cmd := exec.Command(bin, "serve", "-db", db, "-addr", "127.0.0.1:0", "-allow-webhook-nets", "loopback",
		"-delivery-wait", deliveryWait.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// Logs go to /dev/null: the server still formats and writes every line.
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	incoming, err := firstRunURL(stdout, 30*time.Second)
	if err != nil {
		stop()
		return nil, err
	}
	go io.Copy(io.Discard, stdout)
	u, err := url.Parse(incoming)
	if err != nil {
		stop()
		return nil, fmt.Errorf("first-run curl URL %q: %w", incoming, err)
	}
	// Integrations and endpoints are rows in the database file, as the
	// CLI's `integration add` and `webhook add` would write them while the
	// server runs.
	st, err := store.Open(db, store.Options{})
	if err != nil {
		stop()
		return nil, err
	}
	_, api, err := st.CreateIntegration(ctx, store.NewIntegration{Name: "load api", Kind: store.KindAPI})
	if err != nil {
		st.Close()
		stop()
		return nil, err
	}
	return &target{
		setReceivers: func(urls []string, timeout time.Duration) error {
			return setEndpoints(ctx, st, urls, timeout)
		},
		bin:          bin,
		name:         "hookboard",
		base:         u.Scheme + "://" + u.Host,
		incomingPath: incomingPath(u.Query().Get("token")),
		rpcPath:      "/jsonrpc.php",
		apiToken:     api.Token,
		pid:          cmd.Process.Pid,
		rssOf:        "hookboard server process",
		closeFn: func() {
			st.Close()
			stop()
		},
	}, nil
}

// firstRunURL reads the server's first-run banner until its curl line and
// returns the URL in it.
func firstRunURL(r io.Reader, timeout time.Duration) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if rest, ok := strings.CutPrefix(line, "curl '"); ok {
				found <- strings.TrimSuffix(rest, "'")
				return
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			return "", errors.New("server exited before printing its incoming URL")
		}
		return u, nil
	case <-time.After(timeout):
		return "", errors.New("server did not print its incoming URL in time")
	}
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
