package store

import (
	"context"
	"database/sql"
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, events, err = s.createTaskTx(ctx, tx, actor, t)
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
	if err := checkNewTask(ctx, s.reader, &t); err != nil {
		return fmt.Errorf("store: check task: %w", err)
	}
	return nil
}

// checkNewTask validates t and fills in its default placement and color.
func checkNewTask(ctx context.Context, db q, t *NewTask) error {
	if err := ValidateTitle(t.Title); err != nil {
		return err
	}
	if t.ColorID == "" {
		t.ColorID = DefaultColor
	}
	if _, ok := ColorByID(t.ColorID); !ok {
		return invalid("unknown color_id %q", t.ColorID)
	}
	if err := resolvePlacement(ctx, db, &t.ProjectID, &t.ColumnID, &t.SwimlaneID); err != nil {
		return err
	}
	if err := checkCategory(ctx, db, t.ProjectID, t.CategoryID); err != nil {
		return err
	}
	return checkUser(ctx, db, "owner_id", t.OwnerID)
}

func (s *Store) createTaskTx(ctx context.Context, tx *sql.Tx, actor Actor, t NewTask) (int64, []string, error) {
	if err := checkNewTask(ctx, tx, &t); err != nil {
		return 0, nil, err
	}
	if t.CreatorID == 0 {
		t.CreatorID = actor.UserID
	}
	var position int64
	if err := tx.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(position), 0) + 1 FROM tasks WHERE project_id = ? AND column_id = ? AND swimlane_id = ?`,
		t.ProjectID, t.ColumnID, t.SwimlaneID).Scan(&position); err != nil {
		return 0, nil, err
	}
	now := s.now().Unix()
	res, err := tx.ExecContext(ctx, `INSERT INTO tasks
		(project_id, column_id, swimlane_id, category_id, owner_id, creator_id, title, description, color_id,
		 position, date_due, date_started, score, priority, reference, time_spent, time_estimated,
		 created_at, modified_at, moved_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ProjectID, t.ColumnID, t.SwimlaneID, nullInt(t.CategoryID), nullInt(t.OwnerID), nullInt(t.CreatorID),
		t.Title, t.Description, t.ColorID, position, t.DateDue, t.DateStarted, t.Score, t.Priority, t.Reference,
		t.TimeSpent, t.TimeEstimated, now, now, now)
	if err != nil {
		return 0, nil, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, nil, err
	}
	snap, err := taskSnapshot(ctx, tx, id)
	if err != nil {
		return 0, nil, err
	}
	ev, err := s.emit(ctx, tx, actor, EventTaskCreate, t.ProjectID, id, TaskEventData{TaskID: id, Task: snap})
	if err != nil {
		return 0, nil, err
	}
	return id, []string{ev}, nil
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
