package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Swimlane is a board row. Active swimlanes have positions 1..n; a
// disabled one has position 0, as in Kanboard.
type Swimlane struct {
	ID          int64
	ProjectID   int64
	Name        string
	Description string
	Position    int
	IsActive    bool
	IsDefault   bool
	TaskLimit   int
}

// swimlaneObject is Kanboard's swimlane row, in its key order.
type swimlaneObject struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Position    int    `json:"position"`
	IsActive    int    `json:"is_active"`
	ProjectID   int64  `json:"project_id"`
	Description string `json:"description"`
	TaskLimit   int    `json:"task_limit"`
}

func (l Swimlane) object() swimlaneObject {
	return swimlaneObject{l.ID, l.Name, l.Position, boolInt(l.IsActive), l.ProjectID, l.Description, l.TaskLimit}
}

// MarshalJSON writes Kanboard's swimlane object (getAllSwimlanes).
func (l Swimlane) MarshalJSON() ([]byte, error) { return json.Marshal(l.object()) }

const swimlaneSelect = `SELECT id, project_id, name, description, position, is_active, is_default, task_limit FROM swimlanes`

func scanSwimlane(row interface{ Scan(...any) error }) (Swimlane, error) {
	var l Swimlane
	err := row.Scan(&l.ID, &l.ProjectID, &l.Name, &l.Description, &l.Position, &l.IsActive, &l.IsDefault, &l.TaskLimit)
	if errors.Is(err, sql.ErrNoRows) {
		return Swimlane{}, ErrNotFound
	}
	return l, err
}

func swimlaneByID(ctx context.Context, db q, id int64) (Swimlane, error) {
	l, err := scanSwimlane(db.QueryRowContext(ctx, swimlaneSelect+` WHERE id = ?`, id))
	if err != nil {
		return l, fmt.Errorf("swimlane %d: %w", id, err)
	}
	return l, nil
}

// SwimlaneByID finds a swimlane.
func (s *Store) SwimlaneByID(ctx context.Context, id int64) (Swimlane, error) {
	return swimlaneByID(ctx, s.reader, id)
}

// SwimlaneByName finds a project's swimlane by its exact name.
func (s *Store) SwimlaneByName(ctx context.Context, projectID int64, name string) (Swimlane, error) {
	return scanSwimlane(s.reader.QueryRowContext(ctx, swimlaneSelect+` WHERE project_id = ? AND name = ?`, projectID, name))
}

// Swimlanes lists a project's swimlanes by position: disabled ones (at 0)
// first, as Kanboard's getAllSwimlanes.
func (s *Store) Swimlanes(ctx context.Context, projectID int64) ([]Swimlane, error) {
	out, err := listRows(ctx, s.reader, []Swimlane{}, scanSwimlane, swimlaneSelect+` WHERE project_id = ? ORDER BY position, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list swimlanes: %w", err)
	}
	return out, nil
}

func checkSwimlaneName(name string) (string, error) {
	name = strings.TrimSpace(name)
	return name, validateName("swimlane name", name, MaxConfigNameLength)
}

func laneConflict(err error, name string) error {
	return nameConflict(err, fmt.Sprintf("swimlane name %q: the project has a swimlane of that name", name))
}

// CreateSwimlane adds a swimlane at the bottom of a project's board and,
// like CreateProject, writes no event (test fixtures).
func (s *Store) CreateSwimlane(ctx context.Context, projectID int64, name string) (int64, error) {
	id, _, err := s.addSwimlane(ctx, nil, projectID, name, "")
	return id, err
}

// AddSwimlane adds an active swimlane below the project's active ones and
// writes swimlane.create.
func (s *Store) AddSwimlane(ctx context.Context, actor Actor, projectID int64, name, description string) (int64, []string, error) {
	return s.addSwimlane(ctx, &actor, projectID, name, description)
}

// addSwimlane is AddSwimlane, with no event when actor is nil.
func (s *Store) addSwimlane(ctx context.Context, actor *Actor, projectID int64, name, description string) (int64, []string, error) {
	name, err := checkSwimlaneName(name)
	if err == nil {
		err = ValidateText("swimlane description", description, true)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("store: add swimlane: %w", err)
	}
	var id int64
	events, err := s.taskMutation(ctx, "add swimlane", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		if _, err := projectByID(ctx, tx, projectID); err != nil {
			return nil, fmt.Errorf("project %d: %w", projectID, err)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO swimlanes (project_id, name, description, position)
			SELECT ?1, ?2, ?3, count(*) + 1 FROM swimlanes WHERE project_id = ?1 AND is_active = 1 RETURNING id`,
			projectID, name, description).Scan(&id)
		if err != nil {
			return nil, laneConflict(err, name)
		}
		if actor == nil {
			return nil, nil
		}
		return s.emitSwimlane(ctx, tx, *actor, EventSwimlaneCreate, id, nil)
	})
	return id, events, err
}

// projectSwimlane reads a swimlane that must belong to projectID.
func projectSwimlane(ctx context.Context, tx q, projectID, id int64) (Swimlane, error) {
	l, err := swimlaneByID(ctx, tx, id)
	if err != nil {
		return l, err
	}
	if l.ProjectID != projectID {
		return l, invalid("swimlane %d is not in project %d", id, projectID)
	}
	return l, nil
}

