package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"hookboard/store"
	"hookboard/views"
)

// deliveriesShown is how many deliveries an endpoint's page lists.
const deliveriesShown = 50

func formatsOptions(selected string) []views.Option {
	labels := map[string]string{
		store.FormatKanboard: "Kanboard (event_name, event_data, event_author)",
		store.FormatEnvelope: "Envelope (event, timestamp, payload)",
		store.FormatTransit:  "Transit JSON (the envelope, application/transit+json)",
	}
	if selected == "" {
		selected = store.FormatKanboard
	}
	var out []views.Option
	for _, f := range store.Formats {
		out = append(out, views.Option{Value: f, Label: labels[f], Selected: f == selected})
	}
	return out
}

// endpointForm fills the add/edit form from an endpoint (or the defaults).
func endpointForm(ep store.NewEndpoint, projects []store.Project) views.EndpointForm {
	f := views.EndpointForm{
		Name: ep.Name, URL: ep.URL, TimeoutMS: ep.Timeout.Milliseconds(),
		AllEvents: len(ep.Events) == 0, AllProj: len(ep.Projects) == 0, Formats: formatsOptions(ep.Format),
	}
	if f.TimeoutMS == 0 {
		f.TimeoutMS = store.DefaultEndpointTimeout.Milliseconds()
	}
	for _, name := range store.EventNames {
		f.Events = append(f.Events, views.Option{Value: name, Label: name, Selected: slices.Contains(ep.Events, name)})
	}
	for _, p := range projects {
		f.Projects = append(f.Projects, views.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name, Selected: slices.Contains(ep.Projects, p.ID)})
	}
	return f
}

// readEndpointForm reads the add/edit form.
func (a *App) readEndpointForm(f url.Values) (store.NewEndpoint, error) {
	ep := store.NewEndpoint{Name: strings.TrimSpace(f.Get("name")), URL: strings.TrimSpace(f.Get("url")), Format: f.Get("format")}
	if a.cfg.CheckWebhookURL != nil {
		if err := a.cfg.CheckWebhookURL(ep.URL); err != nil {
			return ep, &store.InvalidError{Reason: err.Error()}
		}
	}
	if ms := strings.TrimSpace(f.Get("timeout_ms")); ms != "" {
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil {
			return ep, &store.InvalidError{Reason: "timeout must be a number of milliseconds"}
		}
		ep.Timeout = time.Duration(n) * time.Millisecond
	}
	if f.Get("all_events") != "1" {
		ep.Events = f["events"]
		if len(ep.Events) == 0 {
			return ep, &store.InvalidError{Reason: "choose the events to send, or tick All events"}
		}
	}
	if f.Get("all_projects") != "1" {
		for _, v := range f["projects"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return ep, &store.InvalidError{Reason: fmt.Sprintf("project %q is not a project id", v)}
			}
			ep.Projects = append(ep.Projects, id)
		}
		if len(ep.Projects) == 0 {
			return ep, &store.InvalidError{Reason: "choose the projects, or tick All projects"}
		}
	}
	return ep, nil
}

// health sums up an endpoint for its badge.
func (a *App) health(e store.Endpoint) views.Health {
	switch {
	case !e.Enabled && e.DisabledReason != "":
		return views.Health{Kind: "bad", Label: "Disabled by Hookboard", Detail: e.DisabledReason}
	case !e.Enabled:
		return views.Health{Kind: "off", Label: "Disabled"}
	case !e.FailingSince.IsZero():
		d := views.Health{Kind: "bad", Label: "Failing", Detail: "since " + formatTime(e.FailingSince.Unix())}
		if e.LastStatus != 0 {
			d.Detail += fmt.Sprintf("; last answer %d", e.LastStatus)
		} else if e.LastError != "" {
			d.Detail += "; " + e.LastError
		}
		return d
	case e.LastAttemptAt.IsZero():
		return views.Health{Kind: "off", Label: "No deliveries yet"}
	}
	return views.Health{Kind: "ok", Label: "Healthy", Detail: fmt.Sprintf("last answer %d at %s", e.LastStatus, formatTime(e.LastAttemptAt.Unix()))}
}

