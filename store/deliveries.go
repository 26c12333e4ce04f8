package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // not yet delivered; attempted again at NextAttemptAt
	DeliveryDelivered = "delivered" // a receiver answered 2xx
	DeliveryFailed    = "failed"    // the retry schedule is spent
)

// What started an attempt.
const (
	TriggerSync      = "sync"      // the request that made the change
	TriggerRetry     = "retry"     // the retry worker
	TriggerRedeliver = "redeliver" // an admin asked
	TriggerTest      = "test"      // the Test button
)

// Delivery is one event for one endpoint.
type Delivery struct {
	ID            int64
	EventID       string // also the webhook-id header
	EventName     string
	EndpointID    int64
	EndpointName  string
	Status        string
	AttemptCount  int
	NextAttemptAt time.Time // zero unless pending
	LastStatus    int       // HTTP status of the last attempt; 0 when none or no answer
	LastError     string
	CreatedAt     time.Time
	FinishedAt    time.Time // zero while pending
	// Attempts, oldest first; filled by Store.Delivery only.
	Attempts []Attempt
}

// Attempt is one HTTP request of a delivery, as recorded. Secrets are
// already redacted from the request URL and headers.
type Attempt struct {
	ID              int64
	DeliveryID      int64
	Trigger         string
	StartedAt       time.Time
	Latency         time.Duration
	RequestURL      string
	RequestHeaders  map[string]string
	RequestBody     []byte
	ResponseStatus  int // 0 when no response came
	ResponseHeaders map[string]string
	ResponseBody    []byte // at most the first 4 KiB
	Error           string
}

// AnswerError is an attempt's error beyond its HTTP status: "" when the
// error only restates the status ("HTTP 500"), so that a page or list that
// shows the status shows the error once.
func AnswerError(status int, err string) string {
	if status != 0 && err == fmt.Sprintf("HTTP %d", status) {
		return ""
	}
	return err
}

// DeliveryJob is a delivery ready to attempt: its event, its endpoint's
// settings and the secrets to sign with.
type DeliveryJob struct {
	DeliveryID   int64
	Status       string
	AttemptCount int       // attempts made before this one
	LeaseUntil   time.Time // nobody else attempts it before then
	Event        Event
	Endpoint     Endpoint // settings only, no health
	Secrets      EndpointSecrets
}

// AttemptRecord is the outcome of one attempt, for RecordAttempts.
type AttemptRecord struct {
	DeliveryID int64
	EndpointID int64
	// EventID and EventAt are the job's event. A job with no DeliveryID
	// yet (a request's, owed by its event's fanout row) gets its delivery
	// row written with this record.
	EventID string
	EventAt time.Time
	// NotAttempted: no attempt was made (shutdown, or its lease could not
	// be kept). For a job with no DeliveryID it writes the delivery,
	// pending, due at NextAttemptAt; otherwise nothing is recorded.
	NotAttempted bool
	Attempt      Attempt
	// Status is the delivery's status after the attempt; NextAttemptAt
	// applies when it stays pending.
	Status        string
	NextAttemptAt time.Time
	// Success: the receiver answered 2xx (clears the endpoint's failure
	// flag). Gone: it answered 410, which disables the endpoint.
	Success bool
	Gone    bool
}

// MaxStoredResponseBody is how much of a receiver's answer is kept.
const MaxStoredResponseBody = 4 << 10

// PendingDeliveries returns the deliveries the given events still owe to
// enabled endpoints (their fanout rows, see emit), by endpoint then event
// order. They are leased to the request that made the events, so it can
// attempt them without claiming; they have no DeliveryID until their
// outcome is recorded.
func (s *Store) PendingDeliveries(ctx context.Context, eventIDs []string) ([]DeliveryJob, error) {
	eventIDs = s.quiet.drop(eventIDs)
	if len(eventIDs) == 0 {
		return nil, nil
	}
	if err := s.settle(ctx); err != nil {
		return nil, err
	}
	jobs, err := s.fanoutJobs(ctx, eventIDs)
	if err != nil {
		return nil, fmt.Errorf("store: load deliveries: %w", err)
	}
	return jobs, nil
}

