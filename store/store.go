// Package store is the only package that speaks SQL. It owns the database, a
// SQLite file or a PostgreSQL database (postgres.go): one writer connection
// that runs every change in a serialized transaction, and a pool for
// everything else.
package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Sentinel errors. Handlers map them to replies with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrInvalid      = errors.New("invalid input")
	ErrUnauthorized = errors.New("not authorized")
	ErrConflict     = errors.New("already exists")
	// ErrUnavailable means the database could not take the write (locked
	// past the busy timeout, disk full, read-only file).
	ErrUnavailable = errors.New("database unavailable")
)

// InvalidError says which input was wrong; it matches ErrInvalid.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string        { return e.Reason }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// The migrations of each dialect: the same numbers in both folders, so a
// schema version means the same tables on either.
//
//go:embed migrations/*.sql migrations_postgres/*.sql
var migrationFiles embed.FS

// Store is the database. It is safe for concurrent use.
type Store struct {
	path    string // the SQLite file, or the PostgreSQL URL
	pg      bool   // PostgreSQL (see postgres.go)
	keyFile string
	now     func() time.Time
	// instance names this server among those sharing the database, run
	// this process; see Heartbeat and migration 026.
	instance, run string

	// The connections: one writer behind group commit, a read-only pool,
	// and the checkpointer's own.
	writer      *sql.DB
	writes      *committer
	reader      *sql.DB
	checkpoints *checkpointer

	config  configCache // placements and endpoints at one config_version
	quiet   quietEvents // events of this Store that owe no delivery
	secrets *secretBox  // seals the secrets that must be read back
	usage   *usageBatch // integration uses counted between flushes
	later   laterQueue  // records of RecordAttemptsLater
}

// Options tune Open. The zero value is what production uses.
type Options struct {
	// KeyFile holds the key that encrypts recoverable secrets (webhook
	// signing secrets, endpoint tokens, app secrets). Default: PATH + ".key",
	// and hookboard.key in the working directory on PostgreSQL.
	KeyFile string
	// Now replaces the clock (tests).
	Now func() time.Time
	// UsageFlushEvery is how often counted integration uses are written
	// (default 5 s). Close and FlushUsage write them too.
	UsageFlushEvery time.Duration
	// NoUsageCounting turns RecordIntegrationUse into a no-op. Only the
	// benchmark that measures what counting costs sets it.
	NoUsageCounting bool
	// BusyTimeout is how long a write waits for another process's lock
	// before failing with ErrUnavailable. Default 5 s.
	BusyTimeout time.Duration

	// Checkpoint says who copies the write-ahead log into the database
	// file: CheckpointInternal (the zero value) or CheckpointExternal.
	Checkpoint CheckpointMode

	// Instance is this server's name among the servers sharing the
	// database, stable across its restarts (serve uses the host name and
	// the listen address). Default: a name of its own for each Open.
	Instance string

	// walPages is the writer's wal_autocheckpoint (tests; default
	// writerAutoCheckpoint).
	walPages int
}

