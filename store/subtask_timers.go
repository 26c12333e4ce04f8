package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
)

// Subtask time tracking (Kanboard's subtask_time_tracking): a user starts
// a timer on a subtask and stops it; stopping adds the hours to the
// subtask's time_spent and writes subtask.update, as any time change does.

// timerHours is the time from start to now in hours, to two decimals
// (Kanboard's DateParser::getHours).
func timerHours(start, now int64) float64 {
	return math.Round(float64(now-start)/3600*100) / 100
}

// runningTimer is the start of userID's running timer on a subtask; false
// when none runs.
func runningTimer(ctx context.Context, db q, subtaskID, userID int64) (int64, bool, error) {
	var start int64
	err := db.QueryRowContext(ctx, `SELECT start_at FROM subtask_time_tracking
		WHERE subtask_id = ? AND user_id = ? AND end_at = 0`, subtaskID, userID).Scan(&start)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return start, err == nil, err
}

// HasSubtaskTimer says whether userID has a timer running on a subtask.
func (s *Store) HasSubtaskTimer(ctx context.Context, subtaskID, userID int64) (bool, error) {
	_, ok, err := runningTimer(ctx, s.reader, subtaskID, userID)
	if err != nil {
		return false, fmt.Errorf("store: subtask timer: %w", err)
	}
	return ok, nil
}

// SubtaskTimerHours is how long userID's running timer on a subtask has
// run, in hours (two decimals); 0 when none runs.
func (s *Store) SubtaskTimerHours(ctx context.Context, subtaskID, userID int64) (float64, error) {
	start, ok, err := runningTimer(ctx, s.reader, subtaskID, userID)
	if err != nil {
		return 0, fmt.Errorf("store: subtask timer: %w", err)
	}
	if !ok {
		return 0, nil
	}
	return timerHours(start, s.now().Unix()), nil
}

// SubtaskTimers are the starts of userID's running timers on a task's
// subtasks, by subtask id.
func (s *Store) SubtaskTimers(ctx context.Context, taskID, userID int64) (map[int64]int64, error) {
	type timer struct{ subtask, start int64 }
	rows, err := listRows(ctx, s.reader, []timer{}, func(row interface{ Scan(...any) error }) (timer, error) {
		var t timer
		return t, row.Scan(&t.subtask, &t.start)
	}, `SELECT tt.subtask_id, tt.start_at FROM subtask_time_tracking tt JOIN subtasks st ON st.id = tt.subtask_id
		WHERE st.task_id = ? AND tt.user_id = ? AND tt.end_at = 0`, taskID, userID)
	if err != nil {
		return nil, fmt.Errorf("store: subtask timers: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, t := range rows {
		out[t.subtask] = t.start
	}
	return out, nil
}

// StartSubtaskTimer starts userID's timer on a subtask. A timer already
// running is ErrConflict; an unknown subtask or user ErrNotFound / bad
// input. Starting changes no subtask field, so it writes no event.
func (s *Store) StartSubtaskTimer(ctx context.Context, subtaskID, userID int64) error {
	_, err := s.taskMutation(ctx, "start subtask timer", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		if _, err := subtaskByID(ctx, tx, subtaskID); err != nil {
			return nil, fmt.Errorf("subtask %d: %w", subtaskID, err)
		}
		if userID == 0 {
			return nil, invalid("a timer needs a user")
		}
		if err := checkUser(ctx, tx, "user_id", userID); err != nil {
			return nil, err
		}
		// The unique index subtask_time_tracking_running refuses a second
		// running timer.
		_, err := tx.ExecContext(ctx, `INSERT INTO subtask_time_tracking (subtask_id, user_id, start_at) VALUES (?, ?, ?)`,
			subtaskID, userID, s.now().Unix())
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("a timer is already running: %w", ErrConflict)
		}
		return nil, err
	})
	return err
}

// StopSubtaskTimer stops userID's timer on a subtask and adds its hours to
// the subtask's time_spent, writing subtask.update. No running timer, or
// one shorter than a hundredth of an hour, changes no time: no event (as
// Kanboard, it is not an error).
func (s *Store) StopSubtaskTimer(ctx context.Context, actor Actor, subtaskID, userID int64) ([]string, error) {
	return s.taskMutation(ctx, "stop subtask timer", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		st, err := subtaskByID(ctx, tx, subtaskID)
		if err != nil {
			return nil, fmt.Errorf("subtask %d: %w", subtaskID, err)
		}
		start, ok, err := runningTimer(ctx, tx, subtaskID, userID)
		if err != nil || !ok {
			return nil, err
		}
		now := s.now().Unix()
		hours := timerHours(start, now)
		if _, err := tx.ExecContext(ctx, `UPDATE subtask_time_tracking SET end_at = ?, time_spent = ?
			WHERE subtask_id = ? AND user_id = ? AND end_at = 0`, now, hours, subtaskID, userID); err != nil {
			return nil, err
		}
		if hours <= 0 {
			return nil, nil
		}
		spent := math.Round((st.TimeSpent+hours)*100) / 100
		if _, err := tx.ExecContext(ctx, `UPDATE subtasks SET time_spent = ? WHERE id = ?`, spent, subtaskID); err != nil {
			return nil, err
		}
		st.TimeSpent = spent
		return s.emitOnTask(ctx, tx, actor, EventSubtaskUpdate, st.TaskID, EventContent{Subtask: &st,
			Changes: map[string]any{"time_spent": spent}})
	})
}
