package store

import (
	"context"
	"fmt"
)

// DashboardTasks are a user's open tasks in active projects, as Kanboard's
// dashboard picks them: assigned to the user or with a subtask assigned to
// them, in a column not hidden from dashboards. Membership is not checked,
// as in Kanboard.
func (s *Store) DashboardTasks(ctx context.Context, userID int64) ([]TaskSnapshot, error) {
	out, err := listRows(ctx, s.reader, []TaskSnapshot{}, scanTaskSnapshot, taskSnapshotQuery+`
		WHERE (t.owner_id = ? OR EXISTS (SELECT 1 FROM subtasks st WHERE st.task_id = t.id AND st.user_id = ?))
		AND t.is_active = 1 AND p.is_active = 1 AND COALESCE(col.hide_in_dashboard, 0) = 0
		ORDER BY t.id`, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard of user %d: %w", userID, err)
	}
	return out, nil
}

// UserActivity is the newest events, at most limit, of the active projects
// a user has a role in: Kanboard's activity stream.
func (s *Store) UserActivity(ctx context.Context, userID int64, limit int) ([]Event, error) {
	out, err := listRows(ctx, s.reader, []Event{}, scanEvent, `SELECT `+eventColumns+` FROM events
		WHERE project_id IN (SELECT pu.project_id FROM project_roles pu JOIN projects p ON p.id = pu.project_id
			WHERE pu.user_id = ? AND p.is_active = 1)
		ORDER BY id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: activity of user %d: %w", userID, err)
	}
	return out, nil
}
