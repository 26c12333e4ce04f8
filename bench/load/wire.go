package main

// The lean HTTP/1.1 client of the measured phases. Go's net/http client
// spends about as much CPU per request as the server under test (its
// persistConn read and write goroutines, the channel hand-offs between them
// and the caller, header maps), and on a 2-core machine where the load
// generator and the servers share the CPUs that squeezes every ratio toward
// 1. Like wrk, this client keeps one connection per worker, writes a request
// built from a byte template and parses the reply in the worker's own
// goroutine with reused buffers: no goroutine, channel or map per request.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// maxBody is how much of a reply body is kept for checking, as the net/http
// path reads (the rest is read and dropped, so the connection stays usable).
const maxBody = 64 << 10

// errMalformed is a reply that is not HTTP/1.x as the client understands it.
var errMalformed = errors.New("malformed HTTP message")

// wireConn is one worker's keep-alive connection to a server, redialed when
// the server closes it or an exchange fails. It is not safe for concurrent
// use, except interrupt.
type wireConn struct {
	addr    string // host:port to dial
	timeout time.Duration

	mu   sync.Mutex // guards conn against interrupt
	conn net.Conn
	br   *bufio.Reader
	used bool // conn has carried a complete exchange already

	body []byte // the last reply's body (up to maxBody), reused
	// dials counts connections made, retries requests sent again after a
	// kept-alive connection turned out closed; for tests.
	dials, retries int
}

// wireResponse is the part of a reply the load checks. body aliases the
// connection's buffer and is valid until the next exchange.
type wireResponse struct {
	status  int
	body    []byte
	chunked bool // the body came in chunks
	close   bool // the server closed, or said it would close, the connection
}

func newWireConn(addr string, timeout time.Duration) *wireConn {
	return &wireConn{addr: addr, timeout: timeout, body: make([]byte, 0, 512)}
}

// roundTrip writes req (a complete HTTP/1.1 request) and reads the reply,
// all within the timeout. On any error the connection is closed, and the
// next exchange dials again. When a kept-alive connection turns out closed
// by the server (nothing of a reply read, end of stream or reset), a
// replayable request (a GET) is sent once more on a new connection, as
// net/http does; a POST is not, since the server may have acted on it.
func (c *wireConn) roundTrip(ctx context.Context, req []byte, replayable bool) (wireResponse, error) {
	resp, err := c.exchange(ctx, req)
	if err != nil && replayable && c.used && errors.Is(err, errIdleClosed) {
		c.retries++
		c.drop()
		resp, err = c.exchange(ctx, req)
	}
	if err != nil {
		c.drop()
		return resp, err
	}
	c.used = true
	if resp.close {
		c.drop()
	}
	return resp, nil
}

// errIdleClosed is a connection that ended before the first byte of a
// reply.
var errIdleClosed = errors.New("connection closed before the reply")

func (c *wireConn) exchange(ctx context.Context, req []byte) (wireResponse, error) {
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return wireResponse{}, err
		}
	}
	if err := c.conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return wireResponse{}, err
	}
	// After the deadline is set, so that an interrupt from now on is seen
	// by the write or the read.
	if err := ctx.Err(); err != nil {
		return wireResponse{}, err
	}
	if _, err := c.conn.Write(req); err != nil {
		if peerClosed(err) {
			return wireResponse{}, errIdleClosed
		}
		return wireResponse{}, fmt.Errorf("write: %w", err)
	}
	if _, err := c.br.Peek(1); err != nil {
		if peerClosed(err) {
			return wireResponse{}, errIdleClosed
		}
		return wireResponse{}, fmt.Errorf("read: %w", err)
	}
	return c.readResponse()
}

// peerClosed reports an error that says the server had closed the
// connection (end of stream, reset, broken pipe), not a timeout.
func peerClosed(err error) bool {
	return err == io.EOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// dial connects; stopping the load (ctx) abandons a connection attempt.
func (c *wireConn) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: c.timeout}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", c.addr, err)
	}
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 4096)
	} else {
		c.br.Reset(conn)
	}
	c.used = false
	c.dials++
	return nil
}

