//go:build linux || darwin || freebsd || netbsd || openbsd

package notify

import (
	"net"
	"syscall"
)

// open tells whether a kept-alive connection is still open: the receiver
// has not closed it (it closes idle ones after a while, often 5 s) and has
// sent nothing unasked. It peeks without waiting, one system call.
func open(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var idle bool
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		idle = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true
	})
	return err == nil && idle
}
