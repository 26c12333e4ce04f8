package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The longest task title and reference, in characters (current Kanboard's
// limits; a subtask's title has the task's).
const (
	MaxTitleLength     = 65535
	MaxReferenceLength = 191
)

// NewTask is a task to create. Zero ids mean "the default": the first
// project, its first column, its default swimlane, no category, no owner.
type NewTask struct {
	ProjectID     int64
	ColumnID      int64
	SwimlaneID    int64
	CategoryID    int64
	OwnerID       int64
	CreatorID     int64
	Title         string
	Description   string
	ColorID       string
	Reference     string
	DateDue       int64
	DateStarted   int64
	Score         int64
	Priority      int64
	TimeEstimated float64
	TimeSpent     float64
	// Tags are tag names: the project's or global tags of those names, or
	// new tags of the project (as SetTaskTags).
	Tags []string
}

// CreateTask validates t, writes it at the end of its column and writes its
// task.create event, all in one transaction. It returns the task id and the
// event ids to deliver.
func (s *Store) CreateTask(ctx context.Context, actor Actor, t NewTask) (int64, []string, error) {
	var id int64
	var events []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		v, err := configVersion(ctx, tx)
		if err != nil {
			return err
		}
		id, events, err = s.createTaskTx(ctx, tx, v, actor, t)
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("store: create task: %w", err)
	}
	return id, events, nil
}

// CheckTask runs CreateTaskWithToken's checks of t for the integration in
// and writes nothing (the incoming URL's HEAD dry run).
func (s *Store) CheckTask(ctx context.Context, in Integration, t NewTask) error {
	in.applyDefaults(&t)
	err := checkNewTask(&t, func(p *placement) error { return place(ctx, s.reader, p) })
	if err != nil {
		return fmt.Errorf("store: check task: %w", err)
	}
	return nil
}

// checkNewTask validates t and fills in its default color; place, given
// the placement, fills in the rest.
func checkNewTask(t *NewTask, place func(*placement) error) error {
	if err := ValidateTitle(t.Title); err != nil {
		return err
	}
	if err := ValidateText("description", t.Description, true); err != nil {
		return err
	}
	if err := validateReference(t.Reference); err != nil {
		return err
	}
	if err := checkDates(t.DateStarted, t.DateDue); err != nil {
		return err
	}
	if _, err := cleanTagNames(t.Tags); err != nil {
		return err
	}
	if t.ColorID == "" {
		t.ColorID = DefaultColor
	}
	if _, ok := ColorByID(t.ColorID); !ok {
		return invalid("unknown color_id %q", t.ColorID)
	}
	p := placement{project: t.ProjectID, column: t.ColumnID, swimlane: t.SwimlaneID, category: t.CategoryID, owner: t.OwnerID}
	if err := place(&p); err != nil {
		return err
	}
	t.ProjectID, t.ColumnID, t.SwimlaneID = p.project, p.column, p.swimlane
	return nil
}

// createTaskTx writes a task and its event; v is the transaction's
// config_version.
func (s *Store) createTaskTx(ctx context.Context, tx *sql.Tx, v int64, actor Actor, t NewTask) (int64, []string, error) {
	if t.CreatorID == 0 {
		t.CreatorID = actor.UserID
	}
	// The snapshot is the row as written, with the names read while its
	// placement was checked: no second read of the new task.
	var snap TaskSnapshot
	err := checkNewTask(&t, func(p *placement) error {
		p.creator, p.names = t.CreatorID, &snap
		return s.placeCached(ctx, tx, v, p)
	})
	if err != nil {
		return 0, nil, err
	}
	now := s.now().Unix()
	if err := tx.QueryRowContext(ctx, insertTaskQuery,
		t.ProjectID, t.ColumnID, t.SwimlaneID, nullInt(t.CategoryID), nullInt(t.OwnerID), nullInt(t.CreatorID),
		t.Title, t.Description, t.ColorID, t.DateDue, t.DateStarted, t.Score, t.Priority, t.Reference,
		t.TimeSpent, t.TimeEstimated, now).Scan(snap.taskFields()...); err != nil {
		return 0, nil, err
	}
	id := snap.ID
	if len(t.Tags) > 0 {
		if _, err := setTaskTagsTx(ctx, tx, t.ProjectID, id, t.Tags); err != nil {
			return 0, nil, err
		}
		if err := tx.QueryRowContext(ctx, `SELECT `+s.taskTagsColumn()+` FROM tasks t WHERE t.id = ?`, id).Scan((*[]byte)(&snap.Tags)); err != nil {
			return 0, nil, err
		}
	}
	events, err := s.emitAt(ctx, tx, v, actor, EventTaskCreate, t.ProjectID, id, EventContent{Task: snap})
	if err != nil {
		return 0, nil, err
	}
	return id, events, nil
}

// insertTaskQuery writes a new task at the bottom of its cell and returns
// it as written (taskColumns). It is built once: the statement cache looks
// a statement up by its text, and a string built per call is garbage.
var insertTaskQuery = `INSERT INTO tasks
	(project_id, column_id, swimlane_id, category_id, owner_id, creator_id, title, description, color_id,
	 position, date_due, date_started, score, priority, reference, time_spent, time_estimated,
	 created_at, modified_at, moved_at)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
	 (SELECT COALESCE(MAX(position), 0) + 1 FROM tasks WHERE project_id = ?1 AND column_id = ?2 AND swimlane_id = ?3),
	 ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?17)
	RETURNING ` + taskColumns("")

// placement is where a task goes and what it refers to. Zero project,
// column and swimlane mean the defaults: the first active project, its
// first column, its default (else first active) swimlane. Zero category
// and owner mean none. The creator is not checked, only named.
type placement struct {
	project, column, swimlane, category, owner, creator int64
	// names, when not nil, gets the names of what the task refers to.
	names *TaskSnapshot
}

