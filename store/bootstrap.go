package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// FirstRun is what the first start created; its secrets are shown once.
type FirstRun struct {
	AdminUsername  string
	AdminPassword  string
	IntegrationID  int64
	IncomingToken  string
	DefaultProject int64
}

// Bootstrap creates, on an empty database only, the "Default" project, the
// admin user with a random password and one incoming integration. It
// returns ok=false when the database already had a user.
func (s *Store) Bootstrap(ctx context.Context) (FirstRun, bool, error) {
	// Every start calls this; hashing the password costs a quarter of a
	// second, so a database that has users answers before any of that.
	has, err := hasUsers(ctx, s.reader)
	if err != nil {
		return FirstRun{}, false, fmt.Errorf("store: bootstrap: %w", err)
	}
	if has {
		return FirstRun{}, false, nil
	}
	var pw [15]byte
	rand.Read(pw[:])
	password := base64.RawURLEncoding.EncodeToString(pw[:])
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return FirstRun{}, false, fmt.Errorf("store: bootstrap: %w", err)
	}
	var out FirstRun
	created := false
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Checked again: another process may have bootstrapped meanwhile.
		if has, err := hasUsers(ctx, tx); err != nil || has {
			return err
		}
		created = true
		adminID, err := insert(ctx, tx, `INSERT INTO users (username, password_hash, role, created_at) VALUES ('admin', ?, 'app-admin', ?)`,
			string(hash), s.now().Unix())
		if err != nil {
			return err
		}
		projectID, err := s.createProjectTx(ctx, tx, NewProject{Name: "Default"})
		if err != nil {
			return err
		}
		// The admin manages the first project, or the API would refuse them
		// on it (Kanboard gives admins no bypass on projects).
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_users (project_id, user_id, role) VALUES (?, ?, ?)`,
			projectID, adminID, ProjectManager); err != nil {
			return err
		}
		in, secrets, err := s.createIntegrationTx(ctx, tx, NewIntegration{Name: "Default incoming webhook", Kind: KindIncoming})
		if err != nil {
			return err
		}
		out = FirstRun{AdminUsername: "admin", AdminPassword: password, IntegrationID: in.ID,
			IncomingToken: secrets.Token, DefaultProject: projectID}
		return nil
	})
	if err != nil {
		return FirstRun{}, false, fmt.Errorf("store: bootstrap: %w", err)
	}
	return out, created, nil
}

func hasUsers(ctx context.Context, db q) (bool, error) {
	var has bool
	err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&has)
	return has, err
}
