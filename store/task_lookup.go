package store

import (
	"context"
	"fmt"
)

// TaskByReference finds a project's task by its reference, exactly as
// written (Kanboard's getTaskByReference). An empty reference names no task.
func (s *Store) TaskByReference(ctx context.Context, projectID int64, reference string) (TaskSnapshot, error) {
	if reference == "" {
		return TaskSnapshot{}, fmt.Errorf("store: task by reference: %w", ErrNotFound)
	}
	t, err := scanTaskSnapshot(s.reader.QueryRowContext(ctx, s.taskSnapshotQuery()+`
		WHERE t.project_id = ? AND t.reference = ? AND t.reference != '' ORDER BY t.id LIMIT 1`, projectID, reference))
	if err != nil {
		return TaskSnapshot{}, fmt.Errorf("store: task by reference: %w", err)
	}
	return t, nil
}

// OverdueTask is a row of Kanboard's overdue lists.
type OverdueTask struct {
	ID               int64   `json:"id"`
	Title            string  `json:"title"`
	DateDue          int64   `json:"date_due"`
	ProjectID        int64   `json:"project_id"`
	CreatorID        int64   `json:"creator_id"`
	OwnerID          int64   `json:"owner_id"`
	ProjectName      string  `json:"project_name"`
	AssigneeUsername *string `json:"assignee_username"`
	AssigneeName     *string `json:"assignee_name"`
}

// OverdueTasks lists the open tasks of active projects whose due date has
// passed, by due date then id; ownerID and projectID, when not 0, narrow
// them to one assignee or one project.
func (s *Store) OverdueTasks(ctx context.Context, ownerID, projectID int64) ([]OverdueTask, error) {
	// A project's list reads only that project's tasks (the tasks_cell index).
	where, args := "", []any{}
	if projectID != 0 {
		where, args = "t.project_id = ? AND ", append(args, projectID)
	}
	if ownerID != 0 {
		where, args = where+"t.owner_id = ? AND ", append(args, ownerID)
	}
	args = append(args, s.now().Unix())
	out, err := listRows(ctx, s.reader, []OverdueTask{}, func(r interface{ Scan(...any) error }) (OverdueTask, error) {
		var o OverdueTask
		err := r.Scan(&o.ID, &o.Title, &o.DateDue, &o.ProjectID, &o.CreatorID, &o.OwnerID, &o.ProjectName,
			&o.AssigneeUsername, &o.AssigneeName)
		return o, err
	}, `SELECT t.id, t.title, t.date_due, t.project_id, COALESCE(t.creator_id, 0), COALESCE(t.owner_id, 0), p.name,
		ow.username, NULLIF(ow.name, '')
		FROM tasks t JOIN projects p ON p.id = t.project_id LEFT JOIN users ow ON ow.id = t.owner_id
		WHERE `+where+`t.is_active = 1 AND p.is_active = 1 AND t.date_due != 0 AND t.date_due <= ?
		ORDER BY t.date_due, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: overdue tasks: %w", err)
	}
	return out, nil
}
