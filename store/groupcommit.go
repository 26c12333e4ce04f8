package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. Every change goes through inTx, which queues its function
// for one writer goroutine. The writer takes whatever is waiting (up to
// maxBatch), runs each function inside its own SAVEPOINT of one immediate
// transaction, and commits once. BEGIN IMMEDIATE + COMMIT cost several
// times the statements of a typical change, so under concurrency a batch of
// a few changes costs little more than one. The queue is FIFO, so waiters
// are served in arrival order (database/sql hands its single connection to
// a random waiter, which made the tail latency long).
//
// The guarantees are those of one transaction per call:
//   - inTx returns only after the transaction holding the change committed
//     (or failed): an answer never runs ahead of durability;
//   - a function that fails is rolled back to its savepoint and fails only
//     its own call; the others of the batch commit;
//   - if the batch itself breaks (a savepoint statement fails, e.g. because
//     an interrupted statement rolled the whole transaction back, or COMMIT
//     fails), nothing of it was committed, and each call is run again alone
//     in its own transaction, so one bad call cannot fail its neighbours.

// maxBatch bounds how many changes share one transaction, so the first of a
// long queue does not wait for all the rest.
const maxBatch = 64

// When the previous batch held more than one change and ended less than
// steadyGap ago, writes are coming concurrently and steadily, and a batch
// of one waits up to lingerFor for a companion. A lone client (each write
// waits for the previous one's answer) never lingers: no companion can
// come, and the wait would only add to its latency.
const (
	steadyGap = 2 * time.Millisecond
	lingerFor = 250 * time.Microsecond
)

// ErrClosed is returned by writes made after Close.
var ErrClosed = errors.New("store: closed")

type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan writeResult
}

type writeResult struct {
	err      error
	panicked bool
	panicVal any
}

// committer owns the writer connection's transactions.
type committer struct {
	db    *sql.DB
	mu    sync.RWMutex // held for reading while enqueueing; Close takes it to stop new work
	shut  bool
	queue chan *writeReq
	done  chan struct{}

	// Counters for WriteStats: transactions committed, calls they held,
	// and the largest batch.
	commits atomic.Int64
	calls   atomic.Int64
	largest atomic.Int64
}

func newCommitter(db *sql.DB) *committer {
	c := &committer{db: db, queue: make(chan *writeReq, maxBatch*4), done: make(chan struct{})}
	go c.loop()
	return c
}

// close stops accepting writes, lets queued ones finish and waits for the
// writer goroutine to end.
func (c *committer) close() {
	c.mu.Lock()
	if !c.shut {
		c.shut = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.done
}

// do runs fn in a transaction (shared with other calls) and returns its
// error once that transaction has committed or failed.
func (c *committer) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	c.mu.RLock()
	if c.shut {
		c.mu.RUnlock()
		return ErrClosed
	}
	select {
	case c.queue <- req:
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	c.mu.RUnlock()
	// Once queued the call may commit, so wait for the truth even if ctx ends.
	res := <-req.done
	if res.panicked {
		panic(res.panicVal)
	}
	return res.err
}

func (c *committer) loop() {
	defer close(c.done)
	batch := make([]*writeReq, 0, maxBatch)
	var lastEnd time.Time
	lastSize := 0
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for first := range c.queue {
		batch = append(batch[:0], first)
		if len(c.queue) == 0 && lastSize > 1 && time.Since(lastEnd) < steadyGap {
			// Under steady load another change is usually a few hundred
			// microseconds away: waiting for it costs less than a commit.
			linger.Reset(lingerFor)
			select {
			case req, ok := <-c.queue:
				if ok {
					batch = append(batch, req)
				}
			case <-linger.C:
			}
			linger.Stop()
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case req, ok := <-c.queue:
				if !ok {
					break fill
				}
				batch = append(batch, req)
			default:
				break fill
			}
		}
		c.run(batch)
		lastSize = len(batch)
		clear(batch)
		lastEnd = time.Now()
	}
}

