package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Project is a board and its settings, as Kanboard's project row has them.
type Project struct {
	ID                    int64
	Name                  string
	Description           string
	Identifier            string
	IsActive              bool
	OwnerID               int64
	CreatedAt             int64
	ModifiedAt            int64
	Email                 string
	StartDate             string // YYYY-MM-DD or ""
	EndDate               string
	PriorityDefault       int64
	PriorityStart         int64
	PriorityEnd           int64
	TaskLimit             int64
	PerSwimlaneTaskLimits bool
	EnableGlobalTags      bool
	IsPrivate             bool
}

// ProjectObject is Kanboard's project row (getProjectById without its url,
// and the "project" of project events), in Kanboard's key order. Hookboard
// has no public boards: token is "" and is_public 0.
type ProjectObject struct {
	ID                      int64   `json:"id"`
	Name                    string  `json:"name"`
	IsActive                int     `json:"is_active"`
	Token                   string  `json:"token"`
	LastModified            int64   `json:"last_modified"`
	IsPublic                int     `json:"is_public"`
	IsPrivate               int     `json:"is_private"`
	DefaultSwimlane         string  `json:"default_swimlane"`
	ShowDefaultSwimlane     int     `json:"show_default_swimlane"`
	Description             *string `json:"description"`
	Identifier              string  `json:"identifier"`
	StartDate               string  `json:"start_date"`
	EndDate                 string  `json:"end_date"`
	OwnerID                 int64   `json:"owner_id"`
	PriorityDefault         int64   `json:"priority_default"`
	PriorityStart           int64   `json:"priority_start"`
	PriorityEnd             int64   `json:"priority_end"`
	Email                   *string `json:"email"`
	PredefinedEmailSubjects *string `json:"predefined_email_subjects"`
	PerSwimlaneTaskLimits   int     `json:"per_swimlane_task_limits"`
	TaskLimit               int64   `json:"task_limit"`
	EnableGlobalTags        int     `json:"enable_global_tags"`
	IsEverybodyAllowed      int     `json:"is_everybody_allowed"`
}

// Object is the project as Kanboard shows it.
func (p Project) Object() ProjectObject {
	return ProjectObject{
		ID: p.ID, Name: p.Name, IsActive: boolInt(p.IsActive), LastModified: p.ModifiedAt,
		IsPrivate: boolInt(p.IsPrivate), DefaultSwimlane: DefaultSwimlaneName, ShowDefaultSwimlane: 1,
		Description: nullStr(p.Description), Identifier: p.Identifier, StartDate: p.StartDate, EndDate: p.EndDate,
		OwnerID: p.OwnerID, PriorityDefault: p.PriorityDefault, PriorityStart: p.PriorityStart,
		PriorityEnd: p.PriorityEnd, Email: nullStr(p.Email), PerSwimlaneTaskLimits: boolInt(p.PerSwimlaneTaskLimits),
		TaskLimit: p.TaskLimit, EnableGlobalTags: boolInt(p.EnableGlobalTags),
	}
}

// DefaultColumns are the columns Kanboard gives every new project.
var DefaultColumns = []string{"Backlog", "Ready", "Work in progress", "Done"}

// DefaultSwimlaneName is the name of the swimlane every new project gets.
const DefaultSwimlaneName = "Default swimlane"

// Kanboard's limits on project fields, in characters.
const (
	MaxProjectNameLength = 65535
	MaxIdentifierLength  = 50
)

// NewProject is a project to create. Nil priorities take Kanboard's
// defaults (0, 0 and 3).
type NewProject struct {
	Name            string
	Description     string
	OwnerID         int64
	Identifier      string
	StartDate       string
	EndDate         string
	Email           string
	PriorityDefault *int64
	PriorityStart   *int64
	PriorityEnd     *int64
	Private         bool // a user's private project (createMyPrivateProject)
}

// ProjectUpdate lists the fields to change; a nil field is left as it is.
type ProjectUpdate struct {
	Name            *string
	Description     *string
	OwnerID         *int64 // 0 = nobody
	Identifier      *string
	StartDate       *string
	EndDate         *string
	Email           *string
	PriorityDefault *int64
	PriorityStart   *int64
	PriorityEnd     *int64
}

// CreateProject sets up a project with the default columns and swimlane
// and writes no event, like the first start's "Default" project: it makes
// the projects of test fixtures, which expect only the events they cause.
// Every change a person or a script makes goes through AddProject.
func (s *Store) CreateProject(ctx context.Context, name, description string, ownerID int64) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		id, err = s.createProjectTx(ctx, tx, NewProject{Name: name, Description: description, OwnerID: ownerID})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: create project: %w", err)
	}
	return id, nil
}

