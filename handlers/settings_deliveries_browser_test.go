package handlers

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hookboard/notify"
	"hookboard/store"
)

// withRunningNotifier runs the real notifier with its retry worker, which
// carries out queued redeliveries, allowed to reach loopback receivers.
func withRunningNotifier(t *testing.T) pageEnvOption {
	return func(d *Deps) {
		allow, err := notify.ParseAllowlist("loopback")
		if err != nil {
			t.Fatal(err)
		}
		n, err := notify.New(notify.Options{Store: d.Store, Now: d.Now, Logger: d.Logger, Version: "test", Allow: allow,
			DeliveryWait: 5 * time.Second, PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		n.Start()
		t.Cleanup(func() { n.Stop(context.Background()) })
		d.Notifier = n
	}
}

// frozenLogClock is a fixed time for tests whose retries must not come due
// by themselves; screenshot runs use their own.
func frozenLogClock(t *testing.T, hour int) envSettings {
	if takingScreenshots() {
		return screenshotSettings(t, hour)
	}
	at := time.Date(2030, time.March, 1, 12, 30, 0, 0, time.UTC)
	return envSettings{now: func() time.Time { return at }}
}

// rowIDs are the delivery ids the log page lists.
func rowIDs(t *testing.T, ctx context.Context) []string {
	return eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="delivery-row"]')].map(r => r.dataset.id)`)
}

func TestBrowserDeliveryLogFilterPageBulkRedeliverAndCharts(t *testing.T) {
	e := newPageEnvWith(t, frozenLogClock(t, 4), withRunningNotifier(t))
	bg := context.Background()
	good := newReceiverAt(t, receiverAddr(3), e.app.now, http.StatusOK, "ok")
	bad := newReceiverAt(t, receiverAddr(4), e.app.now, http.StatusServiceUnavailable, "down for maintenance")
	chat, _, err := e.st.CreateEndpoint(bg, store.NewEndpoint{Name: "Team chat", URL: good.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	crm, _, err := e.st.CreateEndpoint(bg, store.NewEndpoint{Name: "Legacy CRM", URL: bad.URL + "/kanboard", Events: []string{store.EventTaskCreate}})
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := e.st.UserByName(bg, "admin")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	for i := range 7 {
		_, events, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: fmt.Sprintf("Invoice %d", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		e.app.deliver(bg, events)
	}
	if n := len(bad.received()); n != 7 {
		t.Fatalf("the failing receiver got %d requests, want 7", n)
	}
	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "admin", adminPassword)

	// Filter: the CRM's deliveries waiting for a retry, with a 5xx.
	step(t, ctx, "open the log from the webhooks page", chromedp.Navigate(e.srv.URL+"/settings/webhooks"),
		chromedp.Click("", css(`[data-testid="open-log"]`)), chromedp.WaitVisible("", css(`[data-testid="log-filters"]`)))
	if n := len(rowIDs(t, ctx)); n != 14 {
		t.Fatalf("the unfiltered log lists %d deliveries, want 14", n)
	}
	step(t, ctx, "filter",
		chromedp.SetValue("", fmt.Sprint(crm.ID), css(`[data-testid="filter-endpoint"]`)),
		chromedp.SetValue("", store.FilterRetrying, css(`[data-testid="filter-status"]`)),
		chromedp.SetValue("", "5xx", css(`[data-testid="filter-http"]`)),
		chromedp.SendKeys("", "24h", css(`[data-testid="filter-since"]`)),
		chromedp.Click("", css(`[data-testid="apply-filters"]`)),
	)
	waitFor(t, ctx, "the filtered log", `location.search.includes('status=retrying') && document.readyState === 'complete'`)
	all := rowIDs(t, ctx)
	if len(all) != 7 {
		t.Fatalf("filtered log lists %v, want the CRM's 7", all)
	}
	statuses := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="row-status"]')].map(s => s.textContent)`)
	https := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="row-http"]')].map(s => s.textContent.trim())`)
	for i := range statuses {
		if statuses[i] != "retrying" || https[i] != "503" {
			t.Fatalf("row %d: %s %s", i, statuses[i], https[i])
		}
	}
	screenshot(t, ctx, "delivery-log")

	// Page through three at a time, with the filters kept.
	step(t, ctx, "three a page", chromedp.Navigate(e.srv.URL+"/settings/deliveries?"+strings.TrimPrefix(eval[string](t, ctx, `location.search`), "?")+"&limit=3"))
	waitFor(t, ctx, "the first page", `document.querySelectorAll('[data-testid="delivery-row"]').length === 3`)
	if got := rowIDs(t, ctx); !slices.Equal(got, all[:3]) || eval[bool](t, ctx, `document.querySelector('[data-testid="page-newer"]') !== null`) {
		t.Fatalf("first page %v, want %v and no newer page", got, all[:3])
	}
	step(t, ctx, "older", chromedp.Click("", css(`[data-testid="page-older"]`)))
	waitFor(t, ctx, "the second page", `location.search.includes('before=') && document.readyState === 'complete'`)
	if got := rowIDs(t, ctx); !slices.Equal(got, all[3:6]) {
		t.Fatalf("second page %v, want %v", got, all[3:6])
	}
	step(t, ctx, "older again", chromedp.Click("", css(`[data-testid="page-older"]`)))
	waitFor(t, ctx, "the last page", fmt.Sprintf(`location.search.includes('before=%s') && document.readyState === 'complete'`, all[5]))
	if got := rowIDs(t, ctx); !slices.Equal(got, all[6:]) || eval[bool](t, ctx, `document.querySelector('[data-testid="page-older"]') !== null`) {
		t.Fatalf("last page %v, want %v and no older page", got, all[6:])
	}
	step(t, ctx, "newer", chromedp.Click("", css(`[data-testid="page-newer"]`)))
	waitFor(t, ctx, "the middle page again", `location.search.includes('after=') && document.readyState === 'complete'`)
	if got := rowIDs(t, ctx); !slices.Equal(got, all[3:6]) {
		t.Fatalf("back to the middle: %v, want %v", got, all[3:6])
	}

	// The receiver is back: redeliver two chosen ones, then every other.
	bad.status.Store(http.StatusOK)
	step(t, ctx, "choose two and redeliver",
		chromedp.Click("", css(fmt.Sprintf(`#choose-%s`, all[3]))),
		chromedp.Click("", css(fmt.Sprintf(`#choose-%s`, all[5]))),
		chromedp.Click("", css(`[data-testid="redeliver-chosen"]`)),
	)
	waitFor(t, ctx, "the count", `document.querySelector('[data-testid="flash"]') !== null`)
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="flash"]').textContent`); got != "2 redeliveries queued; the retry worker sends them now." {
		t.Fatalf("flash %q", got)
	}
	delivered := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			p, err := e.st.DeliveryLog(bg, store.DeliveryFilter{EndpointID: crm.ID, Status: store.DeliveryDelivered})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Deliveries) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of the CRM's deliveries delivered, want %d", len(p.Deliveries), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	delivered(2)
	step(t, ctx, "redeliver every undelivered one of the CRM",
		chromedp.SetValue("", fmt.Sprint(crm.ID), css(`[data-testid="bulk-endpoint"]`)),
		chromedp.SetValue("", "24h", css(`[data-testid="bulk-since"]`)),
		chromedp.Click("", css(`[data-testid="redeliver-since"]`)),
	)
	waitFor(t, ctx, "the count of the second redelivery", `document.querySelector('[data-testid="flash"]')?.textContent === "5 redeliveries queued; the retry worker sends them now."`)
	delivered(7)
	// Each reached the receiver again with its own webhook-id.
	seen := map[string]int{}
	for _, r := range bad.received() {
		seen[r.header.Get("Webhook-Id")]++
	}
	if len(seen) != 7 {
		t.Fatalf("the receiver saw %d webhook-ids, want 7", len(seen))
	}
	for id, n := range seen {
		if n != 2 {
			t.Errorf("webhook-id %s came %d times, want 2 (the first attempt and the redelivery)", id, n)
		}
	}

	// The endpoint's health: 14 attempts this hour, half answered 2xx.
	step(t, ctx, "open the CRM endpoint", chromedp.Navigate(fmt.Sprintf("%s/settings/webhooks/%d", e.srv.URL, crm.ID)),
		chromedp.WaitVisible("", css(`[data-testid="health-charts"]`)))
	for _, id := range []string{"rate-24h", "latency-24h", "rate-7d", "latency-7d"} {
		n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="`+id+`"] [data-testid="chart-slot"]').length`)
		if want := map[bool]int{true: 24, false: 7}[strings.HasSuffix(id, "24h")]; n != want {
			t.Fatalf("%s has %d slots, want %d", id, n, want)
		}
	}
	rate := `[data-testid="rate-24h"] [data-testid="chart-slot"]:last-of-type`
	if got := eval[string](t, ctx, `document.querySelector('`+rate+`').getAttribute('aria-label')`); !strings.HasSuffix(got, ": 50 % answered 2xx (7 of 14 attempts)") {
		t.Fatalf("this hour's success rate says %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="rate-24h"] [data-testid="chart-summary"]').textContent`); got != "50 % of 14 attempts answered 2xx in the last 24 hours." {
		t.Fatalf("summary %q", got)
	}
	lat := eval[string](t, ctx, `document.querySelector('[data-testid="latency-24h"] [data-testid="chart-slot"]:last-of-type').getAttribute('aria-label')`)
	if !regexp.MustCompile(`: p50 \d+ ms, p95 \d+ ms \(14 attempts\)$`).MatchString(lat) {
		t.Fatalf("this hour's latency says %q", lat)
	}
	// The numbers show on keyboard focus, not only on hover.
	if eval[string](t, ctx, `getComputedStyle(document.querySelector('`+rate+` .readout')).display`) != "none" {
		t.Fatal("the readout shows before focus")
	}
	step(t, ctx, "focus this hour's bar", chromedp.Focus("", css(rate)))
	if eval[string](t, ctx, `getComputedStyle(document.querySelector('`+rate+` .readout')).display`) == "none" {
		t.Fatal("the focused bar's numbers are hidden")
	}
	eval[bool](t, ctx, `(document.activeElement.blur(), true)`)
	screenshot(t, ctx, "endpoint-health")

	// The list shows each endpoint's last 24 hours.
	step(t, ctx, "open the list", chromedp.Navigate(e.srv.URL+"/settings/webhooks"), chromedp.WaitVisible("", css(`[data-testid="endpoints"]`)))
	sparks := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="health-sparkline"]')].map(s => s.getAttribute('aria-label'))`)
	want := []string{
		"Success rate by hour, last 24 hours: 100 % of 7 attempts answered 2xx",
		"Success rate by hour, last 24 hours: 50 % of 14 attempts answered 2xx",
	}
	if !slices.Equal(sparks, want) {
		t.Fatalf("sparklines %q, want %q", sparks, want)
	}
	_ = chat
}

