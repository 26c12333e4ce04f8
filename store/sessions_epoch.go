package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SessionEpoch is the user's session epoch. Browser sessions remember the
// epoch they started in; a session from an older epoch has ended. Setting
// a password moves the epoch on (a trigger does it, so every path that sets
// a password ends the user's other sessions).
func (s *Store) SessionEpoch(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.reader.QueryRowContext(ctx, `SELECT session_epoch FROM users WHERE id = ?`, userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: user %d: %w", userID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: session epoch: %w", err)
	}
	return n, nil
}
