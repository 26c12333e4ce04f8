package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits of a group's fields, as Kanboard's GroupValidator has them.
const (
	MaxGroupName       = 191
	MaxGroupExternalID = 255
)

// Group is a named set of users; a project shared with a group gives each
// of its members the group's role there (unless they have their own).
// ExternalID is the id an outside directory knows it by, kept for Kanboard
// clients; Hookboard reads no directory.
type Group struct {
	ID         int64  `json:"id"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	NbUsers    int64  `json:"-"`
}

// ProjectGroup is a group with its role in one project.
type ProjectGroup struct {
	Group
	ProjectRole string
}

const groupColumns = `g.id, g.external_id, g.name, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)`

func scanGroupWith(row interface{ Scan(...any) error }, extra ...any) (Group, error) {
	var g Group
	err := row.Scan(append([]any{&g.ID, &g.ExternalID, &g.Name, &g.NbUsers}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Group{}, ErrNotFound
	}
	return g, err
}

func scanGroup(row interface{ Scan(...any) error }) (Group, error) { return scanGroupWith(row) }

func validateGroup(name, externalID string) error {
	if err := validateName("name", name, MaxGroupName); err != nil {
		return err
	}
	if err := ValidateText("external_id", externalID, false); err != nil {
		return err
	}
	if utf8.RuneCountInString(externalID) > MaxGroupExternalID {
		return invalid("external_id is longer than %d characters", MaxGroupExternalID)
	}
	return nil
}

// groupNameTaken maps a UNIQUE failure on groups.name to ErrConflict.
func groupNameTaken(err error, name string) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("a group named %q exists: %w", name, ErrConflict)
	}
	return err
}

// Groups lists every group by name.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	out, err := listRows(ctx, s.reader, []Group{}, scanGroup, `SELECT `+groupColumns+` FROM groups g ORDER BY lower(g.name), g.id`)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	return out, nil
}

// GroupByID reads one group.
func (s *Store) GroupByID(ctx context.Context, id int64) (Group, error) {
	g, err := scanGroup(s.reader.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.id = ?`, id))
	if err != nil {
		return Group{}, fmt.Errorf("store: group %d: %w", id, err)
	}
	return g, nil
}

// GroupByName reads the group with exactly this name.
func (s *Store) GroupByName(ctx context.Context, name string) (Group, error) {
	g, err := scanGroup(s.reader.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.name = ?`, name))
	if err != nil {
		return Group{}, fmt.Errorf("store: group %q: %w", name, err)
	}
	return g, nil
}

// CreateGroup adds a group and returns its id; a name in use is ErrConflict.
func (s *Store) CreateGroup(ctx context.Context, name, externalID string) (int64, error) {
	if err := validateGroup(name, externalID); err != nil {
		return 0, fmt.Errorf("store: create group: %w", err)
	}
	var id int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if id, err = insert(ctx, tx, `INSERT INTO groups (name, external_id) VALUES (?, ?)`, name, externalID); err != nil {
			return groupNameTaken(err, name)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: create group: %w", err)
	}
	return id, nil
}

// UpdateGroup changes a group's name and external id; nil leaves a field
// as it is. An unknown group is ErrNotFound, nothing to change ErrInvalid.
func (s *Store) UpdateGroup(ctx context.Context, id int64, name, externalID *string) error {
	if name == nil && externalID == nil {
		return fmt.Errorf("store: update group: %w", invalid("nothing to update: give name or external_id"))
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		g, err := scanGroup(tx.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.id = ?`, id))
		if err != nil {
			return fmt.Errorf("group %d: %w", id, err)
		}
		if name != nil {
			g.Name = *name
		}
		if externalID != nil {
			g.ExternalID = *externalID
		}
		if err := validateGroup(g.Name, g.ExternalID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE groups SET name = ?, external_id = ? WHERE id = ?`, g.Name, g.ExternalID, id)
		return groupNameTaken(err, g.Name)
	})
	if err != nil {
		return fmt.Errorf("store: update group: %w", err)
	}
	return nil
}

// RemoveGroup deletes a group; its members lose the roles it gave them.
func (s *Store) RemoveGroup(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, id))
	})
	if err != nil {
		return fmt.Errorf("store: remove group %d: %w", id, err)
	}
	return nil
}

// GroupMembers lists a group's users by username.
func (s *Store) GroupMembers(ctx context.Context, groupID int64) ([]User, error) {
	out, err := listRows(ctx, s.reader, []User{}, scanUser, `SELECT `+prefixed("u.", userColumns)+`
		FROM group_members gm JOIN users u ON u.id = gm.user_id WHERE gm.group_id = ? ORDER BY lower(u.username), u.id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: members of group %d: %w", groupID, err)
	}
	return out, nil
}

