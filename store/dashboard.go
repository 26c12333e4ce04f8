package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// DashboardTask is a task of a user's dashboard (getMyDashboard):
// Kanboard's extended task row with its tags, by name, and the user's own
// subtasks of it, in order.
type DashboardTask struct {
	ExtendedTaskRow
	Tags     []TaskTag `json:"tags"`
	Subtasks []Subtask `json:"subtasks"`
}

// DashboardTasks are a user's open tasks in active projects, as Kanboard's
// dashboard picks them: assigned to the user or with a subtask assigned to
// them, in a column not hidden from dashboards, by id. Membership is not
// checked, as in Kanboard.
func (s *Store) DashboardTasks(ctx context.Context, userID int64) ([]DashboardTask, error) {
	rows, err := s.extendedTasks(ctx, `(t.owner_id = ? OR EXISTS (SELECT 1 FROM subtasks st WHERE st.task_id = t.id AND st.user_id = ?))
		AND t.is_active = 1 AND p.is_active = 1 AND COALESCE(col.hide_in_dashboard, 0) = 0
		ORDER BY t.id`, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard of user %d: %w", userID, err)
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	// The tasks' ids go in as one JSON array: one statement however many.
	idList, _ := json.Marshal(ids)
	tags, err := listRows(ctx, s.reader, []TaskTag{}, scanTaskTag, `SELECT `+taskTagColumns+` FROM task_tags tt JOIN tags g ON g.id = tt.tag_id
		WHERE tt.task_id IN (`+s.jsonIDs()+`) ORDER BY g.name, g.id`, string(idList))
	if err != nil {
		return nil, fmt.Errorf("store: dashboard tags: %w", err)
	}
	subtasks, err := listRows(ctx, s.reader, []Subtask{}, scanSubtask, subtaskQuery+`
		WHERE st.task_id IN (`+s.jsonIDs()+`) AND st.user_id = ? ORDER BY st.position, st.id`, string(idList), userID)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard subtasks: %w", err)
	}
	out := make([]DashboardTask, len(rows))
	at := map[int64]*DashboardTask{}
	for i, r := range rows {
		out[i] = DashboardTask{ExtendedTaskRow: r, Tags: []TaskTag{}, Subtasks: []Subtask{}}
		at[r.ID] = &out[i]
	}
	for _, t := range tags {
		at[t.TaskID].Tags = append(at[t.TaskID].Tags, t)
	}
	for _, st := range subtasks {
		at[st.TaskID].Subtasks = append(at[st.TaskID].Subtasks, st)
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

// jsonIDs is a subquery of the ids in a JSON array bound to its one ?, so
// a list of any length is one statement. JSON has no spelling common to
// both dialects.
func (s *Store) jsonIDs() string {
	if s.pg {
		return `SELECT value::bigint FROM json_array_elements_text(CAST(? AS json))`
	}
	return `SELECT value FROM json_each(?)`
}
