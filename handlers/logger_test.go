package handlers

import (
	"io"
	"log/slog"
	"testing"
)

// testLogger sends the app's logs to the test's log, shown only when a
// test fails or with -v. A fuzz target may not log through its *testing.F,
// so fuzzing discards them.
func testLogger(t testing.TB) *slog.Logger {
	if _, fuzzing := t.(*testing.F); fuzzing {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(tbWriter{t}, nil))
}

type tbWriter struct{ t testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
