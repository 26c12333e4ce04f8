package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hookboard/store"
)

// clients are the two load generators, which must give the same answers.
var clients = []string{clientLean, clientNetHTTP}

// requesterFor builds worker w's requester of a workload without the
// JSON-RPC probe, so that a server answering badly can be checked too.
func requesterFor(t *testing.T, tg *target, work, client string, w int, timeout time.Duration) requester {
	t.Helper()
	do, err := newCall(tg, work, client)
	if err != nil {
		t.Fatalf("%s %s: %v", work, client, err)
	}
	return do(t.Context(), w, timeout)
}

// seenRequest is what a server received, as far as the load's requests go.
type seenRequest struct {
	Method, URI, Host, ContentType, Auth, Body string
	ContentLength                              int64
}

// TestLeanClientSendsWhatNetHTTPSends checks, on a real server, that the
// lean client's requests are the ones net/http sends: same method, request
// URI (token escaping and title included), Host, JSON-RPC body, content type
// and credentials.
func TestLeanClientSendsWhatNetHTTPSends(t *testing.T) {
	var mu sync.Mutex
	var seen []seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, seenRequest{r.Method, r.RequestURI, r.Host, r.Header.Get("Content-Type"),
			r.Header.Get("Authorization"), string(body), r.ContentLength})
		mu.Unlock()
		if r.URL.Path == "/jsonrpc.php" {
			io.WriteString(w, `{"jsonrpc":"2.0","result":5,"id":9}`)
			return
		}
		io.WriteString(w, "OK")
	}))
	defer srv.Close()
	tg := &target{base: srv.URL, incomingPath: incomingPath("tok/+x y"), rpcPath: "/jsonrpc.php", apiToken: "api:sécret"}

	got := map[string][]seenRequest{}
	for _, client := range clients {
		seen = nil
		for _, work := range []string{"incoming", "jsonrpc"} {
			do, err := workload(tg, work, client)
			if err != nil {
				t.Fatalf("%s %s: %v", client, work, err)
			}
			r := do(t.Context(), 3, 5*time.Second)
			for _, seq := range []int{7, 1234567} {
				if kind := r.do(t.Context(), seq); kind != "" {
					t.Errorf("%s %s: %q, want OK", client, work, kind)
				}
			}
			r.close()
		}
		got[client] = seen
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	rpc := func(id, seq string, w int) seenRequest {
		body := `{"jsonrpc":"2.0","method":"createTask","id":` + id + `,"params":{"title":"load ` + fmt.Sprint(w) + "-" + seq + `","project_id":1}}`
		return seenRequest{"POST", "/jsonrpc.php", host, "application/json",
			"Basic anNvbnJwYzphcGk6c8OpY3JldA==", body, int64(len(body))}
	}
	want := []seenRequest{
		{Method: "GET", URI: "/?controller=webhook&action=task&token=tok%2F%2Bx+y&title=load+3-7", Host: host},
		{Method: "GET", URI: "/?controller=webhook&action=task&token=tok%2F%2Bx+y&title=load+3-1234567", Host: host},
		rpc("1", "-1", 0), // the probe
		rpc("9", "7", 3),
		rpc("1234569", "1234567", 3),
	}
	for _, client := range clients {
		if !slices.Equal(got[client], want) {
			t.Errorf("%s sent\n%+v\nwant\n%+v", client, got[client], want)
		}
	}
}

