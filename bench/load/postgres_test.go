package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"hookboard/internal/testdb"
)

// -db selects the real binary and takes only a PostgreSQL URL; without it
// nothing changes.
func TestParseFlagsDB(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil || o.pgDSN != "" || o.server != "inproc" {
		t.Fatalf("without -db: %+v, %v; want no PostgreSQL and the in-process server", o, err)
	}
	const dsn = "postgres://load@127.0.0.1:5432/hb?sslmode=disable"
	for _, args := range [][]string{{"-db", dsn}, {"-db", dsn, "-server", "binary"}, {"-all", "-db", dsn}} {
		o, err := parseFlags(args, io.Discard)
		if err != nil || o.pgDSN != dsn || o.server != "binary" {
			t.Errorf("%q: %+v, %v; want the DSN and the real binary", args, o, err)
		}
	}
	for args, want := range map[string]string{
		"-db ./hookboard.db":             "-db must be a postgres:// or postgresql:// URL",
		"-db " + dsn + " -server inproc": "-db runs the real binary",
		"-db " + dsn + " -server url":    "-db runs the real binary",
	} {
		if _, err := parseFlags(strings.Fields(args), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", args, err, want)
		}
	}
}

// instanceRecorder is a requester that notes which instance served which
// worker's requests.
type instanceRecorder struct {
	instance, worker int
	log              *instanceLog
}

// instanceLog holds, for each worker, the instances that served it.
type instanceLog struct {
	mu sync.Mutex
	of map[int]map[int]bool
}

func (r instanceRecorder) do(context.Context, int) string {
	r.log.mu.Lock()
	if r.log.of[r.worker] == nil {
		r.log.of[r.worker] = map[int]bool{}
	}
	r.log.of[r.worker][r.instance] = true
	r.log.mu.Unlock()
	time.Sleep(time.Millisecond)
	return ""
}
func (r instanceRecorder) close() {}

// Two instances share the clients evenly, and every client keeps to one.
func TestSplitCallSharesClientsEvenly(t *testing.T) {
	for _, c := range []int{16, 64, 3} {
		log := &instanceLog{of: map[int]map[int]bool{}}
		calls := make([]call, 2)
		for i := range calls {
			calls[i] = func(_ context.Context, w int, _ time.Duration) requester {
				return instanceRecorder{instance: i, worker: w, log: log}
			}
		}
		r := drive(context.Background(), c, 0, 50*time.Millisecond, 0, time.Second, splitCall(calls))
		if r.Requests == 0 || len(r.Errors) > 0 {
			t.Fatalf("c=%d: %+v", c, r)
		}
		per := make([]int, 2)
		for w, instances := range log.of {
			if len(instances) != 1 {
				t.Errorf("c=%d: worker %d was served by %d instances, want one", c, w, len(instances))
			}
			for i := range instances {
				per[i]++
			}
		}
		if len(log.of) != c || per[0] != (c+1)/2 || per[1] != c/2 {
			t.Errorf("c=%d: %d workers, %v per instance; want %d and %d", c, len(log.of), per, (c+1)/2, c/2)
		}
	}
}

// The PostgreSQL targets: zero errors in every phase, and two instances at
// c=64 at least half of one SQLite instance, read as the median of the
// rounds' ratios. They are judged only with -db.
func TestPostgresTargetsJudged(t *testing.T) {
	mk := func(work, server string, c int, rate float64) result {
		return result{Work: work, Server: server, Concurrency: c, Requests: int(rate), PerSecond: rate,
			P99: 20 * time.Millisecond}
	}
	var rs []result
	for _, pg2 := range []float64{5200, 4900, 1000} { // 0.52×, 0.49× and a disturbed 0.10× round
		for _, work := range []string{"incoming", "jsonrpc"} {
			for _, c := range []int{16, 64} {
				rs = append(rs, mk(work, "hookboard", c, 10000), mk(work, serverPG1, c, 6000), mk(work, serverPG2, c, pg2))
			}
		}
	}
	ratio := "incoming c=64: two instances on PostgreSQL ≥ 0.5× one SQLite instance's throughput"
	verdicts := func(rs []result, o options) map[string]verdict {
		m := map[string]verdict{}
		for _, v := range checkTargets(rs, o, false) {
			if strings.Contains(v.Target, "PostgreSQL") {
				m[v.Target] = v
			}
		}
		return m
	}
	o := options{work: []string{"incoming", "jsonrpc"}, conc: []int{16, 64}, fanC: []int{1, 16}}
	if vs := verdicts(rs, o); len(vs) != 0 {
		t.Fatalf("without -db, PostgreSQL verdicts: %v", vs)
	}
	o.pgDSN = "postgres://x@127.0.0.1/x"
	vs := verdicts(rs, o)
	if len(vs) != 9 {
		t.Fatalf("%d PostgreSQL verdicts, want 8 zero-error ones and the ratio: %v", len(vs), vs)
	}
	// The median of 0.52, 0.49 and 0.10 is 0.49: missed.
	if v := vs[ratio]; v.Status != statusMissed || !strings.HasPrefix(v.Measured, "0.490×, median of 3 rounds") {
		t.Errorf("ratio: %+v", v)
	}
	for _, i := range []int{5, 17, 29} { // the incoming c=64 rows of two instances
		rs[i].PerSecond = 5100
	}
	vs = verdicts(rs, o)
	if v := vs[ratio]; v.Status != statusMet || !strings.HasPrefix(v.Measured, "0.510×") {
		t.Errorf("ratio at 0.51×: %+v", v)
	}
	if n := countMissed(mapValues(vs)); n != 0 {
		t.Errorf("%d missed on figures that meet every target: %v", n, vs)
	}

	// One error reply in one round of one phase misses that phase's target.
	rs[10].Errors = map[string]int{"HTTP 500": 1} // jsonrpc c=64 on one instance, first round
	vs = verdicts(rs, o)
	name := "jsonrpc c=64 on one instance on PostgreSQL: zero errors"
	if v := vs[name]; v.Status != statusMissed || !strings.Contains(v.Measured, "1 errors in 18000 requests") {
		t.Errorf("%s: %+v", name, v)
	}
	if n := countMissed(mapValues(vs)); n != 1 {
		t.Errorf("%d missed, want 1: %v", n, vs)
	}

	// A phase the flags asked for that did not run is not measured.
	var noPG2 []result
	for _, r := range rs {
		if r.Server != serverPG2 || r.Work != "jsonrpc" {
			noPG2 = append(noPG2, r)
		}
	}
	vs = verdicts(noPG2, o)
	for _, c := range []string{"16", "64"} {
		name := "jsonrpc c=" + c + " on two instances on PostgreSQL: zero errors"
		if v := vs[name]; v.Status != statusUnmeasured {
			t.Errorf("%s: %+v, want not measured", name, v)
		}
	}
	// Only c=16 asked for: no ratio target.
	o.conc = []int{16}
	if _, ok := verdicts(rs, o)[ratio]; ok {
		t.Errorf("the c=64 ratio judged when only c=16 ran")
	}
}

