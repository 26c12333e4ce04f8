package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNotKanboard means the file given to ImportKanboard is not a Kanboard
// SQLite database.
var ErrNotKanboard = errors.New("not a Kanboard database")

// KanboardImport tunes ImportKanboard.
type KanboardImport struct {
	// FilesDir is Kanboard's data/files folder, where task_has_files.path
	// and project_has_files.path point. Empty: the task and project files
	// are reported as not imported.
	FilesDir string
}

// ImportReport says what an import brought and what it could not.
type ImportReport struct {
	KanboardSchema int           `json:"kanboard_schema_version"`
	Imported       []ImportCount `json:"imported"`
	// KeptIDs and Renumbered name the kinds that kept Kanboard's ids (the
	// Hookboard table was empty) and those that got new ones.
	KeptIDs    []string `json:"kept_ids"`
	Renumbered []string `json:"renumbered"`
	// MatchedUsers are Kanboard users whose username a Hookboard user
	// already had: their tasks, comments and memberships went to that
	// user, whose password and role stayed as they were.
	MatchedUsers []string      `json:"matched_users"`
	NotImported  []ImportCount `json:"not_imported"`
	Warnings     []string      `json:"warnings"`
}

// ImportCount is how many rows of one kind an import brought, or left out
// and why.
type ImportCount struct {
	What  string `json:"what"`
	Count int    `json:"count"`
	Why   string `json:"why,omitempty"`
}

// importKinds are the kinds an import brings, in the order it brings them,
// with the Hookboard table each goes to.
var importKinds = []struct{ kind, table string }{
	{"users", "users"}, {"projects", "projects"}, {"project members", "project_users"},
	{"groups", "groups"}, {"group members", "group_members"}, {"project groups", "project_groups"},
	{"columns", "columns"}, {"swimlanes", "swimlanes"}, {"categories", "categories"},
	{"tags", "tags"}, {"tasks", "tasks"}, {"task tags", "task_tags"},
	{"comments", "comments"}, {"subtasks", "subtasks"}, {"files", "task_files"},
	{"project files", "project_files"}, {"subtask time tracking", "subtask_time_tracking"},
	{"link types", "links"}, {"task links", "task_links"}, {"external links", "task_external_links"},
	{"task metadata", "task_metadata"}, {"project metadata", "project_metadata"},
	{"automatic actions", "actions"},
}

// importNoIDs are the kinds whose rows have no ids of their own, or (link
// types) are matched by label, so the report lists them neither as kept nor
// as renumbered.
var importNoIDs = map[string]bool{"project_users": true, "group_members": true, "project_groups": true, "task_tags": true, "links": true,
	"task_metadata": true, "project_metadata": true}

// kanboardCore are tables every Kanboard database has and no other
// application's is likely to have together.
var kanboardCore = []string{"users", "projects", "columns", "tasks", "project_has_users", "settings"}

// kanboardColumns are the columns the import reads. A Kanboard old enough
// to lack one is refused with its name rather than half read.
var kanboardColumns = map[string][]string{
	"users": {"id", "username", "password", "name", "email", "role", "is_active", "api_access_token",
		"twofactor_activated"},
	"projects": {"id", "name", "description", "identifier", "is_active", "owner_id", "last_modified", "email",
		"start_date", "end_date", "priority_default", "priority_start", "priority_end", "task_limit",
		"per_swimlane_task_limits", "enable_global_tags", "is_private", "is_public", "is_everybody_allowed"},
	"project_has_users":      {"project_id", "user_id", "role"},
	"columns":                {"id", "project_id", "title", "position", "task_limit", "description", "hide_in_dashboard"},
	"swimlanes":              {"id", "project_id", "name", "description", "position", "is_active", "task_limit"},
	"project_has_categories": {"id", "project_id", "name", "description", "color_id"},
	"tags":                   {"id", "project_id", "name", "color_id"},
	"task_has_tags":          {"task_id", "tag_id"},
	"tasks": {"id", "project_id", "column_id", "swimlane_id", "category_id", "owner_id", "creator_id", "title",
		"description", "color_id", "position", "is_active", "date_due", "date_started", "score", "priority",
		"reference", "time_spent", "time_estimated", "date_creation", "date_modification", "date_moved",
		"date_completed", "recurrence_status", "external_provider"},
	"comments":              {"id", "task_id", "user_id", "comment", "date_creation", "date_modification", "visibility", "reference"},
	"subtasks":              {"id", "task_id", "title", "status", "user_id", "time_estimated", "time_spent", "position"},
	"task_has_files":        {"id", "task_id", "name", "path", "user_id", "date", "size"},
	"project_has_files":     {"id", "project_id", "name", "path", "user_id", "date", "size"},
	"subtask_time_tracking": {"id", "user_id", "subtask_id", "start", "end", "time_spent"},
	"links":                 {"id", "label", "opposite_id"},
	"task_has_links":        {"id", "link_id", "task_id", "opposite_task_id"},
	"task_has_external_links": {"id", "link_type", "dependency", "title", "url", "date_creation", "date_modification",
		"task_id", "creator_id"},
	"task_has_metadata":    {"task_id", "name", "value", "changed_by", "changed_on"},
	"project_has_metadata": {"project_id", "name", "value", "changed_by", "changed_on"},
}