// TestLeanClientAnswersLikeNetHTTP runs both clients against real servers
// giving every kind of reply, and checks each gets the expected label.
func TestLeanClientAnswersLikeNetHTTP(t *testing.T) {
	text := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	// chunks flushes each part, which makes net/http send the body chunked.
	chunks := func(parts ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for _, p := range parts {
				io.WriteString(w, p)
				w.(http.Flusher).Flush()
			}
		}
	}
	big := strings.Repeat("x", 100<<10)
	cases := []struct {
		name, work string
		h          http.HandlerFunc
		want       string
	}{
		{"OK", "incoming", text(200, "OK"), ""},
		{"OK with spaces", "incoming", text(200, " OK\n"), ""},
		{"503 FAILED", "incoming", text(503, "FAILED"), "HTTP 503"},
		{"200 FAILED", "incoming", text(200, "FAILED"), "body FAILED"},
		{"404", "incoming", http.NotFound, "HTTP 404"},
		{"chunked OK", "incoming", chunks("O", "K"), ""},
		{"chunked FAILED", "incoming", chunks("FAI", "LED"), "body FAILED"},
		{"body over 64 KiB", "incoming", text(200, big), "body " + big[:40]},
		{"chunked over 64 KiB", "incoming", chunks(big, big), "body " + big[:40]},
		{"task id", "jsonrpc", text(200, `{"jsonrpc":"2.0","result":42,"id":1}`), ""},
		{"chunked task id", "jsonrpc", chunks(`{"jsonrpc":"2.0",`, `"result":42,"id":1}`), ""},
		{"result 0", "jsonrpc", text(200, `{"jsonrpc":"2.0","result":0,"id":1}`), "result 0"},
		{"result false", "jsonrpc", text(200, `{"jsonrpc":"2.0","result":false,"id":1}`), "result false"},
		{"no result", "jsonrpc", text(200, `{"jsonrpc":"2.0","id":1}`), "result "},
		{"rpc error", "jsonrpc", text(200, `{"jsonrpc":"2.0","error":{"code":-32000,"message":"database"},"id":1}`),
			"rpc error -32000 database"},
		{"not JSON", "jsonrpc", text(200, "<html>oops</html>"), "body not JSON"},
		{"empty", "jsonrpc", text(200, ""), "body not JSON"},
		{"503", "jsonrpc", text(503, "FAILED"), "HTTP 503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			tg := &target{base: srv.URL, incomingPath: "/in?x=1", rpcPath: "/rpc", apiToken: "t"}
			for _, client := range clients {
				r := requesterFor(t, tg, tc.work, client, 1, 5*time.Second)
				// Twice: the second request shows the connection is still
				// in a good state after the first reply.
				for seq := range 2 {
					if got := r.do(t.Context(), seq); got != tc.want {
						t.Errorf("%s, request %d: %q, want %q", client, seq+1, got, tc.want)
					}
				}
				r.close()
			}
		})
	}
}

// TestLeanClientDecodesChunks checks that a flushed reply really came in
// chunks, and is read back whole.
func TestLeanClientDecodesChunks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range []string{"alpha ", strings.Repeat("b", 5000), " omega"} {
			io.WriteString(w, p)
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	c := newWireConn(strings.TrimPrefix(srv.URL, "http://"), 5*time.Second)
	defer c.drop()
	req := []byte("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
	for i := range 3 {
		resp, err := c.roundTrip(t.Context(), req, true)
		if err != nil {
			t.Fatal(err)
		}
		if want := "alpha " + strings.Repeat("b", 5000) + " omega"; resp.status != 200 || !resp.chunked || string(resp.body) != want {
			t.Fatalf("request %d: status %d, chunked %v, body %d bytes %.20q…; want 200, chunked, %d bytes",
				i+1, resp.status, resp.chunked, len(resp.body), resp.body, len(want))
		}
	}
	if c.dials != 1 {
		t.Errorf("%d connections for 3 requests, want 1 kept alive", c.dials)
	}
}

// countConns counts the connections a test server accepts.
func countConns(srv *httptest.Server) *atomic.Int64 {
	var n atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

// TestLeanClientConnections checks that a worker keeps its connection
// alive, and dials again after a reply with Connection: close.
func TestLeanClientConnections(t *testing.T) {
	for _, closing := range []bool{false, true} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if closing {
				w.Header().Set("Connection", "close")
			}
			io.WriteString(w, "OK")
		}))
		conns := countConns(srv)
		srv.Start()
		tg := &target{base: srv.URL, incomingPath: "/in?x=1"}
		r := requesterFor(t, tg, "incoming", clientLean, 0, 5*time.Second).(*wireIncoming)
		for seq := range 5 {
			if got := r.do(t.Context(), seq); got != "" {
				t.Errorf("closing=%v, request %d: %q", closing, seq+1, got)
			}
		}
		r.close()
		srv.Close()
		want := int64(1)
		if closing {
			want = 5
		}
		if n := conns.Load(); n != want || int64(r.conn.dials) != want {
			t.Errorf("closing=%v: server accepted %d connections, client dialed %d; want %d", closing, n, r.conn.dials, want)
		}
		// Connection: close is heeded: no request is written to a
		// connection the server has closed, only to be sent again.
		if r.conn.retries != 0 {
			t.Errorf("closing=%v: %d requests sent again", closing, r.conn.retries)
		}
	}
}

// rawServer serves each accepted connection with handle on a loopback
// port; it returns the base URL and the count of connections.
func rawServer(t testing.TB, handle func(net.Conn)) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String(), &n
}

