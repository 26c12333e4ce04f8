package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the work factor for password hashes.
const BcryptCost = 12

// User is an account that logs in to the browser or calls the API.
type User struct {
	ID        int64
	Username  string
	Name      string
	Email     string
	Role      string // Kanboard's app role: RoleAdmin, RoleManager or RoleUser
	IsAdmin   bool   // Role == RoleAdmin
	IsActive  bool
	CreatedAt int64
}

// Kanboard's application roles.
const (
	RoleAdmin   = "app-admin"
	RoleManager = "app-manager"
	RoleUser    = "app-user"
)

// appRole is the role an admin flag stands for.
func appRole(admin bool) string {
	if admin {
		return RoleAdmin
	}
	return RoleUser
}

// ValidatePassword enforces DESIGN's 8–72 bytes (bcrypt ignores what follows 72).
func ValidatePassword(pw string) error {
	if len(pw) < 8 {
		return invalid("password must be at least 8 bytes")
	}
	if len(pw) > 72 {
		return invalid("password must be at most 72 bytes")
	}
	return nil
}

// MaxUsernameLength is Kanboard's limit on usernames.
const MaxUsernameLength = 191

func validateUsername(name string) error {
	if name == "" || strings.TrimSpace(name) != name || utf8.RuneCountInString(name) > MaxUsernameLength {
		return invalid("username must be 1-%d characters without surrounding spaces", MaxUsernameLength)
	}
	if !utf8.ValidString(name) {
		return invalid("username is not valid UTF-8")
	}
	if strings.ContainsAny(name, ":\t\r\n") {
		return invalid("username must not contain ':' or control characters")
	}
	return nil
}

// CreateUser adds a user with a bcrypt-hashed password, an admin or an
// app-user.
func (s *Store) CreateUser(ctx context.Context, username, password string, admin bool) (User, error) {
	return s.AddUser(ctx, NewUser{Username: username, Password: password, Role: appRole(admin)})
}

// NewUser is a user to add; an empty Role is RoleUser.
type NewUser struct {
	Username, Password, Name, Email, Role string
}

// AddUser adds a user with Kanboard's fields and checks (§4), except that
// passwords follow Hookboard's 8–72 bytes.
func (s *Store) AddUser(ctx context.Context, nu NewUser) (User, error) {
	if nu.Role == "" {
		nu.Role = RoleUser
	}
	if err := validateUsername(nu.Username); err != nil {
		return User{}, err
	}
	if err := ValidatePassword(nu.Password); err != nil {
		return User{}, err
	}
	if err := validateUserFields(nu.Name, nu.Email, nu.Role); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(nu.Password), BcryptCost)
	if err != nil {
		return User{}, fmt.Errorf("store: hash password: %w", err)
	}
	username := nu.Username
	u := User{Username: username, Name: nu.Name, Email: nu.Email, Role: nu.Role, IsAdmin: nu.Role == RoleAdmin,
		IsActive: true, CreatedAt: s.now().Unix()}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		u.ID, err = insert(ctx, tx,
			`INSERT INTO users (username, name, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			username, u.Name, u.Email, string(hash), u.Role, u.CreatedAt)
		if err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("user %q: %w", username, ErrConflict)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("store: create user: %w", err)
	}
	return u, nil
}

// SetPassword replaces a user's password.
func (s *Store) SetPassword(ctx context.Context, username, password string) error {
	return s.setPassword(ctx, "username", username, password)
}

// SetUserPassword replaces the password of the user with this id (an
// admin's reset).
func (s *Store) SetUserPassword(ctx context.Context, id int64, password string) error {
	return s.setPassword(ctx, "id", id, password)
}

// setPassword sets the password of the user whose column is key. The
// trigger users_password_ends_sessions moves the session epoch on: the
// user's browser sessions end.
func (s *Store) setPassword(ctx context.Context, column string, key any, password string) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return fmt.Errorf("store: hash password: %w", err)
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE `+column+` = ?`, string(hash), key)
		if err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: user %v: %w", key, ErrNotFound)
		}
		return nil
	})
}

const userColumns = `id, username, name, email, role, is_active, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	return scanUserWith(row)
}

// scanUserWith reads userColumns and then extra.
func scanUserWith(row interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	err := row.Scan(append([]any{&u.ID, &u.Username, &u.Name, &u.Email, &u.Role, &u.IsActive, &u.CreatedAt}, extra...)...)
	u.IsAdmin = u.Role == RoleAdmin
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	return u, err
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	out, err := listRows(ctx, s.reader, nil, scanUser, `SELECT `+userColumns+` FROM users ORDER BY lower(username)`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return out, nil
}

// UserByID finds a user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.reader.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// UserByName finds a user by username (case-insensitive).
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	return scanUser(s.reader.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE lower(username) = lower(?)`, username))
}

// dummyHash keeps a login for an unknown user as slow as one for a known
// user, so timing does not tell which usernames exist. It is a constant
// (a BcryptCost hash of "not a real password"): hashing it at start-up cost
// every process that opens the store, CLI commands included, a quarter of a
// second. TestDummyHashCost holds it to BcryptCost.
var dummyHash = []byte("$2a$12$gSmoqJBU9NbYJ8pE6NrzJuYcX0iJeL5WH7dfADuECHt6.5wUf.fgS")

// CheckPassword returns the active user whose password matches, or
// ErrUnauthorized.
func (s *Store) CheckPassword(ctx context.Context, username, password string) (User, error) {
	var hash string
	u, err := scanUserWith(s.reader.QueryRowContext(ctx,
		`SELECT `+userColumns+`, password_hash FROM users WHERE lower(username) = lower(?)`, username), &hash)
	if errors.Is(err, ErrNotFound) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, ErrUnauthorized
	}
	if err != nil {
		return User{}, fmt.Errorf("store: check password: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || !u.IsActive {
		return User{}, ErrUnauthorized
	}
	return u, nil
}
