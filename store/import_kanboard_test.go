package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// kanboardSmall is a database a real Kanboard wrote (see its CONTENTS.md),
// with the files folder and expected.json, what an import must reproduce.
const kanboardSmall = "testdata/kanboard-small"

// kanboardPasswords are the users' passwords, from CONTENTS.md.
var kanboardPasswords = map[string]string{
	"admin": "admin", "alice": "alice-pass-1", "bob": "bob-pass-22", "carol": "carol-pass-333",
}

// copyKanboard copies the reference database and its files folder into a
// fresh folder (the original may be read-only), returning both paths.
func copyKanboard(t *testing.T) (db, files string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(kanboardSmall)); err != nil {
		t.Fatal(err)
	}
	// CopyFS keeps the source's read-only modes; the tests change the copy.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	return filepath.Join(dir, "db.sqlite"), filepath.Join(dir, "files")
}

// kanboardExec runs SQL on a copy of the Kanboard database, as a test
// that adds rows of its own.
func kanboardExec(t *testing.T, db string, stmts ...string) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// expectedKanboard is the part of expected.json the tests compare.
type expectedKanboard struct {
	Users []struct {
		ID             int64
		Username, Role string
		Name, Email    *string
		IsActive       int `json:"is_active"`
	}
	Projects []struct {
		ID                                   int64
		Name, Identifier, Description, Email string
		IsPrivate                            int `json:"is_private"`
		Owner                                string
		Columns                              []struct {
			ID                 int64
			Title, Description string
			Position           int
			TaskLimit          int `json:"task_limit"`
		}
		Swimlanes []struct {
			ID                int64
			Name, Description string
			Position          int
		}
		Categories []struct {
			ID      int64
			Name    string
			ColorID *string `json:"color_id"`
		}
		Tags []struct {
			Name    string
			ColorID *string `json:"color_id"`
		}
		Members []struct{ Username, Role string }
	}
	GlobalTags []struct {
		Name    string
		ColorID *string `json:"color_id"`
	} `json:"global_tags"`
	Tasks []struct {
		ID                               int64
		Title, Project, Column, Swimlane string
		Category, Owner, Creator         *string
		ColorID                          string `json:"color_id"`
		IsActive                         int    `json:"is_active"`
		DateDue                          int64  `json:"date_due"`
		Reference, Description           string
		Score, Priority, Position        int64
		Tags                             []string
		DateStarted                      int64    `json:"date_started"`
		DateCompleted                    *int64   `json:"date_completed"`
		DateCreation                     int64    `json:"date_creation"`
		DateModification                 int64    `json:"date_modification"`
		DateMoved                        int64    `json:"date_moved"`
		TimeEstimated                    *float64 `json:"time_estimated"`
		TimeSpent                        *float64 `json:"time_spent"`
		Metadata                         map[string]string
	}
	TaskLinks []struct {
		ID             int64
		TaskID         int64 `json:"task_id"`
		OppositeTaskID int64 `json:"opposite_task_id"`
		Label          string
	} `json:"task_links"`
	ExternalLinks []struct {
		ID                              int64
		TaskID                          int64  `json:"task_id"`
		LinkType                        string `json:"link_type"`
		URL, Title, Dependency, Creator string
	} `json:"external_links"`
	Comments []struct {
		ID                       int64
		TaskID                   int64 `json:"task_id"`
		Author, Text, Visibility string
		DateCreation             int64 `json:"date_creation"`
	}
	Subtasks []struct {
		ID            int64
		TaskID        int64 `json:"task_id"`
		Title         string
		Status        int
		Assignee      *string
		TimeEstimated float64 `json:"time_estimated"`
		TimeSpent     float64 `json:"time_spent"`
		Position      int64
	}
	Files []struct {
		ID                   int64
		TaskID               int64 `json:"task_id"`
		Name, Uploader, Path string
		SHA256               string `json:"sha256"`
		Size                 int64
		IsImage              int `json:"is_image"`
	}
}

