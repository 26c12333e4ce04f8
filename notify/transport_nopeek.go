//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package notify

import "net"

// open cannot peek at a socket here: a connection the receiver closed
// shows when the request is written or its answer read, and the request
// is sent again on a new one (see plainTransport).
func open(net.Conn) bool { return true }
