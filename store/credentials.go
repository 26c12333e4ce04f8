package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Credentials are what a caller presented with an integration token: the
// kind of integration it wants, the token, the appsecret_proof it sent (if
// any) and the address it came from (the zero Addr when unknown).
type Credentials struct {
	Kind  string
	Token string
	Proof string
	Addr  netip.Addr
}

// RefusedError is a refused credential. Reason is for the log, never for
// the caller: a refused caller learns only that it was refused.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "credentials refused: " + e.Reason }

// Is makes a refusal an ErrUnauthorized.
func (e *RefusedError) Is(target error) bool { return target == ErrUnauthorized }

func refused(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

// Authenticate returns the integration that creds open, judged now against
// the database, or a *RefusedError saying why not.
func (s *Store) Authenticate(ctx context.Context, creds Credentials) (Integration, error) {
	if creds.Token == "" {
		return Integration{}, refused("no token")
	}
	in, err := s.IntegrationByToken(ctx, creds.Token)
	if errors.Is(err, ErrNotFound) {
		return Integration{}, refused("unknown token")
	}
	if err != nil {
		return Integration{}, fmt.Errorf("store: authenticate: %w", err)
	}
	if err := s.judge(in, creds); err != nil {
		return in, err
	}
	return in, nil
}

// judge applies an integration's kind, enabled flag, expiry, allowed
// addresses and secret proof to what a caller presented.
func (s *Store) judge(in Integration, c Credentials) error {
	switch {
	case in.Kind != c.Kind:
		return refused("integration %d is not an %s integration", in.ID, c.Kind)
	case !in.Enabled:
		return refused("integration %d is disabled", in.ID)
	case in.Expired(s.now()):
		return refused("integration %d has expired", in.ID)
	case !c.Addr.IsValid() || !in.AllowsIP(c.Addr):
		return refused("integration %d: address %s not allowed", in.ID, c.Addr)
	}
	if !in.RequireProof {
		return nil
	}
	secret, err := s.AppSecret(in)
	if err != nil {
		return refused("integration %d: app secret unreadable: %v", in.ID, err)
	}
	if !validProof(c.Token, secret, c.Proof) {
		return refused("integration %d: missing or wrong appsecret_proof", in.ID)
	}
	return nil
}

// validProof checks appsecret_proof = hex(HMAC-SHA256(key=app secret, token)).
func validProof(token, secret, proof string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(proof))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token))
	return hmac.Equal(got, mac.Sum(nil))
}

// CreateTaskWithToken is the incoming URL's create: it judges creds and
// writes the task in one transaction, so a token revoked, disabled or
// narrowed before the commit creates nothing. The integration's default
// project applies when t names none, and its default column and swimlane
// inside that project. A refusal is a *RefusedError.
func (s *Store) CreateTaskWithToken(ctx context.Context, creds Credentials, t NewTask) (Integration, int64, []string, error) {
	if creds.Token == "" {
		return Integration{}, 0, nil, refused("no token")
	}
	var in Integration
	var id int64
	var events []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		v, err := configVersion(ctx, tx)
		if err != nil {
			return err
		}
		if in, err = s.integrationAt(ctx, tx, v, creds.Token); err != nil {
			return err
		}
		if err := s.judge(in, creds); err != nil {
			return err
		}
		in.applyDefaults(&t)
		id, events, err = s.createTaskTx(ctx, tx, v, in.Actor(), t)
		return err
	})
	if err != nil {
		return in, 0, nil, fmt.Errorf("store: create task: %w", err)
	}
	return in, id, events, nil
}

// applyDefaults fills in the placement t leaves to the integration.
func (in Integration) applyDefaults(t *NewTask) {
	if t.ProjectID == 0 {
		t.ProjectID = in.DefaultProjectID
	}
	if t.ProjectID != 0 && t.ProjectID == in.DefaultProjectID {
		if t.ColumnID == 0 {
			t.ColumnID = in.DefaultColumnID
		}
		if t.SwimlaneID == 0 {
			t.SwimlaneID = in.DefaultSwimlaneID
		}
	}
}

// integrationAt is the integration a token belongs to, in the writer's
// transaction at config_version v: from the configuration cache when it
// was read at v, so the common request reads nothing to authenticate.
func (s *Store) integrationAt(ctx context.Context, tx *sql.Tx, v int64, token string) (Integration, error) {
	key := sha256.Sum256([]byte(token))
	s.config.mu.Lock()
	in, ok := s.config.integrations[key]
	ok = ok && s.config.version == v
	s.config.mu.Unlock()
	if ok {
		return in, nil
	}
	in, err := scanIntegration(tx.QueryRowContext(ctx,
		`SELECT `+integrationColumns+` FROM integrations WHERE token_hash = ?`, key[:]))
	if errors.Is(err, ErrNotFound) {
		return in, refused("unknown token")
	}
	if err != nil {
		return in, err
	}
	s.config.mu.Lock()
	if s.config.at(v) {
		if s.config.integrations == nil || len(s.config.integrations) >= maxCachedPlaces {
			s.config.integrations = map[[sha256.Size]byte]Integration{}
		}
		s.config.integrations[key] = in
	}
	s.config.mu.Unlock()
	return in, nil
}
