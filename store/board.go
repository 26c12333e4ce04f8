package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// TaskStatus selects tasks by their open/closed state (Kanboard's status_id).
type TaskStatus int

// Task states as Kanboard numbers them; TaskAny selects both.
const (
	TaskClosed TaskStatus = 0
	TaskOpen   TaskStatus = 1
	TaskAny    TaskStatus = -1
)

// TaskUpdate lists the fields to change; a nil field is left as it is.
type TaskUpdate struct {
	Title         *string
	Description   *string
	ColorID       *string
	Reference     *string
	OwnerID       *int64 // 0 = nobody
	CategoryID    *int64 // 0 = none
	DateDue       *int64
	DateStarted   *int64
	Score         *int64
	Priority      *int64
	TimeSpent     *float64
	TimeEstimated *float64
	// Tags, when not nil, replaces the task's tags (see SetTaskTags).
	Tags *[]string
}

// TaskMove says where a task goes on its board. Zero ColumnID or SwimlaneID
// keep the task's current one; Position counts from 1 within the
// (column, swimlane) cell, and a position past the end means the end.
// ProjectID, when not zero, must be the task's project (Kanboard's check).
type TaskMove struct {
	ProjectID  int64
	ColumnID   int64
	SwimlaneID int64
	Position   int64
}

// ProjectMove says where a task goes in another project. Zero ids mean the
// destination's defaults: its first column and default swimlane; category
// and owner are kept unless given (a category never crosses projects).
type ProjectMove struct {
	ProjectID  int64
	ColumnID   int64
	SwimlaneID int64
	CategoryID *int64
	OwnerID    *int64
}

// Tasks lists a project's tasks with the names they refer to, in board
// order (column, swimlane, position).
func (s *Store) Tasks(ctx context.Context, projectID int64, status TaskStatus) ([]TaskSnapshot, error) {
	out, err := listRows(ctx, s.reader, []TaskSnapshot{}, scanTaskSnapshot, s.taskSnapshotQuery()+`
		WHERE t.project_id = ? AND (? < 0 OR t.is_active = ?)
		ORDER BY col.position, sl.position, t.swimlane_id, t.position, t.id`, projectID, int(status), int(status))
	if err != nil {
		return nil, fmt.Errorf("store: list tasks: %w", err)
	}
	return out, nil
}

// BoardTask is a task as its card shows it: the task with the counts of
// what is attached to it.
type BoardTask struct {
	TaskSnapshot
	SubtasksDone  int
	SubtasksTotal int
	Comments      int
	Files         int
}

