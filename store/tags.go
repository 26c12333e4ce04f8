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

// MaxTagLength is the longest tag name, in characters (Kanboard's).
const MaxTagLength = 191

// Tag is a label tasks carry. ProjectID 0 is a global tag, offered in every
// project; ColorID "" is no color.
type Tag struct {
	ID        int64
	ProjectID int64
	Name      string
	ColorID   string
}

// MarshalJSON writes Kanboard's tag row: {id, name, project_id, color_id},
// color_id null when the tag has none.
func (t Tag) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID        int64   `json:"id"`
		Name      string  `json:"name"`
		ProjectID int64   `json:"project_id"`
		ColorID   *string `json:"color_id"`
	}{t.ID, t.Name, t.ProjectID, nullStr(t.ColorID)})
}

const tagColumns = `id, project_id, name, color_id`

func scanTag(row interface{ Scan(...any) error }) (Tag, error) {
	var t Tag
	err := row.Scan(&t.ID, &t.ProjectID, &t.Name, &t.ColorID)
	if errors.Is(err, sql.ErrNoRows) {
		return Tag{}, ErrNotFound
	}
	return t, err
}

// taskTagsColumn is the task t's tags as a JSON array in the shape of
// Kanboard's board rows, [{id, name, color_id, task_id}], by name. JSON
// aggregation has no spelling common to both dialects (PostgreSQL's
// json_agg gives NULL, not [], for no rows); encoding/json compacts either
// when it writes them out.
const (
	taskTagsColumnSQLite = `(SELECT json_group_array(json_object('id', tg.id, 'name', tg.name,
	'color_id', NULLIF(tg.color_id, ''), 'task_id', tt.task_id) ORDER BY tg.name, tg.id)
	FROM task_tags tt JOIN tags tg ON tg.id = tt.tag_id WHERE tt.task_id = t.id)`
	taskTagsColumnPostgres = `(SELECT COALESCE(json_agg(json_build_object('id', tg.id, 'name', tg.name,
	'color_id', NULLIF(tg.color_id, ''), 'task_id', tt.task_id) ORDER BY tg.name, tg.id), '[]')
	FROM task_tags tt JOIN tags tg ON tg.id = tt.tag_id WHERE tt.task_id = t.id)`
)

func (s *Store) taskTagsColumn() string {
	if s.pg {
		return taskTagsColumnPostgres
	}
	return taskTagsColumnSQLite
}

// AllTags lists tags by name: every tag when all is set (applications and
// admins), else the global tags and those of the active projects userID
// is a member of.
func (s *Store) AllTags(ctx context.Context, userID int64, all bool) ([]Tag, error) {
	out, err := listRows(ctx, s.reader, []Tag{}, scanTag, `SELECT `+tagColumns+` FROM tags
		WHERE ?1 OR project_id = 0 OR project_id IN (SELECT pu.project_id FROM project_roles pu
			JOIN projects p ON p.id = pu.project_id WHERE pu.user_id = ?2 AND p.is_active = 1)
		ORDER BY name, id`, all, userID)
	if err != nil {
		return nil, fmt.Errorf("store: list tags: %w", err)
	}
	return out, nil
}

// TagsByProject lists a project's own tags (not the global ones) by name.
func (s *Store) TagsByProject(ctx context.Context, projectID int64) ([]Tag, error) {
	out, err := listRows(ctx, s.reader, []Tag{}, scanTag, `SELECT `+tagColumns+` FROM tags
		WHERE project_id = ? ORDER BY name, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list project tags: %w", err)
	}
	return out, nil
}

// TagByID reads one tag.
func (s *Store) TagByID(ctx context.Context, id int64) (Tag, error) {
	t, err := scanTag(s.reader.QueryRowContext(ctx, `SELECT `+tagColumns+` FROM tags WHERE id = ?`, id))
	if err != nil {
		return Tag{}, fmt.Errorf("store: tag %d: %w", id, err)
	}
	return t, nil
}

// validateTag checks a tag's name and color.
func validateTag(name, colorID string) error {
	if err := validateName("tag", name, MaxTagLength); err != nil {
		return err
	}
	if _, ok := ColorByID(colorID); colorID != "" && !ok {
		return invalid("unknown color_id %q", colorID)
	}
	return nil
}

// uniqueTag turns the UNIQUE (project_id, name) refusal into ErrConflict.
func uniqueTag(err error, name string) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("tag %q: %w", name, ErrConflict)
	}
	return err
}

// CreateTag adds a tag to a project, or a global tag when projectID is 0.
// A second tag of the same name in the same project is ErrConflict.
func (s *Store) CreateTag(ctx context.Context, projectID int64, name, colorID string) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := validateTag(name, colorID); err != nil {
			return err
		}
		if projectID != 0 {
			if err := projectExists(ctx, tx, projectID); err != nil {
				return err
			}
		}
		return uniqueTag(tx.QueryRowContext(ctx, `INSERT INTO tags (project_id, name, color_id) VALUES (?, ?, ?) RETURNING id`,
			projectID, name, colorID).Scan(&id), name)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create tag: %w", err)
	}
	return id, nil
}

// projectExists answers ErrInvalid for a project that does not exist.
func projectExists(ctx context.Context, tx q, projectID int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM projects WHERE id = ?`, projectID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return invalid("project_id %d does not exist", projectID)
	}
	return nil
}