// AddProject validates p and creates the project with Kanboard's four
// columns and one swimlane, and writes project.create. When a user makes
// it, the owner (that user unless p names another) becomes its
// project-manager, as in Kanboard; an application's project gets no member.
func (s *Store) AddProject(ctx context.Context, actor Actor, p NewProject) (int64, []string, error) {
	if actor.UserID != 0 && p.OwnerID == 0 {
		p.OwnerID = actor.UserID
	}
	var id int64
	events, err := s.taskMutation(ctx, "create project", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		var err error
		if id, err = s.createProjectTx(ctx, tx, p); err != nil {
			return nil, err
		}
		if actor.UserID != 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_users (project_id, user_id, role)
				VALUES (?, ?, 'project-manager') ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`, id, p.OwnerID); err != nil {
				return nil, err
			}
		}
		return s.emitProject(ctx, tx, actor, EventProjectCreate, id, nil)
	})
	return id, events, err
}

// createProjectTx writes a project, its columns and its swimlane (the
// first start's "Default" project too, which no receiver can be waiting for).
func (s *Store) createProjectTx(ctx context.Context, tx *sql.Tx, p NewProject) (int64, error) {
	v := Project{IsActive: true, EnableGlobalTags: true, PriorityEnd: 3}
	u := ProjectUpdate{Name: &p.Name, Description: &p.Description, OwnerID: &p.OwnerID, Identifier: &p.Identifier,
		StartDate: &p.StartDate, EndDate: &p.EndDate, Email: &p.Email,
		PriorityDefault: p.PriorityDefault, PriorityStart: p.PriorityStart, PriorityEnd: p.PriorityEnd}
	if _, err := applyProjectUpdate(ctx, tx, &v, u); err != nil {
		return 0, err
	}
	now := s.now().Unix()
	id, err := insert(ctx, tx, `INSERT INTO projects (name, description, identifier, owner_id, email, start_date,
		end_date, priority_default, priority_start, priority_end, is_private, created_at, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Name, v.Description, v.Identifier, nullInt(v.OwnerID), v.Email, v.StartDate, v.EndDate,
		v.PriorityDefault, v.PriorityStart, v.PriorityEnd, boolInt(p.Private), now, now)
	if err != nil {
		return 0, projectConflict(err)
	}
	for i, title := range DefaultColumns {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO columns (project_id, title, position) VALUES (?, ?, ?)`, id, title, i+1); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO swimlanes (project_id, name, position, is_default) VALUES (?, ?, 1, 1)`,
		id, DefaultSwimlaneName); err != nil {
		return 0, err
	}
	return id, nil
}

// projectConflict names the unique setting another project has.
func projectConflict(err error) error {
	// SQLite names the column, PostgreSQL the unique index.
	switch msg := err.Error(); {
	case strings.Contains(msg, "projects.identifier"), strings.Contains(msg, `"projects_identifier"`):
		return invalid("identifier: another project has it")
	case strings.Contains(msg, "projects.email"), strings.Contains(msg, `"projects_email"`):
		return invalid("email: another project has it")
	}
	return err
}

// applyProjectUpdate validates the given fields of u and writes them into
// p, returning what changed (Kanboard's field names and new values).
func applyProjectUpdate(ctx context.Context, tx q, p *Project, u ProjectUpdate) (map[string]any, error) {
	changes := map[string]any{}
	if u.Name != nil {
		name := strings.TrimSpace(*u.Name)
		if err := validateName("project name", name, MaxProjectNameLength); err != nil {
			return nil, err
		}
		if name != p.Name {
			p.Name, changes["name"] = name, name
		}
	}
	if u.Description != nil && *u.Description != p.Description {
		if err := ValidateText("project description", *u.Description, true); err != nil {
			return nil, err
		}
		p.Description, changes["description"] = *u.Description, *u.Description
	}
	if u.OwnerID != nil && *u.OwnerID != p.OwnerID {
		if err := checkUser(ctx, tx, "owner_id", *u.OwnerID); err != nil {
			return nil, err
		}
		p.OwnerID, changes["owner_id"] = *u.OwnerID, *u.OwnerID
	}
	if u.Identifier != nil {
		ident := strings.ToUpper(strings.TrimSpace(*u.Identifier))
		if utf8.RuneCountInString(ident) > MaxIdentifierLength {
			return nil, invalid("identifier is longer than %d characters", MaxIdentifierLength)
		}
		for _, r := range ident {
			if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
				return nil, invalid("identifier %q may hold only letters A-Z and digits", *u.Identifier)
			}
		}
		if ident != p.Identifier {
			p.Identifier, changes["identifier"] = ident, ident
		}
	}
	for _, d := range []struct {
		field string
		in    *string
		out   *string
	}{{"start_date", u.StartDate, &p.StartDate}, {"end_date", u.EndDate, &p.EndDate}} {
		if d.in == nil {
			continue
		}
		v, err := projectDate(d.field, *d.in)
		if err != nil {
			return nil, err
		}
		if v != *d.out {
			*d.out, changes[d.field] = v, v
		}
	}
	if p.StartDate != "" && p.EndDate != "" && p.StartDate > p.EndDate {
		return nil, invalid("start_date %s is after end_date %s", p.StartDate, p.EndDate)
	}
	if u.Email != nil {
		email := strings.TrimSpace(*u.Email)
		if email != "" {
			if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
				return nil, invalid("email %q is not an email address", *u.Email)
			}
		}
		if email != p.Email {
			p.Email, changes["email"] = email, email
		}
	}
	for _, f := range []struct {
		field string
		in    *int64
		out   *int64
	}{{"priority_default", u.PriorityDefault, &p.PriorityDefault}, {"priority_start", u.PriorityStart, &p.PriorityStart},
		{"priority_end", u.PriorityEnd, &p.PriorityEnd}} {
		if f.in != nil && *f.in != *f.out {
			*f.out, changes[f.field] = *f.in, *f.in
		}
	}
	return changes, nil
}