// UpdateSwimlane renames a project's swimlane and, when description is not
// nil, sets its description; it writes swimlane.update with what changed.
func (s *Store) UpdateSwimlane(ctx context.Context, actor Actor, projectID, id int64, name string, description *string) ([]string, error) {
	name, err := checkSwimlaneName(name)
	if err == nil && description != nil {
		err = ValidateText("swimlane description", *description, true)
	}
	if err != nil {
		return nil, fmt.Errorf("store: update swimlane: %w", err)
	}
	return s.taskMutation(ctx, "update swimlane", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := projectSwimlane(ctx, tx, projectID, id)
		if err != nil {
			return nil, err
		}
		changes := map[string]any{}
		if name != old.Name {
			changes["name"] = name
		}
		desc := old.Description
		if description != nil && *description != old.Description {
			desc, changes["description"] = *description, *description
		}
		if len(changes) == 0 {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE swimlanes SET name = ?, description = ? WHERE id = ?`, name, desc, id); err != nil {
			return nil, laneConflict(err, name)
		}
		return s.emitSwimlane(ctx, tx, actor, EventSwimlaneUpdate, id, changes)
	})
}

// activeLaneIDs lists a project's active swimlanes in order.
func activeLaneIDs(ctx context.Context, tx *sql.Tx, projectID int64) ([]int64, error) {
	return listIDs(ctx, tx, `SELECT id FROM swimlanes WHERE project_id = ? AND is_active = 1 ORDER BY position, id`, projectID)
}

// lastActiveLane refuses to take away a project's only active swimlane:
// new tasks would have nowhere to go.
func lastActiveLane(ctx context.Context, tx *sql.Tx, l Swimlane) error {
	if !l.IsActive {
		return nil
	}
	ids, err := activeLaneIDs(ctx, tx, l.ProjectID)
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		return invalid("swimlane %q is the project's last active swimlane: a board needs one", l.Name)
	}
	return nil
}

// RemoveSwimlane deletes a project's swimlane that holds no task, open or
// closed (as Kanboard), renumbers the others and writes swimlane.delete.
func (s *Store) RemoveSwimlane(ctx context.Context, actor Actor, projectID, id int64) ([]string, error) {
	return s.taskMutation(ctx, "remove swimlane", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		l, err := projectSwimlane(ctx, tx, projectID, id)
		if err != nil {
			return nil, err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tasks WHERE swimlane_id = ?`, id).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, invalid("swimlane %q holds %d task(s), open or closed: move or remove them first", l.Name, n)
		}
		if err := lastActiveLane(ctx, tx, l); err != nil {
			return nil, err
		}
		events, err := s.emitSwimlane(ctx, tx, actor, EventSwimlaneDelete, id, nil)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM swimlanes WHERE id = ?`, id); err != nil {
			return nil, err
		}
		ids, err := activeLaneIDs(ctx, tx, projectID)
		if err != nil {
			return nil, err
		}
		return events, renumber(ctx, tx, "swimlanes", ids, 0, 0)
	})
}

// SetSwimlaneActive enables a swimlane (at the bottom of the active ones)
// or disables it (position 0, the others renumbered), writing
// swimlane.update. Already so: nothing happens.
func (s *Store) SetSwimlaneActive(ctx context.Context, actor Actor, projectID, id int64, active bool) ([]string, error) {
	return s.taskMutation(ctx, "set swimlane active", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		l, err := projectSwimlane(ctx, tx, projectID, id)
		if err != nil || l.IsActive == active {
			return nil, err
		}
		if !active {
			if err := lastActiveLane(ctx, tx, l); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE swimlanes SET is_active = ?, position = 0 WHERE id = ?`, boolInt(active), id); err != nil {
			return nil, err
		}
		ids, err := activeLaneIDs(ctx, tx, projectID)
		if err != nil {
			return nil, err
		}
		if active {
			// The position-0 row sorts first: move it to the end.
			err = renumber(ctx, tx, "swimlanes", ids, id, int64(len(ids)))
		} else {
			err = renumber(ctx, tx, "swimlanes", ids, 0, 0)
		}
		if err != nil {
			return nil, err
		}
		now, err := swimlaneByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return s.emitSwimlane(ctx, tx, actor, EventSwimlaneUpdate, id,
			map[string]any{"is_active": boolInt(active), "position": now.Position})
	})
}

// MoveSwimlane puts an active swimlane at position (1 is the top) among
// the active ones and writes swimlane.update.
func (s *Store) MoveSwimlane(ctx context.Context, actor Actor, projectID, id, position int64) ([]string, error) {
	return s.taskMutation(ctx, "move swimlane", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		l, err := projectSwimlane(ctx, tx, projectID, id)
		if err != nil {
			return nil, err
		}
		if !l.IsActive {
			return nil, invalid("swimlane %q is disabled: enable it to place it", l.Name)
		}
		ids, err := activeLaneIDs(ctx, tx, projectID)
		if err != nil {
			return nil, err
		}
		if moved, err := moveTo(ctx, tx, "swimlanes", ids, id, l.Position, position); err != nil || !moved {
			return nil, err
		}
		return s.emitSwimlane(ctx, tx, actor, EventSwimlaneUpdate, id, map[string]any{"position": position})
	})
}

func (s *Store) emitSwimlane(ctx context.Context, tx *sql.Tx, actor Actor, name string, id int64, changes map[string]any) ([]string, error) {
	l, err := swimlaneByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return s.emitConfig(ctx, tx, actor, name, l.ProjectID, EventContent{Swimlane: &l, Changes: changes})
}
