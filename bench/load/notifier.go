package main

import (
	"context"
	"fmt"
	"time"

	"hookboard/handlers"
	"hookboard/notify"
	"hookboard/store"
)

// wireNotifier gives the in-process server the real outgoing delivery
// (package notify, as `hookboard serve` wires it), allowed to reach the
// loopback receivers of the fan-out phases. It returns a stop function.
func wireNotifier(deps *handlers.Deps, wait time.Duration) (func(), error) {
	allow, err := notify.ParseAllowlist("loopback")
	if err != nil {
		return nil, err
	}
	n, err := notify.New(notify.Options{
		Store: deps.Store, Logger: deps.Logger, Version: "load", Allow: allow, DeliveryWait: wait,
	})
	if err != nil {
		return nil, err
	}
	n.Start()
	deps.Notifier = n
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.Stop(ctx)
	}, nil
}

// setEndpoints leaves exactly one enabled endpoint per URL, subscribed to
// every event, creating the missing ones and disabling the others.
func setEndpoints(ctx context.Context, st *store.Store, urls []string, timeout time.Duration) error {
	eps, err := st.Endpoints(ctx)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, u := range urls {
		want[u] = true
	}
	have := map[string]bool{}
	for _, ep := range eps {
		on := want[ep.URL] && !have[ep.URL]
		have[ep.URL] = have[ep.URL] || on
		if err := st.SetEndpointEnabled(ctx, ep.ID, on); err != nil {
			return err
		}
	}
	for i, u := range urls {
		if have[u] {
			continue
		}
		if _, _, err := st.CreateEndpoint(ctx, store.NewEndpoint{
			Name: fmt.Sprintf("load receiver %d", i), URL: u, Timeout: timeout,
		}); err != nil {
			return fmt.Errorf("add endpoint %s: %w", u, err)
		}
	}
	return nil
}