// kanboardLeftOut is what Hookboard cannot hold (yet): the report counts
// each, when its table exists, so nobody learns of the loss later.
var kanboardLeftOut = []struct{ what, table, where, why string }{
	{"user metadata", "user_has_metadata", "", "Hookboard has no user metadata"},
	{"custom project roles", "project_has_roles", "", "Hookboard has the three built-in project roles only"},
	{"saved filters", "custom_filters", "", "Hookboard has no saved filters"},
	{"predefined task descriptions", "predefined_task_descriptions", "", "Hookboard has no task templates"},
	{"recurring tasks", "tasks", "recurrence_status <> 0", "Hookboard has no recurrence; the tasks came over without it"},
	{"tasks from an external provider", "tasks", "COALESCE(external_provider, '') <> ''", "the tasks came over without their external link"},
	{"comment references", "comments", "COALESCE(reference, '') <> ''", "Hookboard keeps the comment without its reference"},
	{"personal API tokens", "users", "COALESCE(api_access_token, '') <> ''", "Hookboard stores tokens hashed; create new ones with 'hookboard token add'"},
	{"two-factor authentication", "users", "COALESCE(twofactor_activated, 0) = 1", "Hookboard has none; these users log in with their password alone"},
	{"public board access", "projects", "COALESCE(is_public, 0) = 1", "Hookboard has no public boards"},
	{"everybody-allowed projects", "projects", "COALESCE(is_everybody_allowed, 0) = 1", "add the project's users as members"},
	{"the application API token", "settings", "option = 'api_token' AND COALESCE(value, '') <> ''", "create an API integration: 'hookboard integration add NAME -kind api'"},
	{"the outgoing webhook URL", "settings", "option = 'webhook_url' AND COALESCE(value, '') <> ''", "add it as an endpoint: 'hookboard webhook add -url URL'"},
	{"activity stream entries", "project_activities", "", "history; Hookboard's activity starts with its own events"},
	{"column transitions", "transitions", "", "history of moves between columns"},
	{"notification settings", "user_has_notification_types", "", "Hookboard notifies through outgoing webhooks"},
}

// ImportKanboard copies a Kanboard SQLite database (path) into this store
// in one transaction: users (with their bcrypt hashes, so passwords keep
// working), projects with their members, columns, swimlanes, categories and
// tags, tasks with their tags, comments, subtasks, links between tasks,
// external links, metadata, subtask timers and, from opts.FilesDir, task and
// project files. A kind keeps Kanboard's ids when its Hookboard table
// is empty and is renumbered otherwise, every reference following. It
// writes no events: an import brings history, not changes for receivers to
// act on. On any error nothing is changed.
func (s *Store) ImportKanboard(ctx context.Context, path string, opts KanboardImport) (ImportReport, error) {
	src, cleanup, err := openKanboard(path)
	if err != nil {
		return ImportReport{}, fmt.Errorf("store: import kanboard: %w", err)
	}
	defer cleanup()
	im := &kbImporter{s: s, ctx: ctx, src: src}
	if err := im.recognise(); err != nil {
		return ImportReport{}, fmt.Errorf("store: import kanboard: %w", err)
	}
	if opts.FilesDir != "" {
		if im.files, err = os.OpenRoot(opts.FilesDir); err != nil {
			return ImportReport{}, fmt.Errorf("store: import kanboard: files folder: %w", err)
		}
		defer im.files.Close()
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// A retried call starts over: nothing of a rolled-back try is kept.
		im.reset(ctx, tx)
		return im.run()
	})
	if err != nil {
		return ImportReport{}, fmt.Errorf("store: import kanboard: %w", err)
	}
	return im.report(), nil
}

