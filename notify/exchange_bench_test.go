package notify

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hookboard/store"
)

// The cost of one webhook, in pieces, as CPU time of the whole process per
// operation (cpu-ns/op): the sender, the receiver and the store share the
// machine's CPUs, as in the load tool's fan-out phases, and the process's
// CPU time is less disturbed by a busy shared machine than elapsed time.
// docs/BENCHMARKS.md reads these figures.

// BenchmarkWebhookExchange is one webhook sent through the notifier's HTTP
// client with an attempt's headers and answered over a kept-alive loopback
// connection, 16 senders at a time, to a minimal receiver.
func BenchmarkWebhookExchange(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1200)
	rcv := startBareReceiver(b)
	c := newClock()
	n := newTestNotifier(b, openDB(b, c).st, c, time.Second)
	target := "http://" + rcv.addr + "/hook?token=abc"
	headers := []string{"Content-Type", "application/json", "Accept", "*/*", "User-Agent", n.ua,
		"X-Webhook-Token", "abc", "X-Hookboard-Event", "task.create", "webhook-id", "019ad2f0-0000-7000-8000-000000000000",
		"webhook-timestamp", "1763900000", "webhook-signature", "v1,abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG="}
	b.SetParallelism(8)
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				cancel()
				return
			}
			for i := 0; i+1 < len(headers); i += 2 {
				req.Header.Set(headers[i], headers[i+1])
			}
			resp, err := n.client.Do(req)
			if err != nil {
				b.Error(err)
				cancel()
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			cancel()
		}
	})
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	if got := rcv.hits.Load(); got != int64(b.N) {
		b.Fatalf("the receiver got %d webhooks for %d sent", got, b.N)
	}
}

// BenchmarkTaskDelivered is a new task through the store and the notifier
// to no endpoint or to one on the minimal receiver, 16 callers at a time:
// the in-process model of the load tool's one-receiver target.
// commits/op shows how group commit batches with and without the webhook.
func BenchmarkTaskDelivered(b *testing.B) {
	for _, endpoints := range []int{0, 1} {
		b.Run(fmt.Sprintf("endpoints=%d", endpoints), func(b *testing.B) {
			c := newClock()
			db := openDB(b, c)
			rcv := startBareReceiver(b)
			for range endpoints {
				addEndpoint(b, db.st, store.NewEndpoint{URL: "http://" + rcv.addr + "/hook"})
			}
			n := newTestNotifier(b, db.st, c, 10*time.Second)
			ctx := context.Background()
			before := db.st.WriteStats()
			b.SetParallelism(8)
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, events, err := db.st.CreateTask(ctx, store.Actor{}, store.NewTask{Title: "bench"})
					if err != nil {
						b.Error(err)
						return
					}
					n.Deliver(ctx, events)
				}
			})
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			after := db.st.WriteStats()
			b.ReportMetric(float64(after.Commits-before.Commits)/float64(b.N), "commits/op")
			if got, want := rcv.hits.Load(), int64(endpoints*b.N); got != want {
				b.Fatalf("the receiver got %d webhooks for %d tasks to %d endpoints", got, b.N, endpoints)
			}
		})
	}
}

// bareReceiver answers every request 200 with an empty body, reading each
// connection in one goroutine with a reused buffer, like the load tool's
// lean receiver: its own cost stays small beside the sender's.
type bareReceiver struct {
	addr string
	hits atomic.Int64
}

func startBareReceiver(tb testing.TB) *bareReceiver {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	r := &bareReceiver{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

var bareReply = []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

func (r *bareReceiver) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 8192)
	for {
		size := 0
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(bytes.TrimSpace(line)) == 0 {
				break
			}
			if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
				if size, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
					return
				}
			}
		}
		if _, err := br.Discard(size); err != nil {
			return
		}
		r.hits.Add(1)
		if _, err := c.Write(bareReply); err != nil {
			return
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
