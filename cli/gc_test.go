package cli

import (
	"context"
	"io"
	"math"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// serve collects garbage at serveGCPercent under serveMemoryLimit unless
// GOGC or GOMEMLIMIT is set, in which case the runtime's reading stands.
func TestServeSetsGCPercentUnlessGOGCIsSet(t *testing.T) {
	const noLimit = math.MaxInt64
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(noLimit))
	for _, tc := range []struct {
		gogc, gomemlimit string
		want             int
		wantLimit        int64
	}{{"", "", serveGCPercent, serveMemoryLimit}, {"50", "1GiB", 100, noLimit}} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(noLimit)
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan int, 1)
		go func() {
			done <- Run(ctx, &Env{
				Args:  []string{"serve", "-addr", "127.0.0.1:0", "-db", testDB(t)},
				Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
				Getenv: func(name string) string {
					switch name {
					case "GOGC":
						return tc.gogc
					case "GOMEMLIMIT":
						return tc.gomemlimit
					}
					return testGetenv(name)
				},
				Ready: func(addr string) { ready <- addr },
			})
		}()
		select {
		case <-ready:
		case code := <-done:
			t.Fatalf("serve exited with %d", code)
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not start")
		}
		got := debug.SetGCPercent(100)
		gotLimit := debug.SetMemoryLimit(-1) // -1 reads without changing
		cancel()
		<-done
		if got != tc.want {
			t.Errorf("GOGC=%q: serve runs with GC percent %d, want %d", tc.gogc, got, tc.want)
		}
		if gotLimit != tc.wantLimit {
			t.Errorf("GOMEMLIMIT=%q: serve runs with memory limit %d, want %d", tc.gomemlimit, gotLimit, tc.wantLimit)
		}
	}
}
