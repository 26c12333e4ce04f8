package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"syscall"
	"testing"
	"time"

	"hookboard/store"
)

var receivers = []string{receiverLean, receiverNetHTTP}

func newTestReceiver(t *testing.T, kind string, hang bool) *receiver {
	t.Helper()
	rc, err := startReceiver(kind, hang)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.close)
	return rc
}

// dialReceiver opens a raw connection to a receiver, with a deadline.
func dialReceiver(t *testing.T, rc *receiver) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", receiverAddr(rc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c, bufio.NewReader(c)
}

// readReply reads one reply with net/http's parser and checks it is an
// empty 200.
func readReply(t *testing.T, br *bufio.Reader, what string) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s: no reply: %v", what, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Fatalf("%s: %s %q %v, want an empty 200", what, resp.Status, body, err)
	}
	return resp
}

// waitHits waits until the receiver has counted want requests.
func waitHits(t *testing.T, rc *receiver, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for rc.hits.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := rc.hits.Load(); got != want {
		t.Fatalf("%d hits, want %d", got, want)
	}
}

// TestReceiverGetsHookboardWebhooks: Hookboard's real webhook sender
// (package notify, in the in-process server) delivers each task's event to
// three receivers of each kind, and records every delivery as delivered (a
// 2xx it understood).
func TestReceiverGetsHookboardWebhooks(t *testing.T) {
	ctx := t.Context()
	for _, kind := range receivers {
		t.Run(strings.ReplaceAll(kind, "/", ""), func(t *testing.T) {
			hb, err := startInproc(ctx, t.TempDir(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer hb.close()
			var rcvs []*receiver
			var urls []string
			for range 3 {
				rc := newTestReceiver(t, kind, false)
				rcvs = append(rcvs, rc)
				urls = append(urls, rc.url)
			}
			if err := hb.setReceivers(urls, time.Second); err != nil {
				t.Fatal(err)
			}
			do, err := workload(hb, "incoming", clientLean)
			if err != nil {
				t.Fatal(err)
			}
			const n = 20
			r := do(ctx, 1, 10*time.Second)
			defer r.close()
			for seq := range n {
				if got := r.do(ctx, seq); got != "" {
					t.Fatalf("request %d: %q", seq+1, got)
				}
			}
			for i, rc := range rcvs {
				if got := rc.hits.Load(); got != n {
					t.Errorf("receiver %d: %d webhooks for %d tasks", i, got, n)
				}
			}
			ds, err := hb.store.Deliveries(ctx, 0, 1000, false)
			if err != nil {
				t.Fatal(err)
			}
			delivered := 0
			for _, d := range ds {
				if d.Status == store.DeliveryDelivered && d.LastStatus == http.StatusOK {
					delivered++
				} else {
					t.Errorf("delivery %d: %s, last status %d, %s", d.ID, d.Status, d.LastStatus, d.LastError)
				}
			}
			if delivered != 3*n {
				t.Errorf("%d deliveries delivered, want %d", delivered, 3*n)
			}
		})
	}
}

// TestReceiverNetHTTPClient: Go's client posts with Content-Length and
// chunked, on one kept-alive connection, and each POST is answered and
// counted.
func TestReceiverNetHTTPClient(t *testing.T) {
	for _, kind := range receivers {
		t.Run(strings.ReplaceAll(kind, "/", ""), func(t *testing.T) {
			rc := newTestReceiver(t, kind, false)
			client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			var conns int
			trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
				if !i.Reused {
					conns++
				}
			}}
			bodies := []io.Reader{
				strings.NewReader(`{"event":"task.create"}`),                 // Content-Length
				io.MultiReader(strings.NewReader(strings.Repeat("x", 9000))), // chunked: length unknown
				bytes.NewReader(nil),                  // empty
				io.MultiReader(strings.NewReader("")), // chunked, empty
			}
			for i, body := range bodies {
				req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
					http.MethodPost, rc.url, body)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("POST %d: %v", i+1, err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || len(got) != 0 {
					t.Fatalf("POST %d: %s %q, want an empty 200", i+1, resp.Status, got)
				}
				if got := rc.hits.Load(); got != int64(i+1) {
					t.Fatalf("after POST %d: %d hits", i+1, got)
				}
			}
			if conns != 1 {
				t.Errorf("%d connections for %d POSTs, want 1 kept alive", conns, len(bodies))
			}
		})
	}
}

