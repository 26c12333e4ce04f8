package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RecordAttempts stores the outcomes of attempts in one transaction: the
// attempt rows, each delivery's new status and schedule (a request's
// delivery is written here, once, and taken off its event's fanout row), and
// each endpoint's health (failure flag, disabling on 410 or after
// EndpointFailingLimit of failures).
func (s *Store) RecordAttempts(ctx context.Context, recs []AttemptRecord) error {
	if len(recs) == 0 {
		return nil
	}
	made := []recordSet{{s.now(), recs}}
	if err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { return recordAttemptsTx(ctx, tx, made) }); err != nil {
		return fmt.Errorf("store: record attempts: %w", err)
	}
	return nil
}

// RecordAttemptsLater queues what RecordAttempts stores and returns at
// once; done receives the outcome on the store's writer goroutine and
// must be quick. It is for the request path: the caller is answered when
// its attempts have ended, not after a second trip through the writer.
// Records queued by concurrent requests are written together, with one
// health update per endpoint; they commit with the next batch, in order
// with every later write of this Store, and reads of delivery state made
// through this Store wait for them. If the process dies before they
// commit, their events' fanout rows are still there and the deliveries are
// attempted again (at least once).
func (s *Store) RecordAttemptsLater(recs []AttemptRecord, done func(error)) error {
	if len(recs) == 0 {
		return nil
	}
	q := &s.later
	q.mu.Lock()
	q.sets = append(q.sets, recordSet{s.now(), recs})
	q.dones = append(q.dones, done)
	first := !q.posted
	q.posted = true
	q.mu.Unlock()
	if !first {
		return nil // the write already queued takes these too
	}
	var mine []recordSet
	var dones []func(error)
	taken := false
	write := func(ctx context.Context, tx *sql.Tx) error {
		// A batch that breaks runs its calls again alone: take the
		// queue once, write the same records each time.
		if !taken {
			q.mu.Lock()
			mine, dones = q.sets, q.dones
			q.sets, q.dones, q.posted = nil, nil, false
			q.mu.Unlock()
			taken = true
		}
		return recordAttemptsTx(ctx, tx, mine)
	}
	err := s.writes.post(write, func(err error) {
		if err != nil {
			err = fmt.Errorf("store: record attempts: %w", err)
		}
		for _, d := range dones {
			d(err)
		}
	})
	if err != nil {
		// Closed: nothing will write the queue. The callers who joined
		// it hear so; their events' fanout rows stand for the records.
		q.mu.Lock()
		stranded := q.dones[1:]
		q.sets, q.dones, q.posted = nil, nil, false
		q.mu.Unlock()
		err = fmt.Errorf("store: record attempts: %w", err)
		for _, d := range stranded {
			d(err)
		}
		return err
	}
	return nil
}

// laterQueue holds records of RecordAttemptsLater until the writer takes
// them; posted tells whether a write that will take them is queued.
type laterQueue struct {
	mu     sync.Mutex
	sets   []recordSet
	dones  []func(error)
	posted bool
}

// recordSet is records handed over together, at a time.
type recordSet struct {
	at   time.Time
	recs []AttemptRecord
}

