package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Category groups tasks in a project. ColorID is one of Colors, or "".
type Category struct {
	ID          int64
	ProjectID   int64
	Name        string
	Description string
	ColorID     string
}

// categoryObject is Kanboard's category row, in its key order.
type categoryObject struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	ProjectID   int64   `json:"project_id"`
	Description string  `json:"description"`
	ColorID     *string `json:"color_id"`
}

func (c Category) object() categoryObject {
	return categoryObject{c.ID, c.Name, c.ProjectID, c.Description, nullStr(c.ColorID)}
}

// MarshalJSON writes Kanboard's category object (getCategory).
func (c Category) MarshalJSON() ([]byte, error) { return json.Marshal(c.object()) }

const categorySelect = `SELECT id, project_id, name, description, color_id FROM categories`

func scanCategory(row interface{ Scan(...any) error }) (Category, error) {
	var c Category
	err := row.Scan(&c.ID, &c.ProjectID, &c.Name, &c.Description, &c.ColorID)
	if errors.Is(err, sql.ErrNoRows) {
		return Category{}, ErrNotFound
	}
	return c, err
}

func categoryByID(ctx context.Context, db q, id int64) (Category, error) {
	c, err := scanCategory(db.QueryRowContext(ctx, categorySelect+` WHERE id = ?`, id))
	if err != nil {
		return c, fmt.Errorf("category %d: %w", id, err)
	}
	return c, nil
}

// CategoryByID finds a category.
func (s *Store) CategoryByID(ctx context.Context, id int64) (Category, error) {
	return categoryByID(ctx, s.reader, id)
}

// Categories lists a project's categories by name.
func (s *Store) Categories(ctx context.Context, projectID int64) ([]Category, error) {
	out, err := listRows(ctx, s.reader, []Category{}, scanCategory, categorySelect+` WHERE project_id = ? ORDER BY name, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list categories: %w", err)
	}
	return out, nil
}

// checkCategory validates a category's name (at most 191 characters) and
// colour ("" for none).
func checkCategory(name, colorID string) (string, error) {
	name = strings.TrimSpace(name)
	if err := validateName("category name", name, MaxConfigNameLength); err != nil {
		return "", err
	}
	if _, ok := ColorByID(colorID); colorID != "" && !ok {
		return "", invalid("unknown color_id %q", colorID)
	}
	return name, nil
}

func categoryConflict(err error, name string) error {
	return nameConflict(err, fmt.Sprintf("category name %q: the project has a category of that name", name))
}

// CreateCategory adds a category to a project and, like CreateProject,
// writes no event (test fixtures).
func (s *Store) CreateCategory(ctx context.Context, projectID int64, name string) (int64, error) {
	id, _, err := s.addCategory(ctx, nil, projectID, name, "")
	return id, err
}

// AddCategory adds a category with a colour ("" for none) to a project
// and writes category.create. Names are unique in a project, ignoring case.
func (s *Store) AddCategory(ctx context.Context, actor Actor, projectID int64, name, colorID string) (int64, []string, error) {
	return s.addCategory(ctx, &actor, projectID, name, colorID)
}

// addCategory is AddCategory, with no event when actor is nil.
func (s *Store) addCategory(ctx context.Context, actor *Actor, projectID int64, name, colorID string) (int64, []string, error) {
	name, err := checkCategory(name, colorID)
	if err != nil {
		return 0, nil, fmt.Errorf("store: add category: %w", err)
	}
	var id int64
	events, err := s.taskMutation(ctx, "add category", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		if _, err := projectByID(ctx, tx, projectID); err != nil {
			return nil, fmt.Errorf("project %d: %w", projectID, err)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO categories (project_id, name, color_id) VALUES (?, ?, ?) RETURNING id`,
			projectID, name, colorID).Scan(&id)
		if err != nil {
			return nil, categoryConflict(err, name)
		}
		if actor == nil {
			return nil, nil
		}
		return s.emitCategory(ctx, tx, *actor, EventCategoryCreate, id, nil)
	})
	return id, events, err
}

// UpdateCategory sets a category's name and colour (Kanboard's
// updateCategory writes both: no colour clears it) and writes
// category.update with what changed.
func (s *Store) UpdateCategory(ctx context.Context, actor Actor, id int64, name, colorID string) ([]string, error) {
	name, err := checkCategory(name, colorID)
	if err != nil {
		return nil, fmt.Errorf("store: update category: %w", err)
	}
	return s.taskMutation(ctx, "update category", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		old, err := categoryByID(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		changes := map[string]any{}
		if name != old.Name {
			changes["name"] = name
		}
		if colorID != old.ColorID {
			changes["color_id"] = nullStr(colorID)
		}
		if len(changes) == 0 {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE categories SET name = ?, color_id = ? WHERE id = ?`, name, colorID, id); err != nil {
			return nil, categoryConflict(err, name)
		}
		return s.emitCategory(ctx, tx, actor, EventCategoryUpdate, id, changes)
	})
}

// RemoveCategory deletes a category and writes category.delete; its tasks
// keep no category (Kanboard's category_id 0).
func (s *Store) RemoveCategory(ctx context.Context, actor Actor, id int64) ([]string, error) {
	return s.taskMutation(ctx, "remove category", func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		events, err := s.emitCategory(ctx, tx, actor, EventCategoryDelete, id, nil)
		if err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM categories WHERE id = ?`, id)
		return events, err
	})
}

func (s *Store) emitCategory(ctx context.Context, tx *sql.Tx, actor Actor, name string, id int64, changes map[string]any) ([]string, error) {
	c, err := categoryByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return s.emitConfig(ctx, tx, actor, name, c.ProjectID, EventContent{Category: &c, Changes: changes})
}
