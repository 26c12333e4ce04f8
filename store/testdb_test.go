package store

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"hookboard/internal/testdb"
)

// testDB is a fresh database for t: a SQLite file, or a PostgreSQL schema
// when HOOKBOARD_TEST_POSTGRES is set (see internal/testdb).
func testDB(t testing.TB) string { return testdb.New(t) }

// testKeys holds the key file of each PostgreSQL test database, so a test
// that opens its database again reads its secrets with the same key.
var testKeys sync.Map

// openTest opens db like Open, keeping a PostgreSQL database's key file in
// the test's temporary folder instead of the working directory.
func openTest(t testing.TB, db string, opts Options) (*Store, error) {
	if IsPostgres(db) && opts.KeyFile == "" {
		key, _ := testKeys.LoadOrStore(db, filepath.Join(t.TempDir(), "hookboard.key"))
		opts.KeyFile = key.(string)
	}
	return Open(db, opts)
}

// skipOnPostgres skips a test that is about SQLite only, saying why.
func skipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if testdb.Postgres() {
		t.Skip("SQLite only: " + why)
	}
}

// rawDB opens db without the store (see testdb.Open).
func rawDB(t testing.TB, db string) *sql.DB { return testdb.Open(t, db) }
