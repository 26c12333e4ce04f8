package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Column is a board column. TaskLimit is its WIP limit, 0 for none.
type Column struct {
	ID              int64
	ProjectID       int64
	Title           string
	Position        int
	TaskLimit       int
	Description     string
	HideInDashboard bool
}

// MaxConfigNameLength is the longest column title, swimlane or category
// name, in characters (Kanboard's limit).
const MaxConfigNameLength = 191

// columnObject is Kanboard's column row, in its key order.
type columnObject struct {
	ID              int64  `json:"id"`
	Title           string `json:"title"`
	Position        int    `json:"position"`
	ProjectID       int64  `json:"project_id"`
	TaskLimit       int    `json:"task_limit"`
	Description     string `json:"description"`
	HideInDashboard int    `json:"hide_in_dashboard"`
}

func (c Column) object() columnObject {
	return columnObject{c.ID, c.Title, c.Position, c.ProjectID, c.TaskLimit, c.Description, boolInt(c.HideInDashboard)}
}

// MarshalJSON writes Kanboard's column object (getColumns).
func (c Column) MarshalJSON() ([]byte, error) { return json.Marshal(c.object()) }

const columnSelect = `SELECT id, project_id, title, position, task_limit, description, hide_in_dashboard FROM columns`

func scanColumn(row interface{ Scan(...any) error }) (Column, error) {
	var c Column
	err := row.Scan(&c.ID, &c.ProjectID, &c.Title, &c.Position, &c.TaskLimit, &c.Description, &c.HideInDashboard)
	if errors.Is(err, sql.ErrNoRows) {
		return Column{}, ErrNotFound
	}
	return c, err
}

func columnByID(ctx context.Context, db q, id int64) (Column, error) {
	c, err := scanColumn(db.QueryRowContext(ctx, columnSelect+` WHERE id = ?`, id))
	if err != nil {
		return c, fmt.Errorf("column %d: %w", id, err)
	}
	return c, nil
}

// ColumnByID finds a column.
func (s *Store) ColumnByID(ctx context.Context, id int64) (Column, error) {
	return columnByID(ctx, s.reader, id)
}

// Columns lists a project's columns in board order.
func (s *Store) Columns(ctx context.Context, projectID int64) ([]Column, error) {
	out, err := listRows(ctx, s.reader, []Column{}, scanColumn, columnSelect+` WHERE project_id = ? ORDER BY position, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list columns: %w", err)
	}
	return out, nil
}

// ColumnFields are a column's settings.
type ColumnFields struct {
	Title       string
	TaskLimit   int64
	Description string
}

// checkColumn validates f as Kanboard's column form does: a title of at
// most 191 characters and a WIP limit of 0 (none) or more.
func checkColumn(f *ColumnFields) error {
	f.Title = strings.TrimSpace(f.Title)
	if err := validateName("column title", f.Title, MaxConfigNameLength); err != nil {
		return err
	}
	if f.TaskLimit < 0 {
		return invalid("task_limit %d is negative (0 means no limit)", f.TaskLimit)
	}
	return ValidateText("column description", f.Description, true)
}

// nameConflict turns a unique index's refusal into the reason what: bad
// input the user can fix, like any other.
func nameConflict(err error, what string) error {
	if isUniqueViolation(err) {
		return invalid("%s", what)
	}
	return err
}

// AddColumn appends a column to a project's board and writes column.create.
func (s *Store) AddColumn(ctx context.Context, actor Actor, projectID int64, f ColumnFields) (int64, []string, error) {
	if err := checkColumn(&f); err != nil {
		return 0, nil, fmt.Errorf("store: add column: %w", err)
	}
	var id int64
	events, err := s.taskMutation(ctx, "add column", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		if _, err := projectByID(ctx, tx, projectID); err != nil {
			return nil, fmt.Errorf("project %d: %w", projectID, err)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO columns (project_id, title, position, task_limit, description)
			SELECT ?1, ?2, COALESCE(MAX(position), 0) + 1, ?3, ?4 FROM columns WHERE project_id = ?1 RETURNING id`,
			projectID, f.Title, f.TaskLimit, f.Description).Scan(&id)
		if err != nil {
			return nil, nameConflict(err, fmt.Sprintf("column title %q: the project has a column of that title", f.Title))
		}
		return s.emitColumn(ctx, tx, actor, EventColumnCreate, id, nil)
	})
	return id, events, err
}

