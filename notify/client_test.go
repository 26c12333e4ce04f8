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
func loopbackClient(t *testing.T) *http.Client {
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
func post(ctx context.Context, c *http.Client, url, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", "evt_1")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(got), err
}

func TestClientKeepsConnections(t *testing.T) {
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
	// Four at a time: connections are reused across requests. (net/http
	// may dial one while another is being returned, so the count is not
	// exactly four; without keep-alive it would be one per request.)
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
	if n := conns.Load(); n >= 20 {
		t.Fatalf("four workers sending 40 webhooks used %d connections, want them reused", n)
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

func TestClientReadsEveryAnswerShape(t *testing.T) {
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
func TestClientLeavesConnectionsTheReceiverClosed(t *testing.T) {
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

func TestClientTimeoutAndCancel(t *testing.T) {
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

func TestClientBoundsTheAnswerHead(t *testing.T) {
	rcv := newScripted(t, func(conn, req int, c net.Conn) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("y", maxAnswerHead)+"\r\nContent-Length: 0\r\n\r\n")
		return true
	})
	c := loopbackClient(t)
	if status, _, err := post(context.Background(), c, rcv.url(), "{}"); err == nil {
		t.Fatalf("a head over %d bytes was read (status %d)", maxAnswerHead, status)
	}
}

// https receivers are reached through the same guard.
func TestClientGuardsHTTPSToo(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "tls ok")
	}))
	defer srv.Close()
	c := loopbackClient(t)
	trustServer(c, srv)
	if status, body, err := post(context.Background(), c, srv.URL, "{}"); err != nil || status != 200 || body != "tls ok" {
		t.Fatalf("https: %d %q %v", status, body, err)
	}
	// The guard still holds: without loopback allowed, refused.
	strict := newClient(Allowlist{}, nil, 4)
	trustServer(strict, srv)
	var blocked *BlockedError
	if _, _, err := post(context.Background(), strict, srv.URL, "{}"); !errors.As(err, &blocked) {
		t.Fatalf("https to loopback without the allowlist: %v, want refused", err)
	}
	if _, _, err := post(context.Background(), strict, strings.Replace(srv.URL, "https", "http", 1), "{}"); !errors.As(err, &blocked) {
		t.Fatalf("http to loopback without the allowlist: %v, want refused", err)
	}
}

// trustServer makes c trust srv's test certificate.
func trustServer(c *http.Client, srv *httptest.Server) {
	c.Transport.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
}
