package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
)

// SetIntegrationAccess replaces who may use an integration: the addresses
// it is accepted from and whether callers must send appsecret_proof.
// Turning proof on makes a new app secret and returns it (it is shown once);
// turning it off drops the secret; leaving it on keeps the current one and
// returns "".
func (s *Store) SetIntegrationAccess(ctx context.Context, id int64, allowed []netip.Prefix, requireProof bool) (string, error) {
	var appSecret string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		in, err := scanIntegration(tx.QueryRowContext(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE id = ?`, id))
		if err != nil {
			return err
		}
		enc := in.appSecretEnc
		switch {
		case requireProof && !in.RequireProof:
			appSecret = newToken(PrefixAppSecret)
			enc = s.secrets.seal(appSecret)
		case !requireProof:
			enc = nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE integrations SET allowed_ips = ?, require_proof = ?, app_secret_enc = ? WHERE id = ?`,
			formatPrefixes(allowed), boolInt(requireProof), enc, id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: set integration %d access: %w", id, err)
	}
	return appSecret, nil
}