func TestBrowserEventCatalogSendsSamplesAndRawBodies(t *testing.T) {
	e := newPageEnvWith(t, frozenLogClock(t, 5), withNotifier(t))
	bg := context.Background()
	// An answer that is JSON but not as json.Indent writes it.
	rc := newReceiverAt(t, receiverAddr(5), e.app.now, http.StatusOK, `{"ok":true,  "seen":[1,2]}`)
	ep, _, err := e.st.CreateEndpoint(bg, store.NewEndpoint{Name: "Team chat", URL: rc.URL + "/hook", Events: []string{store.EventTaskCreate}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "admin", adminPassword)
	step(t, ctx, "open the catalog", chromedp.Navigate(e.srv.URL+"/settings/webhooks"),
		chromedp.Click("", css(`[data-testid="open-catalog"]`)), chromedp.WaitVisible("", css(`[data-testid="catalog-event"]`)))
	listed := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="catalog-event"]')].map(s => s.dataset.event)`)
	if !slices.Equal(listed, append(slices.Clone(store.EventNames), store.EventWebhookTest)) {
		t.Fatalf("catalog lists %v", listed)
	}
	sample := func(event, format string) string {
		return eval[string](t, ctx, fmt.Sprintf(`document.querySelector('[data-event=%q] [data-testid="sample-body"][data-format=%q]').textContent`, event, format))
	}
	if kb := sample(store.EventCommentCreate, "Kanboard"); !strings.Contains(kb, `"event_name": "comment.create"`) || !strings.Contains(kb, `"comment": "Looks good to me."`) {
		t.Fatalf("comment.create in the Kanboard format: %s", kb)
	}
	if env := sample(store.EventCommentCreate, "Envelope"); !strings.Contains(env, `"typename": "Comment"`) {
		t.Fatalf("comment.create in the envelope format: %s", env)
	}
	if tr := sample(store.EventTaskCreate, "Transit JSON"); !regexp.MustCompile(`"~:event",\s*"task.create"`).MatchString(tr) {
		t.Fatalf("task.create in Transit: %s", tr)
	}

	// Send the comment.create sample to the endpoint (whatever its filter).
	step(t, ctx, "send a sample", chromedp.Click("", css(fmt.Sprintf(`[data-event="comment.create"] [data-testid="send-sample"][data-endpoint="%d"]`, ep.ID))),
		chromedp.WaitVisible("", css(`[data-testid="response-status"]`)))
	got := rc.received()
	if len(got) != 1 || got[0].header.Get("X-Hookboard-Event") != store.EventCommentCreate || !strings.Contains(got[0].body, `"comment":"Looks good to me."`) {
		t.Fatalf("receiver got %+v", got)
	}
	if flash := eval[string](t, ctx, `document.querySelector('[data-testid="flash"]').textContent`); flash != "Sample comment.create delivered." {
		t.Fatalf("flash %q", flash)
	}
	// The answer as received, and indented on demand.
	if raw := eval[string](t, ctx, `document.querySelector('[data-testid="response-body"]').textContent`); raw != `{"ok":true,  "seen":[1,2]}` {
		t.Fatalf("response body shown as %q", raw)
	}
	if pretty := eval[string](t, ctx, `document.querySelector('[data-testid="response-body-pretty"]').textContent`); pretty != "{\n  \"ok\": true,\n  \"seen\": [\n    1,\n    2\n  ]\n}" {
		t.Fatalf("pretty response body %q", pretty)
	}
	if req := eval[string](t, ctx, `document.querySelector('[data-testid="request-body"]').textContent`); req != got[0].body {
		t.Fatalf("request body on the page %q, sent %q", req, got[0].body)
	}
	// The endpoint page's test button sends any sample too.
	step(t, ctx, "send a sample from the endpoint page", chromedp.Navigate(fmt.Sprintf("%s/settings/webhooks/%d", e.srv.URL, ep.ID)),
		chromedp.SetValue("", store.EventTaskMoveColumn, css(`[data-testid="test-event"]`)),
		chromedp.Click("", css(`[data-testid="test-endpoint"]`)),
		chromedp.WaitVisible("", css(`[data-testid="response-status"]`)))
	if got := rc.received(); len(got) != 2 || got[1].header.Get("X-Hookboard-Event") != store.EventTaskMoveColumn || !strings.Contains(got[1].body, `"src_column_id":1`) {
		t.Fatalf("receiver got %+v", got)
	}
}
