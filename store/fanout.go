package store

import "sync"

// fanoutMemo remembers, for the events this process emitted recently,
// whether emit inserted any deliveries for them. PendingDeliveries runs
// right after a request's transaction commits; when none of the request's
// events has a delivery it can answer from memory instead of running a
// query on the read pool (the common case: no endpoint subscribed).
//
// Only a definite "emitted here with no delivery" skips the query; an
// event the memo does not know (emitted by another process or Store,
// forgotten after pruning) is always looked up. A rolled-back transaction
// can leave an entry for an event that does not exist: looking it up
// finds nothing, and skipping it loses nothing.
type fanoutMemo struct {
	mu sync.Mutex
	m  map[string]bool
}

// fanoutMemoMax bounds the memo. Entries are removed when the request asks
// for its deliveries, so only events whose maker never asks (or whose
// transaction was rolled back) stay; when the memo is full it is cleared,
// which only costs those later lookups a query.
const fanoutMemoMax = 4096

func (f *fanoutMemo) note(eventID string, hasDeliveries bool) {
	f.mu.Lock()
	if f.m == nil || len(f.m) >= fanoutMemoMax {
		f.m = make(map[string]bool, 64)
	}
	f.m[eventID] = hasDeliveries
	f.mu.Unlock()
}

// mayHaveDeliveries reports whether any of eventIDs may have deliveries,
// and forgets them: each request asks once.
func (f *fanoutMemo) mayHaveDeliveries(eventIDs []string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	may := false
	for _, id := range eventIDs {
		has, known := f.m[id]
		if !known || has {
			may = true
		}
		delete(f.m, id)
	}
	return may
}
