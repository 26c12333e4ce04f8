package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"testing"
)

// TestOpenRestoresAttemptBodiesStoredWithoutTheirEventData: a database
// whose attempts kept their body without the event's data and an offset
// (schema 5) shows, once opened, every body exactly as it was sent,
// multi-byte text included, and no longer has the offset column.
func TestOpenRestoresAttemptBodiesStoredWithoutTheirEventData(t *testing.T) {
	skipOnPostgres(t, "it migrates a SQLite file of schema 5")
	ctx := context.Background()
	path := testDB(t)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for v := 1; v <= 5; v++ {
		names, err := fs.Glob(migrationFiles, fmt.Sprintf("migrations/%03d_*.sql", v))
		if err != nil || len(names) != 1 {
			t.Fatalf("migration %d: %v %v", v, names, err)
		}
		body, err := migrationFiles.ReadFile(names[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, string(body)); err != nil {
			t.Fatalf("%s: %v", names[0], err)
		}
	}
	data := `{"task_id":1,"task":{"id":1,"title":"Café ☃ 🎉","description":"naïve"}}`
	kanboard := `{"event_name":"task.create","event_data":` + data + `,"event_author":"Zoë"}`
	// Multi-byte text before the data: the offset counts bytes, not characters.
	other := `{"note":"héllo ☃","data":` + data + `,"after":"ü"}`
	whole := `{"event":"TaskCreated","payload":{"title":"Café ☃ 🎉"}}`
	cut := func(body string) (rest []byte, offset int) {
		i := bytes.Index([]byte(body), []byte(data))
		return []byte(body[:i] + body[i+len(data):]), i
	}
	kbRest, kbOffset := cut(kanboard)
	otherRest, otherOffset := cut(other)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO events (id, name, created_at_ms, data) VALUES ('01a2', 'task.create', 1, ?)`, []any{data}},
		{`INSERT INTO webhook_endpoints (id, name, url, token_enc, secret_enc, created_at, modified_at)
			VALUES (1, 'ci', 'http://example.com/hook', X'00', X'00', 1, 1)`, nil},
		{`INSERT INTO deliveries (id, event_id, endpoint_id, status, attempts, created_at_ms)
			VALUES (1, '01a2', 1, 'pending', 4, 1)`, nil},
		{`INSERT INTO delivery_attempts (delivery_id, trigger, started_at_ms, latency_ms, request_url, request_headers,
			request_body, request_body_event_offset) VALUES
			(1, 'sync', 1, 1, 'http://example.com/hook', '{}', ?, ?),
			(1, 'retry', 2, 1, 'http://example.com/hook', '{}', ?, ?),
			(1, 'retry', 3, 1, 'http://example.com/hook', '{}', ?, ?),
			(1, 'retry', 4, 1, 'http://example.com/hook', '{}', ?, NULL)`,
			[]any{kbRest, kbOffset, otherRest, otherOffset, string(otherRest), otherOffset, []byte(whole)}},
		{`PRAGMA user_version = 5`, nil},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := openTest(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Delivery(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	sent := []string{kanboard, other, other, whole} // the third was kept as TEXT
	if len(d.Attempts) != len(sent) {
		t.Fatalf("%d attempts, want %d", len(d.Attempts), len(sent))
	}
	for i, a := range d.Attempts {
		if string(a.RequestBody) != sent[i] {
			t.Errorf("attempt %d shows\n%s\nwant\n%s", i+1, a.RequestBody, sent[i])
		}
	}
	var offsets int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('delivery_attempts')
		WHERE name = 'request_body_event_offset'`).Scan(&offsets); err != nil || offsets != 0 {
		t.Fatalf("offset column after Open: %d (%v), want none", offsets, err)
	}
}
