package main

// The lean HTTP/1.1 webhook receiver of the fan-out phases. A net/http
// server spends more CPU per webhook (header maps, a context, a response
// writer and a background read per request; BenchmarkReceiver compares
// them), and where the receivers, the load generator and Hookboard share
// the CPUs that cost is charged to Hookboard's fan-out figures. Like the
// lean client (wire.go), this receiver reads each connection in one
// goroutine with a reused buffer and answers from a constant: no goroutine,
// map or allocation per request.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// The receivers -receiver chooses from.
const (
	receiverLean    = "lean"
	receiverNetHTTP = "net/http"
)

var (
	replyOK       = []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	replyOKClose  = []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	replyContinue = []byte("HTTP/1.1 100 Continue\r\n\r\n")
)

// wireReceiver serves one listener: a goroutine per connection, requests
// read in turn on each (HTTP/1.1 keep-alive; no pipelining is needed, but a
// pipelined request is read after the previous reply all the same).
type wireReceiver struct {
	rc   *receiver
	ln   net.Listener
	hang bool

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	once   sync.Once
}

// startLeanReceiver listens on a loopback port and counts every complete
// request in rc.hits. Fast: each request is answered 200 with an empty
// body. Hung: no request is answered, and its connection is held until the
// peer closes it or the receiver is closed.
func startLeanReceiver(hang bool) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + ln.Addr().String() + "/hook"}
	s := &wireReceiver{rc: rc, ln: ln, hang: hang, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	rc.close = s.close
	return rc, nil
}

func (s *wireReceiver) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors or the like: wait a little, as net/http does.
			time.Sleep(5 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

// close stops the listener, closes every connection and waits for their
// goroutines. It may be called more than once.
func (s *wireReceiver) close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.ln.Close()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	s.wg.Wait()
}

// serve reads the requests of one connection until the peer closes it, a
// request is malformed, a request asks to close, or the receiver closes.
func (s *wireReceiver) serve(c net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
		s.wg.Done()
	}()
	br := bufio.NewReaderSize(c, 4096)
	for {
		req, err := readWireRequest(br)
		if err != nil {
			return // end of stream, or malformed: close without a word
		}
		if req.expect {
			if _, err := c.Write(replyContinue); err != nil {
				return
			}
		}
		if err := req.discardBody(br); err != nil {
			return
		}
		s.rc.hits.Add(1)
		if s.hang {
			// Never answer; hold the connection until either side closes it.
			io.Copy(io.Discard, br)
			return
		}
		reply := replyOK
		if req.close {
			reply = replyOKClose
		}
		if _, err := c.Write(reply); err != nil || req.close {
			return
		}
	}
}

// wireRequest is what the receiver needs of a request's head.
type wireRequest struct {
	length  int64 // Content-Length; 0 when none
	chunked bool  // Transfer-Encoding: chunked
	close   bool  // the connection ends after the reply
	expect  bool  // Expect: 100-continue, with a body to come
}

// readWireRequest reads a request line and headers. An error is the end of
// the stream or a request the receiver does not accept: either way the
// connection is closed.
func readWireRequest(br *bufio.Reader) (wireRequest, error) {
	var req wireRequest
	line, err := readLine(br)
	if err != nil {
		return req, err
	}
	// METHOD SP request-target SP HTTP/1.x
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	target, version, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 || !bytes.HasPrefix(version, []byte("HTTP/1.")) || len(version) != 8 {
		return req, fmt.Errorf("%w: request line %q", errMalformed, line)
	}
	h, err := readHead(br)
	if err != nil {
		return req, err
	}
	// Only a single chunked is understood; both framings is a request
	// smuggler's favourite: refuse them, as net/http does.
	if h.teOther {
		return req, fmt.Errorf("%w: Transfer-Encoding other than one chunked", errMalformed)
	}
	if h.chunked && h.length >= 0 {
		return req, fmt.Errorf("%w: Transfer-Encoding and Content-Length", errMalformed)
	}
	req = wireRequest{length: max(h.length, 0), chunked: h.chunked, expect: h.expect,
		close: h.close || version[7] == '0' && !h.keepAlive}
	req.expect = req.expect && (req.chunked || req.length > 0)
	return req, nil
}

// discardBody reads the request's body and drops it.
func (req wireRequest) discardBody(br *bufio.Reader) error {
	if !req.chunked {
		_, err := br.Discard(int(req.length))
		return unexpected(err)
	}
	return readChunks(br, func(size int64) error {
		_, err := br.Discard(int(size))
		return unexpected(err)
	})
}
