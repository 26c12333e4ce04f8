package notify

import (
	"net/http"
	"testing"
	"time"
)

// FuzzRetryAfter feeds arbitrary Retry-After headers, as a receiver may send
// them, to the retry schedule. Whatever the header says, the next attempt
// stays within the schedule's step and twice it on a 429 or 503, and within
// ±20 % of the step otherwise: a receiver cannot stop retries or make them
// hammer it.
func FuzzRetryAfter(f *testing.F) {
	f.Add("120", 429)
	f.Add("0", 503)
	f.Add("-5", 503)
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT", 429)
	f.Add("Fri, 31 Dec 9999 23:59:59 GMT", 503)
	f.Add("99999999999999999999", 429)
	f.Add(" 30 ", 500)
	f.Add("soon", 429)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	n := &Notifier{now: func() time.Time { return now }, jitter: func() float64 { return 0.999 }}
	f.Fuzz(func(t *testing.T, header string, status int) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		resp.Header.Set("Retry-After", header)
		for made := 1; made <= len(Schedule); made++ {
			step := Schedule[made-1]
			d := n.nextDelay(made, resp)
			lo, hi := time.Duration(float64(step)*0.8), time.Duration(float64(step)*1.2)
			if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
				lo = min(lo, step)
				hi = max(hi, 2*step)
			}
			if d < lo || d > hi {
				t.Fatalf("status %d, Retry-After %q, attempt %d: delay %s outside [%s, %s]", status, header, made, d, lo, hi)
			}
		}
	})
}
