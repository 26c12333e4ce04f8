package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Subtask states (Kanboard's numbers).
const (
	SubtaskTodo       = 0
	SubtaskInProgress = 1
	SubtaskDone       = 2
)

// SubtaskStatusNames are Kanboard's labels, indexed by status.
var SubtaskStatusNames = []string{"Todo", "In progress", "Done"}

// Subtask is a checklist item of a task.
type Subtask struct {
	ID            int64
	TaskID        int64
	Title         string
	Status        int
	UserID        int64 // assignee, 0 = nobody
	TimeEstimated float64
	TimeSpent     float64
	Position      int64
	Username      string
	Name          string
	// TimerStart is when the caller's running timer on the subtask started
	// (getAllSubtasks' timer_start_date); 0 when none runs or nobody asked.
	TimerStart int64
}

// NewSubtask is a subtask to create.
type NewSubtask struct {
	TaskID        int64
	Title         string
	UserID        int64
	TimeEstimated float64
	TimeSpent     float64
	Status        int
}

// SubtaskUpdate lists the fields to change; nil leaves a field as it is.
type SubtaskUpdate struct {
	Title         *string
	UserID        *int64
	TimeEstimated *float64
	TimeSpent     *float64
	Status        *int
	// Position, when not nil, moves the subtask to that place in its
	// task's list (1 is the top; past the end is the end); the others
	// close up, so positions stay 1..n.
	Position *int64
}

const subtaskQuery = `SELECT st.id, st.task_id, st.title, st.status, COALESCE(st.user_id, 0), st.time_estimated,
	st.time_spent, st.position, COALESCE(u.username, ''), COALESCE(u.name, '')
	FROM subtasks st LEFT JOIN users u ON u.id = st.user_id`

func scanSubtask(row interface{ Scan(...any) error }) (Subtask, error) {
	var st Subtask
	err := row.Scan(&st.ID, &st.TaskID, &st.Title, &st.Status, &st.UserID, &st.TimeEstimated, &st.TimeSpent,
		&st.Position, &st.Username, &st.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return Subtask{}, ErrNotFound
	}
	if err == nil && (st.Status < 0 || st.Status >= len(SubtaskStatusNames)) {
		st.Status = SubtaskTodo
	}
	return st, err
}

func subtaskByID(ctx context.Context, db q, id int64) (Subtask, error) {
	return scanSubtask(db.QueryRowContext(ctx, subtaskQuery+` WHERE st.id = ?`, id))
}

// SubtaskByID reads one subtask.
func (s *Store) SubtaskByID(ctx context.Context, id int64) (Subtask, error) {
	st, err := subtaskByID(ctx, s.reader, id)
	if err != nil {
		return Subtask{}, fmt.Errorf("store: subtask %d: %w", id, err)
	}
	return st, nil
}

// Subtasks lists a task's subtasks in order.
func (s *Store) Subtasks(ctx context.Context, taskID int64) ([]Subtask, error) {
	out, err := listRows(ctx, s.reader, []Subtask{}, scanSubtask, subtaskQuery+` WHERE st.task_id = ? ORDER BY st.position, st.id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("store: list subtasks: %w", err)
	}
	return out, nil
}

func validateSubtask(title string, status int, est, spent float64) error {
	if err := ValidateTitle(title); err != nil {
		return err
	}
	if status < SubtaskTodo || status > SubtaskDone {
		return invalid("subtask status must be 0 (todo), 1 (in progress) or 2 (done)")
	}
	if est < 0 || spent < 0 {
		return invalid("subtask times must not be negative")
	}
	return nil
}

// CreateSubtask adds a subtask at the end of its task's list and writes
// subtask.create.
func (s *Store) CreateSubtask(ctx context.Context, actor Actor, n NewSubtask) (int64, []string, error) {
	if err := validateSubtask(n.Title, n.Status, n.TimeEstimated, n.TimeSpent); err != nil {
		return 0, nil, fmt.Errorf("store: create subtask: %w", err)
	}
	return s.createOnTask(ctx, "create subtask", EventSubtaskCreate, actor, n.TaskID,
		func(ctx context.Context, tx *sql.Tx, _ TaskSnapshot) (int64, error) {
			if err := checkUser(ctx, tx, "user_id", n.UserID); err != nil {
				return 0, err
			}
			return insert(ctx, tx, `INSERT INTO subtasks (task_id, title, status, user_id, time_estimated, time_spent, position)
				VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM subtasks WHERE task_id = ?))`,
				n.TaskID, n.Title, n.Status, nullInt(n.UserID), n.TimeEstimated, n.TimeSpent, n.TaskID)
		},
		func(ctx context.Context, tx *sql.Tx, id int64) (EventContent, error) {
			st, err := subtaskByID(ctx, tx, id)
			return EventContent{Subtask: &st}, err
		})
}

// UpdateSubtask changes the given fields of a subtask and writes
// subtask.update with the changed fields. taskID, when not zero, must be
// the subtask's task (Kanboard's check). Nothing changed: no event.
func (s *Store) UpdateSubtask(ctx context.Context, actor Actor, id, taskID int64, u SubtaskUpdate) ([]string, error) {
	return s.taskMutation(ctx, "update subtask", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := subtaskByID(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("subtask %d: %w", id, err)
		}
		if taskID != 0 && taskID != old.TaskID {
			return nil, invalid("subtask %d is not on task %d", id, taskID)
		}
		next := old
		if u.Title != nil {
			next.Title = *u.Title
		}
		if u.Status != nil {
			next.Status = *u.Status
		}
		if u.TimeEstimated != nil {
			next.TimeEstimated = *u.TimeEstimated
		}
		if u.TimeSpent != nil {
			next.TimeSpent = *u.TimeSpent
		}
		if u.UserID != nil {
			if err := checkUser(ctx, tx, "user_id", *u.UserID); err != nil {
				return nil, err
			}
			next.UserID = *u.UserID
		}
		if err := validateSubtask(next.Title, next.Status, next.TimeEstimated, next.TimeSpent); err != nil {
			return nil, err
		}
		changes := map[string]any{}
		if next.Title != old.Title {
			changes["title"] = next.Title
		}
		if next.Status != old.Status {
			changes["status"] = next.Status
		}
		if next.UserID != old.UserID {
			changes["user_id"] = next.UserID
		}
		if next.TimeEstimated != old.TimeEstimated {
			changes["time_estimated"] = next.TimeEstimated
		}
		if next.TimeSpent != old.TimeSpent {
			changes["time_spent"] = next.TimeSpent
		}
		if u.Position != nil {
			pos, err := moveSubtask(ctx, tx, old, *u.Position)
			if err != nil {
				return nil, err
			}
			if pos != old.Position {
				changes["position"] = pos
			}
		}
		if len(changes) == 0 {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subtasks SET title = ?, status = ?, user_id = ?, time_estimated = ?, time_spent = ? WHERE id = ?`,
			next.Title, next.Status, nullInt(next.UserID), next.TimeEstimated, next.TimeSpent, id); err != nil {
			return nil, err
		}
		st, err := subtaskByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return s.emitOnTask(ctx, tx, actor, EventSubtaskUpdate, st.TaskID, EventContent{Subtask: &st, Changes: changes})
	})
}

