package store

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sealedJob is a delivery with its endpoint's sealed secrets, opened only
// once per endpoint (see openJobs).
type sealedJob struct {
	job    DeliveryJob
	sealed sealedSecrets
}

// endpointJobColumns are what scanEndpointJob reads.
const endpointJobColumns = `id, name, url, enabled, events, projects, format, timeout_ms,
	token_enc, prev_token_enc, prev_token_until, secret_enc, prev_secret_enc, prev_secret_until`

// scanEndpointJob reads an endpoint as the job of a delivery to it.
func scanEndpointJob(row interface{ Scan(...any) error }) (sealedJob, error) {
	var j sealedJob
	var events, projects string
	var timeoutMS int64
	ep := &j.job.Endpoint
	sl := &j.sealed
	err := row.Scan(&ep.ID, &ep.Name, &ep.URL, &ep.Enabled, &events, &projects, &ep.Format, &timeoutMS,
		&sl.tok, &sl.prevTok, &sl.tokUntil, &sl.sec, &sl.prevSec, &sl.secUntil)
	if err != nil {
		return j, err
	}
	ep.Events = ParseEventFilter(events)
	ep.Projects, _ = ParseProjectFilter(projects)
	ep.Timeout = time.Duration(timeoutMS) * time.Millisecond
	return j, nil
}

// openJobs sorts jobs as PendingDeliveries returns them (by endpoint, then
// event) and opens each endpoint's secrets once.
func (s *Store) openJobs(sealed []sealedJob) ([]DeliveryJob, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(sealed, func(a, b sealedJob) int {
		return cmp.Or(cmp.Compare(a.job.Endpoint.ID, b.job.Endpoint.ID), cmp.Compare(a.job.Event.ID, b.job.Event.ID))
	})
	opened := map[int64]EndpointSecrets{}
	out := make([]DeliveryJob, len(sealed))
	for i, m := range sealed {
		j := m.job
		sec, ok := opened[j.Endpoint.ID]
		if !ok {
			var err error
			sec, err = s.openEndpointSecrets(m.sealed)
			if err != nil {
				return nil, err
			}
			opened[j.Endpoint.ID] = sec
		}
		j.Secrets = sec
		out[i] = j
	}
	return out, nil
}

// fanoutJobs reads from the database the jobs of the given events' fanout
// rows that are still owed (not recorded, not taken over by the worker),
// to endpoints still enabled.
func (s *Store) fanoutJobs(ctx context.Context, eventIDs []string) ([]DeliveryJob, error) {
	list, args := inList(eventIDs)
	type owed struct {
		endpoints string
		lease     int64
	}
	fanouts := map[string]owed{}
	rows, err := s.reader.QueryContext(ctx, `SELECT event_id, endpoint_ids, lease_until_ms FROM fanouts WHERE event_id IN `+list, args...)
	if err != nil {
		return nil, err
	}
	var endpointIDs []int64
	for rows.Next() {
		var id string
		var o owed
		if err := rows.Scan(&id, &o.endpoints, &o.lease); err != nil {
			rows.Close()
			return nil, err
		}
		fanouts[id] = o
		endpointIDs = append(endpointIDs, parseIDList(o.endpoints)...)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(fanouts) == 0 {
		return nil, nil
	}
	list, args = inList(slices.Collect(maps.Keys(fanouts)))
	events, err := listRows(ctx, s.reader, nil, scanEvent, `SELECT `+eventColumns+` FROM events WHERE id IN `+list, args...)
	if err != nil {
		return nil, err
	}
	list, args = inList(endpointIDs)
	endpoints, err := listRows(ctx, s.reader, nil, scanEndpointJob, `SELECT `+endpointJobColumns+`
		FROM webhook_endpoints WHERE enabled = 1 AND id IN `+list, args...)
	if err != nil {
		return nil, err
	}
	byID := map[int64]sealedJob{}
	for _, e := range endpoints {
		byID[e.job.Endpoint.ID] = e
	}
	var sealed []sealedJob
	for _, ev := range events {
		o := fanouts[ev.ID]
		for _, id := range parseIDList(o.endpoints) {
			m, ok := byID[id]
			if !ok {
				continue // disabled or deleted since
			}
			m.job.Status = DeliveryPending
			m.job.LeaseUntil = time.UnixMilli(o.lease)
			m.job.Event = ev
			sealed = append(sealed, m)
		}
	}
	return s.openJobs(sealed)
}

// parseIDList reads a fanout's endpoint list ("3,7").
func parseIDList(list string) []int64 {
	var ids []int64
	for part := range strings.SplitSeq(list, ",") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// quietEvents are events this Store wrote that matched no endpoint. A
// fanout row is only ever written with its event, so PendingDeliveries
// need not look for theirs: on the common path, a change with no webhook
// subscribed, the request reads nothing after its write. An event of
// another process, or one forgotten when the set was full, is looked up as
// usual; an event whose transaction rolled back owes nothing either.
type quietEvents struct {
	mu sync.Mutex
	m  map[string]struct{}
}

// maxQuietEvents bounds the set; past it the set starts over, which only
// costs the forgotten events a query.
const maxQuietEvents = 4096

func (q *quietEvents) add(id string) {
	q.mu.Lock()
	if q.m == nil || len(q.m) >= maxQuietEvents {
		q.m = make(map[string]struct{}, 64)
	}
	q.m[id] = struct{}{}
	q.mu.Unlock()
}

// drop forgets the quiet events among ids (each request asks once) and
// returns the others.
func (q *quietEvents) drop(ids []string) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var rest []string
	for _, id := range ids {
		if _, ok := q.m[id]; ok {
			delete(q.m, id)
			continue
		}
		rest = append(rest, id)
	}
	return rest
}