// takeOverFanouts turns the fanout rows matching where (at most
// maxTakeOver of them) into pending deliveries due at now, to the endpoints
// that still exist, and returns how many deliveries it wrote.
func takeOverFanouts(ctx context.Context, tx *sql.Tx, now int64, where string, args ...any) (int64, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM fanouts WHERE event_id IN
		(SELECT event_id FROM fanouts WHERE `+where+` ORDER BY event_id LIMIT `+strconv.Itoa(maxTakeOver)+`)
		RETURNING event_id, endpoint_ids, created_at_ms`, args...)
	if err != nil {
		return 0, err
	}
	type owed struct {
		event, endpoints string
		created          int64
	}
	var all []owed
	for rows.Next() {
		var o owed
		if err := rows.Scan(&o.event, &o.endpoints, &o.created); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var n int64
	for _, o := range all {
		for _, endpoint := range parseIDList(o.endpoints) {
			res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (event_id, event_name, endpoint_id, next_attempt_ms, created_at_ms, time_ordered)
				SELECT ?1, (SELECT name FROM events WHERE id = ?1), ?2, ?3, ?4, `+timeOrderedSQL("?4")+` WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ?2)`,
				o.event, endpoint, now, o.created)
			if err != nil {
				return 0, err
			}
			k, _ := res.RowsAffected()
			n += k
		}
	}
	return n, nil
}

// maxTakeOver bounds the fanout rows one transaction takes over, so a long
// backlog left by a crash does not hold the writer for long.
const maxTakeOver = 500

