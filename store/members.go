package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Kanboard's project roles, from most to least allowed.
const (
	ProjectManager = "project-manager"
	ProjectMember  = "project-member"
	ProjectViewer  = "project-viewer"
)

// ProjectRoles are the project roles, most allowed first.
var ProjectRoles = []string{ProjectManager, ProjectMember, ProjectViewer}

// projectRoleRank orders the roles: manager ⊃ member ⊃ viewer ⊃ none.
func projectRoleRank(role string) int {
	switch role {
	case ProjectManager:
		return 3
	case ProjectMember:
		return 2
	case ProjectViewer:
		return 1
	}
	return 0
}

// RoleAllows tells whether a project role includes need (a viewer need is
// met by any role; "" is no role and meets nothing).
func RoleAllows(have, need string) bool {
	return have != "" && projectRoleRank(have) >= projectRoleRank(need)
}

// IsProjectRole tells whether role is one of the three project roles.
func IsProjectRole(role string) bool { return projectRoleRank(role) > 0 }

// checkProjectRole refuses what is not a project role.
func checkProjectRole(role string) error {
	if !IsProjectRole(role) {
		return invalid("role must be %s", strings.Join(ProjectRoles, ", "))
	}
	return nil
}

// Member is a user with their role in one project.
type Member struct {
	User
	ProjectRole string
}

// DisplayName is the name Kanboard shows: the name, else the username.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Username
}

// ProjectRole is a user's role in a project, "" when they have none (or
// the project does not exist): their own role, else the highest role of
// their groups there (the view project_roles, migration 020). The API and
// the pages both ask here.
func (s *Store) ProjectRole(ctx context.Context, projectID, userID int64) (string, error) {
	var role string
	err := s.reader.QueryRowContext(ctx, `SELECT role FROM project_roles WHERE project_id = ? AND user_id = ?`,
		projectID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: project role: %w", err)
	}
	return role, nil
}

// ProjectMembers lists the users a project names itself (not through a
// group), with their own role, by display name: what its Members page edits.
func (s *Store) ProjectMembers(ctx context.Context, projectID int64) ([]Member, error) {
	return s.membersFrom(ctx, "project_users", projectID)
}

// ProjectUsers lists everybody with a role in a project, directly or
// through a group, with the role they have there, by display name.
func (s *Store) ProjectUsers(ctx context.Context, projectID int64) ([]Member, error) {
	return s.membersFrom(ctx, "project_roles", projectID)
}

// membersFrom reads members from table, project_users or project_roles.
func (s *Store) membersFrom(ctx context.Context, table string, projectID int64) ([]Member, error) {
	out, err := listRows(ctx, s.reader, []Member{}, func(row interface{ Scan(...any) error }) (Member, error) {
		var m Member
		u, err := scanUserWith(row, &m.ProjectRole)
		m.User = u
		return m, err
	}, `SELECT `+prefixed("u.", userColumns)+`, pu.role FROM `+table+` pu JOIN users u ON u.id = pu.user_id
		WHERE pu.project_id = ? ORDER BY lower(CASE WHEN u.name = '' THEN u.username ELSE u.name END), u.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: project %d members: %w", projectID, err)
	}
	return out, nil
}

// AssignableUsers are the users a task may be given to (assignableMember):
// those with a role in the project (directly or through a group) that is
// not viewer, and active (Kanboard's rule), by display name.
func (s *Store) AssignableUsers(ctx context.Context, projectID int64) ([]User, error) {
	out, err := listRows(ctx, s.reader, []User{}, scanUser, `SELECT `+prefixed("u.", userColumns)+`
		FROM project_roles pr JOIN users u ON u.id = pr.user_id
		WHERE pr.project_id = ? AND `+assignableMember+`
		ORDER BY lower(CASE WHEN u.name = '' THEN u.username ELSE u.name END), u.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: project %d assignable users: %w", projectID, err)
	}
	return out, nil
}

func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ", ")
	for i, p := range parts {
		parts[i] = prefix + p
	}
	return strings.Join(parts, ", ")
}

// AddProjectMember gives a user a role in a project. A user who already
// has one is ErrConflict; an unknown project or user ErrNotFound.
func (s *Store) AddProjectMember(ctx context.Context, projectID, userID int64, role string) error {
	if err := checkProjectRole(role); err != nil {
		return fmt.Errorf("store: add project member: %w", err)
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := bothExist(ctx, tx, "projects", projectID, "users", userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO project_users (project_id, user_id, role) VALUES (?, ?, ?)`,
			projectID, userID, role)
		if isUniqueViolation(err) {
			return fmt.Errorf("user %d is already a member of project %d: %w", userID, projectID, ErrConflict)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add project member: %w", err)
	}
	return nil
}

// bothExist checks two rows by id, each named by its table, in one query:
// the first missing one is ErrNotFound ("project 3: not found").
func bothExist(ctx context.Context, tx *sql.Tx, table1 string, id1 int64, table2 string, id2 int64) error {
	var ok1, ok2 bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+table1+` WHERE id = ?), EXISTS (SELECT 1 FROM `+table2+` WHERE id = ?)`,
		id1, id2).Scan(&ok1, &ok2)
	switch {
	case err != nil:
		return err
	case !ok1:
		return fmt.Errorf("%s %d: %w", strings.TrimSuffix(table1, "s"), id1, ErrNotFound)
	case !ok2:
		return fmt.Errorf("%s %d: %w", strings.TrimSuffix(table2, "s"), id2, ErrNotFound)
	}
	return nil
}

// SetProjectMemberRole changes a member's role. A user who is not a member
// is ErrNotFound (Kanboard answers true and changes nothing).
func (s *Store) SetProjectMemberRole(ctx context.Context, projectID, userID int64, role string) error {
	if err := checkProjectRole(role); err != nil {
		return fmt.Errorf("store: change project role: %w", err)
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `UPDATE project_users SET role = ? WHERE project_id = ? AND user_id = ?`,
			role, projectID, userID))
	})
	if err != nil {
		return fmt.Errorf("store: change role of user %d in project %d: %w", userID, projectID, err)
	}
	return nil
}

// RemoveProjectMember takes a user's role in a project away; ErrNotFound
// when they had none.
func (s *Store) RemoveProjectMember(ctx context.Context, projectID, userID int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `DELETE FROM project_users WHERE project_id = ? AND user_id = ?`, projectID, userID))
	})
	if err != nil {
		return fmt.Errorf("store: remove user %d from project %d: %w", userID, projectID, err)
	}
	return nil
}

// UserProjects lists the projects a user has a role in (directly or
// through a group), by name; with
// activeOnly, the active ones only.
func (s *Store) UserProjects(ctx context.Context, userID int64, activeOnly bool) ([]Project, error) {
	q := `SELECT ` + projectColumns + ` FROM projects
		WHERE id IN (SELECT project_id FROM project_roles WHERE user_id = ?)`
	if activeOnly {
		q += ` AND is_active = 1`
	}
	out, err := listRows(ctx, s.reader, []Project{}, scanProject, q+` ORDER BY lower(name), id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: projects of user %d: %w", userID, err)
	}
	return out, nil
}
