package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func tagNames(t *testing.T, s *Store, taskID int64) []string {
	t.Helper()
	tags, err := s.TaskTags(context.Background(), taskID)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, tg := range tags {
		out = append(out, tg.Name)
	}
	return out
}

// TestTaskTagsAndEvents: tags are found or created by name, a change is a
// task.update listing the tags, the same set again is nothing, and a
// refused set changes nothing.
func TestTaskTagsAndEvents(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	b, other := newBoard(t, s, "A"), newBoard(t, s, "B")
	global, err := s.CreateTag(ctx, 0, "Urgent", "red")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTag(ctx, 0, "Urgent", ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("a second global Urgent: %v, want ErrConflict", err)
	}
	id, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "x", Tags: []string{"urgent", "db", "DB", " "}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagNames(t, s, id); !slices.Equal(got, []string{"Urgent", "db"}) {
		t.Fatalf("tags %v, want the global Urgent and a new db", got)
	}
	project, _ := s.TagsByProject(ctx, b.project)
	if len(project) != 1 || project[0].Name != "db" {
		t.Fatalf("project tags %v, want only db", project)
	}
	before, _ := s.EventCount(ctx, "")
	if evs, err := s.SetTaskTags(ctx, Actor{}, b.project, id, []string{"DB", "URGENT"}); err != nil || len(evs) != 0 {
		t.Fatalf("the same set in other case: %v %v, want no event", evs, err)
	}
	if _, err := s.SetTaskTags(ctx, Actor{}, other.project, id, []string{"x"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("another project's id: %v", err)
	}
	if _, err := s.SetTaskTags(ctx, Actor{}, b.project, id, []string{"ok", "bad\x00"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a control character: %v", err)
	}
	if got := tagNames(t, s, id); !slices.Equal(got, []string{"Urgent", "db"}) {
		t.Fatalf("a refused set changed the tags to %v", got)
	}
	if after, _ := s.EventCount(ctx, ""); after != before {
		t.Fatalf("%d events from sets that changed nothing", after-before)
	}
	evs, err := s.SetTaskTags(ctx, Actor{}, b.project, id, []string{"db", "new"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("set: %v %v", evs, err)
	}
	ev, data := eventData(t, s, evs[0])
	if ev.Name != EventTaskUpdate || !slices.Equal(anyStrings(data["changes"].(map[string]any)["tags"]), []string{"db", "new"}) {
		t.Fatalf("event %s changes %v", ev.Name, data["changes"])
	}
	evs, err = s.RemoveTag(ctx, Actor{}, global)
	if err != nil || len(evs) != 0 {
		t.Fatalf("removing a tag no task carries: %v %v", evs, err)
	}
	newTag := project[0].ID + 1
	if evs, err = s.RemoveTag(ctx, Actor{}, newTag); err != nil || len(evs) != 1 {
		t.Fatalf("removing a carried tag: %v %v", evs, err)
	}
	if got := tagNames(t, s, id); !slices.Equal(got, []string{"db"}) {
		t.Fatalf("after removal: %v", got)
	}
	if _, err := s.RemoveTag(ctx, Actor{}, newTag); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing it again: %v", err)
	}
	if err := s.UpdateTag(ctx, 999, "x", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("updating an unknown tag: %v", err)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestSubtaskPosition: a position moves a subtask in its list and the
// others close up.
func TestSubtaskPosition(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	b := newBoard(t, s, "A")
	task, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, title := range []string{"a", "b", "c", "d"} {
		id, _, err := s.CreateSubtask(ctx, Actor{}, NewSubtask{TaskID: task, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	order := func() string {
		list, err := s.Subtasks(ctx, task)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for i, st := range list {
			if st.Position != int64(i+1) {
				t.Fatalf("positions not 1..n: %v", list)
			}
			out += st.Title
		}
		return out
	}
	move := func(id, pos int64) {
		t.Helper()
		if _, err := s.UpdateSubtask(ctx, Actor{}, id, task, SubtaskUpdate{Position: &pos}); err != nil {
			t.Fatal(err)
		}
	}
	if order() != "abcd" {
		t.Fatal("created out of order")
	}
	move(ids[3], 1)
	if got := order(); got != "dabc" {
		t.Fatalf("d to the top: %s", got)
	}
	move(ids[3], 99)
	if got := order(); got != "abcd" {
		t.Fatalf("d past the end: %s", got)
	}
	move(ids[0], 3)
	if got := order(); got != "bcad" {
		t.Fatalf("a to 3: %s", got)
	}
	zero := int64(0)
	if _, err := s.UpdateSubtask(ctx, Actor{}, ids[0], task, SubtaskUpdate{Position: &zero}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("position 0: %v", err)
	}
}

// TestDuplicateTask: the copy lands in the destination with the task's
// fields, tags, subtasks and files, and each copy has its event.
func TestDuplicateTask(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a, b := newBoard(t, s, "A"), newBoard(t, s, "B")
	catA, _ := s.CreateCategory(ctx, a.project, "Bug")
	catB, _ := s.CreateCategory(ctx, b.project, "bug")
	id, _, err := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: a.project, Title: "Original", Description: "d", ColorID: "green",
		CategoryID: catA, Score: 3, Reference: "R-1", Tags: []string{"ops"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSubtask(ctx, Actor{}, NewSubtask{TaskID: id, Title: "step", Status: SubtaskDone, TimeSpent: 2}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateFile(ctx, Actor{}, NewFile{TaskID: id, Name: "a.txt", Data: []byte("hello")}, 0); err != nil {
		t.Fatal(err)
	}
	copyID, evs, err := s.DuplicateTask(ctx, Actor{}, id, ProjectMove{ProjectID: b.project})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range evs {
		ev, _ := eventData(t, s, e)
		names = append(names, ev.Name)
	}
	if !slices.Equal(names, []string{EventTaskCreate, EventSubtaskCreate, EventFileCreate}) {
		t.Fatalf("events %v", names)
	}
	c, err := s.TaskByID(ctx, copyID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ProjectID != b.project || c.ColumnID != b.cols[0].ID || c.Title != "Original" || c.ColorID != "green" ||
		c.CategoryID != catB || c.Score != 3 || c.Reference != "" {
		t.Fatalf("copy %+v", c)
	}
	if got := tagNames(t, s, copyID); !slices.Equal(got, []string{"ops"}) {
		t.Fatalf("copy's tags %v", got)
	}
	subs, _ := s.Subtasks(ctx, copyID)
	files, _ := s.Files(ctx, copyID)
	if len(subs) != 1 || subs[0].Status != SubtaskTodo || subs[0].TimeSpent != 0 || len(files) != 1 || files[0].Size != 5 {
		t.Fatalf("copy's subtasks %v files %v", subs, files)
	}
	if _, _, err := s.DuplicateTask(ctx, Actor{}, 9999, ProjectMove{ProjectID: b.project}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown task: %v", err)
	}
	n, _ := s.TaskCount(ctx)
	if _, _, err := s.DuplicateTask(ctx, Actor{}, id, ProjectMove{ProjectID: b.project, ColumnID: a.cols[0].ID}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a column of another project: %v", err)
	}
	if m, _ := s.TaskCount(ctx); m != n {
		t.Fatal("a refused copy left a task behind")
	}
}