// ClaimDueDeliveries takes up to limit pending deliveries whose time has
// come, to enabled endpoints (first turning fanout rows nobody is sending
// any more into such deliveries), and in the same statement pushes their
// next_attempt_ms past lease + the endpoint's timeout, so no other process
// (or worker pass) attempts them meanwhile.
func (s *Store) ClaimDueDeliveries(ctx context.Context, limit int, lease time.Duration) ([]DeliveryJob, error) {
	now := s.now().UnixMilli()
	var ids []int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Events whose request did not record their deliveries within
		// the lease (it died, or is stuck) are the worker's now, and so
		// are those of a process that is no server's current run (it
		// stopped, or its instance restarted after a crash): nobody will
		// record them. This run's own fanouts wait for their lease, as its
		// requests may still be sending them.
		if _, err := takeOverFanouts(ctx, tx, now,
			`lease_until_ms <= ? OR (owner <> ? AND owner NOT IN (SELECT run FROM servers))`, now, s.run); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries
			SET next_attempt_ms = ? + (SELECT timeout_ms FROM webhook_endpoints e WHERE e.id = deliveries.endpoint_id)
			WHERE id IN (SELECT d.id FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
				WHERE d.status = 'pending' AND d.next_attempt_ms <= ? AND e.enabled = 1
				ORDER BY d.next_attempt_ms LIMIT ?)
			RETURNING id`, now+lease.Milliseconds(), now, limit)
		if err != nil {
			return err
		}
		ids, err = scanIDs(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	return s.deliveryJobs(ctx, ids)
}

// ClaimDelivery takes one delivery for a manual redelivery, whatever its
// status. A pending one is leased like ClaimDueDeliveries does, so the
// worker leaves it alone while the admin's attempt runs.
func (s *Store) ClaimDelivery(ctx context.Context, id int64, lease time.Duration) (DeliveryJob, error) {
	now := s.now().UnixMilli()
	err := s.execOne(ctx, fmt.Sprintf("delivery %d", id), `UPDATE deliveries
		SET next_attempt_ms = CASE WHEN status = 'pending'
			THEN ? + (SELECT timeout_ms FROM webhook_endpoints e WHERE e.id = deliveries.endpoint_id)
			ELSE next_attempt_ms END
		WHERE id = ?`, now+lease.Milliseconds(), id)
	if err != nil {
		return DeliveryJob{}, err
	}
	jobs, err := s.deliveryJobs(ctx, []int64{id})
	if err != nil {
		return DeliveryJob{}, err
	}
	if len(jobs) == 0 {
		return DeliveryJob{}, fmt.Errorf("store: delivery %d: %w", id, ErrNotFound)
	}
	return jobs[0], nil
}

// TestEventData is event_data of a webhook.test event.
type TestEventData struct {
	Message    string `json:"message"`
	EndpointID int64  `json:"endpoint_id"`
}

// inList is the SQL list "(?,?,…)" for values, with its arguments; values
// must not be empty.
func inList[T any](values []T) (string, []any) {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return "(?" + strings.Repeat(",?", len(values)-1) + ")", args
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// jobColumns reads a delivery with its event and its endpoint's settings
// and sealed secrets, in one row.
const jobColumns = `d.id, d.status, d.attempts, d.next_attempt_ms,
	ev.id, ev.name, COALESCE(ev.project_id, 0), COALESCE(ev.task_id, 0), COALESCE(ev.author_user_id, 0),
	COALESCE(ev.author_integration_id, 0), COALESCE(ev.author_name, ''), ev.created_at_ms, ev.data,
	e.id, e.name, e.url, e.enabled, e.events, e.projects, e.format, e.timeout_ms,
	e.token_enc, e.prev_token_enc, e.prev_token_until, e.secret_enc, e.prev_secret_enc, e.prev_secret_until
	FROM deliveries d JOIN events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id`

// loadJobs runs one query for deliveries ready to attempt. Each endpoint's
// secrets are decrypted once per call.
func (s *Store) loadJobs(ctx context.Context, where string, args ...any) ([]DeliveryJob, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+jobColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: load deliveries: %w", err)
	}
	defer rows.Close()
	secrets := map[int64]EndpointSecrets{}
	var out []DeliveryJob
	for rows.Next() {
		var j DeliveryJob
		var next sql.NullInt64
		var evMS int64
		var data, events, projects string
		var timeoutMS int64
		var sl sealedSecrets
		ev := &j.Event
		ep := &j.Endpoint
		if err := rows.Scan(&j.DeliveryID, &j.Status, &j.AttemptCount, &next,
			&ev.ID, &ev.Name, &ev.ProjectID, &ev.TaskID, &ev.UserID, &ev.IntegrationID, &ev.AuthorName, &evMS, &data,
			&ep.ID, &ep.Name, &ep.URL, &ep.Enabled, &events, &projects, &ep.Format, &timeoutMS,
			&sl.tok, &sl.prevTok, &sl.tokUntil, &sl.sec, &sl.prevSec, &sl.secUntil); err != nil {
			return nil, fmt.Errorf("store: load deliveries: %w", err)
		}
		if next.Valid {
			j.LeaseUntil = time.UnixMilli(next.Int64)
		}
		ev.CreatedAt = time.UnixMilli(evMS).UTC()
		ev.Data = json.RawMessage(data)
		ep.Events = ParseEventFilter(events)
		ep.Projects, _ = ParseProjectFilter(projects)
		ep.Timeout = time.Duration(timeoutMS) * time.Millisecond
		sec, ok := secrets[ep.ID]
		if !ok {
			sec, err = s.openEndpointSecrets(sl)
			if err != nil {
				return nil, fmt.Errorf("store: endpoint %d secrets: %w", ep.ID, err)
			}
			secrets[ep.ID] = sec
		}
		j.Secrets = sec
		out = append(out, j)
	}
	return out, rows.Err()
}

// deliveryJobs loads the given deliveries, keeping the order of ids and
// leaving out those deleted meanwhile (with their endpoint).
func (s *Store) deliveryJobs(ctx context.Context, ids []int64) ([]DeliveryJob, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, args := inList(ids)
	jobs, err := s.loadJobs(ctx, `WHERE d.id IN `+list, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]DeliveryJob, len(jobs))
	for _, j := range jobs {
		byID[j.DeliveryID] = j
	}
	out := make([]DeliveryJob, 0, len(jobs))
	for _, id := range ids {
		if j, ok := byID[id]; ok {
			out = append(out, j)
		}
	}
	return out, nil
}

const deliverySelect = `d.id, d.event_id, ev.name, d.endpoint_id, e.name, d.status, d.attempts,
	COALESCE(d.next_attempt_ms, 0), COALESCE(d.last_status, 0),
	COALESCE((SELECT a.error FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1), ''),
	d.created_at_ms, COALESCE(d.finished_at_ms, 0)`

// deliveryColumns reads a delivery for scanDelivery.
const deliveryColumns = deliverySelect + ` ` + deliveryFrom

// deliveryFrom joins a delivery to its event (ev) and endpoint (e).
const deliveryFrom = `FROM deliveries d JOIN events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var next, created, finished int64
	err := row.Scan(&d.ID, &d.EventID, &d.EventName, &d.EndpointID, &d.EndpointName, &d.Status, &d.AttemptCount,
		&next, &d.LastStatus, &d.LastError, &created, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, ErrNotFound
	}
	if err != nil {
		return Delivery{}, err
	}
	if d.Status == DeliveryPending && next != 0 {
		d.NextAttemptAt = time.UnixMilli(next).UTC()
	}
	d.CreatedAt = time.UnixMilli(created).UTC()
	if finished != 0 {
		d.FinishedAt = time.UnixMilli(finished).UTC()
	}
	return d, nil
}

