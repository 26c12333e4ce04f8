package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"hookboard/store"
)

// BenchmarkIncomingURL measures the incoming URL (token check, task and
// event written, reply) with and without usage counting, to show what the
// batched counting costs the hot path:
//
//	go test ./handlers -run '^$' -bench IncomingURL -benchtime 3000x -count 5
//
// On a shared machine BenchmarkIncomingURLPaired is the steadier comparison.
func BenchmarkIncomingURL(b *testing.B) { benchIncomingCounting(b, http.MethodGet) }

// BenchmarkIncomingURLDryRun is the same with HEAD, which checks the
// request and writes nothing: the cheapest authenticated path, where
// counting weighs the most.
func BenchmarkIncomingURLDryRun(b *testing.B) { benchIncomingCounting(b, http.MethodHead) }

// benchIncomingCounting runs method against a server that counts usage and
// one that does not.
func benchIncomingCounting(b *testing.B, method string) {
	for _, bc := range []struct {
		name string
		opts store.Options
	}{
		{"counting", store.Options{}},
		{"no-counting", store.Options{NoUsageCounting: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			send := newBenchIncoming(b, bc.opts, method)
			b.ReportAllocs()
			for b.Loop() {
				send()
			}
		})
	}
}

// BenchmarkIncomingURLPaired interleaves requests to a server that counts
// usage and one that does not, one of each per iteration (alternating
// which goes first), so that the load of a shared machine weighs on both
// alike. It reports each side's mean time per request and the difference
// in percent, and the same from the medians: a pause of the machine (GC,
// another process) lands on one side of a pair and moves the means by
// several percent, while the medians ignore it.
func BenchmarkIncomingURLPaired(b *testing.B) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		b.Run(method, func(b *testing.B) {
			counting := newBenchIncoming(b, store.Options{}, method)
			plain := newBenchIncoming(b, store.Options{NoUsageCounting: true}, method)
			var with, without []time.Duration
			i := 0
			for b.Loop() {
				first, second := counting, plain
				if i%2 == 1 {
					first, second = plain, counting
				}
				d1 := first()
				d2 := second()
				if i%2 == 1 {
					d1, d2 = d2, d1
				}
				with, without = append(with, d1), append(without, d2)
				i++
			}
			mean := func(ds []time.Duration) float64 {
				var sum time.Duration
				for _, d := range ds {
					sum += d
				}
				return float64(sum.Nanoseconds()) / float64(len(ds))
			}
			median := func(ds []time.Duration) float64 {
				s := slices.Clone(ds)
				slices.Sort(s)
				return float64(s[len(s)/2].Nanoseconds())
			}
			mw, mo := mean(with), mean(without)
			b.ReportMetric(mw, "counting-ns/req")
			b.ReportMetric(mo, "no-counting-ns/req")
			b.ReportMetric(100*(mw-mo)/mo, "overhead-%")
			medW, medO := median(with), median(without)
			b.ReportMetric(medW, "counting-median-ns")
			b.ReportMetric(medO, "no-counting-median-ns")
			b.ReportMetric(100*(medW-medO)/medO, "median-overhead-%")
		})
	}
}

// newBenchIncoming returns a function that sends one request to its own
// server and returns how long it took.
func newBenchIncoming(b *testing.B, opts store.Options, method string) func() time.Duration {
	ctx := context.Background()
	st, err := openTestStore(b, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.CreateProject(ctx, "Default", "", 0); err != nil {
		b.Fatal(err)
	}
	_, sec, err := st.CreateIntegration(ctx, store.NewIntegration{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	h := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Routes()
	target := "/?controller=webhook&action=task&title=benchmark&token=" + url.QueryEscape(sec.Token)
	return func() time.Duration {
		req := httptest.NewRequest(method, target, nil)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		return d
	}
}
