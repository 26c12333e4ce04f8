package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hookboard/store"
)

// Password limits, counted in failed checks: one user name from one address
// gets 5 quick tries then one every 12 s; one address gets 20 quick tries (a
// shared office) then one every 3 s. Nothing is keyed on the user name alone,
// so a stranger cannot lock anyone else out.
const (
	userBurst    = 5
	userInterval = 12 * time.Second
	ipBurst      = 20
	ipInterval   = 3 * time.Second
	// limiterCap bounds each map; idle entries are dropped first.
	limiterCap = 10000
)

// passwordGate is the one way a password is checked, on the login page and
// for JSON-RPC Basic logins: it throttles failed checks and bounds the
// bcrypt work running at once, so a flood of wrong passwords neither guesses
// fast nor takes the CPU the incoming URL needs.
type passwordGate struct {
	mu         sync.Mutex
	byAddr     map[string]*limitEntry
	byUserAddr map[string]*limitEntry
	// slots holds one token per bcrypt comparison running.
	slots chan struct{}
}

type limitEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newPasswordGate() *passwordGate {
	return &passwordGate{
		byAddr:     map[string]*limitEntry{},
		byUserAddr: map[string]*limitEntry{},
		// Half the CPUs at most: the rest stay free for everything else.
		slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
	}
}

// throttledError refuses a password check without running it.
type throttledError struct{ retryAfter time.Duration }

func (e *throttledError) Error() string { return "too many failed password checks" }

// retryAfterHeader is the Retry-After value, in whole seconds (at least 1).
func (e *throttledError) retryAfterHeader() string {
	return strconv.Itoa(int(max(1, math.Ceil(e.retryAfter.Seconds()))))
}

// checkPassword checks a user's password for the request's client address.
// It returns the user, store.ErrUnauthorized, a *throttledError, or the
// request's context error when the client left while waiting for a slot.
func (a *App) checkPassword(r *http.Request, username, password string) (store.User, error) {
	g := a.web.passwords
	ip, _ := a.clientIP(r)
	addr := ip.String()
	userAddr := strings.ToLower(username) + "\x00" + addr
	if err := g.throttled(addr, userAddr, a.now()); err != nil {
		return store.User{}, err
	}
	select {
	case g.slots <- struct{}{}:
	case <-r.Context().Done():
		return store.User{}, r.Context().Err()
	}
	defer func() { <-g.slots }()
	// Checked again: failures recorded while this one waited count.
	if err := g.throttled(addr, userAddr, a.now()); err != nil {
		return store.User{}, err
	}
	u, err := a.store.CheckPassword(r.Context(), username, password)
	if errors.Is(err, store.ErrUnauthorized) {
		g.fail(addr, userAddr, a.now())
	}
	return u, err
}

// throttled tells whether either budget is spent, and until when. Only
// failures spend it: a script that sends its password with every call is
// not slowed down.
func (g *passwordGate) throttled(addr, userAddr string, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var wait time.Duration
	for _, e := range []*limitEntry{g.byAddr[addr], g.byUserAddr[userAddr]} {
		if e == nil {
			continue
		}
		if tokens := e.lim.TokensAt(now); tokens < 1 {
			wait = max(wait, time.Duration((1-tokens)/float64(e.lim.Limit())*float64(time.Second)))
		}
	}
	if wait > 0 {
		return &throttledError{retryAfter: wait}
	}
	return nil
}

// fail spends one try of the address's and the (user, address)'s budgets.
func (g *passwordGate) fail(addr, userAddr string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	take(g.byAddr, addr, rate.Every(ipInterval), ipBurst, now)
	take(g.byUserAddr, userAddr, rate.Every(userInterval), userBurst, now)
}

func take(m map[string]*limitEntry, key string, r rate.Limit, burst int, now time.Time) {
	e, ok := m[key]
	if !ok {
		if len(m) >= limiterCap {
			prune(m, now)
		}
		e = &limitEntry{lim: rate.NewLimiter(r, burst)}
		m[key] = e
	}
	e.seen = now
	e.lim.AllowN(now, 1)
}

// prune drops entries idle long enough to have refilled; if that frees
// nothing (an attack from many addresses), it starts over rather than grow.
func prune(m map[string]*limitEntry, now time.Time) {
	for k, e := range m {
		if now.Sub(e.seen) > 5*time.Minute {
			delete(m, k)
		}
	}
	if len(m) >= limiterCap {
		clear(m)
	}
}

// loggedName stands for a user name typed into a failed login: people type
// passwords into the user name field, so the log gets a short hash that
// still lets repeated attempts be matched, never the text.
func loggedName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

// isThrottled unwraps a *throttledError.
func isThrottled(err error) (*throttledError, bool) {
	var t *throttledError
	ok := errors.As(err, &t)
	return t, ok
}