// projectDate reads a project's start or end date: "", YYYY-MM-DD, Kanboard's
// MM/DD/YYYY and YYYY_MM_DD, or unix seconds, and keeps it as YYYY-MM-DD.
func projectDate(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC().Format(time.DateOnly), nil
	}
	for _, layout := range []string{time.DateOnly, "01/02/2006", "2006_01_02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", invalid("%s %q is not a date (YYYY-MM-DD)", field, s)
}

// UpdateProject changes the given fields of a project and writes
// project.update with them in "changes". Nothing changed: no event.
func (s *Store) UpdateProject(ctx context.Context, actor Actor, id int64, u ProjectUpdate) ([]string, error) {
	return s.taskMutation(ctx, "update project", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		p, err := projectByID(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("project %d: %w", id, err)
		}
		changes, err := applyProjectUpdate(ctx, tx, &p, u)
		if err != nil || len(changes) == 0 {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET name = ?, description = ?, identifier = ?, owner_id = ?,
			email = ?, start_date = ?, end_date = ?, priority_default = ?, priority_start = ?, priority_end = ?,
			modified_at = ? WHERE id = ?`,
			p.Name, p.Description, p.Identifier, nullInt(p.OwnerID), p.Email, p.StartDate, p.EndDate,
			p.PriorityDefault, p.PriorityStart, p.PriorityEnd, s.now().Unix(), id); err != nil {
			return nil, projectConflict(err)
		}
		return s.emitProject(ctx, tx, actor, EventProjectUpdate, id, changes)
	})
}

// SetProjectActive enables or disables a project; a disabled project keeps
// its board but is no default for new tasks. A change writes
// project.update with is_active in "changes".
func (s *Store) SetProjectActive(ctx context.Context, actor Actor, id int64, active bool) ([]string, error) {
	return s.taskMutation(ctx, "set project active", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		p, err := projectByID(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("project %d: %w", id, err)
		}
		if p.IsActive == active {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET is_active = ?, modified_at = ? WHERE id = ?`,
			boolInt(active), s.now().Unix(), id); err != nil {
			return nil, err
		}
		return s.emitProject(ctx, tx, actor, EventProjectUpdate, id, map[string]any{"is_active": boolInt(active)})
	})
}

