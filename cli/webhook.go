package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hookboard/notify"
	"hookboard/store"
)

const webhookUsage = "webhook add -url URL [-name N] [-events a,b|all] [-projects 1,2|all] [-format kanboard|envelope|transit] [-timeout 1s] [-allow-webhook-nets NETS]" +
	" | list | test ID | rm ID | enable ID | disable ID | rotate-secret ID [-grace 24h] | rotate-token ID [-grace 24h]"

func runWebhook(ctx context.Context, env *Env, args []string) error {
	sub, args, err := subcommand("webhook", webhookUsage, []string{"add", "list", "test", "rm", "enable", "disable", "rotate-secret", "rotate-token"}, args)
	if err != nil {
		return err
	}
	fs := newFlagSet(env, "webhook "+sub, webhookUsage)
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	rawURL := fs.FlagSet.String("url", "", "where to POST the events (http:// or https://)")
	name := fs.FlagSet.String("name", "", "a name for the endpoint (default: the URL's host)")
	events := fs.FlagSet.String("events", "all", "events to send: all, or a comma list such as task.create,comment.create")
	projects := fs.FlagSet.String("projects", "all", "projects whose events are sent: all, or a comma list of ids")
	format := fs.FlagSet.String("format", store.FormatKanboard, "payload format: kanboard, envelope or transit")
	timeout := fs.FlagSet.Duration("timeout", store.DefaultEndpointTimeout, "how long to wait for the receiver (at most 10s)")
	grace := fs.FlagSet.String("grace", "24h", "how long the old token or secret stays in use after a rotation (a duration, or now)")
	wait := waitFlag(fs)
	allowNets := fs.String("allow-webhook-nets", "", "add: networks the endpoint's address may be in, as serve's flag: loopback, private, CIDRs, or all")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if sub != "add" && fs.given()["allow-webhook-nets"] {
		// The running server sends every webhook with its own setting.
		return usagef("-allow-webhook-nets is for webhook add; the running server sends %s with its own -allow-webhook-nets", sub)
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()

	if sub == "add" || sub == "list" {
		if len(pos) != 0 {
			return usagef("usage: hookboard %s", webhookUsage)
		}
	} else if len(pos) != 1 {
		return usagef("usage: hookboard webhook %s ID", sub)
	}
	var id int64
	if len(pos) == 1 {
		if id, err = parseID("endpoint", pos[0]); err != nil {
			return err
		}
	}

	switch sub {
	case "add":
		if *rawURL == "" {
			return usagef("webhook add needs -url")
		}
		allow, err := notify.ParseAllowlist(*allowNets)
		if err != nil {
			return usagef("%v", err)
		}
		if err := allow.CheckURL(*rawURL); err != nil {
			return err
		}
		projectIDs, err := store.ParseProjectFilter(*projects)
		if err != nil {
			return err
		}
		ep, sec, err := st.CreateEndpoint(ctx, store.NewEndpoint{
			Name: *name, URL: *rawURL, Events: store.ParseEventFilter(*events), Projects: projectIDs,
			Format: *format, Timeout: *timeout,
		})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.Stdout, map[string]any{"id": ep.ID, "token": sec.Token, "secret": sec.Secret})
		}
		fmt.Fprintf(env.Stdout, "webhook %d (%s, %s) sends %s to %s\n", ep.ID, ep.Name, ep.Format, filterText(*events), ep.URL)
		fmt.Fprintln(env.Stdout, "endpoint token (sent as ?token= and X-Webhook-Token):")
		fmt.Fprintln(env.Stdout, sec.Token)
		fmt.Fprintln(env.Stdout, "signing secret (verify webhook-signature with it):")
		fmt.Fprintln(env.Stdout, sec.Secret)
		return nil
	case "list":
		list, err := st.Endpoints(ctx)
		if err != nil {
			return err
		}
		return printList(env, *asJSON, listText{"ID\tNAME\tURL\tFORMAT\tEVENTS\tPROJECTS\tTIMEOUT\tSTATE", "no webhooks"}, list, endpointJSON, func(ep store.Endpoint) string {
			return fmt.Sprintf("%d\t%s\t%s\t%s\tevents=%s\tprojects=%s\ttimeout=%s\t%s", ep.ID, ep.Name, ep.URL, ep.Format,
				joinOrAll(ep.Events), joinIDsOrAll(ep.Projects), ep.Timeout, endpointState(ep))
		})
	case "test":
		d, err := sendThroughServer(ctx, st, *db, store.TriggerTest, id, *wait)
		if err != nil {
			return err
		}
		return printDeliveryOutcome(env, *asJSON, d)
	case "rm":
		err = st.DeleteEndpoint(ctx, id)
	case "enable", "disable":
		err = st.SetEndpointEnabled(ctx, id, sub == "enable")
	case "rotate-secret", "rotate-token":
		g, err := parseGrace(*grace)
		if err != nil {
			return err
		}
		var value string
		if sub == "rotate-secret" {
			value, err = st.RotateEndpointSecret(ctx, id, g)
		} else {
			value, err = st.RotateEndpointToken(ctx, id, g)
		}
		if err != nil {
			return err
		}
		key := map[string]string{"rotate-secret": "secret", "rotate-token": "token"}[sub]
		if *asJSON {
			return printJSON(env.Stdout, map[string]any{"id": id, key: value, "grace_seconds": int64(g / time.Second)})
		}
		if key == "secret" {
			fmt.Fprintf(env.Stdout, "webhook %d: new signing secret; the old one also signs for %s.\n", id, g)
		} else {
			fmt.Fprintf(env.Stdout, "webhook %d: new endpoint token; the old one is still sent for %s, then this one.\n", id, g)
		}
		fmt.Fprintln(env.Stdout, value)
		return nil
	default:
		return usagef("unknown webhook subcommand %q", sub)
	}
	if err != nil {
		return err
	}
	return printDone(env, *asJSON, "webhook", id, sub)
}

