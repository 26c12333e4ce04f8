package testdb

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
)

// CI must run the tests on PostgreSQL too: a run without a server would
// pass while testing only SQLite.
func TestCIHasPostgres(t *testing.T) {
	if os.Getenv("CI") != "" && !Postgres() {
		t.Fatalf("CI is set but %s is not: .ci/run starts a PostgreSQL server and sets it", EnvPostgres)
	}
}

// New gives each call a database of its own.
func TestNewIsFreshAndSeparate(t *testing.T) {
	a, b := New(t), New(t)
	if a == b {
		t.Fatalf("two calls gave the same database %q", a)
	}
	if !Postgres() {
		if strings.HasPrefix(a, "postgres") {
			t.Fatalf("without %s New gave %q, want a SQLite path", EnvPostgres, a)
		}
		return
	}
	ctx := context.Background()
	dbA, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer dbA.Close()
	if _, err := dbA.ExecContext(ctx, "CREATE TABLE probe (x BIGINT)"); err != nil {
		t.Fatal(err)
	}
	dbB, err := sql.Open("pgx", b)
	if err != nil {
		t.Fatal(err)
	}
	defer dbB.Close()
	var n int
	if err := dbB.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("the second database has %d tables, want none", n)
	}
}

// KeyFile leaves a SQLite file's key beside it, and gives each PostgreSQL
// database a key file of its own.
func TestKeyFile(t *testing.T) {
	a, b := New(t), New(t)
	ka, kb := KeyFile(a), KeyFile(b)
	if !Postgres() {
		if ka != "" {
			t.Fatalf("KeyFile of a SQLite file is %q, want \"\" (beside it)", ka)
		}
		return
	}
	if ka == "" || ka == kb || KeyFile(a) != ka {
		t.Fatalf("KeyFile gave %q and %q: want one file per database, the same each time", ka, kb)
	}
}