func loadExpected(t *testing.T) expectedKanboard {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(kanboardSmall, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedKanboard
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Tasks) != 30 || len(e.Users) != 4 {
		t.Fatalf("expected.json read wrong: %d tasks, %d users", len(e.Tasks), len(e.Users))
	}
	return e
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// countOf sums the counts of one kind, whatever the reasons.
func countOf(list []ImportCount, what string) int {
	n := 0
	for _, c := range list {
		if c.What == what {
			n += c.Count
		}
	}
	return n
}

// checkImportedTasks compares every task of expected.json with what the
// store reads, finding each by its id in taskIDs (Kanboard id -> ours).
// Usernames match as Hookboard matches them, ignoring case.
func checkImportedTasks(t *testing.T, s *Store, e expectedKanboard, taskIDs func(int64) int64) {
	t.Helper()
	ctx := context.Background()
	for _, w := range e.Tasks {
		got, err := s.TaskByID(ctx, taskIDs(w.ID))
		if err != nil {
			t.Fatalf("task %d: %v", w.ID, err)
		}
		if got.Title != w.Title || str(got.ProjectName) != w.Project || str(got.ColumnTitle) != w.Column ||
			str(got.SwimlaneName) != w.Swimlane || str(got.CategoryName) != str(w.Category) ||
			!strings.EqualFold(str(got.AssigneeUsername), str(w.Owner)) || !strings.EqualFold(str(got.CreatorUsername), str(w.Creator)) {
			t.Errorf("task %d placed as %q in %v/%v/%v cat %v owner %v creator %v; want %+v", w.ID, got.Title,
				str(got.ProjectName), str(got.ColumnTitle), str(got.SwimlaneName), str(got.CategoryName),
				str(got.AssigneeUsername), str(got.CreatorUsername), w)
		}
		if got.ColorID != w.ColorID || got.IsActive != w.IsActive || got.DateDue != w.DateDue ||
			got.Reference != w.Reference || got.Description != w.Description || got.Score != w.Score ||
			got.Priority != w.Priority || got.Position != w.Position || got.DateStarted != w.DateStarted ||
			valueOf(got.DateCompleted) != valueOf(w.DateCompleted) || got.DateCreation != w.DateCreation ||
			got.DateModification != w.DateModification || got.DateMoved != w.DateMoved ||
			got.TimeEstimated != valueOf(w.TimeEstimated) || got.TimeSpent != valueOf(w.TimeSpent) {
			t.Errorf("task %d fields differ:\n got %+v\nwant %+v", w.ID, got, w)
		}
		if tags := tagNames(t, s, got.ID); !slices.Equal(tags, w.Tags) {
			t.Errorf("task %d tags %v, want %v", w.ID, tags, w.Tags)
		}
	}
}

// checkImportedLinks compares the task links, external links and task
// metadata of expected.json with what the store reads (ids kept).
func checkImportedLinks(t *testing.T, s *Store, e expectedKanboard) {
	t.Helper()
	ctx := context.Background()
	for _, w := range e.TaskLinks {
		tl, err := s.TaskLinkByID(ctx, w.ID)
		if err != nil || tl.TaskID != w.TaskID || tl.OppositeTaskID != w.OppositeTaskID || tl.Label != w.Label {
			t.Errorf("task link %d: %+v %v, want %+v", w.ID, tl, err, w)
		}
	}
	for _, w := range e.ExternalLinks {
		got, err := s.ExternalLink(ctx, w.TaskID, w.ID)
		if err != nil || got.URL != w.URL || got.Title != w.Title || got.LinkType != w.LinkType || got.Dependency != w.Dependency ||
			str(got.CreatorUsername) != w.Creator {
			t.Errorf("external link %d: %+v %v, want %+v", w.ID, got, err, w)
		}
	}
	for _, w := range e.Tasks {
		list, err := s.TaskMetadata(ctx, w.ID)
		if err != nil || len(list) != len(w.Metadata) {
			t.Errorf("task %d metadata %v %v, want %v", w.ID, list, err, w.Metadata)
		}
		for _, m := range list {
			if w.Metadata[m.Name] != m.Value {
				t.Errorf("task %d metadata %s = %q, want %q", w.ID, m.Name, m.Value, w.Metadata[m.Name])
			}
		}
	}
}

func TestImportKanboardReference(t *testing.T) {
	ctx := context.Background()
	e := loadExpected(t)
	db, files := copyKanboard(t)
	s := openTestStore(t)

	rep, err := s.ImportKanboard(ctx, db, KanboardImport{FilesDir: files})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"users": 4, "projects": 2, "project members": 8, "columns": 9, "swimlanes": 4,
		"categories": 4, "tags": 5, "tasks": 30, "task tags": 21, "comments": 11, "subtasks": 12, "files": 3,
		"link types": 0, "task links": 4, "external links": 1, "task metadata": 4, "automatic actions": 1}
	for what, n := range want {
		if got := countOf(rep.Imported, what); got != n {
			t.Errorf("imported %s: %d, want %d", what, got, n)
		}
	}
	if rep.KanboardSchema != 128 || len(rep.Renumbered) != 0 || len(rep.MatchedUsers) != 0 || len(rep.Warnings) != 0 {
		t.Errorf("report: %+v", rep)
	}
	// What Hookboard cannot hold is named, with Kanboard's counts.
	for what, n := range map[string]int{"comments": 1, "activity stream entries": 65} {
		if got := countOf(rep.NotImported, what); got != n {
			t.Errorf("not imported %s: %d, want %d (%+v)", what, got, n, rep.NotImported)
		}
	}

	for _, what := range []string{"task links", "external links", "task metadata", "automatic actions"} {
		if got := countOf(rep.NotImported, what); got != 0 {
			t.Errorf("%s reported as not imported: %+v", what, rep.NotImported)
		}
	}
	// The rule: close tasks moved to Done (column 4), as Kanboard stored it.
	if rules, err := s.Actions(ctx, 1); err != nil || len(rules) != 1 || rules[0].ActionName != `\Kanboard\Action\TaskCloseColumn` ||
		rules[0].EventName != EventTaskMoveColumn || rules[0].Param("column_id") != "4" {
		t.Errorf("imported rules: %+v %v", rules, err)
	}
	checkImportedLinks(t, s, e)

	// Users, with their Kanboard passwords.
	for _, w := range e.Users {
		u, err := s.UserByID(ctx, w.ID)
		if err != nil || u.Username != w.Username || u.Role != w.Role || u.Name != str(w.Name) ||
			u.Email != str(w.Email) || u.IsActive != (w.IsActive == 1) {
			t.Errorf("user %d: %+v, %v; want %+v", w.ID, u, err, w)
		}
		if _, err := s.CheckPassword(ctx, w.Username, kanboardPasswords[w.Username]); err != nil {
			t.Errorf("%s cannot log in with the Kanboard password: %v", w.Username, err)
		}
		if _, err := s.CheckPassword(ctx, w.Username, "wrong password"); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s logs in with a wrong password: %v", w.Username, err)
		}
	}

	// Projects with their settings, columns, swimlanes, categories, tags, members.
	for _, w := range e.Projects {
		p, err := s.ProjectByID(ctx, w.ID)
		if err != nil || p.Name != w.Name || p.Identifier != w.Identifier || p.Description != w.Description || !p.IsActive {
			t.Errorf("project %d: %+v, %v", w.ID, p, err)
		}
		var email, owner string
		var private int
		s.reader.QueryRow(`SELECT p.email, p.is_private, u.username FROM projects p JOIN users u ON u.id = p.owner_id WHERE p.id = ?`, w.ID).
			Scan(&email, &private, &owner)
		if email != w.Email || private != w.IsPrivate || owner != w.Owner {
			t.Errorf("project %d: email %q private %d owner %q", w.ID, email, private, owner)
		}
		cols, _ := s.Columns(ctx, w.ID)
		if len(cols) != len(w.Columns) {
			t.Fatalf("project %d columns %+v", w.ID, cols)
		}
		for i, c := range w.Columns {
			if g := cols[i]; g.ID != c.ID || g.Title != c.Title || g.Position != c.Position || g.TaskLimit != c.TaskLimit || g.Description != c.Description {
				t.Errorf("project %d column %d: %+v, want %+v", w.ID, i, g, c)
			}
		}
		lanes, _ := s.Swimlanes(ctx, w.ID)
		if len(lanes) != len(w.Swimlanes) {
			t.Fatalf("project %d swimlanes %+v", w.ID, lanes)
		}
		for i, l := range w.Swimlanes {
			if g := lanes[i]; g.ID != l.ID || g.Name != l.Name || g.Position != l.Position || g.Description != l.Description || !g.IsActive || g.IsDefault != (i == 0) {
				t.Errorf("project %d swimlane %d: %+v, want %+v", w.ID, i, g, l)
			}
		}
		cats, _ := s.Categories(ctx, w.ID)
		for _, c := range w.Categories {
			i := slices.IndexFunc(cats, func(g Category) bool { return g.ID == c.ID })
			if i < 0 || cats[i].Name != c.Name || cats[i].ColorID != str(c.ColorID) {
				t.Errorf("project %d category %+v not found in %+v", w.ID, c, cats)
			}
		}
		for _, g := range w.Tags {
			var color string
			if err := s.reader.QueryRow(`SELECT color_id FROM tags WHERE project_id = ? AND name = ?`, w.ID, g.Name).Scan(&color); err != nil || color != str(g.ColorID) {
				t.Errorf("project %d tag %s: %q, %v", w.ID, g.Name, color, err)
			}
		}
		for _, m := range w.Members {
			var role string
			if err := s.reader.QueryRow(`SELECT pu.role FROM project_users pu JOIN users u ON u.id = pu.user_id WHERE pu.project_id = ? AND u.username = ?`,
				w.ID, m.Username).Scan(&role); err != nil || role != m.Role {
				t.Errorf("project %d member %s: %q, %v", w.ID, m.Username, role, err)
			}
		}
	}
	for _, g := range e.GlobalTags {
		var color string
		if err := s.reader.QueryRow(`SELECT color_id FROM tags WHERE project_id = 0 AND name = ?`, g.Name).Scan(&color); err != nil || color != str(g.ColorID) {
			t.Errorf("global tag %s: %q, %v", g.Name, color, err)
		}
	}

	checkImportedTasks(t, s, e, func(id int64) int64 { return id })

	for _, w := range e.Comments {
		c, err := s.CommentByID(ctx, w.ID)
		if w.Visibility != "app-user" {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("comment %d, visible only to %s in Kanboard, was imported: %+v", w.ID, w.Visibility, c)
			}
			continue
		}
		if err != nil || c.TaskID != w.TaskID || c.Username != w.Author || c.Comment != w.Text || c.CreatedAt != w.DateCreation {
			t.Errorf("comment %d: %+v, %v; want %+v", w.ID, c, err, w)
		}
	}
	for _, w := range e.Subtasks {
		st, err := s.SubtaskByID(ctx, w.ID)
		if err != nil || st.TaskID != w.TaskID || st.Title != w.Title || st.Status != w.Status || st.Username != str(w.Assignee) ||
			st.TimeEstimated != w.TimeEstimated || st.TimeSpent != w.TimeSpent || st.Position != w.Position {
			t.Errorf("subtask %d: %+v, %v; want %+v", w.ID, st, err, w)
		}
	}
	for _, w := range e.Files {
		f, data, err := s.FileData(ctx, w.ID)
		sum := sha256.Sum256(data)
		if err != nil || f.TaskID != w.TaskID || f.Name != w.Name || f.Size != w.Size || f.Username != w.Uploader ||
			hex.EncodeToString(sum[:]) != w.SHA256 || f.IsImage() != (w.IsImage == 1) {
			t.Errorf("file %d: %+v, %v; want %+v", w.ID, f, err, w)
		}
	}

	// History, not changes: no event, so no webhook.
	if evs, err := s.Events(ctx, 10); err != nil || len(evs) != 0 {
		t.Errorf("the import wrote events: %v, %v", evs, err)
	}
	// The Kanboard file is left as it was: no -wal or -shm beside it.
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(db + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the import left %s next to the Kanboard file (%v)", suffix, err)
		}
	}
}

