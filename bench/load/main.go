// Command load measures Hookboard under concurrent load, side by side with a
// bare Go + SQLite baseline run in the same invocation, so the figures are a
// ratio that machine noise affects alike.
//
//	go run ./bench/load -all                     # every phase of the targets, judged (about 10 minutes)
//	go run ./bench/load                          # in-process server, incoming + JSON-RPC, c=16,64, 5 s each
//	go run ./bench/load -server binary           # the real binary as a child process (its own peak RSS)
//	go run ./bench/load -work incoming -c 16 -d 10s
//	go run ./bench/load -receivers 1,10 -hang 10 # event fan-out and a receiver that never answers
//	go run ./bench/load -server url -url http://127.0.0.1:8080 -token TOKEN
//	go run ./bench/load -db postgres://user@host/db  # also one and two instances on PostgreSQL
//
// It ends with a markdown summary and, for the targets its phases
// measured (every one with -all), a table of what was met; it exits with
// status 3 when a target is missed.
// See docs/BENCHMARKS.md for what each figure means.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof" // served with -pprof
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hookboard/store"
)

type options struct {
	all         bool
	work        []string
	conc        []int
	duration    time.Duration
	warmup      time.Duration
	baseline    bool
	server      string
	bin         string
	url         string
	token       string
	apiToken    string
	receivers   []int
	hang        int
	hangC       []int
	fanC        []int
	rcvTimeout  time.Duration
	timeout     time.Duration
	client      string
	receiver    string
	rounds      int
	openLoop    bool
	jsonOut     string
	deliverWait time.Duration
	cpuProfile  string
	pprofAddr   string
	pgDSN       string // -db: a PostgreSQL server for the PostgreSQL phases
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-serve-baseline" {
		if err := serveBaseline(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(1)
		}
		return
	}
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fail(err)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if o.pprofAddr != "" {
		// The default mux holds net/http/pprof's handlers.
		go func() { fmt.Fprintln(os.Stderr, "pprof:", http.ListenAndServe(o.pprofAddr, nil)) }()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	verdicts, err := run(ctx, o, os.Stdout)
	pprof.StopCPUProfile()
	if err != nil {
		fail(err)
	}
	if missed := countMissed(verdicts); missed > 0 {
		fmt.Fprintf(os.Stderr, "load: %d of %d targets missed\n", missed, len(verdicts))
		os.Exit(3)
	}
}