// DeleteProject removes a project with its columns, swimlanes, categories,
// tags and tasks (and their comments, subtasks and files), and writes
// project.delete with the project as it was. Its events stay.
func (s *Store) DeleteProject(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete project", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		events, err := s.emitProject(ctx, tx, actor, EventProjectDelete, id, nil)
		if err != nil {
			return nil, err
		}
		// Tasks first: their column and swimlane references do not cascade.
		for _, stmt := range []string{`DELETE FROM tasks WHERE project_id = ?`,
			`DELETE FROM tags WHERE project_id = ?`, `DELETE FROM projects WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, stmt, id); err != nil {
				return nil, err
			}
		}
		return events, nil
	})
}

// emitProject writes a project event with the project as it is now.
func (s *Store) emitProject(ctx context.Context, tx *sql.Tx, actor Actor, name string, id int64, changes map[string]any) ([]string, error) {
	return s.emitConfig(ctx, tx, actor, name, id, EventContent{Changes: changes})
}

const projectColumns = `id, name, description, identifier, is_active, COALESCE(owner_id, 0), created_at, modified_at,
	email, start_date, end_date, priority_default, priority_start, priority_end, task_limit, per_swimlane_task_limits,
	enable_global_tags, is_private`

func scanProject(row interface{ Scan(...any) error }) (Project, error) {
	var p Project
	err := row.Scan(&p.ID, &p.Name, &p.Description, &p.Identifier, &p.IsActive, &p.OwnerID, &p.CreatedAt, &p.ModifiedAt,
		&p.Email, &p.StartDate, &p.EndDate, &p.PriorityDefault, &p.PriorityStart, &p.PriorityEnd, &p.TaskLimit,
		&p.PerSwimlaneTaskLimits, &p.EnableGlobalTags, &p.IsPrivate)
	if errors.Is(err, sql.ErrNoRows) {
		return Project{}, ErrNotFound
	}
	return p, err
}

func projectByID(ctx context.Context, db q, id int64) (Project, error) {
	return scanProject(db.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects WHERE id = ?`, id))
}

// Projects lists every project by id.
func (s *Store) Projects(ctx context.Context) ([]Project, error) {
	out, err := listRows(ctx, s.reader, nil, scanProject, `SELECT `+projectColumns+` FROM projects ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list projects: %w", err)
	}
	return out, nil
}

// FirstProjectID is the lowest id of the projects userID has a role in, or
// of every project when userID is 0 (an app-admin opens them all); 0 when
// there is none. It is where the Board link goes.
func (s *Store) FirstProjectID(ctx context.Context, userID int64) (int64, error) {
	q, args := `SELECT COALESCE(min(id), 0) FROM projects`, []any{}
	if userID != 0 {
		q, args = `SELECT COALESCE(min(project_id), 0) FROM project_roles WHERE user_id = ?`, []any{userID}
	}
	var id int64
	if err := s.reader.QueryRowContext(ctx, q, args...).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: first project: %w", err)
	}
	return id, nil
}

// ProjectByID finds a project.
func (s *Store) ProjectByID(ctx context.Context, id int64) (Project, error) {
	return projectByID(ctx, s.reader, id)
}

// ProjectByName finds the first project (lowest id) of that exact name:
// names may repeat, as in Kanboard.
func (s *Store) ProjectByName(ctx context.Context, name string) (Project, error) {
	return scanProject(s.reader.QueryRowContext(ctx,
		`SELECT `+projectColumns+` FROM projects WHERE name = ? ORDER BY id LIMIT 1`, name))
}

// ProjectByIdentifier finds a project by its identifier, compared in upper
// case as Kanboard stores it. "" finds nothing.
func (s *Store) ProjectByIdentifier(ctx context.Context, identifier string) (Project, error) {
	identifier = strings.ToUpper(strings.TrimSpace(identifier))
	if identifier == "" {
		return Project{}, ErrNotFound
	}
	return scanProject(s.reader.QueryRowContext(ctx,
		`SELECT `+projectColumns+` FROM projects WHERE identifier = ?`, identifier))
}

// ProjectByEmail finds a project by its email address. "" finds nothing.
func (s *Store) ProjectByEmail(ctx context.Context, email string) (Project, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return Project{}, ErrNotFound
	}
	return scanProject(s.reader.QueryRowContext(ctx,
		`SELECT `+projectColumns+` FROM projects WHERE email = ?`, email))
}

// ProjectEvents lists the newest events of the given projects, newest
// first, at most limit in all (Kanboard's project activity).
func (s *Store) ProjectEvents(ctx context.Context, projectIDs []int64, limit int) ([]Event, error) {
	if len(projectIDs) == 0 {
		return []Event{}, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(projectIDs)), ",")
	args := make([]any, 0, len(projectIDs)+1)
	for _, id := range projectIDs {
		args = append(args, id)
	}
	out, err := listRows(ctx, s.reader, []Event{}, scanEvent,
		`SELECT `+eventColumns+` FROM events WHERE project_id IN (`+marks+`) ORDER BY id DESC LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: project events: %w", err)
	}
	return out, nil
}

// ManagedProjects are the ids of the projects userID is a project-manager
// of (directly or through a group), for the project administration list.
func (s *Store) ManagedProjects(ctx context.Context, userID int64) (map[int64]bool, error) {
	ids, err := listIDs(ctx, s.reader, `SELECT project_id FROM project_roles WHERE user_id = ? AND role = ?`, userID, ProjectManager)
	if err != nil {
		return nil, fmt.Errorf("store: managed projects: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