func mapValues(m map[string]verdict) []verdict {
	var vs []verdict
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

// A child server's standard error: the listening line is caught even when
// it arrives in pieces, warnings and errors are kept, the request log not.
func TestChildStreamKeepsWhatMatters(t *testing.T) {
	s := newChildStream(`msg="hookboard listening"`)
	in := `level=INFO msg=request path=/ status=200
level=ERROR msg="request failed" err="store: boom"
level=INFO msg="hookboard listening" addr=127.0.0.1:4242 db=x
level=WARN msg=slow
`
	for i := 0; i < len(in); i += 7 { // pieces that cut lines
		s.Write([]byte(in[i:min(i+7, len(in))]))
	}
	select {
	case line := <-s.caught:
		if m := listenAddr.FindStringSubmatch(line); m == nil || m[1] != "127.0.0.1:4242" {
			t.Errorf("listening line %q", line)
		}
	default:
		t.Fatal("the listening line was not caught")
	}
	n, first := s.errorLines()
	if n != 2 || len(first) != 2 || !strings.Contains(first[0], "store: boom") || !strings.Contains(first[1], "msg=slow") {
		t.Errorf("%d error lines %q", n, first)
	}
	s.Write(bytes.Repeat([]byte("level=INFO msg=request\n"), 1000))
	s.Write([]byte("hookboard serve: read schema version: database unavailable"))
	if last := s.lastLines(); len(last) > tailBytes+100 || !strings.HasSuffix(last, "database unavailable") {
		t.Errorf("last lines: %d bytes ending %q", len(last), last[max(0, len(last)-80):])
	}
}

// A server that cannot start on its database is reported with what it
// said, not as a timeout.
func TestStartServeReportsTheServersError(t *testing.T) {
	bin := buildForTest(t)
	_, err := startServe(bin, "postgres://nobody@127.0.0.1:1/none?sslmode=disable", nil, time.Second, true)
	if err == nil || !strings.Contains(err.Error(), "server exited before that it listens") ||
		!strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error %v; want the server's own message", err)
	}
}

func buildForTest(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the go tool is needed to build the binary: %v", err)
		}
		t.Skipf("the go tool is needed to build the binary: %v", err)
	}
	bin, err := buildBinary(context.Background(), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// The PostgreSQL phases through the real binary on a real server: every
// phase measured without an error reply, side by side with SQLite, and
// every schema the run created dropped afterwards.
func TestPostgresPhases(t *testing.T) {
	dsn := os.Getenv(testdb.EnvPostgres)
	if dsn == "" {
		// .ci/run runs this test with a server, and leaves it out of its
		// run without one.
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is not", testdb.EnvPostgres)
		}
		t.Skipf("%s names no PostgreSQL server", testdb.EnvPostgres)
	}
	bin := buildForTest(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schemas := func() int {
		var n int
		if err := admin.QueryRow(`SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'hookboard_load_%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := schemas()

	o, err := parseFlags([]string{"-db", dsn, "-bin", bin, "-d", "300ms", "-warmup", "100ms", "-rounds", "1", "-baseline=false"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	verdicts, err := run(ctx, o, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	pg := 0
	for _, v := range verdicts {
		if !strings.Contains(v.Target, "PostgreSQL") {
			continue
		}
		pg++
		if v.Status == statusUnmeasured || (strings.Contains(v.Target, "zero errors") && v.Status != statusMet) {
			t.Errorf("%s: %s %s", v.Target, v.Measured, v.Status)
		}
	}
	if pg != 9 {
		t.Errorf("%d PostgreSQL verdicts, want 9", pg)
	}
	for _, s := range []string{"| incoming | hookboard | 64 |", "| incoming | postgres1 | 16 |", "| incoming | postgres2 | 64 |",
		"| jsonrpc | postgres1 | 64 |", "| jsonrpc | postgres2 | 16 |", "- ratio incoming c=64: postgres2/hookboard (SQLite) throughput = ",
		", PostgreSQL "} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if after := schemas(); after != before {
		t.Errorf("%d load schemas after the run, %d before: a run's schema was left behind", after, before)
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
