package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
)

// The task.create event shows the task as the board reads it, with the
// names of what it refers to.
func TestCreateTaskEventNamesItsTask(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	b := newBoard(t, s, "Beta")
	owner, err := s.CreateUser(ctx, "olga", "a long enough password", false)
	if err != nil {
		t.Fatal(err)
	}
	creator, err := s.CreateUser(ctx, "carl", "a long enough password", false)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := s.CreateCategory(ctx, b.project, "Bugs")
	if err != nil {
		t.Fatal(err)
	}
	lane, err := s.CreateSwimlane(ctx, b.project, "Second lane")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE users SET name = 'Olga O.' WHERE id = ?`, owner.ID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE categories SET description = 'Things that break' WHERE id = ?`, cat)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProjectMember(ctx, b.project, owner.ID, ProjectMember); err != nil {
		t.Fatal(err)
	}
	actor := Actor{UserID: creator.ID, Username: "carl"}
	task := NewTask{ProjectID: b.project, ColumnID: b.cols[2].ID, SwimlaneID: lane, CategoryID: cat, OwnerID: owner.ID,
		Title: "Ünïcode title", Description: "some *markdown*", ColorID: "red", Reference: "REF-1",
		DateDue: 1700000000, Score: 5, TimeEstimated: 1.5}
	for _, wantPos := range []float64{1, 2} {
		id, evs, err := s.CreateTask(ctx, actor, task)
		if err != nil {
			t.Fatal(err)
		}
		_, data := eventData(t, s, evs[0])
		got, _ := data["task"].(map[string]any)
		want := map[string]any{
			"id": float64(id), "title": "Ünïcode title", "project_id": float64(b.project), "project_name": "Beta",
			"column_id": float64(b.cols[2].ID), "column_title": b.cols[2].Title, "column_position": float64(b.cols[2].Position),
			"swimlane_id": float64(lane), "swimlane_name": "Second lane", "category_id": float64(cat), "category_name": "Bugs",
			"category_description": "Things that break", "owner_id": float64(owner.ID), "assignee_username": "olga",
			"assignee_name": "Olga O.", "creator_id": float64(creator.ID), "creator_username": "carl", "creator_name": nil,
			"color_id": "red", "reference": "REF-1", "date_due": float64(1700000000), "score": float64(5),
			"time_estimated": 1.5, "is_active": float64(1), "position": wantPos,
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("task %d: event_data.task.%s = %#v, want %#v", id, k, got[k], v)
			}
		}
	}
}

// The combined placement query must refuse exactly what the separate checks
// refused, with the same reason, and write nothing.
func TestCreateTaskPlacementErrors(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	a := newBoard(t, s, "Alpha")
	b := newBoard(t, s, "Beta")
	catB, err := s.CreateCategory(ctx, b.project, "B only")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		task NewTask
		want string
	}{
		{NewTask{ProjectID: 999, Title: "x"}, "project_id 999 does not exist"},
		{NewTask{ProjectID: a.project, ColumnID: 999, Title: "x"}, "column_id 999 does not exist"},
		{NewTask{ProjectID: a.project, ColumnID: b.cols[0].ID, Title: "x"}, "column_id " + itoa(b.cols[0].ID) + " belongs to another project"},
		{NewTask{ProjectID: a.project, SwimlaneID: 999, Title: "x"}, "swimlane_id 999 does not exist"},
		{NewTask{ProjectID: a.project, SwimlaneID: b.lane, Title: "x"}, "swimlane_id " + itoa(b.lane) + " belongs to another project"},
		{NewTask{ProjectID: a.project, CategoryID: 999, Title: "x"}, "category_id 999 does not exist"},
		{NewTask{ProjectID: a.project, CategoryID: catB, Title: "x"}, "category_id " + itoa(catB) + " belongs to another project"},
		{NewTask{ProjectID: a.project, OwnerID: 999, Title: "x"}, "owner_id 999 does not exist"},
		{NewTask{ProjectID: a.project, ColumnID: 999, SwimlaneID: 999, OwnerID: 999, Title: "x"}, "column_id 999 does not exist"},
	}
	for _, c := range cases {
		_, _, err := s.CreateTask(ctx, Actor{}, c.task)
		var inv *InvalidError
		if !errors.As(err, &inv) || inv.Reason != c.want {
			t.Errorf("%+v: got %v, want invalid %q", c.task, err, c.want)
		}
		if err := s.CheckTask(ctx, Integration{}, c.task); !errors.As(err, &inv) || inv.Reason != c.want {
			t.Errorf("CheckTask %+v: got %v, want invalid %q", c.task, err, c.want)
		}
	}
	if n, err := s.TaskCount(ctx); err != nil || n != 0 {
		t.Fatalf("tasks after refused creates: %d, %v", n, err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
