package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxTitleLength is the longest task title, in characters (Kanboard's limit).
const MaxTitleLength = 200

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
}

// ValidateTitle enforces a non-blank title of at most 200 characters.
func ValidateTitle(title string) error {
	if strings.TrimSpace(title) == "" {
		return invalid("title is required")
	}
	if utf8.RuneCountInString(title) > MaxTitleLength {
		return invalid("title is longer than %d characters", MaxTitleLength)
	}
	return nil
}

// CreateTask validates t, writes it at the end of its column and writes its
// task.create event, all in one transaction. It returns the task id and the
// event ids to deliver.
func (s *Store) CreateTask(ctx context.Context, actor Actor, t NewTask) (int64, []string, error) {
	var id int64
	var events []string
	// A new task changes no configuration (the tasks after it in the batch
	// need not read the configuration version again) and is refused, when
	// it is, before it writes: it needs no savepoint.
	err := s.writes.doAppend(ctx, func(tx *sql.Tx) error {
		var err error
		// Uncancellable: database/sql watches a cancellable context with a
		// goroutine per query, and the writer's statements ignore it anyway.
		id, events, err = s.createTaskTx(context.WithoutCancel(ctx), tx, actor, t)
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("store: create task: %w", err)
	}
	return id, events, nil
}

// CheckTask runs CreateTask's checks and writes nothing (the incoming
// URL's HEAD dry run).
func (s *Store) CheckTask(ctx context.Context, t NewTask) error {
	if _, err := placeNewTask(ctx, s.reader, &t); err != nil {
		return fmt.Errorf("store: check task: %w", err)
	}
	return nil
}

// placeNames are the names a new task's snapshot shows, read while its
// placement is checked.
type placeNames struct {
	project, column, swimlane                      sql.NullString
	columnPosition                                 sql.NullInt64
	category, categoryDesc                         sql.NullString
	ownerUser, ownerName, creatorUser, creatorName sql.NullString
}

// placeQuery resolves and checks a new task's project, column, swimlane,
// category and owner, and reads the names its snapshot needs, in one
// statement (these were six queries, then the row was read back with its
// joins). A zero column or swimlane means the project's default one (first
// column; default, then first active swimlane), as resolvePlacement picks.
const placeQuery = `SELECT p.id, p.name,
	col.id, col.project_id, col.title, col.position,
	sl.id, sl.project_id, sl.name,
	cat.id, cat.project_id, cat.name, cat.description,
	ow.id, ow.username, NULLIF(ow.name, ''),
	cr.username, NULLIF(cr.name, '')
	FROM projects p
	LEFT JOIN columns col ON col.id = CASE WHEN ?2 = 0
		THEN (SELECT id FROM columns WHERE project_id = p.id ORDER BY position, id LIMIT 1) ELSE ?2 END
	LEFT JOIN swimlanes sl ON sl.id = CASE WHEN ?3 = 0
		THEN (SELECT id FROM swimlanes WHERE project_id = p.id AND is_active = 1 ORDER BY is_default DESC, position, id LIMIT 1)
		ELSE ?3 END
	LEFT JOIN categories cat ON cat.id = ?4
	LEFT JOIN users ow ON ow.id = ?5
	LEFT JOIN users cr ON cr.id = ?6`

// placeNewTask validates t, fills in its default placement and color, and
// returns the names of what it refers to. Its checks and their order (and
// so the error a bad task gets) are those of resolvePlacement, then
// checkCategory, then checkUser.
func placeNewTask(ctx context.Context, db q, t *NewTask) (placeNames, error) {
	if err := checkNewTaskFields(t); err != nil {
		return placeNames{}, err
	}
	return resolveNewTask(ctx, db, t)
}

// resolveNewTask is placeNewTask's part that reads: the placement and the
// names, from placeQuery.
func resolveNewTask(ctx context.Context, db q, t *NewTask) (placeNames, error) {
	var n placeNames
	query := placeQuery + ` WHERE p.id = ?1`
	if t.ProjectID == 0 {
		query = placeQuery + ` WHERE p.is_active = 1 AND ?1 = 0 ORDER BY p.id LIMIT 1`
	}
	var pid int64
	var colID, colOwner, laneID, laneOwner, catID, catOwner, ownerID sql.NullInt64
	err := db.QueryRowContext(ctx, query, t.ProjectID, t.ColumnID, t.SwimlaneID, t.CategoryID, t.OwnerID, t.CreatorID).Scan(
		&pid, &n.project,
		&colID, &colOwner, &n.column, &n.columnPosition,
		&laneID, &laneOwner, &n.swimlane,
		&catID, &catOwner, &n.category, &n.categoryDesc,
		&ownerID, &n.ownerUser, &n.ownerName,
		&n.creatorUser, &n.creatorName)
	if errors.Is(err, sql.ErrNoRows) {
		if t.ProjectID == 0 {
			return n, invalid("there is no project")
		}
		return n, invalid("project_id %d does not exist", t.ProjectID)
	}
	if err != nil {
		return n, err
	}
	switch {
	case !colID.Valid && t.ColumnID == 0:
		return n, invalid("project %d has no column", pid)
	case !colID.Valid:
		return n, invalid("column_id %d does not exist", t.ColumnID)
	case colOwner.Int64 != pid:
		return n, invalid("column_id %d belongs to another project", t.ColumnID)
	}
	switch {
	case !laneID.Valid && t.SwimlaneID == 0:
		return n, invalid("project %d has no swimlane", pid)
	case !laneID.Valid:
		return n, invalid("swimlane_id %d does not exist", t.SwimlaneID)
	case laneOwner.Int64 != pid:
		return n, invalid("swimlane_id %d belongs to another project", t.SwimlaneID)
	}
	if t.CategoryID != 0 {
		if !catID.Valid {
			return n, invalid("category_id %d does not exist", t.CategoryID)
		}
		if catOwner.Int64 != pid {
			return n, invalid("category_id %d belongs to another project", t.CategoryID)
		}
	}
	if t.OwnerID != 0 && !ownerID.Valid {
		return n, invalid("owner_id %d does not exist", t.OwnerID)
	}
	t.ProjectID, t.ColumnID, t.SwimlaneID = pid, colID.Int64, laneID.Int64
	return n, nil
}

// checkNewTaskFields makes placeNewTask's checks that read nothing: the
// title, and the color (defaulted).
func checkNewTaskFields(t *NewTask) error {
	if err := ValidateTitle(t.Title); err != nil {
		return err
	}
	if t.ColorID == "" {
		t.ColorID = DefaultColor
	}
	if _, ok := ColorByID(t.ColorID); !ok {
		return invalid("unknown color_id %q", t.ColorID)
	}
	return nil
}

// placeNewTaskCached is placeNewTask with the placement answered from the
// configuration cache at version v when the same one was asked for before.
func (s *Store) placeNewTaskCached(ctx context.Context, tx *sql.Tx, v int64, t *NewTask) (placeNames, error) {
	if err := checkNewTaskFields(t); err != nil {
		return placeNames{}, err
	}
	k := placeKey{t.ProjectID, t.ColumnID, t.SwimlaneID, t.CategoryID, t.OwnerID, t.CreatorID}
	if p, ok := s.cachedPlacement(k, v); ok {
		t.ProjectID, t.ColumnID, t.SwimlaneID = p.project, p.column, p.swimlane
		return p.names, nil
	}
	names, err := resolveNewTask(ctx, tx, t)
	if err != nil {
		return names, err
	}
	s.keepPlacement(k, placement{t.ProjectID, t.ColumnID, t.SwimlaneID, names}, v)
	return names, nil
}

// createTaskTx writes a task and its event. Every failure before the task
// row is written is marked unwritten (CreateTask runs without a savepoint,
// see committer.doAppend).
func (s *Store) createTaskTx(ctx context.Context, tx *sql.Tx, actor Actor, t NewTask) (int64, []string, error) {
	if t.CreatorID == 0 {
		t.CreatorID = actor.UserID
	}
	v, err := s.configVersion(ctx, tx)
	if err != nil {
		return 0, nil, unwritten(err)
	}
	// Checked before anything is written, so that stale credentials cost
	// nothing (emit checks them again, for every other change).
	if err := checkActor(actor, v); err != nil {
		return 0, nil, unwritten(err)
	}
	names, err := s.placeNewTaskCached(ctx, tx, v, &t)
	if err != nil {
		return 0, nil, unwritten(err)
	}
	now := s.now().Unix()
	var id, position int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO tasks
		(project_id, column_id, swimlane_id, category_id, owner_id, creator_id, title, description, color_id,
		 position, date_due, date_started, score, priority, reference, time_spent, time_estimated,
		 created_at, modified_at, moved_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
		 (SELECT COALESCE(MAX(position), 0) + 1 FROM tasks WHERE project_id = ?1 AND column_id = ?2 AND swimlane_id = ?3),
		 ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?17)
		RETURNING id, position`,
		t.ProjectID, t.ColumnID, t.SwimlaneID, nullInt(t.CategoryID), nullInt(t.OwnerID), nullInt(t.CreatorID),
		t.Title, t.Description, t.ColorID, t.DateDue, t.DateStarted, t.Score, t.Priority, t.Reference,
		t.TimeSpent, t.TimeEstimated, now).Scan(&id, &position); err != nil {
		return 0, nil, err
	}
	// The snapshot is built from what was just written and the names read
	// with the placement, instead of reading the row back with its joins;
	// TestCreateTaskSnapshotMatchesRow holds it to the row.
	snap := newTaskSnapshot(id, position, now, &t, &names)
	ev, err := s.emit(ctx, tx, actor, EventTaskCreate, t.ProjectID, id, EventContent{Task: snap})
	if err != nil {
		return 0, nil, err
	}
	return id, []string{ev}, nil
}

// newTaskSnapshot is what taskSnapshot reads back for a task just created
// from t (the tasks table's defaults for the rest).
func newTaskSnapshot(id, position, now int64, t *NewTask, n *placeNames) TaskSnapshot {
	str := func(v sql.NullString) *string {
		if !v.Valid {
			return nil
		}
		return &v.String
	}
	snap := TaskSnapshot{
		ID: id, Title: t.Title, Description: t.Description, DateCreation: now, ColorID: t.ColorID,
		ProjectID: t.ProjectID, ColumnID: t.ColumnID, OwnerID: t.OwnerID, Position: position, IsActive: 1,
		Score: t.Score, DateDue: t.DateDue, CategoryID: t.CategoryID, CreatorID: t.CreatorID,
		DateModification: now, Reference: t.Reference, DateStarted: t.DateStarted, TimeSpent: t.TimeSpent,
		TimeEstimated: t.TimeEstimated, SwimlaneID: t.SwimlaneID, DateMoved: now, Priority: t.Priority,
		CategoryName: str(n.category), SwimlaneName: str(n.swimlane), ProjectName: str(n.project),
		ColumnTitle: str(n.column), AssigneeUsername: str(n.ownerUser), AssigneeName: str(n.ownerName),
		CreatorUsername: str(n.creatorUser), CreatorName: str(n.creatorName), CategoryDescription: str(n.categoryDesc),
	}
	if n.columnPosition.Valid {
		p := n.columnPosition.Int64
		snap.ColumnPosition = &p
	}
	return snap
}

// resolvePlacement fills in default project, column and swimlane, and
// checks that given ones exist and belong to the project.
func resolvePlacement(ctx context.Context, tx q, projectID, columnID, swimlaneID *int64) error {
	if *projectID == 0 {
		err := tx.QueryRowContext(ctx, `SELECT id FROM projects WHERE is_active = 1 ORDER BY id LIMIT 1`).Scan(projectID)
		if err == sql.ErrNoRows {
			return invalid("there is no project")
		}
		if err != nil {
			return err
		}
	} else {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM projects WHERE id = ?`, *projectID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return invalid("project_id %d does not exist", *projectID)
		}
	}
	if *columnID == 0 {
		err := tx.QueryRowContext(ctx, `SELECT id FROM columns WHERE project_id = ? ORDER BY position, id LIMIT 1`, *projectID).Scan(columnID)
		if err == sql.ErrNoRows {
			return invalid("project %d has no column", *projectID)
		}
		if err != nil {
			return err
		}
	} else {
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT project_id FROM columns WHERE id = ?`, *columnID).Scan(&owner)
		if err == sql.ErrNoRows {
			return invalid("column_id %d does not exist", *columnID)
		}
		if err != nil {
			return err
		}
		if owner != *projectID {
			return invalid("column_id %d belongs to another project", *columnID)
		}
	}
	if *swimlaneID == 0 {
		err := tx.QueryRowContext(ctx,
			`SELECT id FROM swimlanes WHERE project_id = ? AND is_active = 1 ORDER BY is_default DESC, position, id LIMIT 1`,
			*projectID).Scan(swimlaneID)
		if err == sql.ErrNoRows {
			return invalid("project %d has no swimlane", *projectID)
		}
		if err != nil {
			return err
		}
	} else {
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT project_id FROM swimlanes WHERE id = ?`, *swimlaneID).Scan(&owner)
		if err == sql.ErrNoRows {
			return invalid("swimlane_id %d does not exist", *swimlaneID)
		}
		if err != nil {
			return err
		}
		if owner != *projectID {
			return invalid("swimlane_id %d belongs to another project", *swimlaneID)
		}
	}
	return nil
}

func checkCategory(ctx context.Context, tx q, projectID, categoryID int64) error {
	if categoryID == 0 {
		return nil
	}
	var owner int64
	err := tx.QueryRowContext(ctx, `SELECT project_id FROM categories WHERE id = ?`, categoryID).Scan(&owner)
	if err == sql.ErrNoRows {
		return invalid("category_id %d does not exist", categoryID)
	}
	if err != nil {
		return err
	}
	if owner != projectID {
		return invalid("category_id %d belongs to another project", categoryID)
	}
	return nil
}

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
