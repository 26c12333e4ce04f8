package store

import (
	"context"
	"testing"
)

// TestBoardTasksCounts: each card carries its own subtask, comment and file
// counts, and a task with nothing attached counts zero.
func TestBoardTasksCounts(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	b := newBoard(t, s, "P")
	other := newBoard(t, s, "Other")
	busy, _, _ := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "busy"})
	idle, _, _ := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: b.project, Title: "idle"})
	elsewhere, _, _ := s.CreateTask(ctx, Actor{}, NewTask{ProjectID: other.project, Title: "elsewhere"})
	for i, title := range []string{"a", "b", "c", "d", "e"} {
		st := SubtaskTodo
		if i < 2 {
			st = SubtaskDone
		}
		if _, _, err := s.CreateSubtask(ctx, Actor{}, NewSubtask{TaskID: busy, Title: title, Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	for _, text := range []string{"one", "two", "three"} {
		if _, _, err := s.CreateComment(ctx, Actor{}, busy, 0, text); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CreateFile(ctx, Actor{}, NewFile{TaskID: busy, ProjectID: b.project, Name: "a.txt", Data: []byte("x")}, 0); err != nil {
		t.Fatal(err)
	}
	// Attachments of another project's task must not leak into these counts.
	if _, _, err := s.CreateComment(ctx, Actor{}, elsewhere, 0, "not here"); err != nil {
		t.Fatal(err)
	}

	cards, err := s.BoardTasks(ctx, b.project, TaskOpen, SearchFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 {
		t.Fatalf("%d cards, want 2", len(cards))
	}
	got := map[int64]BoardTask{}
	for _, c := range cards {
		got[c.ID] = c
	}
	if c := got[busy]; c.Title != "busy" || c.SubtasksDone != 2 || c.SubtasksTotal != 5 || c.Comments != 3 || c.Files != 1 {
		t.Fatalf("busy card: %d/%d subtasks, %d comments, %d files (%q)", c.SubtasksDone, c.SubtasksTotal, c.Comments, c.Files, c.Title)
	}
	if c := got[idle]; c.Title != "idle" || c.SubtasksTotal != 0 || c.Comments != 0 || c.Files != 0 {
		t.Fatalf("idle card: %+v", c)
	}

	if _, err := s.CloseTask(ctx, Actor{}, idle); err != nil {
		t.Fatal(err)
	}
	if open, _ := s.BoardTasks(ctx, b.project, TaskOpen, SearchFilter{}); len(open) != 1 || open[0].ID != busy {
		t.Fatalf("open cards after closing one: %+v", open)
	}
	if all, _ := s.BoardTasks(ctx, b.project, TaskAny, SearchFilter{}); len(all) != 2 {
		t.Fatalf("all cards: %d, want 2", len(all))
	}
}
