package notify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loopbackClient is the webhook client, allowed to reach loopback.
func loopbackClient(t *testing.T) *plainTransport {
	t.Helper()
	allow, err := ParseAllowlist("loopback")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(allow, nil, 4)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// post sends a webhook-like request and returns the status and body.
func post(ctx context.Context, c *plainTransport, url, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", "evt_1")
	resp, err := c.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(got), err
}

func TestPlainTransportKeepsConnections(t *testing.T) {
	var conns, hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("webhook-id") != "evt_1" ||
			r.Header.Get("Content-Type") != "application/json" || r.ContentLength != int64(len(b)) || r.URL.RawQuery != "token=t" {
			http.Error(w, fmt.Sprintf("unexpected request %s %s %v", r.Method, r.URL, r.Header), http.StatusBadRequest)
			return
		}
		hits.Add(1)
		fmt.Fprintf(w, "got %s", b)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := loopbackClient(t)
	ctx := context.Background()
	for i := range 20 {
		status, body, err := post(ctx, c, srv.URL+"/hook?token=t", fmt.Sprintf(`{"n":%d}`, i))
		if err != nil || status != 200 || body != fmt.Sprintf(`got {"n":%d}`, i) {
			t.Fatalf("request %d: %d %q %v", i, status, body, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("20 requests one after the other used %d connections, want 1", n)
	}
	// Four at a time: at most four connections, kept for later.
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if status, _, err := post(ctx, c, srv.URL+"/hook?token=t", fmt.Sprintf(`{"w":%d,"n":%d}`, w, i)); err != nil || status != 200 {
					t.Errorf("worker %d request %d: %d %v", w, i, status, err)
				}
			}
		})
	}
	wg.Wait()
	if n := conns.Load(); n > 4 {
		t.Fatalf("four workers used %d connections, want at most 4", n)
	}
	if n := hits.Load(); n != 60 {
		t.Fatalf("receiver got %d webhooks, want 60", n)
	}
}

// scripted is a receiver on a raw socket: answer writes what each request
// gets, given the connection's number (from 1) and the request's on it.
type scripted struct {
	ln       net.Listener
	conns    atomic.Int64
	requests atomic.Int64
}

func newScripted(t *testing.T, answer func(conn, req int, c net.Conn) (keep bool)) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scripted{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(s.conns.Add(1))
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 1; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					s.requests.Add(1)
					if !answer(n, i, c) {
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *scripted) url() string { return "http://" + s.ln.Addr().String() + "/hook" }

func TestPlainTransportReadsEveryAnswerShape(t *testing.T) {
	for _, tc := range []struct {
		name, answer, body string
		status             int
		reused             bool // the next request goes on the same connection
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "ok", 200, true},
		{"chunked", "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", "hello", 202, true},
		{"no body", "HTTP/1.1 204 No Content\r\n\r\n", "", 204, true},
		{"interim first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "ok", 200, true},
		{"close asked", "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 4\r\n\r\nfail", "fail", 500, false},
		{"until close", "HTTP/1.0 200 OK\r\n\r\nthe rest", "the rest", 200, false},
		{"bytes after the body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n", "ok", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newScripted(t, func(conn, req int, c net.Conn) bool {
				if conn == 1 && req == 1 {
					io.WriteString(c, tc.answer)
					return !strings.Contains(tc.answer, "close") && !strings.HasPrefix(tc.answer, "HTTP/1.0")
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
				return true
			})
			c := loopbackClient(t)
			status, body, err := post(context.Background(), c, rcv.url(), "{}")
			if err != nil || status != tc.status || body != tc.body {
				t.Fatalf("got %d %q %v, want %d %q", status, body, err, tc.status, tc.body)
			}
			status, body, err = post(context.Background(), c, rcv.url(), "{}")
			if err != nil || status != 200 || body != "second" {
				t.Fatalf("second request: %d %q %v", status, body, err)
			}
			want := int64(2)
			if tc.reused {
				want = 1
			}
			if n := rcv.conns.Load(); n != want {
				t.Fatalf("two requests used %d connections, want %d", n, want)
			}
			if n := rcv.requests.Load(); n != 2 {
				t.Fatalf("receiver read %d requests, want 2", n)
			}
		})
	}
}

// A receiver that closes a kept-alive connection after answering (as one
// whose keep-alive time ran out does): the next webhook goes on a new
// connection, sent once.
func TestPlainTransportLeavesConnectionsTheReceiverClosed(t *testing.T) {
	rcv := newScripted(t, func(conn, req int, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		return false
	})
	c := loopbackClient(t)
	for i := range 3 {
		if i > 0 {
			time.Sleep(50 * time.Millisecond) // the close reaches us
		}
		if status, body, err := post(context.Background(), c, rcv.url(), "{}"); err != nil || status != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q %v", i, status, body, err)
		}
	}
	if n, r := rcv.conns.Load(), rcv.requests.Load(); n != 3 || r != 3 {
		t.Fatalf("3 webhooks: %d connections, %d requests received; want 3 and 3", n, r)
	}
}

