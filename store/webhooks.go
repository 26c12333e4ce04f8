package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Payload formats of an outgoing webhook endpoint (DESIGN §7).
const (
	FormatKanboard = "kanboard"
	FormatEnvelope = "envelope"
	FormatTransit  = "transit"
)

// Formats lists the payload formats, the default first.
var Formats = []string{FormatKanboard, FormatEnvelope, FormatTransit}

// Endpoint timeouts: the default, and the most an admin may choose (one
// slow receiver must not hold a request for long).
const (
	DefaultEndpointTimeout = time.Second
	MaxEndpointTimeout     = 10 * time.Second
	minEndpointTimeout     = 100 * time.Millisecond
)

// EndpointFailingLimit is how long an endpoint may fail every delivery
// before it is disabled.
const EndpointFailingLimit = 5 * 24 * time.Hour

// DefaultRotationGrace is how long an old endpoint token or signing secret
// stays in use after a rotation, unless the admin says otherwise.
const DefaultRotationGrace = 24 * time.Hour

// Endpoint is an outgoing webhook target, with its health.
type Endpoint struct {
	ID       int64
	Name     string
	URL      string
	Enabled  bool
	Events   []string // nil: every event
	Projects []int64  // nil: every project
	Format   string
	Timeout  time.Duration
	// FailingSince is when the endpoint's current run of failures began
	// (zero when its last attempt succeeded or it never failed).
	FailingSince time.Time
	// DisabledReason says why Hookboard disabled it ("" when an admin did,
	// or when enabled).
	DisabledReason string
	// PrevTokenUntil / PrevSecretUntil: during a rotation's grace, when the
	// old token stops being sent / the old secret stops signing (zero when
	// no rotation is in progress).
	PrevTokenUntil  time.Time
	PrevSecretUntil time.Time
	CreatedAt       time.Time
	ModifiedAt      time.Time

	// Health from the delivery log.
	LastStatus     int       // HTTP status of the last attempt; 0 when none or no answer
	LastError      string    // error of the last attempt
	LastAttemptAt  time.Time // zero when never attempted
	PendingCount   int       // deliveries not yet delivered nor given up
	FailedCount24h int       // deliveries given up in the last 24 h
}

// NewEndpoint is what an admin fills in to add or edit an endpoint.
type NewEndpoint struct {
	Name     string
	URL      string
	Events   []string // nil or ["all"]: every event
	Projects []int64  // nil: every project
	Format   string   // "": kanboard
	Timeout  time.Duration
}

// EndpointSecrets are an endpoint's current credentials, for its settings
// page and for signing.
type EndpointSecrets struct {
	Token           string
	PrevToken       string    // "" unless a rotation's grace is running
	PrevTokenUntil  time.Time // end of that grace
	Secret          string    // the signing secret, whsec_…
	PrevSecret      string
	PrevSecretUntil time.Time
}

// SendToken is the token to send at now: during a token rotation's grace
// the old one, so that the receiver's admin has until the grace ends to
// accept the new one; after it, the new one.
func (e EndpointSecrets) SendToken(now time.Time) string {
	if e.PrevToken != "" && now.Before(e.PrevTokenUntil) {
		return e.PrevToken
	}
	return e.Token
}

// SigningSecrets are the secrets to sign with at now, newest first: the
// current one, and the previous one while its grace runs.
func (e EndpointSecrets) SigningSecrets(now time.Time) []string {
	out := []string{e.Secret}
	if e.PrevSecret != "" && now.Before(e.PrevSecretUntil) {
		out = append(out, e.PrevSecret)
	}
	return out
}

