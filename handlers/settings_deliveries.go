package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hookboard/store"
	"hookboard/views"
)

// deliveryLogPage is the delivery log: filters from the query string, a
// page at a time (keyset: ?before= and ?after= are delivery ids).
func (a *App) deliveryLogPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := a.readLogFilter(q)
	v, verr := a.deliveryLogView(r, q, f)
	if verr != nil {
		a.serverError(w, r, verr)
		return
	}
	status := http.StatusOK
	if err == nil {
		var page store.DeliveryLogPage
		page, err = a.store.DeliveryLog(r.Context(), f)
		if err == nil {
			for _, d := range page.Deliveries {
				v.Deliveries = append(v.Deliveries, deliveryRow(d))
			}
			if page.Newer != 0 {
				v.NewerURL = logURL(q, "after", page.Newer)
			}
			if page.Older != 0 {
				v.OlderURL = logURL(q, "before", page.Older)
			}
		}
	}
	if err != nil {
		st, msg := a.storeFailure(err)
		if st == 0 {
			a.serverError(w, r, err)
			return
		}
		v.Error, status = msg, http.StatusBadRequest
	}
	a.render(w, r, status, views.DeliveryLogView(v))
}

// logURL is the log with the same filters, paged from id.
func logURL(q url.Values, cursor string, id int64) string {
	next := url.Values{}
	for k, vs := range q {
		if k != "before" && k != "after" && len(vs) > 0 && vs[0] != "" {
			next.Set(k, vs[0])
		}
	}
	next.Set(cursor, strconv.FormatInt(id, 10))
	return "/settings/deliveries?" + next.Encode()
}

// maxLogPage bounds a page of the log in the browser.
const maxLogPage = 500

// readLogFilter reads the log's filters from a query string.
func (a *App) readLogFilter(q url.Values) (store.DeliveryFilter, error) {
	var f store.DeliveryFilter
	var err error
	ids := map[string]*int64{"endpoint": &f.EndpointID, "before": &f.Before, "after": &f.After}
	for name, dst := range ids {
		if v := strings.TrimSpace(q.Get(name)); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst < 0 {
				return f, &store.InvalidError{Reason: fmt.Sprintf("%s %q is not an id", name, v)}
			}
		}
	}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLogPage {
			return f, &store.InvalidError{Reason: fmt.Sprintf("limit must be 1 to %d", maxLogPage)}
		}
		f.Limit = n
	}
	f.Event = q.Get("event")
	f.Status = q.Get("status")
	if f.HTTPClass, err = store.ParseHTTPClass(q.Get("http")); err != nil {
		return f, err
	}
	now := a.now()
	if f.Since, err = store.ParseTimeBound(q.Get("since"), now); err != nil {
		return f, err
	}
	if f.Until, err = store.ParseTimeBound(q.Get("until"), now); err != nil {
		return f, err
	}
	// One box finds either: a task id is a number (#12 too), a
	// webhook-id is not.
	find := strings.TrimPrefix(strings.TrimSpace(q.Get("find")), "#")
	if n, err := strconv.ParseInt(find, 10, 64); err == nil && n > 0 {
		f.TaskID = n
	} else {
		f.WebhookID = find
	}
	return f, nil
}

// bulkSinceOptions are the choices of "redeliver every undelivered
// delivery created in the last …".
func bulkSinceOptions() []views.Option {
	var out []views.Option
	for _, o := range []struct{ v, l string }{{"1h", "hour"}, {"24h", "24 hours"}, {"7d", "7 days"}, {"30d", "30 days"}} {
		out = append(out, views.Option{Value: o.v, Label: o.l, Selected: o.v == "24h"})
	}
	return out
}

