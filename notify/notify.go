// Package notify sends Hookboard's outgoing webhooks: it renders the
// payload formats, signs them (Standard Webhooks), delivers them through an
// HTTP client whose dialer refuses non-public addresses, records every
// attempt, and retries from the database so that nothing committed is lost.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"hookboard/store"
)

// Schedule is the Standard Webhooks retry schedule: the wait after the
// first failed attempt, the second, and so on. After the last retry fails
// the delivery is marked failed.
var Schedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Defaults of Options.
const (
	DefaultConcurrency  = 64
	DefaultPollInterval = time.Second
	DefaultRetention    = 30 * 24 * time.Hour
	// lease is how long a claimed delivery is reserved beyond its endpoint
	// timeout; it matches the lease emit gives a fresh event's deliveries.
	lease = 30 * time.Second
	// pruneEvery is how often the worker removes old attempts.
	pruneEvery = time.Hour
)

// Options configure a Notifier. Store is required.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// Version goes into User-Agent: Hookboard-Webhook/<version>.
	Version string
	// Allow widens the SSRF guard (-allow-webhook-nets).
	Allow Allowlist
	// Resolver replaces DNS (tests).
	Resolver Resolver
	// DeliveryWait is the longest Deliver waits for its attempts; 0 means
	// the attempts run in the background and Deliver returns at once.
	DeliveryWait time.Duration
	// Concurrency bounds the attempts in flight for requests, tests and
	// redeliveries, and separately the retry worker's attempts (so at most
	// twice this in all), and sizes the idle connection pool. Default 64.
	Concurrency int
	// PollInterval is how often the worker looks for due retries.
	PollInterval time.Duration
	// Retention is how long attempts and finished deliveries are kept.
	Retention time.Duration
	// Now replaces the clock used for schedules and records (tests); the
	// latency and timeouts always use the real clock.
	Now func() time.Time
	// Jitter returns a number in [0, 1) to spread retries (tests fix it).
	Jitter func() float64
}

// Notifier delivers webhooks. It implements handlers.Notifier.
type Notifier struct {
	st      *store.Store
	log     *slog.Logger
	client  *http.Client
	ua      string
	wait    time.Duration
	conc    int
	poll    time.Duration
	keep    time.Duration
	now     func() time.Time
	jitter  func() float64
	sem     chan struct{}
	baseCtx context.Context
	abort   context.CancelFunc
	running sync.WaitGroup // background deliveries and the worker

	logMu   sync.Mutex
	failing map[int64]*endpointLog // by endpoint id; see logOutcome

	mu       sync.Mutex
	stopping bool
	started  bool
	stopWork chan struct{}
}