// parseFlags reads the command line. -all sets every phase the
// targets need (the real binary, the baseline, incoming and JSON-RPC at 16
// and 64, fan-out to 1 and 10 receivers, 10 hung endpoints) unless a flag
// given explicitly says otherwise.
func parseFlags(args []string, errOut io.Writer) (options, error) {
	var o options
	var work, conc, receivers, hangC, fanC string
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.BoolVar(&o.all, "all", false, "run every phase the targets need and judge each target (see docs/BENCHMARKS.md)")
	fs.StringVar(&work, "work", "incoming,jsonrpc", "workloads, comma-separated: incoming, jsonrpc")
	fs.StringVar(&conc, "c", "16,64", "concurrency levels, comma-separated")
	fs.DurationVar(&o.duration, "d", 5*time.Second, "measured duration of each phase (-all: 10s)")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured warm-up before each phase")
	fs.BoolVar(&o.baseline, "baseline", true, "also run the bare Go + SQLite baseline, alternating with Hookboard")
	fs.IntVar(&o.rounds, "rounds", 1, "how many times to alternate baseline and Hookboard per level (-all: 3)")
	fs.StringVar(&o.server, "server", "inproc", "inproc (handlers.New in this process), binary (the real binary as a child process), or url (-all: binary)")
	fs.StringVar(&o.bin, "bin", "", "with -server binary: the hookboard binary (default: go build it)")
	fs.StringVar(&o.url, "url", "", "with -server url: Hookboard's base URL")
	fs.StringVar(&o.token, "token", "", "with -server url: an incoming integration token")
	fs.StringVar(&o.apiToken, "api-token", "", "with -server url: an API integration token (for jsonrpc)")
	fs.StringVar(&receivers, "receivers", "", "event fan-out phases: numbers of fast local receivers, e.g. 1,10 (-all: 1,10)")
	fs.IntVar(&o.hang, "hang", 0, "slow-receiver phase: this many endpoints on one receiver that never answers (-all: 10)")
	fs.StringVar(&hangC, "hang-c", "1,4", "concurrency levels of the slow-receiver phase")
	fs.StringVar(&fanC, "fanout-c", "1,16", "concurrency levels of the fan-out phases")
	fs.BoolVar(&o.openLoop, "open-loop", true, "after each fan-out round at a level above 1, also measure no receiver and the most receivers in an open loop at half the rate the server answered with them (the ten-receiver target is judged on it)")
	fs.DurationVar(&o.rcvTimeout, "receiver-timeout", time.Second, "endpoint timeout of the receivers")
	fs.DurationVar(&o.deliverWait, "delivery-wait", 10*time.Second, "server's -delivery-wait")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "client timeout of one request")
	fs.StringVar(&o.client, "client", clientLean, "load generator: lean (one HTTP/1.1 connection per worker, no per-request goroutines; https targets use net/http) or net/http (Go's client, which costs the shared CPUs about as much per request as the server)")
	fs.StringVar(&o.receiver, "receiver", receiverLean, "webhook receivers of the fan-out phases: lean (one goroutine per connection, constant reply) or net/http (Go's server, which costs the shared CPUs more per webhook than the lean one)")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (in-process servers included) to this file")
	fs.StringVar(&o.pgDSN, "db", "", "a postgres:// URL: also run the incoming and JSON-RPC phases on one and on two hookboard instances on PostgreSQL, each run in a fresh schema there (the URL's user creates and drops it)")
	fs.StringVar(&o.pprofAddr, "pprof", "", "serve net/http/pprof of this process (in-process servers included) on this address, e.g. 127.0.0.1:6060")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.all {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["server"] {
			o.server = "binary"
		}
		if !set["d"] {
			o.duration = 10 * time.Second
		}
		if !set["rounds"] {
			o.rounds = 3
		}
		if !set["receivers"] {
			receivers = "1,10"
		}
		if !set["hang"] {
			o.hang = 10
		}
		if !set["work"] {
			work = "incoming,jsonrpc"
		}
		if !set["c"] {
			conc = "16,64"
		}
		if !set["baseline"] {
			o.baseline = true
		}
	}
	if o.pgDSN != "" {
		if !store.IsPostgres(o.pgDSN) {
			return o, fmt.Errorf("-db must be a postgres:// or postgresql:// URL")
		}
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "server" })
		if set && o.server != "binary" {
			return o, fmt.Errorf("-db runs the real binary: leave -server out or set it to binary")
		}
		o.server = "binary"
	}
	if o.client != clientLean && o.client != clientNetHTTP {
		return o, fmt.Errorf("-client must be %s or %s", clientLean, clientNetHTTP)
	}
	if o.receiver != receiverLean && o.receiver != receiverNetHTTP {
		return o, fmt.Errorf("-receiver must be %s or %s", receiverLean, receiverNetHTTP)
	}
	var err error
	o.work = splitList(work)
	if o.conc, err = intList(conc); err != nil {
		return o, fmt.Errorf("-c: %w", err)
	}
	if o.receivers, err = intList(receivers); err != nil {
		return o, fmt.Errorf("-receivers: %w", err)
	}
	if o.hangC, err = intList(hangC); err != nil {
		return o, fmt.Errorf("-hang-c: %w", err)
	}
	if o.fanC, err = intList(fanC); err != nil {
		return o, fmt.Errorf("-fanout-c: %w", err)
	}
	return o, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func intList(s string) ([]int, error) {
	var out []int
	for _, p := range splitList(s) {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", p)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, o options, out io.Writer) ([]verdict, error) {
	dir, err := os.MkdirTemp("", "hookboard-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	mkdir := func(name string) string {
		p := dir + "/" + name
		os.MkdirAll(p, 0o700)
		return p
	}

	var hb *target
	switch o.server {
	case "inproc":
		hb, err = startInproc(ctx, mkdir("hookboard"), o.deliverWait)
	case "binary":
		hb, err = startBinary(ctx, mkdir("hookboard"), o.bin, o.deliverWait)
		if err == nil && o.bin == "" {
			o.bin = hb.bin // build once, for the slow-receiver server too
		}
	case "url":
		if o.url == "" || o.token == "" {
			return nil, fmt.Errorf("-server url needs -url and -token")
		}
		hb = startURL(o.url, o.token, o.apiToken)
	default:
		return nil, fmt.Errorf("-server must be inproc, binary or url")
	}
	if err != nil {
		return nil, fmt.Errorf("start hookboard: %w", err)
	}
	defer hb.close()

	var base *target
	if o.baseline {
		if o.server == "binary" {
			base, err = startBaselineChild(mkdir("baseline"))
		} else {
			base, err = startBaselineInproc(mkdir("baseline"))
		}
		if err != nil {
			return nil, fmt.Errorf("start baseline: %w", err)
		}
		defer base.close()
	}

	// One and two instances on PostgreSQL, each pair on a schema of its own.
	var pgs []*target
	pgText := ""
	if o.pgDSN != "" {
		pg, err := openPGServer(ctx, o.pgDSN)
		if err != nil {
			return nil, err
		}
		defer pg.close()
		pgText = ", PostgreSQL " + pg.version
		for _, s := range []struct {
			name string
			n    int
		}{{serverPG1, 1}, {serverPG2, 2}} {
			t, err := startPostgres(ctx, pg, s.name, mkdir(s.name), o.bin, s.n, o.deliverWait)
			if err != nil {
				return nil, fmt.Errorf("start %s of hookboard on PostgreSQL %s: %w", pgServerText(s.name), store.RedactDSN(o.pgDSN), err)
			}
			defer t.close()
			pgs = append(pgs, t)
		}
	}

	client := o.client
	if _, plain, _ := parseWireTarget(hb.base); client == clientLean && !plain {
		client = clientNetHTTP + " (https)" // as newCall decides
	}
	rcv := ""
	if len(o.receivers) > 0 || o.hang > 0 {
		rcv = ", receiver=" + o.receiver
	}
	header := fmt.Sprintf("server=%s%s, client=%s%s, %s per phase, GOMAXPROCS=%d, %s",
		o.server, pgText, client, rcv, o.duration, runtime.GOMAXPROCS(0), machine())
	fmt.Fprintln(out, "hookboard load:", header)
	if hb.rssOf != "" {
		fmt.Fprintf(out, "peak RSS of hookboard: %s\n", hb.rssOf)
	}
	var all []result
	phase := func(t *target, do call, c int, rate float64, label string) result {
		cpu0 := t.cpuTime()
		var w0 store.WriteStats
		if t.store != nil {
			w0 = t.store.WriteStats()
		}
		d, warm := o.duration, o.warmup
		if strings.HasSuffix(label, "hung") {
			// Every request takes about the receiver's timeout: measure
			// each one, and for long enough to see a few.
			d, warm = max(d, 3*o.rcvTimeout), 0
		}
		r := drive(ctx, c, rate, d, warm, o.timeout, do)
		if cpu1 := t.cpuTime(); cpu1 > cpu0 && r.Requests > 0 {
			// The warm-up's requests are not counted but its CPU is: scale.
			total := r.PerSecond * (r.Seconds + warm.Seconds())
			r.CPUPerReq = time.Duration(float64(cpu1-cpu0) / total)
		}
		if t.store != nil {
			w1 := t.store.WriteStats()
			if n := w1.Commits - w0.Commits; n > 0 {
				r.CallsPerCommit = float64(w1.Calls-w0.Calls) / float64(n)
			}
		}
		r.Work, r.Server = label, t.name
		r.PeakRSS, r.RSSOf = t.peakRSS(), t.rssOf
		printTable(out, []result{r})
		all = append(all, r)
		return r
	}

	for _, work := range o.work {
		// Each round runs every server in turn: the baseline, Hookboard,
		// then Hookboard on PostgreSQL.
		servers := append([]*target{base, hb}, pgs...)
		calls := make([]call, len(servers))
		for i, t := range servers {
			if t == nil {
				continue
			}
			if calls[i], err = workload(t, work, o.client); err != nil {
				fmt.Fprintf(out, "skip %s on %s: %v\n", work, t.name, err)
			}
		}
		if calls[1] == nil && len(pgs) == 0 {
			continue // not even Hookboard answers it: no comparison
		}
		for _, c := range o.conc {
			for range o.rounds {
				for i, t := range servers {
					if calls[i] != nil {
						phase(t, calls[i], c, 0, work)
					}
				}
			}
		}
	}

	if len(o.receivers) > 0 || o.hang > 0 {
		// phase records the fan-out results itself.
		if err := runFanout(ctx, o, hb, mkdir, phase, out); err != nil {
			fmt.Fprintf(out, "fan-out not measured: %v\n", err)
		}
	}

	fmt.Fprintln(out)
	fmt.Fprintf(out, "## Summary (%s)\n\n", header)
	printMarkdown(out, all)
	fmt.Fprintln(out)
	printRatios(out, all)
	for _, t := range append([]*target{hb}, pgs...) {
		printServerErrors(out, t)
	}
	verdicts := checkTargets(all, o, o.all)
	if len(verdicts) > 0 {
		fmt.Fprintln(out)
		fmt.Fprintln(out, "## Targets")
		fmt.Fprintln(out)
		printVerdicts(out, verdicts)
	}
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(struct {
			Machine  string    `json:"machine"`
			Results  []result  `json:"results"`
			Verdicts []verdict `json:"targets"`
		}{header, all, verdicts}, "", "  ")
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			return nil, err
		}
	}
	return verdicts, nil
}

