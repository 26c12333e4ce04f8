package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// receiver is a local webhook receiver: fast (answers 200 at once) or hung
// (never answers; the sender's timeout ends each attempt).
type receiver struct {
	url   string
	hits  atomic.Int64 // requests received
	close func()
}

// startReceiver starts a receiver of the kind -receiver names: the lean
// HTTP/1.1 one (receiver_wire.go) or a net/http server.
func startReceiver(kind string, hang bool) (*receiver, error) {
	if kind == receiverLean {
		return startLeanReceiver(hang)
	}
	return startNetHTTPReceiver(hang)
}

func startNetHTTPReceiver(hang bool) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + ln.Addr().String() + "/hook"}
	stop := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rc.hits.Add(1)
		if hang {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})}
	go srv.Serve(ln)
	var once sync.Once
	rc.close = func() {
		once.Do(func() {
			srv.Close() // first: a hung handler that returns must not answer
			close(stop)
		})
	}
	return rc, nil
}

// runFanout measures the incoming URL with fast receivers subscribed: at
// each concurrency of o.fanC, with 0 receivers and then each count of
// o.receivers (endpoints enabled and disabled between phases, one receiver
// server per endpoint, of the kind o.receiver names). With o.hang > 0 it then measures a fresh server
// whose o.hang endpoints all point at one receiver that never answers.
func runFanout(ctx context.Context, o options, hb *target, mkdir func(string) string,
	phase func(*target, call, int, float64, string) result, out io.Writer) error {
	if len(o.receivers) > 0 {
		if hb.setReceivers == nil {
			return fmt.Errorf("receivers can be added only to a server this tool started (-server inproc or binary)")
		}
		do, err := workload(hb, "incoming", o.client)
		if err != nil {
			return err
		}
		most := slices.Max(o.receivers)
		var urls []string
		var rcvs []*receiver
		for range most {
			r, err := startReceiver(o.receiver, false)
			if err != nil {
				return err
			}
			defer r.close()
			urls = append(urls, r.url)
			rcvs = append(rcvs, r)
		}
		delivered := func() int64 {
			var n int64
			for _, r := range rcvs {
				n += r.hits.Load()
			}
			return n
		}
		// Each round measures no receiver, then each count, so that a
		// machine that slows down or speeds up during the run weighs on
		// every count alike; the targets read the medians of the rounds.
		for _, c := range o.fanC {
			for range max(o.rounds, 1) {
				var none, withMost result
				for _, n := range append([]int{0}, o.receivers...) {
					if err := hb.setReceivers(urls[:n], o.rcvTimeout); err != nil {
						return err
					}
					d0 := delivered()
					r := phase(hb, do, c, 0, fmt.Sprintf("incoming+%drcv", n))
					if n == 0 {
						none = r
						continue
					}
					if n == most {
						withMost = r
					}
					// Warm-up requests deliver too: with the request waiting for
					// its webhooks, received >= n × answered.
					fmt.Fprintf(out, "fan-out c=%d, %d receivers: throughput %.2f× of no receiver, p50 added %s, %d webhooks received for %d answered requests\n",
						c, n, r.PerSecond/none.PerSecond, ms(r.P50-none.P50), delivered()-d0, r.OK)
				}
				if o.openLoop && c > 1 && withMost.PerSecond > 0 {
					if err := openLoopFanout(hb, do, c, withMost.PerSecond/2, urls[:most], o.rcvTimeout, phase, out); err != nil {
						return err
					}
				}
			}
		}
		if err := hb.setReceivers(nil, o.rcvTimeout); err != nil {
			return err
		}
	}
	if o.hang > 0 {
		var slow *target
		var err error
		if o.server == "binary" {
			slow, err = startBinary(ctx, mkdir("hang"), o.bin, o.deliverWait)
		} else {
			slow, err = startInproc(ctx, mkdir("hang"), o.deliverWait)
		}
		if err != nil {
			return err
		}
		defer slow.close()
		hung, err := startReceiver(o.receiver, true)
		if err != nil {
			return err
		}
		defer hung.close()
		urls := make([]string, o.hang)
		for i := range urls {
			urls[i] = hung.url + fmt.Sprintf("?n=%d", i)
		}
		if err := slow.setReceivers(urls, o.rcvTimeout); err != nil {
			return err
		}
		do, err := workload(slow, "incoming", o.client)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "slow receiver: %d endpoints, timeout %s, one receiver that never answers\n", o.hang, o.rcvTimeout)
		for _, c := range o.hangC {
			h0 := hung.hits.Load()
			r := phase(slow, do, c, 0, fmt.Sprintf("incoming+%dhung", o.hang))
			fmt.Fprintf(out, "slow receiver c=%d, %d endpoints: %d webhooks received for %d answered requests\n",
				c, o.hang, hung.hits.Load()-h0, r.OK)
		}
	}
	return nil
}

// openLoopFanout measures, at c workers, what n receivers add to the p50
// when requests come at a rate the server keeps up with (half of what it
// answered with them in a closed loop), rather than as fast as it answers:
// a closed loop at c > 1 keeps the server saturated, so its latency is c
// divided by the throughput and says how busy the CPUs are, not what the
// webhooks add to one request. The ten-receiver target is judged on it.
func openLoopFanout(hb *target, do call, c int, rate float64, urls []string, timeout time.Duration,
	phase func(*target, call, int, float64, string) result, out io.Writer) error {
	var none result
	for _, n := range []int{0, len(urls)} {
		if err := hb.setReceivers(urls[:n], timeout); err != nil {
			return err
		}
		r := phase(hb, do, c, rate, fmt.Sprintf("incoming+%drcv@%.0f/s", n, rate))
		if n == 0 {
			none = r
			continue
		}
		fmt.Fprintf(out, "fan-out open loop at %.0f/s (half of the closed loop's with %d receivers), %d workers: p50 %s with %d receivers vs %s with none: +%s\n",
			rate, n, c, ms(r.P50), n, ms(none.P50), ms(r.P50-none.P50))
	}
	return nil
}

// machine describes the CPU and the load other processes put on it.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", loadavg " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%d CPUs (%s)%s, %s", runtime.NumCPU(), model, load, time.Now().UTC().Format(time.RFC3339))
}
