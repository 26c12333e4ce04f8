package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The configuration cache. Every task made through the incoming URL used to
// read its integration by token (a read transaction of its own), check its
// project, column, swimlane, category and users with a six-way join, and
// list the enabled webhook endpoints: the same few rows each time, which
// change a few times a day. They are kept here, for one value of
// config_version: triggers (migration 003) move that counter on with every
// committed change to those tables, made by this process or by another
// (the CLI writes to the same file). A write transaction reads the counter
// (one row, one page) and trusts the cache only at that version; the token
// lookup, made before the transaction, is confirmed by it (see
// Integration.Actor and ErrStaleCredentials).

// ErrStaleCredentials fails a change made by an Actor whose integration was
// read from the cache at a configuration version that has passed: it may
// have been disabled, expired, regenerated or deleted meanwhile. Nothing
// was written; the caller checks the credentials again from the database.
var ErrStaleCredentials = errors.New("store: credentials changed since they were checked")

// maxCachedTokens bounds the token cache; past it the cache starts over.
// Only tokens that exist are cached, so a caller guessing tokens cannot
// fill it.
const maxCachedTokens = 1024

type configCache struct {
	mu      sync.Mutex
	version int64 // what the entries hold; 0: nothing is cached
	tokens  map[[sha256.Size]byte]Integration
	places  map[placeKey]placement
	// endpoints are the enabled webhook endpoints, as emit matches them.
	endpoints      []endpointRow
	endpointsKnown bool
}

// placeKey is what a new task asks for; placement is what it gets.
type placeKey struct{ project, column, swimlane, category, owner, creator int64 }

type placement struct {
	project, column, swimlane int64
	names                     placeNames
}

// endpointRow is an enabled endpoint as emit reads it.
type endpointRow struct {
	job              memoJob
	events, projects string
	timeoutMS        int64
}

// at makes the cache hold version v, dropping everything when it held
// another. It reports whether entries of v may be added: not when the
// cache already moved past v (the caller read an older snapshot).
func (c *configCache) at(v int64) bool {
	if v == c.version {
		return true
	}
	if v < c.version {
		return false
	}
	c.hold(v)
	return true
}

// hold empties the cache, to hold entries of version v.
func (c *configCache) hold(v int64) {
	c.version = v
	c.tokens = nil
	c.places = nil
	c.endpoints, c.endpointsKnown = nil, false
}

// forget drops everything: a transaction or savepoint was rolled back, so
// entries read inside it may describe changes that never happened, under a
// version number that a later change will reuse.
func (c *configCache) forget() {
	c.mu.Lock()
	c.hold(0)
	c.mu.Unlock()
}

// configVersion reads config_version inside tx and brings the cache to it.
// The version read stays good for the rest of the transaction until a call
// that may change the configuration (the committer says when), so a batch
// of new tasks reads it once: no other process can commit meanwhile.
func (s *Store) configVersion(ctx context.Context, tx *sql.Tx) (int64, error) {
	if s.txVersion != 0 {
		return s.txVersion, nil
	}
	var v int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read config version: %w", err)
	}
	s.txVersion = v
	s.config.mu.Lock()
	s.config.at(v)
	s.config.mu.Unlock()
	return v, nil
}

// Actor is the actor for changes made with this integration's credentials.
// When the integration came from CachedIntegrationByToken, a change made
// with it fails with ErrStaleCredentials if the configuration changed since.
func (in Integration) Actor() Actor {
	return Actor{IntegrationID: in.ID, checkedAt: in.version}
}