// normalizeEndpoint checks an admin's input and fills in defaults. It
// returns the stored forms of the event and project filters.
func normalizeEndpoint(ctx context.Context, db q, e *NewEndpoint) (events, projects string, err error) {
	e.URL = strings.TrimSpace(e.URL)
	u, perr := url.Parse(e.URL)
	if e.URL == "" || perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return "", "", invalid("webhook URL %q is not an absolute http:// or https:// URL", e.URL)
	}
	if u.User != nil {
		return "", "", invalid("webhook URL must not carry a user name or password")
	}
	if u.Fragment != "" {
		return "", "", invalid("webhook URL must not have a #fragment")
	}
	if len(e.URL) > 2000 {
		return "", "", invalid("webhook URL is longer than 2000 characters")
	}
	e.Name = strings.TrimSpace(e.Name)
	if e.Name == "" {
		e.Name = u.Hostname()
	}
	if len(e.Name) > 200 {
		return "", "", invalid("endpoint name is longer than 200 characters")
	}
	if e.Format == "" {
		e.Format = FormatKanboard
	}
	if !slices.Contains(Formats, e.Format) {
		return "", "", invalid("unknown format %q (use %s)", e.Format, strings.Join(Formats, ", "))
	}
	if e.Timeout == 0 {
		e.Timeout = DefaultEndpointTimeout
	}
	if e.Timeout < minEndpointTimeout || e.Timeout > MaxEndpointTimeout {
		return "", "", invalid("timeout %s is out of range (%s to %s)", e.Timeout, minEndpointTimeout, MaxEndpointTimeout)
	}
	events = "all"
	var names []string
	for _, ev := range e.Events {
		ev = strings.TrimSpace(ev)
		if ev == "" {
			continue
		}
		if ev == "all" {
			names = nil
			break
		}
		if !slices.Contains(EventNames, ev) {
			return "", "", invalid("unknown event %q (use all or: %s)", ev, strings.Join(EventNames, ", "))
		}
		if !slices.Contains(names, ev) {
			names = append(names, ev)
		}
	}
	if len(e.Events) > 0 && len(names) == 0 && !slices.Contains(e.Events, "all") {
		return "", "", invalid("the event filter is empty (use all or a list of events)")
	}
	if len(names) > 0 {
		events = strings.Join(names, ",")
	}
	e.Events = names
	projects = "all"
	var ids []string
	for _, p := range e.Projects {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM projects WHERE id = ?`, p).Scan(&n); err != nil {
			return "", "", err
		}
		if n == 0 {
			return "", "", invalid("project %d does not exist", p)
		}
		ids = append(ids, strconv.FormatInt(p, 10))
	}
	if len(ids) > 0 {
		projects = strings.Join(ids, ",")
	}
	return events, projects, nil
}

// ParseEventFilter reads "all" or "a,b" as an endpoint's event list.
func ParseEventFilter(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(part))
	}
	return out
}

// ParseProjectFilter reads "all" or "1,2" as an endpoint's project list.
func ParseProjectFilter(s string) ([]int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return nil, nil
	}
	var out []int64
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil || n <= 0 {
			return nil, invalid("project %q is not a project id", strings.TrimSpace(part))
		}
		out = append(out, n)
	}
	return out, nil
}

// CreateEndpoint adds an endpoint with a new token and signing secret, and
// returns it with its secrets.
func (s *Store) CreateEndpoint(ctx context.Context, in NewEndpoint) (Endpoint, EndpointSecrets, error) {
	var id int64
	var sec EndpointSecrets
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		events, projects, err := normalizeEndpoint(ctx, tx, &in)
		if err != nil {
			return err
		}
		sec = EndpointSecrets{Token: newToken(PrefixEndpointToken), Secret: newSigningSecret()}
		now := s.now().Unix()
		id, err = insert(ctx, tx, `INSERT INTO webhook_endpoints
			(name, url, events, projects, format, timeout_ms, token_enc, secret_enc, created_at, modified_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Name, in.URL, events, projects, in.Format, in.Timeout.Milliseconds(),
			s.secrets.seal(sec.Token), s.secrets.seal(sec.Secret), now, now)
		return err
	})
	if err != nil {
		return Endpoint{}, EndpointSecrets{}, fmt.Errorf("store: create endpoint: %w", err)
	}
	ep, err := s.Endpoint(ctx, id)
	return ep, sec, err
}

// UpdateEndpoint replaces an endpoint's settings (not its secrets).
func (s *Store) UpdateEndpoint(ctx context.Context, id int64, in NewEndpoint) (Endpoint, error) {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		events, projects, err := normalizeEndpoint(ctx, tx, &in)
		if err != nil {
			return err
		}
		return oneRow(tx.ExecContext(ctx, `UPDATE webhook_endpoints SET name = ?, url = ?, events = ?, projects = ?,
			format = ?, timeout_ms = ?, modified_at = ? WHERE id = ?`,
			in.Name, in.URL, events, projects, in.Format, in.Timeout.Milliseconds(), s.now().Unix(), id))
	})
	if err != nil {
		return Endpoint{}, fmt.Errorf("store: update endpoint %d: %w", id, err)
	}
	return s.Endpoint(ctx, id)
}

// DeleteEndpoint removes an endpoint and its delivery log.
func (s *Store) DeleteEndpoint(ctx context.Context, id int64) error {
	return s.execOne(ctx, "delete endpoint", `DELETE FROM webhook_endpoints WHERE id = ?`, id)
}