// drop closes the connection; the next exchange dials a new one.
func (c *wireConn) drop() {
	c.mu.Lock()
	conn := c.conn
	c.conn = nil
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// interrupt makes the exchange in progress, if any, fail at once (the
// load was stopped). Safe to call from another goroutine.
func (c *wireConn) interrupt() {
	c.mu.Lock()
	if c.conn != nil {
		c.conn.SetDeadline(time.Unix(1, 0))
	}
	c.mu.Unlock()
}

// readResponse parses a status line, the headers that matter (length,
// chunking, connection) and the body. 1xx interim replies are skipped.
func (c *wireConn) readResponse() (wireResponse, error) {
	for {
		line, err := readLine(c.br)
		if err != nil {
			return wireResponse{}, err
		}
		// "HTTP/1.1 200 OK"
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
			(len(line) > 12 && line[12] != ' ') {
			return wireResponse{}, fmt.Errorf("%w: status line %q", errMalformed, line)
		}
		status, ok := parseUint(line[9:12])
		if !ok || status < 100 {
			return wireResponse{}, fmt.Errorf("%w: status line %q", errMalformed, line)
		}
		h, err := readHead(c.br)
		if err != nil {
			return wireResponse{}, err
		}
		resp := wireResponse{status: int(status), chunked: h.chunked,
			close: h.close || line[7] == '0' && !h.keepAlive}
		length := h.length
		if resp.status >= 100 && resp.status < 200 && resp.status != 101 {
			continue // an interim reply; the real one follows
		}
		c.body = c.body[:0]
		switch {
		case resp.status == 204 || resp.status == 304 || resp.status == 101:
		case resp.chunked:
			err = readChunks(c.br, c.readBody)
		case length >= 0:
			err = c.readBody(length)
		default:
			// No length: the body runs to the end of the connection.
			resp.close = true
			err = c.readToEOF()
		}
		if err != nil {
			return wireResponse{}, err
		}
		resp.body = c.body
		return resp, nil
	}
}

// wireHead is what the client and the receiver need of a message's header
// fields.
type wireHead struct {
	length    int64 // Content-Length; -1 when none
	chunked   bool  // Transfer-Encoding names chunked
	teOther   bool  // Transfer-Encoding is anything but one "chunked"
	close     bool  // Connection: close
	keepAlive bool  // Connection: keep-alive
	expect    bool  // Expect: 100-continue
}

var (
	hdrContentLength    = []byte("Content-Length")
	hdrTransferEncoding = []byte("Transfer-Encoding")
	hdrConnection       = []byte("Connection")
	hdrExpect           = []byte("Expect")
)

// readHead reads header fields up to the empty line.
func readHead(br *bufio.Reader) (wireHead, error) {
	h := wireHead{length: -1}
	for {
		line, err := readLine(br)
		if err != nil {
			return h, err
		}
		if len(line) == 0 {
			return h, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || name[len(name)-1] == ' ' || name[len(name)-1] == '\t' {
			return h, fmt.Errorf("%w: header %q", errMalformed, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, hdrContentLength):
			n, ok := parseUint(value)
			if !ok || h.length >= 0 && n != h.length {
				return h, fmt.Errorf("%w: Content-Length %q", errMalformed, value)
			}
			h.length = n
		case bytes.EqualFold(name, hdrTransferEncoding):
			// Anything but one "chunked" (another coding, or a second
			// Transfer-Encoding line) is teOther: a receiver refuses it.
			h.teOther = h.teOther || h.chunked || !bytes.EqualFold(value, []byte("chunked"))
			h.chunked = h.chunked || hasToken(value, "chunked")
		case bytes.EqualFold(name, hdrConnection):
			h.close = h.close || hasToken(value, "close")
			h.keepAlive = h.keepAlive || hasToken(value, "keep-alive")
		case bytes.EqualFold(name, hdrExpect):
			h.expect = bytes.EqualFold(value, []byte("100-continue"))
		}
	}
}

// readLine reads one line from br without its CRLF (or LF); the slice is
// valid until the next read. A line longer than br's buffer is malformed.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errMalformed, br.Size())
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readBody reads n bytes of body, keeping up to maxBody of them.
func (c *wireConn) readBody(n int64) error {
	keep := min(n, int64(maxBody-len(c.body)))
	if keep > 0 {
		start := len(c.body)
		c.body = growTo(c.body, start+int(keep))
		if _, err := io.ReadFull(c.br, c.body[start:]); err != nil {
			return fmt.Errorf("read body: %w", unexpected(err))
		}
	}
	if rest := n - keep; rest > 0 {
		if _, err := c.br.Discard(int(rest)); err != nil {
			return fmt.Errorf("read body: %w", unexpected(err))
		}
	}
	return nil
}

// readChunks reads a chunked body from br, handing each chunk's size to
// body (which reads that many bytes), and skips the trailers. A malformed
// framing is reported as malformed.
func readChunks(br *bufio.Reader, body func(size int64) error) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // a chunk extension
		}
		size, ok := parseHex(bytes.TrimSpace(line))
		if !ok {
			return fmt.Errorf("%w: chunk size %q", errMalformed, line)
		}
		if size == 0 {
			for { // trailers, up to the empty line
				t, err := readLine(br)
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if err := body(size); err != nil {
			return err
		}
		if crlf, err := readLine(br); err != nil || len(crlf) != 0 {
			if err == nil {
				err = fmt.Errorf("%w: no CRLF after a chunk", errMalformed)
			}
			return err
		}
	}
}

// readToEOF reads a body delimited by the end of the connection.
func (c *wireConn) readToEOF() error {
	buf := bytes.NewBuffer(c.body[:0])
	_, err := buf.ReadFrom(io.LimitReader(c.br, maxBody))
	if err == nil {
		_, err = io.Copy(io.Discard, c.br)
	}
	c.body = buf.Bytes()
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	return nil
}

func growTo(b []byte, n int) []byte {
	if n <= cap(b) {
		return b[:n]
	}
	nb := make([]byte, n, max(n, 2*cap(b)))
	copy(nb, b)
	return nb
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseUint reads a decimal number that fits an int64, without a sign.
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := int64(ch - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseHex reads a chunk size of at most 15 hex digits.
func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		var d byte
		switch {
		case '0' <= ch && ch <= '9':
			d = ch - '0'
		case 'a' <= ch && ch <= 'f':
			d = ch - 'a' + 10
		case 'A' <= ch && ch <= 'F':
			d = ch - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

// hasToken reports whether a comma-separated header value holds token
// (case-insensitive).
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		var part []byte
		part, v, _ = bytes.Cut(v, []byte(","))
		if bytes.EqualFold(bytes.TrimSpace(part), []byte(token)) {
			return true
		}
	}
	return false
}

// wireTarget is where a workload's requests go: the address to dial, the
// Host header, and the request target (path and query) of the URL.
type wireTarget struct {
	addr, host, uri string
}

// parseWireTarget splits an http:// URL for the lean client; ok is false
// for any other scheme (https goes through net/http).
func parseWireTarget(raw string) (wireTarget, bool, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return wireTarget{}, false, err
	}
	if u.Scheme != "http" {
		return wireTarget{}, false, nil
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return wireTarget{addr: addr, host: u.Host, uri: u.RequestURI()}, true, nil
}

// userAgent names the load in the servers' access logs.
const userAgent = "hookboard-load"

// wireWorker is one worker's connection, whose exchange in progress is
// interrupted when the load stops (the end of ctx).
type wireWorker struct {
	conn *wireConn
	stop func() bool
}

func newWireWorker(ctx context.Context, t wireTarget, timeout time.Duration) wireWorker {
	c := newWireConn(t.addr, timeout)
	return wireWorker{conn: c, stop: context.AfterFunc(ctx, c.interrupt)}
}

func (w wireWorker) close() {
	w.stop()
	w.conn.drop()
}

// wireIncoming is one worker's incoming-URL requests:
// GET <uri>W-SEQ with uri ending in "&title=load+".
type wireIncoming struct {
	wireWorker
	head, tail []byte // the request around the title's W-SEQ
	req        []byte
}

func newWireIncoming(ctx context.Context, t wireTarget, worker int, timeout time.Duration) *wireIncoming {
	r := &wireIncoming{wireWorker: newWireWorker(ctx, t, timeout)}
	r.head = append([]byte("GET "), t.uri...)
	r.head = strconv.AppendInt(r.head, int64(worker), 10)
	r.head = append(r.head, '-')
	r.tail = []byte(" HTTP/1.1\r\nHost: " + t.host + "\r\nUser-Agent: " + userAgent + "\r\n\r\n")
	r.req = make([]byte, 0, len(r.head)+len(r.tail)+20)
	return r
}

func (r *wireIncoming) do(ctx context.Context, seq int) string {
	r.req = append(r.req[:0], r.head...)
	r.req = strconv.AppendInt(r.req, int64(seq), 10)
	r.req = append(r.req, r.tail...)
	resp, err := r.conn.roundTrip(ctx, r.req, true)
	if err != nil {
		return "transport"
	}
	return checkText(resp.status, resp.body, "OK")
}

// checkText is the check of a text reply, on either client: status 200 and
// the body want (spaces around it ignored).
func checkText(status int, body []byte, want string) string {
	if status != 200 {
		return "HTTP " + strconv.Itoa(status)
	}
	if got := bytes.TrimSpace(body); string(got) != want {
		if len(got) > 40 {
			got = got[:40]
		}
		return "body " + string(got)
	}
	return ""
}

// wireRPC is one worker's JSON-RPC createTask requests, with the body and
// credentials createTaskRPC sends.
type wireRPC struct {
	wireWorker
	head  []byte // request line and headers up to "Content-Length: "
	body  []byte
	req   []byte
	title []byte // `,"params":{"title":"load W-`
	reply rpcReply
}

// rpcReply is the part of a JSON-RPC reply the load checks. It is reused:
// Result keeps its capacity across replies.
type rpcReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func newWireRPC(ctx context.Context, t wireTarget, apiToken string, worker int, timeout time.Duration) *wireRPC {
	auth := base64.StdEncoding.EncodeToString([]byte("jsonrpc:" + apiToken))
	r := &wireRPC{wireWorker: newWireWorker(ctx, t, timeout)}
	r.head = []byte("POST " + t.uri + " HTTP/1.1\r\nHost: " + t.host + "\r\nUser-Agent: " + userAgent +
		"\r\nAuthorization: Basic " + auth + "\r\nContent-Type: application/json\r\nContent-Length: ")
	r.title = strconv.AppendInt([]byte(`,"params":{"title":"load `), int64(worker), 10)
	r.title = append(r.title, '-')
	return r
}

func (r *wireRPC) do(ctx context.Context, seq int) string {
	// {"jsonrpc":"2.0","method":"createTask","id":SEQ+2,"params":{"title":"load W-SEQ","project_id":1}}
	r.body = append(r.body[:0], `{"jsonrpc":"2.0","method":"createTask","id":`...)
	r.body = strconv.AppendInt(r.body, int64(seq)+2, 10)
	r.body = append(r.body, r.title...)
	r.body = strconv.AppendInt(r.body, int64(seq), 10)
	r.body = append(r.body, `","project_id":1}}`...)

	r.req = append(r.req[:0], r.head...)
	r.req = strconv.AppendInt(r.req, int64(len(r.body)), 10)
	r.req = append(r.req, "\r\n\r\n"...)
	r.req = append(r.req, r.body...)
	resp, err := r.conn.roundTrip(ctx, r.req, false)
	if err != nil {
		return "transport"
	}
	return r.reply.check(resp.status, resp.body)
}

// check is the check of a createTask reply, on either client: status 200
// and a JSON reply whose result is a positive task id.
func (p *rpcReply) check(status int, body []byte) string {
	if status != 200 {
		return "HTTP " + strconv.Itoa(status)
	}
	p.Result, p.Error = p.Result[:0], nil
	if err := json.Unmarshal(body, p); err != nil {
		return "body not JSON"
	}
	if p.Error != nil {
		return fmt.Sprintf("rpc error %d %s", p.Error.Code, p.Error.Message)
	}
	if id, ok := parseUint(p.Result); !ok || id <= 0 {
		return "result " + string(p.Result)
	}
	return ""
}
