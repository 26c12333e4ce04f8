package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
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
func BenchmarkIncomingURL(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts store.Options
	}{
		{"counting", store.Options{}},
		{"no-counting", store.Options{NoUsageCounting: true}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchIncoming(b, bc.opts, http.MethodGet) })
	}
}

// BenchmarkIncomingURLDryRun is the same with HEAD, which checks the
// request and writes nothing: the cheapest authenticated path, where
// counting weighs the most.
func BenchmarkIncomingURLDryRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts store.Options
	}{
		{"counting", store.Options{}},
		{"no-counting", store.Options{NoUsageCounting: true}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchIncoming(b, bc.opts, http.MethodHead) })
	}
}

// BenchmarkIncomingURLPaired interleaves requests to a server that counts
// usage and one that does not, one of each per iteration, so that the load
// of a shared machine weighs on both alike; it reports each side's time
// per request and the difference in percent.
func BenchmarkIncomingURLPaired(b *testing.B) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		b.Run(method, func(b *testing.B) {
			counting := newBenchIncoming(b, store.Options{}, method)
			plain := newBenchIncoming(b, store.Options{NoUsageCounting: true}, method)
			var withNs, withoutNs time.Duration
			i := 0
			for b.Loop() {
				first, second := counting, plain
				if i%2 == 1 {
					first, second = plain, counting
				}
				i++
				d1 := first()
				d2 := second()
				if i%2 == 1 {
					withNs, withoutNs = withNs+d1, withoutNs+d2
				} else {
					withNs, withoutNs = withNs+d2, withoutNs+d1
				}
			}
			n := float64(i)
			b.ReportMetric(float64(withNs.Nanoseconds())/n, "counting-ns/req")
			b.ReportMetric(float64(withoutNs.Nanoseconds())/n, "no-counting-ns/req")
			b.ReportMetric(100*(float64(withNs)-float64(withoutNs))/float64(withoutNs), "overhead-%")
		})
	}
}

// newBenchIncoming returns a function that sends one request to its own
// server and returns how long it took.
func newBenchIncoming(b *testing.B, opts store.Options, method string) func() time.Duration {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(b.TempDir(), "hookboard.db"), opts)
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

func benchIncoming(b *testing.B, opts store.Options, method string) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(b.TempDir(), "hookboard.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateProject(ctx, "Default", "", 0); err != nil {
		b.Fatal(err)
	}
	_, sec, err := st.CreateIntegration(ctx, store.NewIntegration{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	h := New(Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Routes()
	target := "/?controller=webhook&action=task&title=benchmark&token=" + url.QueryEscape(sec.Token)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(method, target, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
