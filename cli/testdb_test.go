package cli

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"hookboard/internal/testdb"
	"hookboard/store"
)

// testDB is a fresh database for t: a SQLite file, or a PostgreSQL schema
// when HOOKBOARD_TEST_POSTGRES is set (see internal/testdb).
func testDB(t testing.TB) string { return testdb.New(t) }

// pgKey is the key file of every PostgreSQL test database (a SQLite file's
// key sits beside it): one for the whole run, removed by TestMain.
var pgKey struct {
	once sync.Once
	dir  string
	path string
}

func pgKeyFile() string {
	pgKey.once.Do(func() {
		dir, err := os.MkdirTemp("", "hookboard-cli-key")
		if err != nil {
			panic(err)
		}
		pgKey.dir, pgKey.path = dir, filepath.Join(dir, "hookboard.key")
	})
	return pgKey.path
}

// testGetenv is the environment the tests' commands see: nothing, but on
// PostgreSQL the key file (HOOKBOARD_KEY_FILE), kept out of the working
// directory.
func testGetenv(name string) string {
	if name == keyFileEnv && testdb.Postgres() {
		return pgKeyFile()
	}
	return ""
}

// skipOnPostgres skips a test that is about SQLite only, saying why.
var skipOnPostgres = testdb.SkipOnPostgres

// openTestStore opens a test database as the tests' commands do: on
// PostgreSQL with their key file, not one in the working directory.
func openTestStore(db string, opts store.Options) (*store.Store, error) {
	if testdb.Postgres() && opts.KeyFile == "" {
		opts.KeyFile = pgKeyFile()
	}
	return store.Open(db, opts)
}
