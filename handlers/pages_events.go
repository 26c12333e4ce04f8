package handlers

import (
	"net/http"

	"hookboard/store"
	"hookboard/views"
)

// eventsPage is the event catalog: every event Hookboard sends (read from
// the store's one list, so new events appear here by themselves), when it
// fires, its sample in each payload format, rendered by the builders real
// deliveries use, and a button per endpoint that sends the sample.
func (a *App) eventsPage(w http.ResponseWriter, r *http.Request) {
	v := views.EventsPage{Page: a.page(r, "Event catalog · Webhooks", "settings"), CanSend: a.notifier != nil}
	v.Sub = "webhooks"
	eps, err := a.store.Endpoints(r.Context())
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	for _, e := range eps {
		v.Endpoints = append(v.Endpoints, views.EndpointChoice{ID: e.ID, Name: e.Name})
	}
	labels := map[string]string{store.FormatKanboard: "Kanboard", store.FormatEnvelope: "Envelope", store.FormatTransit: "Transit JSON"}
	for _, ce := range store.EventCatalog() {
		ev, err := store.SampleEvent(ce.Name, a.now())
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		row := views.CatalogEvent{Name: ce.Name, Fires: ce.Fires}
		for _, f := range store.Formats {
			if a.notifier == nil {
				break // the sender renders the formats; this server has none
			}
			contentType, body, err := a.notifier.Render(f, ev)
			if err != nil {
				a.serverError(w, r, err)
				return
			}
			shown := prettyJSON(body)
			if shown == "" {
				shown = rawText(body)
			}
			row.Samples = append(row.Samples, views.SampleBody{Format: labels[f], ContentType: contentType, Body: shown})
		}
		v.Events = append(v.Events, row)
	}
	a.render(w, r, http.StatusOK, views.EventsView(v))
}
