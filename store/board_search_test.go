package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// boardFound runs the board's query with a search and names the cards, in
// board order.
func (f *searchFixture) boardFound(t *testing.T, status TaskStatus, query string, me int64) []string {
	t.Helper()
	cards, err := f.s.BoardTasks(context.Background(), f.a.project, status, CompileSearch(query, me, searchNow))
	if err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	names := []string{}
	for _, c := range cards {
		names = append(names, f.nameOf[c.ID])
	}
	return names
}

// TestBoardTasksSearch: the board's cards narrowed by a query in the filter
// language are the tasks searchTasks finds, in board order, still limited
// by the board's open/closed choice and to the project.
func TestBoardTasksSearch(t *testing.T) {
	f := newSearchFixture(t)
	for _, c := range []struct {
		status TaskStatus
		query  string
		want   []string
	}{
		{TaskOpen, "", []string{"t3", "t1"}}, // Backlog before Ready
		{TaskOpen, "assignee:alice", []string{"t1"}},
		{TaskOpen, "assignee:me", []string{"t3"}},
		{TaskOpen, `tag:release`, []string{"t3"}},
		{TaskOpen, `due:<2030-06-16 login`, []string{"t1"}},
		{TaskOpen, "fix login", []string{"t1"}},
		{TaskOpen, "write", []string{}},                // closed: not on a board of open tasks
		{TaskAny, "write", []string{"t2"}},             // shown with closed tasks
		{TaskAny, "status:open", []string{"t3", "t1"}}, // the query's status narrows further
		{TaskOpen, "nothing like this", []string{}},    // no card matches
		{TaskOpen, "project:Beta", []string{}},         // another project's tasks never show
		{TaskAny, "color:blue color:red", []string{"t3", "t1"}},
	} {
		if got := f.boardFound(t, c.status, c.query, f.bob.ID); !slices.Equal(got, c.want) {
			t.Errorf("status %d, %q: %v, want %v", c.status, c.query, got, c.want)
		}
	}
}

// TestCheckSearch: the board's search box accepts what the language reads
// and names what it cannot read, attribute and value, with an example.
func TestCheckSearch(t *testing.T) {
	for _, ok := range []string{"", "fix login", "assignee:me status:open", `due:<2030-01-01 "free text"`, "status:closed",
		"due:none", "due:<=tomorrow", `due:>"next monday"`, `created:"-2 days"`, `modified:"3 days ago"`,
		`createdRange:"2030-01-01..2030-01-31"`, "priority:>=2", "score:5", "id:12", "#12", "unknown:attribute",
		"tag:none", "color:Deep Orange", strings.Repeat("a", MaxSearchLength)} {
		if err := CheckSearch(ok, searchNow); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, c := range []struct{ query, says string }{
		{"status:done", `"status:done" is not a status: write status:open or status:closed`},
		{"due:<nextweek", `in "due:<nextweek", "nextweek" is not a day the search can read: write 2030-01-31`},
		{"completed:someday", `"someday" is not a day`},
		{"createdRange:2030-01-01", `"createdRange:2030-01-01" is not a range of two days: write createdRange:"2030-01-01..2030-01-31"`},
		{`movedRange:"x..2030-01-01"`, `"movedRange:x..2030-01-01" is not a range`},
		{"priority:high", `"priority:high" is not a number: write priority:3 or priority:>=2`},
		{"id:#3", `"id:#3" is not a task number`},
		{"bad\x00byte", "control character"},
		{"\xff", "not valid UTF-8"},
		{strings.Repeat("a", MaxSearchLength+1), "longer than 1000 characters"},
	} {
		err := CheckSearch(c.query, searchNow)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want an invalid-input error saying %q", c.query, err, c.says)
		}
	}
}

// FuzzBoardSearch: any query the search box accepts runs on the board.
func FuzzBoardSearch(f *testing.F) {
	for _, seed := range []string{"", "status:open", `due:<"next monday"`, "createdRange:2030-01-01..x", `"`, "score:>=", "priority:-1"} {
		f.Add(seed)
	}
	fx := newSearchFixture(f)
	f.Fuzz(func(t *testing.T, query string) {
		if CheckSearch(query, searchNow) != nil {
			return
		}
		cards, err := fx.s.BoardTasks(context.Background(), fx.a.project, TaskAny, CompileSearch(query, 1, searchNow))
		if err != nil {
			t.Fatalf("%q: %v", query, err)
		}
		for _, c := range cards {
			if c.ProjectID != fx.a.project {
				t.Fatalf("%q shows task %d of project %d", query, c.ID, c.ProjectID)
			}
		}
	})
}
