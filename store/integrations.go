package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Integration kinds.
const (
	KindIncoming = "incoming" // may create tasks through the incoming URL
	KindAPI      = "api"      // JSON-RPC application access
)

// Integration is a team credential for the incoming URL or the API.
type Integration struct {
	ID                int64
	Name              string
	Description       string
	Kind              string
	TokenHint         string
	DefaultProjectID  int64
	DefaultColumnID   int64
	DefaultSwimlaneID int64
	ExpiresAt         int64 // unix seconds; 0 = never
	Enabled           bool
	AllowedIPs        []netip.Prefix // empty = any address
	RequireProof      bool
	LastUsedAt        int64
	CreatedAt         int64

	appSecretEnc []byte
}

// NewIntegration is what an admin fills in.
type NewIntegration struct {
	Name              string
	Description       string
	Kind              string
	DefaultProjectID  int64
	DefaultColumnID   int64
	DefaultSwimlaneID int64
	ExpiresIn         time.Duration // 0 = never
	AllowedIPs        []netip.Prefix
	RequireProof      bool
}

// IntegrationSecrets are shown once, when created or regenerated.
type IntegrationSecrets struct {
	Token     string
	AppSecret string // set only when proof is required
}

// Actor is the actor for changes made with this integration's credentials.
func (in Integration) Actor() Actor {
	return Actor{IntegrationID: in.ID}
}

// Expired tells whether the integration's expiry has passed at now.
func (in Integration) Expired(now time.Time) bool {
	return in.ExpiresAt != 0 && now.Unix() >= in.ExpiresAt
}

