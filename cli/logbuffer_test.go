package cli

import (
	"strings"
	"testing"
	"time"
)

func TestLogBufferWritesLinesLaterErrorsAtOnce(t *testing.T) {
	var out syncBuffer // standard error as the test sees it
	env := &Env{Stderr: &out}
	logger, flush, err := newLogger(env, "text")
	if err != nil {
		t.Fatal(err)
	}

	// An informational line waits, then goes out without anything else
	// being logged.
	logger.Info("request", "path", "/one")
	if got := out.String(); got != "" {
		t.Fatalf("an info line was written at once: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "path=/one") {
		if time.Now().After(deadline) {
			t.Fatal("an info line was never written out")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// An error goes out before Error returns, after what came before it.
	logger.Info("request", "path", "/two")
	logger.Error("database unavailable", "err", "disk full")
	got := out.String()
	two, bad := strings.Index(got, "path=/two"), strings.Index(got, "database unavailable")
	if two < 0 || bad < two {
		t.Fatalf("after an error, standard error holds %q; want the info line, then the error", got)
	}
	// So does a warning logged through a derived logger.
	logger.With("component", "notify").Info("request", "path", "/three")
	logger.With("component", "notify").Warn("webhook attempt failed")
	if got := out.String(); !strings.Contains(got, "path=/three") || !strings.Contains(got, "webhook attempt failed") {
		t.Fatalf("after a warning, standard error holds %q", got)
	}

	// Flush (at exit) writes the rest.
	logger.Info("shutting down")
	flush()
	if got := out.String(); !strings.Contains(got, "shutting down") {
		t.Fatalf("after flush, standard error holds %q", got)
	}

	// A full buffer goes out at once.
	before := len(out.String())
	for i := 0; len(out.String()) == before; i++ {
		if i > 10000 {
			t.Fatal("64 KiB of lines were held back")
		}
		logger.Info("request", "path", strings.Repeat("x", 100))
	}
}
