package notify

import (
	"encoding/json"
	"testing"

	"hookboard/store"
)

// TestConfigEventEnvelope: a column event's envelope payload is the
// column, typed Column, with its changes; its kanboard body holds the
// column nested and flat, and the project.
func TestConfigEventEnvelope(t *testing.T) {
	project := store.Project{ID: 3, Name: "Ops", IsActive: true}.Object()
	col := store.Column{ID: 7, ProjectID: 3, Title: "Review", Position: 2, TaskLimit: 4}
	data, err := store.EncodeEventData(store.EventColumnUpdate, store.EventContent{Project: &project, Column: &col,
		Changes: map[string]any{"task_limit": 4}})
	if err != nil {
		t.Fatal(err)
	}
	ev := store.Event{ID: "x", Name: store.EventColumnUpdate, ProjectID: 3, CreatedAt: newClock().Now(), Data: data}
	p, err := Render(store.FormatEnvelope, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"column.update","timestamp":"2026-11-23T10:00:00.000Z","payload":{"id":7,"typename":"Column",` +
		`"title":"Review","position":2,"project_id":3,"task_limit":4,"description":"","hide_in_dashboard":0,"changes":{"task_limit":4}}}`
	if string(p.Body) != want {
		t.Errorf("envelope\n got %s\nwant %s", p.Body, want)
	}
	p, err = Render(store.FormatKanboard, ev)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Name string `json:"event_name"`
		Data map[string]any
	}
	if err := json.Unmarshal(p.Body, &struct {
		Name *string         `json:"event_name"`
		Data *map[string]any `json:"event_data"`
	}{&body.Name, &body.Data}); err != nil {
		t.Fatal(err)
	}
	nested, _ := body.Data["column"].(map[string]any)
	proj, _ := body.Data["project"].(map[string]any)
	if body.Name != "column.update" || body.Data["column_id"] != 7.0 || nested["title"] != "Review" ||
		body.Data["title"] != "Review" || body.Data["task_limit"] != 4.0 || proj["name"] != "Ops" || len(proj) != 23 {
		t.Errorf("kanboard body %s", p.Body)
	}
}
