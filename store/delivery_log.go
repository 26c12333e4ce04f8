package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Delivery log filters on a delivery's state, beyond the stored statuses:
// a pending delivery that has failed at least once is retrying, and
// undelivered is what `deliveries -failed` lists (failed, or retrying).
const (
	FilterRetrying    = "retrying"
	FilterUndelivered = "undelivered"
)

// DeliveryStatusFilters are the values DeliveryFilter.Status accepts.
var DeliveryStatusFilters = []string{DeliveryDelivered, DeliveryFailed, DeliveryPending, FilterRetrying, FilterUndelivered}

// DeliveryFilter picks deliveries out of the log. Zero fields do not
// filter.
type DeliveryFilter struct {
	EndpointID int64
	Event      string // an event name
	Status     string // one of DeliveryStatusFilters
	// HTTPClass is the class of the last answer's status: 2 for 2xx … 5
	// for 5xx, -1 for no answer (none yet, or the attempt got none).
	HTTPClass int
	Since     time.Time // created at or after
	Until     time.Time // created before
	WebhookID string    // the event id, exact
	TaskID    int64
	// Keyset pagination: Before lists the page older than that delivery
	// id, After the page newer than it (only one of them).
	Before, After int64
	Limit         int // default 50, at most MaxDeliveryPage
}

// MaxDeliveryPage bounds one page of the log.
const MaxDeliveryPage = 10000

// DeliveryLogPage is one page of the log, newest first, with the cursors
// of its neighbours: Older and Newer are the Before and After of the
// pages beside it, 0 when there is none.
type DeliveryLogPage struct {
	Deliveries []Delivery
	Older      int64
	Newer      int64
}

// Check says what is wrong with a filter, for the page and the CLI.
func (f DeliveryFilter) Check() error {
	if f.Status != "" && !slices.Contains(DeliveryStatusFilters, f.Status) {
		return &InvalidError{Reason: fmt.Sprintf("status %q is not one of %s", f.Status, strings.Join(DeliveryStatusFilters, ", "))}
	}
	if f.HTTPClass != 0 && (f.HTTPClass < -1 || f.HTTPClass == 0 || f.HTTPClass == 1 || f.HTTPClass > 5) {
		return &InvalidError{Reason: "HTTP status class must be 2xx, 3xx, 4xx, 5xx or none"}
	}
	if f.Before != 0 && f.After != 0 {
		return &InvalidError{Reason: "a page is either older or newer than a delivery, not both"}
	}
	if f.Before < 0 || f.After < 0 || f.TaskID < 0 || f.EndpointID < 0 {
		return &InvalidError{Reason: "ids are positive numbers"}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return &InvalidError{Reason: "the start of the time range must be before its end"}
	}
	if f.Limit < 0 || f.Limit > MaxDeliveryPage {
		return &InvalidError{Reason: fmt.Sprintf("a page holds 1 to %d deliveries", MaxDeliveryPage)}
	}
	return nil
}

// where is the filter as SQL conditions on d (deliveries) and ev (events),
// without the page's cursor.
func (f DeliveryFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if f.EndpointID != 0 {
		add(`d.endpoint_id = ?`, f.EndpointID)
	}
	if f.Event != "" {
		add(`d.event_name = ?`, f.Event)
	}
	switch f.Status {
	case DeliveryDelivered, DeliveryFailed:
		add(`d.status = ?`, f.Status)
	case DeliveryPending:
		add(`d.status = 'pending' AND d.attempts = 0`)
	case FilterRetrying:
		add(`d.status = 'pending' AND d.attempts > 0`)
	case FilterUndelivered:
		add(`d.status IN ('failed', 'pending') AND (d.status = 'failed' OR d.attempts > 0)`)
	}
	switch {
	case f.HTTPClass == -1:
		add(`COALESCE(d.last_status, 0) / 100 = 0`)
	case f.HTTPClass > 0:
		add(`COALESCE(d.last_status, 0) / 100 = ?`, f.HTTPClass)
	}
	// A time range is read between the ids its deliveries span (idSpan);
	// the times themselves decide which of those rows it holds.
	if f.timed() {
		cond, a := f.timeRange("d.")
		add(cond, a...)
	}
	if f.WebhookID != "" {
		add(`d.event_id = ?`, f.WebhookID)
	}
	if f.TaskID != 0 {
		add(`ev.task_id = ?`, f.TaskID)
	}
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}

// eventIDFloor is the smallest event id made at t's millisecond: the
// UUIDv7 time bits, then the lowest of the rest.
func eventIDFloor(t time.Time) string {
	h := fmt.Sprintf("%012x", uint64(t.UnixMilli())&(1<<48-1))
	return h[:8] + "-" + h[8:] + "-0000-0000-000000000000"
}

// idSpan is the smallest and largest id of the deliveries created in a
// time range.
type idSpan struct{ first, last int64 }