const deliveriesUsage = "deliveries [-endpoint ID] [-event NAME] [-status delivered|failed|pending|retrying|undelivered] [-failed]" +
	" [-http 2xx|3xx|4xx|5xx|none] [-since 24h|TIME] [-until TIME] [-webhook-id ID] [-task ID] [-before ID|-after ID] [-limit N]"

// runDeliveries lists the delivery log, filtered, a page at a time.
func runDeliveries(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "deliveries", deliveriesUsage)
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	var f store.DeliveryFilter
	fs.FlagSet.Int64Var(&f.EndpointID, "endpoint", 0, "only this endpoint's deliveries")
	fs.FlagSet.StringVar(&f.Event, "event", "", "only deliveries of this event, such as task.create")
	fs.FlagSet.StringVar(&f.Status, "status", "", "only deliveries in this state: delivered, failed, pending, retrying, or undelivered (failed or retrying)")
	failed := fs.FlagSet.Bool("failed", false, "only deliveries that failed (given up, or waiting for a retry): -status undelivered")
	httpClass := fs.FlagSet.String("http", "", "only deliveries whose last answer is of this class: 2xx, 3xx, 4xx, 5xx, or none")
	since := fs.FlagSet.String("since", "", "only deliveries created since: a time back from now (24h, 7d) or a UTC time (2030-01-15 09:30, RFC 3339)")
	until := fs.FlagSet.String("until", "", "only deliveries created before: as -since")
	fs.FlagSet.StringVar(&f.WebhookID, "webhook-id", "", "only the deliveries of this event id (the webhook-id header)")
	fs.FlagSet.Int64Var(&f.TaskID, "task", 0, "only the deliveries of this task's events")
	fs.FlagSet.Int64Var(&f.Before, "before", 0, "the page older than this delivery id (the 'older' line of the last page)")
	fs.FlagSet.Int64Var(&f.After, "after", 0, "the page newer than this delivery id")
	fs.FlagSet.IntVar(&f.Limit, "limit", 50, "how many, newest first")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("usage: hookboard %s", deliveriesUsage)
	}
	if f.Limit <= 0 || f.Limit > store.MaxDeliveryPage {
		return usagef("-limit must be between 1 and %d", store.MaxDeliveryPage)
	}
	if *failed {
		if f.Status != "" && f.Status != store.FilterUndelivered {
			return usagef("-failed is -status undelivered; give one of them")
		}
		f.Status = store.FilterUndelivered
	}
	if f.HTTPClass, err = store.ParseHTTPClass(*httpClass); err != nil {
		return usagef("-http: %v", err)
	}
	now := time.Now()
	if f.Since, err = store.ParseTimeBound(*since, now); err != nil {
		return usagef("-since: %v", err)
	}
	if f.Until, err = store.ParseTimeBound(*until, now); err != nil {
		return usagef("-until: %v", err)
	}
	if err := f.Check(); err != nil {
		return usagef("%v", err)
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	page, err := st.DeliveryLog(ctx, f)
	if err != nil {
		return err
	}
	err = printList(env, *asJSON, listText{"ID\tCREATED\tEVENT\tENDPOINT\tSTATUS\tATTEMPTS\tDETAIL", "no deliveries"}, page.Deliveries, deliveryJSON, func(d store.Delivery) string {
		return fmt.Sprintf("%d\t%s\t%s\tendpoint %d (%s)\t%s\tattempts=%d\t%s", d.ID, d.CreatedAt.Format(time.RFC3339),
			d.EventName, d.EndpointID, d.EndpointName, d.Status, d.AttemptCount, deliveryDetail(d))
	})
	// The way to the next pages goes to standard error, so the list on
	// standard output stays a list.
	if page.Older != 0 {
		fmt.Fprintf(env.Stderr, "older: -before %d\n", page.Older)
	}
	if page.Newer != 0 {
		fmt.Fprintf(env.Stderr, "newer: -after %d\n", page.Newer)
	}
	return err
}

