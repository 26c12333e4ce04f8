package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

var (
	uuidMu   sync.Mutex
	uuidLast int64
	uuidSeq  uint16
)

// newEventID returns a UUIDv7 (RFC 9562): 48 bits of unix milliseconds, then
// a 12-bit counter so IDs made in the same millisecond by this process still
// sort in the order they were made, then random bits.
func newEventID(now time.Time) string {
	ms := now.UnixMilli()
	uuidMu.Lock()
	if ms <= uuidLast {
		ms = uuidLast
		uuidSeq++
		if uuidSeq > 0x0fff { // counter exhausted: borrow the next millisecond
			ms++
			uuidSeq = 0
		}
	} else {
		uuidSeq = 0
	}
	uuidLast = ms
	seq := uuidSeq
	uuidMu.Unlock()

	var b [16]byte
	rand.Read(b[8:])
	binary.BigEndian.PutUint64(b[0:8], uint64(ms)<<16|uint64(seq))
	b[6] = 0x70 | (b[6] & 0x0f) // version 7
	b[8] = 0x80 | (b[8] & 0x3f) // RFC 9562 variant
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