// timed says whether the filter has a time range.
func (f DeliveryFilter) timed() bool { return !f.Since.IsZero() || !f.Until.IsZero() }

// timeRange is the filter's time range as a condition on the deliveries'
// created_at_ms, their columns named with prefix.
func (f DeliveryFilter) timeRange(prefix string) (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds = append(conds, prefix+`created_at_ms >= ?`)
		args = append(args, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		conds = append(conds, prefix+`created_at_ms < ?`)
		args = append(args, f.Until.UnixMilli())
	}
	return strings.Join(conds, " AND "), args
}

// spanQuery finds the idSpan of the filter's time range through the index
// on (time_ordered, created_at_ms): the time-ordered deliveries are sorted
// by time and id alike, so the first and the last of them in the range
// have its smallest and largest id among them; the others are compared
// one by one (migration 025 says why they are few).
func (f DeliveryFilter) spanQuery() (string, []any) {
	in, args := f.timeRange("")
	var all []any
	for range 4 {
		all = append(all, args...)
	}
	return `SELECT
		(SELECT id FROM deliveries WHERE time_ordered = 1 AND ` + in + ` ORDER BY created_at_ms, id LIMIT 1),
		(SELECT id FROM deliveries WHERE time_ordered = 1 AND ` + in + ` ORDER BY created_at_ms DESC, id DESC LIMIT 1),
		(SELECT min(id) FROM deliveries WHERE time_ordered = 0 AND ` + in + `),
		(SELECT max(id) FROM deliveries WHERE time_ordered = 0 AND ` + in + `)`, all
}

// span reads the idSpan of the filter's time range; ok is false when the
// range holds no delivery.
func (s *Store) span(ctx context.Context, f DeliveryFilter) (span idSpan, ok bool, err error) {
	query, args := f.spanQuery()
	var first, last, otherFirst, otherLast sql.NullInt64
	if err := s.reader.QueryRowContext(ctx, query, args...).Scan(&first, &last, &otherFirst, &otherLast); err != nil {
		return idSpan{}, false, err
	}
	for _, v := range []sql.NullInt64{first, last, otherFirst, otherLast} {
		if !v.Valid {
			continue
		}
		if !ok || v.Int64 < span.first {
			span.first = v.Int64
		}
		if !ok || v.Int64 > span.last {
			span.last = v.Int64
		}
		ok = true
	}
	return span, ok, nil
}

// query is the page's query: the filter, the ids its time range spans
// (when it has one) and the cursor, in id order (newest first, or oldest
// first for a page newer than After).
func (f DeliveryFilter) query(limit int, span idSpan) (string, []any) {
	where, args := f.where()
	if f.timed() {
		where += ` AND d.id >= ? AND d.id <= ?`
		args = append(args, span.first, span.last)
	}
	order := "DESC"
	switch {
	case f.Before != 0:
		where += ` AND d.id < ?`
		args = append(args, f.Before)
	case f.After != 0:
		where += ` AND d.id > ?`
		args = append(args, f.After)
		order = "ASC"
	}
	return `SELECT ` + deliverySelect + ` ` + deliveryFrom + ` WHERE ` + where + ` ORDER BY d.id ` + order + ` LIMIT ?`, append(args, limit)
}

// timeOrderedSQL is the time_ordered of a delivery being written, created
// at the time placeholder p holds (migration 025). Writes are serialized
// (SQLite's write lock, PostgreSQL's advisory lock: whichever process
// writes), so no other delivery comes between the check and the insert.
func timeOrderedSQL(p string) string {
	return `CASE WHEN ` + p + ` >= COALESCE((SELECT max(created_at_ms) FROM deliveries WHERE time_ordered = 1), 0) THEN 1 ELSE 0 END`
}

