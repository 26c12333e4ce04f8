package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"testing"
)

// headersJSON writes what json.Marshal writes, escapes included.
func TestHeadersJSONIsMarshal(t *testing.T) {
	for _, h := range []map[string]string{
		nil,
		{},
		{"Content-Type": "application/json", "Webhook-Id": "01a2", "User-Agent": "Hookboard-Webhook/dev", "Accept": "*/*"},
		{"X-Quote": `say "hi" \ back`, "X-Html": "<a href='x'>&amp;</a>", "X-Ctl": "tab\there\nnew\x00", "X-Del": "\x7f"},
		{"X-Utf8": "héllo ☃ 🎉", "X-Bad": "\xff\xfe", "X-Sep": "\u2028\u2029", "": "empty key"},
	} {
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := headersJSON(h); string(got) != string(want) {
			t.Errorf("headersJSON(%q)\n got %s\nwant %s", h, got, want)
		}
	}
}

// An attempt whose body holds its event's data verbatim is stored without
// it and read back whole; a body that does not (the data rewritten, or no
// data handed over) is stored whole. Each reads back as it was sent.
func TestAttemptBodyKeepsEventDataOnce(t *testing.T) {
	s, board, _, clock := fanoutStore(t)
	ctx := context.Background()
	job := leasedDelivery(t, s, board.project, "shared data")
	data := []byte(job.Event.Data)
	prefix, suffix := `{"event_name":"task.create","event_data":`, `,"event_author":null}`
	framed := slices.Concat([]byte(prefix), data, []byte(suffix))
	rewritten := slices.Concat([]byte(prefix), bytes.Replace(data, []byte(`"shared data"`), []byte(`"shared  data"`), 1), []byte(suffix))

	first := delivered(job, *clock)
	first.EventData, first.Attempt.RequestBody = data, framed
	first.Status, first.Success = DeliveryPending, false
	if err := s.RecordAttempts(ctx, []AttemptRecord{first}); err != nil {
		t.Fatal(err)
	}
	d, err := deliveryOf(t, s, job)
	if err != nil {
		t.Fatal(err)
	}
	later := func(body []byte, eventData []byte) AttemptRecord {
		r := delivered(job, *clock)
		r.DeliveryID, r.EventData, r.Attempt.RequestBody, r.Attempt.Trigger = d.ID, eventData, body, TriggerRetry
		r.Status, r.Success = DeliveryPending, false
		return r
	}
	if err := s.RecordAttempts(ctx, []AttemptRecord{later(rewritten, data), later(framed, nil)}); err != nil {
		t.Fatal(err)
	}
	d, err = s.Delivery(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	sent := [][]byte{framed, rewritten, framed}
	stored := []int{len(prefix) + len(suffix), len(rewritten), len(framed)}
	if len(d.Attempts) != len(sent) {
		t.Fatalf("%d attempts, want %d", len(d.Attempts), len(sent))
	}
	for i, a := range d.Attempts {
		if !bytes.Equal(a.RequestBody, sent[i]) {
			t.Errorf("attempt %d reads back\n%s\nwant\n%s", i+1, a.RequestBody, sent[i])
		}
		var n int
		if err := s.reader.QueryRowContext(ctx, `SELECT length(request_body) FROM delivery_attempts WHERE id = ?`, a.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != stored[i] {
			t.Errorf("attempt %d stores %d bytes of its %d-byte body, want %d", i+1, n, len(sent[i]), stored[i])
		}
	}
}

func TestWithEventDataRefusesAnOffsetOutsideTheBody(t *testing.T) {
	for _, at := range []int64{-1, 4} {
		if body, err := withEventData([]byte("abc"), sql.NullInt64{Int64: at, Valid: true}, []byte("data")); err == nil {
			t.Errorf("offset %d: %q, want an error", at, body)
		}
	}
}
