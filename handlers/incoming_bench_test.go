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

	"hookboard/store"
)

// BenchmarkIncomingURL measures the incoming URL (token check, task and
// event written, reply) with and without usage counting, to show what the
// batched counting costs the hot path:
//
//	go test ./handlers -run '^$' -bench IncomingURL -benchtime 3000x -count 5
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
