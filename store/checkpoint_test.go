package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	s := openTestStore(t)
	board := newBoard(t, s, "ckpt")
	time.Sleep(3 * checkpointEvery) // the board's pages go in first
	before := fileSize(t, s.Path())
	for i := range 300 {
		if _, _, err := s.CreateTask(context.Background(), Actor{}, NewTask{ProjectID: board.project, Title: fmt.Sprint("task ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for fileSize(t, s.Path()) == before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes: nothing was checkpointed", before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Under a steady stream of writes the log still starts over: it stays
// near the writer's checkpoint threshold instead of growing with the
// writes.
func TestCheckpointsKeepTheLogBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 tasks")
	}
	// A small threshold, so that 20,000 tasks cross it many times.
	const walPages = 1000
	s, err := Open(filepath.Join(t.TempDir(), "steady.db"), Options{walPages: walPages})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	board := newBoard(t, s, "steady")
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 1250 {
				if _, _, err := s.CreateTask(context.Background(), Actor{}, NewTask{ProjectID: board.project,
					Title: fmt.Sprintf("steady %d-%d", w, i), Description: fmt.Sprintf("%0500d", i)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	wal := fileSize(t, s.Path()+"-wal")
	db := fileSize(t, s.Path())
	// Four thresholds: a checkpoint that cannot restart the log at once
	// (a reader holds it, the machine is busy) lets it overshoot, and
	// without restarts it reaches about 119 MB here.
	limit := int64(4*walPages) * 4096
	t.Logf("after 20,000 tasks: database %d bytes, log %d bytes", db, wal)
	if db < 10<<20 {
		t.Fatalf("database file %d bytes after 20,000 tasks of 500+ bytes: the test wrote too little to say anything", db)
	}
	if wal > limit {
		t.Fatalf("log file %d bytes, over %d: it does not start over under steady writes", wal, limit)
	}
}