// Deliveries lists the newest deliveries first, of one endpoint (0: all).
// failedOnly keeps those not delivered that have failed at least once:
// given up, or pending a retry.
func (s *Store) Deliveries(ctx context.Context, endpointID int64, limit int, failedOnly bool) ([]Delivery, error) {
	f := DeliveryFilter{EndpointID: endpointID, Limit: limit}
	if failedOnly {
		f.Status = FilterUndelivered
	}
	page, err := s.DeliveryLog(ctx, f)
	return page.Deliveries, err
}

// Delivery reads one delivery with all its attempts, oldest first.
func (s *Store) Delivery(ctx context.Context, id int64) (Delivery, error) {
	if err := s.settle(ctx); err != nil {
		return Delivery{}, err
	}
	d, err := scanDelivery(s.reader.QueryRowContext(ctx, `SELECT `+deliveryColumns+` WHERE d.id = ?`, id))
	if err != nil {
		return Delivery{}, fmt.Errorf("store: delivery %d: %w", id, err)
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT id, delivery_id, trigger, started_at_ms, latency_ms, request_url,
		request_headers, request_body, COALESCE(response_status, 0),
		COALESCE(response_headers, ''), response_body, error
		FROM delivery_attempts WHERE delivery_id = ? ORDER BY id`, id)
	if err != nil {
		return Delivery{}, fmt.Errorf("store: delivery %d attempts: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Attempt
		var started, latency int64
		var reqHeaders, respHeaders string
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.Trigger, &started, &latency, &a.RequestURL, &reqHeaders,
			&a.RequestBody, &a.ResponseStatus, &respHeaders, &a.ResponseBody, &a.Error); err != nil {
			return Delivery{}, fmt.Errorf("store: delivery %d attempts: %w", id, err)
		}
		a.StartedAt = time.UnixMilli(started).UTC()
		a.Latency = time.Duration(latency) * time.Millisecond
		json.Unmarshal([]byte(reqHeaders), &a.RequestHeaders)
		if respHeaders != "" {
			json.Unmarshal([]byte(respHeaders), &a.ResponseHeaders)
		}
		d.Attempts = append(d.Attempts, a)
	}
	if err := rows.Err(); err != nil {
		return Delivery{}, fmt.Errorf("store: delivery %d attempts: %w", id, err)
	}
	return d, nil
}

// PruneDeliveries removes attempts started before cutoff and finished
// deliveries (delivered or failed) that ended before it. Pending
// deliveries are never removed. It returns how many rows went.
//
// Both tables are read from their oldest id up to the first row of the
// cutoff's time (ids grow with time), so a prune reads what it removes and
// no more, without an index on times. A row written out of time order
// (its id a little later than a newer row's) may wait for the next prune.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	ms := cutoff.UnixMilli()
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM delivery_attempts WHERE id < COALESCE(
			(SELECT id FROM delivery_attempts WHERE started_at_ms >= ?1 ORDER BY id LIMIT 1),
			(SELECT max(id) + 1 FROM delivery_attempts)) AND started_at_ms < ?1`, ms)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		total += n
		// A delivery ends after it was made: one that ended before the
		// cutoff was made before it.
		res, err = tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id < COALESCE(
			(SELECT id FROM deliveries WHERE created_at_ms >= ?1 ORDER BY id LIMIT 1),
			(SELECT max(id) + 1 FROM deliveries)) AND status != 'pending' AND finished_at_ms < ?1`, ms)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		total += n
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune deliveries: %w", err)
	}
	return total, nil
}

// DisableFailingEndpoints disables the enabled endpoints whose failures
// began EndpointFailingLimit ago or more (no success since), and returns
// their ids. Attempts disable them too; this catches an endpoint with no
// attempt left to make.
func (s *Store) DisableFailingEndpoints(ctx context.Context) ([]int64, error) {
	now := s.now().Unix()
	var ids []int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_endpoints SET enabled = 0, modified_at = ?,
			disabled_reason = 'every delivery failed for 5 days'
			WHERE enabled = 1 AND failing_since <= ? RETURNING id`, now, now-int64(EndpointFailingLimit/time.Second))
		if err != nil {
			return err
		}
		ids, err = scanIDs(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: disable failing endpoints: %w", err)
	}
	return ids, nil
}
