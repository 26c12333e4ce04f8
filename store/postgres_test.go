package store

import "testing"

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT ? + ?", "SELECT $1 + $2"},
		{"INSERT INTO t VALUES (?1, ?2, ?1)", "INSERT INTO t VALUES ($1, $2, $1)"},
		{"SELECT '?', \"a?\", ? -- why?\n, ?", "SELECT '?', \"a?\", $1 -- why?\n, $2"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{"SELECT 'open ?", "SELECT 'open ?"},
		{"SELECT ? -- end?", "SELECT $1 -- end?"},
		{"SELECT a - ? FROM t", "SELECT a - $1 FROM t"},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://hb:s3cret@db:5432/hb?sslmode=require": "postgres://hb:xxxxx@db:5432/hb?sslmode=require",
		"postgresql://db/hb":                              "postgresql://db/hb",
		"./hookboard.db":                                  "./hookboard.db",
	} {
		if got := RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}
