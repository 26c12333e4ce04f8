package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. Every change goes through inTx, which queues its function
// for one writer goroutine. The writer takes whatever is waiting (up to
// maxBatch), runs each function inside its own SAVEPOINT of one immediate
// transaction, and commits once. BEGIN IMMEDIATE and COMMIT cost more than
// the statements of a typical change, so under concurrency a batch of a
// few changes costs little more than one. The queue is FIFO, so waiters
// are served in arrival order (database/sql hands its single connection to
// a random waiter, which makes the tail latency long).
//
// The guarantees are those of one transaction per call:
//   - inTx returns only after the transaction holding the change committed
//     (or failed): an answer never runs ahead of durability;
//   - a function that fails is rolled back to its savepoint and fails only
//     its own call; the others of the batch commit;
//   - if the batch itself breaks (a savepoint statement fails, e.g. because
//     an error such as a full disk rolled the whole transaction back, or
//     COMMIT fails), nothing of it was committed, and each call is run again alone
//     in its own transaction, so one bad call cannot fail its neighbours.
//
// One kind of call is not waited for: records posted with post (a request's
// webhook attempts), whose loss in a crash something else makes good. They
// commit with the next batch, in queue order; settle waits for them.

// maxBatch bounds how many changes share one transaction, so the first of a
// long queue does not wait for all the rest.
const maxBatch = 64

// detachedLinger is how long posted calls, which nobody waits for, wait
// for a companion before committing alone. It bounds how long a posted
// record can stay uncommitted (see post).
const detachedLinger = 2 * time.Millisecond

// ErrClosed is returned by writes made after Close.
var ErrClosed = errors.New("store: closed")

type writeReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error // nil: a barrier (see settle)
	done chan writeResult
	// then, when set, makes the call detached (see post): it has no done,
	// and the writer hands it the outcome instead.
	then func(error)
}

type writeResult struct {
	err      error
	panicked bool
	panicVal any
}

// committer owns the writer connection's transactions.
type committer struct {
	db *sql.DB
	// lock, when set, is run first in every transaction: PostgreSQL's write
	// lock (see openPostgres).
	lock string
	// rolledBack runs on the writer goroutine after anything was rolled
	// back (a savepoint or a whole transaction), for the configuration
	// cache, which may hold what the undone writes read.
	rolledBack func()
	mu         sync.RWMutex // held for reading while enqueueing; Close takes it to stop new work
	shut       bool
	queue      chan *writeReq
	done       chan struct{}

	// detached counts posted calls not yet committed (see settle).
	detached atomic.Int64

	// Counters for WriteStats: transactions committed, calls they held,
	// and the largest batch.
	commits atomic.Int64
	calls   atomic.Int64
	largest atomic.Int64
}

func newCommitter(db *sql.DB, rolledBack func()) *committer {
	c := &committer{db: db, rolledBack: rolledBack, queue: make(chan *writeReq, maxBatch*4), done: make(chan struct{})}
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
// error once that transaction has committed or failed. fn runs with ctx
// less its cancellation (see call).
func (c *committer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return c.call(ctx, &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)})
}

func (c *committer) call(ctx context.Context, req *writeReq) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.enqueue(ctx, req); err != nil {
		return err
	}
	// Once queued the call may commit, so wait for the truth even if ctx ends.
	res := <-req.done
	if res.panicked {
		panic(res.panicVal)
	}
	return res.err
}

// post queues fn like do but does not wait: then receives its outcome on
// the writer goroutine (so it must be quick), a panic as an error. Calls
// queued later, settle and close come after it. It is for records whose
// loss in a crash is harmless because something else stands for them (an
// attempt's delivery stays owed by its event's fanout row and is sent again).
func (c *committer) post(fn func(ctx context.Context, tx *sql.Tx) error, then func(error)) error {
	req := &writeReq{ctx: context.Background(), fn: fn, then: then}
	c.detached.Add(1)
	if err := c.enqueue(req.ctx, req); err != nil {
		c.detached.Add(-1)
		return err
	}
	return nil
}

