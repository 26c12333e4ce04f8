package store

import (
	"cmp"
	"slices"
	"sync"
)

// fanoutMemo remembers, for the events this process emitted recently, the
// deliveries emit inserted for them, as the jobs PendingDeliveries would
// load. PendingDeliveries runs right after the request's transaction
// commits; answering from memory saves a query on the read pool (a join of
// deliveries, events and endpoints), and when no endpoint is subscribed
// (the common case) saves everything. The jobs are exactly the rows the
// transaction wrote and the endpoint rows it read, so they are what the
// query would return at commit.
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
	if len(memo) == 0 {
		return nil, true, nil
	}
	// The query's order: by endpoint, then event.
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
				return nil, true, err
			}
			opened[j.Endpoint.ID] = sec
		}
		j.Secrets = sec
		out[i] = j
	}
	return out, true, nil
}
