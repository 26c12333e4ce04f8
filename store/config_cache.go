package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// The configuration cache. A new task checks its placement with a join of
// six tables, the incoming URL looks its integration up, and every event
// lists the enabled webhook endpoints: the same few rows each time, which change a few times a day, read by the one
// writer connection that every change waits for. They are kept here for
// one value of config_version, which triggers (migration 003) move on with
// every committed change to those tables, made by this process or another
// (the CLI writes to the same file). A call reads the counter in its own
// transaction and trusts the cache only at that version. Nothing outside
// this file sees the cache: a miss reads the tables, as without it.
type configCache struct {
	mu        sync.Mutex
	version   int64 // what the entries hold; 0: nothing is cached
	places    map[placement]placed
	endpoints []endpointFilter
	epKnown   bool
	// actions are the automatic actions' rules by project (actions.go).
	actions  map[int64][]Action
	actKnown bool
	// integrations by token hash, for the incoming URL (credentials.go).
	integrations map[[sha256.Size]byte]Integration
}

// placed is what place found for a placement: where the task goes and
// the names of what it refers to.
type placed struct {
	project, column, swimlane int64
	names                     TaskSnapshot
}

// endpointFilter is an enabled endpoint as emit matches it.
type endpointFilter struct {
	id               int64
	events, projects string
	timeout          time.Duration
}

// maxCachedPlaces bounds the placements kept; past it the cache starts over.
const maxCachedPlaces = 1024

// configVersion reads config_version inside tx.
func configVersion(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read config version: %w", err)
	}
	return v, nil
}

// at makes the cache hold version v, dropping what it held for another.
// It reports whether entries of v may be added: not when the cache
// already moved past v. The caller holds mu.
func (c *configCache) at(v int64) bool {
	if v < c.version {
		return false
	}
	if v > c.version {
		c.hold(v)
	}
	return true
}

// hold empties the cache, to hold entries of version v.
func (c *configCache) hold(v int64) {
	c.version, c.places, c.endpoints, c.epKnown, c.integrations = v, nil, nil, false, nil
	c.actions, c.actKnown = nil, false
}

// forget drops everything: a transaction or savepoint was rolled back, so
// entries read inside it may describe changes that never happened, under a
// version number that a later change will reuse.
func (c *configCache) forget() {
	c.mu.Lock()
	c.hold(0)
	c.mu.Unlock()
}

// placeCached is place for a new task in the writer's transaction, whose
// config_version is v, answered from the cache when the same placement was
// checked at the same version. p.names must be set; on a hit it shares the
// cached names, which nobody changes.
func (s *Store) placeCached(ctx context.Context, tx *sql.Tx, v int64, p *placement) error {
	key := *p
	key.names = nil
	s.config.mu.Lock()
	hit, ok := s.config.places[key]
	ok = ok && s.config.version == v
	s.config.mu.Unlock()
	if ok {
		p.project, p.column, p.swimlane = hit.project, hit.column, hit.swimlane
		*p.names = hit.names
		return nil
	}
	if err := place(ctx, tx, p); err != nil {
		return err
	}
	s.config.mu.Lock()
	if s.config.at(v) {
		if s.config.places == nil || len(s.config.places) >= maxCachedPlaces {
			s.config.places = map[placement]placed{}
		}
		s.config.places[key] = placed{p.project, p.column, p.swimlane, *p.names}
	}
	s.config.mu.Unlock()
	return nil
}

// endpointFilters lists the enabled endpoints, from the cache when it holds
// v, the config_version tx reads.
func (s *Store) endpointFilters(ctx context.Context, tx *sql.Tx, v int64) ([]endpointFilter, error) {
	s.config.mu.Lock()
	eps, ok := s.config.endpoints, s.config.epKnown && s.config.version == v
	s.config.mu.Unlock()
	if ok {
		return eps, nil
	}
	eps, err := listRows(ctx, tx, []endpointFilter{}, func(row interface{ Scan(...any) error }) (endpointFilter, error) {
		var e endpointFilter
		var ms int64
		err := row.Scan(&e.id, &e.events, &e.projects, &ms)
		e.timeout = time.Duration(ms) * time.Millisecond
		return e, err
	}, `SELECT id, events, projects, timeout_ms FROM webhook_endpoints WHERE enabled = 1 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("match endpoints: %w", err)
	}
	s.config.mu.Lock()
	if s.config.at(v) {
		s.config.endpoints, s.config.epKnown = eps, true
	}
	s.config.mu.Unlock()
	return eps, nil
}
