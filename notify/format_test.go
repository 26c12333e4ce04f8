package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hookboard/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// sampleEvents returns one event of every name in the catalog. task.create
// comes from the real store; the others carry the event_data the brief's
// contract asks the store to write, built around a real task snapshot and
// kept sparse on purpose, so that the kanboard format must complete it.
func sampleEvents(t testing.TB, st *store.Store) map[string]store.Event {
	t.Helper()
	ctx := context.Background()
	id, evIDs, err := st.CreateTask(ctx, store.Actor{UserID: 1, Username: "admin"},
		store.NewTask{Title: "Write docs", Description: "for <everyone> & more", ColorID: "green", OwnerID: 1})
	if err != nil {
		t.Fatal(err)
	}
	created, err := st.EventByID(ctx, evIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	snap, err := st.TaskByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Event{store.EventTaskCreate: created}
	mk := func(name string, data any) {
		raw, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		ev := created
		ev.Name, ev.Data = name, raw
		out[name] = ev
	}
	task := func(changes map[string]any) store.TaskEventData {
		return store.TaskEventData{TaskID: id, Task: snap, Changes: changes}
	}
	mk(store.EventTaskUpdate, task(map[string]any{"title": "Write docs"}))
	mk(store.EventTaskAssigneeChange, task(map[string]any{"owner_id": 1}))
	mk(store.EventTaskClose, task(nil))
	mk(store.EventTaskOpen, task(nil))
	mk(store.EventTaskDelete, task(nil))
	mk(store.EventTaskMoveColumn, task(map[string]any{"src_column_id": 1, "dst_column_id": 2, "date_moved": snap.DateMoved}))
	mk(store.EventTaskMovePosition, task(map[string]any{"src_column_id": 1, "dst_column_id": 1}))
	mk(store.EventTaskMoveSwimlane, task(map[string]any{"src_column_id": 1, "dst_column_id": 1}))
	mk(store.EventTaskMoveProject, task(nil))
	comment := map[string]any{"id": 7, "task_id": id, "user_id": 1, "comment": "Looks good", "date_creation": snap.DateCreation, "date_modification": snap.DateCreation, "username": "admin"}
	for _, name := range []string{store.EventCommentCreate, store.EventCommentUpdate, store.EventCommentDelete} {
		mk(name, map[string]any{"task_id": id, "comment": comment, "task": snap})
	}
	subtask := map[string]any{"id": 3, "title": "Outline", "status": 1, "task_id": id, "user_id": 0, "position": 1, "time_estimated": 0, "time_spent": 0}
	for _, name := range []string{store.EventSubtaskCreate, store.EventSubtaskUpdate, store.EventSubtaskDelete} {
		mk(name, map[string]any{"task_id": id, "subtask": subtask, "task": snap})
	}
	file := map[string]any{"id": 2, "name": "plan.txt", "task_id": id, "user_id": 1, "size": 12, "date": snap.DateCreation}
	for _, name := range []string{store.EventFileCreate, store.EventFileDelete} {
		mk(name, map[string]any{"task_id": id, "file": file, "task": snap})
	}
	for _, name := range store.EventNames {
		if _, ok := out[name]; !ok {
			t.Fatalf("no sample for %s", name)
		}
	}
	return out
}

// referenceExamples reads what a real Kanboard sent, by Hookboard's event name.
func referenceExamples(t *testing.T) map[string]map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/kanboard-outgoing-payloads.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Examples []struct {
			Sent []map[string]any `json:"sent"`
		} `json:"examples"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	rename := map[string]string{"task.file.create": store.EventFileCreate, "task.file.destroy": store.EventFileDelete}
	out := map[string]map[string]any{}
	for _, ex := range ref.Examples {
		for _, sent := range ex.Sent {
			name := sent["event_name"].(string)
			if r, ok := rename[name]; ok {
				name = r
			}
			if _, seen := out[name]; !seen {
				out[name] = sent
			}
		}
	}
	return out
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestKanboardBodyHasReferenceKeys: for every event Kanboard sent, our
// kanboard body has at least its keys: top level, event_data, nested task
// and nested comment/subtask/file.
func TestKanboardBodyHasReferenceKeys(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	samples := sampleEvents(t, db.st)
	refs := referenceExamples(t)
	checked := 0
	for _, name := range store.EventNames {
		ref, ok := refs[name]
		if !ok {
			if name != store.EventTaskDelete {
				t.Errorf("no reference example for %s", name)
				continue
			}
			ref = refs[store.EventTaskClose] // Kanboard sends nothing on delete; same shape as close
		}
		p, err := Render(store.FormatKanboard, samples[name])
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(p.Body, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		missing := func(where string, want, have map[string]any) {
			for _, k := range keysOf(want) {
				if _, ok := have[k]; !ok {
					t.Errorf("%s: %s lacks key %q (have %v)", name, where, k, keysOf(have))
				}
			}
		}
		missing("body", ref, got)
		if got["event_name"] != name {
			t.Errorf("%s: event_name %v", name, got["event_name"])
		}
		wantData, _ := ref["event_data"].(map[string]any)
		gotData, _ := got["event_data"].(map[string]any)
		missing("event_data", wantData, gotData)
		for key, v := range wantData {
			if nested, ok := v.(map[string]any); ok && key != "changes" {
				gotNested, _ := gotData[key].(map[string]any)
				missing("event_data."+key, nested, gotNested)
			}
		}
		checked++
	}
	if checked != len(store.EventNames) {
		t.Errorf("checked %d event names of %d", checked, len(store.EventNames))
	}
}

func TestKanboardMoveFieldsComeFromSnapshot(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ev := sampleEvents(t, db.st)[store.EventTaskMoveColumn]
	p, err := Render(store.FormatKanboard, ev)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Data map[string]any `json:"event_data"`
	}
	json.Unmarshal(p.Body, &body)
	want := map[string]float64{"src_column_id": 1, "dst_column_id": 2, "column_id": 1, "project_id": 1, "swimlane_id": 1, "position": 1}
	for k, v := range want {
		if body.Data[k] != v {
			t.Errorf("%s = %v, want %v", k, body.Data[k], v)
		}
	}
}

// TestFormatsGolden compares each format's body with testdata/golden
// (go test ./notify -run Golden -update rewrites them).
func TestFormatsGolden(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	samples := sampleEvents(t, db.st)
	testEv := samples[store.EventTaskCreate]
	testEv.Name, testEv.Data, testEv.AuthorName = store.EventWebhookTest, json.RawMessage(`{"message":"This is a test event from Hookboard.","endpoint_id":1}`), ""
	samples[store.EventWebhookTest] = testEv
	for _, format := range store.Formats {
		for _, name := range []string{store.EventTaskCreate, store.EventTaskMoveColumn, store.EventCommentCreate, store.EventSubtaskUpdate, store.EventWebhookTest} {
			t.Run(format+"/"+name, func(t *testing.T) {
				p, err := Render(format, samples[name])
				if err != nil {
					t.Fatal(err)
				}
				wantType := map[string]string{"kanboard": "application/json", "envelope": "application/json", "transit": "application/transit+json"}[format]
				if p.ContentType != wantType {
					t.Errorf("content type %q, want %q", p.ContentType, wantType)
				}
				if !json.Valid(p.Body) {
					t.Fatalf("body is not JSON: %s", p.Body)
				}
				var pretty bytes.Buffer
				json.Indent(&pretty, p.Body, "", "  ")
				path := filepath.Join("testdata", "golden", format+"_"+strings.ReplaceAll(name, ".", "_")+".json")
				if *update {
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, append(pretty.Bytes(), '\n'), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create)", err)
				}
				if got := append(pretty.Bytes(), '\n'); !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s:\n%s", format, path, got)
				}
			})
		}
	}
}

func TestTransitEscapesAndKeywords(t *testing.T) {
	var buf bytes.Buffer
	writeTransit(&buf, object{{"a", "~tilde"}, {"b", "^caret"}, {"c", "`tick"}, {"d", json.Number("9007199254740993")},
		{"e", []any{json.Number("1.5"), nil, true}}, {"f", object{}}})
	want := `["^ ","~:a","~~tilde","~:b","~^caret","~:c","~` + "`" + `tick","~:d","~i9007199254740993","~:e",[1.5,null,true],"~:f",["^ "]]`
	if buf.String() != want {
		t.Errorf("transit:\n got %s\nwant %s", buf.String(), want)
	}
}

func TestSampleEventEnvelope(t *testing.T) {
	c := newClock()
	ev := store.Event{ID: "x", Name: store.EventWebhookTest, CreatedAt: c.Now().Add(1234567), Data: json.RawMessage(`{}`)}
	p, err := Render(store.FormatEnvelope, ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"event":"SampleEvent","timestamp":"2026-11-23T10:00:00.001Z","payload":{"typename":"SampleEvent"}}`; string(p.Body) != want {
		t.Errorf("got %s\nwant %s", p.Body, want)
	}
	p, _ = Render(store.FormatTransit, ev)
	if want := `["^ ","~:event","SampleEvent","~:timestamp","~m1795428000001","~:payload",["^ ","~:typename","SampleEvent"]]`; string(p.Body) != want {
		t.Errorf("got %s\nwant %s", p.Body, want)
	}
}
