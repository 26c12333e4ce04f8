package notify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
)

// plainTransport is the webhook client's transport for http:// receivers.
//
// net/http's Transport gives each connection two goroutines of its own, a
// writer and a reader, and hands every request and answer between them and
// the caller. Each hand-off wakes a sleeping thread, and on the small
// shared machines Hookboard runs on those wake-ups cost more than the
// exchange itself: about 120 µs of CPU per webhook, against 50 when the
// caller writes the request and reads the answer itself (docs/BENCHMARKS.md).
// This transport does that, on the calling goroutine, over kept-alive
// connections from a pool of its own, with net/http's request writer and
// response parser. Anything but http:// (TLS, and HTTP/2 with it) goes to
// net/http's Transport.
//
// It behaves as net/http's does where a receiver can tell: the same request
// bytes, a dial through the same guarded dialer, 1xx interim answers
// skipped, connections kept while both sides allow it and the answer was
// read to its end. One difference: when a kept-alive connection the
// receiver had closed ends before any answer begins, the request is sent
// once more on a new connection (net/http gives up on a POST there). The
// receiver most likely never saw it; if it did, it sees the webhook twice,
// which at-least-once delivery allows (webhook-id is the same).
type plainTransport struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	other   *http.Transport // https://
	perHost int             // idle connections kept per receiver
	idleFor time.Duration   // how long an idle connection is kept

	mu    sync.Mutex
	idle  map[string][]*plainConn // by host:port, least recently used first
	sweep *time.Timer             // closes connections idle too long
}

// wireBuffers holds the buffers requests are written into before they are
// sent. A fresh buffer grew in steps to the body's size for every webhook:
// its allocations, their clearing and the runtime's returning of the freed
// pages were 18 % of the client's CPU per exchange (BenchmarkWebhookExchange),
// 3 % with kept ones, which have the room already.
var wireBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledWire is the largest buffer kept: a rare huge body does not pin
// its memory for good.
const maxPooledWire = 64 << 10

func putWireBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledWire {
		return
	}
	b.Reset()
	wireBuffers.Put(b)
}

// maxAnswerHead bounds the status line and headers of an answer.
const maxAnswerHead = 1 << 20

// maxInterim bounds the 1xx answers skipped before the final one.
const maxInterim = 8

// plainConn is a kept-alive connection and its buffers.
type plainConn struct {
	net.Conn
	addr  string
	limit io.LimitedReader // under br: bounds an answer's head
	br    *bufio.Reader
	since time.Time // idle since
}

func (t *plainTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return t.other.RoundTrip(req)
	}
	ctx := req.Context()
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	wire := wireBuffers.Get().(*bytes.Buffer)
	defer putWireBuffer(wire)
	if err := req.Write(wire); err != nil { // closes req.Body
		return nil, err
	}
	if c := t.reuse(addr); c != nil {
		resp, unseen, err := t.exchange(ctx, c, req, wire.Bytes())
		if err == nil || !unseen || ctx.Err() != nil {
			return resp, err
		}
		// The receiver had closed the connection: a new one.
	}
	conn, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &plainConn{Conn: conn, addr: addr}
	c.limit.R = conn
	c.br = bufio.NewReader(&c.limit)
	resp, _, err := t.exchange(ctx, c, req, wire.Bytes())
	return resp, err
}

// exchange writes the request on c and reads the answer's head; the body
// is read by the caller, and c goes back to the pool or is closed when it
// closes it. unseen tells that the connection ended before any of the
// answer came, so the receiver did not answer this request.
func (t *plainTransport) exchange(ctx context.Context, c *plainConn, req *http.Request, wire []byte) (resp *http.Response, unseen bool, err error) {
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	// Shutdown cancels ctx: stop the exchange where it is.
	stopWatch := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if err != nil {
			stopWatch()
			c.Close()
			err = cause(ctx, err)
		}
	}()
	if n, err := c.Write(wire); err != nil {
		return nil, n == 0, err
	}
	c.limit.N = maxAnswerHead
	if _, err := c.br.Peek(1); err != nil {
		return nil, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), err
	}
	for range maxInterim {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			return nil, false, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols || resp.StatusCode < 100 {
			c.limit.N = 1<<63 - 1
			resp.Body = &plainBody{t: t, c: c, ctx: ctx, body: resp.Body, stopWatch: stopWatch,
				keep:  !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols,
				ended: resp.Body == http.NoBody}
			return resp, false, nil
		}
	}
	return nil, false, fmt.Errorf("more than %d interim (1xx) answers", maxInterim)
}

