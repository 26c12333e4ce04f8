package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
)

// createTaskTx builds the task.create snapshot from what it wrote instead
// of reading the row back: it must equal the row read back, whatever the
// placement, category, owner and creator.
func TestCreateTaskSnapshotMatchesRow(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	a := newBoard(t, s, "Alpha")
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
	if err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE users SET name = 'Olga O.' WHERE id = ?`, owner.ID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE categories SET description = 'Things that break' WHERE id = ?`, cat)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		actor Actor
		task  NewTask
	}{
		{"defaults, integration actor", Actor{IntegrationID: 1}, NewTask{Title: "plain"}},
		{"defaults, user actor without name", Actor{UserID: creator.ID, Username: "carl"}, NewTask{Title: "by carl"}},
		{"everything", Actor{UserID: creator.ID, Username: "carl"}, NewTask{
			ProjectID: b.project, ColumnID: b.cols[2].ID, SwimlaneID: lane, CategoryID: cat, OwnerID: owner.ID,
			Title: "Ünïcode title", Description: "some *markdown*", ColorID: "red", Reference: "REF-1",
			DateDue: 1700000000, DateStarted: 1690000000, Score: 5, Priority: 2, TimeEstimated: 1.5, TimeSpent: 0.25,
		}},
		{"explicit creator", Actor{UserID: owner.ID}, NewTask{ProjectID: a.project, ColumnID: a.cols[1].ID, CreatorID: creator.ID, Title: "second"}},
		{"same cell again", Actor{}, NewTask{ProjectID: b.project, ColumnID: b.cols[2].ID, SwimlaneID: lane, Title: "next position"}},
	}
	// Each case twice: the second time the placement and its names come
	// from the configuration cache.
	for i := range 2 * len(cases) {
		c := cases[i%len(cases)]
		if i >= len(cases) {
			c.name += ", placement cached"
		}
		id, evs, err := s.CreateTask(ctx, c.actor, c.task)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, data := eventData(t, s, evs[0])
		row, err := s.TaskByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(row)
		got, _ := json.Marshal(data["task"])
		var w, g map[string]any
		json.Unmarshal(want, &w)
		json.Unmarshal(got, &g)
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if string(wj) != string(gj) {
			t.Errorf("%s: snapshot in the event\n%s\nrow read back\n%s", c.name, gj, wj)
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
		if err := s.CheckTask(ctx, c.task); !errors.As(err, &inv) || inv.Reason != c.want {
			t.Errorf("CheckTask %+v: got %v, want invalid %q", c.task, err, c.want)
		}
	}
	if n, err := s.TaskCount(ctx); err != nil || n != 0 {
		t.Fatalf("tasks after refused creates: %d, %v", n, err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