// UserGroups lists the groups a user belongs to, by name.
func (s *Store) UserGroups(ctx context.Context, userID int64) ([]Group, error) {
	out, err := listRows(ctx, s.reader, []Group{}, scanGroup, `SELECT `+groupColumns+` FROM groups g
		WHERE g.id IN (SELECT group_id FROM group_members WHERE user_id = ?) ORDER BY lower(g.name), g.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: groups of user %d: %w", userID, err)
	}
	return out, nil
}

// IsGroupMember tells whether a user belongs to a group.
func (s *Store) IsGroupMember(ctx context.Context, groupID, userID int64) (bool, error) {
	var in bool
	err := s.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?)`,
		groupID, userID).Scan(&in)
	if err != nil {
		return false, fmt.Errorf("store: group member: %w", err)
	}
	return in, nil
}

// AddGroupMember puts a user in a group: ErrConflict when they are in it,
// ErrNotFound for an unknown group or user.
func (s *Store) AddGroupMember(ctx context.Context, groupID, userID int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := bothExist(ctx, tx, "groups", groupID, "users", userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`, groupID, userID)
		if isUniqueViolation(err) {
			return fmt.Errorf("user %d is already in group %d: %w", userID, groupID, ErrConflict)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add group member: %w", err)
	}
	return nil
}

// RemoveGroupMember takes a user out of a group; ErrNotFound when they
// were not in it.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID))
	})
	if err != nil {
		return fmt.Errorf("store: remove user %d from group %d: %w", userID, groupID, err)
	}
	return nil
}

// ProjectGroups lists the groups a project is shared with, by name.
func (s *Store) ProjectGroups(ctx context.Context, projectID int64) ([]ProjectGroup, error) {
	out, err := listRows(ctx, s.reader, []ProjectGroup{}, func(row interface{ Scan(...any) error }) (ProjectGroup, error) {
		var pg ProjectGroup
		g, err := scanGroupWith(row, &pg.ProjectRole)
		pg.Group = g
		return pg, err
	}, `SELECT `+groupColumns+`, pg.role FROM project_groups pg JOIN groups g ON g.id = pg.group_id
		WHERE pg.project_id = ? ORDER BY lower(g.name), g.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: groups of project %d: %w", projectID, err)
	}
	return out, nil
}

// AddProjectGroup shares a project with a group in a role. A group that
// already has one is ErrConflict; an unknown project or group ErrNotFound.
func (s *Store) AddProjectGroup(ctx context.Context, projectID, groupID int64, role string) error {
	if err := checkProjectRole(role); err != nil {
		return fmt.Errorf("store: add project group: %w", err)
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := bothExist(ctx, tx, "projects", projectID, "groups", groupID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO project_groups (project_id, group_id, role) VALUES (?, ?, ?)`, projectID, groupID, role)
		if isUniqueViolation(err) {
			return fmt.Errorf("group %d already has a role in project %d: %w", groupID, projectID, ErrConflict)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add project group: %w", err)
	}
	return nil
}

// SetProjectGroupRole changes a group's role in a project; ErrNotFound
// when the group has none there.
func (s *Store) SetProjectGroupRole(ctx context.Context, projectID, groupID int64, role string) error {
	if err := checkProjectRole(role); err != nil {
		return fmt.Errorf("store: change project group role: %w", err)
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `UPDATE project_groups SET role = ? WHERE project_id = ? AND group_id = ?`,
			role, projectID, groupID))
	})
	if err != nil {
		return fmt.Errorf("store: change role of group %d in project %d: %w", groupID, projectID, err)
	}
	return nil
}

// RemoveProjectGroup takes a group's role in a project away; ErrNotFound
// when it had none.
func (s *Store) RemoveProjectGroup(ctx context.Context, projectID, groupID int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `DELETE FROM project_groups WHERE project_id = ? AND group_id = ?`, projectID, groupID))
	})
	if err != nil {
		return fmt.Errorf("store: remove group %d from project %d: %w", groupID, projectID, err)
	}
	return nil
}