// CachedIntegrationByToken is IntegrationByToken answered from memory when
// it can. The answer may be stale: use it only for changes made with its
// Actor, which the change's transaction confirms (ErrStaleCredentials when
// it cannot), never for reads.
func (s *Store) CachedIntegrationByToken(ctx context.Context, token string) (Integration, error) {
	if token == "" {
		return Integration{}, ErrNotFound
	}
	hash := sha256.Sum256([]byte(token))
	s.config.mu.Lock()
	in, ok := s.config.tokens[hash]
	s.config.mu.Unlock()
	if ok {
		in.cached = true
		return in, nil
	}
	var v int64
	in, err := scanIntegrationWith(s.reader.QueryRowContext(ctx, `SELECT `+integrationColumns+`,
		(SELECT version FROM config_version WHERE id = 1) FROM integrations WHERE token_hash = ?`, hash[:]), &v)
	if err != nil {
		return Integration{}, err
	}
	in.version = v
	s.config.mu.Lock()
	if s.config.at(v) {
		if s.config.tokens == nil || len(s.config.tokens) >= maxCachedTokens {
			s.config.tokens = map[[sha256.Size]byte]Integration{}
		}
		s.config.tokens[hash] = in
	}
	s.config.mu.Unlock()
	return in, nil
}

// Cached tells whether the integration was answered from memory by
// CachedIntegrationByToken, and so may be out of date.
func (in Integration) Cached() bool { return in.cached }

// checkActor fails a change whose actor's credentials were read at another
// configuration version than v.
func checkActor(actor Actor, v int64) error {
	if actor.checkedAt != 0 && actor.checkedAt != v {
		return ErrStaleCredentials
	}
	return nil
}

// cachedPlacement returns what placeNewTask found for the same request at
// version v.
func (s *Store) cachedPlacement(k placeKey, v int64) (placement, bool) {
	s.config.mu.Lock()
	defer s.config.mu.Unlock()
	if s.config.version != v {
		return placement{}, false
	}
	p, ok := s.config.places[k]
	return p, ok
}

func (s *Store) keepPlacement(k placeKey, p placement, v int64) {
	s.config.mu.Lock()
	defer s.config.mu.Unlock()
	if !s.config.at(v) {
		return
	}
	if s.config.places == nil || len(s.config.places) >= maxCachedTokens {
		s.config.places = map[placeKey]placement{}
	}
	s.config.places[k] = p
}

// enabledEndpoints lists the enabled endpoints at version v, from memory
// or from tx.
func (s *Store) enabledEndpoints(ctx context.Context, tx *sql.Tx, v int64) ([]endpointRow, error) {
	s.config.mu.Lock()
	if s.config.version == v && s.config.endpointsKnown {
		eps := s.config.endpoints
		s.config.mu.Unlock()
		return eps, nil
	}
	s.config.mu.Unlock()
	eps, err := listRows(ctx, tx, nil, scanEndpointRow, `SELECT `+endpointRowColumns+`
		FROM webhook_endpoints WHERE enabled = 1 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("match endpoints: %w", err)
	}
	s.config.mu.Lock()
	if s.config.at(v) {
		s.config.endpoints, s.config.endpointsKnown = eps, true
	}
	s.config.mu.Unlock()
	return eps, nil
}

// endpointRowColumns are what scanEndpointRow reads.
const endpointRowColumns = `id, name, url, events, projects, format, timeout_ms,
	token_enc, prev_token_enc, prev_token_until, secret_enc, prev_secret_enc, prev_secret_until`

func scanEndpointRow(row interface{ Scan(...any) error }) (endpointRow, error) {
	var e endpointRow
	ep := &e.job.job.Endpoint
	sl := &e.job.sealed
	err := row.Scan(&ep.ID, &ep.Name, &ep.URL, &e.events, &e.projects, &ep.Format, &e.timeoutMS,
		&sl.tok, &sl.prevTok, &sl.tokUntil, &sl.sec, &sl.prevSec, &sl.secUntil)
	if err != nil {
		return e, err
	}
	// As loadJobs reads them. The slices are shared by every job made from
	// this row, and never changed.
	ep.Enabled = true
	ep.Events = ParseEventFilter(e.events)
	ep.Projects, _ = ParseProjectFilter(e.projects)
	ep.Timeout = time.Duration(e.timeoutMS) * time.Millisecond
	return e, nil
}
