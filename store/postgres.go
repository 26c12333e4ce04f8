package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL. The store's SQL is written once, with SQLite's ? placeholders;
// the connections opened here rewrite them to $1…$n (rebind), so a query
// reads the same in both dialects. docs/postgres.md lists the rules that
// keep new SQL portable.

// IsPostgres tells whether a -db value names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// RedactDSN is db with the password of a PostgreSQL URL replaced, fit for
// logs and messages; a SQLite path is returned as it is.
func RedactDSN(db string) string {
	if !IsPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…" // unparsable: show nothing that might be a secret
	}
	return u.Redacted()
}

// writeLockKey names the advisory lock every write transaction takes on
// PostgreSQL (see openPostgres), together with the hash of the schema's
// name: Hookboards in separate schemas of one database do not wait for each
// other. Any constant works; this one is "hook" in letters.
const writeLockKey = 0x686f6f6b

// openPostgres opens the writer (one connection) and the reader pool on the
// database at dsn.
//
// Writes keep SQLite's meaning: every write transaction first takes one
// transaction-scoped advisory lock, so the write transactions of every
// process on the database run one after another, as SQLite's single writer
// runs them. Each read-then-write rule of the store (positions, unique
// checks, config_version) was written for that and stays correct with
// several instances, without locking rows query by query. Group commit
// still batches each process's writes into one transaction.
//
// The writer waits at most busy for the lock (lock_timeout), as SQLite's
// writer waits busy_timeout, and then fails with ErrUnavailable.
func openPostgres(dsn string, busy time.Duration) (writer, reader *sql.DB, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message can quote the connection string: say only where.
		return nil, nil, fmt.Errorf("store: the PostgreSQL URL %s does not parse", RedactDSN(dsn))
	}
	wcfg := cfg.Copy()
	wcfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(busy.Milliseconds(), 10)
	writer = sql.OpenDB(&rebindConnector{inner: stdlib.GetConnector(*wcfg)})
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	writer.SetConnMaxLifetime(0)
	reader = sql.OpenDB(&rebindConnector{inner: stdlib.GetConnector(*cfg)})
	reader.SetMaxOpenConns(8)
	reader.SetMaxIdleConns(8)
	return writer, reader, nil
}

// rebind rewrites the ? placeholders of query to PostgreSQL's $1…$n (and
// ?NNN to $NNN). A ? inside a quoted string, a quoted name or a -- comment
// is left alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch c {
		case '\'', '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case '-':
			if i+1 < len(query) && query[i+1] == '-' {
				end := strings.IndexByte(query[i:], '\n')
				if end < 0 {
					b.WriteString(query[i:])
					return b.String()
				}
				b.WriteString(query[i : i+end])
				i += end - 1
				continue
			}
			b.WriteByte(c)
		case '?':
			// ?NNN (SQLite's numbered form) keeps its number.
			digits := i + 1
			for digits < len(query) && query[digits] >= '0' && query[digits] <= '9' {
				digits++
			}
			b.WriteByte('$')
			if digits > i+1 {
				b.WriteString(query[i+1 : digits])
				i = digits - 1
				continue
			}
			n++
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// rebindConnector hands out pgx connections that rewrite placeholders.
type rebindConnector struct {
	inner driver.Connector
}

func (c *rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &rebindConn{Conn: conn.(*stdlib.Conn)}, nil
}

func (c *rebindConnector) Driver() driver.Driver { return c.inner.Driver() }

type rebindConn struct {
	*stdlib.Conn
}

func (c *rebindConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c *rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

func (c *rebindConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.BeginTx(ctx, opts)
}

// postgresUnavailable tells whether err means PostgreSQL cannot take the
// write now: the server is unreachable or went away, shuts down, is out of
// disk, or is read-only (a standby).
func postgresUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"),  // insufficient resources: disk full 53100, out of memory, too many connections
			strings.HasPrefix(pgErr.Code, "57P"), // admin/crash shutdown, cannot connect now
			pgErr.Code == "55P03",                // lock_timeout: another process held the write lock too long
			pgErr.Code == "25006":                // read-only transaction (a standby)
			return true
		}
		return false
	}
	// No answer at all: the server is down, unreachable, or the connection
	// was lost.
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr) || errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err) ||
		strings.Contains(err.Error(), "conn closed")
}

// catchUpIdentity sets the id sequence of table (one of ours, named in
// code) past its highest id, after rows were written with explicit ids.
func catchUpIdentity(ctx context.Context, tx *sql.Tx, table string) error {
	_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, 'id'), COALESCE((SELECT MAX(id) FROM `+table+`), 0) + 1, false)`, table)
	return err
}

// isUniqueViolation tells whether err is a broken UNIQUE constraint or
// index, in either dialect.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE")
}
