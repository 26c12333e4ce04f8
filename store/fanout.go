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

// fanoutMemo remembers, for the events this process emitted recently, the
// deliveries emit found them owing, as the jobs PendingDeliveries would
// load. PendingDeliveries runs right after the request's transaction
// commits; answering from memory saves queries on the read pool (the
// fanout rows, events and endpoints), and when no endpoint is subscribed
// (the common case) saves everything. The jobs are exactly the fanout row
// the transaction wrote and the endpoint rows it read, so they are what
// the queries would return at commit.
//
// An event the memo does not know (emitted by another process or Store,
// asked for a second time, or forgotten when the memo was cleared) is
// always looked up. A rolled-back transaction can leave an entry for an
// event that does not exist; nobody asks for it, and it goes with the next
// clearing.
type fanoutMemo struct {
	mu sync.Mutex
	m  map[string][]memoJob
}

// memoJob is a delivery with its endpoint's sealed secrets, opened only
// when asked for (outside the writer's transaction).
type memoJob struct {
	job    DeliveryJob
	sealed sealedSecrets
}

// fanoutMemoMax bounds the memo. Entries are removed when the request asks
// for its deliveries, so only events whose maker never asks (or whose
// transaction was rolled back) stay; when the memo is full it is cleared,
// which only costs the forgotten events a query.
const fanoutMemoMax = 4096

// note records the deliveries (possibly none) emit wrote for eventID.
func (f *fanoutMemo) note(eventID string, jobs []memoJob) {
	f.mu.Lock()
	if f.m == nil || len(f.m) >= fanoutMemoMax {
		f.m = make(map[string][]memoJob, 64)
	}
	f.m[eventID] = jobs
	f.mu.Unlock()
}

// take returns the remembered deliveries of eventIDs and forgets them
// (each request asks once). known is false when any event is unknown: the
// caller must then query them all.
func (f *fanoutMemo) take(eventIDs []string) (jobs []memoJob, known bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	known = true
	for _, id := range eventIDs {
		js, ok := f.m[id]
		if !ok {
			known = false
			continue
		}
		jobs = append(jobs, js...)
		delete(f.m, id)
	}
	if !known {
		return nil, false
	}
	return jobs, true
}

// pendingFromMemo answers PendingDeliveries from the memo: ok is false when
// the database must be asked.
func (s *Store) pendingFromMemo(eventIDs []string) ([]DeliveryJob, bool, error) {
	memo, ok := s.fanout.take(eventIDs)
	if !ok {
		return nil, false, nil
	}
	jobs, err := s.openJobs(memo)
	return jobs, true, err
}

// openJobs sorts jobs as PendingDeliveries returns them (by endpoint, then
// event) and opens each endpoint's secrets once.
func (s *Store) openJobs(memo []memoJob) ([]DeliveryJob, error) {
	if len(memo) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(memo, func(a, b memoJob) int {
		return cmp.Or(cmp.Compare(a.job.Endpoint.ID, b.job.Endpoint.ID), cmp.Compare(a.job.Event.ID, b.job.Event.ID))
	})
	opened := map[int64]EndpointSecrets{}
	out := make([]DeliveryJob, len(memo))
	for i, m := range memo {
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
	endpoints, err := listRows(ctx, s.reader, nil, scanEndpointRow, `SELECT `+endpointRowColumns+`
		FROM webhook_endpoints WHERE enabled = 1 AND id IN `+list, args...)
	if err != nil {
		return nil, err
	}
	byID := map[int64]memoJob{}
	for _, e := range endpoints {
		byID[e.job.job.Endpoint.ID] = e.job
	}
	var memo []memoJob
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
			memo = append(memo, m)
		}
	}
	return s.openJobs(memo)
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
