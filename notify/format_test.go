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
	"unicode/utf8"

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

// referenceFor is the reference example for an event name. Kanboard sends
// nothing on task delete; Hookboard's task.delete has the shape of close.
func referenceFor(t *testing.T, refs map[string]map[string]any, name string) map[string]any {
	t.Helper()
	ref, ok := refs[name]
	if !ok && name == store.EventTaskDelete {
		ref, ok = refs[store.EventTaskClose]
	}
	if !ok {
		t.Fatalf("no reference example for %s", name)
	}
	return ref
}

// checkReferenceKeys fails the test for every key of the reference example
// missing from the kanboard body: top level, event_data, and each object
// nested in event_data (task, comment, subtask, file), except changes,
// whose keys depend on what changed. It returns the decoded body.
func checkReferenceKeys(t *testing.T, name string, body []byte, ref map[string]any) map[string]any {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	missing := func(where string, want, have map[string]any) {
		t.Helper()
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
	if len(wantData) == 0 {
		t.Fatalf("%s: the reference example has no event_data", name)
	}
	missing("event_data", wantData, gotData)
	for key, v := range wantData {
		if nested, ok := v.(map[string]any); ok && key != "changes" {
			gotNested, _ := gotData[key].(map[string]any)
			missing("event_data."+key, nested, gotNested)
		}
	}
	return got
}

// TestKanboardBodyHasReferenceKeys: for every event Kanboard sent, our
// kanboard body has at least its keys: top level, event_data, nested task
// and nested comment/subtask/file. The events here carry sparse data, so
// the format itself must complete them.
func TestKanboardBodyHasReferenceKeys(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	samples := sampleEvents(t, db.st)
	refs := referenceExamples(t)
	for _, name := range store.EventNames {
		p, err := Render(store.FormatKanboard, samples[name])
		if err != nil {
			t.Fatal(err)
		}
		checkReferenceKeys(t, name, p.Body, referenceFor(t, refs, name))
	}
}

// catalogRun is every event of the catalog made through the real store.
type catalogRun struct {
	events      map[string]string // name -> first event id of that name
	order       []string          // names in the order first written
	task, other int64             // the tasks the events are about
}

// makeCatalogEvents makes every event of the catalog through the real
// store, as the board, the API and the incoming URL do. actor makes the
// changes and ownerID is given the task; text ends what people write
// (titles, description, comment, subtask, file, swimlane and project
// names) so that it is in the events' data.
func makeCatalogEvents(t *testing.T, st *store.Store, actor store.Actor, ownerID int64, text string) catalogRun {
	t.Helper()
	ctx := context.Background()
	run := catalogRun{events: map[string]string{}}
	keep := func(ids []string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			ev, err := st.EventByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if _, seen := run.events[ev.Name]; !seen {
				run.events[ev.Name] = id
				run.order = append(run.order, ev.Name)
			}
		}
	}
	ptr := func(s string) *string { return &s }

	taskID, ids, err := st.CreateTask(ctx, actor, store.NewTask{Title: "Real events" + text, Description: "d" + text, ColorID: "blue"})
	keep(ids, err)
	other, ids, err := st.CreateTask(ctx, actor, store.NewTask{Title: "Neighbour" + text})
	keep(ids, err)
	run.task, run.other = taskID, other
	keep(st.UpdateTask(ctx, actor, taskID, store.TaskUpdate{Title: ptr("Real events, renamed" + text)}))
	keep(st.UpdateTask(ctx, actor, taskID, store.TaskUpdate{OwnerID: &ownerID}))
	cols, err := st.Columns(ctx, 1)
	if err != nil || len(cols) < 2 {
		t.Fatalf("columns: %v %v", cols, err)
	}
	keep(st.MoveTask(ctx, actor, taskID, store.TaskMove{ProjectID: 1, ColumnID: cols[1].ID, SwimlaneID: 1, Position: 1}))
	keep(st.MoveTask(ctx, actor, other, store.TaskMove{ProjectID: 1, ColumnID: cols[1].ID, SwimlaneID: 1, Position: 1}))
	// other took position 1 in that column: moving the task back up
	// changes its position only.
	keep(st.MoveTask(ctx, actor, taskID, store.TaskMove{ProjectID: 1, ColumnID: cols[1].ID, SwimlaneID: 1, Position: 1}))
	lane, err := st.CreateSwimlane(ctx, 1, "Second lane"+text)
	if err != nil {
		t.Fatal(err)
	}
	keep(st.MoveTask(ctx, actor, taskID, store.TaskMove{ProjectID: 1, ColumnID: cols[1].ID, SwimlaneID: lane, Position: 1}))
	keep(st.CloseTask(ctx, actor, taskID))
	keep(st.OpenTask(ctx, actor, taskID))
	commentID, ids, err := st.CreateComment(ctx, actor, taskID, 1, "Looks good"+text)
	keep(ids, err)
	keep(st.UpdateComment(ctx, actor, commentID, "Looks better"+text))
	keep(st.DeleteComment(ctx, actor, commentID))
	subID, ids, err := st.CreateSubtask(ctx, actor, store.NewSubtask{TaskID: taskID, Title: "Outline" + text, UserID: 1})
	keep(ids, err)
	keep(st.UpdateSubtask(ctx, actor, subID, taskID, store.SubtaskUpdate{Title: ptr("Outline, done" + text)}))
	keep(st.DeleteSubtask(ctx, actor, subID))
	// A file name has no control characters, invalid UTF-8 or path.
	fileText := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == utf8.RuneError {
			return -1
		}
		return r
	}, text)
	fileID, ids, err := st.CreateFile(ctx, actor, store.NewFile{TaskID: taskID, Name: "plan" + fileText + ".txt", MimeType: "text/plain", Data: []byte("the plan")}, 1<<20)
	keep(ids, err)
	keep(st.DeleteFile(ctx, actor, fileID))
	project2, err := st.CreateProject(ctx, "Second"+text, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	keep(st.MoveTaskToProject(ctx, actor, taskID, store.ProjectMove{ProjectID: project2}))
	keep(st.DeleteTask(ctx, actor, taskID))
	return run
}