func eventsSummary(events []string) string {
	if len(events) == 0 {
		return "All events"
	}
	if len(events) <= 3 {
		return strings.Join(events, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(events[:2], ", "), len(events)-2)
}

// webhooksView is the endpoints list with the add form filled from form.
func (a *App) webhooksView(r *http.Request, form store.NewEndpoint) (views.WebhooksPage, error) {
	projects, err := a.store.Projects(r.Context())
	if err != nil {
		return views.WebhooksPage{}, err
	}
	v := views.WebhooksPage{Page: a.page(r, "Webhooks", "settings"), Form: endpointForm(form, projects)}
	v.Sub = "webhooks"
	eps, err := a.store.Endpoints(r.Context())
	if err != nil {
		return v, err
	}
	hours, err := a.store.EndpointHealth(r.Context(), 0, a.now().UTC().Truncate(time.Hour).Add(time.Hour), time.Hour, 24)
	if err != nil {
		return v, err
	}
	for _, e := range eps {
		bs := hours[e.ID]
		if bs == nil {
			bs = make([]store.HealthBucket, 24)
		}
		v.Endpoints = append(v.Endpoints, views.EndpointRow{
			ID: e.ID, Name: e.Name, URL: e.URL, Format: e.Format, Events: eventsSummary(e.Events),
			Health: a.health(e), Pending: e.PendingCount, Failed24: e.FailedCount24h, Health24: sparkline(bs),
		})
	}
	return v, nil
}

func (a *App) webhooksPage(w http.ResponseWriter, r *http.Request) {
	// After a refused add, the form comes back as it was typed.
	st := a.popForm(r)
	var form store.NewEndpoint
	if st.Values != nil {
		form, _ = a.readEndpointForm(st.Values)
	}
	v, err := a.webhooksView(r, form)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	v.ErrorField = st.Field
	if st.Values != nil {
		v.Form.AllEvents = st.Values.Get("all_events") == "1"
		v.Form.AllProj = st.Values.Get("all_projects") == "1"
	}
	a.render(w, r, http.StatusOK, views.WebhooksView(v))
}

// createEndpoint adds an endpoint and opens its page, where its secrets are.
func (a *App) createEndpoint(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	in, err := a.readEndpointForm(r.PostForm)
	var ep store.Endpoint
	if err == nil {
		ep, _, err = a.store.CreateEndpoint(r.Context(), in)
	}
	if err != nil {
		a.formFailure(w, r, err, "/settings/webhooks", r.PostForm, "url", "ep-url", "name", "ep-name", "timeout", "ep-timeout")
		return
	}
	a.log.Info("webhook endpoint created", "id", ep.ID)
	a.flash(r, "Endpoint added. Press “Send test event” to check that it answers.")
	http.Redirect(w, r, fmt.Sprintf("/settings/webhooks/%d", ep.ID), http.StatusSeeOther)
}

func (a *App) endpointView(r *http.Request, id int64) (views.EndpointPage, error) {
	ctx := r.Context()
	e, err := a.store.Endpoint(ctx, id)
	if err != nil {
		return views.EndpointPage{}, err
	}
	sec, err := a.store.EndpointSecrets(ctx, id)
	if err != nil {
		return views.EndpointPage{}, err
	}
	projects, err := a.store.Projects(ctx)
	if err != nil {
		return views.EndpointPage{}, err
	}
	canSend := a.notifier != nil
	v := views.EndpointPage{
		Page: a.page(r, e.Name+" · Webhooks", "settings"),
		ID:   e.ID, Name: e.Name, URL: e.URL, Enabled: e.Enabled, Health: a.health(e),
		Token: sec.Token, Secret: sec.Secret, CanSend: canSend,
		FailedOnly: r.URL.Query().Get("failed") == "1",
	}
	v.Sub = "webhooks"
	now := a.now()
	if sec.PrevToken != "" && now.Before(sec.PrevTokenUntil) {
		v.PrevToken, v.TokenUntil = sec.PrevToken, formatTime(sec.PrevTokenUntil.Unix())
	}
	if sec.PrevSecret != "" && now.Before(sec.PrevSecretUntil) {
		v.PrevSecret, v.SecretUntil = sec.PrevSecret, formatTime(sec.PrevSecretUntil.Unix())
	}
	v.Form = endpointForm(store.NewEndpoint{Name: e.Name, URL: e.URL, Events: e.Events, Projects: e.Projects, Format: e.Format, Timeout: e.Timeout}, projects)
	ds, err := a.store.Deliveries(ctx, id, deliveriesShown, v.FailedOnly)
	if err != nil {
		return v, err
	}
	if v.Charts, err = a.endpointCharts(r, id); err != nil {
		return v, err
	}
	if v.Queued, err = a.store.QueuedRedeliveries(ctx, id); err != nil {
		return v, err
	}
	v.BulkSince = bulkSinceOptions()
	for _, ev := range store.EventCatalog() {
		label := "sample " + ev.Name
		if ev.Name == store.EventWebhookTest {
			label = "webhook.test"
		}
		v.TestEvents = append(v.TestEvents, views.Option{Value: ev.Name, Label: label, Selected: ev.Name == store.EventWebhookTest})
	}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, deliveryRow(d))
	}
	return v, nil
}

