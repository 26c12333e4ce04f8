package cli

import (
	"context"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// serve collects garbage at serveGCPercent unless GOGC is set, in which
// case the runtime's reading of GOGC stands.
func TestServeSetsGCPercentUnlessGOGCIsSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		gogc string
		want int
	}{{"", serveGCPercent}, {"50", 100}} {
		debug.SetGCPercent(100)
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan int, 1)
		go func() {
			done <- Run(ctx, &Env{
				Args:  []string{"serve", "-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "gc.db")},
				Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
				Getenv: func(name string) string {
					if name == "GOGC" {
						return tc.gogc
					}
					return ""
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
		cancel()
		<-done
		if got != tc.want {
			t.Errorf("GOGC=%q: serve runs with GC percent %d, want %d", tc.gogc, got, tc.want)
		}
	}
}
