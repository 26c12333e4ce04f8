// Package testdb gives a test a fresh, empty Hookboard database: a SQLite
// file in the test's temporary folder, or, when HOOKBOARD_TEST_POSTGRES
// names a PostgreSQL server, a schema of its own there, dropped when the
// test ends. The same tests so run on either backend:
//
//	go test ./store                                                          # SQLite
//	HOOKBOARD_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres go test ./store  # PostgreSQL
//
// It imports nothing of Hookboard, so any package's tests can use it.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// EnvPostgres is the variable naming the PostgreSQL server of the tests: a
// URL whose user may create and drop schemas in its database.
const EnvPostgres = "HOOKBOARD_TEST_POSTGRES"

// Postgres tells whether the tests run on PostgreSQL.
func Postgres() bool { return server() != "" }

// SkipOnPostgres skips a test that is about SQLite only, saying why.
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skip("SQLite only: " + why)
	}
}

func server() string {
	return os.Getenv(EnvPostgres)
}

// New returns the -db value of a fresh, empty database for t (store.Open
// takes it). On PostgreSQL it is the server's URL with search_path set to
// a new schema, so every table the store creates lands there; the schema is
// dropped at cleanup, after the cleanups registered later (a store the test
// opened on it is closed first).
func New(t testing.TB) string {
	t.Helper()
	base := server()
	if base == "" {
		return filepath.Join(t.TempDir(), "hookboard.db")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn, drop, err := Schema(ctx, admin(t, base), base, "test_")
	if err != nil {
		t.Fatalf("testdb: %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("testdb: %v", err)
		}
	})
	keys.Store(dsn, filepath.Join(t.TempDir(), "hookboard.key"))
	t.Cleanup(func() { keys.Delete(dsn) })
	return dsn
}

// keys holds the key file of each PostgreSQL database New made.
var keys sync.Map // dsn -> path

// KeyFile is the key file of db (from New), for store.Options.KeyFile and
// HOOKBOARD_KEY_FILE: "" for a SQLite file, whose key sits beside it; for
// PostgreSQL, which has no folder to keep it beside, one file in the test's
// folder, the same for every store and process on db, so each reads the
// secrets with the same key.
func KeyFile(db string) string {
	k, _ := keys.Load(db)
	path, _ := k.(string)
	return path
}

// Schema creates a fresh schema, named prefix and random hex digits, on the
// server admin is connected to, and returns the -db URL of dsn (that
// server) whose tables live there (search_path), and drop, which removes
// it with its rows. Errors leave dsn out: it may hold a password.
func Schema(ctx context.Context, admin *sql.DB, dsn, prefix string) (db string, drop func() error, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, errors.New("not a URL")
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := prefix + hex.EncodeToString(b) // ours, hex digits: nothing to quote
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}, nil
}

// admin opens the pool that creates and drops schemas, closed at cleanup.
func admin(t testing.TB, dsn string) *sql.DB {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// Open opens db (from New) without Hookboard, to look at its rows, and
// closes it at cleanup: SQLite read-only. Write $1, $2… for parameters:
// both drivers take them.
func Open(t testing.TB, db string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+db+"?mode=ro"
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		driver, dsn = "pgx", db
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
