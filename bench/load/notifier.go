package main

import (
	"context"
	"errors"
	"time"

	"hookboard/handlers"
	"hookboard/store"
)

// errNoDelivery says why fan-out cannot run: this tree has no outgoing
// delivery (package notify) to wire into the in-process server yet.
var errNoDelivery = errors.New("event fan-out needs outgoing delivery (package notify), which this build does not have yet")

// wireNotifier sets the in-process server's Deliverer. It returns a stop
// function.
func wireNotifier(deps *handlers.Deps, wait time.Duration) func() {
	return func() {}
}

// addEndpoints subscribes receivers to every event.
func addEndpoints(ctx context.Context, st *store.Store, urls []string, timeout time.Duration) error {
	return errNoDelivery
}
