package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The targets. They are judged on the figures of one invocation;
// nothing here is a timed test.
const (
	targetRatio       = 1.2 // incoming throughput over the baseline's
	targetP99         = 15 * time.Millisecond
	targetFanoutRatio = 0.5 // throughput with one receiver over none
	targetAddedP50    = 5 * time.Millisecond
	targetRSS         = 64 << 20   // bytes
	hungSlack         = 1.5        // "about 1 s": at most this × the receiver timeout
	kanboardRPC       = "88–179/s" // Kanboard's createTask figures on this machine kind
	statusMet         = "met"
	statusMissed      = "MISSED"
	statusUnmeasured  = "not measured"
)

// verdict is one target against what the run measured.
type verdict struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Status   string `json:"status"`
}

func judge(ok bool) string {
	if ok {
		return statusMet
	}
	return statusMissed
}

func countMissed(vs []verdict) int {
	n := 0
	for _, v := range vs {
		if v.Status != statusMet {
			n++
		}
	}
	return n
}

// rows picks the results of one workload label on one server at one
// concurrency (one per round).
func rows(all []result, work, server string, c int) []result {
	var out []result
	for _, r := range all {
		if r.Work == work && r.Server == server && r.Concurrency == c {
			out = append(out, r)
		}
	}
	return out
}

func errCount(rs []result) int {
	n := 0
	for _, r := range rs {
		for _, v := range r.Errors {
			n += v
		}
	}
	return n
}

// The targets read medians over the rounds, not means: on a shared machine
// one round can be slowed by another tenant, and with three or more rounds
// such a round does not decide a target, either way. A ratio or difference
// of two phases is taken within each round, whose phases ran side by side,
// and the median of those is judged.

// medianRate is the median throughput of the rounds.
func medianRate(rs []result) float64 {
	return median(each(rs, func(r result) float64 { return r.PerSecond }))
}

// medianP50 is the median of the rounds' p50 latencies.
func medianP50(rs []result) time.Duration {
	return time.Duration(median(each(rs, func(r result) float64 { return float64(r.P50) })))
}

// pairedRatio is a's throughput over b's: the median of the rounds' ratios
// when both ran in the same rounds, with what it was taken from.
func pairedRatio(a, b []result) (float64, string) {
	r, shown, ok := perRound(a, b, func(x, y result) (float64, string) {
		q := x.PerSecond / y.PerSecond
		return q, fmt.Sprintf("%.0f/%.0f = %.2f×", x.PerSecond, y.PerSecond, q)
	})
	if !ok {
		ra, rb := medianRate(a), medianRate(b)
		return ra / rb, fmt.Sprintf("%.0f/s vs %.0f/s = %.3f×", ra, rb, ra/rb)
	}
	// Three decimals: a median of 1.197× is a miss of 1.2×, and must not read 1.20×.
	return r, fmt.Sprintf("%.3f×, median of %d rounds (%s)", r, len(shown), strings.Join(shown, ", "))
}

// pairedAddedP50 is how much a's p50 exceeds b's: the median of the
// rounds' differences when both ran in the same rounds.
func pairedAddedP50(a, b []result) (time.Duration, string) {
	d, shown, ok := perRound(a, b, func(x, y result) (float64, string) {
		return float64(x.P50 - y.P50), fmt.Sprintf("%s − %s", ms(x.P50), ms(y.P50))
	})
	if !ok {
		pa, pb := medianP50(a), medianP50(b)
		return pa - pb, fmt.Sprintf("p50 %s vs %s: +%s", ms(pa), ms(pb), ms(pa-pb))
	}
	return time.Duration(d), fmt.Sprintf("+%s, median of %d rounds (p50 %s)", ms(time.Duration(d)), len(shown), strings.Join(shown, ", "))
}

