package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"sync"
)

// driverName is the database/sql driver the store opens: modernc's SQLite
// with a prepared-statement cache per connection. Without it each Exec and
// Query prepares and finalizes its statement, and compiling SQL is most of
// what a small statement costs; with it each distinct statement is
// compiled once per connection and then only reset and re-bound. Callers
// keep writing plain db.QueryContext / tx.ExecContext.
const driverName = "sqlite-stmtcache"

// maxCachedStmts bounds each connection's cache; statements past it run
// uncached, so SQL built on the fly cannot grow memory without bound.
const maxCachedStmts = 256

var registerDriver sync.Once

func cachedDriverName() string {
	registerDriver.Do(func() {
		db, err := sql.Open("sqlite", "")
		if err != nil {
			panic("store: the sqlite driver is not registered: " + err.Error())
		}
		inner := db.Driver()
		db.Close()
		sql.Register(driverName, &cachingDriver{inner: inner})
	})
	return driverName
}

type cachingDriver struct {
	inner driver.Driver
}

func (d *cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: c, stmts: map[string]*cachedStmt{}}, nil
}

// cachingConn wraps one SQLite connection. database/sql uses a connection
// from one goroutine at a time, so the cache needs no lock.
type cachingConn struct {
	inner driver.Conn
	stmts map[string]*cachedStmt
}

// cacheable is false for scripts (several statements in one string, as
// migrations are): a prepared statement would hold only the first.
func cacheable(query string) bool {
	return len(query) < 8<<10 && !strings.Contains(strings.TrimRight(query, "; \t\r\n"), ";")
}

// lookup returns the cached statement for query, preparing it on first use,
// or nil when the query must run uncached (a script, a full cache, or the
// statement is already running: a query nested inside the iteration of the
// same query must not reset it).
func (c *cachingConn) lookup(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		return nil, nil
	}
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	si, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{inner: si}
	c.stmts[query] = cs
	return cs, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext serves explicit db.Prepare calls, whose callers own the
// statement's lifetime, so it is not cached.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.lookup(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	return cs.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.lookup(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	return cs.QueryContext(ctx, args)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.inner.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.inner.Close())
	return errors.Join(errs...)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// cachedStmt is a statement that lives as long as its connection. busy is
// set while it executes or while its rows are open.
type cachedStmt struct {
	inner driver.Stmt
	busy  bool
}

func (s *cachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.busy = true
	defer func() { s.busy = false }()
	return s.inner.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *cachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.busy = true
	rows, err := s.inner.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		s.busy = false
		return nil, err
	}
	return &cachedRows{Rows: rows, stmt: s}, nil
}

// cachedRows frees its statement for reuse when closed, and passes on the
// column type information database/sql asks for.
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
