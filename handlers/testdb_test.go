package handlers

import (
	"path/filepath"
	"sync"
	"testing"

	"hookboard/internal/testdb"
	"hookboard/store"
)

// testStoreAt is where a test's store lives: its database (a SQLite file,
// or a PostgreSQL schema when HOOKBOARD_TEST_POSTGRES is set, see
// internal/testdb) and, on PostgreSQL, its key file in the test's folder.
type testStoreAt struct{ db, key string }

// testStores remembers where each test store lives, for openAgain.
var testStores sync.Map // *store.Store -> testStoreAt

// openTestStore opens a fresh database for t.
func openTestStore(t testing.TB, opts store.Options) (*store.Store, error) {
	at := testStoreAt{db: testdb.New(t)}
	if store.IsPostgres(at.db) {
		at.key = filepath.Join(t.TempDir(), "hookboard.key")
	}
	return openTestStoreAt(at, opts)
}

func openTestStoreAt(at testStoreAt, opts store.Options) (*store.Store, error) {
	opts.KeyFile = at.key
	st, err := store.Open(at.db, opts)
	if err == nil {
		testStores.Store(st, at)
	}
	return st, err
}

// openAgain opens st's database once more, as another process would.
func openAgain(st *store.Store, opts store.Options) (*store.Store, error) {
	at, _ := testStores.Load(st)
	return openTestStoreAt(at.(testStoreAt), opts)
}

// skipOnPostgres skips a test that is about SQLite only, saying why.
func skipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if testdb.Postgres() {
		t.Skip("SQLite only: " + why)
	}
}
