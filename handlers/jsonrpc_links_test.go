package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// rpcCase is one call and the exact result it must answer; want "403" is
// Kanboard's Forbidden for the whole request, "-32602" an invalid-params
// error.
type rpcCase struct {
	name   string
	auth   rpcAuth
	method string
	params any
	want   string
}

func runRPCCases(t *testing.T, f *rpcFixture, cases []rpcCase) {
	t.Helper()
	for _, c := range cases {
		body := rpcRequestBody(c.method, c.params)
		status, _, resp := f.post(t, c.auth, body)
		switch c.want {
		case "403":
			if status != http.StatusForbidden || resp != rpcForbiddenBody {
				t.Errorf("%s: %s(%v): %d %s, want 403", c.name, c.method, c.params, status, resp)
			}
			continue
		case "-32602":
			if status != http.StatusOK || !strings.Contains(resp, `"code":-32602`) {
				t.Errorf("%s: %s(%v): %d %s, want -32602", c.name, c.method, c.params, status, resp)
			}
			continue
		}
		var out struct {
			Result json.RawMessage `json:"result"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(resp), &out) != nil || out.Result == nil {
			t.Errorf("%s: %s(%v): %d %s", c.name, c.method, c.params, status, resp)
			continue
		}
		if string(out.Result) != c.want {
			t.Errorf("%s: %s(%v):\n got %s\nwant %s", c.name, c.method, c.params, out.Result, c.want)
		}
	}
}

// linkTasks makes tasks a and b in project 1 and c in project 2.
func linkTasks(t *testing.T, f *rpcFixture) (a, b, c int64) {
	t.Helper()
	a = f.callID(t, f.app(), "createTask", map[string]any{"title": "Alpha one", "project_id": f.p1})
	b = f.callID(t, f.app(), "createTask", map[string]any{"title": "Alpha two", "project_id": f.p1})
	c = f.callID(t, f.app(), "createTask", map[string]any{"title": "Beta one", "project_id": f.p2})
	return a, b, c
}

func TestRPCLinkProcedures(t *testing.T) {
	f := newRPCFixture(t, nil)
	app, admin, member := f.app(), basicAuth("alice", f.adminPass), basicAuth("bob", "bob password")
	all := f.call(t, app, "getAllLinks", nil)
	if !strings.HasPrefix(string(all), `[{"id":1,"label":"relates to","opposite_id":0},{"id":2,"label":"blocks","opposite_id":3},`) ||
		!strings.HasSuffix(string(all), `{"id":11,"label":"is fixed by","opposite_id":10}]`) || strings.Count(string(all), `"id"`) != 11 {
		t.Errorf("getAllLinks: %s", all)
	}
	runRPCCases(t, f, []rpcCase{
		{"by id", app, "getLinkById", map[string]any{"link_id": 2}, `{"id":2,"label":"blocks","opposite_id":3}`},
		{"by id, an admin", admin, "getLinkById", []any{9}, `{"id":9,"label":"is a milestone of","opposite_id":8}`},
		{"unknown id", app, "getLinkById", map[string]any{"link_id": 99}, `null`},
		{"by label", app, "getLinkByLabel", map[string]any{"label": "is fixed by"}, `{"id":11,"label":"is fixed by","opposite_id":10}`},
		{"unknown label", app, "getLinkByLabel", map[string]any{"label": "Blocks"}, `null`},
		{"opposite", app, "getOppositeLinkId", map[string]any{"link_id": 2}, `3`},
		{"its own opposite", app, "getOppositeLinkId", map[string]any{"link_id": 1}, `1`},
		{"opposite of an unknown link", app, "getOppositeLinkId", map[string]any{"link_id": 99}, `99`},
		{"create a pair", app, "createLink", map[string]any{"label": "causes", "opposite_label": "is caused by"}, `12`},
		{"the pair's second", app, "getLinkById", map[string]any{"link_id": 13}, `{"id":13,"label":"is caused by","opposite_id":12}`},
		{"create one alone", admin, "createLink", []any{"mentions"}, `14`},
		{"a taken label", app, "createLink", map[string]any{"label": "blocks"}, `false`},
		{"a taken opposite", app, "createLink", map[string]any{"label": "new", "opposite_label": "blocks"}, `false`},
		{"the refused pair left nothing", app, "getLinkByLabel", map[string]any{"label": "new"}, `null`},
		{"label equals its opposite", app, "createLink", map[string]any{"label": "x", "opposite_label": "x"}, `false`},
		{"an empty label", app, "createLink", map[string]any{"label": ""}, `false`},
		{"update", app, "updateLink", map[string]any{"link_id": 14, "opposite_link_id": 0, "label": "refers to"}, `true`},
		{"updated", app, "getLinkById", map[string]any{"link_id": 14}, `{"id":14,"label":"refers to","opposite_id":0}`},
		{"update to a taken label", app, "updateLink", map[string]any{"link_id": 14, "opposite_link_id": 0, "label": "blocks"}, `false`},
		{"update an unknown link", app, "updateLink", map[string]any{"link_id": 99, "opposite_link_id": 0, "label": "z"}, `false`},
		{"update to an unknown opposite", app, "updateLink", map[string]any{"link_id": 14, "opposite_link_id": 99, "label": "z"}, `false`},
		{"update without the label", app, "updateLink", map[string]any{"link_id": 14, "opposite_link_id": 0}, "-32602"},
		{"remove", app, "removeLink", map[string]any{"link_id": 13}, `true`},
		{"its opposite names none now", app, "getLinkById", map[string]any{"link_id": 12}, `{"id":12,"label":"causes","opposite_id":0}`},
		{"remove again", app, "removeLink", map[string]any{"link_id": 13}, `false`},
		{"a member may not read link types", member, "getAllLinks", nil, "403"},
		{"a member may not create one", member, "createLink", map[string]any{"label": "mine"}, "403"},
	})
	if res := f.call(t, app, "getLinkByLabel", map[string]any{"label": "mine"}); string(res) != "null" {
		t.Errorf("a refused member's link exists: %s", res)
	}
}

func TestRPCTaskLinkProcedures(t *testing.T) {
	f := newRPCFixture(t, nil)
	app, member := f.app(), basicAuth("bob", "bob password")
	a, b, c := linkTasks(t, f)
	_, before := f.counts(t)
	id := f.callID(t, member, "createTaskLink", map[string]any{"task_id": a, "opposite_task_id": b, "link_id": 2})
	events := f.eventsSince(t, before)
	if len(events) != 2 || events[0].Name != store.EventTaskLinkCreateUpdate || events[0].TaskID != a || events[1].TaskID != b ||
		events[0].AuthorName != "bob" {
		t.Fatalf("createTaskLink wrote %+v", events)
	}
	back := id + 1
	runRPCCases(t, f, []rpcCase{
		{"by id", app, "getTaskLinkById", map[string]any{"task_link_id": id},
			fmt.Sprintf(`{"id":%d,"opposite_task_id":%d,"task_id":%d,"link_id":2,"label":"blocks","opposite_link_id":3}`, id, b, a)},
		{"the other direction", member, "getTaskLinkById", []any{back},
			fmt.Sprintf(`{"id":%d,"opposite_task_id":%d,"task_id":%d,"link_id":3,"label":"is blocked by","opposite_link_id":2}`, back, a, b)},
		{"unknown, the app token", app, "getTaskLinkById", map[string]any{"task_link_id": 999}, `null`},
		{"unknown, a user", member, "getTaskLinkById", map[string]any{"task_link_id": 999}, "403"},
		{"the same link again", app, "createTaskLink", map[string]any{"task_id": a, "opposite_task_id": b, "link_id": 2}, `false`},
		{"the same link from the other end", app, "createTaskLink", []any{b, a, 3}, `false`},
		{"a task linked to itself", app, "createTaskLink", []any{a, a, 1}, `false`},
		{"an unknown other task", app, "createTaskLink", []any{a, 999, 1}, `false`},
		{"an unknown other task, a user", member, "createTaskLink", []any{a, 999, 1}, `false`},
		{"an unknown link type", app, "createTaskLink", []any{a, c, 99}, `false`},
		{"an unknown task, the app token", app, "createTaskLink", []any{999, a, 1}, `false`},
		{"an unknown task, a user", member, "createTaskLink", []any{999, a, 1}, "403"},
		{"all links of an unknown task, the app token", app, "getAllTaskLinks", []any{999}, `[]`},
		{"all links of an unknown task, a user", member, "getAllTaskLinks", []any{999}, "403"},
		{"update on another task", app, "updateTaskLink", []any{id, b, c, 1}, `false`},
		{"update to itself", app, "updateTaskLink", []any{id, a, a, 1}, `false`},
		{"update across projects", member, "updateTaskLink", map[string]any{"task_link_id": id, "task_id": a, "opposite_task_id": c, "link_id": 8}, `true`},
		{"updated", app, "getTaskLinkById", []any{id},
			fmt.Sprintf(`{"id":%d,"opposite_task_id":%d,"task_id":%d,"link_id":8,"label":"targets milestone","opposite_link_id":9}`, id, c, a)},
		{"b has no link left", app, "getAllTaskLinks", []any{b}, `[]`},
		{"too many arguments", app, "getTaskLinkById", map[string]any{"task_link_id": id, "x": 1}, "-32602"},
	})
	var fromC []map[string]any
	if err := json.Unmarshal(f.call(t, app, "getAllTaskLinks", map[string]any{"task_id": c}), &fromC); err != nil || len(fromC) != 1 {
		t.Fatalf("getAllTaskLinks(c): %v %v", fromC, err)
	}
	row := fromC[0]
	want := map[string]any{"task_id": num(a), "label": "is a milestone of", "title": "Alpha one", "is_active": num(1),
		"project_id": num(f.p1), "project_name": "Alpha", "column_title": "Backlog", "task_assignee_id": num(0),
		"task_assignee_username": nil, "color_id": "yellow"}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("getAllTaskLinks(c).%s = %v, want %v", k, row[k], v)
		}
	}
	if len(row) != 18 {
		t.Errorf("getAllTaskLinks row has %d keys, Kanboard's 18: %v", len(row), row)
	}
	runRPCCases(t, f, []rpcCase{
		{"remove from the other end", member, "removeTaskLink", map[string]any{"task_link_id": int64(row["id"].(float64))}, `true`},
		{"both directions went", app, "getAllTaskLinks", []any{a}, `[]`},
		{"remove again, the app token", app, "removeTaskLink", []any{id}, `false`},
		{"remove again, a user", member, "removeTaskLink", []any{id}, "403"},
	})
}

func TestRPCExternalLinkProcedures(t *testing.T) {
	f := newRPCFixture(t, nil)
	app, member := f.app(), basicAuth("bob", "bob password")
	a, b, _ := linkTasks(t, f)
	runRPCCases(t, f, []rpcCase{
		{"types", app, "getExternalTaskLinkTypes", nil, `{"auto":"Auto","attachment":"Attachment","file":"Local File","weblink":"Web Link"}`},
		{"a provider's dependencies", member, "getExternalTaskLinkProviderDependencies", []any{"weblink"}, `{"related":"Related"}`},
		{"auto is no provider", app, "getExternalTaskLinkProviderDependencies", []any{"auto"}, `false`},
		{"an unknown provider", app, "getExternalTaskLinkProviderDependencies", []any{"rss"}, `false`},
	})
	_, before := f.counts(t)
	web := f.callID(t, member, "createExternalTaskLink", map[string]any{"task_id": a, "url": "https://example.test/wiki/vpn", "dependency": "related"})
	file := f.callID(t, app, "createExternalTaskLink", []any{a, "https://example.test/files/plan.pdf", "related", "auto", "The plan"})
	events := f.eventsSince(t, before)
	if len(events) != 2 || events[0].Name != store.EventExternalLinkCreate || events[0].TaskID != a {
		t.Fatalf("events %+v", events)
	}
	got := f.call(t, app, "getExternalTaskLinkById", map[string]any{"task_id": a, "link_id": web})
	for path, want := range map[string]any{"id": num(web), "link_type": "weblink", "dependency": "related",
		"title": "example.test/wiki/vpn", "url": "https://example.test/wiki/vpn", "task_id": num(a), "creator_id": num(f.member.ID)} {
		if v := jsonPath(t, got, path); v != want {
			t.Errorf("getExternalTaskLinkById.%s = %v, want %v", path, v, want)
		}
	}
	var list []map[string]any
	json.Unmarshal(f.call(t, member, "getAllExternalTaskLinks", []any{a}), &list)
	// By title, as SQLite compares text (capitals first), as in Kanboard.
	if len(list) != 2 || list[1]["title"] != "example.test/wiki/vpn" || list[0]["title"] != "The plan" ||
		list[1]["creator_username"] != "bob" || list[1]["dependency_label"] != "Related" || list[1]["type"] != "Web Link" ||
		list[0]["link_type"] != "attachment" || list[0]["creator_id"] != num(0) || list[0]["creator_username"] != nil || len(list[0]) != 13 {
		t.Errorf("getAllExternalTaskLinks: %v", list)
	}
	runRPCCases(t, f, []rpcCase{
		{"on another task", app, "getExternalTaskLinkById", []any{b, web}, `false`},
		{"unknown", app, "getExternalTaskLinkById", []any{a, 999}, `false`},
		{"unknown task, a user", member, "getExternalTaskLinkById", []any{999, web}, "403"},
		{"no provider takes ftp", app, "createExternalTaskLink", []any{a, "ftp://example.test/f.zip", "related"}, `false`},
		{"not a URL", app, "createExternalTaskLink", []any{a, "example.test/page", "related"}, `false`},
		{"a web link that is a file", app, "createExternalTaskLink", []any{a, "file:///etc/hosts", "related", "weblink"}, `false`},
		{"an unknown type", app, "createExternalTaskLink", []any{a, "https://example.test/", "related", "rss"}, `false`},
		{"no dependency", app, "createExternalTaskLink", []any{a, "https://example.test/", ""}, `false`},
		{"a dependency over 100 characters", app, "createExternalTaskLink", []any{a, "https://example.test/", strings.Repeat("d", 101)}, `false`},
		{"an unknown task, the app token", app, "createExternalTaskLink", []any{999, "https://example.test/", "related"}, `false`},
		{"an unknown task, a user", member, "createExternalTaskLink", []any{999, "https://example.test/", "related"}, "403"},
		{"update the title", member, "updateExternalTaskLink", map[string]any{"task_id": a, "link_id": web, "title": "VPN wiki"}, `true`},
		{"update through another task", app, "updateExternalTaskLink", map[string]any{"task_id": b, "link_id": web, "title": "x"}, `false`},
		{"update to a bad URL", app, "updateExternalTaskLink", map[string]any{"task_id": a, "link_id": web, "url": "nope"}, `false`},
		{"update to an empty title", app, "updateExternalTaskLink", map[string]any{"task_id": a, "link_id": web, "title": ""}, `false`},
		{"remove through another task", app, "removeExternalTaskLink", []any{b, file}, `false`},
		{"remove", member, "removeExternalTaskLink", []any{a, file}, `true`},
		{"remove again", app, "removeExternalTaskLink", []any{a, file}, `false`},
	})
	if v := jsonPath(t, f.call(t, app, "getExternalTaskLinkById", []any{a, web}), "title"); v != "VPN wiki" {
		t.Errorf("title after update: %v", v)
	}
	names := []string{}
	for _, ev := range f.eventsSince(t, before) {
		names = append(names, ev.Name)
	}
	if want := "task_external_link.create task_external_link.create task_external_link.update task_external_link.delete"; strings.Join(names, " ") != want {
		t.Errorf("events %v, want %s", names, want)
	}
}

func TestRPCMetadataProcedures(t *testing.T) {
	f := newRPCFixture(t, nil)
	app, member := f.app(), basicAuth("bob", "bob password")
	a, _, _ := linkTasks(t, f)
	_, before := f.counts(t)
	runRPCCases(t, f, []rpcCase{
		{"none yet", app, "getTaskMetadata", []any{a}, `{}`},
		{"save", member, "saveTaskMetadata", map[string]any{"task_id": a, "values": map[string]any{"sla": "4h", "posts": 1204, "paged": true}}, `true`},
		{"read", app, "getTaskMetadata", []any{a}, `{"paged":"1","posts":"1204","sla":"4h"}`},
		{"replace one", app, "saveTaskMetadata", []any{a, map[string]any{"sla": "2h"}}, `true`},
		{"a list counts from 0", app, "saveTaskMetadata", []any{a, []any{"first"}}, `true`},
		{"by name", member, "getTaskMetadataByName", []any{a, "sla"}, `"2h"`},
		{"by a list's name", app, "getTaskMetadataByName", []any{a, "0"}, `"first"`},
		{"a missing name", app, "getTaskMetadataByName", []any{a, "nope"}, `""`},
		{"values not a list", app, "saveTaskMetadata", []any{a, "sla"}, "-32602"},
		{"a nested value", app, "saveTaskMetadata", []any{a, map[string]any{"x": map[string]any{"y": 1}}}, "-32602"},
		{"an empty name", app, "saveTaskMetadata", []any{a, map[string]any{"": "x"}}, `false`},
		{"remove", member, "removeTaskMetadata", []any{a, "0"}, `true`},
		{"remove again", app, "removeTaskMetadata", []any{a, "0"}, `false`},
		{"after all that", app, "getTaskMetadata", []any{a}, `{"paged":"1","posts":"1204","sla":"2h"}`},
		{"an unknown task, the app token", app, "saveTaskMetadata", []any{999, map[string]any{"a": "b"}}, `false`},
		{"read an unknown task, the app token", app, "getTaskMetadata", []any{999}, `{}`},
		{"an unknown task, a user", member, "saveTaskMetadata", []any{999, map[string]any{"a": "b"}}, "403"},
		{"read an unknown task, a user", member, "getTaskMetadataByName", []any{999, "a"}, "403"},

		{"project: none yet", app, "getProjectMetadata", []any{f.p1}, `{}`},
		{"project: save", member, "saveProjectMetadata", map[string]any{"project_id": f.p1, "values": map[string]any{"team": "ops", "budget": "12"}}, `true`},
		{"project: read", app, "getProjectMetadata", []any{f.p1}, `{"budget":"12","team":"ops"}`},
		{"project: not another project's", app, "getProjectMetadata", []any{f.p2}, `{}`},
		{"project: by name", member, "getProjectMetadataByName", []any{f.p1, "team"}, `"ops"`},
		{"project: a missing name", app, "getProjectMetadataByName", []any{f.p1, "x"}, `""`},
		{"project: remove", app, "removeProjectMetadata", []any{f.p1, "budget"}, `true`},
		{"project: remove again", app, "removeProjectMetadata", []any{f.p1, "budget"}, `false`},
		{"project: unknown, the app token", app, "saveProjectMetadata", []any{999, map[string]any{"a": "b"}}, `false`},
		{"project: unknown, a user", member, "getProjectMetadata", []any{999}, "403"},
		{"project: save unknown, a user", member, "saveProjectMetadata", []any{999, map[string]any{"a": "b"}}, "403"},
	})
	if evs := f.eventsSince(t, before); len(evs) != 0 {
		t.Errorf("metadata wrote events: %+v", evs)
	}
}

// TestRPCTaskLinkReachesReceiver: a link made over the API reaches a real
// receiver as Kanboard sends it, once per direction.
func TestRPCTaskLinkReachesReceiver(t *testing.T) {
	f := newRPCFixture(t, scenarioNotifier(t))
	kb := newReceiver(t, http.StatusOK, "ok")
	if _, _, err := f.st.CreateEndpoint(context.Background(), store.NewEndpoint{Name: "links", URL: kb.URL + "/hook",
		Events: []string{store.EventTaskLinkCreateUpdate, store.EventTaskLinkDelete}, Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	a, b, _ := linkTasks(t, f)
	id := f.callID(t, basicAuth("alice", f.adminPass), "createTaskLink", []any{a, b, 1})
	f.callTrue(t, f.app(), "removeTaskLink", []any{id})
	got := kb.received()
	if len(got) != 4 {
		t.Fatalf("the receiver got %d requests", len(got))
	}
	for i, want := range []struct {
		name         string
		task, other  float64
		author       any
		linkID, from float64
	}{
		{store.EventTaskLinkCreateUpdate, num(a), num(b), "alice", num(id), num(a)},
		{store.EventTaskLinkCreateUpdate, num(b), num(a), "alice", num(id + 1), num(b)},
		{store.EventTaskLinkDelete, num(a), num(b), nil, num(id), num(a)},
		{store.EventTaskLinkDelete, num(b), num(a), nil, num(id + 1), num(b)},
	} {
		body := []byte(got[i].body)
		if jsonPath(t, body, "event_name") != want.name || jsonPath(t, body, "event_author") != want.author ||
			jsonPath(t, body, "event_data.task_link.id") != want.linkID ||
			jsonPath(t, body, "event_data.task_link.task_id") != want.task ||
			jsonPath(t, body, "event_data.task_link.opposite_task_id") != want.other ||
			jsonPath(t, body, "event_data.task_link.label") != "relates to" ||
			jsonPath(t, body, "event_data.task.id") != want.from {
			t.Errorf("delivery %d: %s", i, body)
		}
	}
}