// plainBody is an answer's body; closing it returns the connection to the
// pool if the body was read to its end and both sides keep connections.
type plainBody struct {
	t         *plainTransport
	c         *plainConn
	ctx       context.Context
	body      io.ReadCloser
	stopWatch func() bool
	keep      bool
	ended     bool // read to its end
	closed    bool
}

func (b *plainBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("read on a closed webhook answer")
	}
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.ended = true
	} else if err != nil {
		err = cause(b.ctx, err)
	}
	return n, err
}

func (b *plainBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	watching := b.stopWatch()
	// Bytes after the body are not an answer to anything: such a
	// connection is not reused.
	if b.keep && b.ended && watching && b.c.br.Buffered() == 0 {
		b.t.put(b.c)
	} else {
		b.c.Close()
	}
	return nil
}

// cause makes a deadline met on the connection, which the request's
// context set, read as that context's end.
func cause(ctx context.Context, err error) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	if e := ctx.Err(); e != nil {
		return e
	}
	if _, ok := ctx.Deadline(); ok {
		return context.DeadlineExceeded // the connection's timer rang first
	}
	return err
}

// trustIdle is how long a kept connection is used again without first
// peeking whether the receiver closed it: receivers close idle connections
// after seconds, and the peek is a system call, about a tenth of the
// client's CPU per exchange (BenchmarkWebhookExchange). A connection the
// receiver closed all the same ends before its answer begins, and the
// request goes again on a new one.
const trustIdle = 500 * time.Millisecond

// reuse takes the most recently used idle connection to addr that the
// receiver has not closed, or nil.
func (t *plainTransport) reuse(addr string) *plainConn {
	for {
		t.mu.Lock()
		conns := t.idle[addr]
		if len(conns) == 0 {
			t.mu.Unlock()
			return nil
		}
		c := conns[len(conns)-1]
		conns[len(conns)-1] = nil
		t.idle[addr] = conns[:len(conns)-1]
		t.mu.Unlock()
		if idle := time.Since(c.since); idle < t.idleFor && (idle < trustIdle || open(c.Conn)) {
			return c
		}
		c.Close()
	}
}

// put keeps c for reuse, unless addr has as many idle connections as kept.
func (t *plainTransport) put(c *plainConn) {
	c.SetDeadline(time.Time{})
	c.since = time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.idle[c.addr]) >= t.perHost {
		c.Close()
		return
	}
	if t.idle == nil {
		t.idle = map[string][]*plainConn{}
	}
	t.idle[c.addr] = append(t.idle[c.addr], c)
	if t.sweep == nil {
		t.sweep = time.AfterFunc(t.idleFor, t.closeStale)
	}
}

// closeStale closes the connections idle for idleFor, and comes again
// while any are kept.
func (t *plainTransport) closeStale() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep = nil
	left := false
	for addr, conns := range t.idle {
		fresh := conns[:0]
		for _, c := range conns {
			if time.Since(c.since) >= t.idleFor {
				c.Close()
			} else {
				fresh = append(fresh, c)
			}
		}
		clear(conns[len(fresh):])
		if len(fresh) == 0 {
			delete(t.idle, addr)
			continue
		}
		t.idle[addr] = fresh
		left = true
	}
	if left {
		t.sweep = time.AfterFunc(t.idleFor/2, t.closeStale)
	}
}

// CloseIdleConnections closes the kept connections, here and in the
// transport for https.
func (t *plainTransport) CloseIdleConnections() {
	t.mu.Lock()
	for _, conns := range t.idle {
		for _, c := range conns {
			c.Close()
		}
	}
	t.idle = nil
	if t.sweep != nil {
		t.sweep.Stop()
		t.sweep = nil
	}
	t.mu.Unlock()
	t.other.CloseIdleConnections()
}