// perRound applies f to the phases of a and b of each round and returns
// the median of its values and each round's figure as f shows it; ok is
// false unless a and b ran in the same two or more rounds.
func perRound(a, b []result, f func(a, b result) (float64, string)) (med float64, shown []string, ok bool) {
	if len(a) < 2 || len(a) != len(b) {
		return 0, nil, false
	}
	vs := make([]float64, len(a))
	shown = make([]string, len(a))
	for i := range a {
		vs[i], shown[i] = f(a[i], b[i])
	}
	return median(vs), shown, true
}

func each(rs []result, f func(result) float64) []float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	return vs
}

// median is the middle value, or the mean of the two middle ones.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	vs = slices.Sorted(slices.Values(vs))
	mid := len(vs) / 2
	if len(vs)%2 == 1 {
		return vs[mid]
	}
	return (vs[mid-1] + vs[mid]) / 2
}

func worst(rs []result, f func(result) time.Duration) time.Duration {
	var w time.Duration
	for _, r := range rs {
		w = max(w, f(r))
	}
	return w
}

// checkTargets judges every target of the issue against the results. With
// strict (-all) a target whose phases did not run is listed as not
// measured; otherwise it is left out.
func checkTargets(all []result, o options, strict bool) []verdict {
	var vs []verdict
	add := func(target, measured, status string) {
		if status == statusUnmeasured && !strict {
			return
		}
		vs = append(vs, verdict{target, measured, status})
	}
	levels := []int{16, 64}
	if !strict {
		levels = o.conc
	}

	// Incoming webhook against the baseline of the same run.
	for _, c := range levels {
		hb, bl := rows(all, "incoming", "hookboard", c), rows(all, "incoming", "baseline", c)
		name := fmt.Sprintf("incoming c=%d", c)
		if len(hb) == 0 || len(bl) == 0 {
			add(name+": ≥ 1.2× baseline throughput", "", statusUnmeasured)
		} else {
			ratio, measured := pairedRatio(hb, bl)
			add(name+": ≥ 1.2× baseline throughput", measured, judge(ratio >= targetRatio))
		}
		if len(hb) == 0 {
			add(name+": p99 < 15 ms", "", statusUnmeasured)
			add(name+": zero errors", "", statusUnmeasured)
			continue
		}
		p99 := worst(hb, func(r result) time.Duration { return r.P99 })
		add(name+": p99 < 15 ms", "worst round "+ms(p99), judge(p99 < targetP99))
		n := errCount(hb)
		add(name+": zero errors", fmt.Sprintf("%d errors in %d requests", n, sumRequests(hb)), judge(n == 0))
	}

	// JSON-RPC createTask: the issue sets no figure beyond Kanboard's.
	for _, c := range levels {
		hb, bl := rows(all, "jsonrpc", "hookboard", c), rows(all, "jsonrpc", "baseline", c)
		name := fmt.Sprintf("JSON-RPC createTask c=%d: zero errors (Kanboard: %s)", c, kanboardRPC)
		if len(hb) == 0 {
			add(name, "", statusUnmeasured)
			continue
		}
		m := fmt.Sprintf("%.0f/s", medianRate(hb))
		if len(bl) > 0 {
			ratio, _ := pairedRatio(hb, bl)
			m += fmt.Sprintf(" (%.2f× baseline)", ratio)
		}
		n := errCount(hb)
		add(name, fmt.Sprintf("%s, %d errors", m, n), judge(n == 0))
	}

	// Fan-out to fast receivers, at each fan-out concurrency.
	fanC := o.fanC
	if len(fanC) == 0 {
		fanC = []int{1, 16}
	}
	for _, c := range fanC {
		none := rows(all, "incoming+0rcv", "hookboard", c)
		one := rows(all, "incoming+1rcv", "hookboard", c)
		ten := rows(all, "incoming+10rcv", "hookboard", c)
		name := fmt.Sprintf("1 fast receiver, c=%d: throughput ≥ 0.5× no receiver", c)
		if len(none) == 0 || len(one) == 0 {
			add(name, "", statusUnmeasured)
		} else {
			ratio, measured := pairedRatio(one, none)
			add(name, measured, judge(ratio >= targetFanoutRatio))
		}
		name = fmt.Sprintf("10 fast receivers, c=%d: p50 added < 5 ms", c)
		if len(none) == 0 || len(ten) == 0 {
			add(name, "", statusUnmeasured)
		} else {
			added, measured := pairedAddedP50(ten, none)
			add(name, measured, judge(added < targetAddedP50))
		}
		if fan := append(append(append([]result{}, none...), one...), ten...); len(fan) > 0 {
			n := errCount(fan)
			add(fmt.Sprintf("fan-out c=%d: zero errors", c), fmt.Sprintf("%d errors in %d requests", n, sumRequests(fan)), judge(n == 0))
		}
	}

	// One receiver that never answers, behind 10 endpoints.
	hangC := o.hangC
	if len(hangC) == 0 {
		hangC = []int{1}
	}
	hung := 10
	if o.hang > 0 {
		hung = o.hang
	}
	limit := time.Duration(float64(o.rcvTimeout) * hungSlack)
	for _, c := range hangC {
		rs := rows(all, "incoming+"+strconv.Itoa(hung)+"hung", "hookboard", c)
		name := fmt.Sprintf("%d endpoints on a receiver that never answers (timeout %s), c=%d: every request returns in about %s (max < %s), no error",
			hung, o.rcvTimeout, c, o.rcvTimeout, limit)
		if len(rs) == 0 || sumRequests(rs) == 0 {
			add(name, "", statusUnmeasured)
			continue
		}
		longest := worst(rs, func(r result) time.Duration { return r.Max })
		n := errCount(rs)
		add(name, fmt.Sprintf("%d requests, p50 %s, max %s, %d errors", sumRequests(rs), ms(rs[0].P50), ms(longest), n),
			judge(longest < limit && n == 0))
	}

	// Peak RSS of the server process (VmHWM is a high-water mark, so the
	// last figure of a process is its peak over every phase so far).
	var peak int64
	own := true
	for _, r := range all {
		if r.Server != "hookboard" {
			continue
		}
		peak = max(peak, r.PeakRSS)
		own = own && r.RSSOf == "hookboard server process"
	}
	switch {
	case peak == 0:
		add("peak RSS of the server < 64 MB at c=64", "", statusUnmeasured)
	case !own:
		add("peak RSS of the server < 64 MB at c=64",
			fmt.Sprintf("%.1f MB, but of the load process itself: use -server binary", float64(peak)/(1<<20)), statusUnmeasured)
	default:
		add("peak RSS of the server < 64 MB at c=64", fmt.Sprintf("%.1f MB (highest of any phase)", float64(peak)/(1<<20)),
			judge(peak < targetRSS))
	}
	return vs
}

func sumRequests(rs []result) int {
	n := 0
	for _, r := range rs {
		n += r.Requests
	}
	return n
}

// printMarkdown writes the results as a markdown table, ready to paste
// into docs/BENCHMARKS.md.
func printMarkdown(w io.Writer, rs []result) {
	fmt.Fprintln(w, "| phase | server | conc | req/s | p50 | p90 | p99 | max | peak RSS | server CPU/req or writes/commit | errors |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|")
	for _, r := range rs {
		rss, cpu := serverCells(r, " ")
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Work, r.Server, r.Concurrency, r.PerSecond, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), rss, cpu,
			strings.ReplaceAll(errText(r), "|", "/"))
	}
}

// printVerdicts writes the targets as a markdown table.
func printVerdicts(w io.Writer, vs []verdict) {
	fmt.Fprintln(w, "| target | measured | result |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, v := range vs {
		fmt.Fprintf(w, "| %s | %s | %s |\n", v.Target, v.Measured, v.Status)
	}
	fmt.Fprintf(w, "\n%d of %d targets met\n", len(vs)-countMissed(vs), len(vs))
}