// printRatios sets each Hookboard figure against the baseline's at the same
// workload and concurrency (medians over the rounds).
func printRatios(out io.Writer, all []result) {
	type key struct {
		work string
		c    int
	}
	// The phases Hookboard (SQLite) ran, in their order.
	var keys []key
	for _, r := range all {
		if k := (key{r.Work, r.Concurrency}); r.Server == "hookboard" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		bl := rows(all, k.work, "baseline", k.c)
		if len(bl) == 0 {
			continue
		}
		hb := rows(all, k.work, "hookboard", k.c)
		ratio, _ := pairedRatio(hb, bl)
		fmt.Fprintf(out, "- ratio %s c=%d: hookboard/baseline throughput = %.2f\n", k.work, k.c, ratio)
	}
	// Hookboard on PostgreSQL against Hookboard on SQLite of the same rounds.
	for _, k := range keys {
		for _, server := range []string{serverPG1, serverPG2} {
			if pg := rows(all, k.work, server, k.c); len(pg) > 0 {
				ratio, _ := pairedRatio(pg, rows(all, k.work, "hookboard", k.c))
				fmt.Fprintf(out, "- ratio %s c=%d: %s/hookboard (SQLite) throughput = %.2f\n", k.work, k.c, server, ratio)
			}
		}
	}
}

