package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// eventsAbout reads back events: their names, tasks and data.
func eventsAbout(t *testing.T, s *Store, ids []string) (names []string, tasks []int64, data []map[string]any) {
	t.Helper()
	for _, id := range ids {
		ev, err := s.EventByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		names = append(names, ev.Name)
		tasks = append(tasks, ev.TaskID)
		data = append(data, d)
	}
	return names, tasks, data
}

// linkFixture is a user to act as and a project.
func linkFixture(t *testing.T, s *Store) (Actor, int64) {
	t.Helper()
	u, err := s.CreateUser(context.Background(), "admin", "long enough password", true)
	if err != nil {
		t.Fatal(err)
	}
	return Actor{UserID: u.ID, Username: u.Username, IsAdmin: true}, newBoard(t, s, "P").project
}

func TestTaskLinksBothWaysWithTheirEvents(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	actor, proj := linkFixture(t, s)
	a, _, _ := s.CreateTask(ctx, actor, NewTask{Title: "A", ProjectID: proj})
	b, _, _ := s.CreateTask(ctx, actor, NewTask{Title: "B", ProjectID: proj})

	id, events, err := s.CreateTaskLink(ctx, actor, a, b, 2) // a blocks b
	if err != nil {
		t.Fatal(err)
	}
	names, tasks, data := eventsAbout(t, s, events)
	if len(names) != 2 || names[0] != EventTaskLinkCreateUpdate || names[1] != EventTaskLinkCreateUpdate || tasks[0] != a || tasks[1] != b {
		t.Fatalf("events %v about %v", names, tasks)
	}
	first := data[0]["task_link"].(map[string]any)
	if first["id"] != float64(id) || first["label"] != "blocks" || first["opposite_task_id"] != float64(b) || first["opposite_link_id"] != float64(3) {
		t.Errorf("first event's task_link %v", first)
	}
	second := data[1]["task_link"].(map[string]any)
	if second["label"] != "is blocked by" || second["task_id"] != float64(b) || data[1]["task"].(map[string]any)["title"] != "B" {
		t.Errorf("second event %v", data[1])
	}

	fromA, _ := s.TaskLinks(ctx, a)
	fromB, _ := s.TaskLinks(ctx, b)
	if len(fromA) != 1 || fromA[0].TaskID != b || fromA[0].Label != "blocks" || fromA[0].Title != "B" ||
		len(fromB) != 1 || fromB[0].TaskID != a || fromB[0].Label != "is blocked by" {
		t.Fatalf("links from a %+v, from b %+v", fromA, fromB)
	}

	// Refusals change nothing.
	for _, c := range []struct {
		name             string
		task, other, lnk int64
		want             error
	}{
		{"the same link again", a, b, 2, ErrConflict},
		{"the same link from the other end", b, a, 3, ErrConflict},
		{"a task linked to itself", a, a, 1, ErrInvalid},
		{"an unknown task", a, 999, 1, ErrNotFound},
		{"an unknown link type", a, b, 99, ErrNotFound},
	} {
		if _, ev, err := s.CreateTaskLink(ctx, actor, c.task, c.other, c.lnk); !errors.Is(err, c.want) || ev != nil {
			t.Errorf("%s: %v %v, want %v", c.name, ev, err, c.want)
		}
	}
	if n, _ := s.EventCount(ctx, EventTaskLinkCreateUpdate); n != 2 {
		t.Errorf("%d create_update events after the refusals", n)
	}

	// a "is a child of" b: both rows change.
	c, _, _ := s.CreateTask(ctx, actor, NewTask{Title: "C", ProjectID: proj})
	events, err = s.UpdateTaskLink(ctx, actor, id, a, c, 6)
	if err != nil || len(events) != 2 {
		t.Fatalf("update: %v %v", events, err)
	}
	fromA, _ = s.TaskLinks(ctx, a)
	fromB, _ = s.TaskLinks(ctx, b)
	fromC, _ := s.TaskLinks(ctx, c)
	if len(fromA) != 1 || fromA[0].TaskID != c || fromA[0].Label != "is a child of" || len(fromB) != 0 ||
		len(fromC) != 1 || fromC[0].Label != "is a parent of" {
		t.Fatalf("after update: a %+v, b %+v, c %+v", fromA, fromB, fromC)
	}
	if _, err := s.UpdateTaskLink(ctx, actor, id, b, c, 6); !errors.Is(err, ErrNotFound) {
		t.Errorf("update naming another task: %v", err)
	}

	events, err = s.DeleteTaskLink(ctx, actor, fromC[0].ID) // from the other end
	names, tasks, _ = eventsAbout(t, s, events)
	if err != nil || len(names) != 2 || names[0] != EventTaskLinkDelete || tasks[0] != c || tasks[1] != a {
		t.Fatalf("delete: %v %v %v", names, tasks, err)
	}
	if fromA, _ = s.TaskLinks(ctx, a); len(fromA) != 0 {
		t.Errorf("a still has %+v", fromA)
	}
	if _, err := s.DeleteTaskLink(ctx, actor, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
}

func TestLinkTypes(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	actor, proj := linkFixture(t, s)
	all, err := s.Links(ctx)
	if err != nil || len(all) != 11 || all[0] != (Link{1, "relates to", 0}) || all[10] != (Link{11, "is fixed by", 10}) {
		t.Fatalf("defaults %v %v", all, err)
	}
	if opp, _ := s.OppositeLinkID(ctx, 1); opp != 1 {
		t.Errorf("opposite of relates to: %d", opp)
	}
	if opp, _ := s.OppositeLinkID(ctx, 4); opp != 5 {
		t.Errorf("opposite of duplicates: %d", opp)
	}
	if opp, _ := s.OppositeLinkID(ctx, 77); opp != 77 {
		t.Errorf("opposite of an unknown link: %d", opp)
	}

	id, err := s.CreateLink(ctx, "causes", "is caused by")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := s.LinkByID(ctx, id)
	back, _ := s.LinkByLabel(ctx, "is caused by")
	if l.OppositeID != back.ID || back.OppositeID != id {
		t.Errorf("pair %+v %+v", l, back)
	}
	for _, c := range []struct{ label, opposite string }{{"blocks", ""}, {"", ""}, {"x", "x"}, {"new", "blocks"}, {"   ", ""}} {
		if _, err := s.CreateLink(ctx, c.label, c.opposite); err == nil {
			t.Errorf("CreateLink(%q, %q) accepted", c.label, c.opposite)
		}
	}
	if _, err := s.LinkByLabel(ctx, "new"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused pair left its first label: %v", err)
	}
	if err := s.UpdateLink(ctx, id, 0, "blocks"); !errors.Is(err, ErrConflict) {
		t.Errorf("rename to a taken label: %v", err)
	}
	if err := s.UpdateLink(ctx, id, 99, "leads to"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown opposite: %v", err)
	}
	if err := s.UpdateLink(ctx, 99, 0, "leads to"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown link: %v", err)
	}
	if err := s.UpdateLink(ctx, id, 0, "leads to"); err != nil {
		t.Fatal(err)
	}

	// Removing a type takes its task links, each with its event; "leads
	// to" no longer names an opposite, so the other direction stays.
	a, _, _ := s.CreateTask(ctx, actor, NewTask{Title: "A", ProjectID: proj})
	b, _, _ := s.CreateTask(ctx, actor, NewTask{Title: "B", ProjectID: proj})
	if _, _, err := s.CreateTaskLink(ctx, actor, a, b, back.ID); err != nil {
		t.Fatal(err)
	}
	events, err := s.DeleteLink(ctx, actor, back.ID)
	names, _, _ := eventsAbout(t, s, events)
	if err != nil || len(names) != 1 || names[0] != EventTaskLinkDelete {
		t.Fatalf("delete link type: %v %v", names, err)
	}
	fromA, _ := s.TaskLinks(ctx, a)
	fromB, _ := s.TaskLinks(ctx, b)
	if len(fromA) != 0 || len(fromB) != 1 || fromB[0].Label != "leads to" {
		t.Errorf("a keeps %+v, b %+v", fromA, fromB)
	}
	if l, _ := s.LinkByID(ctx, id); l.OppositeID != 0 {
		t.Errorf("the opposite still names the removed link: %+v", l)
	}
	if _, err := s.DeleteLink(ctx, actor, back.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
}

func TestDetectExternalLink(t *testing.T) {
	for _, c := range []struct {
		url, kind        string
		wantType, wantTi string // "" type: refused
	}{
		{"https://example.test/wiki/vpn", "auto", "weblink", "example.test/wiki/vpn"},
		{"https://example.test", "auto", "weblink", "https://example.test"},
		{"https://example.test/docs/plan.pdf", "auto", "attachment", "plan.pdf"},
		{"https://example.test/index.html", "auto", "weblink", "example.test/index.html"},
		{"http://example.test/run.cgi", "", "weblink", "example.test/run.cgi"},
		{"file:///home/me/notes.txt", "auto", "file", "notes.txt"},
		{"smb://server/share/report.doc", "auto", "file", "report.doc"},
		{"ftp://example.test/file.zip", "auto", "", ""},
		{"example.test/page", "auto", "", ""},
		{"javascript:alert(1)", "auto", "", ""},
		{"https://example.test/wiki", "weblink", "weblink", "example.test/wiki"},
		{"https://example.test/a.png", "weblink", "weblink", "example.test/a.png"},
		{"file:///etc/hosts", "weblink", "", ""},
		{"https://example.test/wiki", "file", "", ""},
		{"https://example.test/wiki", "rss", "", ""},
	} {
		typ, title, err := DetectExternalLink(c.url, c.kind)
		if c.wantType == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s (%s): %s %q %v, want refused", c.url, c.kind, typ, title, err)
			}
			continue
		}
		if err != nil || typ != c.wantType || title != c.wantTi {
			t.Errorf("%s (%s): %s %q %v, want %s %q", c.url, c.kind, typ, title, err, c.wantType, c.wantTi)
		}
	}
}