// readRequestHead reads one request and skips its body, with the lean
// receiver's parser (receiver_wire.go).
func readRequestHead(br *bufio.Reader) error {
	req, err := readWireRequest(br)
	if err != nil {
		return err
	}
	return req.discardBody(br)
}

// Replies of the raw test servers: "OK" as the incoming URL answers, a
// task id as JSON-RPC createTask does.
const (
	replyTextOK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
	replyRPC42  = "HTTP/1.1 200 OK\r\nContent-Length: 36\r\n\r\n{\"jsonrpc\":\"2.0\",\"result\":42,\"id\":1}"
)

// closingServer answers one request per connection with reply and closes
// it without saying so; it counts the requests and the connections.
func closingServer(t *testing.T, reply string) (base string, requests, conns *atomic.Int64) {
	requests = new(atomic.Int64)
	base, conns = rawServer(t, func(c net.Conn) {
		if readRequestHead(bufio.NewReader(c)) != nil {
			return
		}
		requests.Add(1)
		io.WriteString(c, reply)
	})
	return base, requests, conns
}

// TestLeanClientServerClosesWithoutSaying checks a server that closes the
// connection after each reply without a Connection header: every request
// succeeds on a new connection, and none reaches the server twice.
func TestLeanClientServerClosesWithoutSaying(t *testing.T) {
	base, requests, conns := closingServer(t, replyTextOK)
	tg := &target{base: base, incomingPath: "/in?x=1"}
	for _, client := range clients {
		requests.Store(0)
		conns.Store(0)
		r := requesterFor(t, tg, "incoming", client, 0, 5*time.Second)
		for seq := range 5 {
			if got := r.do(t.Context(), seq); got != "" {
				t.Errorf("%s, request %d: %q", client, seq+1, got)
			}
		}
		r.close()
		if lean, ok := r.(*wireIncoming); ok && lean.conn.retries != 4 {
			t.Errorf("lean: %d requests sent again after finding the connection closed, want 4", lean.conn.retries)
		}
		if requests.Load() != 5 || conns.Load() < 5 {
			t.Errorf("%s: server got %d requests on %d connections, want 5 on at least 5", client, requests.Load(), conns.Load())
		}
	}
}

// TestLeanClientDoesNotReplayPOST checks the other side of the rule: a
// JSON-RPC POST is not sent again on a connection the server closed without
// saying (the server may have created the task), so it counts as a
// transport error, and the worker carries on with a new connection.
func TestLeanClientDoesNotReplayPOST(t *testing.T) {
	base, requests, _ := closingServer(t, replyRPC42)
	r := requesterFor(t, &target{base: base, rpcPath: "/rpc", apiToken: "t"}, "jsonrpc", clientLean, 0, 5*time.Second).(*wireRPC)
	defer r.close()
	var got []string
	for seq := range 6 {
		got = append(got, r.do(t.Context(), seq))
	}
	want := []string{"", "transport", "", "transport", "", "transport"}
	if !slices.Equal(got, want) {
		t.Errorf("answers %q, want %q", got, want)
	}
	if n := requests.Load(); n != 3 || r.conn.retries != 0 {
		t.Errorf("server got %d requests, %d sent again; want 3 and none", n, r.conn.retries)
	}
}

// TestLeanClientTimeout checks a server that never answers: the request
// fails as "transport" once the timeout passes, as with net/http, and the
// next request dials a new connection.
func TestLeanClientTimeout(t *testing.T) {
	base, conns := rawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	tg := &target{base: base, incomingPath: "/in?x=1", rpcPath: "/rpc", apiToken: "t"}
	for _, work := range []string{"incoming", "jsonrpc"} {
		for _, client := range clients {
			conns.Store(0)
			r := requesterFor(t, tg, work, client, 0, 200*time.Millisecond)
			for seq := range 2 {
				if got := r.do(t.Context(), seq); got != "transport" {
					t.Errorf("%s %s, request %d: %q, want transport", client, work, seq+1, got)
				}
			}
			r.close()
			if n := conns.Load(); n != 2 {
				t.Errorf("%s %s: %d connections for 2 timed-out requests, want 2", client, work, n)
			}
		}
	}
	c := newWireConn(strings.TrimPrefix(base, "http://"), 100*time.Millisecond)
	defer c.drop()
	if _, err := c.roundTrip(t.Context(), []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), true); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("error %v, want the deadline exceeded", err)
	}
}