const redeliverUsage = "redeliver DELIVERY_ID [-wait 30s] | redeliver DELIVERY_ID DELIVERY_ID … | redeliver -endpoint ID [-since 24h]"

// runRedeliver asks the running server to attempt one delivery again now
// and waits for the answer; given several, or an endpoint, it queues them
// all for the server's retry worker and says how many.
func runRedeliver(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "redeliver", redeliverUsage)
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	wait := waitFlag(fs)
	endpoint := fs.FlagSet.Int64("endpoint", 0, "queue every undelivered delivery of this endpoint (failed, or waiting for a retry)")
	since := fs.FlagSet.String("since", "", "with -endpoint: only deliveries created since (24h, 7d, or a UTC time)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if (len(pos) == 0) == (*endpoint == 0) {
		return usagef("usage: hookboard %s", redeliverUsage)
	}
	if *since != "" && *endpoint == 0 {
		return usagef("-since goes with -endpoint")
	}
	var sel store.RedeliverySelection
	for _, p := range pos {
		id, err := parseID("delivery", p)
		if err != nil {
			return err
		}
		sel.DeliveryIDs = append(sel.DeliveryIDs, id)
	}
	sel.EndpointID = *endpoint
	if sel.Since, err = store.ParseTimeBound(*since, time.Now()); err != nil {
		return usagef("-since: %v", err)
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(sel.DeliveryIDs) == 1 {
		d, err := sendThroughServer(ctx, st, *db, store.TriggerRedeliver, sel.DeliveryIDs[0], *wait)
		if err != nil {
			return err
		}
		return printDeliveryOutcome(env, *asJSON, d)
	}
	if err := requireServer(ctx, st, *db); err != nil {
		return err
	}
	n, err := st.RequestRedeliveries(ctx, sel)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, map[string]any{"queued": n})
	}
	fmt.Fprintf(env.Stdout, "%d redeliveries queued; the server's retry worker sends them now (see `hookboard deliveries`)\n", n)
	return nil
}