// BoardTasks lists a project's tasks in board order, as Tasks does, with
// their subtask, comment and file counts, in one query (no query per card).
// filter (from CompileSearch; the zero value is every task) narrows them
// to the board search's matches.
func (s *Store) BoardTasks(ctx context.Context, projectID int64, status TaskStatus, filter SearchFilter) ([]BoardTask, error) {
	where := cmp.Or(filter.Where, "1 = 1")
	out, err := listRows(ctx, s.reader, []BoardTask{}, func(row interface{ Scan(...any) error }) (BoardTask, error) {
		var b BoardTask
		err := row.Scan(append(append(b.taskFields(), b.nameFields()...), &b.SubtasksDone, &b.SubtasksTotal, &b.Comments, &b.Files)...)
		return b, err
	}, `SELECT `+taskColumns("t.")+`, `+taskNameColumns+`,
		(SELECT count(*) FROM subtasks st WHERE st.task_id = t.id AND st.status = ?),
		(SELECT count(*) FROM subtasks st WHERE st.task_id = t.id),
		(SELECT count(*) FROM comments c WHERE c.task_id = t.id),
		(SELECT count(*) FROM task_files f WHERE f.task_id = t.id)
		`+taskSnapshotFrom+`
		WHERE t.project_id = ? AND (? < 0 OR t.is_active = ?) AND (`+where+`)
		ORDER BY col.position, sl.position, t.swimlane_id, t.position, t.id`,
		append([]any{SubtaskDone, projectID, int(status), int(status)}, filter.Args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: list board tasks: %w", err)
	}
	return out, nil
}

// OpenTasksPerColumn counts each column's open tasks in the project's
// active swimlanes, by column id: what a column's task limit is measured
// against, whatever a search leaves on the board.
func (s *Store) OpenTasksPerColumn(ctx context.Context, projectID int64) (map[int64]int, error) {
	type count struct {
		column int64
		n      int
	}
	rows, err := listRows(ctx, s.reader, []count{}, func(row interface{ Scan(...any) error }) (count, error) {
		var c count
		return c, row.Scan(&c.column, &c.n)
	}, `SELECT t.column_id, count(*) FROM tasks t JOIN swimlanes sl ON sl.id = t.swimlane_id AND sl.is_active = 1
		WHERE t.project_id = ? AND t.is_active = 1 GROUP BY t.column_id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: count open tasks: %w", err)
	}
	out := map[int64]int{}
	for _, c := range rows {
		out[c.column] = c.n
	}
	return out, nil
}

// TaskProjectID returns the project of a task, or ErrNotFound.
func (s *Store) TaskProjectID(ctx context.Context, taskID int64) (int64, error) {
	var p int64
	err := s.reader.QueryRowContext(ctx, `SELECT project_id FROM tasks WHERE id = ?`, taskID).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return p, err
}

// taskMutation runs fn in a transaction and wraps its error with what.
func (s *Store) taskMutation(ctx context.Context, what string, fn func(ctx context.Context, tx *sql.Tx) ([]string, error)) ([]string, error) {
	var events []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		events, err = fn(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return events, nil
}

// UpdateTask changes the given fields of a task. It writes task.update with
// the changed fields in "changes"; an owner change alone is
// task.assignee_change instead (as Kanboard), and an owner change with other
// changes writes both. Nothing changed: no event, no error.
func (s *Store) UpdateTask(ctx context.Context, actor Actor, id int64, u TaskUpdate) ([]string, error) {
	return s.taskMutation(ctx, "update task", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := s.taskSnapshot(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", id, err)
		}
		changes := map[string]any{}
		sets := []string{}
		args := []any{}
		set := func(col string, oldV, newV any, dbV any) {
			if oldV == newV {
				return
			}
			changes[col] = newV
			sets = append(sets, col+" = ?")
			args = append(args, dbV)
		}
		if u.Title != nil {
			if err := ValidateTitle(*u.Title); err != nil {
				return nil, err
			}
			set("title", old.Title, *u.Title, *u.Title)
		}
		if u.Description != nil {
			if err := ValidateText("description", *u.Description, true); err != nil {
				return nil, err
			}
			set("description", old.Description, *u.Description, *u.Description)
		}
		if u.ColorID != nil {
			c := *u.ColorID
			if c == "" {
				c = DefaultColor
			}
			if _, ok := ColorByID(c); !ok {
				return nil, invalid("unknown color_id %q", c)
			}
			set("color_id", old.ColorID, c, c)
		}
		if u.Reference != nil {
			if err := validateReference(*u.Reference); err != nil {
				return nil, err
			}
			set("reference", old.Reference, *u.Reference, *u.Reference)
		}
		if u.OwnerID != nil || u.CategoryID != nil {
			p := placement{project: old.ProjectID, column: old.ColumnID, swimlane: old.SwimlaneID}
			if u.OwnerID != nil {
				if *u.OwnerID < 0 {
					return nil, invalid("owner_id %d is not valid", *u.OwnerID)
				}
				// The owner is checked when it changes: a task whose owner has
				// since become a viewer can still be edited.
				if *u.OwnerID != old.OwnerID {
					p.owner = *u.OwnerID
				}
			}
			if u.CategoryID != nil {
				if *u.CategoryID < 0 {
					return nil, invalid("category_id %d is not valid", *u.CategoryID)
				}
				p.category = *u.CategoryID
			}
			if err := place(ctx, tx, &p); err != nil {
				return nil, err
			}
			if u.OwnerID != nil {
				set("owner_id", old.OwnerID, *u.OwnerID, nullInt(*u.OwnerID))
			}
			if u.CategoryID != nil {
				set("category_id", old.CategoryID, *u.CategoryID, nullInt(*u.CategoryID))
			}
		}
		for _, f := range []struct {
			col  string
			v    *int64
			oldV int64
		}{
			{"date_due", u.DateDue, old.DateDue}, {"date_started", u.DateStarted, old.DateStarted},
			{"score", u.Score, old.Score}, {"priority", u.Priority, old.Priority},
		} {
			if f.v != nil {
				set(f.col, f.oldV, *f.v, *f.v)
			}
		}
		started, due := old.DateStarted, old.DateDue
		if u.DateStarted != nil {
			started = *u.DateStarted
		}
		if u.DateDue != nil {
			due = *u.DateDue
		}
		if u.DateStarted != nil || u.DateDue != nil {
			if err := checkDates(started, due); err != nil {
				return nil, err
			}
		}
		if u.TimeSpent != nil {
			set("time_spent", old.TimeSpent, *u.TimeSpent, *u.TimeSpent)
		}
		if u.TimeEstimated != nil {
			set("time_estimated", old.TimeEstimated, *u.TimeEstimated, *u.TimeEstimated)
		}
		if u.Tags != nil {
			tagsChanged, err := setTaskTagsTx(ctx, tx, old.ProjectID, id, *u.Tags)
			if err != nil {
				return nil, err
			}
			if tagsChanged {
				changes["tags"] = nil // filled in from the snapshot below
			}
		}
		if len(changes) == 0 {
			return nil, nil
		}
		sets = append(sets, "modified_at = ?")
		args = append(args, s.now().Unix(), id)
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...); err != nil {
			return nil, err
		}
		snap, err := s.taskSnapshot(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if _, ok := changes["tags"]; ok {
			changes["tags"] = snap.TagNames()
		}
		var events []string
		if owner, ok := changes["owner_id"]; ok {
			ev, err := s.emit(ctx, tx, actor, EventTaskAssigneeChange, snap.ProjectID, id,
				EventContent{Task: snap, Changes: map[string]any{"owner_id": owner}})
			if err != nil {
				return nil, err
			}
			events = append(events, ev...)
			if len(changes) == 1 {
				return events, nil
			}
		}
		ev, err := s.emit(ctx, tx, actor, EventTaskUpdate, snap.ProjectID, id, EventContent{Task: snap, Changes: changes})
		if err != nil {
			return nil, err
		}
		return append(events, ev...), nil
	})
}

// CloseTask closes a task and writes task.close. Closing a closed task
// succeeds and writes nothing.
func (s *Store) CloseTask(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.setTaskActive(ctx, actor, id, false)
}

// OpenTask reopens a task and writes task.open. Opening an open task
// succeeds and writes nothing.
func (s *Store) OpenTask(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.setTaskActive(ctx, actor, id, true)
}

func (s *Store) setTaskActive(ctx context.Context, actor Actor, id int64, active bool) ([]string, error) {
	what, name := "close task", EventTaskClose
	if active {
		what, name = "open task", EventTaskOpen
	}
	return s.taskMutation(ctx, what, func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := s.taskSnapshot(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", id, err)
		}
		if (old.IsActive == 1) == active {
			return nil, nil
		}
		now := s.now().Unix()
		completed := sql.NullInt64{Int64: now, Valid: !active}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET is_active = ?, completed_at = ?, modified_at = ? WHERE id = ?`,
			boolInt(active), completed, now, id); err != nil {
			return nil, err
		}
		snap, err := s.taskSnapshot(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return s.emit(ctx, tx, actor, name, snap.ProjectID, id, EventContent{Task: snap})
	})
}

