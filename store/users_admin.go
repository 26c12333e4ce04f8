package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SetUserRole makes a user an admin or a member, and active or not. It
// refuses a change that would leave no active admin, so nobody can lock the
// team out of its settings from the browser.
func (s *Store) SetUserRole(ctx context.Context, id int64, admin, active bool) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := oneRow(tx.ExecContext(ctx, `UPDATE users SET role = ?, is_active = ? WHERE id = ?`,
			appRole(admin), boolInt(active), id)); err != nil {
			return err
		}
		var admins int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'app-admin' AND is_active = 1`).Scan(&admins); err != nil {
			return err
		}
		if admins == 0 {
			return invalid("there must be at least one active admin")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: set user %d role: %w", id, err)
	}
	return nil
}
