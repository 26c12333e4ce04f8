package store

import (
	"context"
	"database/sql"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hookboard/internal/testdb"
)

// Both migration folders end at the same number: a migration is added to
// both, so a schema version means the same tables on either backend.
func TestMigrationFoldersEndTogether(t *testing.T) {
	sqlite, err := migrations("migrations")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations("migrations_postgres")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := sqlite[len(sqlite)-1], pg[len(pg)-1]; a.version != b.version {
		t.Fatalf("store/migrations ends at %s, store/migrations_postgres at %s: add the PostgreSQL migration numbered %03d", a.name, b.name, a.version)
	}
}

// The two schemas have the same tables with the same columns, and the
// same kind of value in each, so they cannot drift apart. (PostgreSQL's
// schema_version stands for SQLite's PRAGMA user_version.)
func TestSchemasOfBothDialectsMatch(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("needs PostgreSQL: set " + testdb.EnvPostgres)
	}
	ctx := context.Background()
	lite, err := Open(filepath.Join(t.TempDir(), "hookboard.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := openTest(t, testDB(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	want := map[string]string{} // "table.column" -> kind
	rows, err := lite.reader.QueryContext(ctx, `SELECT m.name, c.name, c.type FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, rows, want, sqliteKind)
	if len(want) < 100 {
		t.Fatalf("read %d columns of the SQLite schema; want them all", len(want))
	}
	got := map[string]string{}
	rows, err = pg.reader.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'schema_version'`)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, rows, got, postgresKind)
	// The sessions table is each session store's own (sqlite3store keeps a
	// Julian day, postgresstore a timestamp).
	delete(want, "sessions.expiry")
	delete(got, "sessions.expiry")
	for _, col := range slices.Sorted(maps.Keys(want)) {
		if got[col] != want[col] {
			t.Errorf("%s: SQLite %q, PostgreSQL %q", col, want[col], got[col])
		}
	}
	for _, col := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[col]; !ok {
			t.Errorf("%s: on PostgreSQL only", col)
		}
	}
}

func collect(t *testing.T, rows *sql.Rows, into map[string]string, kind func(string) string) {
	t.Helper()
	defer rows.Close()
	for rows.Next() {
		var table, column, typ string
		if err := rows.Scan(&table, &column, &typ); err != nil {
			t.Fatal(err)
		}
		into[table+"."+column] = kind(typ)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// sqliteKind and postgresKind name a column's kind of value the same way.
func sqliteKind(typ string) string {
	switch strings.ToUpper(typ) {
	case "INTEGER":
		return "integer"
	case "REAL":
		return "real"
	case "BLOB":
		return "bytes"
	case "TEXT":
		return "text"
	case "":
		return "any" // a view's computed column
	}
	return "unknown " + typ
}

func postgresKind(typ string) string {
	switch typ {
	case "bigint":
		return "integer"
	case "double precision":
		return "real"
	case "bytea":
		return "bytes"
	case "text":
		return "text"
	}
	return "unknown " + typ
}
