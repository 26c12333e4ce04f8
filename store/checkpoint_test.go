package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Committed pages reach the database file without the writer copying them:
// far fewer than the writer's own checkpoint threshold are written, and the
// file grows anyway, soon after.
func TestCheckpointerCopiesInTheBackground(t *testing.T) {
	skipOnPostgres(t, "the write-ahead log and its checkpoints are SQLite's")
	s := openTestStore(t)
	board := newBoard(t, s, "ckpt")
	time.Sleep(3 * checkpointEvery) // the board's pages go in first
	before := fileSize(t, s.Path())
	for i := range 300 {
		if _, _, err := s.CreateTask(context.Background(), Actor{}, NewTask{ProjectID: board.project, Title: fmt.Sprint("task ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The deadline only ends a test whose checkpointer stopped: a busy
	// machine makes it wait longer, not fail.
	deadline := time.Now().Add(30 * time.Second)
	for fileSize(t, s.Path()) == before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes: nothing was checkpointed", before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// walIndex reads, from the wal-index header at the start of the -shm file
// (https://www.sqlite.org/walformat.html), how many frames the log holds,
// how many of them are copied into the database file, and the log's first
// salt, which changes each time the log starts over. It takes no lock and
// checkpoints nothing, so it cannot do the checkpointer's work.
func walIndex(t *testing.T, s *Store) (frames, copied, salt uint32) {
	t.Helper()
	b, err := os.ReadFile(s.Path() + "-shm")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 100 {
		t.Fatalf("-shm holds %d bytes, too few for a wal-index header", len(b))
	}
	u32 := func(off int) uint32 { return binary.NativeEndian.Uint32(b[off:]) }
	return u32(16), u32(96), u32(32)
}

// waitCopied waits until every frame of the log is in the database file.
// The deadline only ends a test whose checkpoints stopped; a busy machine
// makes it wait longer, not fail.
func waitCopied(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		frames, copied, _ := walIndex(t, s)
		if copied == frames {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the log's %d frames are still not in the database file: nothing checkpoints them", frames-copied, frames)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The log is bounded because it starts over: once the checkpointer has
// copied all of it, the next write goes to its beginning instead of after
// everything written so far. The test waits for the copies rather than
// measuring the file, whose size depends on how the machine schedules the
// writer and the checkpointer.
func TestCheckpointsKeepTheLogBounded(t *testing.T) {
	// A small threshold, so that the writes cross it many times.
	const walPages = 1000
	s, err := Open(filepath.Join(t.TempDir(), "steady.db"), Options{walPages: walPages})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	board := newBoard(t, s, "steady")
	write := func(title string) {
		if _, _, err := s.CreateTask(context.Background(), Actor{}, NewTask{ProjectID: board.project,
			Title: title, Description: strings.Repeat("x", 500)}); err != nil {
			t.Error(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 200 {
				write(fmt.Sprintf("steady %d-%d", w, i))
			}
		})
	}
	wg.Wait()
	// One write more, which stays under the writer's threshold whether or
	// not it starts the log over: only the checkpointer copies it.
	write("after the stream")
	waitCopied(t, s)
	frames, _, salt := walIndex(t, s)
	write("one more")
	after, _, saltAfter := walIndex(t, s)
	if saltAfter == salt {
		t.Fatalf("the log did not start over after a full checkpoint: %d frames, then %d", frames, after)
	}
	if after >= walPages/10 {
		t.Fatalf("one task took the log from %d to %d frames", frames, after)
	}
	waitCopied(t, s)
}

// With -checkpoint external, Hookboard copies nothing itself: the log keeps
// every frame for Litestream until it (or the writer's threshold, far
// away) checkpoints, while a store in the default mode has copied the
// same writes.
func TestExternalCheckpointsLeaveTheLog(t *testing.T) {
	dir := t.TempDir()
	internal, err := Open(filepath.Join(dir, "internal.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer internal.Close()
	external, err := Open(filepath.Join(dir, "external.db"), Options{Checkpoint: CheckpointExternal})
	if err != nil {
		t.Fatal(err)
	}
	defer external.Close()
	for _, s := range []*Store{internal, external} {
		board := newBoard(t, s, "litestream")
		for i := range 20 {
			if _, _, err := s.CreateTask(context.Background(), Actor{}, NewTask{ProjectID: board.project, Title: fmt.Sprint("task ", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitCopied(t, internal)
	frames, copied, _ := walIndex(t, external)
	if frames == 0 || copied != 0 {
		t.Fatalf("external mode: %d of %d frames were copied into the database file; want none", copied, frames)
	}
}
