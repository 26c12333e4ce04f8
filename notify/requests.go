package notify

import (
	"context"
	"sync"
	"time"

	"hookboard/store"
)

// heartbeat writes the server's heartbeat when the last one is
// store.HeartbeatEvery old, so a CLI knows a server will take its send
// requests. It uses the real clock: the cadence is about processes, not
// about the schedules tests move.
func (n *Notifier) heartbeat(ctx context.Context, last *time.Time) {
	if !last.IsZero() && time.Since(*last) < store.HeartbeatEvery {
		return
	}
	if err := n.st.Heartbeat(ctx); err != nil {
		if ctx.Err() == nil {
			n.log.Error("webhook retry worker: writing the heartbeat", "err", err)
		}
		return
	}
	*last = time.Now()
}

// SendRequested carries out the send requests other processes queued (a
// test or a redelivery asked for from the CLI), concurrently, each as the
// page's button would, and answers each one. It returns how many it took.
func (n *Notifier) SendRequested(ctx context.Context) (int, error) {
	reqs, err := n.st.TakeSendRequests(ctx, n.conc)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, r := range reqs {
		wg.Go(func() {
			var d store.Delivery
			var err error
			if r.Trigger == store.TriggerTest {
				d, err = n.Test(ctx, r.EndpointID)
			} else {
				d, err = n.Redeliver(ctx, r.DeliveryID)
			}
			errText := ""
			if err != nil {
				errText = err.Error()
			}
			if err := n.st.FinishSendRequest(context.WithoutCancel(ctx), r.ID, d.ID, errText); err != nil {
				n.log.Error("answering a send request", "request", r.ID, "err", err)
			}
		})
	}
	wg.Wait()
	return len(reqs), nil
}

// clearHeartbeat says the worker has stopped, so a CLI asking now is told
// at once that no server is running.
func (n *Notifier) clearHeartbeat() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.st.ClearHeartbeat(ctx); err != nil {
		n.log.Warn("webhook retry worker: clearing the heartbeat", "err", err)
	}
}