// UpdateTag renames a tag and sets its color ("" clears it, as Kanboard's
// updateTag does when no color is given). The tasks that carry it get no
// event: a tag's name is not one of their fields.
func (s *Store) UpdateTag(ctx context.Context, id int64, name, colorID string) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := validateTag(name, colorID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE tags SET name = ?, color_id = ? WHERE id = ?`, name, colorID, id)
		if err != nil {
			return uniqueTag(err, name)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, fmt.Errorf("tag %d: %w", id, ErrNotFound))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: update tag: %w", err)
	}
	return nil
}

// cmpErr is err, or else fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// RemoveTag deletes a tag. Every task that carried it has lost one of its
// tags, so each gets a task.update whose changes list its remaining tags.
func (s *Store) RemoveTag(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "remove tag", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		if _, err := scanTag(tx.QueryRowContext(ctx, `SELECT `+tagColumns+` FROM tags WHERE id = ?`, id)); err != nil {
			return nil, fmt.Errorf("tag %d: %w", id, err)
		}
		tasks, err := listIDs(ctx, tx, `SELECT task_id FROM task_tags WHERE tag_id = ? ORDER BY task_id`, id)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE id = ?`, id); err != nil {
			return nil, err
		}
		var events []string
		for _, taskID := range tasks {
			ev, err := s.emitTagChange(ctx, tx, actor, taskID)
			if err != nil {
				return nil, err
			}
			events = append(events, ev...)
		}
		return events, nil
	})
}

// emitTagChange marks a task modified after its tags changed and writes the
// task.update that says so: changes.tags holds the names it has now.
func (s *Store) emitTagChange(ctx context.Context, tx *sql.Tx, actor Actor, taskID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET modified_at = ? WHERE id = ?`, s.now().Unix(), taskID); err != nil {
		return nil, err
	}
	snap, err := s.taskSnapshot(ctx, tx, taskID)
	if err != nil {
		return nil, err
	}
	return s.emit(ctx, tx, actor, EventTaskUpdate, snap.ProjectID, taskID,
		EventContent{Task: snap, Changes: map[string]any{"tags": snap.TagNames()}})
}

// TaskTags lists a task's tags by name.
func (s *Store) TaskTags(ctx context.Context, taskID int64) ([]Tag, error) {
	out, err := listRows(ctx, s.reader, []Tag{}, scanTag, `SELECT tg.id, tg.project_id, tg.name, tg.color_id
		FROM task_tags tt JOIN tags tg ON tg.id = tt.tag_id WHERE tt.task_id = ? ORDER BY tg.name, tg.id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("store: task tags: %w", err)
	}
	return out, nil
}

// SetTaskTags makes names the task's tags (Kanboard's setTaskTags): each
// name is the project's or a global tag of that name, matched without
// regard to case, or a new tag of the project; tags not named are taken
// off. projectID must be the task's project. A change writes task.update
// with changes.tags; the same set again writes nothing.
func (s *Store) SetTaskTags(ctx context.Context, actor Actor, projectID, taskID int64, names []string) ([]string, error) {
	return s.taskMutation(ctx, "set task tags", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		var taskProject int64
		err := tx.QueryRowContext(ctx, `SELECT project_id FROM tasks WHERE id = ?`, taskID).Scan(&taskProject)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("task %d: %w", taskID, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		if projectID != taskProject {
			return nil, invalid("task %d is not in project %d", taskID, projectID)
		}
		changed, err := setTaskTagsTx(ctx, tx, projectID, taskID, names)
		if err != nil || !changed {
			return nil, err
		}
		return s.emitTagChange(ctx, tx, actor, taskID)
	})
}

// cleanTagNames drops blank names and repeats (without regard to case) and
// checks the rest.
func cleanTagNames(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			continue
		}
		if err := validateName("tag", n, MaxTagLength); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	return out, nil
}

// setTaskTagsTx gives a task exactly the tags names resolve to in project
// projectID, creating the missing ones there, and tells whether its set
// changed. Unlike Kanboard, a name that differs from the task's tag only in
// case keeps that tag on the task.
func setTaskTagsTx(ctx context.Context, tx *sql.Tx, projectID, taskID int64, names []string) (bool, error) {
	names, err := cleanTagNames(names)
	if err != nil {
		return false, err
	}
	want := make([]int64, 0, len(names))
	for _, name := range names {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM tags WHERE project_id IN (0, ?) AND lower(name) = lower(?)
			ORDER BY project_id, id LIMIT 1`, projectID, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `INSERT INTO tags (project_id, name) VALUES (?, ?) RETURNING id`, projectID, name).Scan(&id)
		}
		if err != nil {
			return false, err
		}
		want = append(want, id)
	}
	have, err := listIDs(ctx, tx, `SELECT tag_id FROM task_tags WHERE task_id = ?`, taskID)
	if err != nil {
		return false, err
	}
	changed := false
	for _, id := range have {
		if !slices.Contains(want, id) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM task_tags WHERE task_id = ? AND tag_id = ?`, taskID, id); err != nil {
				return false, err
			}
			changed = true
		}
	}
	for _, id := range want {
		if !slices.Contains(have, id) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO task_tags (task_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, taskID, id); err != nil {
				return false, err
			}
			changed = true
		}
	}
	return changed, nil
}