// settle waits for attempts queued by RecordAttemptsLater, so that reads
// of delivery state in this process see them.
func (s *Store) settle(ctx context.Context) error {
	if err := s.writes.settle(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// recordAttemptsTx writes sets of records, each timed when it was handed
// over, then each endpoint's health once, from its latest attempt.
func recordAttemptsTx(ctx context.Context, tx *sql.Tx, sets []recordSet) error {
	alive := endpointsAlive{}
	var health outcomes
	for _, set := range sets {
		now := set.at
		for _, r := range set.recs {
			owned := false // the event's fanout row still owed this delivery
			if r.DeliveryID == 0 {
				var err error
				if owned, err = closeFanout(ctx, tx, r.EventID, r.EndpointID); err != nil {
					return fmt.Errorf("close fanout: %w", err)
				}
				if !owned {
					// The worker took the event over after its lease (another
					// process's, or this one's before a stalled write): record
					// on the delivery it made, if still pending.
					err := tx.QueryRowContext(ctx, `SELECT id FROM deliveries
						WHERE endpoint_id = ? AND status = 'pending' AND event_id = ?`, r.EndpointID, r.EventID).Scan(&r.DeliveryID)
					if err != nil && !errors.Is(err, sql.ErrNoRows) {
						return fmt.Errorf("find delivery: %w", err)
					}
				}
			}
			if r.NotAttempted {
				// Pending for the worker: written unless the worker has
				// the event already (its delivery, pending or ended).
				if r.DeliveryID == 0 && owned {
					if err := insertDelivery(ctx, tx, now, &r, alive); err != nil {
						return err
					}
				}
				continue
			}
			ok, err := recordAttemptTx(ctx, tx, now, r, alive)
			if err != nil {
				return err
			}
			if ok { // else the endpoint was deleted meanwhile, with its log
				health.note(r, now)
			}
		}
	}
	return health.write(ctx, tx)
}

// closeFanout takes endpoint off the deliveries its event's fanout row
// still owes (the row goes with its last), so that each endpoint's outcome
// can be recorded as soon as its attempts end. It says whether the row
// owed that delivery: if not, the worker has taken the event over.
func closeFanout(ctx context.Context, tx *sql.Tx, event string, endpoint int64) (bool, error) {
	// The common case, the row's last endpoint, in one statement.
	res, err := tx.ExecContext(ctx, `DELETE FROM fanouts WHERE event_id = ? AND endpoint_ids = ?`, event, strconv.FormatInt(endpoint, 10))
	if err != nil {
		return false, err
	}
	if k, _ := res.RowsAffected(); k == 1 {
		return true, nil
	}
	var list string
	err = tx.QueryRowContext(ctx, `SELECT endpoint_ids FROM fanouts WHERE event_id = ?`, event).Scan(&list)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ids := parseIDList(list)
	i := slices.Index(ids, endpoint)
	if i < 0 {
		return false, nil
	}
	rest := make([]string, 0, len(ids)-1)
	for _, id := range slices.Delete(ids, i, i+1) {
		rest = append(rest, strconv.FormatInt(id, 10))
	}
	_, err = tx.ExecContext(ctx, `UPDATE fanouts SET endpoint_ids = ? WHERE event_id = ?`, strings.Join(rest, ","), event)
	return true, err
}

// outcomes is what one write learned of each endpoint, in the order met.
type outcomes struct {
	by    map[int64]*endpointOutcome
	order []int64
}

// endpointOutcome is what one write learned of an endpoint: its latest
// attempt, and whether any answered 410 Gone or 2xx.
type endpointOutcome struct {
	latest    AttemptRecord
	at        time.Time // when latest was handed over
	gone      bool
	succeeded bool
}

func (h *outcomes) note(r AttemptRecord, at time.Time) {
	o := h.by[r.EndpointID]
	if o == nil {
		if h.by == nil {
			h.by = map[int64]*endpointOutcome{}
		}
		o = &endpointOutcome{latest: r, at: at}
		h.by[r.EndpointID] = o
		h.order = append(h.order, r.EndpointID)
	} else if !r.Attempt.StartedAt.Before(o.latest.Attempt.StartedAt) {
		o.latest, o.at = r, at
	}
	o.gone = o.gone || r.Gone
	o.succeeded = o.succeeded || r.Success
}

func (h *outcomes) write(ctx context.Context, tx *sql.Tx) error {
	for _, id := range h.order {
		if err := recordHealth(ctx, tx, id, *h.by[id]); err != nil {
			return err
		}
	}
	return nil
}

// The records are written with single-row INSERT … VALUES after a read
// that checks the row they hang on still exists (an endpoint or a delivery
// deleted meanwhile takes its log with it). SQLite checks such an insert's
// foreign keys before it writes anything, so it needs no statement journal;
// INSERT … SELECT … WHERE EXISTS, which may write several rows, copies
// every page it touches into one first.

// endpointsAlive remembers, for one write, which endpoints still exist.
type endpointsAlive map[int64]bool

func (a endpointsAlive) check(ctx context.Context, tx *sql.Tx, id int64) (bool, error) {
	if ok, known := a[id]; known {
		return ok, nil
	}
	ok, err := rowExists(ctx, tx, `SELECT 1 FROM webhook_endpoints WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("find endpoint: %w", err)
	}
	a[id] = ok
	return ok, nil
}

func rowExists(ctx context.Context, tx *sql.Tx, query string, id int64) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, query, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// insertDelivery writes the delivery of a request's job (r.DeliveryID is 0)
// with r's outcome, unless its endpoint was deleted meanwhile (r.DeliveryID
// stays 0 then).
func insertDelivery(ctx context.Context, tx *sql.Tx, now time.Time, r *AttemptRecord, alive endpointsAlive) error {
	if ok, err := alive.check(ctx, tx, r.EndpointID); err != nil || !ok {
		return err
	}
	next, finished := r.schedule(now)
	attempts := 1
	if r.NotAttempted {
		attempts = 0
	}
	var err error
	r.DeliveryID, err = insert(ctx, tx, `INSERT INTO deliveries
		(event_id, event_name, endpoint_id, status, attempts, next_attempt_ms, last_status, created_at_ms, finished_at_ms, time_ordered)
		VALUES (?1, (SELECT name FROM events WHERE id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, `+timeOrderedSQL("?7")+`)`,
		r.EventID, r.EndpointID, r.Status, attempts, next, answerStatus(r.Attempt), r.EventAt.UnixMilli(), finished)
	if err != nil {
		return fmt.Errorf("insert delivery: %w", err)
	}
	return nil
}

// schedule is the delivery's next attempt time while it stays pending, or
// the time it ended.
func (r AttemptRecord) schedule(now time.Time) (next, finished sql.NullInt64) {
	if r.Status == DeliveryPending {
		return sql.NullInt64{Int64: r.NextAttemptAt.UnixMilli(), Valid: true}, finished
	}
	return next, sql.NullInt64{Int64: now.UnixMilli(), Valid: true}
}

// answerStatus is the attempt's HTTP status, NULL when no answer came (or
// no attempt was made).
func answerStatus(a Attempt) sql.NullInt64 {
	return sql.NullInt64{Int64: int64(a.ResponseStatus), Valid: a.ResponseStatus != 0}
}

// recordAttemptTx writes one attempt and its delivery's new state. ok is
// false when the delivery or its endpoint is gone (deleted meanwhile).
func recordAttemptTx(ctx context.Context, tx *sql.Tx, now time.Time, r AttemptRecord, alive endpointsAlive) (ok bool, err error) {
	fresh := r.DeliveryID == 0
	if fresh {
		if err := insertDelivery(ctx, tx, now, &r, alive); err != nil {
			return false, err
		}
		if r.DeliveryID == 0 {
			return false, nil
		}
	} else if ok, err := rowExists(ctx, tx, `SELECT 1 FROM deliveries WHERE id = ?`, r.DeliveryID); err != nil || !ok {
		if err != nil {
			return false, fmt.Errorf("find delivery: %w", err)
		}
		return false, nil // the endpoint was deleted meanwhile, with its log
	}
	a := r.Attempt
	reqHeaders, _ := json.Marshal(a.RequestHeaders) // a map of strings always marshals
	reqBody := a.RequestBody
	if reqBody == nil {
		reqBody = []byte{} // the column is NOT NULL
	}
	respStatus := answerStatus(a)
	var respHeaders sql.NullString
	var respBody []byte
	if respStatus.Valid {
		h, _ := json.Marshal(a.ResponseHeaders)
		respHeaders = sql.NullString{String: string(h), Valid: true}
		respBody = a.ResponseBody
		if len(respBody) > MaxStoredResponseBody {
			respBody = respBody[:MaxStoredResponseBody]
		}
		if respBody == nil {
			respBody = []byte{}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_attempts
		(delivery_id, trigger, started_at_ms, latency_ms, request_url, request_headers, request_body,
		 response_status, response_headers, response_body, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.DeliveryID, a.Trigger, a.StartedAt.UnixMilli(), a.Latency.Milliseconds(), a.RequestURL, string(reqHeaders),
		reqBody, respStatus, respHeaders, respBody, a.Error); err != nil {
		return false, fmt.Errorf("insert attempt: %w", err)
	}
	if fresh {
		return true, nil // written with its outcome
	}
	next, finished := r.schedule(now)
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_ms = ?,
		last_status = ?, finished_at_ms = COALESCE(?, finished_at_ms) WHERE id = ?`,
		r.Status, next, respStatus, finished, r.DeliveryID); err != nil {
		return false, fmt.Errorf("update delivery: %w", err)
	}
	return true, nil
}

// recordHealth keeps an endpoint's last attempt (unless a later one is
// recorded already) and its health, from what one write learned of it.
func recordHealth(ctx context.Context, tx *sql.Tx, endpointID int64, o endpointOutcome) error {
	a := o.latest.Attempt
	now := o.at
	respStatus := answerStatus(a)
	// One statement: every right-hand side reads the row as it was, so the
	// CASEs all see the old last_attempt_ms.
	nowS := now.Unix()
	success := o.latest.Success
	// Failing since: cleared by a latest success; else kept, or now when
	// the failures began after a success of this write.
	failing := `failing_since = COALESCE(failing_since, ?5)`
	switch {
	case success:
		failing = `failing_since = NULL`
	case o.succeeded:
		failing = `failing_since = ?5`
	}
	health := failing
	if o.gone {
		health += `, enabled = 0, disabled_reason = 'the receiver answered 410 Gone', modified_at = ?5`
	}
	args := []any{a.StartedAt.UnixMilli(), respStatus, a.Error, endpointID, nowS}
	where := `id = ?4`
	if success && !o.gone {
		args = args[:4] // the statement has no ?5
		// A success that would change only the time of a last attempt
		// recorded less than a second before is not written: the row's
		// page stays clean (at c=1 a commit writes one page fewer), and
		// the settings list shows that time to the second anyway.
		where += ` AND NOT (failing_since IS NULL AND last_status IS NOT DISTINCT FROM ?2 AND last_error IS NOT DISTINCT FROM ?3
			AND COALESCE(last_attempt_ms, 0) + 1000 > ?1)`
	}
	_, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET
		last_status = CASE WHEN COALESCE(last_attempt_ms, 0) <= ?1 THEN ?2 ELSE last_status END,
		last_error = CASE WHEN COALESCE(last_attempt_ms, 0) <= ?1 THEN ?3 ELSE last_error END,
		last_attempt_ms = CASE WHEN COALESCE(last_attempt_ms, 0) <= ?1 THEN ?1 ELSE last_attempt_ms END,
		`+health+` WHERE `+where, args...)
	if err == nil && !success && !o.gone {
		_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = 0, modified_at = ?,
			disabled_reason = 'every delivery failed for 5 days'
			WHERE id = ? AND enabled = 1 AND failing_since <= ?`,
			nowS, endpointID, nowS-int64(EndpointFailingLimit/time.Second))
	}
	if err != nil {
		return fmt.Errorf("update endpoint health: %w", err)
	}
	return nil
}
