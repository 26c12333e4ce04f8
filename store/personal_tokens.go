package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PersonalTokenExpiries are the lifetimes a personal access token may have
// (DESIGN §8); 0 means it never expires.
var PersonalTokenExpiries = []time.Duration{0, 30 * 24 * time.Hour, 60 * 24 * time.Hour, 90 * 24 * time.Hour, 180 * 24 * time.Hour}

// PersonalToken is a user's API token; the token itself is shown once and
// kept only as a SHA-256 hash.
type PersonalToken struct {
	ID         int64
	UserID     int64
	Name       string
	TokenHint  string
	ExpiresAt  int64 // unix seconds; 0 = never
	LastUsedAt int64 // 0 = never used
	CreatedAt  int64
}

// Expired tells whether the token's expiry has passed at now.
func (p PersonalToken) Expired(now time.Time) bool {
	return p.ExpiresAt != 0 && now.Unix() >= p.ExpiresAt
}

// CreatePersonalToken makes a token for a user and returns it with the
// secret, which cannot be shown again. expiresIn must be one of
// PersonalTokenExpiries.
func (s *Store) CreatePersonalToken(ctx context.Context, userID int64, name string, expiresIn time.Duration) (PersonalToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return PersonalToken{}, "", invalid("token name must be 1-100 characters")
	}
	if !slices.Contains(PersonalTokenExpiries, expiresIn) {
		return PersonalToken{}, "", invalid("token expiry must be never, 30, 60, 90 or 180 days")
	}
	token := newToken(PrefixPersonal)
	now := s.now()
	p := PersonalToken{UserID: userID, Name: name, TokenHint: tokenHint(token), CreatedAt: now.Unix()}
	var expires sql.NullInt64
	if expiresIn > 0 {
		p.ExpiresAt = now.Add(expiresIn).Unix()
		expires = sql.NullInt64{Int64: p.ExpiresAt, Valid: true}
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := checkUser(ctx, tx, "user", userID); err != nil {
			return err
		}
		var err error
		p.ID, err = insert(ctx, tx, `INSERT INTO personal_tokens (user_id, name, token_hash, token_hint, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, userID, name, hashToken(token), p.TokenHint, expires, p.CreatedAt)
		return err
	})
	if err != nil {
		return PersonalToken{}, "", fmt.Errorf("store: create personal token: %w", err)
	}
	return p, token, nil
}

const personalTokenColumns = `id, user_id, name, token_hint, COALESCE(expires_at, 0), COALESCE(last_used_at, 0), created_at`

func scanPersonalToken(row interface{ Scan(...any) error }) (PersonalToken, error) {
	var p PersonalToken
	err := row.Scan(&p.ID, &p.UserID, &p.Name, &p.TokenHint, &p.ExpiresAt, &p.LastUsedAt, &p.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return PersonalToken{}, ErrNotFound
	}
	return p, err
}

// PersonalTokens lists a user's tokens, newest first.
func (s *Store) PersonalTokens(ctx context.Context, userID int64) ([]PersonalToken, error) {
	out, err := listRows(ctx, s.reader, []PersonalToken{}, scanPersonalToken, `SELECT `+personalTokenColumns+` FROM personal_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: list personal tokens: %w", err)
	}
	return out, nil
}

// DeletePersonalToken revokes a token. userID, when not zero, must own it
// (a user deleting from their account page); 0 is the admin's CLI.
func (s *Store) DeletePersonalToken(ctx context.Context, id, userID int64) error {
	if userID == 0 {
		return s.execOne(ctx, "delete personal token", `DELETE FROM personal_tokens WHERE id = ?`, id)
	}
	return s.execOne(ctx, "delete personal token", `DELETE FROM personal_tokens WHERE id = ? AND user_id = ?`, id, userID)
}

// UserByPersonalToken returns the active user a valid (known, unexpired)
// token belongs to, and records its use. It returns ErrUnauthorized for
// anything else. The lookup is by hash, so no stored token is compared with
// the input byte by byte.
func (s *Store) UserByPersonalToken(ctx context.Context, token string) (User, PersonalToken, error) {
	if !strings.HasPrefix(token, PrefixPersonal) {
		return User{}, PersonalToken{}, ErrUnauthorized
	}
	p, err := scanPersonalToken(s.reader.QueryRowContext(ctx,
		`SELECT `+personalTokenColumns+` FROM personal_tokens WHERE token_hash = ?`, hashToken(token)))
	if errors.Is(err, ErrNotFound) {
		return User{}, PersonalToken{}, ErrUnauthorized
	}
	if err != nil {
		return User{}, PersonalToken{}, fmt.Errorf("store: personal token: %w", err)
	}
	now := s.now()
	if p.Expired(now) {
		return User{}, PersonalToken{}, ErrUnauthorized
	}
	u, err := s.UserByID(ctx, p.UserID)
	if err != nil || !u.IsActive {
		return User{}, PersonalToken{}, ErrUnauthorized
	}
	// Last use is kept to the minute: one write per token per minute at most,
	// so a busy script does not turn every read into a write. It is best
	// effort: a database that cannot take the write now must not turn a valid
	// token into a refusal.
	if now.Unix()-p.LastUsedAt >= 60 {
		err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE personal_tokens SET last_used_at = ? WHERE id = ?`, now.Unix(), p.ID)
			return err
		})
		if err == nil {
			p.LastUsedAt = now.Unix()
		}
	}
	return u, p, nil
}