// placeQuery reads, in one statement, the project of a placement with its
// column, swimlane, category and owner as given or defaulted (NULL when
// they do not exist), whose project each belongs to, whether the owner may
// be assigned tasks there, and their names.
var placeQuery = `SELECT p.id, col.id, col.project_id, sl.id, sl.project_id, cat.id, cat.project_id, ow.id,
	` + assignable("p.id", "ow.id") + `,
	` + taskNameColumns + `
	FROM projects p
	LEFT JOIN columns col ON col.id = CASE WHEN ?2 = 0
		THEN (SELECT id FROM columns WHERE project_id = p.id ORDER BY position, id LIMIT 1) ELSE ?2 END
	LEFT JOIN swimlanes sl ON sl.id = CASE WHEN ?3 = 0
		THEN (SELECT id FROM swimlanes WHERE project_id = p.id AND is_active = 1 ORDER BY is_default DESC, position, id LIMIT 1)
		ELSE ?3 END
	LEFT JOIN categories cat ON cat.id = ?4
	LEFT JOIN users ow ON ow.id = ?5
	LEFT JOIN users cr ON cr.id = ?6`

// place fills in p's defaults and checks that what it names exists and
// that its column, swimlane and category belong to its project. It is the
// one check of where a task goes, for new tasks, moves and updates.
func place(ctx context.Context, db q, p *placement) error {
	query := placeQuery + ` WHERE p.id = ?1`
	if p.project == 0 {
		query = placeQuery + ` WHERE p.is_active = 1 AND ?1 = 0 ORDER BY p.id LIMIT 1`
	}
	var pid int64
	var colID, colOwner, laneID, laneOwner, catID, catOwner, ownerID sql.NullInt64
	var assignable bool
	names := p.names
	if names == nil {
		names = new(TaskSnapshot)
	}
	err := db.QueryRowContext(ctx, query, p.project, p.column, p.swimlane, p.category, p.owner, p.creator).Scan(
		append([]any{&pid, &colID, &colOwner, &laneID, &laneOwner, &catID, &catOwner, &ownerID, &assignable}, names.nameFields()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		if p.project == 0 {
			return invalid("there is no project")
		}
		return invalid("project_id %d does not exist", p.project)
	}
	if err != nil {
		return err
	}
	switch {
	case !colID.Valid && p.column == 0:
		return invalid("project %d has no column", pid)
	case !colID.Valid:
		return invalid("column_id %d does not exist", p.column)
	case colOwner.Int64 != pid:
		return invalid("column_id %d belongs to another project", p.column)
	}
	switch {
	case !laneID.Valid && p.swimlane == 0:
		return invalid("project %d has no swimlane", pid)
	case !laneID.Valid:
		return invalid("swimlane_id %d does not exist", p.swimlane)
	case laneOwner.Int64 != pid:
		return invalid("swimlane_id %d belongs to another project", p.swimlane)
	}
	if p.category != 0 {
		if !catID.Valid {
			return invalid("category_id %d does not exist", p.category)
		}
		if catOwner.Int64 != pid {
			return invalid("category_id %d belongs to another project", p.category)
		}
	}
	if p.owner != 0 && !ownerID.Valid {
		return invalid("owner_id %d does not exist", p.owner)
	}
	// Kanboard's rule: a task goes only to an active member of its project
	// who is not a viewer (getAssignableUsers).
	if p.owner != 0 && !assignable {
		return invalid("owner_id %d cannot be assigned tasks in project %d: only its active members who are not viewers can", p.owner, pid)
	}
	p.project, p.column, p.swimlane = pid, colID.Int64, laneID.Int64
	return nil
}

// assignableMember is the SQL condition that the user u, whose role in a
// project is the project_roles row pr (their own, else their groups'), may
// be given tasks there: active and not a viewer (Kanboard's
// getAssignableUsers). The one statement of the rule: assignable and
// AssignableUsers both use it.
const assignableMember = `pr.role != '` + ProjectViewer + `' AND u.is_active = 1`

// assignable is the SQL condition that the user userExpr may be given tasks
// of the project projectExpr (assignableMember).
func assignable(projectExpr, userExpr string) string {
	return `EXISTS (SELECT 1 FROM project_roles pr JOIN users u ON u.id = pr.user_id
		WHERE pr.project_id = ` + projectExpr + ` AND pr.user_id = ` + userExpr + ` AND ` + assignableMember + `)`
}

// keptOwner is the owner a task keeps when it goes to project projectID
// without one being given: its own when assignable there, else nobody, as
// Kanboard's move and duplication do.
func keptOwner(ctx context.Context, db q, projectID, ownerID int64) (int64, error) {
	if ownerID == 0 {
		return 0, nil
	}
	var ok bool
	if err := db.QueryRowContext(ctx, `SELECT `+assignable("?", "?"), projectID, ownerID).Scan(&ok); err != nil {
		return 0, err
	}
	if !ok {
		return 0, nil
	}
	return ownerID, nil
}

// checkUser checks that a user a row refers to exists.
func checkUser(ctx context.Context, tx q, field string, userID int64) error {
	if userID == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, userID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return invalid("%s %d does not exist", field, userID)
	}
	return nil
}

// TaskCount counts tasks (all projects).
func (s *Store) TaskCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM tasks`).Scan(&n)
	return n, err
}

// EventCount counts events with the given name ("" for all).
func (s *Store) EventCount(ctx context.Context, name string) (int64, error) {
	var n int64
	err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE ? = '' OR name = ?`, name, name).Scan(&n)
	return n, err
}
