package notify

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// FuzzRender: whatever event data and name, every format renders valid
// JSON without panicking (event data is written by our store, but a
// receiver-facing writer must never produce a broken body).
func FuzzRender(f *testing.F) {
	f.Add("task.move.column", `{"task_id":1,"task":{"id":1,"column_id":2},"changes":{"src_column_id":1}}`)
	f.Add("comment.create", `{"comment":"flat text","id":3}`)
	f.Add("subtask.update", `{"subtask":{"status":2},"changes":[]}`)
	f.Add("file.delete", `{"file":[1,2],"task":"nope"}`)
	f.Add("webhook.test", `{}`)
	f.Add("task.create", `{"task":{"title":"~tilde ^caret `+"`"+`tick","n":12345678901234567890,"f":1e400}}`)
	f.Fuzz(func(t *testing.T, name, data string) {
		if !json.Valid([]byte(data)) {
			return
		}
		ev := store.Event{ID: "id", Name: name, Data: json.RawMessage(data), CreatedAt: time.UnixMilli(1)}
		for _, format := range store.Formats {
			p, err := Render(format, ev)
			if err != nil {
				continue // not an object: refused, not sent
			}
			if !json.Valid(p.Body) {
				t.Fatalf("%s body is not JSON: %s", format, p.Body)
			}
		}
	})
}

// FuzzParseRetryAfter: a receiver's Retry-After never panics, and a
// number of seconds never overflows into a negative or absurd wait.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999", "9223372036", " 7 ", "soon"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if !ok {
			return
		}
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && (d < 0 || d > (1<<31)*time.Second) {
			t.Fatalf("Retry-After %q gave %s", v, d)
		}
	})
}