func (a *App) deliveryLogView(r *http.Request, q url.Values, f store.DeliveryFilter) (views.DeliveryLogPage, error) {
	ctx := r.Context()
	v := views.DeliveryLogPage{Page: a.page(r, "Delivery log · Webhooks", "settings"), CanSend: a.notifier != nil,
		Since: q.Get("since"), Until: q.Get("until"), Find: q.Get("find"), BulkSince: bulkSinceOptions()}
	v.Sub = "webhooks"
	eps, err := a.store.Endpoints(ctx)
	if err != nil {
		return v, err
	}
	v.Endpoints = []views.Option{{Value: "", Label: "All endpoints"}}
	for _, e := range eps {
		id := strconv.FormatInt(e.ID, 10)
		v.Endpoints = append(v.Endpoints, views.Option{Value: id, Label: e.Name, Selected: e.ID == f.EndpointID})
		v.BulkEndpoints = append(v.BulkEndpoints, views.Option{Value: id, Label: e.Name, Selected: e.ID == f.EndpointID})
	}
	v.Events = []views.Option{{Value: "", Label: "All events"}}
	for _, ev := range store.EventCatalog() {
		v.Events = append(v.Events, views.Option{Value: ev.Name, Label: ev.Name, Selected: ev.Name == f.Event})
	}
	v.Statuses = []views.Option{{Value: "", Label: "Any status"}}
	for _, s := range store.DeliveryStatusFilters {
		label := s
		if s == store.FilterUndelivered {
			label = "undelivered (failed or retrying)"
		}
		v.Statuses = append(v.Statuses, views.Option{Value: s, Label: label, Selected: s == f.Status})
	}
	v.Classes = []views.Option{{Value: "", Label: "Any"}}
	for _, c := range []string{"2xx", "3xx", "4xx", "5xx", "none"} {
		n, _ := store.ParseHTTPClass(c)
		label := c
		if c == "none" {
			label = "no answer"
		}
		v.Classes = append(v.Classes, views.Option{Value: c, Label: label, Selected: n == f.HTTPClass && f.HTTPClass != 0})
	}
	if v.Queued, err = a.store.QueuedRedeliveries(ctx, 0); err != nil {
		return v, err
	}
	return v, nil
}

