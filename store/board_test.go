package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := openTest(t, testDB(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// boardFixture is a project with its four columns and default swimlane.
type boardFixture struct {
	project int64
	cols    []Column
	lane    int64
}

func newBoard(t *testing.T, s *Store, name string) boardFixture {
	t.Helper()
	ctx := context.Background()
	pid, err := s.CreateProject(ctx, name, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := s.Columns(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	lanes, err := s.Swimlanes(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	return boardFixture{pid, cols, lanes[0].ID}
}

// cell returns the task ids of a cell in position order and checks the
// positions are exactly 1..n.
func cell(t *testing.T, s *Store, project, column, lane int64) []int64 {
	t.Helper()
	tasks, err := s.Tasks(context.Background(), project, TaskAny)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, tk := range tasks {
		if tk.ColumnID == column && tk.SwimlaneID == lane {
			ids = append(ids, tk.ID)
			if tk.Position != int64(len(ids)) {
				t.Fatalf("cell %d/%d: task %d at position %d, want %d", column, lane, tk.ID, tk.Position, len(ids))
			}
		}
	}
	return ids
}

func eventData(t *testing.T, s *Store, id string) (Event, map[string]any) {
	t.Helper()
	e, err := s.EventByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatal(err)
	}
	return e, m
}

func TestMoveKeepsPositionsDense(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	b := newBoard(t, s, "P")
	var ids []int64
	for _, title := range []string{"a", "b", "c", "d"} {
		id, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	col1, col2 := b.cols[0].ID, b.cols[1].ID
	// Reorder: d to the top.
	evs, err := s.MoveTask(ctx, Actor{}, ids[3], TaskMove{Position: 1})
	if err != nil || len(evs) != 1 {
		t.Fatalf("move: %v %v", evs, err)
	}
	if e, d := eventData(t, s, evs[0]); e.Name != EventTaskMovePosition || d["position"].(float64) != 1 {
		t.Fatalf("event %s %v", e.Name, d)
	}
	if got := cell(t, s, b.project, col1, b.lane); !equalIDs(got, []int64{ids[3], ids[0], ids[1], ids[2]}) {
		t.Fatalf("after reorder: %v", got)
	}
	// b to column 2, far past the end: it lands at the end (position 1).
	evs, err = s.MoveTask(ctx, Actor{}, ids[1], TaskMove{ColumnID: col2, Position: 99})
	if err != nil {
		t.Fatal(err)
	}
	e, d := eventData(t, s, evs[0])
	if e.Name != EventTaskMoveColumn || d["src_column_id"].(float64) != float64(col1) || d["dst_column_id"].(float64) != float64(col2) {
		t.Fatalf("event %s %v", e.Name, d)
	}
	if got := cell(t, s, b.project, col1, b.lane); !equalIDs(got, []int64{ids[3], ids[0], ids[2]}) {
		t.Fatalf("source after move: %v", got)
	}
	if got := cell(t, s, b.project, col2, b.lane); !equalIDs(got, []int64{ids[1]}) {
		t.Fatalf("destination after move: %v", got)
	}
	// Same place: no event.
	if evs, err := s.MoveTask(ctx, Actor{}, ids[1], TaskMove{Position: 1}); err != nil || len(evs) != 0 {
		t.Fatalf("no-op move: %v %v", evs, err)
	}
	// Delete closes the gap.
	if _, err := s.DeleteTask(ctx, Actor{}, ids[3]); err != nil {
		t.Fatal(err)
	}
	if got := cell(t, s, b.project, col1, b.lane); !equalIDs(got, []int64{ids[0], ids[2]}) {
		t.Fatalf("after delete: %v", got)
	}
	// Another project's column is refused and nothing moves.
	other := newBoard(t, s, "Q")
	if _, err := s.MoveTask(ctx, Actor{}, ids[0], TaskMove{ColumnID: other.cols[0].ID, Position: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("foreign column: %v", err)
	}
	if got := cell(t, s, b.project, col1, b.lane); !equalIDs(got, []int64{ids[0], ids[2]}) {
		t.Fatalf("after refused move: %v", got)
	}
	// To another project: end of its first column; source stays dense.
	evs, err = s.MoveTaskToProject(ctx, Actor{}, ids[0], ProjectMove{ProjectID: other.project})
	if err != nil {
		t.Fatal(err)
	}
	if e, d := eventData(t, s, evs[0]); e.Name != EventTaskMoveProject || e.ProjectID != other.project || d["src_project_id"].(float64) != float64(b.project) {
		t.Fatalf("event %s %d %v", e.Name, e.ProjectID, d)
	}
	if got := cell(t, s, b.project, col1, b.lane); !equalIDs(got, []int64{ids[2]}) {
		t.Fatalf("source after project move: %v", got)
	}
	if got := cell(t, s, other.project, other.cols[0].ID, other.lane); !equalIDs(got, []int64{ids[0]}) {
		t.Fatalf("destination after project move: %v", got)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestUpdateTaskEvents(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	b := newBoard(t, s, "P")
	u, err := s.CreateUser(ctx, "bob", "password123", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddProjectMember(ctx, b.project, u.ID, ProjectMember); err != nil {
		t.Fatal(err)
	}
	id, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	i64 := func(v int64) *int64 { return &v }

	evs, err := s.UpdateTask(ctx, Actor{}, id, TaskUpdate{OwnerID: i64(u.ID)})
	if err != nil || len(evs) != 1 {
		t.Fatalf("owner change: %v %v", evs, err)
	}
	if e, d := eventData(t, s, evs[0]); e.Name != EventTaskAssigneeChange || len(d["changes"].(map[string]any)) != 1 {
		t.Fatalf("owner change event %s %v", e.Name, d["changes"])
	}
	evs, err = s.UpdateTask(ctx, Actor{}, id, TaskUpdate{Title: str("t2"), Description: str("")})
	if err != nil || len(evs) != 1 {
		t.Fatalf("title change: %v %v", evs, err)
	}
	e, d := eventData(t, s, evs[0])
	if ch := d["changes"].(map[string]any); e.Name != EventTaskUpdate || len(ch) != 1 || ch["title"] != "t2" {
		t.Fatalf("title event %s %v", e.Name, ch)
	}
	if evs, err := s.UpdateTask(ctx, Actor{}, id, TaskUpdate{Title: str("t2")}); err != nil || len(evs) != 0 {
		t.Fatalf("unchanged update: %v %v", evs, err)
	}
	for _, bad := range []TaskUpdate{{ColorID: str("notacolor")}, {OwnerID: i64(999)}, {Title: str(" ")}} {
		if _, err := s.UpdateTask(ctx, Actor{}, id, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad update %+v: %v", bad, err)
		}
	}
	if _, err := s.UpdateTask(ctx, Actor{}, 999, TaskUpdate{Title: str("x")}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown task: %v", err)
	}
	snap, _ := s.TaskByID(ctx, id)
	if snap.Title != "t2" || snap.OwnerID != u.ID || snap.ColorID != "yellow" {
		t.Fatalf("task after updates: %+v", snap)
	}
}

func TestCommentsSubtasksFiles(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	b := newBoard(t, s, "P")
	alice, _ := s.CreateUser(ctx, "alice", "password123", false)
	bob, _ := s.CreateUser(ctx, "bob", "password123", false)
	id, _, _ := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "t"})
	asAlice := Actor{UserID: alice.ID, Username: "alice"}
	asBob := Actor{UserID: bob.ID, Username: "bob"}

	cid, evs, err := s.CreateComment(ctx, asAlice, id, 0, "hello")
	if err != nil {
		t.Fatal(err)
	}
	e, d := eventData(t, s, evs[0])
	if c := d["comment"].(map[string]any); e.Name != EventCommentCreate || c["comment"] != "hello" || c["username"] != "alice" || d["user_id"].(float64) != float64(alice.ID) {
		t.Fatalf("comment event %s %v", e.Name, d)
	}
	if _, err := s.UpdateComment(ctx, asBob, cid, "mine now"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member editing another's comment: %v", err)
	}
	if _, err := s.DeleteComment(ctx, asBob, cid); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member deleting another's comment: %v", err)
	}
	if _, _, err := s.CreateComment(ctx, asAlice, 999, 0, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("comment on unknown task: %v", err)
	}
	if _, err := s.UpdateComment(ctx, asAlice, cid, "edited"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.CommentByID(ctx, cid); c.Comment != "edited" {
		t.Fatalf("comment after edit: %+v", c)
	}

	s1, _, err := s.CreateSubtask(ctx, asAlice, NewSubtask{TaskID: id, Title: "one"})
	if err != nil {
		t.Fatal(err)
	}
	s2, _, _ := s.CreateSubtask(ctx, asAlice, NewSubtask{TaskID: id, Title: "two"})
	s3, _, _ := s.CreateSubtask(ctx, asAlice, NewSubtask{TaskID: id, Title: "three"})
	if _, err := s.DeleteSubtask(ctx, asAlice, s1); err != nil {
		t.Fatal(err)
	}
	list, _ := s.Subtasks(ctx, id)
	if len(list) != 2 || list[0].ID != s2 || list[0].Position != 1 || list[1].ID != s3 || list[1].Position != 2 {
		t.Fatalf("subtasks after delete: %+v", list)
	}
	done := SubtaskDone
	evs, err = s.UpdateSubtask(ctx, asAlice, s2, id, SubtaskUpdate{Status: &done})
	if err != nil {
		t.Fatal(err)
	}
	if e, d := eventData(t, s, evs[0]); e.Name != EventSubtaskUpdate || d["subtask"].(map[string]any)["status_name"] != "Done" {
		t.Fatalf("subtask event %s %v", e.Name, d)
	}
	bad := 7
	if _, err := s.UpdateSubtask(ctx, asAlice, s2, id, SubtaskUpdate{Status: &bad}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad status: %v", err)
	}
	if _, err := s.UpdateSubtask(ctx, asAlice, s2, id+1, SubtaskUpdate{Status: &done}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wrong task: %v", err)
	}

	fid, evs, err := s.CreateFile(ctx, asAlice, NewFile{TaskID: id, Name: "../a.txt", Data: []byte("hello")}, 10)
	if err != nil {
		t.Fatal(err)
	}
	e, d = eventData(t, s, evs[0])
	if f := d["file"].(map[string]any); e.Name != EventFileCreate || f["name"] != "a.txt" || f["size"].(float64) != 5 ||
		f["etag"] != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatalf("file event %s %v", e.Name, d)
	}
	if _, ok := d["data"]; ok {
		t.Fatal("file content in the event")
	}
	if _, _, err := s.CreateFile(ctx, asAlice, NewFile{TaskID: id, Name: "big", Data: make([]byte, 11)}, 10); !errors.Is(err, ErrInvalid) {
		t.Fatalf("file over limit: %v", err)
	}
	f, data, err := s.FileData(ctx, fid)
	if err != nil || string(data) != "hello" || f.MimeType != "text/plain; charset=utf-8" {
		t.Fatalf("file data: %+v %q %v", f, data, err)
	}
	if _, err := s.DeleteFile(ctx, asAlice, fid); err != nil {
		t.Fatal(err)
	}
	if files, _ := s.Files(ctx, id); len(files) != 0 {
		t.Fatalf("files after delete: %v", files)
	}
}
