package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SendRequest asks the running server to send one webhook now. Webhooks
// leave from the server only, with its network settings; another process
// (the CLI) queues the request and waits for its answer. A redelivery is
// "send delivery N now, trigger redeliver, keep its webhook-id"; a test is
// "make a webhook.test delivery to endpoint E and send it".
type SendRequest struct {
	ID         int64
	Trigger    string // TriggerTest or TriggerRedeliver
	EndpointID int64  // test: the endpoint to test
	DeliveryID int64  // redeliver: the delivery to send; test: the delivery the server made (once done)
	Done       bool
	Taken      bool
	// Error says why nothing was sent or recorded; the receiver's answer
	// is the delivery's attempt.
	Error string
}

// HeartbeatEvery is how often a running server's retry worker writes its
// heartbeat; ServerRunning allows three missed beats.
const HeartbeatEvery = 5 * time.Second

// Heartbeat registers this process as the running server of its instance
// (replacing an earlier run of the same instance, whose fanouts are then
// nobody's) and records that it is alive.
func (s *Store) Heartbeat(ctx context.Context) error {
	now := s.now().UnixMilli()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO servers (instance, run, beat_at_ms) VALUES (?, ?, ?)
			ON CONFLICT (instance) DO UPDATE SET run = excluded.run, beat_at_ms = excluded.beat_at_ms`, s.instance, s.run, now)
		return err
	})
}

// ClearHeartbeat records that this server has stopped: a CLI request is
// refused at once rather than left waiting when no other server runs, and
// what this run still owes is the other servers' to send.
func (s *Store) ClearHeartbeat(ctx context.Context) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM servers WHERE run = ?`, s.run)
		return err
	})
}

// ServerRunning says whether any server has written its heartbeat recently.
func (s *Store) ServerRunning(ctx context.Context) (bool, error) {
	var at int64
	err := s.reader.QueryRowContext(ctx, `SELECT COALESCE(max(beat_at_ms), 0) FROM servers`).Scan(&at)
	if err != nil {
		return false, fmt.Errorf("store: heartbeat: %w", err)
	}
	return s.now().UnixMilli()-at <= (3 * HeartbeatEvery).Milliseconds(), nil
}

// RequestSend queues a send request: a test of endpoint id (TriggerTest)
// or a redelivery of delivery id (TriggerRedeliver). The endpoint or
// delivery must exist.
func (s *Store) RequestSend(ctx context.Context, trigger string, id int64) (int64, error) {
	var check, column string
	switch trigger {
	case TriggerTest:
		check, column = `SELECT 1 FROM webhook_endpoints WHERE id = ?`, "endpoint_id"
	case TriggerRedeliver:
		check, column = `SELECT 1 FROM deliveries WHERE id = ?`, "delivery_id"
	default:
		return 0, fmt.Errorf("store: send request: unknown trigger %q", trigger)
	}
	var reqID int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, check, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		var err error
		reqID, err = insert(ctx, tx, `INSERT INTO send_requests (trigger, `+column+`, requested_at_ms) VALUES (?, ?, ?)`,
			trigger, id, s.now().UnixMilli())
		return err
	})
	if err != nil {
		what := map[string]string{TriggerTest: "endpoint", TriggerRedeliver: "delivery"}[trigger]
		return 0, fmt.Errorf("store: %s %d: %w", what, id, err)
	}
	return reqID, nil
}

const sendRequestColumns = `id, trigger, endpoint_id, delivery_id, taken_at_ms, done_at_ms, error`

func scanSendRequest(row interface{ Scan(...any) error }) (SendRequest, error) {
	var r SendRequest
	var taken, done int64
	err := row.Scan(&r.ID, &r.Trigger, &r.EndpointID, &r.DeliveryID, &taken, &done, &r.Error)
	r.Taken, r.Done = taken != 0, done != 0
	return r, err
}

// SendRequestByID is one send request as it stands.
func (s *Store) SendRequestByID(ctx context.Context, id int64) (SendRequest, error) {
	r, err := scanSendRequest(s.reader.QueryRowContext(ctx, `SELECT `+sendRequestColumns+` FROM send_requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return SendRequest{}, fmt.Errorf("store: send request %d: %w", id, ErrNotFound)
	}
	return r, err
}

// sendRequestsKept is how long answered requests stay for their askers.
const sendRequestsKept = time.Hour

// TakeSendRequests marks up to limit waiting requests taken, oldest first,
// and returns them. The server's worker asks every second: a read finds
// most times that nothing waits, and the writer is not disturbed.
func (s *Store) TakeSendRequests(ctx context.Context, limit int) ([]SendRequest, error) {
	var waiting bool
	if err := s.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM send_requests WHERE taken_at_ms = 0)`).Scan(&waiting); err != nil {
		return nil, fmt.Errorf("store: take send requests: %w", err)
	}
	if !waiting {
		return nil, nil
	}
	var out []SendRequest
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = listRows(ctx, tx, nil, scanSendRequest, `UPDATE send_requests SET taken_at_ms = ?
			WHERE id IN (SELECT id FROM send_requests WHERE taken_at_ms = 0 ORDER BY id LIMIT ?)
			RETURNING `+sendRequestColumns, s.now().UnixMilli(), limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: take send requests: %w", err)
	}
	return out, nil
}

// PruneSendRequests removes answered requests older than an hour (their
// askers have long stopped waiting).
func (s *Store) PruneSendRequests(ctx context.Context) error {
	cutoff := s.now().Add(-sendRequestsKept).UnixMilli()
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM send_requests WHERE done_at_ms != 0 AND done_at_ms < ?`, cutoff)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: prune send requests: %w", err)
	}
	return nil
}

// FinishSendRequest answers a taken request: the delivery that was sent
// (0 if none) and why nothing was sent, if so.
func (s *Store) FinishSendRequest(ctx context.Context, id, deliveryID int64, errText string) error {
	return s.execOne(ctx, fmt.Sprintf("send request %d", id), `UPDATE send_requests
		SET done_at_ms = ?, delivery_id = CASE WHEN ? != 0 THEN ? ELSE delivery_id END, error = ? WHERE id = ?`,
		s.now().UnixMilli(), deliveryID, deliveryID, errText, id)
}

// CancelSendRequest withdraws a request the server has not taken; it
// reports whether it did (false: it was taken, and may still be sent).
func (s *Store) CancelSendRequest(ctx context.Context, id int64) (bool, error) {
	err := s.execOne(ctx, fmt.Sprintf("send request %d", id), `DELETE FROM send_requests WHERE id = ? AND taken_at_ms = 0`, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
