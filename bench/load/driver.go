package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// call is one kind of request against one target. drive asks it, for each
// worker, for the requester that worker then uses for every request (its own
// connection and buffers); timeout bounds one request, and the end of ctx
// interrupts a request in flight.
type call func(ctx context.Context, worker int, timeout time.Duration) requester

// requester issues one worker's requests, one at a time. do returns "" when
// the server gave the right answer, else a short label for the kind of
// failure ("HTTP 503", "body FAILED", "transport"), so the report can count
// them apart. close releases the connection.
type requester interface {
	do(ctx context.Context, seq int) string
	close()
}

// httpRequester is a requester on Go's net/http client: the -client net/http
// path, and https targets.
type httpRequester struct {
	client *http.Client
	fn     func(ctx context.Context, client *http.Client, seq int) string
}

func (r httpRequester) do(ctx context.Context, seq int) string { return r.fn(ctx, r.client, seq) }
func (r httpRequester) close()                                 { r.client.CloseIdleConnections() }

// result is what one phase (one workload, one server, one concurrency)
// measured.
type result struct {
	Work        string         `json:"work"`
	Server      string         `json:"server"`
	Concurrency int            `json:"concurrency"`
	Seconds     float64        `json:"seconds"`
	Requests    int            `json:"requests"`
	OK          int            `json:"ok"`
	Errors      map[string]int `json:"errors,omitempty"`
	PerSecond   float64        `json:"per_second"`
	P50         time.Duration  `json:"p50_ns"`
	P90         time.Duration  `json:"p90_ns"`
	P99         time.Duration  `json:"p99_ns"`
	Max         time.Duration  `json:"max_ns"`
	// PeakRSS is the server's VmHWM in bytes after the phase (0 when unknown);
	// RSSOf says whose it is.
	PeakRSS int64  `json:"peak_rss_bytes,omitempty"`
	RSSOf   string `json:"rss_of,omitempty"`
	// CPUPerReq is the server process's CPU time per request (user+system)
	// over the phase, warm-up included; 0 when the server runs in-process.
	CPUPerReq time.Duration `json:"cpu_per_request_ns,omitempty"`
	// CallsPerCommit is the in-process store's average group-commit batch
	// (writes per transaction) over the phase.
	CallsPerCommit float64 `json:"writes_per_commit,omitempty"`
}

// newClient is one worker's net/http keep-alive client (its connection
// kept idle between requests), so the load measures the server rather than
// TCP handshakes.
func newClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2
	tr.MaxIdleConnsPerHost = 2
	tr.MaxConnsPerHost = 0
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// drive runs c workers for d after a short warm-up that is not recorded.
// With rate 0 each worker issues requests back to back (a closed loop).
// With a rate, requests are due at that many a second whatever the server
// does (an open loop): a free worker takes the next one due, and a
// request's latency counts from when it was due, so time spent waiting for
// a free worker, when the server falls behind, counts too.
func drive(ctx context.Context, c int, rate float64, d, warmup time.Duration, timeout time.Duration, do call) result {
	var (
		mu     sync.Mutex
		lats   []time.Duration
		errs   = map[string]int{}
		okN    int
		wg     sync.WaitGroup
		start  = time.Now()
		record = start.Add(warmup)
		end    = record.Add(d)
		due    chan time.Time // open loop: when each request is due
	)
	if rate > 0 {
		due = make(chan time.Time, 1<<16)
		go func() {
			defer close(due)
			every := time.Duration(float64(time.Second) / rate)
			for next := start; !next.After(end) && ctx.Err() == nil; next = next.Add(every) {
				if wait := time.Until(next); wait > 0 {
					time.Sleep(wait)
				}
				due <- next
			}
		}()
	}
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := do(ctx, w, timeout)
			defer req.close()
			local := make([]time.Duration, 0, 4096)
			localErr := map[string]int{}
			localOK := 0
			for seq := 0; ; seq++ {
				t0 := time.Now()
				if t0.After(end) || ctx.Err() != nil {
					break
				}
				if due != nil {
					var ok bool
					if t0, ok = <-due; !ok {
						break
					}
				}
				kind := req.do(ctx, seq)
				if t0.Before(record) {
					continue
				}
				local = append(local, time.Since(t0))
				if kind == "" {
					localOK++
				} else {
					localErr[kind]++
				}
			}
			mu.Lock()
			lats = append(lats, local...)
			okN += localOK
			for k, v := range localErr {
				errs[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(record)
	if due != nil {
		// Requests due in the phase that no worker started: the server
		// fell behind the rate. Counted, not hidden.
		for t := range due {
			if !t.Before(record) && !t.After(end) {
				errs[behind]++
			}
		}
	}
	slices.Sort(lats)
	r := result{
		Concurrency: c,
		Seconds:     elapsed.Seconds(),
		Requests:    len(lats),
		OK:          okN,
		PerSecond:   float64(len(lats)) / elapsed.Seconds(),
		P50:         percentile(lats, 0.50),
		P90:         percentile(lats, 0.90),
		P99:         percentile(lats, 0.99),
	}
	if len(lats) > 0 {
		r.Max = lats[len(lats)-1]
	}
	if len(errs) > 0 {
		r.Errors = errs
	}
	return r
}

// behind labels the requests of an open loop that were due in the phase
// but that no worker started before it ended: the server fell behind.
const behind = "not started (behind the rate)"

// percentile reads the q-quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// getText GETs url and checks the reply as the lean client does
// (checkText).
func getText(ctx context.Context, client *http.Client, url, want string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "bad request"
	}
	status, body, err := replyOf(client.Do(req))
	if err != nil {
		return "transport"
	}
	return checkText(status, body, want)
}

// replyOf reads up to maxBody of a net/http reply's body, as the lean
// client keeps, and closes it.
func replyOf(resp *http.Response, err error) (int, []byte, error) {
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return resp.StatusCode, body, err
}

// printTable writes results as an aligned table.
func printTable(w io.Writer, rs []result) {
	fmt.Fprintf(w, "%-22s %-10s %5s %9s %9s %9s %9s %9s %8s %8s  %s\n",
		"work", "server", "conc", "req/s", "p50", "p90", "p99", "max", "peakRSS", "cpu|batch", "errors")
	for _, r := range rs {
		rss, cpu := serverCells(r, "")
		fmt.Fprintf(w, "%-22s %-10s %5d %9.0f %9s %9s %9s %9s %8s %8s  %s\n",
			r.Work, r.Server, r.Concurrency, r.PerSecond, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), rss, cpu, errText(r))
	}
}

// serverCells formats the server-side figures of r, peak RSS and CPU per
// request (or writes per commit), with sep between number and unit; "-"
// when unknown.
func serverCells(r result, sep string) (rss, cpu string) {
	rss, cpu = "-", "-"
	if r.PeakRSS > 0 {
		rss = fmt.Sprintf("%.1f%sMB", float64(r.PeakRSS)/(1<<20), sep)
	}
	if r.CPUPerReq > 0 {
		cpu = fmt.Sprintf("%d%sµs", r.CPUPerReq.Microseconds(), sep)
	}
	if r.CallsPerCommit > 0 {
		cpu = fmt.Sprintf("%.1f%sw/c", r.CallsPerCommit, sep)
	}
	return rss, cpu
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func errText(r result) string {
	if len(r.Errors) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, r.Errors[k]))
	}
	return strings.Join(parts, " ")
}