// A kept-alive connection that ends before any answer (the receiver closed
// it as the webhook went out): the webhook is sent again on a new one.
func TestPlainTransportResendsWhenAKeptConnectionEndsUnanswered(t *testing.T) {
	rcv := newScripted(t, func(conn, req int, c net.Conn) bool {
		if conn == 1 && req == 2 {
			return false // read, then closed without an answer
		}
		io.WriteString(c, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nc%dr%d", conn, req))
		return true
	})
	c := loopbackClient(t)
	for i, want := range []string{"c1r1", "c2r1"} {
		if status, body, err := post(context.Background(), c, rcv.url(), "{}"); err != nil || status != 200 || body != want {
			t.Fatalf("request %d: %d %q %v, want 200 %q", i, status, body, err, want)
		}
	}
	if n, r := rcv.conns.Load(), rcv.requests.Load(); n != 2 || r != 3 {
		t.Fatalf("%d connections, %d requests received; want 2 and 3", n, r)
	}
	// A new connection that ends unanswered is not tried again.
	bad := newScripted(t, func(int, int, net.Conn) bool { return false })
	if _, _, err := post(context.Background(), c, bad.url(), "{}"); err == nil {
		t.Fatal("a receiver that never answers: no error")
	}
	if r := bad.requests.Load(); r != 1 {
		t.Fatalf("receiver that closes without answering got %d requests, want 1", r)
	}
}

func TestPlainTransportTimeoutAndCancel(t *testing.T) {
	var closed atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // never answers; notes when we hang up
				io.Copy(io.Discard, conn)
				closed.Add(1)
				conn.Close()
			}()
		}
	}()
	c := loopbackClient(t)
	url := "http://" + ln.Addr().String() + "/hook"

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = post(ctx, c, url, "{}")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung receiver: %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("a 200 ms timeout took %s", took)
	}
	if got := describeError(err, 200*time.Millisecond, ctx); got != "timed out after 200ms" {
		t.Fatalf("logged as %q", got)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	_, _, err = post(ctx2, c, url, "{}")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for closed.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := closed.Load(); n != 2 {
		t.Fatalf("%d of 2 abandoned connections were closed", n)
	}
}

// An answer read only in part leaves its connection closed, not kept.
func TestPlainTransportClosesAnswersReadInPart(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	rcv := newScripted(t, func(conn, req int, c net.Conn) bool {
		io.WriteString(c, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(big), big))
		return true
	})
	c := loopbackClient(t)
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, rcv.url(), strings.NewReader("{}"))
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 10)
		if _, err := io.ReadFull(resp.Body, head); err != nil || string(head) != "xxxxxxxxxx" {
			t.Fatalf("read %q %v", head, err)
		}
		resp.Body.Close()
	}
	if n := rcv.conns.Load(); n != 2 {
		t.Fatalf("two answers read in part: %d connections, want 2", n)
	}
}

func TestPlainTransportBoundsTheAnswerHead(t *testing.T) {
	rcv := newScripted(t, func(conn, req int, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("y", maxAnswerHead)+"\r\nContent-Length: 0\r\n\r\n")
		return true
	})
	c := loopbackClient(t)
	if status, _, err := post(context.Background(), c, rcv.url(), "{}"); err == nil {
		t.Fatalf("a head over %d bytes was read (status %d)", maxAnswerHead, status)
	}
}

// https receivers go through net/http's Transport, with the same guard.
func TestPlainTransportLeavesHTTPSToNetHTTP(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "tls ok")
	}))
	defer srv.Close()
	c := loopbackClient(t)
	c.other.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	if status, body, err := post(context.Background(), c, srv.URL, "{}"); err != nil || status != 200 || body != "tls ok" {
		t.Fatalf("https: %d %q %v", status, body, err)
	}
	// The guard still holds: without loopback allowed, refused.
	strict := newClient(Allowlist{}, nil, 4)
	strict.other.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	var blocked *BlockedError
	if _, _, err := post(context.Background(), strict, srv.URL, "{}"); !errors.As(err, &blocked) {
		t.Fatalf("https to loopback without the allowlist: %v, want refused", err)
	}
	if _, _, err := post(context.Background(), strict, strings.Replace(srv.URL, "https", "http", 1), "{}"); !errors.As(err, &blocked) {
		t.Fatalf("http to loopback without the allowlist: %v, want refused", err)
	}
}

// FuzzPlainTransportAnswer sends a webhook to a receiver that answers with
// any bytes, twice on one connection if it can: the transport returns an
// answer whose body reads to its end, or an error, within the request's
// timeout, and never reuses a connection the answer did not end cleanly.
func FuzzPlainTransportAnswer(f *testing.F) {
	for _, seed := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 410 Gone\r\nConnection: close\r\nContent-Length: 4\r\n\r\ngone",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
		"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
		"garbage\r\n\r\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		rcv := newScripted(t, func(_, _ int, c net.Conn) bool {
			c.SetWriteDeadline(time.Now().Add(time.Second))
			_, err := io.WriteString(c, answer)
			return err == nil
		})
		c := loopbackClient(t)
		url := rcv.url()
		for range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			start := time.Now()
			status, _, err := post(ctx, c, url, "{}")
			cancel()
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("answer %q took %s against a 100ms timeout", answer, took)
			}
			if err == nil && (status < 100 || status > 999) {
				t.Fatalf("answer %q: status %d without an error", answer, status)
			}
		}
		if n := rcv.conns.Load(); n > 2 {
			t.Fatalf("two webhooks opened %d connections", n)
		}
	})
}
