package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// IsAppRole tells whether role is one of Kanboard's three application roles.
func IsAppRole(role string) bool {
	return role == RoleAdmin || role == RoleManager || role == RoleUser
}

// validateUserFields applies Kanboard's user rules to the optional fields:
// an email must be an address, a role one of the three.
func validateUserFields(name, email, role string) error {
	if err := ValidateText("name", name, false); err != nil {
		return err
	}
	if utf8.RuneCountInString(name) > MaxUsernameLength {
		return invalid("name is longer than %d characters", MaxUsernameLength)
	}
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || a.Name != "" {
			return invalid("email %q is not an email address", email)
		}
	}
	if !IsAppRole(role) {
		return invalid("role must be %s, %s or %s", RoleAdmin, RoleManager, RoleUser)
	}
	return nil
}

// keepingAnAdmin runs a change of user id inside its transaction and
// refuses it when it leaves no active admin where id was one, so nobody
// can lock the team out of its settings.
func keepingAnAdmin(ctx context.Context, tx *sql.Tx, id int64, change func() error) error {
	var wasAdmin bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = ? AND role = 'app-admin' AND is_active = 1)`,
		id).Scan(&wasAdmin); err != nil {
		return err
	}
	if err := change(); err != nil {
		return err
	}
	if !wasAdmin {
		return nil
	}
	var admins int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'app-admin' AND is_active = 1`).Scan(&admins); err != nil {
		return err
	}
	if admins == 0 {
		return invalid("there must be at least one active admin")
	}
	return nil
}

// SetUserRole gives a user an app role and makes them active or not, in
// one step (the users settings page's form).
func (s *Store) SetUserRole(ctx context.Context, id int64, role string, active bool) error {
	if !IsAppRole(role) {
		return fmt.Errorf("store: set user %d role: %w", id, invalid("role must be %s, %s or %s", RoleAdmin, RoleManager, RoleUser))
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return keepingAnAdmin(ctx, tx, id, func() error {
			if err := oneRow(tx.ExecContext(ctx, `UPDATE users SET role = ?, is_active = ? WHERE id = ?`,
				role, boolInt(active), id)); err != nil {
				return err
			}
			if !active {
				return disableOwnPrivateProjects(ctx, tx, id)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("store: set user %d role: %w", id, err)
	}
	return nil
}

// UserUpdate is updateUser's fields; nil leaves a field as it is.
type UserUpdate struct {
	Username, Name, Email, Role *string
}

// UpdateUser changes a user's username, name, email or role with
// Kanboard's checks. An unknown id is ErrNotFound (Kanboard answers true).
func (s *Store) UpdateUser(ctx context.Context, id int64, u UserUpdate) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cur, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if u.Username != nil {
			cur.Username = strings.TrimSpace(*u.Username)
		}
		if u.Name != nil {
			cur.Name = *u.Name
		}
		if u.Email != nil {
			cur.Email = *u.Email
		}
		if u.Role != nil {
			cur.Role = *u.Role
		}
		if err := validateUsername(cur.Username); err != nil {
			return err
		}
		if err := validateUserFields(cur.Name, cur.Email, cur.Role); err != nil {
			return err
		}
		return keepingAnAdmin(ctx, tx, id, func() error {
			_, err := tx.ExecContext(ctx, `UPDATE users SET username = ?, name = ?, email = ?, role = ? WHERE id = ?`,
				cur.Username, cur.Name, cur.Email, cur.Role, id)
			if isUniqueViolation(err) {
				return fmt.Errorf("username %q: %w", cur.Username, ErrConflict)
			}
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("store: update user %d: %w", id, err)
	}
	return nil
}

// SetUserActive enables or disables a user. As in Kanboard, disabling one
// also disables the private projects they own. The last active admin is
// not disabled.
func (s *Store) SetUserActive(ctx context.Context, id int64, active bool) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return keepingAnAdmin(ctx, tx, id, func() error {
			if err := oneRow(tx.ExecContext(ctx, `UPDATE users SET is_active = ? WHERE id = ?`, boolInt(active), id)); err != nil {
				return err
			}
			if active {
				return nil
			}
			return disableOwnPrivateProjects(ctx, tx, id)
		})
	})
	if err != nil {
		return fmt.Errorf("store: set user %d active: %w", id, err)
	}
	return nil
}

func disableOwnPrivateProjects(ctx context.Context, tx *sql.Tx, userID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE projects SET is_active = 0 WHERE owner_id = ? AND is_private = 1`, userID)
	return err
}

// RemoveUser deletes a user by Kanboard's rule: their tasks, subtasks,
// comments and files keep existing without them (the schema's ON DELETE
// SET NULL), the private projects they belong to are deleted, and so are
// their memberships and tokens. The last active admin is not removed.
func (s *Store) RemoveUser(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return keepingAnAdmin(ctx, tx, id, func() error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM projects WHERE is_private = 1 AND id IN
				(SELECT project_id FROM project_users WHERE user_id = ?)`, id); err != nil {
				return err
			}
			return oneRow(tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id))
		})
	})
	if err != nil {
		return fmt.Errorf("store: remove user %d: %w", id, err)
	}
	return nil
}