// dsn builds the connection string. Pragmas live here, not in db.Exec, because
// an Exec would only reach one pooled connection:
//   - busy_timeout: wait for a lock instead of failing at once (CLI writers
//     share the file with the server);
//   - WAL: readers never block the writer;
//   - foreign_keys: SQLite leaves them off per connection otherwise;
//   - synchronous NORMAL: durable across process crashes in WAL mode; only
//     an OS crash can lose the last commits;
//   - temp_store MEMORY: the journals of savepoints and statements (group
//     commit runs most calls in a savepoint) stay in memory instead of a
//     temporary file, which cost a write system call per page touched;
//   - _txlock=immediate: take the write lock at BEGIN, so a transaction that
//     reads then writes cannot fail with SQLITE_BUSY half way.
func dsn(path string, readOnly bool, busy time.Duration, walPages int) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_time_format", "sqlite")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_txlock", "immediate")
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walPages))
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens the database and applies pending migrations: a postgres:// or
// postgresql:// URL opens that PostgreSQL database, anything else is the
// path of a SQLite file, created if needed.
func Open(path string, opts Options) (*Store, error) {
	if IsPostgres(path) {
		return openPostgresStore(path, opts)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := createPrivate(abs); err != nil {
		return nil, err
	}
	s := newStore(abs, false, opts)
	busy := opts.busyTimeout()
	walPages := opts.walPages
	if walPages <= 0 {
		walPages = writerAutoCheckpoint
	}
	s.writer, err = sql.Open(cachedDriverName(), dsn(abs, false, busy, walPages))
	if err != nil {
		return nil, fmt.Errorf("store: open writer: %w", err)
	}
	// One writer connection: SQLite allows one writer anyway, and a single
	// connection turns lock contention into a queue in Go instead of
	// SQLITE_BUSY errors.
	s.writer.SetMaxOpenConns(1)
	s.writer.SetConnMaxIdleTime(0)
	s.writer.SetConnMaxLifetime(0)
	s.writes = newCommitter(s.writer, s.config.forget)
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	s.reader, err = sql.Open(cachedDriverName(), dsn(abs, true, busy, 0))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open reader: %w", err)
	}
	s.reader.SetMaxOpenConns(8)
	s.reader.SetMaxIdleConns(8)
	if opts.Checkpoint != CheckpointExternal {
		ckpt, err := sql.Open(cachedDriverName(), dsn(abs, true, busy, 0))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("store: open checkpointer: %w", err)
		}
		s.checkpoints = startCheckpointer(ckpt, s.writes.commits.Load)
	}
	keyFile := opts.KeyFile
	if keyFile == "" {
		keyFile = abs + ".key"
	}
	return s.start(keyFile, opts)
}

// newStore is what both backends' Store starts from: its clock and the
// names of this run and of its instance.
func newStore(path string, pg bool, opts Options) *Store {
	s := &Store{path: path, pg: pg, now: time.Now, run: rand.Text()}
	if opts.Now != nil {
		s.now = opts.Now
	}
	s.instance = cmp.Or(opts.Instance, s.run)
	return s
}

func (o Options) busyTimeout() time.Duration {
	if o.BusyTimeout <= 0 {
		return 5 * time.Second
	}
	return o.BusyTimeout
}

// openPostgresStore is Open for a PostgreSQL URL.
func openPostgresStore(dsn string, opts Options) (*Store, error) {
	s := newStore(dsn, true, opts)
	var err error
	if s.writer, s.reader, err = openPostgres(dsn, opts.busyTimeout()); err != nil {
		return nil, err
	}
	s.writes = newCommitter(s.writer, s.config.forget)
	s.writes.lock = fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, hashtext(current_schema()))", writeLockKey)
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	keyFile := opts.KeyFile
	if keyFile == "" {
		keyFile = "hookboard.key"
	}
	return s.start(keyFile, opts)
}

// start loads the key of the secrets and starts the usage flusher.
func (s *Store) start(keyFile string, opts Options) (*Store, error) {
	var err error
	if s.keyFile, err = filepath.Abs(keyFile); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: key file: %w", err)
	}
	s.secrets, err = loadSecretBox(keyFile)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.usage = newUsageBatch(opts.NoUsageCounting, opts.UsageFlushEvery)
	go s.runUsageFlusher()
	return s, nil
}

// createPrivate creates the database file with mode 0600 if it does not
// exist yet. SQLite would create it 0644, and gives the -wal and -shm files
// the main file's mode, so all three would be readable by every local user.
// An existing file keeps the mode its admin gave it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: create database: %w", err)
	}
	return f.Close()
}

// Close writes the pending integration usage counts, finishes queued writes
// and closes both pools.
func (s *Store) Close() error {
	var errs []error
	if s.usage != nil {
		s.stopUsageFlusher()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, s.FlushUsage(ctx))
		cancel()
	}
	if s.writes != nil {
		s.writes.close()
	}
	if s.checkpoints != nil {
		errs = append(errs, s.checkpoints.close())
	}
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	return errors.Join(errs...)
}

// Path is the absolute path of the database file, or the PostgreSQL URL
// with its password redacted.
func (s *Store) Path() string { return RedactDSN(s.path) }

// Postgres tells whether the database is PostgreSQL.
func (s *Store) Postgres() bool { return s.pg }

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// migrationSteps are the Go parts of migrations whose work SQL cannot do;
// each runs after its file, in the same transaction.
var migrationSteps = map[int]func(context.Context, *sql.Tx) error{
	7: completeEventData,
}