// run commits one batch and answers every call in it.
func (c *committer) run(batch []*writeReq) {
	live := batch[:0:0]
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.done <- writeResult{err: err}
			continue
		}
		live = append(live, req)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		res := c.alone(live[0])
		if res.err == nil && !res.panicked {
			c.count(1)
		}
		live[0].done <- res
		return
	}
	results, ok := c.together(live)
	if ok {
		c.count(len(live))
	}
	for i, req := range live {
		if ok {
			req.done <- results[i]
		} else {
			req.done <- c.alone(req)
		}
	}
}

func (c *committer) count(calls int) {
	c.commits.Add(1)
	c.calls.Add(int64(calls))
	if n := int64(calls); n > c.largest.Load() {
		c.largest.Store(n)
	}
}

// WriteStats tells how well group commit batches: Calls changes (inTx
// calls, failed ones included when their batch committed) went out in
// Commits transactions, at most Largest in one.
type WriteStats struct {
	Commits, Calls, Largest int64
}

// WriteStats reads the group-commit counters since Open.
func (s *Store) WriteStats() WriteStats {
	return WriteStats{Commits: s.writes.commits.Load(), Calls: s.writes.calls.Load(), Largest: s.writes.largest.Load()}
}

// alone runs one call in its own transaction.
func (c *committer) alone(req *writeReq) (res writeResult) {
	if err := req.ctx.Err(); err != nil {
		return writeResult{err: err}
	}
	// The transaction's own context is not the caller's: database/sql rolls a
	// transaction back when its context ends, and the caller's statements
	// already carry the caller's context.
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		return writeResult{err: classify(fmt.Errorf("begin: %w", err))}
	}
	res = call(req, tx)
	if res.err != nil || res.panicked {
		tx.Rollback()
		if res.err != nil {
			res.err = classify(res.err)
		}
		return res
	}
	if err := tx.Commit(); err != nil {
		c.abandon()
		return writeResult{err: classify(fmt.Errorf("commit: %w", err))}
	}
	return writeResult{}
}

// together runs calls as savepoints of one transaction. ok=false means the
// batch broke and nothing of it was committed.
func (c *committer) together(live []*writeReq) (results []writeResult, ok bool) {
	ctx := context.Background()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		// BEGIN failing is about the database, not about any call.
		err = classify(fmt.Errorf("begin: %w", err))
		results = make([]writeResult, len(live))
		for i := range results {
			results[i] = writeResult{err: err}
		}
		return results, true
	}
	results = make([]writeResult, len(live))
	for i, req := range live {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT batch_item"); err != nil {
			tx.Rollback()
			return nil, false
		}
		res := call(req, tx)
		if res.err != nil || res.panicked {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO batch_item"); err != nil {
				tx.Rollback()
				return nil, false
			}
			if res.err != nil {
				res.err = classify(res.err)
			}
		}
		// RELEASE fails if the savepoint is gone, i.e. SQLite rolled the
		// whole transaction back under us: then the batch is void.
		if _, err := tx.ExecContext(ctx, "RELEASE batch_item"); err != nil {
			tx.Rollback()
			return nil, false
		}
		results[i] = res
	}
	if err := tx.Commit(); err != nil {
		c.abandon()
		return nil, false
	}
	return results, true
}

// abandon ends a transaction that a failed COMMIT may have left open on the
// connection (SQLite keeps it open after e.g. SQLITE_BUSY at COMMIT), so the
// next BEGIN does not fail. Only the writer goroutine uses the connection.
func (c *committer) abandon() {
	c.db.ExecContext(context.Background(), "ROLLBACK")
}

// call runs one function, turning a panic into a result the caller's
// goroutine re-raises, so a bug fails its own request as before.
func call(req *writeReq, tx *sql.Tx) (res writeResult) {
	defer func() {
		if v := recover(); v != nil {
			res = writeResult{panicked: true, panicVal: v}
		}
	}()
	return writeResult{err: req.fn(tx)}
}
