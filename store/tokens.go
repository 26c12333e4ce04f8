package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Token prefixes name a token's kind, so a leaked token is recognisable (and
// secret scanners can find it).
const (
	PrefixIncoming      = "hbi_"   // integration, kind incoming
	PrefixAPI           = "hba_"   // integration, kind api
	PrefixPersonal      = "hbp_"   // personal access token
	PrefixAppSecret     = "hbs_"   // integration app secret (for appsecret_proof)
	PrefixEndpointToken = "hbw_"   // outgoing webhook endpoint token
	PrefixSigningSecret = "whsec_" // Standard Webhooks signing secret
)

// newToken returns prefix + 32 random bytes in unpadded URL-safe base64, so
// it travels in a query string without escaping.
func newToken(prefix string) string {
	var b [32]byte
	rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// newSigningSecret returns "whsec_" + standard base64 of 24 random bytes, the
// form the Standard Webhooks libraries read.
func newSigningSecret() string {
	var b [24]byte
	rand.Read(b[:])
	return PrefixSigningSecret + base64.StdEncoding.EncodeToString(b[:])
}

// hashToken is what the database keeps of a token. Lookups go by this hash
// through a unique index, so no stored token is ever compared byte by byte
// with the caller's input.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// tokenHint is the part of a token shown in lists: its prefix and last four
// characters, enough to tell tokens apart and useless to an attacker.
func tokenHint(token string) string {
	i := strings.IndexByte(token, '_')
	if i < 0 || len(token) < i+9 {
		return "…"
	}
	return token[:i+1] + "…" + token[len(token)-4:]
}
