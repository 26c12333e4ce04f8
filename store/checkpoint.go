package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Checkpoints off the write path. In WAL mode SQLite copies the log back
// into the database file (a checkpoint, ending with an fsync) from inside
// the COMMIT that takes the log past wal_autocheckpoint pages, so the
// callers of that batch would wait for the copy and the fsync. A
// checkpointer with its own connection copies what has been committed
// every checkpointEvery, beside the writer (a PASSIVE checkpoint takes no
// lock the writer needs). The writer keeps a large wal_autocheckpoint
// (writerAutoCheckpoint) for one reason: the log starts over from its
// beginning only when a transaction begins with all of it copied, which a
// checkpointer running beside a busy writer never sees; the writer's own
// checkpoint then has only the last few frames to copy but two fsyncs to
// wait for, so it is made rarely. The log file can grow to that size under
// sustained load; it is reused, not grown, after that.
const (
	checkpointEvery      = 50 * time.Millisecond
	writerAutoCheckpoint = 16000 // pages
)

// CheckpointMode says who checkpoints the write-ahead log.
type CheckpointMode int

const (
	// CheckpointInternal: Hookboard's checkpointer copies the log in the
	// background (the default).
	CheckpointInternal CheckpointMode = iota
	// CheckpointExternal leaves checkpoints to another process that reads
	// the log, such as Litestream, which must see every frame before it is
	// copied and the log starts over. The writer's automatic checkpoint at
	// writerAutoCheckpoint pages stays, as a bound on the log's size if
	// that process stops.
	CheckpointExternal
)

// ParseCheckpointMode reads -checkpoint: "internal" or "external".
func ParseCheckpointMode(s string) (CheckpointMode, error) {
	switch s {
	case "internal":
		return CheckpointInternal, nil
	case "external":
		return CheckpointExternal, nil
	}
	return 0, fmt.Errorf("-checkpoint must be internal or external, not %q", s)
}

type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
	err  error
}

// startCheckpointer runs PASSIVE checkpoints on a connection of its own
// whenever the committer committed something since the last one.
func startCheckpointer(db *sql.DB, committed func() int64) *checkpointer {
	db.SetMaxOpenConns(1)
	cp := &checkpointer{db: db, stop: make(chan struct{})}
	cp.done.Add(1)
	go func() {
		defer cp.done.Done()
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		last := committed()
		for {
			select {
			case <-cp.stop:
				return
			case <-tick.C:
			}
			if n := committed(); n != last {
				last = n
				// Errors (SQLITE_BUSY while the writer checkpoints) only
				// mean this pass copied nothing; the next one will.
				cp.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return cp
}

func (cp *checkpointer) close() error {
	cp.once.Do(func() {
		close(cp.stop)
		cp.done.Wait()
		cp.err = cp.db.Close()
	})
	return cp.err
}
