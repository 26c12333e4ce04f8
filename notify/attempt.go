package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hookboard/store"
)

// redacted replaces secrets in the recorded request.
const redacted = "[redacted]"

// attempt makes one HTTP request for a delivery and returns its record.
// With needSlot it first takes one of n.sem's slots, which bound the
// attempts in flight; callers that hold one already, and the retry worker
// (see RunOnce), pass false.
// ok is false when the attempt was not made or abandoned, because ctx
// ended (shutdown) or the lease ran out while waiting for a slot: such an
// attempt is not recorded and the delivery's lease lets the worker retry it.
func (n *Notifier) attempt(ctx context.Context, j store.DeliveryJob, trigger string, needSlot bool) (rec store.AttemptRecord, ok bool) {
	if needSlot {
		select {
		case n.sem <- struct{}{}:
		case <-ctx.Done():
			return rec, false
		}
		defer func() { <-n.sem }()
	}

	now := n.now()
	// Never start an attempt that could outlast our lease: by then another
	// process's worker may have claimed the delivery. It stays pending.
	if now.Add(j.Endpoint.Timeout).After(j.LeaseUntil) && !j.LeaseUntil.IsZero() {
		return rec, false
	}
	rec = store.AttemptRecord{DeliveryID: j.DeliveryID, EndpointID: j.Endpoint.ID, EventID: j.Event.ID, EventAt: j.Event.CreatedAt}
	a := &rec.Attempt
	a.Trigger = trigger
	a.StartedAt = now
	token := j.Secrets.SendToken(now)
	target, shown := targetURL(j.Endpoint.URL, j.Endpoint.Format, token)
	a.RequestURL = shown
	// failed concludes an attempt that got no answer.
	failed := func(msg string) (store.AttemptRecord, bool) {
		a.Error = msg
		n.conclude(&rec, j, nil, now)
		return rec, true
	}

	payload, err := Render(j.Endpoint.Format, j.Event)
	if err != nil {
		return failed(err.Error())
	}
	a.RequestBody = payload.Body
	ts := now.Unix()
	sig, err := signatureHeader(j.Secrets.SigningSecrets(now), j.Event.ID, ts, payload.Body)
	if err != nil {
		return failed(err.Error())
	}

	reqCtx, cancel := context.WithTimeout(ctx, j.Endpoint.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, target, bytes.NewReader(payload.Body))
	if err != nil {
		return failed("invalid webhook URL")
	}
	// The request's headers (Host and Content-Length come from the
	// request itself), named as Header.Set would name them, and the same
	// for the log with the token redacted: set in one pass, with one
	// allocation for all the values, on a path every webhook takes.
	sent := [...]struct{ name, value string }{
		{"Content-Type", payload.ContentType},
		{"Accept", "*/*"},
		{"User-Agent", n.ua},
		{"X-Webhook-Token", token},
		{"X-Hookboard-Event", j.Event.Name},
		{"Webhook-Id", j.Event.ID},
		{"Webhook-Timestamp", strconv.FormatInt(ts, 10)},
		{"Webhook-Signature", sig},
	}
	values := make([]string, len(sent))
	req.Header = make(http.Header, len(sent))
	a.RequestHeaders = make(map[string]string, len(sent)+1)
	for i, h := range sent {
		values[i] = h.value
		req.Header[h.name] = values[i : i+1 : i+1]
		a.RequestHeaders[h.name] = h.value
	}
	a.RequestHeaders["X-Webhook-Token"] = redacted
	a.RequestHeaders["Content-Length"] = strconv.Itoa(len(payload.Body))

	start := time.Now()
	resp, err := n.client.Do(req)
	if err != nil {
		a.Latency = time.Since(start)
		if ctx.Err() != nil {
			return rec, false
		}
		return failed(describeError(err, j.Endpoint.Timeout, reqCtx))
	}
	var body []byte
	var readErr error
	if resp.ContentLength != 0 { // most receivers answer with no body
		body, readErr = io.ReadAll(io.LimitReader(resp.Body, store.MaxStoredResponseBody))
		// Drain a little more so the connection can be reused; a receiver
		// that sends more than that gets its connection closed.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	}
	resp.Body.Close()
	a.Latency = time.Since(start)
	a.ResponseStatus = resp.StatusCode
	a.ResponseHeaders = flatHeaders(resp.Header)
	a.ResponseBody = body
	if readErr != nil && resp.StatusCode/100 != 2 {
		a.Error = "reading the answer: " + describeError(readErr, j.Endpoint.Timeout, reqCtx)
	}
	n.conclude(&rec, j, resp, now)
	return rec, true
}

// conclude decides the delivery's new status from the attempt.
func (n *Notifier) conclude(rec *store.AttemptRecord, j store.DeliveryJob, resp *http.Response, now time.Time) {
	a := &rec.Attempt
	if resp != nil {
		switch code := resp.StatusCode; {
		case code >= 200 && code < 300:
			rec.Success = true
			rec.Status = store.DeliveryDelivered
			return
		case code >= 300 && code < 400:
			loc := resp.Header.Get("Location")
			a.Error = fmt.Sprintf("HTTP %d: redirects are not followed", code)
			if loc != "" {
				a.Error += " (Location: " + loc + ")"
			}
		case code == http.StatusGone:
			rec.Gone = true
			a.Error = "HTTP 410 Gone: the endpoint is disabled"
			rec.Status = store.DeliveryFailed
			return
		default:
			if a.Error == "" {
				a.Error = fmt.Sprintf("HTTP %d", code)
			}
		}
	}
	switch {
	case a.Trigger == store.TriggerTest:
		rec.Status = store.DeliveryFailed
	case a.Trigger == store.TriggerRedeliver && j.Status != store.DeliveryPending:
		rec.Status = j.Status
	default:
		made := j.AttemptCount + 1
		if made > len(Schedule) {
			rec.Status = store.DeliveryFailed
			return
		}
		rec.Status = store.DeliveryPending
		rec.NextAttemptAt = now.Add(n.nextDelay(made, resp))
	}
}

// nextDelay is the wait after the made-th failed attempt: the schedule's
// step with ±20 % jitter, or a 429/503's Retry-After clamped to
// [step, 2×step].
func (n *Notifier) nextDelay(made int, resp *http.Response) time.Duration {
	step := Schedule[made-1]
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), n.now()); ok {
			return min(max(d, step), 2*step)
		}
	}
	return time.Duration(float64(step) * (0.8 + 0.4*n.jitter()))
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(min(secs, 1<<31)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now), true
	}
	return 0, false
}

// targetURL adds ?token= for the kanboard format. It returns the URL to
// request and the one to record, whose token is redacted.
func targetURL(raw, format, token string) (target, shown string) {
	if format != store.FormatKanboard {
		return raw, raw
	}
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
	}
	if strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "&") {
		sep = ""
	}
	return raw + sep + "token=" + url.QueryEscape(token), raw + sep + "token=" + redacted
}

func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// describeError turns a transport error into a message for the delivery
// log, without the request URL (which carries the token).
func describeError(err error, timeout time.Duration, reqCtx context.Context) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("timed out after %s", timeout)
	}
	var blocked *BlockedError
	if errors.As(err, &blocked) {
		return blocked.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