// TestLeanClientStops checks that stopping the load ends a request that
// waits on a silent server at once, rather than after the timeout.
func TestLeanClientStops(t *testing.T) {
	base, _ := rawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	ctx, cancel := context.WithCancel(t.Context())
	do, err := workload(&target{base: base, incomingPath: "/in?x=1"}, "incoming", clientLean)
	if err != nil {
		t.Fatal(err)
	}
	r := do(ctx, 0, time.Hour)
	defer r.close()
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	done := make(chan string)
	go func() { done <- r.do(ctx, 0) }()
	select {
	case got := <-done:
		if got != "transport" {
			t.Errorf("%q, want transport", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the request did not end when the load stopped")
	}
}

// TestLeanClientBadReplies checks replies that are not valid HTTP: each
// is a transport error, and the worker recovers on a new connection.
func TestLeanClientBadReplies(t *testing.T) {
	replies := map[string]string{
		"not HTTP":          "HELLO\r\n\r\n",
		"short body":        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nOK",
		"bad length":        "HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nOK",
		"two lengths":       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 2\r\n\r\nOK",
		"bad chunk size":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nOK\r\n0\r\n\r\n",
		"chunk without end": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK",
		"no header end":     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
	}
	for name, reply := range replies {
		var n atomic.Int64
		base, _ := rawServer(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			for readRequestHead(br) == nil {
				if n.Add(1) == 1 {
					io.WriteString(c, reply)
					return // and close
				}
				io.WriteString(c, replyTextOK)
			}
		})
		r := requesterFor(t, &target{base: base, incomingPath: "/in?x=1"}, "incoming", clientLean, 0, 5*time.Second)
		if got := r.do(t.Context(), 0); got != "transport" {
			t.Errorf("%s: %q, want transport", name, got)
		}
		if got := r.do(t.Context(), 1); got != "" {
			t.Errorf("%s: the request after it: %q, want OK", name, got)
		}
		r.close()
	}
}

// TestLeanClientAgainstHookboard drives the real in-process Hookboard and
// the baseline with both clients: every request is answered as expected,
// each answered incoming request made its task, and wrong tokens are refused
// alike.
func TestLeanClientAgainstHookboard(t *testing.T) {
	ctx := t.Context()
	hb, err := startInproc(ctx, t.TempDir(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer hb.close()
	base, err := startBaselineInproc(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer base.close()

	for _, tg := range []*target{hb, base} {
		for _, work := range []string{"incoming", "jsonrpc"} {
			for w, client := range clients {
				do, err := workload(tg, work, client)
				if err != nil {
					t.Fatalf("%s %s %s: %v", tg.name, work, client, err)
				}
				r := do(ctx, w+1, 10*time.Second)
				for seq := range 5 {
					if got := r.do(ctx, seq); got != "" {
						t.Errorf("%s %s %s, request %d: %q", tg.name, work, client, seq+1, got)
					}
				}
				// The server keeps the connection alive.
				if dials := leanDials(r); dials > 1 {
					t.Errorf("%s %s: %d connections for 5 requests, want 1", tg.name, work, dials)
				}
				r.close()
			}
		}
	}
	tasks, err := hb.store.Tasks(ctx, 1, store.TaskAny)
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, tk := range tasks {
		titles[tk.Title] = true
	}
	for w := range clients {
		for seq := range 5 {
			if title := fmt.Sprintf("load %d-%d", w+1, seq); !titles[title] {
				t.Errorf("no task %q in Hookboard's database", title)
			}
		}
	}

	// Wrong credentials: the same refusal from both clients, and no task.
	bad := *hb
	bad.incomingPath, bad.apiToken = incomingPath("wrong-token"), "wrong-token"
	for _, work := range []string{"incoming", "jsonrpc"} {
		var labels []string
		for _, client := range clients {
			r := requesterFor(t, &bad, work, client, 9, 10*time.Second)
			labels = append(labels, r.do(ctx, 0))
			r.close()
		}
		if labels[0] == "" || labels[0] != labels[1] {
			t.Errorf("%s with a wrong token: lean %q, net/http %q; want the same refusal", work, labels[0], labels[1])
		}
	}
	after, err := hb.store.Tasks(ctx, 1, store.TaskAny)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(tasks) {
		t.Errorf("%d tasks after refused requests, want %d", len(after), len(tasks))
	}
}

// leanDials is how many connections a lean requester made (0 for net/http).
func leanDials(r requester) int {
	switch r := r.(type) {
	case *wireIncoming:
		return r.conn.dials
	case *wireRPC:
		return r.conn.dials
	}
	return 0
}

// TestLeanClientAllocations holds the lean client to its point: an
// incoming request allocates nothing once its connection is up.
func TestLeanClientAllocations(t *testing.T) {
	base, _ := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		reply := []byte(replyTextOK)
		for readRequestHead(br) == nil {
			c.Write(reply)
		}
	})
	r := requesterFor(t, &target{base: base, incomingPath: "/in?x=1"}, "incoming", clientLean, 0, 5*time.Second)
	defer r.close()
	seq := 0
	allocs := testing.AllocsPerRun(200, func() {
		if got := r.do(t.Context(), seq); got != "" {
			t.Fatalf("request %d: %q", seq, got)
		}
		seq++
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per request, want 0", allocs)
	}
}

// BenchmarkClients compares the two clients' cost per request (both
// workloads) against a minimal server in the same process.
func BenchmarkClients(b *testing.B) {
	base, _ := rawServer(b, func(c net.Conn) {
		br := bufio.NewReader(c)
		// A POST is the JSON-RPC workload; a GET the incoming URL.
		text, rpc := []byte(replyTextOK), []byte(replyRPC42)
		for {
			first, err := br.Peek(1)
			if err != nil || readRequestHead(br) != nil {
				return
			}
			if first[0] == 'P' {
				c.Write(rpc)
			} else {
				c.Write(text)
			}
		}
	})
	tg := &target{base: base, incomingPath: "/in?x=1", rpcPath: "/rpc", apiToken: "t"}
	for _, bench := range []struct{ work, client string }{
		{"incoming", clientLean}, {"incoming", clientNetHTTP}, {"jsonrpc", clientLean}, {"jsonrpc", clientNetHTTP},
	} {
		b.Run(bench.work+"/"+strings.ReplaceAll(bench.client, "/", "-"), func(b *testing.B) {
			do, err := workload(tg, bench.work, bench.client)
			if err != nil {
				b.Fatal(err)
			}
			r := do(b.Context(), 0, 5*time.Second)
			defer r.close()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if got := r.do(b.Context(), i); got != "" {
					b.Fatal(got)
				}
			}
		})
	}
}

// TestHTTPSUsesNetHTTP checks that an https server is measured with Go's
// client (the lean one speaks plain HTTP only), and that its answers are
// checked as usual.
func TestHTTPSUsesNetHTTP(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "OK")
	}))
	defer srv.Close()
	do, err := workload(&target{base: srv.URL, incomingPath: "/in?x=1"}, "incoming", clientLean)
	if err != nil {
		t.Fatal(err)
	}
	r := do(t.Context(), 0, 5*time.Second)
	defer r.close()
	hr, ok := r.(httpRequester)
	if !ok {
		t.Fatalf("requester %T for an https server, want the net/http one", r)
	}
	// Trust the test server's certificate, as a real one would be.
	hr.client.Transport.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	if got := hr.do(t.Context(), 0); got != "" {
		t.Errorf("%q, want OK", got)
	}
}

