package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// IntegrationEdit is what an admin changes about an integration; nil
// leaves a field as it is.
type IntegrationEdit struct {
	Name        *string
	Description *string
	// ExpiresIn is the new expiry counted from now; 0 = never.
	ExpiresIn *time.Duration
	// Defaults replaces the default project, column and swimlane together
	// (zero ids for none), because a column only makes sense in its project.
	Defaults     *IntegrationDefaults
	AllowedIPs   *[]netip.Prefix // empty = any address
	RequireProof *bool
}

// IntegrationDefaults is where the incoming URL puts a task that names no
// place of its own.
type IntegrationDefaults struct {
	ProjectID, ColumnID, SwimlaneID int64
}

// EditIntegration changes an integration in one transaction, or nothing
// when any field is refused. Turning proof on makes a new app secret and
// returns it (it is shown once); turning it off drops the secret; leaving
// it on keeps the current one and returns "".
func (s *Store) EditIntegration(ctx context.Context, id int64, e IntegrationEdit) (string, error) {
	var appSecret string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		in, err := scanIntegration(tx.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if e.Name != nil {
			in.Name = strings.TrimSpace(*e.Name)
		}
		if e.Description != nil {
			in.Description = strings.TrimSpace(*e.Description)
		}
		if err := validateIntegrationText(in.Name, in.Description); err != nil {
			return err
		}
		if e.ExpiresIn != nil {
			if in.ExpiresAt, err = expiresAt(s.now(), *e.ExpiresIn); err != nil {
				return err
			}
		}
		if e.Defaults != nil {
			d := *e.Defaults
			if err := checkTaskDefaults(ctx, tx, d.ProjectID, d.ColumnID, d.SwimlaneID); err != nil {
				return err
			}
			in.DefaultProjectID, in.DefaultColumnID, in.DefaultSwimlaneID = d.ProjectID, d.ColumnID, d.SwimlaneID
		}
		if e.AllowedIPs != nil {
			in.AllowedIPs = *e.AllowedIPs
		}
		if e.RequireProof != nil {
			switch {
			case *e.RequireProof && !in.RequireProof:
				appSecret = newToken(PrefixAppSecret)
				in.appSecretEnc = s.secrets.seal(appSecret)
			case !*e.RequireProof:
				in.appSecretEnc = nil
			}
			in.RequireProof = *e.RequireProof
		}
		// Every column the incoming URL judges or places by is written, so
		// the config_version trigger fires and the cached integration is
		// read again by the next request.
		_, err = tx.ExecContext(ctx, `UPDATE integrations SET name = ?, description = ?, expires_at = ?,
			default_project_id = ?, default_column_id = ?, default_swimlane_id = ?,
			allowed_ips = ?, require_proof = ?, app_secret_enc = ? WHERE id = ?`,
			in.Name, in.Description, nullInt(in.ExpiresAt),
			nullInt(in.DefaultProjectID), nullInt(in.DefaultColumnID), nullInt(in.DefaultSwimlaneID),
			formatPrefixes(in.AllowedIPs), boolInt(in.RequireProof), in.appSecretEnc, id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: edit integration %d: %w", id, err)
	}
	return appSecret, nil
}

// MaxIntegrationName and MaxIntegrationDescription bound what an admin
// types about an integration.
const (
	MaxIntegrationName        = 200
	MaxIntegrationDescription = 1000
)

// validateIntegrationText checks an integration's name and description,
// for create and edit alike.
func validateIntegrationText(name, description string) error {
	if err := validateName("integration name", name, MaxIntegrationName); err != nil {
		return err
	}
	if err := ValidateText("description", description, false); err != nil {
		return err
	}
	if len([]rune(description)) > MaxIntegrationDescription {
		return invalid("description is longer than %d characters", MaxIntegrationDescription)
	}
	return nil
}

// expiresAt is the expiry time in unix seconds for a lifetime from now;
// 0 (never) for no lifetime.
func expiresAt(now time.Time, in time.Duration) (int64, error) {
	switch {
	case in < 0:
		return 0, invalid("expiry must be in the future")
	case in == 0:
		return 0, nil
	}
	at := now.Add(in).Unix()
	if at <= now.Unix() {
		return 0, invalid("expiry must be in the future")
	}
	return at, nil
}