// moveSubtask puts a subtask at position in its task's list, shifting the
// subtasks between its old and new place, and answers where it went.
func moveSubtask(ctx context.Context, tx *sql.Tx, st Subtask, position int64) (int64, error) {
	if position < 1 {
		return 0, invalid("position must be 1 or more")
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM subtasks WHERE task_id = ?`, st.TaskID).Scan(&n); err != nil {
		return 0, err
	}
	position = min(position, n)
	if position == st.Position {
		return position, nil
	}
	shift := `UPDATE subtasks SET position = position - 1 WHERE task_id = ? AND position > ? AND position <= ?`
	lo, hi := st.Position, position
	if position < st.Position {
		shift = `UPDATE subtasks SET position = position + 1 WHERE task_id = ? AND position >= ? AND position < ?`
		lo, hi = position, st.Position
	}
	if _, err := tx.ExecContext(ctx, shift, st.TaskID, lo, hi); err != nil {
		return 0, err
	}
	_, err := tx.ExecContext(ctx, `UPDATE subtasks SET position = ? WHERE id = ?`, position, st.ID)
	return position, err
}

// DeleteSubtask removes a subtask, keeps its task's positions dense, and
// writes subtask.delete with the subtask as it was.
func (s *Store) DeleteSubtask(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "delete subtask", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		st, err := subtaskByID(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("subtask %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM subtasks WHERE id = ?`, id); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subtasks SET position = position - 1 WHERE task_id = ? AND position > ?`,
			st.TaskID, st.Position); err != nil {
			return nil, err
		}
		return s.emitOnTask(ctx, tx, actor, EventSubtaskDelete, st.TaskID, EventContent{Subtask: &st})
	})
}
