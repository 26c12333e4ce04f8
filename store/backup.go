package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrExists means a backup's destination file is already there.
var ErrExists = errors.New("file already exists")

// Backup writes a consistent copy of the database to dest with VACUUM INTO,
// while the server keeps reading and writing: the copy is one read
// transaction's snapshot, so it holds every change committed before it
// began and none of the half-done ones. It refuses to overwrite dest and
// returns the size of the copy. The key file is not part of it (see KeyFile).
func (s *Store) Backup(ctx context.Context, dest string) (int64, error) {
	if s.pg {
		return 0, errors.New("store: backup: a PostgreSQL database is backed up with pg_dump")
	}
	dest, err := filepath.Abs(dest)
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	// Creating the file with O_EXCL claims the name, so two backups (or a
	// backup and anything else) cannot write over each other; VACUUM INTO
	// accepts an empty file.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("store: backup: %s: %w", dest, ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	size, err := s.vacuumInto(ctx, dest)
	if err != nil {
		os.Remove(dest)
		return 0, fmt.Errorf("store: backup to %s: %w", dest, err)
	}
	return size, nil
}

func (s *Store) vacuumInto(ctx context.Context, dest string) (int64, error) {
	// The read pool is query_only, which refuses VACUUM INTO, and the
	// writer must stay free for the server's changes: use a connection of
	// its own. In WAL mode its read transaction blocks no writer.
	db, err := sql.Open("sqlite", dsn(s.path, false, 5*time.Second, writerAutoCheckpoint))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return 0, classify(err)
	}
	// VACUUM INTO does not sync its output; a backup must survive a crash
	// right after the command said it was done.
	f, err := os.Open(dest)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, err
	}
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if dir, err := os.Open(filepath.Dir(dest)); err == nil {
		dir.Sync() // best effort: not every file system syncs directories
		dir.Close()
	}
	return info.Size(), nil
}

// KeyFile is the file holding the key of the encrypted secrets.
func (s *Store) KeyFile() string { return s.keyFile }
