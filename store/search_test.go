package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// searchFixture is a project of three tasks (and a look-alike in another
// project) that every attribute of the filter language can tell apart.
type searchFixture struct {
	s          *Store
	a, b       boardFixture
	alice, bob User
	t1, t2, t3 int64
	other      int64
	category   int64
	opsLane    int64
	nameOf     map[int64]string
}

// The fixture's clock: Saturday 2030-06-15, noon UTC.
var searchNow = time.Date(2030, 6, 15, 12, 0, 0, 0, time.UTC)

func newSearchFixture(t testing.TB) *searchFixture {
	t.Helper()
	ctx := context.Background()
	s, err := openTest(t, testDB(t), Options{Now: func() time.Time { return searchNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &searchFixture{s: s}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.a, f.b = newBoardTB(t, s, "Alpha"), newBoardTB(t, s, "Beta")
	f.alice, err = s.CreateUser(ctx, "alice", "alice password", false)
	must(err)
	f.bob, err = s.CreateUser(ctx, "bob", "bob password", false)
	must(err)
	for _, u := range []User{f.alice, f.bob} {
		must(s.AddProjectMember(ctx, f.a.project, u.ID, ProjectMember))
	}
	f.category, err = s.CreateCategory(ctx, f.a.project, "Bug")
	must(err)
	f.opsLane, err = s.CreateSwimlane(ctx, f.a.project, "Ops lane")
	must(err)
	actor := Actor{UserID: f.bob.ID, Username: "bob"}
	today9 := time.Date(2030, 6, 15, 9, 0, 0, 0, time.UTC).Unix()
	f.t1, _, err = s.CreateTask(ctx, actor, NewTask{ProjectID: f.a.project, ColumnID: f.a.cols[1].ID, Title: "Fix login bug",
		Description: "the login page crashes", OwnerID: f.alice.ID, ColorID: "red", CategoryID: f.category,
		Tags: []string{"backend", "urgent"}, Reference: "JIRA-12", Priority: 2, Score: 5, DateDue: today9})
	must(err)
	f.t2, _, err = s.CreateTask(ctx, Actor{UserID: f.alice.ID, Username: "alice"}, NewTask{ProjectID: f.a.project,
		SwimlaneID: f.opsLane, Title: "Write docs", ColorID: "deep_orange", Score: 1})
	must(err)
	f.t3, _, err = s.CreateTask(ctx, Actor{}, NewTask{ProjectID: f.a.project, Title: "Ship 100% release", OwnerID: f.bob.ID,
		ColorID: "blue", Tags: []string{"release"}, Reference: "REL-2030",
		DateDue: time.Date(2030, 6, 20, 0, 0, 0, 0, time.UTC).Unix()})
	must(err)
	f.other, _, err = s.CreateTask(ctx, actor, NewTask{ProjectID: f.b.project, Title: "Fix login bug", Tags: []string{"urgent"}})
	must(err)
	_, _, err = s.CreateComment(ctx, actor, f.t1, f.bob.ID, "seen in prod")
	must(err)
	_, _, err = s.CreateSubtask(ctx, actor, NewSubtask{TaskID: f.t1, Title: "reproduce", UserID: f.bob.ID})
	must(err)
	_, _, err = s.CreateSubtask(ctx, actor, NewSubtask{TaskID: f.t3, Title: "tag it", UserID: f.alice.ID, Status: SubtaskDone})
	must(err)
	_, err = s.CloseTask(ctx, actor, f.t2)
	must(err)
	f.nameOf = map[int64]string{f.t1: "t1", f.t2: "t2", f.t3: "t3", f.other: "other"}
	return f
}

func newBoardTB(t testing.TB, s *Store, name string) boardFixture {
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

// found runs a search in project A and names the tasks found.
func (f *searchFixture) found(t *testing.T, query string, me int64) []string {
	t.Helper()
	rows, err := f.s.SearchTasks(context.Background(), f.a.project, query, me)
	if err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	names := []string{}
	for _, r := range rows {
		names = append(names, f.nameOf[r.ID])
	}
	return names
}

// TestSearchAttributes: each attribute of Kanboard's filter language (reference
// §2), its values, synonyms and quirks, on the same three tasks.
func TestSearchAttributes(t *testing.T) {
	f := newSearchFixture(t)
	all := []string{"t1", "t2", "t3"}
	none := []string{}
	id := func(n int64) string { return fmt.Sprint(n) }
	cases := []struct {
		query string
		me    int64
		want  []string
	}{
		{"", 0, all},
		{"   ", 0, all},
		// status
		{"status:open", 0, []string{"t1", "t3"}},
		{"STATUS:closed", 0, []string{"t2"}},
		{"status:1", 0, []string{"t1", "t3"}},
		{"status:whatever", 0, all},
		{"status: open", 0, none}, // the space drops the attribute: "open" is free text
		// assignee, creator
		{"assignee:alice", 0, []string{"t1"}},
		{"assignee:ALI", 0, []string{"t1"}},
		{"assignee:" + id(f.bob.ID), 0, []string{"t3"}},
		{"assignee:me", f.alice.ID, []string{"t1"}},
		{"assignee:me", 0, []string{"t2"}}, // an application is nobody
		{"assignee:nobody", 0, []string{"t2"}},
		{"assignee:anybody", 0, []string{"t1", "t3"}},
		{"assignee:alice assignee:bob", 0, []string{"t1", "t3"}}, // one attribute's values are OR-ed
		{"creator:bob", 0, []string{"t1"}},
		{"creator:me", f.alice.ID, []string{"t2"}},
		{"creator:nobody", 0, []string{"t3"}},
		// subtask:assignee looks at subtasks not done; the username is a prefix
		{"subtask:assignee:bob", 0, []string{"t1"}},
		{"subtask:assignee:b", 0, []string{"t1"}},
		{"subtask:assignee:ob", 0, none},
		{"subtask:assignee:alice", 0, none},
		{"subtask:assignee:me", f.bob.ID, []string{"t1"}},
		{"subtask:assignee:anybody", 0, []string{"t1"}},
		// category
		{"category:bug", 0, []string{"t1"}},
		{"category:" + id(f.category), 0, []string{"t1"}},
		{"category:none", 0, []string{"t2", "t3"}},
		{"category:Bu", 0, none},
		// color
		{"color:red", 0, []string{"t1"}},
		{`color:"Deep Orange"`, 0, []string{"t2"}},
		{"color:DEEP_ORANGE", 0, []string{"t2"}},
		{"colour:Blue", 0, []string{"t3"}},
		{"color:chartreuse", 0, none},
		// column, swimlane, project
		{"column:Ready", 0, []string{"t1"}},
		{"column:" + id(f.a.cols[0].ID), 0, []string{"t2", "t3"}},
		{"column:ready", 0, none},
		{`swimlane:"ops LANE"`, 0, []string{"t2"}},
		{`swimlane:"Default swimlane"`, 0, []string{"t1", "t3"}},
		{"project:" + id(f.a.project), 0, all},
		{"project:" + id(f.b.project), 0, none},
		{"project:alpha", 0, all},
		// text in fields
		{"description:crashes", 0, []string{"t1"}},
		{"desc:CRASH", 0, []string{"t1"}},
		{"comment:prod", 0, []string{"t1"}},
		{"comment:nothing", 0, none},
		{"search:prod", 0, []string{"t1"}},
		{"search:docs", 0, []string{"t2"}},
		{"search:" + id(f.t3), 0, []string{"t3"}},
		// tags
		{"tag:urgent", 0, []string{"t1"}},
		{"tag:rel", 0, []string{"t3"}}, // a substring
		{"tag:none", 0, []string{"t2"}},
		{"tag:backend tag:release", 0, []string{"t1", "t3"}},
		{"link:blocks", 0, none},
		// reference, id
		{"ref:JIRA-12", 0, []string{"t1"}},
		{"reference:jira-*", 0, []string{"t1"}},
		{"ref:REL*", 0, []string{"t3"}},
		{"ref:none", 0, []string{"t2"}},
		{"id:" + id(f.t2), 0, []string{"t2"}},
		{"id:abc", 0, none},
		{"#" + id(f.t3), 0, []string{"t3"}},
		{id(f.t3), 0, []string{"t3"}},
		// numbers
		{"priority:2", 0, []string{"t1"}},
		{"priority:>=1", 0, []string{"t1"}},
		{"priority:<1", 0, []string{"t2", "t3"}},
		{"score:>1", 0, []string{"t1"}},
		{"complexity:1", 0, []string{"t2"}},
		{"score:<=1", 0, []string{"t2", "t3"}},
		// dates: the clock says Saturday 2030-06-15 noon UTC
		{"due:today", 0, []string{"t1"}},
		{"due:2030-06-15", 0, []string{"t1"}},
		{"due:06/20/2030", 0, []string{"t3"}},
		{"due:none", 0, []string{"t2"}},
		{"due:<tomorrow", 0, []string{"t1"}},
		{"due:>today", 0, []string{"t3"}},
		{"due:>=2030-06-16", 0, []string{"t3"}},
		{"due:<=2030-06-15", 0, []string{"t1"}},
		{`due:<"next monday"`, 0, []string{"t1"}},
		{`due:"+5 days"`, 0, []string{"t3"}},
		{`due:"5 days ago"`, 0, none},
		{"due:thursday", 0, []string{"t3"}},
		{"due:nonsense", 0, none}, // unreadable is 1970-01-01
		{"created:today", 0, all},
		{"created:<today", 0, none},
		{"created:yesterday", 0, none},
		{"modified:>=yesterday", 0, all},
		{"updated:today", 0, all},
		{"moved:today", 0, all},
		{"completed:today", 0, []string{"t2"}},
		{"started:today", 0, none},
		{`createdRange:"2030-06-01..2030-06-30"`, 0, all},
		{`createdRange:"2030-07-01..2030-07-31"`, 0, none},
		{`updatedRange:"06/15/2030..06/15/2030"`, 0, all},
		{`completedRange:"2030-06-15..2030-06-15"`, 0, []string{"t2"}},
		{"createdRange:2030-07-01..2030-07-31", 0, none}, // unquoted: the date token takes one day, the rest is free text
		// free text and title:
		{"login", 0, []string{"t1"}},
		{"LOGIN", 0, []string{"t1"}},
		{"fix status:open", 0, []string{"t1"}},
		{"title:docs", 0, []string{"t2"}},
		{"title:docs ship", 0, []string{"t3"}}, // free text replaces title:
		{"fix status:open bug", 0, none},       // "fix  bug", two spaces, as Kanboard
		{"100%", 0, []string{"t3"}},
		{`"login bug"`, 0, []string{"t1"}},
		// different attributes are AND-ed
		{"status:open assignee:bob", 0, []string{"t3"}},
		{"status:closed tag:urgent", 0, none},
	}
	for _, c := range cases {
		if got := f.found(t, c.query, c.me); !slices.Equal(got, c.want) {
			t.Errorf("%q (me %d): found %v, want %v", c.query, c.me, got, c.want)
		}
	}
}

// TestSearchLexer: how a query splits, as Kanboard's Lexer::map does.
func TestSearchLexer(t *testing.T) {
	cases := []struct {
		query  string
		values map[string][]string
		free   string
	}{
		{"status:open", map[string][]string{"status": {"open"}}, ""},
		{"Assignee:Me due:<2030-01-01", map[string][]string{"assignee": {"Me"}, "due": {"<2030-01-01"}}, ""},
		{`due:<"next monday" x`, map[string][]string{"due": {"<next monday"}}, "x"},
		{`tag:"two words"`, map[string][]string{"tag": {"two words"}}, ""},
		{"status: open", map[string][]string{}, "open"},
		{"status:assignee:me", map[string][]string{}, "me"}, // an attribute swallows what follows it
		{"subtask:assignee:bob", map[string][]string{"subtask:assignee": {"bob"}}, ""},
		{"desc:x description:y", map[string][]string{"description": {"x", "y"}}, ""},
		{"a  status:open   b", map[string][]string{"status": {"open"}}, "a     b"},
		{"score:>=5 priority:<2", map[string][]string{"score": {">=5"}, "priority": {"<2"}}, ""},
		{"status:", map[string][]string{}, ""},
		{"nostatus:x", map[string][]string{}, "nostatus:x"},
	}
	for _, c := range cases {
		p := parseSearch(c.query)
		if fmt.Sprint(p.values) != fmt.Sprint(c.values) || p.free != c.free {
			t.Errorf("%q: values %v free %q, want %v %q", c.query, p.values, p.free, c.values, c.free)
		}
	}
}

// TestSearchUsesIndex: a project's search reads that project's tasks
// through an index, never the whole tasks table.
func TestSearchUsesIndex(t *testing.T) {
	skipOnPostgres(t, "the query plans asserted are SQLite's (EXPLAIN QUERY PLAN)")
	f := newSearchFixture(t)
	for _, query := range []string{"", "status:open assignee:me", "tag:x due:<tomorrow", "#12", "search:x category:none",
		"subtask:assignee:bob comment:x", `createdRange:"2030-01-01..2030-02-01" swimlane:x column:y project:z`} {
		q, args := f.s.searchQuery(f.a.project, query, 1)
		rows, err := f.s.reader.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		usesIndex := false
		for _, d := range plan {
			if d == "SCAN t" || strings.HasPrefix(d, "SCAN t ") {
				t.Errorf("%q scans every task:\n%s", query, strings.Join(plan, "\n"))
			}
			if strings.HasPrefix(d, "SEARCH t USING") {
				usesIndex = true
			}
		}
		if !usesIndex {
			t.Errorf("%q does not search tasks by index:\n%s", query, strings.Join(plan, "\n"))
		}
	}
}

// FuzzSearch: any query compiles to a statement SQLite runs, with one
// argument per placeholder, and finds only the project's tasks.
func FuzzSearch(f *testing.F) {
	for _, seed := range []string{"", "status:open", `due:<"next monday"`, `tag:"a b" assignee:me #3`, "createdRange:2030-01-01..x",
		"subtask:assignee:", `"`, `<"`, ">=", "score:>=", "ref:*%_", "\x00status:\xff", "colour:Deep Orange", "due:-2 days"} {
		f.Add(seed)
	}
	fx := newSearchFixture(f)
	f.Fuzz(func(t *testing.T, query string) {
		c := CompileSearch(query, 1, searchNow)
		if c.Where == "" || strings.Count(c.Where, "?") != len(c.Args) {
			t.Fatalf("%q: %q with %d args", query, c.Where, len(c.Args))
		}
		rows, err := fx.s.SearchTasks(context.Background(), fx.a.project, query, 1)
		if err != nil {
			t.Fatalf("%q: %v", query, err)
		}
		for _, r := range rows {
			if r.ProjectID != fx.a.project {
				t.Fatalf("%q found task %d of project %d", query, r.ID, r.ProjectID)
			}
		}
	})
}
