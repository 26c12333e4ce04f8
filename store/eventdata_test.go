package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEventDataIsWhatReceiversGet: the stored data is unescaped and holds
// both the flat fields of Kanboard's documentation and the nested task.
func TestEventDataIsWhatReceiversGet(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	b := newBoard(t, s, "P")
	id, evs, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "<b>Bold</b> & co", Description: "a<b", ColorID: "green", Score: 3})
	if err != nil {
		t.Fatal(err)
	}
	e, d := eventData(t, s, evs[0])
	if !bytes.Contains(e.Data, []byte(`"title":"<b>Bold</b> & co"`)) {
		t.Errorf("data is escaped or lacks the flat title: %s", e.Data)
	}
	task := d["task"].(map[string]any)
	for k, want := range map[string]any{"title": "<b>Bold</b> & co", "description": "a<b", "project_id": float64(b.project),
		"color_id": "green", "score": 3.0, "task_id": float64(id), "position": 1.0} {
		if d[k] != want {
			t.Errorf("event_data.%s = %v, want %v", k, d[k], want)
		}
		if k != "task_id" && task[k] != want {
			t.Errorf("event_data.task.%s = %v, want %v", k, task[k], want)
		}
	}
	if _, ok := d["is_active"]; ok {
		t.Errorf("task.create carries flat fields Kanboard's documentation does not show: %v", keysOf(d))
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestMigrationCompletesOldEventData: events stored in the earlier, sparse
// and HTML-escaped shape read, after Open, byte for byte as the same
// events written now.
func TestMigrationCompletesOldEventData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := newBoard(t, s, "Old <events> & more")
	u, err := s.CreateUser(ctx, "alice<>", "password123", true)
	if err != nil {
		t.Fatal(err)
	}
	admin := Actor{UserID: u.ID, Username: u.Username, IsAdmin: true}
	must := func(ids []string, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	var ids []string
	task, evs, err := s.CreateTask(ctx, admin, NewTask{ProjectID: b.project, Title: "T <1> & 2", Description: "x<y"})
	ids = append(ids, must(evs, err)...)
	title := "renamed <b>"
	ids = append(ids, must(s.UpdateTask(ctx, admin, task, TaskUpdate{Title: &title}))...)
	ids = append(ids, must(s.MoveTask(ctx, admin, task, TaskMove{ColumnID: b.cols[1].ID, Position: 1}))...)
	_, evs, err = s.CreateTask(ctx, admin, NewTask{ProjectID: b.project, ColumnID: b.cols[1].ID, Title: "Second"})
	must(evs, err)
	ids = append(ids, must(s.MoveTask(ctx, admin, task, TaskMove{ColumnID: b.cols[1].ID, Position: 2}))...)
	commentID, evs, err := s.CreateComment(ctx, admin, task, 0, "a <comment> & more")
	ids = append(ids, must(evs, err)...)
	ids = append(ids, must(s.UpdateComment(ctx, admin, commentID, "edited <comment>"))...)
	subID, evs, err := s.CreateSubtask(ctx, admin, NewSubtask{TaskID: task, Title: "sub <1>", UserID: u.ID})
	ids = append(ids, must(evs, err)...)
	done := SubtaskDone
	ids = append(ids, must(s.UpdateSubtask(ctx, admin, subID, 0, SubtaskUpdate{Status: &done}))...)
	_, evs, err = s.CreateFile(ctx, admin, NewFile{TaskID: task, Name: "a<b>.png", Data: []byte("png")}, 0)
	ids = append(ids, must(evs, err)...)
	ids = append(ids, must(s.CloseTask(ctx, admin, task))...)

	fresh := map[string][]byte{}
	names := map[string]string{}
	for _, id := range ids {
		e, d := eventData(t, s, id)
		fresh[id], names[id] = e.Data, e.Name
		// The shape earlier versions stored: the nested objects and
		// changes, no flat fields (moves keep none either, so they come
		// from changes and the task), HTML-escaped by json.Marshal.
		old := map[string]any{"task_id": d["task_id"], "task": d["task"]}
		for _, k := range []string{"changes", "comment", "subtask", "file"} {
			if v, ok := d[k]; ok {
				old[k] = v
			}
		}
		raw, err := json.Marshal(old)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.writer.ExecContext(ctx, `UPDATE events SET data = ? WHERE id = ?`, string(raw), id); err != nil {
			t.Fatal(err)
		}
	}
	// The oldest shape: a comment's fields flat, its text under "comment".
	if _, err := s.writer.ExecContext(ctx, `INSERT INTO events (id, name, project_id, task_id, created_at_ms, data)
		VALUES ('0-flat', ?, ?, ?, 0, ?)`, EventCommentCreate, b.project, task,
		fmt.Sprintf(`{"task_id":%d,"id":9,"user_id":%d,"comment":"flat \u003ctext\u003e","date_creation":5}`, task, u.ID)); err != nil {
		t.Fatal(err)
	}
	// Migration 007's step, as Open runs it on a database of version 6
	// (rewinding user_version would make Open apply the later migrations
	// again too).
	if err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { return migrationSteps[7](ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		e, err := s.EventByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e.Data, fresh[id]) {
			t.Errorf("%s after the migration:\n got %s\nwant %s", names[id], e.Data, fresh[id])
		}
		if strings.Contains(string(e.Data), `\u003c`) {
			t.Errorf("%s is still escaped: %s", names[id], e.Data)
		}
	}
	_, d := eventData(t, s, "0-flat")
	comment, _ := d["comment"].(map[string]any)
	if comment["comment"] != "flat <text>" || comment["id"] != 9.0 || comment["task_id"] != float64(task) ||
		comment["visibility"] != "app-user" || d["id"] != 9.0 || d["date_creation"] != 5.0 {
		t.Errorf("a flat comment event after the migration: %v", d)
	}
}

// Every event of the catalog has its own "when it fires" sentence and a
// sample that the real builder accepts, configuration events included.
func TestCatalogSamplesEveryEvent(t *testing.T) {
	for _, e := range EventCatalog() {
		if _, ok := eventFires[e.Name]; !ok {
			t.Errorf("%s has no sentence saying when it fires", e.Name)
		}
		ev, err := SampleEvent(e.Name, time.Unix(sampleTime, 0))
		if err != nil || len(ev.Data) == 0 {
			t.Errorf("%s: sample %q, err %v", e.Name, ev.Data, err)
		}
		if slices.Contains(ConfigEventNames, e.Name) && !strings.Contains(string(ev.Data), `"project"`) {
			t.Errorf("%s: sample %s has no project", e.Name, ev.Data)
		}
	}
}