// bulkRedeliver queues redeliveries for the retry worker: the chosen
// deliveries (ids), or every undelivered one of an endpoint created since
// a time (endpoint, since). The page answers at once with the count.
func (a *App) bulkRedeliver(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	back := r.Referer()
	if u, err := url.Parse(back); err != nil || u.Host != r.Host || !strings.HasPrefix(u.Path, "/settings/") {
		back = "/settings/deliveries"
	}
	if a.notifier == nil {
		a.errorPage(w, r, http.StatusServiceUnavailable, "This server sends no webhooks.")
		return
	}
	var sel store.RedeliverySelection
	for _, v := range r.PostForm["ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			a.fail(w, r, &store.InvalidError{Reason: fmt.Sprintf("%q is not a delivery id", v)}, back)
			return
		}
		sel.DeliveryIDs = append(sel.DeliveryIDs, id)
	}
	if len(sel.DeliveryIDs) == 0 {
		id, err := formInt(r, "endpoint")
		if err != nil || id <= 0 {
			a.fail(w, r, &store.InvalidError{Reason: "choose deliveries with their boxes, or an endpoint"}, back)
			return
		}
		since, err := store.ParseTimeBound(r.PostForm.Get("since"), a.now())
		if err != nil {
			a.fail(w, r, err, back)
			return
		}
		sel.EndpointID, sel.Since = id, since
	}
	n, err := a.store.RequestRedeliveries(r.Context(), sel)
	if err != nil {
		a.fail(w, r, err, back)
		return
	}
	a.log.Info("redeliveries queued", "count", n, "endpoint", sel.EndpointID)
	switch n {
	case 0:
		a.flash(r, "Nothing to redeliver: no undelivered deliveries in that time.")
	case 1:
		a.flash(r, "1 redelivery queued; the retry worker sends it now.")
	default:
		a.flash(r, fmt.Sprintf("%d redeliveries queued; the retry worker sends them now.", n))
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// endpointCharts are an endpoint's health charts: the last 24 hours by
// hour and the last 7 days by day.
func (a *App) endpointCharts(r *http.Request, id int64) (views.EndpointCharts, error) {
	now := a.now().UTC()
	ctx := r.Context()
	hourEnd := now.Truncate(time.Hour).Add(time.Hour)
	hours, err := a.store.EndpointHealth(ctx, id, hourEnd, time.Hour, 24)
	if err != nil {
		return views.EndpointCharts{}, err
	}
	dayEnd := now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	days, err := a.store.EndpointHealth(ctx, id, dayEnd, 24*time.Hour, 7)
	if err != nil {
		return views.EndpointCharts{}, err
	}
	hourLabel := func(i int, t time.Time) (string, string) {
		label := ""
		if i%6 == 0 {
			label = t.Format("15:04")
		}
		return label, t.Format("15:04") + "–" + t.Add(time.Hour).Format("15:04")
	}
	dayLabel := func(_ int, t time.Time) (string, string) { return t.Format("Mon"), t.Format("Mon 2 Jan") }
	var c views.EndpointCharts
	c.Rate24h, c.Latency24h = healthCharts("last 24 hours", hours[id], hourLabel)
	c.Rate7d, c.Latency7d = healthCharts("last 7 days", days[id], dayLabel)
	c.Rate24h.TestID, c.Latency24h.TestID = "rate-24h", "latency-24h"
	c.Rate7d.TestID, c.Latency7d.TestID = "rate-7d", "latency-7d"
	return c, nil
}

// healthCharts draws a series of buckets as a success-rate chart and a
// latency chart (p95 outlined, p50 filled inside it).
func healthCharts(span string, bs []store.HealthBucket, label func(int, time.Time) (string, string)) (rate, latency views.Chart) {
	rate = views.Chart{Label: "Success rate, " + span, Series: []views.ChartSeries{{Name: "answered 2xx"}}, Max: 100, MaxText: "100 %"}
	latency = views.Chart{Label: "Latency, " + span, Series: []views.ChartSeries{{Name: "p95", Outline: true}, {Name: "p50"}}}
	var attempts, ok int
	var top time.Duration
	for i, b := range bs {
		axis, when := label(i, b.Start)
		attempts += b.Attempts
		ok += b.Succeeded
		top = max(top, b.P95)
		if b.Attempts == 0 {
			rate.Slots = append(rate.Slots, views.ChartSlot{Label: axis, Values: []float64{-1}, Text: when + ": no attempts"})
			latency.Slots = append(latency.Slots, views.ChartSlot{Label: axis, Values: []float64{-1, -1}, Text: when + ": no attempts"})
			continue
		}
		pct := 100 * b.SuccessRate()
		rate.Slots = append(rate.Slots, views.ChartSlot{Label: axis, Values: []float64{pct},
			Text: fmt.Sprintf("%s: %s answered 2xx (%d of %d attempts)", when, formatPercent(pct), b.Succeeded, b.Attempts)})
		latency.Slots = append(latency.Slots, views.ChartSlot{Label: axis,
			Values: []float64{float64(b.P95.Milliseconds()), float64(b.P50.Milliseconds())},
			Text:   fmt.Sprintf("%s: p50 %s, p95 %s (%d attempts)", when, formatLatency(b.P50), formatLatency(b.P95), b.Attempts)})
	}
	latency.Max = float64(max(top.Milliseconds(), 1))
	latency.MaxText = formatLatency(max(top, time.Millisecond))
	if attempts == 0 {
		rate.Summary, latency.Summary = "No attempts in the "+span+".", "No attempts in the "+span+"."
		return rate, latency
	}
	rate.Summary = fmt.Sprintf("%s of %d attempts answered 2xx in the %s.", formatPercent(100*float64(ok)/float64(attempts)), attempts, span)
	latency.Summary = fmt.Sprintf("Slowest p95 %s.", formatLatency(top))
	return rate, latency
}

// sparkline is an endpoint's success rate by hour over the last 24 hours,
// for the endpoints list.
func sparkline(bs []store.HealthBucket) views.Chart {
	c := views.Chart{Label: "Success rate by hour, last 24 hours", Compact: true, Max: 100, TestID: "health-sparkline",
		Series: []views.ChartSeries{{Name: "answered 2xx"}}}
	var attempts, ok int
	for _, b := range bs {
		when := b.Start.Format("15:04")
		if b.Attempts == 0 {
			c.Slots = append(c.Slots, views.ChartSlot{Values: []float64{-1}, Text: when + ": no attempts"})
			continue
		}
		attempts += b.Attempts
		ok += b.Succeeded
		pct := 100 * b.SuccessRate()
		c.Slots = append(c.Slots, views.ChartSlot{Values: []float64{pct},
			Text: fmt.Sprintf("%s: %s of %d attempts answered 2xx", when, formatPercent(pct), b.Attempts)})
	}
	if attempts == 0 {
		c.Summary = "no attempts"
	} else {
		c.Summary = fmt.Sprintf("%s of %d attempts answered 2xx", formatPercent(100*float64(ok)/float64(attempts)), attempts)
	}
	return c
}

// formatPercent writes a share with at most one decimal, never rounding
// a share that is not whole up to all of it.
func formatPercent(p float64) string {
	if p < 100 && p > 99.9 {
		return "99.9 %"
	}
	return strings.TrimSuffix(strconv.FormatFloat(p, 'f', 1, 64), ".0") + " %"
}

// rawText shows stored body bytes as text, as they came: valid UTF-8 as
// it is, any other byte (and control characters but tab, newline and CR)
// as \xNN, so binary answers stay visible without breaking the page.
func rawText(b []byte) string {
	if len(b) > maxShownBody {
		b = b[:maxShownBody]
	}
	var out strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			fmt.Fprintf(&out, `\x%02x`, b[0])
		default:
			out.Write(b[:size])
		}
		b = b[size:]
	}
	return out.String()
}

// prettyJSON is a body indented, keys in the order they came, or "" when
// it is not JSON or reads the same indented.
func prettyJSON(b []byte) string {
	if len(b) > maxShownBody {
		return ""
	}
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil || bytes.Equal(bytes.TrimSpace(out.Bytes()), bytes.TrimSpace(b)) {
		return ""
	}
	return out.String()
}
