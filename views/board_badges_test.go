package views

import (
	"strings"
	"testing"
)

// TestBoardColumnLimit: a column with a task limit shows its open tasks
// over the limit, as Kanboard does, and says when it is over in words.
func TestBoardColumnLimit(t *testing.T) {
	v := BoardPage{
		Page: Page{Title: "Default", Active: "board", User: &Viewer{Username: "ann"}},
		Lanes: []Lane{{ID: 5, Name: "Default swimlane", Cells: []Cell{
			{ColumnID: 10, SwimlaneID: 5, Column: "Backlog"},
			{ColumnID: 11, SwimlaneID: 5, Column: "Ready", Limit: 3, Open: 2},
			{ColumnID: 12, SwimlaneID: 5, Column: "Work in progress", Limit: 2, Open: 3, OverLimit: true},
		}}},
	}
	doc := render(t, BoardView(v))
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if got := doc.Find(testID("column-10") + " " + testID("column-limit")).Length(); got != 0 {
		t.Fatal("a column without a limit shows one")
	}
	if got := norm(doc.Find(testID("column-11") + " " + testID("column-limit")).Text()); got != "2/3" {
		t.Fatalf("Ready shows %q, want 2/3", got)
	}
	over := doc.Find(testID("column-12"))
	if got := norm(over.Find(testID("column-limit")).Text()); got != "3/2 over limit" || !over.HasClass("over-limit") {
		t.Fatalf("Work in progress shows %q (classes %q), want 3/2 over limit", got, over.AttrOr("class", ""))
	}
	// Every cell says where a dropped card goes.
	if c := doc.Find(testID("column-12")); c.AttrOr("data-column-id", "") != "12" || c.AttrOr("data-swimlane-id", "") != "5" {
		t.Fatal("a cell lacks its column or swimlane id")
	}
}

// TestCardBadges: what a card shows for its counts, dates and people; a
// closed card cannot be dragged.
func TestCardBadges(t *testing.T) {
	doc := render(t, CardView(Card{ID: 7, Title: "t", ColorID: "red", Owner: "bob", Category: "Bug", DateDue: "2030-01-01",
		Overdue: true, SubtasksDone: 1, SubtasksTotal: 1, Comments: 1, Files: 2}, true, ""))
	norm := func(id string) string { return strings.Join(strings.Fields(doc.Find(testID(id)).Text()), " ") }
	for id, want := range map[string]string{
		"card-owner": "Assigned to bob", "card-category": "Category Bug", "card-due": "Overdue 2030-01-01",
		"card-subtasks": "1/1 subtasks done", "card-comments": "1 comment", "card-files": "2 files",
	} {
		if got := norm(id); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if doc.Find(testID("task-card")).AttrOr("data-drag", "") != "/tasks/7/move" {
		t.Error("an open card cannot be dragged")
	}
	closed := render(t, CardView(Card{ID: 8, Title: "t", ColorID: "red", Closed: true, DateDue: "2030-01-01"}, true, ""))
	if _, ok := closed.Find(testID("task-card")).Attr("data-drag"); ok {
		t.Error("a closed card can be dragged")
	}
	if got := strings.Join(strings.Fields(closed.Find(testID("card-due")).Text()), " "); got != "Due 2030-01-01" {
		t.Errorf("closed card's date %q", got)
	}
	if closed.Find(testID("card-subtasks")+", "+testID("card-comments")+", "+testID("card-files")).Length() != 0 {
		t.Error("zero counts are shown")
	}
}