func TestExternalLinksWithTheirEvents(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	actor, proj := linkFixture(t, s)
	task, _, _ := s.CreateTask(ctx, actor, NewTask{Title: "A", ProjectID: proj})
	id, events, err := s.CreateExternalLink(ctx, actor, NewExternalLink{TaskID: task, URL: "https://example.test/wiki/vpn", Dependency: "related", Type: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	names, _, data := eventsAbout(t, s, events)
	link := data[0]["external_link"].(map[string]any)
	if names[0] != EventExternalLinkCreate || link["title"] != "example.test/wiki/vpn" || link["link_type"] != "weblink" || link["creator_id"] != float64(1) {
		t.Fatalf("%v %v", names, data[0])
	}
	for _, bad := range []NewExternalLink{
		{TaskID: task, URL: "https://example.test/x", Dependency: ""},
		{TaskID: task, URL: "https://example.test/x", Dependency: string(make([]byte, 101))},
		{TaskID: task, URL: "not a url", Dependency: "related"},
		{TaskID: 999, URL: "https://example.test/x", Dependency: "related"},
		{TaskID: task, URL: "https://example.test/x", Dependency: "related", Title: "two\nlines"},
	} {
		if _, _, err := s.CreateExternalLink(ctx, actor, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	title := "VPN wiki"
	events, err = s.UpdateExternalLink(ctx, actor, task, id, ExternalLinkUpdate{Title: &title})
	_, _, data = eventsAbout(t, s, events)
	if err != nil || data[0]["changes"].(map[string]any)["title"] != "VPN wiki" {
		t.Fatalf("update: %v %v", data, err)
	}
	if events, err := s.UpdateExternalLink(ctx, actor, task, id, ExternalLinkUpdate{Title: &title}); err != nil || events != nil {
		t.Errorf("an unchanged update: %v %v", events, err)
	}
	other, _, _ := s.CreateTask(ctx, actor, NewTask{Title: "B", ProjectID: proj})
	if _, err := s.UpdateExternalLink(ctx, actor, other, id, ExternalLinkUpdate{Title: &title}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update through another task: %v", err)
	}
	if _, err := s.DeleteExternalLink(ctx, actor, other, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete through another task: %v", err)
	}
	list, _ := s.ExternalLinks(ctx, task)
	if len(list) != 1 || list[0].Title != "VPN wiki" || *list[0].CreatorUsername != "admin" {
		t.Fatalf("list %+v", list)
	}
	events, err = s.DeleteExternalLink(ctx, actor, task, id)
	if names, _, _ := eventsAbout(t, s, events); err != nil || names[0] != EventExternalLinkDelete {
		t.Fatalf("delete: %v %v", names, err)
	}
}

func TestMetadata(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	actor, proj := linkFixture(t, s)
	task, _, _ := s.CreateTask(ctx, actor, NewTask{Title: "A", ProjectID: proj})
	before, _ := s.EventCount(ctx, "")
	if err := s.SaveTaskMetadata(ctx, actor, task, map[string]string{"sla": "4h", "pager": "PD-1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTaskMetadata(ctx, actor, task, map[string]string{"sla": "2h"}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.TaskMetadata(ctx, task)
	if len(got) != 2 || got[0] != (Metadata{"pager", "PD-1"}) || got[1] != (Metadata{"sla", "2h"}) {
		t.Fatalf("metadata %v", got)
	}
	if after, _ := s.EventCount(ctx, ""); after != before {
		t.Errorf("metadata wrote %d events", after-before)
	}
	// One bad pair refuses the whole call.
	if err := s.SaveTaskMetadata(ctx, actor, task, map[string]string{"ok": "1", "": "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty name: %v", err)
	}
	if _, err := s.TaskMetadataValue(ctx, task, "ok"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused call saved a pair: %v", err)
	}
	if err := s.SaveTaskMetadata(ctx, actor, 999, map[string]string{"a": "b"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown task: %v", err)
	}
	if err := s.DeleteTaskMetadata(ctx, task, "sla"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTaskMetadata(ctx, task, "sla"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
	if err := s.SaveProjectMetadata(ctx, actor, proj, map[string]string{"team": "ops"}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.ProjectMetadataValue(ctx, proj, "team"); v != "ops" || err != nil {
		t.Errorf("project value %q %v", v, err)
	}
}
