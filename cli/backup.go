package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"hookboard/store"
)

// runBackup writes an online, consistent copy of the database. The key file
// that decrypts the stored secrets is deliberately kept out of the copy
// unless -with-key asks for it: a backup shipped off the machine should not
// carry the key that opens its secrets. Without the key, a restored
// database still works (tokens are hashes), but webhook signing secrets,
// endpoint tokens and integration app secrets cannot be read.
func runBackup(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "backup", "backup FILE [-db PATH] [-with-key] [-json]")
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	withKey := fs.FlagSet.Bool("with-key", false, "also copy the key file to FILE.key (it decrypts webhook secrets and app secrets)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: hookboard backup FILE [-db PATH] [-with-key]")
	}
	dest := pos[0]
	if store.IsPostgres(*db) {
		// A PostgreSQL database is backed up by PostgreSQL's own tool,
		// which this binary does not replace.
		return fmt.Errorf("hookboard backup copies SQLite files; %s is PostgreSQL: back it up with pg_dump (pg_dump -Fc -f hookboard.dump 'URL'), and keep a copy of the key file (%s, or $%s) apart from it", store.RedactDSN(*db), "hookboard.key", keyFileEnv)
	}
	// Opening a missing path would create an empty database and back that up.
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("no database at %s: %w", *db, err)
	}
	if err := refuseExisting(dest); err != nil {
		return err
	}
	keyDest := dest + ".key"
	if *withKey {
		if err := refuseExisting(keyDest); err != nil {
			return err
		}
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	size, err := st.Backup(ctx, dest)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("%s already exists; not overwriting it", dest)
	}
	if err != nil {
		return err
	}
	if *withKey {
		if err := copyNew(st.KeyFile(), keyDest); err != nil {
			return fmt.Errorf("backup written to %s, but the key file was not copied: %w", dest, err)
		}
	}
	if *asJSON {
		out := map[string]any{"file": dest, "bytes": size, "key_file": nil, "db_key_file": st.KeyFile()}
		if *withKey {
			out["key_file"] = keyDest
		}
		return printJSON(env.Stdout, out)
	}
	fmt.Fprintf(env.Stdout, "backup written to %s (%d bytes)\n", dest, size)
	if *withKey {
		fmt.Fprintf(env.Stdout, "key file copied to %s; restore both: the database as hookboard.db, the key as hookboard.db.key\n", keyDest)
	} else {
		fmt.Fprintf(env.Stdout, "the key file %s is not in the backup: keep a copy of it apart from the backups; without it the restored database cannot read webhook signing secrets, endpoint tokens or app secrets\n", st.KeyFile())
	}
	return nil
}

func refuseExisting(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists; not overwriting it", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// copyNew copies src to a new file dst (mode 0600), refusing to overwrite.
func copyNew(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}
