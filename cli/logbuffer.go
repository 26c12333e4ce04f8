package cli

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushEvery is the longest a log line waits in memory.
const logFlushEvery = 50 * time.Millisecond

// logFlushSize writes the buffer out at once when it holds this much.
const logFlushSize = 64 << 10

// logBuffer gathers the server's log lines and writes them out together,
// at most logFlushEvery after the first one waiting: under load the request
// log is a line per request, and a write(2) for each would take CPU from
// the requests themselves. Warnings and errors go out at once, with
// everything logged before them (see flushingHandler), and the server
// flushes at exit; a process killed outright loses at most the last
// logFlushEvery of informational lines.
type logBuffer struct {
	mu    sync.Mutex
	out   io.Writer
	buf   []byte
	armed bool // a flush is scheduled
}

func newLogBuffer(out io.Writer) *logBuffer { return &logBuffer{out: out} }

// Write keeps p (one record: slog handlers write each in one call).
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logFlushSize {
		b.flushLocked()
	} else if !b.armed {
		b.armed = true
		time.AfterFunc(logFlushEvery, b.Flush)
	}
	return len(p), nil
}

// Flush writes out what is waiting.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

func (b *logBuffer) flushLocked() {
	b.armed = false
	if len(b.buf) == 0 {
		return
	}
	// A failed write to standard error has nowhere to be reported.
	b.out.Write(b.buf)
	b.buf = b.buf[:0]
}

// flushingHandler writes the buffer out after each record of level
// Warn or above, so that what went wrong, and what led to it, is out
// before anything else can happen.
type flushingHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}