// New builds a Notifier. Call Start to run the retry worker and Stop to
// finish.
func New(o Options) (*Notifier, error) {
	if o.Store == nil {
		return nil, errors.New("notify: Options.Store is required")
	}
	n := &Notifier{
		st: o.Store, log: o.Logger, wait: o.DeliveryWait, conc: o.Concurrency, poll: o.PollInterval,
		keep: o.Retention, now: o.Now, jitter: o.Jitter, stopWork: make(chan struct{}),
		failing: map[int64]*endpointLog{},
	}
	if n.log == nil {
		n.log = slog.Default()
	}
	if n.conc <= 0 {
		n.conc = DefaultConcurrency
	}
	if n.poll <= 0 {
		n.poll = DefaultPollInterval
	}
	if n.keep <= 0 {
		n.keep = DefaultRetention
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.jitter == nil {
		n.jitter = rand.Float64
	}
	version := o.Version
	if version == "" {
		version = "dev"
	}
	n.ua = "Hookboard-Webhook/" + version
	n.sem = make(chan struct{}, n.conc)
	n.client = newClient(o.Allow, o.Resolver, n.conc)
	n.baseCtx, n.abort = context.WithCancel(context.Background())
	return n, nil
}

// newClient is the webhook HTTP client, in the shape of Gitea's: a stock
// transport whose DialContext is the guarded dialer, so every address is
// checked when it is dialled, after DNS. No proxy from the environment (a
// proxy would dial for us, past the guard), no compression asked for, and
// an idle pool as large as the delivery concurrency so parallel deliveries
// to one receiver reuse their connections instead of reconnecting.
// Redirects are not followed: a 3xx is the answer. Each attempt's timeout
// comes through its request's context.
func newClient(allow Allowlist, resolver Resolver, conc int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            newGuardedDialer(allow, resolver).DialContext,
			ForceAttemptHTTP2:      true,
			DisableCompression:     true,
			MaxIdleConns:           conc * 2,
			MaxIdleConnsPerHost:    conc,
			IdleConnTimeout:        idleConnTimeout,
			TLSHandshakeTimeout:    10 * time.Second,
			ExpectContinueTimeout:  time.Second,
			MaxResponseHeaderBytes: maxAnswerHead,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// maxAnswerHead bounds the status line and headers of a receiver's answer.
const maxAnswerHead = 1 << 20

// idleConnTimeout is how long a kept-alive connection to a receiver is
// kept unused.
const idleConnTimeout = 90 * time.Second

// Deliver attempts the pending deliveries of the given (committed) events:
// concurrently across endpoints, in event order for each endpoint, each
// bounded by its endpoint's timeout. It returns when all have ended or
// the delivery wait has passed; attempts still running finish in the
// background and are recorded the same way.
func (n *Notifier) Deliver(ctx context.Context, eventIDs []string) {
	jobs, err := n.st.PendingDeliveries(ctx, eventIDs)
	if err != nil {
		// The deliveries are committed; the worker takes them after their lease.
		n.log.Error("webhook deliveries not loaded; the retry worker will send them", "err", err)
		return
	}
	if len(jobs) == 0 {
		return
	}
	groups := byEndpoint(jobs)
	if n.wait > 0 && longestGroup(groups) <= n.wait && n.takeSlots(len(groups)) {
		// Every group holds its slot, so the attempts cannot outlast the
		// wait (a wait for a slot could): make them on this goroutine,
		// without a hand-off to another and back.
		defer n.releaseSlots(len(groups))
		n.inline(func(ctx context.Context) { n.run(ctx, groups, store.TriggerSync, false) })
		return
	}
	done, ok := n.background(func(ctx context.Context) { n.run(ctx, groups, store.TriggerSync, true) })
	if !ok || n.wait <= 0 {
		return
	}
	t := time.NewTimer(n.wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// takeSlots takes k of n.sem's slots if they are free now, all or none.
func (n *Notifier) takeSlots(k int) bool {
	for i := range k {
		select {
		case n.sem <- struct{}{}:
		default:
			n.releaseSlots(i)
			return false
		}
	}
	return true
}

func (n *Notifier) releaseSlots(k int) {
	for range k {
		<-n.sem
	}
}

// background runs fn on the notifier's context unless it is stopping.
func (n *Notifier) background(fn func(ctx context.Context)) (<-chan struct{}, bool) {
	if !n.enter() {
		return nil, false
	}
	done := make(chan struct{})
	go func() {
		defer n.running.Done()
		defer close(done)
		fn(n.baseCtx)
	}()
	return done, true
}

// inline runs fn on the notifier's context, on the calling goroutine,
// unless the notifier is stopping; Stop waits for it as for background
// work.
func (n *Notifier) inline(fn func(ctx context.Context)) {
	if !n.enter() {
		return
	}
	defer n.running.Done()
	fn(n.baseCtx)
}

// enter counts a delivery Stop must wait for (the caller calls
// n.running.Done when it ends), unless the notifier is stopping.
func (n *Notifier) enter() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopping {
		return false
	}
	n.running.Add(1)
	return true
}

// longestGroup is the most a group of attempts can take: the sum of its
// endpoint timeouts (a group's attempts are made one after the other).
func longestGroup(groups [][]store.DeliveryJob) time.Duration {
	var longest time.Duration
	for _, g := range groups {
		var sum time.Duration
		for _, j := range g {
			sum += j.Endpoint.Timeout
		}
		longest = max(longest, sum)
	}
	return longest
}

// byEndpoint groups jobs by endpoint, keeping their order within each.
func byEndpoint(jobs []store.DeliveryJob) [][]store.DeliveryJob {
	var groups [][]store.DeliveryJob
	index := map[int64]int{}
	for _, j := range jobs {
		i, ok := index[j.Endpoint.ID]
		if !ok {
			i = len(groups)
			index[j.Endpoint.ID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], j)
	}
	return groups
}

// run attempts the groups concurrently, the jobs of one group one after
// the other, and records each group's outcomes as soon as the group ends:
// a fast receiver's answer is not left unrecorded while a slow one's
// timeout runs, which after a crash would send it again. needSlot: each
// attempt takes one of n.sem's slots (see attempt).
func (n *Notifier) run(ctx context.Context, groups [][]store.DeliveryJob, trigger string, needSlot bool) {
	attempts := func(group []store.DeliveryJob) {
		var recs []store.AttemptRecord
		defer func() { n.record(ctx, recs, trigger) }()
		for i, j := range group {
			rec, ok := n.attempt(ctx, j, trigger, needSlot)
			if !ok {
				// Shutdown, or the lease is spent: the rest of this
				// endpoint's deliveries go to the worker, due now.
				recs = handOver(recs, group[i:], n.now())
				return
			}
			recs = append(recs, rec)
			if trigger == store.TriggerSync && !rec.Success && rec.Attempt.ResponseStatus == 0 {
				// No answer (timed out, unreachable): the next
				// events would most likely cost the caller a
				// timeout each. They go to the worker, due with
				// this one's retry, so a slow endpoint costs one
				// timeout per request. (A first attempt that
				// failed is pending: the schedule has steps left.)
				recs = handOver(recs, group[i+1:], rec.NextAttemptAt)
				return
			}
		}
	}
	// Each group on a goroutine of its own but the last, which this one
	// makes while the others run.
	var wg sync.WaitGroup
	for i, group := range groups {
		if i == len(groups)-1 {
			attempts(group)
			break
		}
		wg.Go(func() { attempts(group) })
	}
	wg.Wait()
}

// handOver adds to recs what hands jobs not attempted to the retry worker,
// due at due: a request's jobs, owed by their event's fanout row, become
// pending deliveries. Other jobs have their delivery row already, pending
// under a lease the worker waits for.
func handOver(recs []store.AttemptRecord, jobs []store.DeliveryJob, due time.Time) []store.AttemptRecord {
	for _, j := range jobs {
		if j.DeliveryID != 0 {
			continue
		}
		recs = append(recs, store.AttemptRecord{EndpointID: j.Endpoint.ID, EventID: j.Event.ID, EventAt: j.Event.CreatedAt,
			NotAttempted: true, Status: store.DeliveryPending, NextAttemptAt: due})
	}
	return recs
}

// record stores outcomes. It runs even when shutdown cancelled ctx, so
// that finished attempts are not attempted again. A request's own attempts
// are queued rather than waited for: the caller is answered as soon as its
// attempts have ended, and the records commit with the store's next batch
// (a crash before that leaves their events' fanout rows, so
// they are sent again: at least once).
func (n *Notifier) record(ctx context.Context, recs []store.AttemptRecord, trigger string) {
	if len(recs) == 0 {
		return
	}
	for _, r := range recs {
		n.logOutcome(r)
	}
	if trigger == store.TriggerSync {
		err := n.st.RecordAttemptsLater(recs, func(err error) {
			if err != nil {
				n.log.Error("recording webhook attempts failed", "count", len(recs), "err", err)
			}
		})
		if err == nil {
			return
		}
		// The store is closing: record them now if it still can.
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := n.st.RecordAttempts(ctx, recs); err != nil {
		// Unrecorded attempts are retried after their lease: at least once.
		n.log.Error("recording webhook attempts failed", "count", len(recs), "err", err)
	}
}

// failureSummaryEvery is how often a failing endpoint's attempts are
// summed up in one log line.
const failureSummaryEvery = time.Minute

// endpointLog is what the log has said of a failing endpoint.
type endpointLog struct {
	lineAt     time.Time // when its last line was written
	attempts   int       // failed attempts since then
	gaveUp     int       // deliveries marked failed since then
	lastErr    string
	lastStatus int
	gone       bool // its 410 Gone was logged
}

// logOutcome logs an endpoint's changes of state, not its attempts: a
// receiver that is down would otherwise write a line per attempt, and the
// attempts are in the delivery log already. The first failure is logged
// with its error, then every failureSummaryEvery a count of the failed
// attempts and the last error, and a success after failures once. The
// recorded error never holds the URL, so no token reaches the log.
func (n *Notifier) logOutcome(r store.AttemptRecord) {
	if r.NotAttempted {
		return
	}
	n.logMu.Lock()
	defer n.logMu.Unlock()
	now := n.now()
	st, failing := n.failing[r.EndpointID]
	if r.Success {
		if failing {
			delete(n.failing, r.EndpointID)
			n.log.Info("webhook endpoint answers again", "endpoint", r.EndpointID, "failed_attempts", st.attempts)
		}
		return
	}
	if !failing {
		st = &endpointLog{lineAt: now}
		n.failing[r.EndpointID] = st
		n.log.Warn("webhook endpoint failing", "endpoint", r.EndpointID, "event", r.EventID, "trigger", r.Attempt.Trigger,
			"status", r.Attempt.ResponseStatus, "error", r.Attempt.Error, "delivery_status", r.Status)
	} else {
		st.attempts++
		st.lastErr, st.lastStatus = r.Attempt.Error, r.Attempt.ResponseStatus
		if r.Status == store.DeliveryFailed {
			st.gaveUp++
		}
	}
	if r.Gone && !st.gone {
		st.gone = true
		n.log.Warn("webhook endpoint disabled: it answered 410 Gone", "endpoint", r.EndpointID)
	}
	if st.attempts > 0 && now.Sub(st.lineAt) >= failureSummaryEvery {
		n.log.Warn("webhook endpoint still failing", "endpoint", r.EndpointID, "failed_attempts", st.attempts,
			"deliveries_given_up", st.gaveUp, "last_status", st.lastStatus, "last_error", st.lastErr,
			"over", now.Sub(st.lineAt).Round(time.Second))
		st.lineAt, st.attempts, st.gaveUp = now, 0, 0
	}
}

// Test sends a webhook.test event (SampleEvent in the envelope formats) to
// one endpoint, enabled or not, records it like any delivery and returns
// the delivery with its attempt. A failed test is not retried.
func (n *Notifier) Test(ctx context.Context, endpointID int64) (store.Delivery, error) {
	return n.SendSample(ctx, endpointID, store.EventWebhookTest)
}

// SendSample sends the catalog's sample of event name (see
// store.SampleEvent) to one endpoint, enabled or not, as the Test button
// does for webhook.test, and returns the delivery with its attempt.
func (n *Notifier) SendSample(ctx context.Context, endpointID int64, name string) (store.Delivery, error) {
	job, err := n.st.CreateSampleDelivery(ctx, store.Actor{}, endpointID, name, lease)
	if err != nil {
		return store.Delivery{}, err
	}
	return n.attemptNow(ctx, job, store.TriggerTest)
}

// Redeliver attempts a delivery again now, whatever its status, with the
// same webhook-id. Success marks it delivered; a failure of a pending
// delivery counts in its retry schedule, and a delivered or failed one
// keeps its status.
func (n *Notifier) Redeliver(ctx context.Context, deliveryID int64) (store.Delivery, error) {
	job, err := n.st.ClaimDelivery(ctx, deliveryID, lease)
	if err != nil {
		return store.Delivery{}, err
	}
	return n.attemptNow(ctx, job, store.TriggerRedeliver)
}

func (n *Notifier) attemptNow(ctx context.Context, job store.DeliveryJob, trigger string) (store.Delivery, error) {
	rec, ok := n.attempt(ctx, job, trigger, true)
	if !ok {
		return store.Delivery{}, fmt.Errorf("notify: delivery %d was not attempted (shutting down, or too busy); the retry worker will send it", job.DeliveryID)
	}
	n.logOutcome(rec)
	if err := n.st.RecordAttempts(context.WithoutCancel(ctx), []store.AttemptRecord{rec}); err != nil {
		return store.Delivery{}, err
	}
	return n.st.Delivery(ctx, job.DeliveryID)
}

// Start runs the retry worker until Stop: every poll interval it writes
// the server's heartbeat (when due), carries out the send requests the CLI
// queued, and claims the due deliveries (among them what a run that is
// gone owed, see store.ClaimDueDeliveries) and attempts them; every hour it
// prunes the log.
func (n *Notifier) Start() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopping || n.started {
		return
	}
	n.started = true
	// The first heartbeat is written before Start returns, so a server
	// that listens is one the CLI can see.
	var lastBeat time.Time
	n.heartbeat(n.baseCtx, &lastBeat)
	n.running.Add(1)
	go func() {
		defer n.running.Done()
		tick := time.NewTicker(n.poll)
		defer tick.Stop()
		var lastPrune time.Time
		defer n.clearHeartbeat()
		for {
			n.heartbeat(n.baseCtx, &lastBeat)
			asked, err := n.SendRequested(n.baseCtx)
			if err != nil && n.baseCtx.Err() == nil {
				n.log.Error("webhook retry worker: send requests", "err", err)
			}
			k, err := n.RunOnce(n.baseCtx)
			if err != nil && n.baseCtx.Err() == nil {
				n.log.Error("webhook retry worker", "err", err)
			}
			// A bulk redelivery queues many send requests: take the
			// next batch at once too.
			k = max(k, asked)
			if now := n.now(); now.Sub(lastPrune) >= pruneEvery {
				lastPrune = now
				n.housekeeping(n.baseCtx)
			}
			if k == n.conc && err == nil {
				// A full batch: there may be a backlog, take the next one now.
				select {
				case <-n.stopWork:
					return
				default:
					continue
				}
			}
			select {
			case <-n.stopWork:
				return
			case <-tick.C:
			}
		}
	}()
}

// RunOnce is one pass of the worker: it claims the due deliveries (up to
// the concurrency), attempts them and records the outcomes. It returns how
// many it attempted.
func (n *Notifier) RunOnce(ctx context.Context) (int, error) {
	jobs, err := n.st.ClaimDueDeliveries(ctx, n.conc, lease)
	if err != nil {
		return 0, err
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	// Retries are independent: each gets its own group.
	groups := make([][]store.DeliveryJob, len(jobs))
	for i := range jobs {
		groups[i] = jobs[i : i+1]
	}
	// Retries take no slot of n.sem: a pass claims at most n.conc, which
	// bounds them already, and a backlog of retries to a receiver that
	// never answers must not hold every slot for its whole timeout while
	// requests wait for their own webhooks.
	n.run(ctx, groups, store.TriggerRetry, false)
	return len(jobs), nil
}

// housekeeping prunes the log and disables endpoints that have failed for
// EndpointFailingLimit even when no new attempt would notice it; and once a
// day it raises the automatic actions' task.cronjob.daily and delivers the
// events of what they changed.
func (n *Notifier) housekeeping(ctx context.Context) {
	n.DailyActions(ctx)
	if _, err := n.Prune(ctx); err != nil && ctx.Err() == nil {
		n.log.Error("pruning the delivery log", "err", err)
	}
	if err := n.st.PruneSendRequests(ctx); err != nil && ctx.Err() == nil {
		n.log.Error("pruning answered send requests", "err", err)
	}
	ids, err := n.st.DisableFailingEndpoints(ctx)
	if err != nil && ctx.Err() == nil {
		n.log.Error("disabling failing endpoints", "err", err)
	}
	for _, id := range ids {
		n.log.Warn("webhook endpoint disabled: every delivery failed for 5 days", "endpoint", id)
	}
}

// dailyActionsEvery is how often the automatic actions' daily job runs;
// the store keeps when it last ran, so restarts and other servers on the
// same database do not run it again sooner.
const dailyActionsEvery = 24 * time.Hour

// DailyActions runs the automatic actions' daily job when it is due and
// delivers the events of their changes.
func (n *Notifier) DailyActions(ctx context.Context) {
	events, ran, err := n.st.RunDailyActions(ctx, dailyActionsEvery)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Error("automatic actions: the daily job", "err", err)
		}
		return
	}
	if ran && len(events) > 0 {
		n.log.Info("automatic actions: the daily job changed tasks", "events", len(events))
		n.Deliver(ctx, events)
	}
}

// Prune removes attempts and finished deliveries older than the retention.
func (n *Notifier) Prune(ctx context.Context) (int64, error) {
	return n.st.PruneDeliveries(ctx, n.now().Add(-n.keep))
}

// Stop stops the worker and waits for running deliveries until ctx ends;
// then it aborts what is left (those attempts are not recorded, so the
// worker of the next start retries them after their lease).
func (n *Notifier) Stop(ctx context.Context) error {
	n.mu.Lock()
	if !n.stopping {
		n.stopping = true
		close(n.stopWork)
	}
	n.mu.Unlock()
	done := make(chan struct{})
	go func() {
		n.running.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("notify: deliveries still running at shutdown were aborted: %w", ctx.Err())
		n.abort()
		<-done
	}
	n.abort()
	n.client.CloseIdleConnections()
	return err
}
