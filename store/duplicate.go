package store

import (
	"context"
	"database/sql"
	"fmt"
)

// DuplicateTask copies a task into a project, its own or another, at the end
// of a cell there (Kanboard's duplicateTaskToProject). The copy has the
// task's title, description, due date, color, owner, score, priority,
// category, estimate and tags; its subtasks (back to todo, no time spent)
// and its files. Zero ids in m mean the destination's defaults; the
// category, unless given, is the task's own in the same project, else the
// destination's category of the same name, else none. The copy writes
// task.create, then subtask.create and file.create for what it copied.
func (s *Store) DuplicateTask(ctx context.Context, actor Actor, taskID int64, m ProjectMove) (int64, []string, error) {
	var id int64
	events, err := s.taskMutation(ctx, "duplicate task", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := s.taskSnapshot(ctx, tx, taskID)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", taskID, err)
		}
		if m.ProjectID == 0 {
			return nil, invalid("project_id is required")
		}
		n := NewTask{ProjectID: m.ProjectID, ColumnID: m.ColumnID, SwimlaneID: m.SwimlaneID,
			Title: old.Title, Description: old.Description, ColorID: old.ColorID, OwnerID: old.OwnerID,
			DateDue: old.DateDue, Score: old.Score, Priority: old.Priority, TimeEstimated: old.TimeEstimated,
			Tags: old.TagNames()}
		if m.OwnerID != nil {
			n.OwnerID = *m.OwnerID
		} else if n.OwnerID, err = keptOwner(ctx, tx, m.ProjectID, old.OwnerID); err != nil {
			return nil, err
		}
		switch {
		case m.CategoryID != nil:
			n.CategoryID = *m.CategoryID
		case m.ProjectID == old.ProjectID:
			n.CategoryID = old.CategoryID
		case old.CategoryName != nil:
			err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM categories WHERE project_id = ? AND lower(name) = lower(?)`,
				m.ProjectID, *old.CategoryName).Scan(&n.CategoryID)
			if err != nil {
				return nil, err
			}
		}
		var events []string
		v, err := configVersion(ctx, tx)
		if err != nil {
			return nil, err
		}
		id, events, err = s.createTaskTx(ctx, tx, v, actor, n)
		if err != nil {
			return nil, err
		}
		subtasks, err := listIDs(ctx, tx, `INSERT INTO subtasks (task_id, title, status, user_id, time_estimated, time_spent, position)
			SELECT ?, title, 0, user_id, time_estimated, 0, position FROM subtasks WHERE task_id = ? ORDER BY position, id
			RETURNING id`, id, taskID)
		if err != nil {
			return nil, err
		}
		// The copy as its subtask and file events show it: copying them
		// changes nothing of the task's row, so it is read once.
		task, err := s.taskSnapshot(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		emitOnCopy := func(name string, c EventContent) error {
			c.Task = task
			ev, err := s.emitAt(ctx, tx, v, actor, name, task.ProjectID, id, c)
			events = append(events, ev...)
			return err
		}
		for _, sid := range subtasks {
			st, err := subtaskByID(ctx, tx, sid)
			if err != nil {
				return nil, err
			}
			if err := emitOnCopy(EventSubtaskCreate, EventContent{Subtask: &st}); err != nil {
				return nil, err
			}
		}
		files, err := listIDs(ctx, tx, `INSERT INTO task_files (task_id, user_id, name, mime_type, size, data, created_at)
			SELECT ?, user_id, name, mime_type, size, data, ? FROM task_files WHERE task_id = ? ORDER BY id
			RETURNING id`, id, s.now().Unix(), taskID)
		if err != nil {
			return nil, err
		}
		for _, fid := range files {
			f, _, err := fileWithETag(ctx, tx, fid)
			if err != nil {
				return nil, err
			}
			if err := emitOnCopy(EventFileCreate, EventContent{File: &f}); err != nil {
				return nil, err
			}
		}
		return events, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return id, events, nil
}

// listIDs runs a query whose rows are one id each (an INSERT … SELECT …
// RETURNING id, a list of ids) and lists them.
func listIDs(ctx context.Context, db q, query string, args ...any) ([]int64, error) {
	return listRows(ctx, db, nil, func(r interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, query, args...)
}
