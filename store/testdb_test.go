package store

import (
	"database/sql"
	"testing"

	"hookboard/internal/testdb"
)

// testDB is a fresh database for t: a SQLite file, or a PostgreSQL schema
// when HOOKBOARD_TEST_POSTGRES is set (see internal/testdb).
func testDB(t testing.TB) string { return testdb.New(t) }

// openTest opens db like Open, keeping a PostgreSQL database's key file in
// the test's temporary folder instead of the working directory (see
// testdb.KeyFile).
func openTest(t testing.TB, db string, opts Options) (*Store, error) {
	if opts.KeyFile == "" {
		opts.KeyFile = testdb.KeyFile(db)
	}
	return Open(db, opts)
}

// skipOnPostgres skips a test that is about SQLite only, saying why.
var skipOnPostgres = testdb.SkipOnPostgres

// rawDB opens db without the store (see testdb.Open).
func rawDB(t testing.TB, db string) *sql.DB { return testdb.Open(t, db) }
