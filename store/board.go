package store

import (
	"context"
	"fmt"
)

// BoardTasks lists a project's tasks in board order (column, swimlane,
// position), open ones only unless withClosed.
func (s *Store) BoardTasks(ctx context.Context, projectID int64, withClosed bool) ([]TaskSnapshot, error) {
	rows, err := s.reader.QueryContext(ctx, taskSnapshotQuery+`
		WHERE t.project_id = ? AND (? OR t.is_active = 1)
		ORDER BY t.column_id, t.swimlane_id, t.position, t.id`, projectID, withClosed)
	if err != nil {
		return nil, fmt.Errorf("store: board tasks: %w", err)
	}
	defer rows.Close()
	var out []TaskSnapshot
	for rows.Next() {
		t, err := scanTaskSnapshot(rows)
		if err != nil {
			return nil, fmt.Errorf("store: board tasks: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