// printServerErrors shows the warnings and errors a server process logged,
// the first few of each process: a reply counted as an error says what the
// client saw, the server's log says why.
func printServerErrors(out io.Writer, t *target) {
	for i, l := range t.logs {
		n, first := l.errorLines()
		if n == 0 {
			continue
		}
		who := t.name
		if len(t.logs) > 1 {
			who += fmt.Sprintf(" (instance %d)", i+1)
		}
		fmt.Fprintf(out, "\n%s logged %d warnings and errors; the first:\n", who, n)
		for _, line := range first {
			fmt.Fprintf(out, "    %s\n", line)
		}
	}
}

// The clients -client chooses from.
const (
	clientLean    = "lean"
	clientNetHTTP = "net/http"
)

// workload builds the call for one kind of request against a target
// (newCall) and, for JSON-RPC, checks that the server answers it.
func workload(t *target, work, client string) (call, error) {
	if len(t.instances) > 0 {
		calls := make([]call, len(t.instances))
		for i, in := range t.instances {
			do, err := workload(in, work, client)
			if err != nil {
				return nil, fmt.Errorf("instance %d: %w", i+1, err)
			}
			calls[i] = do
		}
		return splitCall(calls), nil
	}
	do, err := newCall(t, work, client)
	if err != nil {
		return nil, err
	}
	if work != "incoming" {
		if err := probeRPC(do); err != nil {
			return nil, err
		}
	}
	return do, nil
}