// Replies whose body ends with the connection (HTTP/1.0, or no length),
// longer than the client keeps, and an interim 100 before the real reply
// read the same through both clients.
func TestLeanClientUnframedAndInterimReplies(t *testing.T) {
	big := strings.Repeat("y", 100<<10)
	for name, tc := range map[string]struct{ reply, want string }{
		"to EOF":       {"HTTP/1.1 200 OK\r\n\r\n OK\n", ""},
		"HTTP/1.0":     {"HTTP/1.0 200 OK\r\n\r\nOK", ""},
		"to EOF, big":  {"HTTP/1.1 200 OK\r\n\r\n" + big, "body " + big[:40]},
		"100 then 200": {"HTTP/1.1 100 Continue\r\n\r\n" + replyTextOK, ""},
	} {
		base, _ := rawServer(t, func(c net.Conn) {
			if readRequestHead(bufio.NewReader(c)) == nil {
				io.WriteString(c, tc.reply)
			}
		})
		for _, client := range clients {
			r := requesterFor(t, &target{base: base, incomingPath: "/in?x=1"}, "incoming", client, 0, 5*time.Second)
			for seq := range 2 {
				if got := r.do(t.Context(), seq); got != tc.want {
					t.Errorf("%s %s %d: %q want %q", name, client, seq, got, tc.want)
				}
			}
			r.close()
		}
	}
}