// DeliveryLog lists one page of the deliveries f picks, newest first. A
// page is bounded by delivery ids, not offsets, so it stays the same while
// new deliveries arrive.
func (s *Store) DeliveryLog(ctx context.Context, f DeliveryFilter) (DeliveryLogPage, error) {
	if err := f.Check(); err != nil {
		return DeliveryLogPage{}, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	if err := s.settle(ctx); err != nil {
		return DeliveryLogPage{}, err
	}
	var span idSpan
	if f.timed() {
		var ok bool
		var err error
		if span, ok, err = s.span(ctx, f); err != nil {
			return DeliveryLogPage{}, fmt.Errorf("store: list deliveries: %w", err)
		} else if !ok {
			span = idSpan{first: 1, last: 0} // no delivery in the range: an empty span
		}
	}
	// One more than the page tells whether there is a page beyond it.
	query, args := f.query(limit+1, span)
	rows, err := listRows(ctx, s.reader, nil, scanDelivery, query, args...)
	if err != nil {
		return DeliveryLogPage{}, fmt.Errorf("store: list deliveries: %w", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	if f.After != 0 {
		slices.Reverse(rows)
	}
	page := DeliveryLogPage{Deliveries: rows}
	if len(rows) == 0 {
		// Past either end: the way back is the cursor the caller came by.
		if f.After != 0 {
			page.Older = f.After + 1
		} else if f.Before != 0 {
			page.Newer = f.Before - 1
		}
		return page, nil
	}
	newest, oldest := rows[0].ID, rows[len(rows)-1].ID
	switch {
	case f.After != 0:
		page.Older = oldest
		if more {
			page.Newer = newest
		}
	case f.Before != 0:
		page.Newer = newest
		if more {
			page.Older = oldest
		}
	default:
		if more {
			page.Older = oldest
		}
	}
	return page, nil
}

// RedeliverySelection is what a bulk redelivery sends again: the given
// deliveries, or every undelivered delivery (failed, or waiting for a
// retry) of one endpoint created since a time.
type RedeliverySelection struct {
	DeliveryIDs []int64
	EndpointID  int64
	Since       time.Time
}

// MaxBulkRedeliveries bounds one bulk redelivery.
const MaxBulkRedeliveries = 10000

// RequestRedeliveries queues a redelivery (a send request, carried out by
// the running server's retry worker, see RequestSend) for each delivery
// sel picks, in one transaction, and returns how many it queued. Each is
// sent with its webhook-id, as a redelivery of one.
func (s *Store) RequestRedeliveries(ctx context.Context, sel RedeliverySelection) (int, error) {
	var from string
	var args []any
	now := s.now().UnixMilli()
	switch {
	case len(sel.DeliveryIDs) > 0 && sel.EndpointID == 0:
		if len(sel.DeliveryIDs) > MaxBulkRedeliveries {
			return 0, &InvalidError{Reason: fmt.Sprintf("at most %d deliveries at once", MaxBulkRedeliveries)}
		}
		list, ids := inList(sel.DeliveryIDs)
		from, args = `FROM deliveries WHERE id IN `+list, ids
	case len(sel.DeliveryIDs) == 0 && sel.EndpointID != 0:
		from, args = `FROM deliveries WHERE endpoint_id = ? AND created_at_ms >= ?
			AND (status = 'failed' OR (status = 'pending' AND attempts > 0))`, []any{sel.EndpointID, sel.Since.UnixMilli()}
	default:
		return 0, &InvalidError{Reason: "choose the deliveries to send again, or an endpoint"}
	}
	var n int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if sel.EndpointID != 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = ?`, sel.EndpointID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("endpoint %d: %w", sel.EndpointID, ErrNotFound)
			} else if err != nil {
				return err
			}
		}
		var count int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) `+from, args...).Scan(&count); err != nil {
			return err
		}
		if count > MaxBulkRedeliveries {
			return &InvalidError{Reason: fmt.Sprintf("%d deliveries match; at most %d can be sent again at once (choose a later start)", count, MaxBulkRedeliveries)}
		}
		if len(sel.DeliveryIDs) > 0 && count != int64(len(uniqueIDs(sel.DeliveryIDs))) {
			return fmt.Errorf("%d of the chosen deliveries: %w", int64(len(uniqueIDs(sel.DeliveryIDs)))-count, ErrNotFound)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO send_requests (trigger, delivery_id, requested_at_ms)
			SELECT 'redeliver', id, ? `+from+` ORDER BY id`, append([]any{now}, args...)...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue redeliveries: %w", err)
	}
	return int(n), nil
}

// QueuedRedeliveries counts the redeliveries queued and not yet answered,
// of one endpoint (0: all).
func (s *Store) QueuedRedeliveries(ctx context.Context, endpointID int64) (int, error) {
	var n int
	err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM send_requests r
		WHERE r.done_at_ms = 0 AND r.trigger = 'redeliver'
		  AND (? = 0 OR EXISTS (SELECT 1 FROM deliveries d WHERE d.id = r.delivery_id AND d.endpoint_id = ?))`,
		endpointID, endpointID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: queued redeliveries: %w", err)
	}
	return n, nil
}

func uniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// ParseHTTPClass reads an HTTP status class as the page and the CLI take
// it: "2xx" … "5xx", "none" (no answer: -1), or "" (any: 0).
func ParseHTTPClass(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "":
		return 0, nil
	case "none":
		return -1, nil
	case "2xx", "3xx", "4xx", "5xx":
		return int(s[0] - '0'), nil
	}
	return 0, &InvalidError{Reason: fmt.Sprintf("HTTP status class %q is not 2xx, 3xx, 4xx, 5xx or none", s)}
}

// ParseTimeBound reads an end of a time range as the page and the CLI
// take it: a time back from now ("90m", "24h", "7d"), an RFC 3339 time, or
// a date with or without a time of day, in UTC ("2030-01-15 09:30",
// "2030-01-15T09:30", "2030-01-15"). "" is no bound (the zero time).
func ParseTimeBound(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &InvalidError{Reason: fmt.Sprintf("%q is not a time: write 24h, 7d, 2030-01-15 or 2030-01-15 09:30 (UTC)", s)}
}
