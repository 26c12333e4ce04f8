package store

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
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