// SetEndpointEnabled enables or disables an endpoint. Enabling clears the
// failure flag and the reason Hookboard disabled it; its pending
// deliveries are then attempted by the retry worker.
func (s *Store) SetEndpointEnabled(ctx context.Context, id int64, enabled bool) error {
	if enabled {
		return s.execOne(ctx, "enable endpoint", `UPDATE webhook_endpoints
			SET enabled = 1, failing_since = NULL, disabled_reason = '', modified_at = ? WHERE id = ?`, s.now().Unix(), id)
	}
	return s.execOne(ctx, "disable endpoint", `UPDATE webhook_endpoints
		SET enabled = 0, disabled_reason = '', modified_at = ? WHERE id = ?`, s.now().Unix(), id)
}

// RotateEndpointSecret makes a new signing secret and returns it. The old
// one keeps signing (a second signature) for grace; grace 0 drops it now.
func (s *Store) RotateEndpointSecret(ctx context.Context, id int64, grace time.Duration) (string, error) {
	secret := newSigningSecret()
	if err := s.rotate(ctx, id, "secret", secret, grace); err != nil {
		return "", err
	}
	return secret, nil
}

// RotateEndpointToken makes a new endpoint token and returns it. Until
// grace has passed the old token is still the one sent (see
// EndpointSecrets.SendToken); grace 0 switches now.
func (s *Store) RotateEndpointToken(ctx context.Context, id int64, grace time.Duration) (string, error) {
	token := newToken(PrefixEndpointToken)
	if err := s.rotate(ctx, id, "token", token, grace); err != nil {
		return "", err
	}
	return token, nil
}

// rotate moves the current token or secret (column prefix "token" or
// "secret", our own constants) to prev_* for grace and stores the new one.
func (s *Store) rotate(ctx context.Context, id int64, kind, value string, grace time.Duration) error {
	if grace < 0 {
		return fmt.Errorf("store: rotate endpoint %s: %w", kind, invalid("grace period must not be negative"))
	}
	now := s.now()
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var cur, prev []byte
		var prevUntil sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT `+kind+`_enc, prev_`+kind+`_enc, prev_`+kind+`_until
			FROM webhook_endpoints WHERE id = ?`, id).Scan(&cur, &prev, &prevUntil)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		// The value in use right now is what the receiver trusts: for a
		// token still in its grace that is the previous one.
		keep := cur
		if kind == "token" && prev != nil && prevUntil.Valid && now.Unix() < prevUntil.Int64 {
			keep = prev
		}
		var keepArg any
		var until sql.NullInt64
		if grace > 0 {
			keepArg = keep
			until = sql.NullInt64{Int64: now.Add(grace).Unix(), Valid: true}
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET `+kind+`_enc = ?, prev_`+kind+`_enc = ?,
			prev_`+kind+`_until = ?, modified_at = ? WHERE id = ?`,
			s.secrets.seal(value), keepArg, until, now.Unix(), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: rotate endpoint %d %s: %w", id, kind, err)
	}
	return nil
}