// AllowsIP tells whether addr may use the integration.
func (in Integration) AllowsIP(addr netip.Addr) bool {
	if len(in.AllowedIPs) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range in.AllowedIPs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ParseAllowedIPs reads "10.0.0.0/8, 2001:db8::1" into prefixes; a bare
// address is a single-address prefix.
func ParseAllowedIPs(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, invalid("allowed IP %q is not an address or CIDR", part)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, invalid("allowed IP %q is not an address or CIDR", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func formatPrefixes(ps []netip.Prefix) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func tokenPrefixFor(kind string) string {
	if kind == KindAPI {
		return PrefixAPI
	}
	return PrefixIncoming
}

// checkTaskDefaults verifies that default ids exist and belong together.
func checkTaskDefaults(ctx context.Context, tx q, projectID, columnID, swimlaneID int64) error {
	if projectID == 0 && (columnID != 0 || swimlaneID != 0) {
		return invalid("a default column or swimlane needs a default project")
	}
	if projectID == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM projects WHERE id = ?`, projectID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return invalid("project %d does not exist", projectID)
	}
	if columnID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM columns WHERE id = ? AND project_id = ?`, columnID, projectID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return invalid("column %d is not in project %d", columnID, projectID)
		}
	}
	if swimlaneID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM swimlanes WHERE id = ? AND project_id = ?`, swimlaneID, projectID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return invalid("swimlane %d is not in project %d", swimlaneID, projectID)
		}
	}
	return nil
}

// CreateIntegration adds an integration and returns its secrets, which are
// not stored in readable form and cannot be shown again.
func (s *Store) CreateIntegration(ctx context.Context, in NewIntegration) (Integration, IntegrationSecrets, error) {
	var created Integration
	var secrets IntegrationSecrets
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		created, secrets, err = s.createIntegrationTx(ctx, tx, in)
		return err
	})
	if err != nil {
		return Integration{}, IntegrationSecrets{}, fmt.Errorf("store: create integration: %w", err)
	}
	return created, secrets, nil
}

func (s *Store) createIntegrationTx(ctx context.Context, tx *sql.Tx, in NewIntegration) (Integration, IntegrationSecrets, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	if err := validateIntegrationText(in.Name, in.Description); err != nil {
		return Integration{}, IntegrationSecrets{}, err
	}
	if in.Kind == "" {
		in.Kind = KindIncoming
	}
	if in.Kind != KindIncoming && in.Kind != KindAPI {
		return Integration{}, IntegrationSecrets{}, invalid("integration kind must be %q or %q", KindIncoming, KindAPI)
	}
	now := s.now()
	expires, err := expiresAt(now, in.ExpiresIn)
	if err != nil {
		return Integration{}, IntegrationSecrets{}, err
	}
	if err := checkTaskDefaults(ctx, tx, in.DefaultProjectID, in.DefaultColumnID, in.DefaultSwimlaneID); err != nil {
		return Integration{}, IntegrationSecrets{}, err
	}
	secrets := IntegrationSecrets{Token: newToken(tokenPrefixFor(in.Kind))}
	var appSecretEnc []byte
	if in.RequireProof {
		secrets.AppSecret = newToken(PrefixAppSecret)
		appSecretEnc = s.secrets.seal(secrets.AppSecret)
	}
	id, err := insert(ctx, tx, `INSERT INTO integrations
		(name, description, kind, token_hash, token_hint, default_project_id, default_column_id, default_swimlane_id,
		 expires_at, allowed_ips, require_proof, app_secret_enc, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.Name, in.Description, in.Kind, hashToken(secrets.Token), tokenHint(secrets.Token),
		nullInt(in.DefaultProjectID), nullInt(in.DefaultColumnID), nullInt(in.DefaultSwimlaneID),
		nullInt(expires), formatPrefixes(in.AllowedIPs), boolInt(in.RequireProof), appSecretEnc, now.Unix())
	if err != nil {
		return Integration{}, IntegrationSecrets{}, err
	}
	created, err := scanIntegration(tx.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE id = ?`, id))
	return created, secrets, err
}

const integrationColumns = `id, name, description, kind, token_hint, COALESCE(default_project_id, 0),
	COALESCE(default_column_id, 0), COALESCE(default_swimlane_id, 0), COALESCE(expires_at, 0), enabled,
	allowed_ips, require_proof, app_secret_enc, COALESCE(last_used_at, 0), created_at`

func scanIntegration(row interface{ Scan(...any) error }) (Integration, error) {
	var in Integration
	var ips string
	err := row.Scan(&in.ID, &in.Name, &in.Description, &in.Kind, &in.TokenHint, &in.DefaultProjectID,
		&in.DefaultColumnID, &in.DefaultSwimlaneID, &in.ExpiresAt, &in.Enabled, &ips, &in.RequireProof,
		&in.appSecretEnc, &in.LastUsedAt, &in.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Integration{}, ErrNotFound
	}
	if err != nil {
		return Integration{}, err
	}
	in.AllowedIPs, err = ParseAllowedIPs(ips)
	return in, err
}

// Integrations lists every integration by id.
func (s *Store) Integrations(ctx context.Context) ([]Integration, error) {
	out, err := listRows(ctx, s.reader, nil, scanIntegration, `SELECT `+integrationColumns+` FROM integrations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list integrations: %w", err)
	}
	return out, nil
}

// IntegrationByID finds an integration.
func (s *Store) IntegrationByID(ctx context.Context, id int64) (Integration, error) {
	in, err := scanIntegration(s.reader.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE id = ?`, id))
	if err != nil {
		return Integration{}, fmt.Errorf("store: integration %d: %w", id, err)
	}
	return in, nil
}

// IntegrationByToken finds the integration a token belongs to, by the
// token's hash. It checks nothing else: the caller checks kind, enabled,
// expiry, IP and proof, so that each refusal can be logged with its reason.
func (s *Store) IntegrationByToken(ctx context.Context, token string) (Integration, error) {
	if token == "" {
		return Integration{}, ErrNotFound
	}
	// Not cancellable: one indexed row, on the path of every token call,
	// and database/sql watches a cancellable context with a goroutine.
	return scanIntegration(s.reader.QueryRowContext(context.WithoutCancel(ctx),
		`SELECT `+integrationColumns+` FROM integrations WHERE token_hash = ?`, hashToken(token)))
}

// AppSecret decrypts the integration's app secret ("" when proof is not required).
func (s *Store) AppSecret(in Integration) (string, error) {
	if len(in.appSecretEnc) == 0 {
		return "", nil
	}
	return s.secrets.open(in.appSecretEnc)
}

// RegenerateIntegration replaces the token (and app secret, when proof is
// required); the old token stops working at once.
func (s *Store) RegenerateIntegration(ctx context.Context, id int64) (IntegrationSecrets, error) {
	var secrets IntegrationSecrets
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		in, err := scanIntegration(tx.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE id = ?`, id))
		if err != nil {
			return err
		}
		secrets.Token = newToken(tokenPrefixFor(in.Kind))
		var appSecretEnc []byte
		if in.RequireProof {
			secrets.AppSecret = newToken(PrefixAppSecret)
			appSecretEnc = s.secrets.seal(secrets.AppSecret)
		}
		_, err = tx.ExecContext(ctx, `UPDATE integrations SET token_hash = ?, token_hint = ?, app_secret_enc = ? WHERE id = ?`,
			hashToken(secrets.Token), tokenHint(secrets.Token), appSecretEnc, id)
		return err
	})
	if err != nil {
		return IntegrationSecrets{}, fmt.Errorf("store: regenerate integration %d: %w", id, err)
	}
	return secrets, nil
}

// SetIntegrationEnabled enables or disables an integration.
func (s *Store) SetIntegrationEnabled(ctx context.Context, id int64, enabled bool) error {
	return s.execOne(ctx, "set integration enabled", `UPDATE integrations SET enabled = ? WHERE id = ?`, boolInt(enabled), id)
}

// DeleteIntegration removes an integration and its usage counts for good.
func (s *Store) DeleteIntegration(ctx context.Context, id int64) error {
	return s.execOne(ctx, "delete integration", `DELETE FROM integrations WHERE id = ?`, id)
}

// execOne runs one statement that must touch exactly one row.
func (s *Store) execOne(ctx context.Context, what, query string, args ...any) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, query, args...))
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// oneRow passes on an Exec's error, or ErrNotFound when it touched no row.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