// openKanboard opens a private copy of the Kanboard file (and its
// write-ahead log), so the import never writes next to Kanboard's data,
// not even the -shm file SQLite creates on open.
func openKanboard(path string) (*sql.DB, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	header := make([]byte, 16)
	_, err = io.ReadFull(f, header)
	f.Close()
	if err != nil || !bytes.Equal(header, []byte("SQLite format 3\x00")) {
		return nil, nil, fmt.Errorf("%s is not an SQLite file: %w", path, ErrNotKanboard)
	}
	dir, err := os.MkdirTemp("", "hookboard-import-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	copyPath := filepath.Join(dir, "kanboard.sqlite")
	for _, suffix := range []string{"", "-wal"} {
		err := copyFile(path+suffix, copyPath+suffix)
		if suffix != "" && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	q := url.Values{}
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+copyPath+"?"+q.Encode())
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	return db, func() { db.Close(); cleanup() }, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// kbImporter is one import: the Kanboard source, the Hookboard transaction,
// and the ids it has mapped so far.
type kbImporter struct {
	s      *Store
	ctx    context.Context
	src    *sql.DB
	files  *os.Root // nil: files are not imported
	schema int
	tables map[string]bool // the Kanboard tables that exist

	tx      *sql.Tx
	ids     map[string]map[int64]int64 // kind -> Kanboard id -> Hookboard id
	keep    map[string]bool            // kinds that keep Kanboard's ids
	counts  map[string]int
	skipped []ImportCount
	matched []string
	warns   []string
}

// recognise refuses a file that is not Kanboard's, or is too old to read.
func (im *kbImporter) recognise() error {
	rows, err := im.src.QueryContext(im.ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotKanboard, err)
	}
	im.tables = map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		im.tables[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotKanboard, err)
	}
	for _, t := range kanboardCore {
		if !im.tables[t] {
			return fmt.Errorf("%w: it has no %s table", ErrNotKanboard, t)
		}
	}
	if err := im.src.QueryRowContext(im.ctx, `PRAGMA user_version`).Scan(&im.schema); err != nil {
		return err
	}
	for _, table := range slices.Sorted(maps.Keys(kanboardColumns)) {
		have := map[string]bool{}
		rows, err := im.src.QueryContext(im.ctx, `SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			have[c] = true
		}
		rows.Close()
		for _, c := range kanboardColumns[table] {
			if !have[c] {
				return fmt.Errorf("this Kanboard database (schema version %d) has no %s.%s: upgrade Kanboard to a current 1.2 release, open it once so it updates its database, and import again",
					im.schema, table, c)
			}
		}
	}
	return nil
}

// catchUpIDs moves PostgreSQL's id sequences past the Kanboard ids kept:
// an explicit id does not move them, and the next row would take one of
// those ids. SQLite picks max(id)+1 by itself.
func (im *kbImporter) catchUpIDs() error {
	if !im.s.pg {
		return nil
	}
	for _, k := range importKinds {
		if im.keep[k.kind] && !importNoIDs[k.table] {
			if err := catchUpIdentity(im.ctx, im.tx, k.table); err != nil {
				return err
			}
		}
	}
	return nil
}

// reset readies the importer for a try in tx, whose statements take ctx:
// the write call's context, which a caller giving up does not stop.
func (im *kbImporter) reset(ctx context.Context, tx *sql.Tx) {
	im.ctx, im.tx = ctx, tx
	im.ids = map[string]map[int64]int64{}
	im.keep = map[string]bool{}
	im.counts = map[string]int{}
	im.skipped, im.matched, im.warns = nil, nil, nil
}

func (im *kbImporter) run() error {
	for _, k := range importKinds {
		im.ids[k.kind] = map[int64]int64{}
		var empty bool
		if err := im.tx.QueryRowContext(im.ctx, `SELECT NOT EXISTS (SELECT 1 FROM `+k.table+`)`).Scan(&empty); err != nil {
			return err
		}
		im.keep[k.kind] = empty
	}
	for _, step := range []func() error{
		im.users, im.projects, im.members, im.groups, im.groupMembers, im.projectGroups, im.columns, im.swimlanes, im.categories, im.tags,
		im.tasks, im.taskTags, im.comments, im.subtasks, im.taskFiles, im.projectFiles, im.timeTracking, im.links, im.taskLinks, im.externalLinks,
		im.taskMetadata, im.projectMetadata, im.actions, im.leftOut, im.catchUpIDs,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	var admins int
	if err := im.tx.QueryRowContext(im.ctx, `SELECT count(*) FROM users WHERE role = 'app-admin' AND is_active = 1`).Scan(&admins); err != nil {
		return err
	}
	if admins == 0 {
		im.warn("there is no active admin: create one with 'hookboard user add NAME -admin'")
	}
	return nil
}

// each runs a query on the Kanboard copy and calls fn for every row.
func (im *kbImporter) each(query string, fn func(rows *sql.Rows) error) error {
	rows, err := im.src.QueryContext(im.ctx, query)
	if err != nil {
		return fmt.Errorf("read kanboard: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insert writes one row of kind into table, with Kanboard's id when the
// kind keeps ids, and remembers the id it got.
func (im *kbImporter) insert(kind, table string, kbID int64, cols string, args ...any) error {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
	if im.keep[kind] {
		cols, marks = "id, "+cols, "?, "+marks
		args = append([]any{kbID}, args...)
	}
	id, err := insert(im.ctx, im.tx, `INSERT INTO `+table+` (`+cols+`) VALUES (`+marks+`)`, args...)
	if err != nil {
		return fmt.Errorf("kanboard %s row %d: %w", kind, kbID, err)
	}
	im.ids[kind][kbID] = id
	im.counts[kind]++
	return nil
}

// ref is the Hookboard id of a Kanboard reference of kind: NULL for
// Kanboard's 0 ("none") and for a row that was not imported.
func (im *kbImporter) ref(kind string, kbID int64) sql.NullInt64 {
	id, ok := im.ids[kind][kbID]
	return sql.NullInt64{Int64: id, Valid: ok && kbID != 0}
}

// parent is the Hookboard id of a row's required parent; ok is false (and
// the row is counted as left out) when the parent was not imported.
func (im *kbImporter) parent(what, kind string, kbID int64) (int64, bool) {
	id, ok := im.ids[kind][kbID]
	if !ok {
		im.skip(what, "its "+strings.TrimSuffix(kind, "s")+" was not imported")
	}
	return id, ok
}

func (im *kbImporter) skip(what, why string) { im.skipN(what, why, 1) }

func (im *kbImporter) skipN(what, why string, n int) {
	for i := range im.skipped {
		if im.skipped[i].What == what && im.skipped[i].Why == why {
			im.skipped[i].Count += n
			return
		}
	}
	im.skipped = append(im.skipped, ImportCount{What: what, Count: n, Why: why})
}

func (im *kbImporter) warn(format string, args ...any) {
	im.warns = append(im.warns, fmt.Sprintf(format, args...))
}

func (im *kbImporter) users() error {
	now := im.s.now().Unix()
	noPassword := 0
	err := im.each(`SELECT id, username, COALESCE(password, ''), COALESCE(name, ''), COALESCE(email, ''),
		COALESCE(role, ''), COALESCE(is_active, 1) FROM users ORDER BY id`, func(rows *sql.Rows) error {
		var id, active int64
		var username, hash, name, email, role string
		if err := rows.Scan(&id, &username, &hash, &name, &email, &role, &active); err != nil {
			return err
		}
		if err := validateUsername(username); err != nil {
			im.skip("users", "the username is not one Hookboard accepts")
			im.warn("user %q was not imported: %v; what they own or wrote came over without them", username, err)
			return nil
		}
		var existing int64
		err := im.tx.QueryRowContext(im.ctx, `SELECT id FROM users WHERE lower(username) = lower(?)`, username).Scan(&existing)
		if err == nil {
			im.ids["users"][id] = existing
			im.matched = append(im.matched, username)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !slices.Contains([]string{RoleAdmin, RoleManager, RoleUser}, role) {
			im.warn("user %s had the role %q, which Hookboard does not know: imported as %s", username, role, RoleUser)
			role = RoleUser
		}
		// Kanboard's hashes are bcrypt ($2y$), which Go's bcrypt checks
		// as they are.
		if hash == "" {
			noPassword++
		}
		return im.insert("users", "users", id, "username, name, email, password_hash, role, is_active, created_at",
			username, name, email, hash, role, boolInt(active != 0), now)
	})
	if noPassword > 0 {
		im.warn("%s no password (LDAP or single sign-on accounts in Kanboard): set one with 'hookboard user passwd NAME'",
			pluralHave(noPassword, "user"))
	}
	return err
}

func pluralHave(n int, noun string) string {
	if n == 1 {
		return "1 " + noun + " has"
	}
	return fmt.Sprintf("%d %ss have", n, noun)
}

func (im *kbImporter) projects() error {
	now := im.s.now().Unix()
	return im.each(`SELECT id, name, COALESCE(description, ''), COALESCE(identifier, ''), COALESCE(is_active, 1),
		COALESCE(owner_id, 0), COALESCE(last_modified, 0), COALESCE(email, ''), COALESCE(start_date, ''),
		COALESCE(end_date, ''), COALESCE(priority_default, 0), COALESCE(priority_start, 0), COALESCE(priority_end, 3),
		COALESCE(task_limit, 0), COALESCE(per_swimlane_task_limits, 0), COALESCE(enable_global_tags, 1),
		COALESCE(is_private, 0)
		FROM projects ORDER BY id`, func(rows *sql.Rows) error {
		var id, active, owner, modified, prDefault, prStart, prEnd, limit, perLane, globalTags, private int64
		var name, desc, ident, email, start, end string
		if err := rows.Scan(&id, &name, &desc, &ident, &active, &owner, &modified, &email, &start, &end,
			&prDefault, &prStart, &prEnd, &limit, &perLane, &globalTags, &private); err != nil {
			return err
		}
		var again bool
		if err := im.tx.QueryRowContext(im.ctx, `SELECT EXISTS (SELECT 1 FROM projects WHERE name = ?)`, name).Scan(&again); err != nil {
			return err
		}
		if again {
			im.warn("Hookboard had a project named %q already: was this database imported before?", name)
		}
		// A project's identifier and email are unique in Hookboard (an
		// email names the project mail goes to): one already taken is left
		// empty, and said so.
		for _, field := range []struct {
			column string
			value  *string
		}{{"identifier", &ident}, {"email", &email}} {
			if *field.value == "" {
				continue
			}
			var taken bool
			if err := im.tx.QueryRowContext(im.ctx, `SELECT EXISTS (SELECT 1 FROM projects WHERE `+field.column+` = ?)`,
				*field.value).Scan(&taken); err != nil {
				return err
			}
			if taken {
				im.warn("project %q: its %s %q is another Hookboard project's already, so it was left empty", name, field.column, *field.value)
				*field.value = ""
			}
		}
		// Kanboard keeps no creation time for a project: its last change
		// is the best there is.
		if modified == 0 {
			modified = now
		}
		return im.insert("projects", "projects", id, `name, description, identifier, is_active, owner_id, created_at,
			modified_at, email, start_date, end_date, priority_default, priority_start, priority_end, task_limit,
			per_swimlane_task_limits, enable_global_tags, is_private`,
			name, desc, ident, boolInt(active != 0), im.ref("users", owner), modified, modified, email, start, end,
			prDefault, prStart, prEnd, limit, boolInt(perLane != 0), boolInt(globalTags != 0), boolInt(private != 0))
	})
}

func (im *kbImporter) members() error {
	return im.each(`SELECT project_id, user_id, COALESCE(role, '') FROM project_has_users ORDER BY project_id, user_id`,
		func(rows *sql.Rows) error {
			var project, user int64
			var role string
			if err := rows.Scan(&project, &user, &role); err != nil {
				return err
			}
			return im.pair("project members", "projects", project, "users", user, "the member", role,
				`INSERT INTO project_users (project_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
		})
}

// pair brings a row joining two imported rows (a project member, a group
// member, a project group): one whose either side was not imported is left
// out, and one already there (in a group Hookboard had) is not counted.
// With who, the row has a role: a Kanboard custom role restricts, so who
// becomes a project-viewer, the role that grants no more than it did.
func (im *kbImporter) pair(what, kindA string, a int64, kindB string, b int64, who, role, insert string) error {
	ha, ok := im.parent(what, kindA, a)
	if !ok {
		return nil
	}
	hb, ok := im.parent(what, kindB, b)
	if !ok {
		return nil
	}
	args := []any{ha, hb}
	if who != "" {
		if !IsProjectRole(role) {
			im.skip("project roles", "custom role "+role+": "+who+" became a project-viewer")
			role = ProjectViewer
		}
		args = append(args, role)
	}
	res, err := im.tx.ExecContext(im.ctx, insert, args...)
	if err != nil {
		return fmt.Errorf("kanboard %s: %w", strings.TrimSuffix(what, "s"), err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		im.counts[what]++
	}
	return nil
}

// groups brings Kanboard's groups; one whose name Hookboard has (ignoring
// case, as Kanboard's NOCASE column) is that group.
func (im *kbImporter) groups() error {
	if !im.tables["groups"] {
		return nil
	}
	return im.each(`SELECT id, name, COALESCE(external_id, '') FROM groups ORDER BY id`, func(rows *sql.Rows) error {
		var id int64
		var name, external string
		if err := rows.Scan(&id, &name, &external); err != nil {
			return err
		}
		if err := validateGroup(name, external); err != nil {
			im.skip("groups", "the name or external id is not one Hookboard accepts")
			im.warn("group %q was not imported: %v; its members keep only their own project roles", name, err)
			return nil
		}
		var existing int64
		err := im.tx.QueryRowContext(im.ctx, `SELECT id FROM groups WHERE lower(name) = lower(?)`, name).Scan(&existing)
		if err == nil {
			im.ids["groups"][id] = existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return im.insert("groups", "groups", id, "name, external_id", name, external)
	})
}

func (im *kbImporter) groupMembers() error {
	if !im.tables["group_has_users"] {
		return nil
	}
	return im.each(`SELECT group_id, user_id FROM group_has_users ORDER BY group_id, user_id`, func(rows *sql.Rows) error {
		var group, user int64
		if err := rows.Scan(&group, &user); err != nil {
			return err
		}
		return im.pair("group members", "groups", group, "users", user, "", "",
			`INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	})
}

func (im *kbImporter) projectGroups() error {
	if !im.tables["project_has_groups"] {
		return nil
	}
	return im.each(`SELECT project_id, group_id, COALESCE(role, '') FROM project_has_groups ORDER BY project_id, group_id`,
		func(rows *sql.Rows) error {
			var project, group int64
			var role string
			if err := rows.Scan(&project, &group, &role); err != nil {
				return err
			}
			return im.pair("project groups", "projects", project, "groups", group, "the group", role,
				`INSERT INTO project_groups (project_id, group_id, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
		})
}

func (im *kbImporter) columns() error {
	return im.each(`SELECT id, project_id, title, COALESCE(position, 0), CAST(COALESCE(task_limit, 0) AS INTEGER),
		COALESCE(description, ''), COALESCE(hide_in_dashboard, 0) FROM columns ORDER BY project_id, position, id`,
		func(rows *sql.Rows) error {
			var id, project, position, limit, hide int64
			var title, desc string
			if err := rows.Scan(&id, &project, &title, &position, &limit, &desc, &hide); err != nil {
				return err
			}
			p, ok := im.parent("columns", "projects", project)
			if !ok {
				return nil
			}
			return im.insert("columns", "columns", id, "project_id, title, position, task_limit, description, hide_in_dashboard",
				p, title, position, limit, desc, boolInt(hide != 0))
		})
}

func (im *kbImporter) swimlanes() error {
	// Kanboard puts a task given no swimlane in the project's first active
	// one: that is Hookboard's default swimlane.
	hasDefault := map[int64]bool{}
	return im.each(`SELECT id, project_id, name, COALESCE(description, ''), COALESCE(position, 0), COALESCE(is_active, 1),
		COALESCE(task_limit, 0),
		id = (SELECT d.id FROM swimlanes d WHERE d.project_id = swimlanes.project_id
		      ORDER BY COALESCE(d.is_active, 1) DESC, d.position, d.id LIMIT 1)
		FROM swimlanes ORDER BY project_id, position, id`, func(rows *sql.Rows) error {
		var id, project, position, active, limit int64
		var name, desc string
		var isDefault bool
		if err := rows.Scan(&id, &project, &name, &desc, &position, &active, &limit, &isDefault); err != nil {
			return err
		}
		p, ok := im.parent("swimlanes", "projects", project)
		if !ok {
			return nil
		}
		isDefault = isDefault && !hasDefault[p]
		hasDefault[p] = hasDefault[p] || isDefault
		return im.insert("swimlanes", "swimlanes", id, "project_id, name, description, position, is_active, task_limit, is_default",
			p, name, desc, position, boolInt(active != 0), limit, boolInt(isDefault))
	})
}

// knownColor keeps a color Hookboard has, else "" (none).
func knownColor(id string) string {
	if _, ok := ColorByID(id); ok {
		return id
	}
	return ""
}

func (im *kbImporter) categories() error {
	return im.each(`SELECT id, project_id, name, COALESCE(description, ''), COALESCE(color_id, '')
		FROM project_has_categories ORDER BY id`, func(rows *sql.Rows) error {
		var id, project int64
		var name, desc, color string
		if err := rows.Scan(&id, &project, &name, &desc, &color); err != nil {
			return err
		}
		p, ok := im.parent("categories", "projects", project)
		if !ok {
			return nil
		}
		return im.insert("categories", "categories", id, "project_id, name, description, color_id", p, name, desc, knownColor(color))
	})
}

func (im *kbImporter) tags() error {
	return im.each(`SELECT id, project_id, name, COALESCE(color_id, '') FROM tags ORDER BY id`, func(rows *sql.Rows) error {
		var id, project int64
		var name, color string
		if err := rows.Scan(&id, &project, &name, &color); err != nil {
			return err
		}
		var p int64 // 0: a global tag
		if project != 0 {
			var ok bool
			if p, ok = im.parent("tags", "projects", project); !ok {
				return nil
			}
		}
		// A global tag Hookboard already has is the same tag.
		var existing int64
		err := im.tx.QueryRowContext(im.ctx, `SELECT id FROM tags WHERE project_id = ? AND name = ?`, p, name).Scan(&existing)
		if err == nil {
			im.ids["tags"][id] = existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return im.insert("tags", "tags", id, "project_id, name, color_id", p, name, knownColor(color))
	})
}

func (im *kbImporter) tasks() error {
	// Where each imported column and swimlane belongs, to refuse a task
	// placed across projects.
	owner := map[string]map[int64]int64{"columns": {}, "swimlanes": {}}
	firstLane := map[int64]int64{} // Hookboard project -> default swimlane
	for _, t := range []string{"columns", "swimlanes"} {
		rows, err := im.tx.QueryContext(im.ctx, `SELECT id, project_id FROM `+t)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, p int64
			if err := rows.Scan(&id, &p); err != nil {
				rows.Close()
				return err
			}
			owner[t][id] = p
		}
		rows.Close()
	}
	if err := im.eachTx(`SELECT project_id, id FROM swimlanes WHERE is_default = 1`, func(p, id int64) { firstLane[p] = id }); err != nil {
		return err
	}
	unknownColors := 0
	err := im.each(`SELECT id, COALESCE(project_id, 0), COALESCE(column_id, 0), COALESCE(swimlane_id, 0),
		COALESCE(category_id, 0), COALESCE(owner_id, 0), COALESCE(creator_id, 0), title, COALESCE(description, ''),
		COALESCE(color_id, ''), COALESCE(position, 0), COALESCE(is_active, 1), COALESCE(date_due, 0),
		COALESCE(date_started, 0), COALESCE(score, 0), COALESCE(priority, 0), COALESCE(reference, ''),
		COALESCE(time_spent, 0), COALESCE(time_estimated, 0), COALESCE(date_creation, 0),
		COALESCE(date_modification, 0), COALESCE(date_moved, 0), COALESCE(date_completed, 0)
		FROM tasks ORDER BY id`, func(rows *sql.Rows) error {
		var id, project, column, lane, category, ownerID, creator, position, active, due, started, score, priority int64
		var created, modified, moved, completed int64
		var spent, estimated float64
		var title, desc, color, reference string
		if err := rows.Scan(&id, &project, &column, &lane, &category, &ownerID, &creator, &title, &desc, &color,
			&position, &active, &due, &started, &score, &priority, &reference, &spent, &estimated, &created,
			&modified, &moved, &completed); err != nil {
			return err
		}
		p, ok := im.parent("tasks", "projects", project)
		if !ok {
			return nil
		}
		col, ok := im.ids["columns"][column]
		if !ok || owner["columns"][col] != p {
			im.skip("tasks", "its column is not one of its project's")
			return nil
		}
		// Older Kanboards used swimlane 0 for the default swimlane.
		sl, ok := im.ids["swimlanes"][lane]
		if lane == 0 {
			sl, ok = firstLane[p]
		}
		if !ok || owner["swimlanes"][sl] != p {
			im.skip("tasks", "its swimlane is not one of its project's")
			return nil
		}
		if _, known := ColorByID(color); !known {
			unknownColors++
			color = DefaultColor
		}
		if modified == 0 {
			modified = created
		}
		if moved == 0 {
			moved = created
		}
		return im.insert("tasks", "tasks", id, `project_id, column_id, swimlane_id, category_id, owner_id, creator_id,
			title, description, color_id, position, is_active, date_due, date_started, score, priority, reference,
			time_spent, time_estimated, created_at, modified_at, moved_at, completed_at`,
			p, col, sl, im.ref("categories", category), im.ref("users", ownerID), im.ref("users", creator),
			title, desc, color, position, boolInt(active != 0), due, started, score, priority, reference,
			spent, estimated, created, modified, moved, nullInt(completed))
	})
	if unknownColors > 0 {
		im.warn("tasks with a color Hookboard does not know: %d (they are %s now)", unknownColors, DefaultColor)
	}
	return err
}

// eachTx reads id pairs from the Hookboard transaction.
func (im *kbImporter) eachTx(query string, fn func(a, b int64)) error {
	rows, err := im.tx.QueryContext(im.ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	return rows.Err()
}

func (im *kbImporter) taskTags() error {
	return im.each(`SELECT task_id, tag_id FROM task_has_tags ORDER BY task_id, tag_id`, func(rows *sql.Rows) error {
		var task, tag int64
		if err := rows.Scan(&task, &tag); err != nil {
			return err
		}
		t, ok := im.parent("task tags", "tasks", task)
		if !ok {
			return nil
		}
		g, ok := im.parent("task tags", "tags", tag)
		if !ok {
			return nil
		}
		res, err := im.tx.ExecContext(im.ctx, `INSERT INTO task_tags (task_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, t, g)
		if err != nil {
			return fmt.Errorf("kanboard task tag: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			im.counts["task tags"]++
		}
		return nil
	})
}

func (im *kbImporter) comments() error {
	return im.each(`SELECT id, task_id, COALESCE(user_id, 0), comment, COALESCE(date_creation, 0),
		COALESCE(date_modification, date_creation, 0), COALESCE(visibility, 'app-user') FROM comments ORDER BY id`,
		func(rows *sql.Rows) error {
			var id, task, user, created, modified int64
			var text, visibility string
			if err := rows.Scan(&id, &task, &user, &text, &created, &modified, &visibility); err != nil {
				return err
			}
			t, ok := im.parent("comments", "tasks", task)
			if !ok {
				return nil
			}
			// Hookboard shows every comment to everyone who sees its task:
			// one Kanboard kept from some of them stays out rather than
			// being shown to them.
			if visibility != RoleUser {
				im.skip("comments", "visible only to "+visibility+" in Kanboard; Hookboard has no comment visibility yet")
				return nil
			}
			return im.insert("comments", "comments", id, "task_id, user_id, comment, created_at, modified_at",
				t, im.ref("users", user), text, created, modified)
		})
}

func (im *kbImporter) subtasks() error {
	return im.each(`SELECT id, task_id, title, COALESCE(status, 0), COALESCE(user_id, 0), COALESCE(time_estimated, 0),
		COALESCE(time_spent, 0), COALESCE(position, 0) FROM subtasks ORDER BY id`, func(rows *sql.Rows) error {
		var id, task, status, user, position int64
		var estimated, spent float64
		var title string
		if err := rows.Scan(&id, &task, &title, &status, &user, &estimated, &spent, &position); err != nil {
			return err
		}
		t, ok := im.parent("subtasks", "tasks", task)
		if !ok {
			return nil
		}
		if status < SubtaskTodo || status > SubtaskDone {
			im.warn("subtask %d had the status %d: imported as to do", id, status)
			status = SubtaskTodo
		}
		return im.insert("subtasks", "subtasks", id, "task_id, title, status, user_id, time_estimated, time_spent, position",
			t, title, status, im.ref("users", user), estimated, spent, position)
	})
}

func (im *kbImporter) taskFiles() error {
	return im.importFiles("files", "task_has_files", "task_id", "tasks", "task_files")
}

func (im *kbImporter) projectFiles() error {
	return im.importFiles("project files", "project_has_files", "project_id", "projects", "project_files")
}

// importFiles brings the files of one Kanboard table (task or project files,
// parent the column naming their task or project) from the files folder.
func (im *kbImporter) importFiles(kind, from, parent, parentKind, table string) error {
	return im.each(`SELECT id, `+parent+`, name, COALESCE(path, ''), COALESCE(user_id, 0), COALESCE(date, 0)
		FROM `+from+` ORDER BY id`, func(rows *sql.Rows) error {
		var id, owner, user, created int64
		var name, path string
		if err := rows.Scan(&id, &owner, &name, &path, &user, &created); err != nil {
			return err
		}
		o, ok := im.parent(kind, parentKind, owner)
		if !ok {
			return nil
		}
		if im.files == nil {
			im.skip(kind, "no files folder was given (-files DIR: Kanboard's data/files)")
			return nil
		}
		clean, err := cleanFileName(name)
		if err != nil {
			im.skip(kind, "the file name is not one Hookboard accepts")
			return nil
		}
		// The path comes from the database: one that leaves the files
		// folder is not followed.
		if !filepath.IsLocal(path) {
			im.skip(kind, "its path leaves the files folder")
			return nil
		}
		data, err := im.readFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			im.skip(kind, "missing from the files folder")
			return nil
		}
		if err != nil {
			return fmt.Errorf("kanboard %s %d (%s): %w", kind, id, path, err)
		}
		return im.insert(kind, table, id, parent+", user_id, name, mime_type, size, data, created_at",
			o, im.ref("users", user), clean, guessMimeType(clean, data), len(data), data, created)
	})
}

// timeTracking brings the subtask timers, stopped and running. Their hours
// are already in the subtasks' time_spent, as in Kanboard.
func (im *kbImporter) timeTracking() error {
	running := map[[2]int64]bool{}
	return im.each(`SELECT id, user_id, subtask_id, COALESCE(start, 0), COALESCE("end", 0), COALESCE(time_spent, 0)
		FROM subtask_time_tracking ORDER BY id`, func(rows *sql.Rows) error {
		var id, user, subtask, start, end int64
		var spent float64
		if err := rows.Scan(&id, &user, &subtask, &start, &end, &spent); err != nil {
			return err
		}
		st, ok := im.parent("subtask time tracking", "subtasks", subtask)
		if !ok {
			return nil
		}
		u := im.ref("users", user)
		if !u.Valid {
			im.skip("subtask time tracking", "its user was not imported")
			return nil
		}
		if end == 0 {
			// Hookboard keeps one running timer per user and subtask.
			key := [2]int64{st, u.Int64}
			if running[key] {
				im.skip("subtask time tracking", "a second running timer of the same user on the same subtask")
				return nil
			}
			running[key] = true
		}
		return im.insert("subtask time tracking", "subtask_time_tracking", id, "subtask_id, user_id, start_at, end_at, time_spent",
			st, u, start, end, spent)
	})
}

func (im *kbImporter) readFile(path string) ([]byte, error) {
	f, err := im.files.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// links maps Kanboard's link types to Hookboard's by label, adding those
// Hookboard lacks (a Kanboard's own types) with their opposites.
func (im *kbImporter) links() error {
	opposites := map[int64]int64{} // new Hookboard link -> Kanboard opposite
	err := im.each(`SELECT id, label, COALESCE(opposite_id, 0) FROM links ORDER BY id`, func(rows *sql.Rows) error {
		var id, opposite int64
		var label string
		if err := rows.Scan(&id, &label, &opposite); err != nil {
			return err
		}
		var existing int64
		err := im.tx.QueryRowContext(im.ctx, `SELECT id FROM links WHERE label = ?`, label).Scan(&existing)
		if err == nil {
			im.ids["link types"][id] = existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := validateLinkLabel(label); err != nil {
			im.skip("link types", "the label is not one Hookboard accepts")
			return nil
		}
		newID, err := insert(im.ctx, im.tx, `INSERT INTO links (label) VALUES (?)`, label)
		if err != nil {
			return fmt.Errorf("kanboard link type %d: %w", id, err)
		}
		im.ids["link types"][id] = newID
		opposites[im.ids["link types"][id]] = opposite
		im.counts["link types"]++
		return nil
	})
	if err != nil {
		return err
	}
	for hb, kb := range opposites {
		if _, err := im.tx.ExecContext(im.ctx, `UPDATE links SET opposite_id = ? WHERE id = ?`, im.ids["link types"][kb], hb); err != nil {
			return err
		}
	}
	return nil
}

func (im *kbImporter) taskLinks() error {
	const what = "task links"
	return im.each(`SELECT id, link_id, task_id, opposite_task_id FROM task_has_links ORDER BY id`, func(rows *sql.Rows) error {
		var id, link, task, opposite int64
		if err := rows.Scan(&id, &link, &task, &opposite); err != nil {
			return err
		}
		l, ok := im.parent(what, "link types", link)
		if !ok {
			return nil
		}
		t, ok := im.parent(what, "tasks", task)
		if !ok {
			return nil
		}
		o, ok := im.parent(what, "tasks", opposite)
		if !ok {
			return nil
		}
		return im.insert(what, "task_links", id, "link_id, task_id, opposite_task_id", l, t, o)
	})
}

func (im *kbImporter) externalLinks() error {
	const what = "external links"
	return im.each(`SELECT id, task_id, COALESCE(link_type, ''), COALESCE(dependency, ''), COALESCE(title, ''), COALESCE(url, ''),
		COALESCE(creator_id, 0), COALESCE(date_creation, 0), COALESCE(date_modification, date_creation, 0)
		FROM task_has_external_links ORDER BY id`, func(rows *sql.Rows) error {
		var id, task, creator, created, modified int64
		var e ExternalLink
		if err := rows.Scan(&id, &task, &e.LinkType, &e.Dependency, &e.Title, &e.URL, &creator, &created, &modified); err != nil {
			return err
		}
		t, ok := im.parent(what, "tasks", task)
		if !ok {
			return nil
		}
		if err := validateExternalLink(e); err != nil {
			im.skip(what, "not a link Hookboard accepts: "+err.Error())
			return nil
		}
		return im.insert(what, "task_external_links", id,
			"task_id, link_type, dependency, title, url, creator_id, created_at, modified_at",
			t, e.LinkType, e.Dependency, e.Title, e.URL, im.ref("users", creator), created, modified)
	})
}

// metadata copies one kind of Kanboard metadata: of tasks or projects.
func (im *kbImporter) metadata(what, from, key, parentKind string, to metadataOf) error {
	return im.each(`SELECT `+key+`, name, COALESCE(value, ''), COALESCE(changed_by, 0), COALESCE(changed_on, 0)
		FROM `+from+` ORDER BY `+key+`, name`, func(rows *sql.Rows) error {
		var owner, by, on int64
		var name, value string
		if err := rows.Scan(&owner, &name, &value, &by, &on); err != nil {
			return err
		}
		p, ok := im.parent(what, parentKind, owner)
		if !ok {
			return nil
		}
		if err := validateMetadata(name, value); err != nil {
			im.skip(what, "not a name and value Hookboard accepts")
			return nil
		}
		if _, err := im.tx.ExecContext(im.ctx, `INSERT INTO `+to.table+` (`+to.key+`, name, value, changed_by, changed_on)
			VALUES (?, ?, ?, ?, ?)`, p, name, value, im.ref("users", by), on); err != nil {
			return fmt.Errorf("kanboard %s: %w", what, err)
		}
		im.counts[what]++
		return nil
	})
}

func (im *kbImporter) taskMetadata() error {
	return im.metadata("task metadata", "task_has_metadata", "task_id", "tasks", taskMetadata)
}

func (im *kbImporter) projectMetadata() error {
	return im.metadata("project metadata", "project_has_metadata", "project_id", "projects", projectMetadata)
}

// actionRefs are the kinds of what an action's parameters name, by name.
var actionRefs = map[string]string{"column_id": "columns", "src_column_id": "columns", "dest_column_id": "columns",
	"swimlane_id": "swimlanes", "dest_swimlane_id": "swimlanes", "category_id": "categories", "user_id": "users",
	"project_id": "projects", "link_id": "link types"}

// actions brings the automatic actions whose action Hookboard has (not
// the mail ones, nor plugins'), their parameters naming the imported rows.
func (im *kbImporter) actions() error {
	const what = "automatic actions"
	if !im.tables["actions"] || !im.tables["action_has_params"] {
		return nil
	}
	// Kanboard's actions and action_has_params have Hookboard's columns.
	list, err := loadActions(im.ctx, im.src, "1 = 1")
	if err != nil {
		return err
	}
	for _, a := range list {
		p, ok := im.parent(what, "projects", a.ProjectID)
		if !ok {
			continue
		}
		if _, ok := ActionKindByName(a.ActionName); !ok {
			im.skip(what, "Hookboard has not this action (it sends mail, or comes from a plugin)")
			continue
		}
		mapped := make([]ActionParam, 0, len(a.Params))
		for _, prm := range a.Params {
			if kind, ok := actionRefs[prm.Name]; ok {
				n, err := strconv.ParseInt(strings.TrimSpace(prm.Value), 10, 64)
				id, found := im.ids[kind][n]
				if err != nil || !found {
					break
				}
				prm.Value = strconv.FormatInt(id, 10)
			}
			mapped = append(mapped, prm)
		}
		if len(mapped) != len(a.Params) {
			im.skip(what, "a parameter names a row that was not imported")
			continue
		}
		if err := checkAction(im.ctx, im.tx, p, a.EventName, a.ActionName, mapped); err != nil {
			if !errors.Is(err, ErrInvalid) {
				return err
			}
			im.skip(what, "its event or parameters do not fit the action: "+err.Error())
			continue
		}
		if err := im.insert(what, "actions", a.ID, "project_id, event_name, action_name", p, a.EventName, a.ActionName); err != nil {
			return err
		}
		if err := insertActionParams(im.ctx, im.tx, im.ids[what][a.ID], mapped); err != nil {
			return err
		}
	}
	return nil
}

// leftOut counts what Hookboard cannot hold.
func (im *kbImporter) leftOut() error {
	for _, l := range kanboardLeftOut {
		if !im.tables[l.table] {
			continue
		}
		q := `SELECT count(*) FROM ` + l.table
		if l.where != "" {
			q += ` WHERE ` + l.where
		}
		var n int
		if err := im.src.QueryRowContext(im.ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("read kanboard: %w", err)
		}
		if n > 0 {
			im.skipN(l.what, l.why, n)
		}
	}
	return nil
}

func (im *kbImporter) report() ImportReport {
	r := ImportReport{KanboardSchema: im.schema, Imported: []ImportCount{}, KeptIDs: []string{}, Renumbered: []string{},
		MatchedUsers: im.matched, NotImported: im.skipped, Warnings: im.warns}
	for _, k := range importKinds {
		r.Imported = append(r.Imported, ImportCount{What: k.kind, Count: im.counts[k.kind]})
		if importNoIDs[k.table] {
			continue
		}
		if im.keep[k.kind] {
			r.KeptIDs = append(r.KeptIDs, k.kind)
		} else {
			r.Renumbered = append(r.Renumbered, k.kind)
		}
	}
	if r.MatchedUsers == nil {
		r.MatchedUsers = []string{}
	}
	if r.NotImported == nil {
		r.NotImported = []ImportCount{}
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	return r
}