// waitFlag adds -wait, how long test and redeliver wait for the server.
func waitFlag(fs *flagSet) *time.Duration {
	return fs.FlagSet.Duration("wait", 30*time.Second, "test, redeliver: how long to wait for the running server's answer")
}

// sendThroughServer asks the server running on the database to send a
// test (id is an endpoint) or a redelivery (id is a delivery), and waits
// for its answer. Webhooks leave from the server only, with its network
// settings; with no server running nothing is written.
func sendThroughServer(ctx context.Context, st *store.Store, db, trigger string, id int64, wait time.Duration) (store.Delivery, error) {
	if err := requireServer(ctx, st, db); err != nil {
		return store.Delivery{}, err
	}
	reqID, err := st.RequestSend(ctx, trigger, id)
	if err != nil {
		return store.Delivery{}, err
	}
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := st.SendRequestByID(ctx, reqID)
		if err != nil {
			return store.Delivery{}, err
		}
		if r.Done {
			if r.Error != "" {
				return store.Delivery{}, errors.New(r.Error)
			}
			return st.Delivery(ctx, r.DeliveryID)
		}
		expired := time.Now().After(deadline)
		if !expired {
			select {
			case <-tick.C:
				continue
			case <-ctx.Done():
			}
		}
		// Withdrawn unless taken, so it is not sent long after the
		// caller gave up.
		if cancelled, err := st.CancelSendRequest(context.WithoutCancel(ctx), reqID); err != nil {
			return store.Delivery{}, err
		} else if cancelled {
			return store.Delivery{}, fmt.Errorf("the server on %s did not take the request within %s; nothing was sent", db, wait)
		}
		return store.Delivery{}, fmt.Errorf("the server took the request but did not answer within %s; see `hookboard deliveries`", wait)
	}
}

// requireServer refuses, writing nothing, when no server runs on the
// database to send what the CLI would queue.
func requireServer(ctx context.Context, st *store.Store, db string) error {
	running, err := st.ServerRunning(ctx)
	if err != nil {
		return err
	}
	if !running {
		return fmt.Errorf("no Hookboard server is running on %s; start `hookboard serve -db %s`: "+
			"webhooks are sent by the server, with its network settings", db, db)
	}
	return nil
}

// errNotDelivered makes test and redeliver exit non-zero when the receiver
// did not accept the request, so scripts can tell.
var errNotDelivered = errors.New("the receiver did not accept the request")

// printDeliveryOutcome prints the attempt just made, then the delivery's
// status, which an attempt that failed may leave "delivered" (an earlier
// one succeeded).
func printDeliveryOutcome(env *Env, asJSON bool, d store.Delivery) error {
	last := store.Attempt{}
	if len(d.Attempts) > 0 {
		last = d.Attempts[len(d.Attempts)-1]
	}
	ok := last.Error == "" && last.ResponseStatus >= 200 && last.ResponseStatus < 300
	if asJSON {
		out := deliveryJSON(d)
		out["last_attempt"] = map[string]any{
			"trigger": last.Trigger, "ok": ok, "response_status": last.ResponseStatus, "latency_ms": last.Latency.Milliseconds(),
			"error": last.Error, "response_body": string(last.ResponseBody),
		}
		if err := printJSON(env.Stdout, out); err != nil {
			return err
		}
	} else {
		verdict := "accepted"
		if !ok {
			verdict = "failed"
		}
		var detail []string
		if last.ResponseStatus != 0 {
			detail = append(detail, fmt.Sprintf("HTTP %d in %s", last.ResponseStatus, last.Latency))
		}
		if e := store.AnswerError(last.ResponseStatus, last.Error); e != "" {
			detail = append(detail, e)
		}
		fmt.Fprintf(env.Stdout, "delivery %d (%s to endpoint %d, webhook-id %s): %s attempt %s: %s\n",
			d.ID, d.EventName, d.EndpointID, d.EventID, last.Trigger, verdict, strings.Join(detail, "; "))
		status := d.Status
		if !ok && d.Status == store.DeliveryDelivered {
			status += " (by an earlier attempt)"
		}
		fmt.Fprintf(env.Stdout, "  delivery status: %s\n", status)
	}
	if !ok {
		return errNotDelivered
	}
	return nil
}