// cellCount counts the tasks in a (column, swimlane) cell.
func cellCount(ctx context.Context, tx *sql.Tx, projectID, columnID, swimlaneID int64) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tasks WHERE project_id = ? AND column_id = ? AND swimlane_id = ?`,
		projectID, columnID, swimlaneID).Scan(&n)
	return n, err
}

// closeGap renumbers a cell after a task at position left it, so
// positions stay 1..n.
func closeGap(ctx context.Context, tx *sql.Tx, projectID, columnID, swimlaneID, position int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE tasks SET position = position - 1
		WHERE project_id = ? AND column_id = ? AND swimlane_id = ? AND position > ?`,
		projectID, columnID, swimlaneID, position)
	return err
}

// openGap makes room at position in a cell.
func openGap(ctx context.Context, tx *sql.Tx, projectID, columnID, swimlaneID, position int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE tasks SET position = position + 1
		WHERE project_id = ? AND column_id = ? AND swimlane_id = ? AND position >= ?`,
		projectID, columnID, swimlaneID, position)
	return err
}

// MoveTask moves a task within its project: to another position, column or
// swimlane. It writes task.move.swimlane when the swimlane changes, else
// task.move.column when the column changes, else task.move.position; a move
// to where the task already is writes nothing. Positions in the source and
// destination cells stay dense (1..n).
func (s *Store) MoveTask(ctx context.Context, actor Actor, id int64, m TaskMove) ([]string, error) {
	return s.taskMutation(ctx, "move task", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := s.taskSnapshot(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", id, err)
		}
		if m.ProjectID != 0 && m.ProjectID != old.ProjectID {
			return nil, invalid("task %d is not in project %d", id, m.ProjectID)
		}
		if m.Position < 1 {
			return nil, invalid("position must be 1 or more")
		}
		p := placement{project: old.ProjectID, column: cmp.Or(m.ColumnID, old.ColumnID), swimlane: cmp.Or(m.SwimlaneID, old.SwimlaneID)}
		if err := place(ctx, tx, &p); err != nil {
			return nil, err
		}
		pid, col, lane := p.project, p.column, p.swimlane
		sameCell := col == old.ColumnID && lane == old.SwimlaneID
		n, err := cellCount(ctx, tx, pid, col, lane)
		if err != nil {
			return nil, err
		}
		maxPos := n + 1
		if sameCell {
			maxPos = n
		}
		pos := min(m.Position, maxPos)
		if sameCell && pos == old.Position {
			return nil, nil
		}
		// Take the task out of its cell, then make room in the destination.
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET position = 0 WHERE id = ?`, id); err != nil {
			return nil, err
		}
		if err := closeGap(ctx, tx, pid, old.ColumnID, old.SwimlaneID, old.Position); err != nil {
			return nil, err
		}
		if err := openGap(ctx, tx, pid, col, lane, pos); err != nil {
			return nil, err
		}
		now := s.now().Unix()
		movedAt := old.DateMoved
		if !sameCell {
			movedAt = now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET column_id = ?, swimlane_id = ?, position = ?, moved_at = ?, modified_at = ? WHERE id = ?`,
			col, lane, pos, movedAt, now, id); err != nil {
			return nil, err
		}
		name := EventTaskMovePosition
		switch {
		case lane != old.SwimlaneID:
			name = EventTaskMoveSwimlane
		case col != old.ColumnID:
			name = EventTaskMoveColumn
		}
		return s.emitMove(ctx, tx, actor, name, id, old, 0)
	})
}

// emitMove writes a task.move.* event in Kanboard's shape, comparing the
// task before (old) and after the move.
func (s *Store) emitMove(ctx context.Context, tx *sql.Tx, actor Actor, name string, id int64, old TaskSnapshot, srcProject int64) ([]string, error) {
	snap, err := s.taskSnapshot(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	d := EventContent{Task: snap, Move: &MoveFrom{ColumnID: old.ColumnID, SwimlaneID: old.SwimlaneID,
		ProjectID: srcProject, DateMoved: old.DateMoved}}
	// Kanboard's "changes": the move's fields that are not task fields or
	// differ from the task after the move.
	d.Changes = map[string]any{"src_column_id": old.ColumnID, "dst_column_id": snap.ColumnID}
	if old.DateMoved != snap.DateMoved {
		d.Changes["date_moved"] = old.DateMoved
	}
	if srcProject != 0 {
		d.Changes["project_id"] = snap.ProjectID
		d.Changes["src_project_id"] = srcProject
	}
	if old.SwimlaneID != snap.SwimlaneID {
		d.Changes["src_swimlane_id"] = old.SwimlaneID
		d.Changes["dst_swimlane_id"] = snap.SwimlaneID
	}
	return s.emit(ctx, tx, actor, name, snap.ProjectID, id, d)
}

// MoveTaskToProject moves a task to the end of a cell of another project and
// writes task.move.project. Moving to its own project fails.
func (s *Store) MoveTaskToProject(ctx context.Context, actor Actor, id int64, m ProjectMove) ([]string, error) {
	return s.taskMutation(ctx, "move task to project", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := s.taskSnapshot(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", id, err)
		}
		if m.ProjectID == 0 {
			return nil, invalid("project_id is required")
		}
		if m.ProjectID == old.ProjectID {
			return nil, invalid("task %d is already in project %d", id, m.ProjectID)
		}
		p := placement{project: m.ProjectID, column: m.ColumnID, swimlane: m.SwimlaneID}
		if m.CategoryID != nil {
			p.category = *m.CategoryID
		}
		owner, err := keptOwner(ctx, tx, m.ProjectID, old.OwnerID)
		if err != nil {
			return nil, err
		}
		if m.OwnerID != nil {
			owner = *m.OwnerID
			p.owner = owner
		}
		if err := place(ctx, tx, &p); err != nil {
			return nil, err
		}
		pid, col, lane := p.project, p.column, p.swimlane
		// A category belongs to one project: it is dropped unless given.
		category := nullInt(p.category)
		n, err := cellCount(ctx, tx, pid, col, lane)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET position = 0 WHERE id = ?`, id); err != nil {
			return nil, err
		}
		if err := closeGap(ctx, tx, old.ProjectID, old.ColumnID, old.SwimlaneID, old.Position); err != nil {
			return nil, err
		}
		now := s.now().Unix()
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET project_id = ?, column_id = ?, swimlane_id = ?, category_id = ?,
			owner_id = ?, position = ?, moved_at = ?, modified_at = ? WHERE id = ?`,
			pid, col, lane, category, nullInt(owner), n+1, now, now, id); err != nil {
			return nil, err
		}
		return s.emitMove(ctx, tx, actor, EventTaskMoveProject, id, old, old.ProjectID)
	})
}

// DeleteTask removes a task with its comments, subtasks and files, and
// writes task.delete with the snapshot taken before deleting.
func (s *Store) DeleteTask(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete task", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := s.taskSnapshot(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", id, err)
		}
		events, err := s.emit(ctx, tx, actor, EventTaskDelete, old.ProjectID, id, EventContent{Task: old})
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tasks WHERE id = ?`, id); err != nil {
			return nil, err
		}
		if err := closeGap(ctx, tx, old.ProjectID, old.ColumnID, old.SwimlaneID, old.Position); err != nil {
			return nil, err
		}
		return events, nil
	})
}
