package cli

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hookboard/handlers"
	"hookboard/store"
)

// opsServer serves a real App on the database at path; the caller closes it.
func opsServer(t *testing.T, path string) (*store.Store, *httptest.Server) {
	t.Helper()
	st, err := openTestStore(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateProject(context.Background(), "Default", "", 0); err != nil {
		t.Fatal(err)
	}
	app := handlers.New(handlers.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(app.Routes())
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return st, srv
}

func TestBackupWhileSixteenClientsCreateTasks(t *testing.T) {
	skipOnPostgres(t, "hookboard backup copies SQLite files (PostgreSQL: TestBackupOnPostgresPointsToPgDump)")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hookboard.db")
	st, srv := opsServer(t, dbPath)
	ctx := context.Background()
	_, sec, err := st.CreateIntegration(ctx, store.NewIntegration{Name: "load", RequireProof: true})
	if err != nil {
		t.Fatal(err)
	}
	// Some bulk, so that VACUUM INTO takes long enough to overlap writes.
	bulk := strings.Repeat("lorem ipsum ", 400)
	for i := range 1500 {
		if _, _, err := st.CreateTask(ctx, store.Actor{}, store.NewTask{Title: "bulk " + strconv.Itoa(i), Description: bulk}); err != nil {
			t.Fatal(err)
		}
	}

	var (
		mu          sync.Mutex
		acked       []int64 // task ids whose creation was acknowledged, in order
		clientErr   error
		stop        = make(chan struct{})
		wg          sync.WaitGroup
		backupStart = -1 // len(acked) when the backup started
		backupEnd   = -1
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for c := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				form := url.Values{"token": {sec.Token}, "title": {"client " + strconv.Itoa(c) + " #" + strconv.Itoa(i)},
					"appsecret_proof": {opsProof(sec.Token, sec.AppSecret)}}
				resp, err := client.PostForm(srv.URL+"/webhook/task", form)
				if err != nil {
					mu.Lock()
					clientErr = err
					mu.Unlock()
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				id, _ := strconv.ParseInt(resp.Header.Get("X-Hookboard-Task-Id"), 10, 64)
				if resp.StatusCode != http.StatusOK || id == 0 {
					mu.Lock()
					clientErr = &statusError{resp.StatusCode}
					mu.Unlock()
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	// Let the clients get going, then back up while they keep writing.
	for {
		mu.Lock()
		n, failed := len(acked), clientErr != nil
		mu.Unlock()
		if n >= 200 || failed {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	backupPath := filepath.Join(dir, "backup.db")
	mu.Lock()
	backupStart = len(acked)
	before := append([]int64(nil), acked...)
	mu.Unlock()
	code, stdout, stderr := runCLI(t, "", "backup", "-db", dbPath, "-with-key", backupPath)
	mu.Lock()
	backupEnd = len(acked)
	mu.Unlock()
	// Keep writing a little after the backup, then stop.
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	if clientErr != nil {
		t.Fatalf("a client failed: %v", clientErr)
	}
	if code != 0 {
		t.Fatalf("backup exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "backup written to "+backupPath) {
		t.Errorf("backup stdout = %q", stdout)
	}
	t.Logf("%d tasks acknowledged before the backup, %d during it, %d in all", backupStart, backupEnd-backupStart, len(acked))

	// The copy is a valid SQLite database…
	db, err := sql.Open("sqlite", "file:"+backupPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil {
		t.Fatal(err)
	}
	if check != "ok" {
		t.Fatalf("integrity_check = %q", check)
	}
	// …holding every task acknowledged before the backup started…
	inBackup := map[int64]bool{}
	rows, err := db.Query(`SELECT id FROM tasks`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		inBackup[id] = true
	}
	rows.Close()
	for _, id := range before {
		if !inBackup[id] {
			t.Fatalf("task %d was acknowledged before the backup but is not in it", id)
		}
	}
	if len(inBackup) < 1500+len(before) {
		t.Fatalf("backup has %d tasks, want at least %d", len(inBackup), 1500+len(before))
	}
	// …and no half-done change: each task came with its event, in one transaction.
	var events int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE name = 'task.create'`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != len(inBackup) {
		t.Fatalf("backup has %d tasks but %d task.create events", len(inBackup), events)
	}

	// Hookboard opens the restored copy with the copied key, secrets included.
	restored, err := store.Open(backupPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	in, err := restored.IntegrationByToken(ctx, sec.Token)
	if err != nil {
		t.Fatalf("integration not found in the restored copy: %v", err)
	}
	if got, err := restored.AppSecret(in); err != nil || got != sec.AppSecret {
		t.Fatalf("restored app secret = %q, %v", got, err)
	}
}

// opsProof is appsecret_proof: hex HMAC-SHA256 of the token keyed with the app secret.
func opsProof(token, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token))
	return hex.EncodeToString(mac.Sum(nil))
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + strconv.Itoa(e.code) }

func TestBackupRefusesToOverwrite(t *testing.T) {
	skipOnPostgres(t, "hookboard backup copies SQLite files (PostgreSQL: TestBackupOnPostgresPointsToPgDump)")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hookboard.db")
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "", "backup", "-db", dbPath, existing)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "already exists; not overwriting it") {
		t.Fatalf("backup over an existing file: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(existing); string(b) != "precious" {
		t.Fatalf("existing file changed to %q", b)
	}

	// With -with-key, an existing FILE.key stops it before anything is written.
	fresh := filepath.Join(dir, "fresh.db")
	if err := os.WriteFile(fresh+".key", []byte("other key"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "", "backup", "-db", dbPath, "-with-key", fresh)
	if code != 1 || !strings.Contains(stderr, fresh+".key already exists") {
		t.Fatalf("backup with an existing key file: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Fatal("backup written although its key file could not be")
	}
	if b, _ := os.ReadFile(fresh + ".key"); string(b) != "other key" {
		t.Fatalf("existing key file changed to %q", b)
	}
}

func TestBackupWithoutKeyAndMissingDatabase(t *testing.T) {
	skipOnPostgres(t, "hookboard backup copies SQLite files (PostgreSQL: TestBackupOnPostgresPointsToPgDump)")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hookboard.db")
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	dest := filepath.Join(dir, "b.db")
	code, stdout, stderr := runCLI(t, "", "backup", "-db", dbPath, "-json", dest)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		File      string  `json:"file"`
		Bytes     int64   `json:"bytes"`
		KeyFile   *string `json:"key_file"`
		DBKeyFile string  `json:"db_key_file"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	info, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if out.File != dest || out.Bytes != info.Size() || out.KeyFile != nil || out.DBKeyFile != dbPath+".key" {
		t.Fatalf("json = %+v (file size %d)", out, info.Size())
	}
	if _, err := os.Stat(dest + ".key"); err == nil {
		t.Fatal("key file copied without -with-key")
	}

	// Text output reminds about the key file.
	code, stdout, _ = runCLI(t, "", "backup", "-db", dbPath, filepath.Join(dir, "c.db"))
	if code != 0 || !strings.Contains(stdout, "the key file "+dbPath+".key is not in the backup") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}

	// A mistyped -db is an error, not a backup of a new empty database.
	missing := filepath.Join(dir, "typo.db")
	code, _, stderr = runCLI(t, "", "backup", "-db", missing, filepath.Join(dir, "d.db"))
	if code != 1 || !strings.Contains(stderr, "no database at "+missing) {
		t.Fatalf("missing db: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("backup created the missing database")
	}
}

// On PostgreSQL, backup says to use pg_dump, writes nothing, and does not
// show the URL's password.
func TestBackupOnPostgresPointsToPgDump(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "b.db")
	code, stdout, stderr := runCLI(t, "", "backup", "-db", "postgres://hb:s3cret@127.0.0.1:1/hb?sslmode=disable", dest)
	if code == 0 || stdout != "" || !strings.Contains(stderr, "pg_dump") || !strings.Contains(stderr, "postgres://hb:xxxxx@127.0.0.1:1/hb") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want a failure that points to pg_dump", code, stdout, stderr)
	}
	if strings.Contains(stderr, "s3cret") {
		t.Fatalf("the password is in the message: %q", stderr)
	}
	if _, err := os.Stat(dest); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("backup left %s behind (%v)", dest, err)
	}
}