// newCall builds the call for one kind of request against a target, on the
// lean HTTP/1.1 client (wire.go) or on net/http. An https target always
// goes through net/http: the lean client speaks plain HTTP only.
func newCall(t *target, work, client string) (call, error) {
	var (
		endpoint string
		incoming = work == "incoming"
	)
	switch work {
	case "incoming":
		endpoint = t.base + t.incomingPath + "&title=load+"
	case "jsonrpc":
		if t.rpcPath == "" {
			return nil, fmt.Errorf("no API token for JSON-RPC")
		}
		endpoint = t.base + t.rpcPath
	default:
		return nil, fmt.Errorf("unknown workload %q", work)
	}
	wt, plain, err := parseWireTarget(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%s URL: %w", work, err)
	}
	switch { // parseFlags allows only lean and net/http
	case client == clientLean && plain && incoming:
		return func(ctx context.Context, w int, timeout time.Duration) requester {
			return newWireIncoming(ctx, wt, w, timeout)
		}, nil
	case client == clientLean && plain:
		return func(ctx context.Context, w int, timeout time.Duration) requester {
			return newWireRPC(ctx, wt, t.apiToken, w, timeout)
		}, nil
	case incoming:
		return func(_ context.Context, w int, timeout time.Duration) requester {
			prefix := endpoint + strconv.Itoa(w) + "-"
			return httpRequester{newClient(timeout), func(ctx context.Context, c *http.Client, seq int) string {
				return getText(ctx, c, prefix+strconv.Itoa(seq), "OK")
			}}
		}, nil
	default:
		return func(_ context.Context, w int, timeout time.Duration) requester {
			return httpRequester{newClient(timeout), func(ctx context.Context, c *http.Client, seq int) string {
				return createTaskRPC(ctx, c, endpoint, t.apiToken, w, seq)
			}}
		}, nil
	}
}

// probeRPC checks that the server answers createTask before measuring it.
func probeRPC(do call) error {
	ctx := context.Background()
	r := do(ctx, 0, 10*time.Second)
	defer r.close()
	if kind := r.do(ctx, -1); kind != "" {
		return fmt.Errorf("JSON-RPC createTask does not work on this server yet (%s)", kind)
	}
	return nil
}

func createTaskRPC(ctx context.Context, c *http.Client, endpoint, token string, w, seq int) string {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","method":"createTask","id":%d,"params":{"title":"load %d-%d","project_id":1}}`,
		seq+2, w, seq)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		return "bad request"
	}
	req.SetBasicAuth("jsonrpc", token)
	req.Header.Set("Content-Type", "application/json")
	status, raw, err := replyOf(c.Do(req))
	if err != nil {
		return "transport"
	}
	var reply rpcReply
	return reply.check(status, raw)
}