func deliveryRow(d store.Delivery) views.DeliveryRow {
	row := views.DeliveryRow{
		ID: d.ID, EndpointID: d.EndpointID, EndpointName: d.EndpointName,
		EventName: d.EventName, EventID: d.EventID, Status: d.Status, HTTPStatus: d.LastStatus,
		Error: d.LastError, Attempts: d.AttemptCount, When: formatTime(d.CreatedAt.Unix()),
	}
	switch {
	case d.Status == store.DeliveryDelivered:
		row.StatusKind = "ok"
	case d.Status == store.DeliveryFailed:
		row.StatusKind = "bad"
	case d.AttemptCount > 0:
		row.StatusKind, row.Status = "warn", "retrying"
	default:
		row.StatusKind = "off"
	}
	if !d.NextAttemptAt.IsZero() && d.AttemptCount > 0 {
		row.Next = formatTime(d.NextAttemptAt.Unix())
	}
	return row
}

func (a *App) endpointPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	v, err := a.endpointView(r, id)
	if errors.Is(err, store.ErrNotFound) {
		a.errorPage(w, r, http.StatusNotFound, "There is no such endpoint.")
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, views.EndpointView(v))
}

func (a *App) editEndpoint(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	back := fmt.Sprintf("/settings/webhooks/%d", id)
	in, err := a.readEndpointForm(r.PostForm)
	if err == nil {
		_, err = a.store.UpdateEndpoint(r.Context(), id, in)
	}
	if err != nil {
		a.fail(w, r, err, back)
		return
	}
	a.flash(r, "Endpoint saved.")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// testEndpoint sends a webhook.test, or the catalog's sample of the event
// the form names, and shows the delivery it made.
func (a *App) testEndpoint(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	if a.notifier == nil {
		a.errorPage(w, r, http.StatusServiceUnavailable, "This server sends no webhooks.")
		return
	}
	event := r.PostForm.Get("event")
	if event == "" {
		event = store.EventWebhookTest
	}
	d, err := a.notifier.SendSample(r.Context(), id, event)
	if err != nil {
		a.fail(w, r, err, fmt.Sprintf("/settings/webhooks/%d", id))
		return
	}
	what := "Test event"
	if event != store.EventWebhookTest {
		what = "Sample " + event
	}
	if d.Status == store.DeliveryDelivered {
		a.flash(r, what+" delivered.")
	} else {
		a.flashError(r, "The "+strings.ToLower(what[:1])+what[1:]+" was not accepted; see the response below.")
	}
	http.Redirect(w, r, fmt.Sprintf("/settings/deliveries/%d", d.ID), http.StatusSeeOther)
}

func (a *App) enableEndpoint(w http.ResponseWriter, r *http.Request) {
	a.setEndpointEnabled(w, r, true)
}

func (a *App) disableEndpoint(w http.ResponseWriter, r *http.Request) {
	a.setEndpointEnabled(w, r, false)
}

func (a *App) setEndpointEnabled(w http.ResponseWriter, r *http.Request, on bool) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	back := fmt.Sprintf("/settings/webhooks/%d", id)
	if err := a.store.SetEndpointEnabled(r.Context(), id, on); err != nil {
		a.fail(w, r, err, back)
		return
	}
	if on {
		a.flash(r, "Endpoint enabled; its pending deliveries will be retried.")
	} else {
		a.flash(r, "Endpoint disabled: new events are not sent to it.")
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (a *App) deleteEndpoint(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	if err := a.store.DeleteEndpoint(r.Context(), id); err != nil {
		a.fail(w, r, err, "/settings/webhooks")
		return
	}
	a.log.Info("webhook endpoint deleted", "id", id)
	a.flash(r, "Endpoint deleted.")
	http.Redirect(w, r, "/settings/webhooks", http.StatusSeeOther)
}

func (a *App) rotateEndpointSecret(w http.ResponseWriter, r *http.Request) {
	a.rotateEndpoint(w, r, "signing secret", a.store.RotateEndpointSecret)
}

func (a *App) rotateEndpointToken(w http.ResponseWriter, r *http.Request) {
	a.rotateEndpoint(w, r, "token", a.store.RotateEndpointToken)
}

// maxGrace bounds a rotation's grace period.
const maxGrace = 30 * 24 * time.Hour

func (a *App) rotateEndpoint(w http.ResponseWriter, r *http.Request, what string, rotate func(context.Context, int64, time.Duration) (string, error)) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	back := fmt.Sprintf("/settings/webhooks/%d", id)
	grace, err := time.ParseDuration(r.PostForm.Get("grace"))
	if err != nil || grace < 0 || grace > maxGrace {
		a.fail(w, r, &store.InvalidError{Reason: "grace period must be between 0 and 30 days"}, back)
		return
	}
	if _, err := rotate(r.Context(), id, grace); err != nil {
		a.fail(w, r, err, back)
		return
	}
	a.log.Info("webhook endpoint "+what+" rotated", "id", id, "grace", grace)
	if grace == 0 {
		a.flash(r, fmt.Sprintf("New %s in use now.", what))
	} else {
		a.flash(r, fmt.Sprintf("New %s made; the old one stays valid for %s.", what, grace))
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// maxShownBody bounds a request body shown on the delivery page.
const maxShownBody = 64 << 10

func (a *App) deliveryPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	d, err := a.store.Delivery(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		a.errorPage(w, r, http.StatusNotFound, "There is no such delivery.")
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	canSend := a.notifier != nil
	v := views.DeliveryPage{
		Page:     a.page(r, fmt.Sprintf("Delivery %d · Webhooks", d.ID), "settings"),
		Delivery: deliveryRow(d), EndpointID: d.EndpointID, EndpointName: d.EndpointName, CanSend: canSend,
	}
	v.Sub = "webhooks"
	for _, at := range d.Attempts {
		v.Attempts = append(v.Attempts, views.AttemptView{
			Trigger: at.Trigger, When: at.StartedAt.Format("2006-01-02 15:04:05.000 UTC"),
			Latency: formatLatency(at.Latency), RequestURL: at.RequestURL, RequestHeaders: headerList(at.RequestHeaders),
			RequestBody: rawText(at.RequestBody), RequestPretty: prettyJSON(at.RequestBody), ResponseStatus: at.ResponseStatus,
			ResponseHeaders: headerList(at.ResponseHeaders), ResponseBody: rawText(at.ResponseBody), ResponsePretty: prettyJSON(at.ResponseBody),
			Error: store.AnswerError(at.ResponseStatus, at.Error),
		})
	}
	a.render(w, r, http.StatusOK, views.DeliveryView(v))
}

func headerList(m map[string]string) []views.Header {
	out := make([]views.Header, 0, len(m))
	for k, v := range m {
		out = append(out, views.Header{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (a *App) redeliver(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	back := fmt.Sprintf("/settings/deliveries/%d", id)
	if a.notifier == nil {
		a.errorPage(w, r, http.StatusServiceUnavailable, "This server sends no webhooks.")
		return
	}
	d, err := a.notifier.Redeliver(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, back)
		return
	}
	if len(d.Attempts) > 0 && d.Attempts[len(d.Attempts)-1].ResponseStatus/100 == 2 {
		a.flash(r, "Redelivered.")
	} else {
		a.flashError(r, "The redelivery was not accepted; see the newest attempt.")
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// formatLatency writes an attempt's duration in milliseconds below a
// second ("0 ms", not Go's "0s") and in seconds above.
func formatLatency(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return d.Round(10 * time.Millisecond).String()
}