// EndpointSecrets decrypts an endpoint's token and signing secret (for its
// settings page, which shows the signing secret, and for signing).
func (s *Store) EndpointSecrets(ctx context.Context, id int64) (EndpointSecrets, error) {
	var sl sealedSecrets
	err := s.reader.QueryRowContext(ctx, `SELECT token_enc, prev_token_enc, prev_token_until, secret_enc,
		prev_secret_enc, prev_secret_until FROM webhook_endpoints WHERE id = ?`, id).
		Scan(&sl.tok, &sl.prevTok, &sl.tokUntil, &sl.sec, &sl.prevSec, &sl.secUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return EndpointSecrets{}, fmt.Errorf("store: endpoint %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return EndpointSecrets{}, fmt.Errorf("store: endpoint %d secrets: %w", id, err)
	}
	out, err := s.openEndpointSecrets(sl)
	if err != nil {
		return EndpointSecrets{}, fmt.Errorf("store: endpoint %d secrets: %w", id, err)
	}
	return out, nil
}

// sealedSecrets is an endpoint's token and signing secret as stored
// (token_enc, prev_token_enc, prev_token_until, secret_enc,
// prev_secret_enc, prev_secret_until), to open with openEndpointSecrets.
type sealedSecrets struct {
	tok, prevTok, sec, prevSec []byte
	tokUntil, secUntil         sql.NullInt64
}

func (s *Store) openEndpointSecrets(sl sealedSecrets) (EndpointSecrets, error) {
	var out EndpointSecrets
	var err error
	if out.Token, err = s.secrets.open(sl.tok); err != nil {
		return out, err
	}
	if out.Secret, err = s.secrets.open(sl.sec); err != nil {
		return out, err
	}
	now := s.now()
	if sl.prevTok != nil && sl.tokUntil.Valid && now.Unix() < sl.tokUntil.Int64 {
		if out.PrevToken, err = s.secrets.open(sl.prevTok); err != nil {
			return out, err
		}
		out.PrevTokenUntil = time.Unix(sl.tokUntil.Int64, 0).UTC()
	}
	if sl.prevSec != nil && sl.secUntil.Valid && now.Unix() < sl.secUntil.Int64 {
		if out.PrevSecret, err = s.secrets.open(sl.prevSec); err != nil {
			return out, err
		}
		out.PrevSecretUntil = time.Unix(sl.secUntil.Int64, 0).UTC()
	}
	return out, nil
}

// endpointColumns reads an endpoint with its health: its last attempt's
// outcome (kept on the row by RecordAttempts), and counts of pending
// deliveries (those owed by fanout rows, in flight, included) and recently
// failed ones.
const endpointColumns = `e.id, e.name, e.url, e.enabled, e.events, e.projects, e.format, e.timeout_ms,
	COALESCE(e.failing_since, 0), e.disabled_reason, COALESCE(e.prev_token_until, 0), COALESCE(e.prev_secret_until, 0),
	e.created_at, e.modified_at,
	COALESCE(e.last_status, 0), e.last_error, COALESCE(e.last_attempt_ms, 0),
	(SELECT count(*) FROM deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending') +
	(SELECT count(*) FROM fanouts f WHERE ',' || f.endpoint_ids || ',' LIKE '%,' || e.id || ',%'),
	(SELECT count(*) FROM deliveries d WHERE d.endpoint_id = e.id AND d.status = 'failed' AND d.finished_at_ms >= ?)`

func scanEndpoint(row interface{ Scan(...any) error }) (Endpoint, error) {
	var e Endpoint
	var events, projects string
	var timeoutMS, failing, tokUntil, secUntil, created, modified, lastMS int64
	err := row.Scan(&e.ID, &e.Name, &e.URL, &e.Enabled, &events, &projects, &e.Format, &timeoutMS,
		&failing, &e.DisabledReason, &tokUntil, &secUntil, &created, &modified, &e.LastStatus, &e.LastError, &lastMS,
		&e.PendingCount, &e.FailedCount24h)
	if errors.Is(err, sql.ErrNoRows) {
		return Endpoint{}, ErrNotFound
	}
	if err != nil {
		return Endpoint{}, err
	}
	e.Events = ParseEventFilter(events)
	e.Projects, _ = ParseProjectFilter(projects)
	e.Timeout = time.Duration(timeoutMS) * time.Millisecond
	if failing != 0 {
		e.FailingSince = time.Unix(failing, 0).UTC()
	}
	if tokUntil != 0 {
		e.PrevTokenUntil = time.Unix(tokUntil, 0).UTC()
	}
	if secUntil != 0 {
		e.PrevSecretUntil = time.Unix(secUntil, 0).UTC()
	}
	e.CreatedAt = time.Unix(created, 0).UTC()
	e.ModifiedAt = time.Unix(modified, 0).UTC()
	if lastMS != 0 {
		e.LastAttemptAt = time.UnixMilli(lastMS).UTC()
	}
	return e, nil
}

// Endpoints lists every endpoint by id, with health.
func (s *Store) Endpoints(ctx context.Context) ([]Endpoint, error) {
	if err := s.settle(ctx); err != nil {
		return nil, err
	}
	out, err := listRows(ctx, s.reader, nil, scanEndpoint, `SELECT `+endpointColumns+` FROM webhook_endpoints e ORDER BY e.id`,
		s.now().Add(-24*time.Hour).UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: list endpoints: %w", err)
	}
	for i := range out {
		out[i] = s.endGraces(out[i])
	}
	return out, nil
}

// Endpoint reads one endpoint with health.
func (s *Store) Endpoint(ctx context.Context, id int64) (Endpoint, error) {
	if err := s.settle(ctx); err != nil {
		return Endpoint{}, err
	}
	e, err := scanEndpoint(s.reader.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE e.id = ?`,
		s.now().Add(-24*time.Hour).UnixMilli(), id))
	if err != nil {
		return Endpoint{}, fmt.Errorf("store: endpoint %d: %w", id, err)
	}
	return s.endGraces(e), nil
}

// endGraces clears rotation graces that have passed.
func (s *Store) endGraces(e Endpoint) Endpoint {
	now := s.now()
	if !now.Before(e.PrevTokenUntil) {
		e.PrevTokenUntil = time.Time{}
	}
	if !now.Before(e.PrevSecretUntil) {
		e.PrevSecretUntil = time.Time{}
	}
	return e
}