type migration struct {
	version int
	name    string
}

// migrations lists the embedded migrations of a folder in order.
func migrations(dir string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var all []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %q is not named NNN_name.sql", e.Name())
		}
		all = append(all, migration{v, e.Name()})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].version < all[j].version })
	return all, nil
}

// migrationDir is the folder of this database's dialect.
func (s *Store) migrationDir() string {
	if s.pg {
		return "migrations_postgres"
	}
	return "migrations"
}

// schemaVersion reads the applied migration number through db.
func (s *Store) schemaVersion(ctx context.Context, db q) (int, error) {
	var v int
	if !s.pg {
		err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
		return v, err
	}
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return 0, err // no table: a fresh database
	}
	err := db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	return v, err
}

// setSchemaVersion records the applied migration number: SQLite's PRAGMA
// user_version, or on PostgreSQL, which has none, the one row of
// schema_version that its first migration creates.
func (s *Store) setSchemaVersion(ctx context.Context, tx *sql.Tx, v int) error {
	if s.pg {
		_, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, v)
		return err
	}
	// PRAGMA takes no bound parameters; the version is our own integer.
	_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
	return err
}

// migrate applies every embedded migration of the database's dialect whose
// number is above the schema version, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	all, err := migrations(s.migrationDir())
	if err != nil {
		return err
	}
	// Processes starting together must not both migrate: the version is
	// read, and each migration applied, under the write lock.
	var current int
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		current, err = s.schemaVersion(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if latest := all[len(all)-1].version; current > latest {
		// A newer Hookboard migrated this file: its tables may mean more
		// than this binary reads (a column it does not know of may change
		// what a row says), so it is not opened rather than shown wrong.
		return fmt.Errorf("store: the database has schema version %d, newer than this Hookboard knows (%d): run the newer Hookboard, or restore a backup made by this one", current, latest)
	}
	for _, m := range all {
		if m.version <= current {
			continue
		}
		body, err := migrationFiles.ReadFile(s.migrationDir() + "/" + m.name)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			// Another process may have migrated since the version was read.
			if v, err := s.schemaVersion(ctx, tx); err != nil || v >= m.version {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			// The Go steps only complete SQLite files older than them: the
			// PostgreSQL schema starts at a newer version.
			if step := migrationSteps[m.version]; step != nil && !s.pg {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			return s.setSchemaVersion(ctx, tx, m.version)
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion is the applied migration number.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return s.schemaVersion(ctx, s.reader)
}

// inTx runs fn in an immediate transaction on the writer connection and
// returns once that transaction has committed (nil) or failed. Inside fn use
// tx only: the writer has a single connection, so touching s.writer there
// would wait for ever. The transaction may hold other calls' changes too
// (group commit, see groupcommit.go); each call is its own savepoint, so an
// error from fn undoes exactly fn's writes and fails only this call.
// fn's statements take the ctx fn is given: ctx's values without its
// cancellation, since a call that has started runs to its end (see call in
// groupcommit.go).
// A change an automatic action makes (its ctx carries the action's scope)
// runs in the transaction of the change that triggered the action.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if sc := scopeOf(ctx); sc != nil {
		return fn(ctx, sc.chain.tx)
	}
	return s.writes.do(ctx, fn)
}

// classify marks errors that mean "the database cannot take the write now"
// so callers can answer 503 instead of 500.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	if postgresUnavailable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	msg := err.Error()
	for _, s := range []string{"SQLITE_BUSY", "database is locked", "SQLITE_FULL", "database or disk is full", "SQLITE_READONLY", "readonly database", "SQLITE_IOERR", "disk I/O error"} {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
	}
	return err
}

// nullInt turns 0 into NULL for optional references.
func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// boolInt stores a Go bool as SQLite's 0/1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// listRows runs a query and reads each row with scan, appending to out:
// pass an empty slice for a list that must encode as [] when there are no
// rows, nil otherwise.
func listRows[T any](ctx context.Context, db q, out []T, scan func(row interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// insert runs an INSERT of one row and returns its id, by RETURNING id:
// pgx has no LastInsertId, and both dialects have RETURNING.
func insert(ctx context.Context, db q, query string, args ...any) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, err
}