// TestKanboardBodyOfRealEventsHasReferenceKeys makes every event of the
// catalog through the real store and checks the kanboard body of each
// against the reference.
func TestKanboardBodyOfRealEventsHasReferenceKeys(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	st := db.st
	admin := store.Actor{UserID: 1, Username: "admin", IsAdmin: true}
	run := makeCatalogEvents(t, st, admin, 1, "")
	taskID, other := run.task, run.other

	refs := referenceExamples(t)
	for _, name := range store.EventNames {
		id, ok := run.events[name]
		if !ok {
			t.Errorf("the store wrote no %s event (it wrote %v)", name, run.order)
			continue
		}
		ev, err := st.EventByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Render(store.FormatKanboard, ev)
		if err != nil {
			t.Fatal(err)
		}
		got := checkReferenceKeys(t, name, p.Body, referenceFor(t, refs, name))
		data, _ := got["event_data"].(map[string]any)
		task, _ := data["task"].(map[string]any)
		if data["task_id"] != float64(taskID) && data["task_id"] != float64(other) {
			t.Errorf("%s: event_data.task_id = %v", name, data["task_id"])
		}
		if task["id"] != data["task_id"] || task["project_name"] == nil || task["column_title"] == nil {
			t.Errorf("%s: nested task %v", name, task)
		}
		if got["event_author"] != "admin" {
			t.Errorf("%s: event_author %v", name, got["event_author"])
		}
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

// TestKanboardBuildsNestedObjectFromFlatFields: a snapshot with only the flat
// fields of Kanboard's documentation (comment text under "comment") still
// gets the nested object current Kanboard sends.
func TestKanboardBuildsNestedObjectFromFlatFields(t *testing.T) {
	ev := store.Event{ID: "e", Name: store.EventCommentCreate, AuthorName: "bob",
		Data: json.RawMessage(`{"task_id":4,"id":9,"user_id":2,"comment":"flat text","task":{"id":4,"title":"T"}}`)}
	p, err := Render(store.FormatKanboard, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event_name":"comment.create","event_data":{"task_id":4,"id":9,"user_id":2,` +
		`"comment":{"id":9,"task_id":4,"user_id":2,"comment":"flat text","date_creation":0,"date_modification":0,` +
		`"reference":"","visibility":"app-user","username":null,"name":null,"email":null,"avatar_path":null},` +
		`"task":{"id":4,"title":"T"},"date_creation":0,"date_modification":0,"reference":"","visibility":"app-user",` +
		`"username":null,"name":null,"email":null,"avatar_path":null},"event_author":"bob"}`
	if string(p.Body) != want {
		t.Errorf("got  %s\nwant %s", p.Body, want)
	}
	p, _ = Render(store.FormatEnvelope, ev)
	if !strings.Contains(string(p.Body), `"payload":{"id":9,"typename":"Comment","task_id":4,"user_id":2,"comment":"flat text"`) {
		t.Errorf("envelope %s", p.Body)
	}
}