// TestLeanReceiverWire speaks HTTP/1.1 to the lean receiver byte by byte:
// keep-alive, chunked bodies with extensions and trailers, pipelining,
// Expect: 100-continue, Connection: close and HTTP/1.0.
func TestLeanReceiverWire(t *testing.T) {
	rc := newTestReceiver(t, receiverLean, false)

	t.Run("keep-alive", func(t *testing.T) {
		h0 := rc.hits.Load()
		c, br := dialReceiver(t, rc)
		for i := range 5 {
			body := strings.Repeat("b", i*1000)
			fmt.Fprintf(c, "POST /hook HTTP/1.1\r\nHost: x\r\ncontent-length: %d\r\nWebhook-Id: %d\r\n\r\n%s", len(body), i, body)
			resp := readReply(t, br, fmt.Sprintf("request %d", i+1))
			if resp.Close {
				t.Fatalf("request %d: the receiver would close the connection", i+1)
			}
		}
		waitHits(t, rc, h0+5)
	})

	t.Run("chunked", func(t *testing.T) {
		h0 := rc.hits.Load()
		c, br := dialReceiver(t, rc)
		// Two chunked requests back to back, then one with a length: each
		// body must be read to its end for the next request to parse.
		io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+
			"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: t\r\n\r\n"+
			"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"+
			"A\r\n0123456789\r\n0\r\n\r\n"+
			"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nend")
		for i := range 3 {
			readReply(t, br, fmt.Sprintf("request %d", i+1))
		}
		waitHits(t, rc, h0+3)
	})

	t.Run("expect-continue", func(t *testing.T) {
		h0 := rc.hits.Load()
		c, br := dialReceiver(t, rc)
		io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
		line, err := br.ReadString('\n')
		if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
			t.Fatalf("before the body: %q %v, want 100 Continue", line, err)
		}
		if blank, _ := br.ReadString('\n'); blank != "\r\n" {
			t.Fatalf("after 100 Continue: %q", blank)
		}
		io.WriteString(c, "body")
		readReply(t, br, "after the body")
		waitHits(t, rc, h0+1)
	})

	for _, tc := range []struct{ name, head string }{
		{"connection-close", "POST /hook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"},
		{"http10", "POST /hook HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h0 := rc.hits.Load()
			c, br := dialReceiver(t, rc)
			// A second request follows: it must not be answered.
			io.WriteString(c, tc.head+"GET /hook HTTP/1.1\r\nHost: x\r\n\r\n")
			readReply(t, br, "the request")
			if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
				t.Fatalf("after the reply: %q %v, want the connection closed", rest, err)
			}
			waitHits(t, rc, h0+1)
		})
	}

	t.Run("http10-keep-alive", func(t *testing.T) {
		h0 := rc.hits.Load()
		c, br := dialReceiver(t, rc)
		for i := range 2 {
			io.WriteString(c, "GET /hook HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
			readReply(t, br, fmt.Sprintf("request %d", i+1))
		}
		waitHits(t, rc, h0+2)
	})
}

// TestLeanReceiverMalformed: the lean receiver closes the connection on a
// request it does not understand, answers nothing and counts nothing, and
// keeps serving other connections.
func TestLeanReceiverMalformed(t *testing.T) {
	rc := newTestReceiver(t, receiverLean, false)
	for _, bad := range []string{
		"NOT HTTP\r\n\r\n",
		"POST /hook HTTP/2.0\r\n\r\n",
		"POST /hook\r\n\r\n",
		"POST /hook HTTP/1.1\r\nno colon\r\n\r\n",
		"POST /hook HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST /hook HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
		"POST /hook HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
		"POST /hook HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
		"POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
		"POST /hook HTTP/1.1\r\nX: " + strings.Repeat("a", 5000) + "\r\n\r\n",
		"POST /hook HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort", // then the client half-closes
	} {
		c, br := dialReceiver(t, rc)
		io.WriteString(c, bad)
		if strings.HasSuffix(bad, "short") {
			c.(*net.TCPConn).CloseWrite()
		}
		// The receiver closes (a reset when it left bytes unread); a
		// receiver that waited for more would meet the 5 s deadline.
		if rest, err := io.ReadAll(br); err != nil && !isReset(err) || len(rest) != 0 {
			t.Errorf("%.40q: %q %v, want the connection closed without a reply", bad, rest, err)
		}
	}
	if got := rc.hits.Load(); got != 0 {
		t.Errorf("%d hits for malformed requests", got)
	}
	c, br := dialReceiver(t, rc)
	io.WriteString(c, "GET /hook HTTP/1.1\r\nHost: x\r\n\r\n")
	readReply(t, br, "a good request after the bad ones")
}

