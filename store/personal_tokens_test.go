package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPersonalTokens(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	now := time.Now()
	s.now = func() time.Time { return now }
	alice, _ := s.CreateUser(ctx, "alice", "password123", false)
	bob, _ := s.CreateUser(ctx, "bob", "password123", false)

	for _, bad := range []time.Duration{time.Hour, 45 * 24 * time.Hour, -1} {
		if _, _, err := s.CreatePersonalToken(ctx, alice.ID, "x", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("expiry %v: %v", bad, err)
		}
	}
	if _, _, err := s.CreatePersonalToken(ctx, alice.ID, "  ", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("blank name: %v", err)
	}
	if _, _, err := s.CreatePersonalToken(ctx, 999, "x", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown user: %v", err)
	}

	p, tok, err := s.CreatePersonalToken(ctx, alice.ID, "laptop", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, PrefixPersonal) || len(tok) < 40 || p.ExpiresAt != now.Add(30*24*time.Hour).Unix() {
		t.Fatalf("token %q, %+v", tok, p)
	}
	// Only the hash is stored.
	var stored []byte
	if err := s.reader.QueryRowContext(ctx, `SELECT token_hash FROM personal_tokens WHERE id = ?`, p.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(tok))
	if !bytes.Equal(stored, sum[:]) {
		t.Fatal("token_hash is not the token's SHA-256")
	}

	u, got, err := s.UserByPersonalToken(ctx, tok)
	if err != nil || u.ID != alice.ID || got.LastUsedAt != now.Unix() {
		t.Fatalf("lookup: %+v %+v %v", u, got, err)
	}
	for _, wrong := range []string{"", tok + "x", strings.TrimPrefix(tok, PrefixPersonal), "hba_" + tok[4:]} {
		if _, _, err := s.UserByPersonalToken(ctx, wrong); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("token %q: %v", wrong, err)
		}
	}
	now = now.Add(31 * 24 * time.Hour)
	if _, _, err := s.UserByPersonalToken(ctx, tok); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("expired token: %v", err)
	}

	if err := s.DeletePersonalToken(ctx, p.ID, bob.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting another user's token: %v", err)
	}
	if err := s.DeletePersonalToken(ctx, p.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.PersonalTokens(ctx, alice.ID); len(list) != 0 {
		t.Errorf("tokens after delete: %v", list)
	}
}