func parseGrace(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "now" || s == "0" {
		return 0, nil
	}
	if d, ok := parseDuration(s); ok {
		return d, nil
	}
	return 0, usagef("-grace %q is not a duration such as 24h, 7d or now", s)
}

func filterText(events string) string {
	if events == "" || events == "all" {
		return "all events"
	}
	return events
}

func joinOrAll(list []string) string {
	if len(list) == 0 {
		return "all"
	}
	return strings.Join(list, ",")
}

func joinIDsOrAll(ids []int64) string {
	if len(ids) == 0 {
		return "all"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func endpointState(ep store.Endpoint) string {
	var parts []string
	switch {
	case !ep.Enabled && ep.DisabledReason != "":
		parts = append(parts, "disabled ("+ep.DisabledReason+")")
	case !ep.Enabled:
		parts = append(parts, "disabled")
	default:
		parts = append(parts, "enabled")
	}
	if !ep.FailingSince.IsZero() {
		parts = append(parts, "failing since "+ep.FailingSince.Format(time.RFC3339))
	}
	if ep.LastStatus != 0 {
		parts = append(parts, fmt.Sprintf("last HTTP %d", ep.LastStatus))
	} else if ep.LastError != "" {
		parts = append(parts, "last error: "+ep.LastError)
	}
	return strings.Join(parts, ", ")
}

func endpointJSON(ep store.Endpoint) map[string]any {
	events := any("all")
	if len(ep.Events) > 0 {
		events = ep.Events
	}
	projects := any("all")
	if len(ep.Projects) > 0 {
		projects = ep.Projects
	}
	return map[string]any{
		"id": ep.ID, "name": ep.Name, "url": ep.URL, "enabled": ep.Enabled, "events": events, "projects": projects,
		"format": ep.Format, "timeout_ms": ep.Timeout.Milliseconds(), "failing_since": zeroTimeNull(ep.FailingSince),
		"disabled_reason": ep.DisabledReason, "last_status": ep.LastStatus, "last_error": ep.LastError,
		"last_attempt_at": zeroTimeNull(ep.LastAttemptAt), "pending": ep.PendingCount, "failed_24h": ep.FailedCount24h,
	}
}

func deliveryJSON(d store.Delivery) map[string]any {
	return map[string]any{
		"id": d.ID, "event_id": d.EventID, "event": d.EventName, "endpoint_id": d.EndpointID, "endpoint": d.EndpointName,
		"status": d.Status, "attempts": d.AttemptCount, "last_status": d.LastStatus, "last_error": d.LastError,
		"next_attempt_at": zeroTimeNull(d.NextAttemptAt), "created_at": d.CreatedAt.Format(time.RFC3339Nano),
		"finished_at": zeroTimeNull(d.FinishedAt),
	}
}

func deliveryDetail(d store.Delivery) string {
	var parts []string
	if d.LastStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", d.LastStatus))
	}
	if e := store.AnswerError(d.LastStatus, d.LastError); e != "" {
		parts = append(parts, e)
	}
	if !d.NextAttemptAt.IsZero() {
		parts = append(parts, "next attempt "+d.NextAttemptAt.Format(time.RFC3339))
	}
	return strings.Join(parts, "; ")
}

func zeroTimeNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
