package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Project is a board.
type Project struct {
	ID          int64
	Name        string
	Description string
	Identifier  string
	IsActive    bool
	OwnerID     int64
	CreatedAt   int64
	ModifiedAt  int64
}

// Column is a board column.
type Column struct {
	ID          int64
	ProjectID   int64
	Title       string
	Position    int
	TaskLimit   int
	Description string
}

// Swimlane is a board row.
type Swimlane struct {
	ID          int64
	ProjectID   int64
	Name        string
	Description string
	Position    int
	IsActive    bool
	IsDefault   bool
}

// Category groups tasks in a project.
type Category struct {
	ID          int64
	ProjectID   int64
	Name        string
	Description string
	ColorID     string
}

// DefaultColumns are the columns Kanboard gives every new project.
var DefaultColumns = []string{"Backlog", "Ready", "Work in progress", "Done"}

// DefaultSwimlaneName is the name of the swimlane every new project gets.
const DefaultSwimlaneName = "Default swimlane"

// CreateProject adds a project with the default columns and swimlane.
func (s *Store) CreateProject(ctx context.Context, name, description string, ownerID int64) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createProjectTx(ctx, tx, name, description, ownerID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: create project: %w", err)
	}
	return id, nil
}

func (s *Store) createProjectTx(ctx context.Context, tx *sql.Tx, name, description string, ownerID int64) (int64, error) {
	name = strings.TrimSpace(name)
	if err := validateName("project name", name, 255); err != nil {
		return 0, err
	}
	if err := ValidateText("project description", description, true); err != nil {
		return 0, err
	}
	now := s.now().Unix()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO projects (name, description, owner_id, created_at, modified_at) VALUES (?, ?, ?, ?, ?)`,
		name, description, nullInt(ownerID), now, now)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for i, title := range DefaultColumns {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO columns (project_id, title, position) VALUES (?, ?, ?)`, id, title, i+1); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO swimlanes (project_id, name, position, is_default) VALUES (?, ?, 1, 1)`,
		id, DefaultSwimlaneName); err != nil {
		return 0, err
	}
	return id, nil
}

const projectColumns = `id, name, description, identifier, is_active, COALESCE(owner_id, 0), created_at, modified_at`

func scanProject(row interface{ Scan(...any) error }) (Project, error) {
	var p Project
	err := row.Scan(&p.ID, &p.Name, &p.Description, &p.Identifier, &p.IsActive, &p.OwnerID, &p.CreatedAt, &p.ModifiedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Project{}, ErrNotFound
	}
	return p, err
}

// Projects lists every project by id.
func (s *Store) Projects(ctx context.Context) ([]Project, error) {
	out, err := listRows(ctx, s.reader, nil, scanProject, `SELECT `+projectColumns+` FROM projects ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list projects: %w", err)
	}
	return out, nil
}

// FirstProjectID is the id of the first project (the lowest), 0 when there
// is none: where the Board link goes.
func (s *Store) FirstProjectID(ctx context.Context) (int64, error) {
	var id int64
	err := s.reader.QueryRowContext(ctx, `SELECT id FROM projects ORDER BY id LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: first project: %w", err)
	}
	return id, nil
}

// ProjectByID finds a project.
func (s *Store) ProjectByID(ctx context.Context, id int64) (Project, error) {
	return scanProject(s.reader.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects WHERE id = ?`, id))
}

// Columns lists a project's columns in board order.
func (s *Store) Columns(ctx context.Context, projectID int64) ([]Column, error) {
	out, err := listRows(ctx, s.reader, nil, func(row interface{ Scan(...any) error }) (Column, error) {
		var c Column
		err := row.Scan(&c.ID, &c.ProjectID, &c.Title, &c.Position, &c.TaskLimit, &c.Description)
		return c, err
	}, `SELECT id, project_id, title, position, task_limit, description FROM columns WHERE project_id = ? ORDER BY position, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list columns: %w", err)
	}
	return out, nil
}

// Swimlanes lists a project's swimlanes in board order.
func (s *Store) Swimlanes(ctx context.Context, projectID int64) ([]Swimlane, error) {
	out, err := listRows(ctx, s.reader, nil, func(row interface{ Scan(...any) error }) (Swimlane, error) {
		var l Swimlane
		err := row.Scan(&l.ID, &l.ProjectID, &l.Name, &l.Description, &l.Position, &l.IsActive, &l.IsDefault)
		return l, err
	}, `SELECT id, project_id, name, description, position, is_active, is_default FROM swimlanes WHERE project_id = ? ORDER BY position, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list swimlanes: %w", err)
	}
	return out, nil
}

// Categories lists a project's categories.
func (s *Store) Categories(ctx context.Context, projectID int64) ([]Category, error) {
	out, err := listRows(ctx, s.reader, nil, func(row interface{ Scan(...any) error }) (Category, error) {
		var c Category
		err := row.Scan(&c.ID, &c.ProjectID, &c.Name, &c.Description, &c.ColorID)
		return c, err
	}, `SELECT id, project_id, name, description, color_id FROM categories WHERE project_id = ? ORDER BY name, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: list categories: %w", err)
	}
	return out, nil
}

// CreateCategory adds a category to a project.
func (s *Store) CreateCategory(ctx context.Context, projectID int64, name string) (int64, error) {
	name = strings.TrimSpace(name)
	if err := validateName("category name", name, 255); err != nil {
		return 0, err
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO categories (project_id, name) VALUES (?, ?)`, projectID, name)
		if err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return fmt.Errorf("project %d: %w", projectID, ErrNotFound)
			}
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: create category: %w", err)
	}
	return id, nil
}

// CreateSwimlane adds a swimlane at the bottom of a project's board.
func (s *Store) CreateSwimlane(ctx context.Context, projectID int64, name string) (int64, error) {
	name = strings.TrimSpace(name)
	if err := validateName("swimlane name", name, 200); err != nil {
		return 0, err
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO swimlanes (project_id, name, position)
			SELECT ?, ?, COALESCE(MAX(position), 0) + 1 FROM swimlanes WHERE project_id = ?`, projectID, name, projectID)
		if err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return fmt.Errorf("project %d: %w", projectID, ErrNotFound)
			}
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: create swimlane: %w", err)
	}
	return id, nil
}