// settle returns once every call posted before it has committed or failed,
// so that a reader sees them. It costs nothing when none is outstanding.
func (c *committer) settle(ctx context.Context) error {
	if c.detached.Load() == 0 {
		return nil
	}
	req := &writeReq{ctx: ctx, done: make(chan writeResult, 1)}
	if err := c.enqueue(ctx, req); err != nil {
		if errors.Is(err, ErrClosed) {
			return nil // close committed everything queued
		}
		return err
	}
	select {
	case <-req.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *committer) enqueue(ctx context.Context, req *writeReq) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.shut {
		return ErrClosed
	}
	select {
	case c.queue <- req:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *committer) loop() {
	defer close(c.done)
	batch := make([]*writeReq, 0, maxBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for first := range c.queue {
		batch = c.fill(append(batch[:0], first))
		if onlyDetached(batch) && len(batch) < maxBatch {
			// Nobody waits for these: hold them a little for a call that
			// someone does wait for, and commit them with it (a lone
			// client's next request then pays no commit of its own).
			linger.Reset(detachedLinger)
			select {
			case req, ok := <-c.queue:
				if ok {
					batch = c.fill(append(batch, req))
				}
			case <-linger.C:
			}
			linger.Stop()
		}
		c.run(batch)
		// The callers just answered are runnable on this processor; let
		// them write their replies before the next batch keeps it busy.
		runtime.Gosched()
		clear(batch)
	}
}

// fill adds to batch what is already queued, up to maxBatch.
func (c *committer) fill(batch []*writeReq) []*writeReq {
	for len(batch) < maxBatch {
		select {
		case req, ok := <-c.queue:
			if !ok {
				return batch
			}
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// onlyDetached tells whether no call of batch has a caller waiting for it.
func onlyDetached(batch []*writeReq) bool {
	for _, req := range batch {
		if req.then == nil {
			return false
		}
	}
	return true
}

// run commits one batch and answers every call in it. Barriers in it are
// answered last: everything queued before them is in this batch or an
// earlier one.
func (c *committer) run(batch []*writeReq) {
	live := batch[:0:0]
	var barriers []*writeReq
	for _, req := range batch {
		if req.fn == nil {
			barriers = append(barriers, req)
			continue
		}
		if err := req.ctx.Err(); err != nil {
			c.answer(req, writeResult{err: err})
			continue
		}
		live = append(live, req)
	}
	defer func() {
		for _, b := range barriers {
			b.done <- writeResult{}
		}
	}()
	switch len(live) {
	case 0:
		return
	case 1:
		res := c.alone(live[0])
		if res.err == nil && !res.panicked {
			c.count(1)
		}
		c.answer(live[0], res)
		return
	}
	results, ok := c.together(live)
	if ok {
		c.count(len(live))
	}
	for i, req := range live {
		if ok {
			c.answer(req, results[i])
		} else {
			c.answer(req, c.alone(req))
		}
	}
}

// answer hands a call its outcome: to its waiting caller, or to its then.
func (c *committer) answer(req *writeReq, res writeResult) {
	if req.then == nil {
		req.done <- res
		return
	}
	err := res.err
	if res.panicked {
		err = fmt.Errorf("store: panic in a posted write: %v", res.panicVal)
	}
	req.then(err)
	c.detached.Add(-1)
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
	tx, err := c.begin(context.Background())
	if err != nil {
		return writeResult{err: classify(fmt.Errorf("begin: %w", err))}
	}
	res = call(req, tx)
	if res.err != nil || res.panicked {
		tx.Rollback()
		c.rolledBack()
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
	tx, err := c.begin(ctx)
	if err != nil {
		// BEGIN failing is about the database, not about any call.
		err = classify(fmt.Errorf("begin: %w", err))
		results = make([]writeResult, len(live))
		for i := range results {
			results[i] = writeResult{err: err}
		}
		return results, true
	}
	// void rolls the whole transaction back: the batch broke.
	void := func() ([]writeResult, bool) {
		tx.Rollback()
		c.rolledBack()
		return nil, false
	}
	results = make([]writeResult, len(live))
	// Each call's RELEASE goes out with the next call's SAVEPOINT as one
	// statement string: one round trip per call fewer on PostgreSQL, where
	// the batch holds the write lock of every instance meanwhile.
	open := "SAVEPOINT batch_item"
	for i, req := range live {
		if _, err := tx.ExecContext(ctx, open); err != nil {
			return void()
		}
		res := call(req, tx)
		if res.err != nil || res.panicked {
			c.rolledBack()
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO batch_item"); err != nil {
				return void()
			}
			if res.err != nil {
				res.err = classify(res.err)
			}
		}
		results[i] = res
		open = "RELEASE batch_item; SAVEPOINT batch_item"
	}
	// RELEASE fails if the savepoint is gone, i.e. SQLite rolled the whole
	// transaction back under us: then the batch is void. (The RELEASE
	// before each later SAVEPOINT above checks the same.)
	if _, err := tx.ExecContext(ctx, "RELEASE batch_item"); err != nil {
		return void()
	}
	if err := tx.Commit(); err != nil {
		c.abandon()
		return nil, false
	}
	return results, true
}

// begin starts a write transaction, holding the write lock when there is one.
func (c *committer) begin(ctx context.Context) (*sql.Tx, error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil || c.lock == "" {
		return tx, err
	}
	if _, err := tx.ExecContext(ctx, c.lock); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// abandon ends a transaction that a failed COMMIT may have left open on the
// connection (SQLite keeps it open after e.g. SQLITE_BUSY at COMMIT), so the
// next BEGIN does not fail. Only the writer goroutine uses the connection.
func (c *committer) abandon() {
	c.db.ExecContext(context.Background(), "ROLLBACK")
	c.rolledBack()
}

// call runs one function, turning a panic into a result the caller's
// goroutine re-raises, so a bug fails its own request as before.
//
// The function gets its caller's context without the cancellation: a call
// that has started runs to its end. Its statements work inside a batch that
// holds other callers' changes too, and a statement stopped halfway would
// end that whole transaction (SQLite's interrupt rolls it back; PostgreSQL
// aborts it), so one caller giving up would undo its neighbours' work. The
// caller's cancellation still counts until the call starts (see run).
func call(req *writeReq, tx *sql.Tx) (res writeResult) {
	defer func() {
		if v := recover(); v != nil {
			res = writeResult{panicked: true, panicVal: v}
		}
	}()
	return writeResult{err: req.fn(context.WithoutCancel(req.ctx), tx)}
}
