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
// it and read back whole. A body that does not (the data written otherwise),
// a record that carries no stored data, or one that carries another
// event's, leaves the body whole. Whatever a caller does to the job's
// Event.Data, the stored data is the row's. Another event's data, newer and
// in the store too, is never what is put back. Each reads back as sent.
func TestAttemptBodyKeepsEventDataOnce(t *testing.T) {
	s, board, _, clock := fanoutStore(t)
	ctx := context.Background()
	job := leasedDelivery(t, s, board.project, "shared data")
	other := leasedDelivery(t, s, board.project, "a newer event, same size") // must not be read back instead
	data := slices.Clone(job.Event.Data)
	framed := kanboardFrame(data)
	rewritten := kanboardFrame(bytes.Replace(data, []byte(`"shared data"`), []byte(`"shared  data"`), 1))
	// A caller that rewrites the event data it was handed changes nothing
	// of what the store knows of the row.
	copy(job.Event.Data[bytes.Index(job.Event.Data, []byte("shared data")):], "SHARED DATA")
	framedCaller := kanboardFrame(job.Event.Data)

	first := delivered(job, *clock)
	first.Stored, first.Attempt.RequestBody = job.Stored, framed
	first.Status, first.Success = DeliveryPending, false
	if err := s.RecordAttempts(ctx, []AttemptRecord{first}); err != nil {
		t.Fatal(err)
	}
	d, err := deliveryOf(t, s, job)
	if err != nil {
		t.Fatal(err)
	}
	later := func(body []byte, stored EventStored) AttemptRecord {
		r := delivered(job, *clock)
		r.DeliveryID, r.Stored, r.Attempt.RequestBody, r.Attempt.Trigger = d.ID, stored, body, TriggerRetry
		r.Status, r.Success = DeliveryPending, false
		return r
	}
	if err := s.RecordAttempts(ctx, []AttemptRecord{later(rewritten, job.Stored), later(framed, EventStored{}),
		later(framedCaller, job.Stored), later(kanboardFrame(other.Event.Data), other.Stored)}); err != nil {
		t.Fatal(err)
	}
	d, err = s.Delivery(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	sent := [][]byte{framed, rewritten, framed, framedCaller, kanboardFrame(other.Event.Data)}
	stored := []int{len(framed) - len(data), len(rewritten), len(framed), len(framedCaller), len(sent[4])}
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

func TestWithEventDataRefusesWhatCannotBeTheBody(t *testing.T) {
	for _, c := range []struct {
		offset int64
		data   []byte
	}{{-1, []byte("data")}, {4, []byte("data")}, {1, nil}} {
		if body, err := withEventData([]byte("abc"), sql.NullInt64{Int64: c.offset, Valid: true}, c.data); err == nil {
			t.Errorf("offset %d, data %q: %q, want an error", c.offset, c.data, body)
		}
	}
}

// kanboardFrame is the kanboard format's body of a task.create event with
// this data and no author.
func kanboardFrame(data []byte) []byte {
	return slices.Concat([]byte(`{"event_name":"task.create","event_data":`), data, []byte(`,"event_author":null}`))
}
