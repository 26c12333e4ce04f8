package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// receiver is a local webhook receiver: fast (answers 200 at once) or hung
// (never answers; the sender's timeout ends each attempt).
type receiver struct {
	url   string
	hits  atomic.Int64
	close func()
}

func startReceiver(hang bool) (*receiver, error) {
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
	rc.close = func() {
		close(stop)
		srv.Close()
	}
	return rc, nil
}

// runFanout measures the incoming URL with fast receivers subscribed (one
// phase per count in o.receivers, at the first concurrency level) and, with
// o.hang > 0, on a fresh server whose o.hang endpoints all point at a
// receiver that never answers.
func runFanout(ctx context.Context, o options, hb *target, mkdir func(string) string,
	phase func(*target, string, int, string) result, out io.Writer) ([]result, error) {
	if hb.addReceivers == nil {
		return nil, fmt.Errorf("receivers can only be added to the in-process server")
	}
	var got []result
	c := o.conc[0]
	have := 0
	var rcvs []*receiver
	defer func() {
		for _, r := range rcvs {
			r.close()
		}
	}()
	for _, n := range o.receivers {
		var urls []string
		for ; have < n; have++ {
			r, err := startReceiver(false)
			if err != nil {
				return got, err
			}
			rcvs = append(rcvs, r)
			urls = append(urls, r.url)
		}
		if err := hb.addReceivers(urls, o.rcvTimeout); err != nil {
			return got, err
		}
		got = append(got, phase(hb, "incoming", c, fmt.Sprintf("incoming+%drcv", n)))
	}
	if o.hang > 0 {
		slow, err := startInproc(ctx, mkdir("hang"), o.deliverWait)
		if err != nil {
			return got, err
		}
		defer slow.close()
		hung, err := startReceiver(true)
		if err != nil {
			return got, err
		}
		defer hung.close()
		urls := make([]string, o.hang)
		for i := range urls {
			urls[i] = hung.url + fmt.Sprintf("?n=%d", i)
		}
		if err := slow.addReceivers(urls, o.rcvTimeout); err != nil {
			return got, err
		}
		fmt.Fprintf(out, "slow receiver: %d endpoints, timeout %s, one receiver that never answers\n", o.hang, o.rcvTimeout)
		got = append(got, phase(slow, "incoming", min(c, 8), fmt.Sprintf("incoming+%dhung", o.hang)))
	}
	return got, nil
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }

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
