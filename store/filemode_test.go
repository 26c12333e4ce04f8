package store

import (
	"os"
	"path/filepath"
	"testing"
)

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// The database holds password hashes and webhook payloads: a new database,
// its log and its shared-memory file are readable by the owner only, like
// the key file.
func TestNewDatabaseFilesArePrivate(t *testing.T) {
	skipOnPostgres(t, "the modes of the database file and its -wal and -shm files")
	s := openTestStore(t)
	newBoard(t, s, "modes") // a write, so the log and shared memory exist
	for _, p := range []string{s.Path(), s.Path() + "-wal", s.Path() + "-shm", s.Path() + ".key"} {
		if m := fileMode(t, p); m != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", filepath.Base(p), m)
		}
	}
}

// An existing database keeps the mode its admin gave it (the README says
// to chmod an older 0644 file): Hookboard does not change it behind them.
func TestExistingDatabaseModeIsLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil { // past the umask
		t.Fatal(err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	newBoard(t, s, "old")
	if m := fileMode(t, path); m != 0o640 {
		t.Errorf("the existing database now has mode %v, want -rw-r----- as it was", m)
	}
}
