package handlers

import (
	"sync"
	"testing"

	"hookboard/internal/testdb"
	"hookboard/store"
)

// testStores remembers the database of each test store, for openAgain.
var testStores sync.Map // *store.Store -> its database

// openTestStore opens a fresh database for t: a SQLite file, or a
// PostgreSQL schema when HOOKBOARD_TEST_POSTGRES is set (see
// internal/testdb), with its key file in the test's folder.
func openTestStore(t testing.TB, opts store.Options) (*store.Store, error) {
	return openTestStoreAt(testdb.New(t), opts)
}

func openTestStoreAt(db string, opts store.Options) (*store.Store, error) {
	opts.KeyFile = testdb.KeyFile(db)
	st, err := store.Open(db, opts)
	if err == nil {
		testStores.Store(st, db)
	}
	return st, err
}

// openAgain opens st's database once more, as another process would.
func openAgain(st *store.Store, opts store.Options) (*store.Store, error) {
	db, _ := testStores.Load(st)
	return openTestStoreAt(db.(string), opts)
}

// skipOnPostgres skips a test that is about SQLite only, saying why.
var skipOnPostgres = testdb.SkipOnPostgres
