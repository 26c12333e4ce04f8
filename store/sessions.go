package store

import "database/sql"

// SessionDB is the database handle for the browser session store (scs's
// sqlite3store, or postgresstore on PostgreSQL), which runs its own SQL on
// the sessions table. It is the
// writer pool: sessions are written on login and on every change of session
// data, and the reader pool is query_only. The session store only runs single
// statements outside inTx, so sharing the one writer connection cannot
// deadlock; it just queues behind a running transaction.
func (s *Store) SessionDB() *sql.DB { return s.writer }
