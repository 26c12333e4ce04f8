package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"
)

// Limits of a metadata entry, in characters.
const (
	MaxMetadataName  = 191
	MaxMetadataValue = 65535
)

// Metadata is one name/value pair integrations keep on a task or a
// project. Changing it writes no event, as in Kanboard: it is the
// integrations' own bookkeeping, and an event would echo every write back
// to the integration that made it.
type Metadata struct {
	Name  string
	Value string
}

// metadataOf names where one kind of metadata lives: its table, the
// column of the row it belongs to, and that row's table.
type metadataOf struct{ table, key, parent string }

var (
	taskMetadata    = metadataOf{"task_metadata", "task_id", "tasks"}
	projectMetadata = metadataOf{"project_metadata", "project_id", "projects"}
)

func (m metadataOf) list(ctx context.Context, db q, id int64) ([]Metadata, error) {
	return listRows(ctx, db, []Metadata{}, func(row interface{ Scan(...any) error }) (Metadata, error) {
		var e Metadata
		err := row.Scan(&e.Name, &e.Value)
		return e, err
	}, `SELECT name, value FROM `+m.table+` WHERE `+m.key+` = ? ORDER BY name`, id)
}

func (m metadataOf) value(ctx context.Context, db q, id int64, name string) (string, error) {
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM `+m.table+` WHERE `+m.key+` = ? AND name = ?`, id, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return v, err
}

func validateMetadata(name, value string) error {
	if err := validateName("metadata name", name, MaxMetadataName); err != nil {
		return err
	}
	if err := ValidateText("metadata value", value, true); err != nil {
		return err
	}
	if utf8.RuneCountInString(value) > MaxMetadataValue {
		return invalid("metadata value of %q is longer than %d characters", name, MaxMetadataValue)
	}
	return nil
}

// save writes every pair of values on row id (replacing a value of the
// same name), all or none.
func (s *Store) saveMetadata(ctx context.Context, m metadataOf, actor Actor, id int64, values map[string]string) error {
	names := slices.Sorted(maps.Keys(values))
	for _, name := range names {
		if err := validateMetadata(name, values[name]); err != nil {
			return fmt.Errorf("store: save metadata: %w", err)
		}
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+m.parent+` WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s %d: %w", m.parent, id, ErrNotFound)
		} else if err != nil {
			return err
		}
		now := s.now().Unix()
		for _, name := range names {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+m.table+` (`+m.key+`, name, value, changed_by, changed_on)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (`+m.key+`, name) DO UPDATE SET value = excluded.value, changed_by = excluded.changed_by,
				changed_on = excluded.changed_on`, id, name, values[name], nullInt(actor.UserID), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save metadata: %w", err)
	}
	return nil
}

func (s *Store) deleteMetadata(ctx context.Context, m metadataOf, id int64, name string) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := oneRow(tx.ExecContext(ctx, `DELETE FROM `+m.table+` WHERE `+m.key+` = ? AND name = ?`, id, name))
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("metadata %q of %s %d: %w", name, m.parent, id, err)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: remove metadata: %w", err)
	}
	return nil
}

// TaskMetadata lists a task's metadata by name.
func (s *Store) TaskMetadata(ctx context.Context, taskID int64) ([]Metadata, error) {
	return taskMetadata.list(ctx, s.reader, taskID)
}

// TaskMetadataValue reads one value of a task's metadata (ErrNotFound when
// there is none of that name).
func (s *Store) TaskMetadataValue(ctx context.Context, taskID int64, name string) (string, error) {
	return taskMetadata.value(ctx, s.reader, taskID, name)
}

// SaveTaskMetadata sets names to values on a task.
func (s *Store) SaveTaskMetadata(ctx context.Context, actor Actor, taskID int64, values map[string]string) error {
	return s.saveMetadata(ctx, taskMetadata, actor, taskID, values)
}

// DeleteTaskMetadata removes one name from a task's metadata.
func (s *Store) DeleteTaskMetadata(ctx context.Context, taskID int64, name string) error {
	return s.deleteMetadata(ctx, taskMetadata, taskID, name)
}

// ProjectMetadata lists a project's metadata by name.
func (s *Store) ProjectMetadata(ctx context.Context, projectID int64) ([]Metadata, error) {
	return projectMetadata.list(ctx, s.reader, projectID)
}

// ProjectMetadataValue reads one value of a project's metadata.
func (s *Store) ProjectMetadataValue(ctx context.Context, projectID int64, name string) (string, error) {
	return projectMetadata.value(ctx, s.reader, projectID, name)
}

// SaveProjectMetadata sets names to values on a project.
func (s *Store) SaveProjectMetadata(ctx context.Context, actor Actor, projectID int64, values map[string]string) error {
	return s.saveMetadata(ctx, projectMetadata, actor, projectID, values)
}

// DeleteProjectMetadata removes one name from a project's metadata.
func (s *Store) DeleteProjectMetadata(ctx context.Context, projectID int64, name string) error {
	return s.deleteMetadata(ctx, projectMetadata, projectID, name)
}