// TestReceiverHangs: a hung receiver counts the request and never answers;
// the client's timeout ends it; close returns promptly with connections
// still open, and closes them.
func TestReceiverHangs(t *testing.T) {
	for _, kind := range receivers {
		t.Run(strings.ReplaceAll(kind, "/", ""), func(t *testing.T) {
			// Closed last, after the connections (if close hangs).
			rc := newTestReceiver(t, kind, true)
			client := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{}}
			start := time.Now()
			resp, err := client.Post(rc.url, "application/json", strings.NewReader(`{}`))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("a hung receiver answered %s", resp.Status)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("the client's timeout took %s", took)
			}
			waitHits(t, rc, 1)

			// Two requests still waiting when the receiver is closed.
			c, br := dialReceiver(t, rc)
			io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
			c2, br2 := dialReceiver(t, rc)
			io.WriteString(c2, "POST /hook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
			waitHits(t, rc, 3)
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if b, err := br.ReadByte(); err == nil {
				t.Fatalf("a hung receiver wrote %q", b)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			closeWithin(t, rc, time.Second)
			for i, br := range []*bufio.Reader{br, br2} {
				if rest, err := io.ReadAll(br); len(rest) != 0 || err != nil && !isReset(err) {
					t.Errorf("connection %d after close: %q %v, want it closed without a reply", i+1, rest, err)
				}
			}
		})
	}
}

// TestLeanReceiverClose: close closes idle kept-alive connections and the
// listener, waits for the connections' goroutines, and may be called twice.
func TestLeanReceiverClose(t *testing.T) {
	rc := newTestReceiver(t, receiverLean, false)
	c, br := dialReceiver(t, rc)
	io.WriteString(c, "GET /hook HTTP/1.1\r\nHost: x\r\n\r\n")
	readReply(t, br, "before close")
	closeWithin(t, rc, time.Second)
	if rest, err := io.ReadAll(br); len(rest) != 0 || err != nil && !isReset(err) {
		t.Errorf("idle connection after close: %q %v, want it closed", rest, err)
	}
	if c, err := net.DialTimeout("tcp", receiverAddr(rc), time.Second); err == nil {
		c.Close()
		t.Errorf("the listener still accepts after close")
	}
	rc.close()
}

// closeWithin closes the receiver and fails the test if that takes longer
// than d (the test's cleanups then close the client's side).
func closeWithin(t *testing.T, rc *receiver, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { rc.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("close did not return within %s with connections open", d)
	}
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET)
}

// receiverAddr is the host:port a receiver listens on.
func receiverAddr(rc *receiver) string {
	return strings.TrimSuffix(strings.TrimPrefix(rc.url, "http://"), "/hook")
}

// BenchmarkReceiver posts a webhook-sized request to each kind of receiver
// on one kept-alive connection of the lean client and reports this
// process's CPU per webhook (client and receiver; the client is the same
// for both, so the difference is the receivers').
func BenchmarkReceiver(b *testing.B) {
	body := strings.Repeat("x", 600)
	req := []byte("POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Hookboard-Webhook/load\r\n" +
		"Content-Type: application/json\r\nWebhook-Id: evt_0123456789\r\nWebhook-Timestamp: 1700000000\r\n" +
		"Webhook-Signature: v1,MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\r\n" +
		"Content-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n" + body)
	for _, kind := range receivers {
		b.Run(strings.ReplaceAll(kind, "/", ""), func(b *testing.B) {
			rc, err := startReceiver(kind, false)
			if err != nil {
				b.Fatal(err)
			}
			defer rc.close()
			c := newWireConn(receiverAddr(rc), 5*time.Second)
			defer c.drop()
			ctx := context.Background()
			cpu0 := processCPU()
			for b.Loop() {
				resp, err := c.roundTrip(ctx, req, false)
				if err != nil || resp.status != http.StatusOK {
					b.Fatalf("%d %v", resp.status, err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