// UpdateColumn sets a column's title, WIP limit and description (and shows
// it on dashboards again, as Kanboard's updateColumn does), writing
// column.update with what changed.
func (s *Store) UpdateColumn(ctx context.Context, actor Actor, id int64, f ColumnFields) ([]string, error) {
	if err := checkColumn(&f); err != nil {
		return nil, fmt.Errorf("store: update column: %w", err)
	}
	return s.taskMutation(ctx, "update column", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := columnByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		changes := map[string]any{}
		if f.Title != old.Title {
			changes["title"] = f.Title
		}
		if int(f.TaskLimit) != old.TaskLimit {
			changes["task_limit"] = f.TaskLimit
		}
		if f.Description != old.Description {
			changes["description"] = f.Description
		}
		if old.HideInDashboard {
			changes["hide_in_dashboard"] = 0
		}
		if len(changes) == 0 {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE columns SET title = ?, task_limit = ?, description = ?, hide_in_dashboard = 0
			WHERE id = ?`, f.Title, f.TaskLimit, f.Description, id); err != nil {
			return nil, nameConflict(err, fmt.Sprintf("column title %q: the project has a column of that title", f.Title))
		}
		return s.emitColumn(ctx, tx, actor, EventColumnUpdate, id, changes)
	})
}

// RemoveColumn deletes a column that holds no task, open or closed (as
// Kanboard), closes the gap in the positions and writes column.delete.
func (s *Store) RemoveColumn(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "remove column", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		c, err := columnByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tasks WHERE column_id = ?`, id).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, invalid("column %q holds %d task(s), open or closed: move or remove them first", c.Title, n)
		}
		ids, err := columnIDs(ctx, tx, c.ProjectID)
		if err != nil {
			return nil, err
		}
		if len(ids) == 1 {
			return nil, invalid("column %q is the project's last column: a board needs one", c.Title)
		}
		events, err := s.emitColumn(ctx, tx, actor, EventColumnDelete, id, nil)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM columns WHERE id = ?`, id); err != nil {
			return nil, err
		}
		return events, renumber(ctx, tx, "columns", slices.DeleteFunc(ids, func(x int64) bool { return x == id }), 0, 0)
	})
}

// MoveColumn puts a column at position (1 is the left end) among its
// project's columns, renumbering the others, and writes column.update. As
// in Kanboard, the column must be the project's and the position within
// 1..number of columns.
func (s *Store) MoveColumn(ctx context.Context, actor Actor, projectID, id int64, position int64) ([]string, error) {
	return s.taskMutation(ctx, "move column", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		c, err := columnByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if c.ProjectID != projectID {
			return nil, invalid("column %d is not in project %d", id, projectID)
		}
		ids, err := columnIDs(ctx, tx, projectID)
		if err != nil {
			return nil, err
		}
		if moved, err := moveTo(ctx, tx, "columns", ids, id, c.Position, position); err != nil || !moved {
			return nil, err
		}
		return s.emitColumn(ctx, tx, actor, EventColumnUpdate, id, map[string]any{"position": position})
	})
}

// columnIDs lists a project's columns in board order.
func columnIDs(ctx context.Context, tx *sql.Tx, projectID int64) ([]int64, error) {
	return listIDs(ctx, tx, `SELECT id FROM columns WHERE project_id = ? ORDER BY position, id`, projectID)
}

// moveTo puts id, now at position from among ids (a project's columns or
// its active swimlanes, in order), at position, which must be within
// 1..len(ids). Already there: false, and nothing is written.
func moveTo(ctx context.Context, tx *sql.Tx, table string, ids []int64, id int64, from int, position int64) (bool, error) {
	if position < 1 || position > int64(len(ids)) {
		return false, invalid("position %d is not between 1 and %d", position, len(ids))
	}
	if int64(from) == position {
		return false, nil
	}
	return true, renumber(ctx, tx, table, ids, id, position)
}

// renumber gives the rows ids (in their order) positions 1..n, with id
// moved to position.
func renumber(ctx context.Context, tx *sql.Tx, table string, ids []int64, id int64, position int64) error {
	order := make([]int64, 0, len(ids))
	for _, x := range ids {
		if x != id {
			order = append(order, x)
		}
	}
	if id != 0 {
		i := int(position - 1)
		order = append(order[:i], append([]int64{id}, order[i:]...)...)
	}
	for i, x := range order {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET position = ? WHERE id = ?`, i+1, x); err != nil {
			return err
		}
	}
	return nil
}

// emitColumn writes a column event with the column as it is now.
func (s *Store) emitColumn(ctx context.Context, tx *sql.Tx, actor Actor, name string, id int64, changes map[string]any) ([]string, error) {
	c, err := columnByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return s.emitConfig(ctx, tx, actor, name, c.ProjectID, EventContent{Column: &c, Changes: changes})
}

// emitConfig writes an event about a project's configuration, with the
// project as it is now.
func (s *Store) emitConfig(ctx context.Context, tx *sql.Tx, actor Actor, name string, projectID int64, c EventContent) ([]string, error) {
	p, err := projectByID(ctx, tx, projectID)
	if err != nil {
		return nil, fmt.Errorf("project %d: %w", projectID, err)
	}
	o := p.Object()
	c.Project = &o
	return s.emit(ctx, tx, actor, name, projectID, 0, c)
}
