package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFanOutWrites is the store's share of a new task delivered to
// each endpoint (none, one or ten): the task with its event's fanout row, then
// the attempt's record as a successful synchronous attempt queues it, 16
// callers per CPU. cpu-ns/op is the process's CPU time per task, which a
// busy shared machine disturbs less than the elapsed time.
func BenchmarkFanOutWrites(b *testing.B) {
	for _, eps := range []int{0, 1, 10} {
		b.Run(fmt.Sprintf("endpoints=%d", eps), func(b *testing.B) {
			st := benchStore(b)
			ctx := context.Background()
			for range eps {
				if _, _, err := st.CreateEndpoint(ctx, NewEndpoint{URL: "http://127.0.0.1:9/hook"}); err != nil {
					b.Fatal(err)
				}
			}
			actor := Actor{IntegrationID: 1}
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			cpu0 := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, events, err := st.CreateTask(ctx, actor, NewTask{Title: "bench"})
					if err != nil {
						b.Error(err)
						return
					}
					jobs, err := st.PendingDeliveries(ctx, events)
					if err != nil {
						b.Error(err)
						return
					}
					var recs []AttemptRecord
					for _, j := range jobs {
						now := time.Now()
						body := kanboardFrame(j.Event.Data)
						recs = append(recs, AttemptRecord{DeliveryID: j.DeliveryID, EndpointID: j.Endpoint.ID, EventID: j.Event.ID,
							Status: DeliveryDelivered, Success: true,
							Attempt: Attempt{Trigger: TriggerSync, StartedAt: now, Latency: time.Millisecond,
								RequestURL: j.Endpoint.URL + "?token=[redacted]",
								RequestHeaders: map[string]string{"Content-Type": "application/json", "User-Agent": "Hookboard-Webhook/dev",
									"webhook-id": j.Event.ID, "webhook-timestamp": "1763900000", "webhook-signature": "v1,abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=",
									"X-Webhook-Token": "[redacted]", "X-Hookboard-Event": "task.create", "Accept": "*/*", "Content-Length": strconv.Itoa(len(body))},
								RequestBody: body, ResponseStatus: 200,
								ResponseHeaders: map[string]string{"Content-Length": "2", "Date": "Sun, 23 Nov 2026 17:00:00 GMT", "Content-Type": "text/plain"},
								ResponseBody:    []byte("OK")}})
					}
					if len(recs) > 0 {
						if err := st.RecordAttemptsLater(recs, func(error) {}); err != nil {
							b.Error(err)
							return
						}
					}
				}
			})
			st.settle(ctx)
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// kanboardFrame is the kanboard format's body of a task.create event with
// this data and no author.
func kanboardFrame(data []byte) []byte {
	return slices.Concat([]byte(`{"event_name":"task.create","event_data":`), data, []byte(`,"event_author":null}`))
}