func TestImportKanboardWithoutFilesFolder(t *testing.T) {
	db, _ := copyKanboard(t)
	s := openTestStore(t)
	rep, err := s.ImportKanboard(context.Background(), db, KanboardImport{})
	if err != nil {
		t.Fatal(err)
	}
	if countOf(rep.Imported, "files") != 0 || countOf(rep.NotImported, "files") != 3 || countOf(rep.Imported, "tasks") != 30 {
		t.Errorf("report %+v", rep)
	}
	if files, _ := s.Files(context.Background(), 1); len(files) != 0 {
		t.Errorf("task 1 has files %+v", files)
	}
}

// tableCounts is the row count of every table an import writes, and the
// config version, to show that a failed import changed nothing.
func tableCounts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, k := range importKinds {
		var n int
		if err := s.reader.QueryRow(`SELECT count(*) FROM ` + k.table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[k.table] = n
	}
	var n int
	s.reader.QueryRow(`SELECT count(*) FROM events`).Scan(&n)
	out["events"] = n
	s.reader.QueryRow(`SELECT version FROM config_version`).Scan(&n)
	out["config_version"] = n
	return out
}

func TestImportKanboardIntoUsedHookboard(t *testing.T) {
	ctx := context.Background()
	e := loadExpected(t)
	db, files := copyKanboard(t)
	s := openTestStore(t)
	first, _, err := s.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.CreateUser(ctx, "Bob", "hookboard-bob-pw", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddProjectMember(ctx, first.DefaultProject, bob.ID, ProjectMember); err != nil {
		t.Fatal(err)
	}
	ownTask, _, err := s.CreateTask(ctx, Actor{}, NewTask{Title: "Already here", OwnerID: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.inTxTag(ctx, "needs-triage"); err != nil {
		t.Fatal(err)
	}

	rep, err := s.ImportKanboard(ctx, db, KanboardImport{FilesDir: files})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.MatchedUsers, []string{"admin", "bob"}) {
		t.Errorf("matched users %v", rep.MatchedUsers)
	}
	for _, kind := range []string{"users", "projects", "columns", "swimlanes", "tasks", "tags"} {
		if !slices.Contains(rep.Renumbered, kind) {
			t.Errorf("%s not renumbered: %+v", kind, rep)
		}
	}
	for _, kind := range []string{"categories", "comments", "subtasks", "files"} {
		if !slices.Contains(rep.KeptIDs, kind) {
			t.Errorf("%s did not keep ids: %+v", kind, rep)
		}
	}
	if countOf(rep.Imported, "users") != 2 || countOf(rep.Imported, "tags") != 4 || countOf(rep.Imported, "tasks") != 30 {
		t.Errorf("imported %+v", rep.Imported)
	}

	// The matched users keep their Hookboard passwords; the new ones bring theirs.
	if _, err := s.CheckPassword(ctx, "bob", "hookboard-bob-pw"); err != nil {
		t.Errorf("bob's Hookboard password: %v", err)
	}
	if _, err := s.CheckPassword(ctx, "bob", kanboardPasswords["bob"]); err == nil {
		t.Error("bob logs in with the Kanboard password over his Hookboard one")
	}
	if _, err := s.CheckPassword(ctx, "admin", first.AdminPassword); err != nil {
		t.Errorf("admin's Hookboard password: %v", err)
	}
	if _, err := s.CheckPassword(ctx, "alice", kanboardPasswords["alice"]); err != nil {
		t.Errorf("alice: %v", err)
	}

	// Every task is there under a new id, its references following.
	byTitle := map[string]int64{}
	rows, err := s.reader.Query(`SELECT id, title FROM tasks WHERE id <> ?`, ownTask)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var title string
		rows.Scan(&id, &title)
		byTitle[title] = id
	}
	rows.Close()
	checkImportedTasks(t, s, e, func(kbID int64) int64 {
		for _, w := range e.Tasks {
			if w.ID == kbID {
				return byTitle[w.Title]
			}
		}
		return 0
	})
	// Kanboard's bob owns his tasks under Hookboard's bob.
	var bobs int
	s.reader.QueryRow(`SELECT count(*) FROM tasks WHERE owner_id = ?`, bob.ID).Scan(&bobs)
	var kbBobs int
	for _, w := range e.Tasks {
		if str(w.Owner) == "bob" {
			kbBobs++
		}
	}
	if bobs != kbBobs+1 {
		t.Errorf("Hookboard's bob owns %d tasks, want %d", bobs, kbBobs+1)
	}
	// Comments kept their ids and point at the renumbered tasks.
	c, err := s.CommentByID(ctx, 1)
	if err != nil || c.TaskID != byTitle[e.Tasks[0].Title] {
		t.Errorf("comment 1: %+v, %v", c, err)
	}
	// The rule follows its project and its column "Done", both renumbered.
	var ops, done int64
	s.reader.QueryRow(`SELECT id FROM projects WHERE name = 'Operations'`).Scan(&ops)
	s.reader.QueryRow(`SELECT id FROM columns WHERE project_id = ? AND title = 'Done'`, ops).Scan(&done)
	if rules, err := s.Actions(ctx, ops); err != nil || len(rules) != 1 || done == 4 || rules[0].Param("column_id") != strconv.FormatInt(done, 10) {
		t.Errorf("the imported rule: %+v %v (Done is column %d)", rules, err, done)
	}
	// What was there before is untouched.
	own, err := s.TaskByID(ctx, ownTask)
	if err != nil || own.Title != "Already here" || own.ProjectID != first.DefaultProject {
		t.Errorf("the existing task: %+v, %v", own, err)
	}
}

// inTxTag adds a global tag, as a Hookboard that has one already.
func (s *Store) inTxTag(ctx context.Context, name string) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO tags (project_id, name) VALUES (0, ?) RETURNING id`, name).Scan(&id)
	})
	return id, err
}

func TestImportKanboardFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	db, files := copyKanboard(t)
	s := openTestStore(t)
	if _, _, err := s.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	before := tableCounts(t, s)

	// The last file cannot be read: the import fails after it has written
	// users, projects, tasks, comments and subtasks.
	blob := filepath.Join(files, "tasks/1/63c377c0db459579ae61b5fdbb498a5d11a45214")
	if err := os.Remove(blob); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(blob, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := s.ImportKanboard(ctx, db, KanboardImport{FilesDir: files})
	if err == nil || !strings.Contains(err.Error(), "tasks/1/63c377c0db459579ae61b5fdbb498a5d11a45214") {
		t.Fatalf("import: %v", err)
	}
	if after := tableCounts(t, s); !mapsEqual(before, after) {
		t.Errorf("a failed import changed the database:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := s.UserByName(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("alice after a failed import: %v", err)
	}

	// Fixed, the same import goes through.
	os.Remove(blob)
	src, _ := os.ReadFile(filepath.Join(kanboardSmall, "files/tasks/1/63c377c0db459579ae61b5fdbb498a5d11a45214"))
	os.WriteFile(blob, src, 0o644)
	if rep, err := s.ImportKanboard(ctx, db, KanboardImport{FilesDir: files}); err != nil || countOf(rep.Imported, "files") != 3 {
		t.Fatalf("second import: %+v, %v", rep, err)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestImportKanboardRefusesOtherFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTestStore(t)
	before := tableCounts(t, s)

	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello, not a database\n"), 0o644)
	other, err := Open(filepath.Join(dir, "hookboard.db"), Options{}) // a Hookboard database is not Kanboard's
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	usersOnly := filepath.Join(dir, "users.sqlite")
	kanboardExec(t, usersOnly, `CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT)`)
	for _, path := range []string{text, filepath.Join(dir, "hookboard.db"), usersOnly} {
		if _, err := s.ImportKanboard(ctx, path, KanboardImport{}); !errors.Is(err, ErrNotKanboard) {
			t.Errorf("%s: %v, want ErrNotKanboard", filepath.Base(path), err)
		}
	}
	if _, err := s.ImportKanboard(ctx, filepath.Join(dir, "missing.sqlite"), KanboardImport{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}

	// An older Kanboard that lacks a column the import reads is named.
	db, _ := copyKanboard(t)
	kanboardExec(t, db, `ALTER TABLE swimlanes DROP COLUMN task_limit`)
	if _, err := s.ImportKanboard(ctx, db, KanboardImport{}); err == nil || !strings.Contains(err.Error(), "swimlanes.task_limit") ||
		!strings.Contains(err.Error(), "upgrade Kanboard") {
		t.Errorf("old schema: %v", err)
	}
	// A files folder that does not exist is refused before anything.
	db2, _ := copyKanboard(t)
	if _, err := s.ImportKanboard(ctx, db2, KanboardImport{FilesDir: filepath.Join(dir, "nope")}); err == nil {
		t.Error("a missing files folder was accepted")
	}
	if after := tableCounts(t, s); !mapsEqual(before, after) {
		t.Errorf("refused imports changed the database: %v, %v", before, after)
	}
}

// TestImportKanboardRowsOfEveryKind adds to a copy of the reference the
// rows its Kanboard did not write (a disabled user, an LDAP user, a private
// project, an old-style swimlane 0, custom roles, restricted comments, a
// missing blob, a path leaving the files folder, …) and checks where each
// lands.
func TestImportKanboardRowsOfEveryKind(t *testing.T) {
	ctx := context.Background()
	db, files := copyKanboard(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("dana-pass-4444"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// Kanboard (PHP) writes the $2y$ prefix.
	phpHash := "$2y$" + strings.TrimPrefix(string(hash), "$2a$")
	kanboardExec(t, db,
		`INSERT INTO users (id, username, password, role, is_active, name, email) VALUES (5, 'dana', '`+phpHash+`', 'app-user', 0, 'Dana', 'dana@example.test')`,
		`INSERT INTO users (id, username, password, role, is_active, is_ldap_user) VALUES (6, 'ldap.erin', NULL, 'app-manager', 1, 1)`,
		`INSERT INTO users (id, username, password, role) VALUES (7, 'frank', '`+phpHash+`', 'app-superuser')`,
		`INSERT INTO users (id, username, password) VALUES (8, 'bad:name', '`+phpHash+`')`,
		`INSERT INTO projects (id, name, is_active, is_private, owner_id, description, identifier, email, start_date, end_date,
			priority_default, priority_start, priority_end, task_limit, per_swimlane_task_limits, enable_global_tags, is_everybody_allowed, last_modified)
			VALUES (3, 'Private notes', 0, 1, 5, NULL, 'PRIV', NULL, '2027-01-01', '2027-12-31', 2, 1, 5, 7, 1, 0, 1, 1796600000)`,
		`INSERT INTO columns (id, title, position, project_id, task_limit, description, hide_in_dashboard) VALUES (10, 'Only', 1, 3, NULL, NULL, 1)`,
		`INSERT INTO swimlanes (id, name, position, is_active, project_id, description, task_limit) VALUES (5, 'Retired', 1, 0, 3, NULL, 0)`,
		`INSERT INTO swimlanes (id, name, position, is_active, project_id, description, task_limit) VALUES (6, 'Main', 2, 1, 3, 'the lane', 3)`,
		`INSERT INTO project_has_categories (id, name, project_id, description, color_id) VALUES (5, 'Odd', 3, 'desc', 'chartreuse')`,
		`INSERT INTO tags (id, name, project_id, color_id) VALUES (6, 'private-tag', 3, 'pink')`,
		`INSERT INTO project_has_roles (role_id, role, project_id) VALUES (1, 'Auditor', 3)`,
		`INSERT INTO project_has_users (project_id, user_id, role) VALUES (3, 5, 'project-manager'), (3, 6, 'Auditor')`,
		`INSERT INTO tasks (id, title, project_id, column_id, swimlane_id, color_id, position, is_active, date_creation, date_completed,
			category_id, owner_id, creator_id, description, reference, score, date_due, date_started, time_spent, time_estimated,
			date_modification, date_moved, recurrence_status, priority)
			VALUES (31, 'Old-style default lane', 3, 10, 0, 'magenta', 1, 0, 1796500000, 1796550000, 5, 5, 6, NULL, NULL, NULL, NULL, NULL,
			NULL, NULL, 0, 0, 1, NULL)`,
		`INSERT INTO task_has_tags (task_id, tag_id) VALUES (31, 6), (31, 5)`,
		`INSERT INTO comments (id, task_id, user_id, date_creation, comment, visibility) VALUES (13, 31, 5, 1796500100, 'admins only', 'app-admin')`,
		`INSERT INTO comments (id, task_id, user_id, date_creation, comment, visibility, reference) VALUES (14, 31, 0, 1796500200, 'by nobody', 'app-user', 'mail-42')`,
		`INSERT INTO subtasks (id, title, status, task_id, user_id, position) VALUES (13, 'Weird status', 7, 31, 6, 1)`,
		`INSERT INTO task_has_files (id, name, path, is_image, task_id, date, user_id, size) VALUES (4, 'gone.txt', 'tasks/31/deadbeef', 0, 31, 1796500300, 5, 4)`,
		`INSERT INTO task_has_files (id, name, path, is_image, task_id, date, user_id, size) VALUES (5, 'secret.txt', '../../outside.txt', 0, 31, 1796500300, 5, 4)`,
		`INSERT INTO task_has_files (id, name, path, is_image, task_id, date, user_id, size) VALUES (6, 'notes.md', 'tasks/31/cafe', 0, 31, 1796500400, 6, 999)`,
		`INSERT INTO groups (id, name, external_id) VALUES (1, 'Ops team', 'cn=ops'), (2, 'Auditors', NULL)`,
		`INSERT INTO group_has_users (group_id, user_id) VALUES (1, 7), (1, 3), (2, 99)`,
		`INSERT INTO project_has_groups (group_id, project_id, role) VALUES (1, 3, 'project-member'), (2, 1, 'Auditor')`,
		`INSERT INTO project_has_files (id, project_id, name, path) VALUES (1, 3, 'plan.pdf', 'projects/3/x')`,
		`INSERT INTO project_has_files (id, project_id, name, path, user_id, date) VALUES (2, 3, 'budget.csv', 'projects/3/budget', 5, 1796500700)`,
		`INSERT INTO subtask_time_tracking (id, user_id, subtask_id, start, "end", time_spent) VALUES
			(1, 5, 13, 1796500000, 1796503600, 1), (2, 6, 13, 1796500000, 0, 0), (3, 6, 13, 1796500100, 0, 0), (4, 8, 13, 1796500000, 0, 0)`,
		`UPDATE settings SET value = 'https://hooks.example.test/kb' WHERE option = 'webhook_url'`,
		`INSERT INTO links (id, label, opposite_id) VALUES (12, 'causes', 13), (13, 'is caused by', 12)`,
		`INSERT INTO task_has_links (id, link_id, task_id, opposite_task_id) VALUES (5, 12, 31, 1), (6, 13, 1, 31)`,
		`INSERT INTO task_has_external_links (id, link_type, dependency, title, url, date_creation, date_modification, task_id, creator_id)
			VALUES (2, 'weblink', 'related', 'broken', 'not a url', 1796500500, 1796500500, 31, 5)`,
		`INSERT INTO project_has_metadata (project_id, name, value, changed_by, changed_on) VALUES (3, 'budget', '12k', 5, 1796500600)`,
		`INSERT INTO actions (id, project_id, event_name, action_name) VALUES (9, 3, 'task.move.column', '\Kanboard\Action\TaskAssignColorColumn')`,
		`INSERT INTO action_has_params (action_id, name, value) VALUES (9, 'column_id', ' 10 '), (9, 'color_id', ' red ')`,
	)
	os.WriteFile(filepath.Join(filepath.Dir(files), "outside.txt"), []byte("nope"), 0o644)
	os.MkdirAll(filepath.Join(files, "tasks/31"), 0o755)
	os.WriteFile(filepath.Join(files, "tasks/31/cafe"), []byte("# Notes\n"), 0o644)
	os.MkdirAll(filepath.Join(files, "projects/3"), 0o755)
	os.WriteFile(filepath.Join(files, "projects/3/budget"), []byte("a,b\n"), 0o644)

	s := openTestStore(t)
	rep, err := s.ImportKanboard(ctx, db, KanboardImport{FilesDir: files})
	if err != nil {
		t.Fatal(err)
	}
	for what, n := range map[string]int{"users": 7, "projects": 3, "columns": 10, "swimlanes": 6, "categories": 5,
		"tags": 6, "tasks": 31, "task tags": 23, "comments": 12, "subtasks": 13, "files": 4, "project members": 10} {
		if got := countOf(rep.Imported, what); got != n {
			t.Errorf("imported %s: %d, want %d", what, got, n)
		}
	}
	for what, n := range map[string]int{"users": 1, "comments": 2, "files": 2, "group members": 1, "project files": 1,
		"recurring tasks": 1, "comment references": 1, "everybody-allowed projects": 1, "the outgoing webhook URL": 1,
		"project roles": 2, "custom project roles": 1, "external links": 1, "subtask time tracking": 2} {
		if got := countOf(rep.NotImported, what); got != n {
			t.Errorf("not imported %s: %d, want %d", what, got, n)
		}
	}
	for what, n := range map[string]int{"link types": 2, "task links": 6, "project metadata": 1, "project files": 1,
		"subtask time tracking": 2, "groups": 2, "group members": 2, "project groups": 2} {
		if got := countOf(rep.Imported, what); got != n {
			t.Errorf("imported %s: %d, want %d", what, got, n)
		}
	}
	// A rule's parameters are stored as they were checked: trimmed, as
	// CreateAction stores them, so the colour action matches "red".
	if rules, err := s.Actions(ctx, 3); err != nil || len(rules) != 1 || rules[0].Param("color_id") != "red" || rules[0].Param("column_id") != "10" {
		t.Errorf("project 3's imported rules: %+v %v; want one, with color_id \"red\" and column_id \"10\"", rules, err)
	}
	// Groups keep their ids; frank's role in project 3 comes from Ops team,
	// and Auditors' custom role became viewer.
	if g, err := s.GroupByID(ctx, 1); err != nil || g.Name != "Ops team" || g.ExternalID != "cn=ops" || g.NbUsers != 2 {
		t.Errorf("group 1: %+v %v", g, err)
	}
	if frank, _ := s.UserByName(ctx, "frank"); frank.ID != 0 {
		if role, _ := s.ProjectRole(ctx, 3, frank.ID); role != ProjectMember {
			t.Errorf("frank's role through Ops team: %q", role)
		}
	}
	if pgs, _ := s.ProjectGroups(ctx, 1); len(pgs) != 1 || pgs[0].Name != "Auditors" || pgs[0].ProjectRole != ProjectViewer {
		t.Errorf("project 1 groups: %+v", pgs)
	}
	// Kanboard's own link type came with its opposite, under new ids.
	if links, _ := s.TaskLinks(ctx, 31); len(links) != 1 || links[0].Label != "causes" || links[0].TaskID != 1 {
		t.Errorf("task 31 links %+v", links)
	}
	if links, _ := s.TaskLinks(ctx, 1); len(links) != 1 || links[0].Label != "is caused by" {
		t.Errorf("task 1 links %+v", links)
	}
	causes, err := s.LinkByLabel(ctx, "causes")
	if opp, _ := s.OppositeLinkID(ctx, causes.ID); err != nil || causes.ID != 12 || opp != 13 {
		t.Errorf("causes %+v %v, opposite %d", causes, err, opp)
	}
	if v, err := s.ProjectMetadataValue(ctx, 3, "budget"); v != "12k" || err != nil {
		t.Errorf("project metadata %q %v", v, err)
	}
	// The project file with its content and uploader; dana's stopped timer
	// and erin's running one (the second running one and bad:name's are left out).
	if pf, data, err := s.ProjectFileData(ctx, 3, 2); err != nil || pf.Name != "budget.csv" || string(data) != "a,b\n" ||
		pf.Username != "dana" || pf.CreatedAt != 1796500700 || pf.MimeType != "text/csv; charset=utf-8" {
		t.Errorf("project file %+v %q %v", pf, data, err)
	}
	if ok, err := s.HasSubtaskTimer(ctx, 13, 6); !ok || err != nil {
		t.Errorf("erin's running timer: %v %v", ok, err)
	}
	if ok, _ := s.HasSubtaskTimer(ctx, 13, 5); ok {
		t.Error("dana's stopped timer runs")
	}
	warnings := strings.Join(rep.Warnings, "\n")
	for _, w := range []string{"frank had the role \"app-superuser\"", "1 user has no password", "tasks with a color Hookboard does not know: 1", "subtask 13 had the status 7", `user "bad:name" was not imported`} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings lack %q:\n%s", w, warnings)
		}
	}

	// The disabled user keeps the $2y$ password but cannot log in; frank can.
	dana, err := s.UserByName(ctx, "dana")
	if err != nil || dana.IsActive || dana.Name != "Dana" {
		t.Errorf("dana: %+v, %v", dana, err)
	}
	if _, err := s.CheckPassword(ctx, "dana", "dana-pass-4444"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("a disabled user logs in: %v", err)
	}
	if u, err := s.CheckPassword(ctx, "frank", "dana-pass-4444"); err != nil || u.Role != RoleUser {
		t.Errorf("frank: %+v, %v", u, err)
	}
	if u, err := s.UserByName(ctx, "ldap.erin"); err != nil || u.Role != RoleManager {
		t.Errorf("erin: %+v, %v", u, err)
	}
	if _, err := s.CheckPassword(ctx, "ldap.erin", ""); err == nil {
		t.Error("a user without a password logs in with an empty one")
	}

	// The project's settings.
	var ident, email, start, end string
	var active, private, prDef, prStart, prEnd, limit, perLane, global int
	var owner int64
	s.reader.QueryRow(`SELECT identifier, email, start_date, end_date, is_active, is_private, priority_default, priority_start,
		priority_end, task_limit, per_swimlane_task_limits, enable_global_tags, owner_id FROM projects WHERE id = 3`).
		Scan(&ident, &email, &start, &end, &active, &private, &prDef, &prStart, &prEnd, &limit, &perLane, &global, &owner)
	if ident != "PRIV" || email != "" || start != "2027-01-01" || end != "2027-12-31" || active != 0 || private != 1 ||
		prDef != 2 || prStart != 1 || prEnd != 5 || limit != 7 || perLane != 1 || global != 0 || owner != dana.ID {
		t.Errorf("project 3: %q %q %q %q %d %d %d %d %d %d %d %d %d", ident, email, start, end, active, private, prDef, prStart, prEnd, limit, perLane, global, owner)
	}
	var hide int
	s.reader.QueryRow(`SELECT hide_in_dashboard FROM columns WHERE id = 10`).Scan(&hide)
	lanes, _ := s.Swimlanes(ctx, 3)
	if hide != 1 || len(lanes) != 2 || lanes[0].IsActive || lanes[0].IsDefault || !lanes[1].IsDefault || lanes[1].Description != "the lane" {
		t.Errorf("column hidden %d, swimlanes %+v", hide, lanes)
	}
	var laneLimit int
	s.reader.QueryRow(`SELECT task_limit FROM swimlanes WHERE id = 6`).Scan(&laneLimit)
	cats, _ := s.Categories(ctx, 3)
	if laneLimit != 3 || len(cats) != 1 || cats[0].ColorID != "" || cats[0].Description != "desc" {
		t.Errorf("swimlane limit %d, categories %+v", laneLimit, cats)
	}
	var role string
	s.reader.QueryRow(`SELECT role FROM project_users WHERE project_id = 3 AND user_id = (SELECT id FROM users WHERE username = 'ldap.erin')`).Scan(&role)
	if role != "project-viewer" {
		t.Errorf("a custom role became %q", role)
	}

	// The task: swimlane 0 is the default swimlane, the unknown color the default one.
	task, err := s.TaskByID(ctx, 31)
	if err != nil || str(task.SwimlaneName) != "Main" || task.ColorID != DefaultColor || task.IsActive != 0 ||
		valueOf(task.DateCompleted) != 1796550000 || str(task.CategoryName) != "Odd" || str(task.AssigneeUsername) != "dana" ||
		str(task.CreatorUsername) != "ldap.erin" || task.DateModification != 1796500000 || task.DateMoved != 1796500000 ||
		task.Score != 0 || task.Description != "" {
		t.Errorf("task 31: %+v, %v", task, err)
	}
	if tags := tagNames(t, s, 31); !slices.Equal(tags, []string{"needs-triage", "private-tag"}) {
		t.Errorf("task 31 tags %v", tags)
	}
	comments, _ := s.Comments(ctx, 31)
	if len(comments) != 1 || comments[0].Comment != "by nobody" || comments[0].UserID != 0 {
		t.Errorf("task 31 comments %+v", comments)
	}
	if st, err := s.SubtaskByID(ctx, 13); err != nil || st.Status != SubtaskTodo || st.Username != "ldap.erin" {
		t.Errorf("subtask 13: %+v, %v", st, err)
	}
	got, _ := s.Files(ctx, 31)
	if len(got) != 1 || got[0].Name != "notes.md" || got[0].Size != 8 || !strings.HasPrefix(got[0].MimeType, "text/") {
		t.Errorf("task 31 files %+v", got)
	}
}
