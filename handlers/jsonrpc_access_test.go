package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hookboard/store"
)

// accessFixture is the RPC fixture plus one user per kind of caller of
// §0.1, each with a personal token, on project p1 ("Alpha").
type accessFixture struct {
	*rpcFixture
	callers map[string]rpcAuth
	ids     map[string]int64
}

func newAccessFixture(t *testing.T) *accessFixture {
	f := &accessFixture{rpcFixture: newRPCFixture(t, nil), callers: map[string]rpcAuth{}, ids: map[string]int64{}}
	ctx := context.Background()
	f.callers["app"] = f.app()
	for _, u := range []struct{ name, appRole, projectRole string }{
		{"admin", store.RoleAdmin, store.ProjectManager},
		{"outadmin", store.RoleAdmin, ""}, // an admin with no role in p1
		{"manager", store.RoleUser, store.ProjectManager},
		{"member", store.RoleUser, store.ProjectMember},
		{"viewer", store.RoleUser, store.ProjectViewer},
		{"outsider", store.RoleManager, ""}, // an app-manager with no role in p1
	} {
		user, err := f.st.AddUser(ctx, store.NewUser{Username: "acc-" + u.name, Password: "password-" + u.name, Role: u.appRole})
		if err != nil {
			t.Fatal(err)
		}
		if u.projectRole != "" {
			if err := f.st.AddProjectMember(ctx, f.p1, user.ID, u.projectRole); err != nil {
				t.Fatal(err)
			}
		}
		_, pat, err := f.st.CreatePersonalToken(ctx, user.ID, "t", 0)
		if err != nil {
			t.Fatal(err)
		}
		f.callers[u.name], f.ids[u.name] = headerAuth("Token", pat), user.ID
	}
	return f
}

// try calls a procedure and tells "403" or the raw result (an error reply
// fails the test).
func (f *accessFixture) try(t *testing.T, who, method string, params any) string {
	t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "method": method, "id": 1}
	if params != nil {
		req["params"] = params
	}
	body, _ := json.Marshal(req)
	status, _, resp := f.post(t, f.callers[who], string(body))
	if status == http.StatusForbidden {
		if resp != rpcForbiddenBody {
			t.Fatalf("%s by %s: 403 body %s", method, who, resp)
		}
		return "403"
	}
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(resp), &out) != nil || out.Error != nil {
		t.Fatalf("%s by %s: %d %s", method, who, status, resp)
	}
	return string(out.Result)
}

// ok is any answer but 403.
const ok = "ok"

type accessCase struct {
	method string
	params func(f *accessFixture) any
	want   map[string]string // caller → "403", ok, or the exact result
}

func runAccessCases(t *testing.T, f *accessFixture, cases []accessCase) {
	t.Helper()
	for _, c := range cases {
		for _, who := range []string{"app", "admin", "outadmin", "manager", "member", "viewer", "outsider"} {
			want, listed := c.want[who]
			if !listed {
				continue
			}
			var params any
			if c.params != nil {
				params = c.params(f)
			}
			got := f.try(t, who, c.method, params)
			if want == ok && got != "403" || got == want {
				continue
			}
			t.Errorf("%s by %s: got %s, want %s", c.method, who, got, want)
		}
	}
}

// TestRPCAccessMeAndApp: the Me procedures refuse the app token and serve
// any user; the App procedures serve everybody.
func TestRPCAccessMeAndApp(t *testing.T) {
	f := newAccessFixture(t)
	everyone := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "outadmin": v, "manager": v, "member": v, "viewer": v, "outsider": v}
	}
	me := everyone(ok)
	me["app"] = "403"
	var cases []accessCase
	for _, m := range []string{"getMe", "getMyDashboard", "getMyActivityStream", "getMyProjectsList", "getMyProjects", "getMyOverdueTasks"} {
		cases = append(cases, accessCase{method: m, want: me})
	}
	cases = append(cases,
		accessCase{method: "createMyPrivateProject", params: func(*accessFixture) any { return []any{"Mine"} }, want: me},
		accessCase{method: "getDefaultTaskColor", want: everyone(`"yellow"`)},
		accessCase{method: "getApplicationRoles", want: everyone(`{"app-admin":"Administrator","app-manager":"Manager","app-user":"User"}`)},
		accessCase{method: "getProjectRoles", want: everyone(`{"project-manager":"Project Manager","project-member":"Project Member","project-viewer":"Project Viewer"}`)},
		accessCase{method: "getColorList", want: everyone(ok)},
		accessCase{method: "getVersion", want: everyone(`"1.2.3-test"`)},
	)
	runAccessCases(t, f, cases)

	if got := f.try(t, "app", "getColorList", nil); !strings.HasPrefix(got, `{"yellow":"Yellow","blue":"Blue",`) {
		t.Errorf("getColorList = %s", got)
	}
	// A private project: the caller owns and manages it.
	id := f.try(t, "viewer", "createMyPrivateProject", map[string]any{"name": "Notes", "description": "mine"})
	var pid int64
	json.Unmarshal([]byte(id), &pid)
	if role, _ := f.st.ProjectRole(context.Background(), pid, f.ids["viewer"]); pid == 0 || role != store.ProjectManager {
		t.Fatalf("createMyPrivateProject = %s, role %q", id, role)
	}
	if got := f.try(t, "viewer", "createMyPrivateProject", []any{""}); got != "false" {
		t.Errorf("createMyPrivateProject without a name = %s", got)
	}
}

// TestRPCGetMyProjectsForAUser is python-kanboard's README example with a
// user login: get_my_projects answers the projects the user is a member
// of, active ones only, by name; getMyProjectsList names them all.
func TestRPCGetMyProjectsForAUser(t *testing.T) {
	f := newAccessFixture(t)
	ctx := context.Background()
	zeta, _ := f.st.CreateProject(ctx, "Zeta", "", 0)
	f.st.AddProjectMember(ctx, zeta, f.ids["member"], store.ProjectViewer)
	var projects []map[string]any
	if err := json.Unmarshal([]byte(f.try(t, "member", "getMyProjects", nil)), &projects); err != nil {
		t.Fatal(err)
	}
	if len(projects) != 2 || projects[0]["name"] != "Alpha" || projects[1]["name"] != "Zeta" || projects[0]["url"] == nil {
		t.Fatalf("getMyProjects = %v", projects)
	}
	if got := f.try(t, "member", "getMyProjectsList", nil); got != `{"1":"Alpha","3":"Zeta"}` {
		t.Errorf("getMyProjectsList = %s", got)
	}
	if got := f.try(t, "outsider", "getMyProjects", nil); got != "[]" {
		t.Errorf("getMyProjects of a user in no project = %s", got)
	}
	if got := f.try(t, "outsider", "getMyProjectsList", nil); got != "{}" {
		t.Errorf("getMyProjectsList of a user in no project = %s", got)
	}
	// The same user may not read the project list of the whole team.
	if got := f.try(t, "member", "getAllProjects", nil); got != "403" {
		t.Errorf("getAllProjects by a user = %s", got)
	}
}

// TestRPCAccessUsers: the user procedures are the app token's and
// app-admins' (with or without a project role); others get 403.
func TestRPCAccessUsers(t *testing.T) {
	f := newAccessFixture(t)
	admins := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "outadmin": v, "manager": "403", "member": "403", "viewer": "403", "outsider": "403"}
	}
	target, err := f.st.CreateUser(context.Background(), "target", "password-t", false)
	if err != nil {
		t.Fatal(err)
	}
	member := func(f *accessFixture) any { return []any{target.ID} }
	runAccessCases(t, f, []accessCase{
		{method: "getAllUsers", want: admins(ok)},
		{method: "getUser", params: member, want: admins(ok)},
		{method: "getUserByName", params: func(*accessFixture) any { return []any{"acc-member"} }, want: admins(ok)},
		{method: "disableUser", params: member, want: admins("true")},
		{method: "enableUser", params: member, want: admins("true")},
		{method: "isActiveUser", params: member, want: admins("true")},
		{method: "updateUser", params: func(f *accessFixture) any { return map[string]any{"id": target.ID, "name": "Mem"} }, want: admins("true")},
		{method: "createUser", params: func(*accessFixture) any { return []any{"x", "password-x"} }, want: map[string]string{"manager": "403", "member": "403"}},
		{method: "getAllProjects", want: admins(ok)},
		{method: "createProject", params: func(*accessFixture) any { return []any{"P"} },
			want: map[string]string{"app": ok, "admin": ok, "outsider": ok, "manager": "403", "member": "403", "viewer": "403"}},
	})

	// Shapes and failures.
	id := f.try(t, "app", "createUser", map[string]any{"username": "dora", "password": "password-d", "name": "Dora",
		"email": "dora@example.com", "role": "app-manager"})
	var dora int64
	json.Unmarshal([]byte(id), &dora)
	row := map[string]any{}
	json.Unmarshal([]byte(f.try(t, "admin", "getUser", []any{dora})), &row)
	if len(row) != 25 || row["password"] != "" || row["role"] != "app-manager" || row["name"] != "Dora" || row["is_active"] != 1.0 {
		t.Errorf("getUser = %v", row)
	}
	for _, bad := range []map[string]any{
		{"username": "dora", "password": "password-d"},              // taken
		{"username": "eve", "password": "short"},                    // too short
		{"username": "eve", "password": "password-e", "email": "x"}, // not an email
		{"username": "eve", "password": "password-e", "role": "app-owner"},
	} {
		if got := f.try(t, "app", "createUser", bad); got != "false" {
			t.Errorf("createUser(%v) = %s", bad, got)
		}
	}
	if got := f.try(t, "app", "getUserByName", []any{"DORA"}); got != "null" {
		t.Errorf("getUserByName is not exact: %s", got)
	}
	if got := f.try(t, "app", "getUser", []any{999}); got != "null" {
		t.Errorf("getUser(unknown) = %s", got)
	}
	for _, m := range []string{"removeUser", "disableUser", "enableUser", "isActiveUser"} {
		if got := f.try(t, "app", m, []any{999}); got != "false" {
			t.Errorf("%s(unknown) = %s", m, got)
		}
	}
	if got := f.try(t, "app", "disableUser", []any{dora}); got != "true" {
		t.Fatal(got)
	}
	if got := f.try(t, "app", "isActiveUser", []any{dora}); got != "false" {
		t.Errorf("isActiveUser after disableUser = %s", got)
	}
	if got := f.try(t, "app", "removeUser", []any{dora}); got != "true" {
		t.Errorf("removeUser = %s", got)
	}
	if _, err := f.st.UserByID(context.Background(), dora); err == nil {
		t.Error("removeUser left the user")
	}
	status, _, body := f.post(t, f.app(), `{"jsonrpc":"2.0","method":"createLdapUser","params":["x"],"id":1}`)
	if status != http.StatusOK || !strings.Contains(body, `"error"`) || !strings.Contains(body, "LDAP") {
		t.Errorf("createLdapUser: %d %s", status, body)
	}

	// A user's project: owned and managed by them; the app token's: owned,
	// no member (as Kanboard).
	var pid int64
	json.Unmarshal([]byte(f.try(t, "outsider", "createProject", []any{"Own"})), &pid)
	if role, _ := f.st.ProjectRole(context.Background(), pid, f.ids["outsider"]); role != store.ProjectManager {
		t.Errorf("creator's role = %q", role)
	}
	json.Unmarshal([]byte(f.try(t, "app", "createProject", map[string]any{"name": "Theirs", "owner_id": f.ids["member"]})), &pid)
	if p, _ := f.st.ProjectByID(context.Background(), pid); p.OwnerID != f.ids["member"] {
		t.Errorf("owner = %d", p.OwnerID)
	}
	if role, _ := f.st.ProjectRole(context.Background(), pid, f.ids["member"]); role != "" {
		t.Errorf("app token's createProject made the owner a %q", role)
	}
}

// TestRPCAccessProjectMembers: the member procedures need a manager to
// change and any role to read; no role, or an unknown project, is 403 for
// users, admins included; the app token is never checked.
func TestRPCAccessProjectMembers(t *testing.T) {
	f := newAccessFixture(t)
	readers := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "manager": v, "member": v, "viewer": v, "outadmin": "403", "outsider": "403"}
	}
	managers := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "manager": v, "member": "403", "viewer": "403", "outadmin": "403", "outsider": "403"}
	}
	p1 := func(f *accessFixture) any { return []any{f.p1} }
	runAccessCases(t, f, []accessCase{
		{method: "getProjectUsers", params: p1, want: readers(ok)},
		{method: "getAssignableUsers", params: p1, want: readers(ok)},
		{method: "getProjectUserRole", params: func(f *accessFixture) any { return []any{f.p1, f.ids["viewer"]} }, want: readers(`"project-viewer"`)},
		{method: "getProjectById", params: p1, want: readers(ok)},
		{method: "getColumns", params: p1, want: readers(ok)},
		{method: "getAllTasks", params: p1, want: readers(ok)},
		{method: "createTask", params: func(f *accessFixture) any { return []any{"T", f.p1} },
			want: map[string]string{"app": ok, "admin": ok, "manager": ok, "member": ok, "viewer": "403", "outadmin": "403", "outsider": "403"}},
		{method: "changeProjectUserRole", params: func(f *accessFixture) any { return []any{f.p1, f.ids["member"], "project-member"} }, want: managers("true")},
		{method: "getProjectUsers", params: func(*accessFixture) any { return []any{999} },
			want: map[string]string{"app": "{}", "admin": "403", "member": "403"}},
		{method: "addProjectUser", params: func(*accessFixture) any { return []any{999, 1} },
			want: map[string]string{"app": "false", "admin": "403", "manager": "403"}},
	})

	// A manager adds, changes and removes members; the shapes are Kanboard's.
	mgr := "manager"
	out := f.ids["outsider"]
	if got := f.try(t, mgr, "addProjectUser", []any{f.p1, out}); got != "true" {
		t.Fatalf("addProjectUser = %s", got)
	}
	if got := f.try(t, mgr, "getProjectUserRole", []any{f.p1, out}); got != `"project-member"` {
		t.Errorf("default role = %s", got)
	}
	if got := f.try(t, mgr, "addProjectUser", []any{f.p1, out, "project-viewer"}); got != "false" {
		t.Errorf("second addProjectUser = %s", got)
	}
	if got := f.try(t, "outsider", "getProjectUsers", []any{f.p1}); got == "403" {
		t.Error("a new member is still refused")
	}
	if got := f.try(t, mgr, "changeProjectUserRole", []any{f.p1, out, "project-owner"}); got != "false" {
		t.Errorf("unknown role = %s", got)
	}
	if got := f.try(t, mgr, "changeProjectUserRole", []any{f.p1, out, "project-viewer"}); got != "true" {
		t.Errorf("changeProjectUserRole = %s", got)
	}
	assignable := f.try(t, mgr, "getAssignableUsers", map[string]any{"project_id": f.p1, "prepend_unassigned": true})
	if !strings.HasPrefix(assignable, `{"0":"Unassigned",`) || strings.Contains(assignable, "acc-viewer") || strings.Contains(assignable, "acc-outsider") ||
		!strings.Contains(assignable, "acc-member") {
		t.Errorf("getAssignableUsers = %s", assignable)
	}
	users := f.try(t, mgr, "getProjectUsers", []any{f.p1})
	if !strings.Contains(users, `"acc-viewer"`) || !strings.Contains(users, `"acc-outsider"`) || strings.Contains(users, "acc-outadmin") {
		t.Errorf("getProjectUsers = %s", users)
	}
	if got := f.try(t, mgr, "removeProjectUser", []any{f.p1, out}); got != "true" {
		t.Errorf("removeProjectUser = %s", got)
	}
	if got := f.try(t, mgr, "removeProjectUser", []any{f.p1, out}); got != "false" {
		t.Errorf("second removeProjectUser = %s", got)
	}
	if got := f.try(t, mgr, "getProjectUserRole", []any{f.p1, out}); got != `""` {
		t.Errorf("role after removal = %s", got)
	}
	// A member cannot make themselves a manager.
	if got := f.try(t, "member", "changeProjectUserRole", []any{f.p1, f.ids["member"], "project-manager"}); got != "403" {
		t.Errorf("member promoting themselves = %s", got)
	}
	if role, _ := f.st.ProjectRole(context.Background(), f.p1, f.ids["member"]); role != store.ProjectMember {
		t.Errorf("member's role = %q", role)
	}
}

// TestRPCAccessTasksFollowProjectRoles: task, comment, subtask and file
// procedures check the project of what they name.
func TestRPCAccessTasksFollowProjectRoles(t *testing.T) {
	f := newAccessFixture(t)
	task := f.callID(t, f.app(), "createTask", []any{"Seen", f.p1})
	comment := f.callID(t, f.app(), "createComment", []any{task, 0, "note"})
	writers := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "manager": v, "member": v, "viewer": "403", "outadmin": "403", "outsider": "403"}
	}
	readers := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "manager": v, "member": v, "viewer": v, "outadmin": "403", "outsider": "403"}
	}
	runAccessCases(t, f, []accessCase{
		{method: "getTask", params: func(*accessFixture) any { return []any{task} }, want: readers(ok)},
		{method: "getAllComments", params: func(*accessFixture) any { return []any{task} }, want: readers(ok)},
		{method: "getComment", params: func(*accessFixture) any { return []any{comment} }, want: readers(ok)},
		{method: "getAllSubtasks", params: func(*accessFixture) any { return []any{task} }, want: readers(ok)},
		{method: "updateTask", params: func(*accessFixture) any { return map[string]any{"id": task, "title": "Seen!"} }, want: writers("true")},
		{method: "createSubtask", params: func(*accessFixture) any { return []any{task, "s"} }, want: writers(ok)},
		{method: "getTask", params: func(*accessFixture) any { return []any{99999} }, want: map[string]string{"app": "null", "admin": "403", "member": "403"}},
	})
}

// TestRPCAccessTableCoversKanboard: the table names exactly Kanboard's 160
// procedures, and every registered procedure is in it.
func TestRPCAccessTableCoversKanboard(t *testing.T) {
	if len(rpcAccessTable) != 160 {
		t.Errorf("the access table has %d procedures, want 160", len(rpcAccessTable))
	}
	for name := range rpcProcedures {
		if _, ok := rpcAccessTable[name]; !ok {
			t.Errorf("%s is registered but not in the access table (users would be refused)", name)
		}
	}
}

// TestRPCMyDashboardAndActivity: a user's dashboard holds their open
// tasks, and those with a subtask of theirs, as Kanboard's extended task
// rows with the task's tags and only their own subtasks; their activity
// stream the events of their projects, newest first, and nothing of
// projects they are not in.
func TestRPCMyDashboardAndActivity(t *testing.T) {
	f := newAccessFixture(t)
	mine := f.callID(t, f.app(), "createTask", map[string]any{"title": "Mine", "project_id": f.p1, "owner_id": f.ids["member"],
		"tags": []string{"ops", "backend"}})
	notMine := f.callID(t, f.app(), "createTask", map[string]any{"title": "Not mine", "project_id": f.p1})
	f.callID(t, f.app(), "createTask", map[string]any{"title": "Elsewhere", "project_id": f.p2})
	f.callID(t, f.app(), "createSubtask", map[string]any{"task_id": mine, "title": "Someone else's step"})
	myStep := f.callID(t, f.app(), "createSubtask", map[string]any{"task_id": mine, "title": "My step", "user_id": f.ids["member"]})
	f.callID(t, f.app(), "createSubtask", map[string]any{"task_id": notMine, "title": "Help out", "user_id": f.ids["member"]})
	f.callTrue(t, f.callers["member"], "updateTask", map[string]any{"id": mine, "title": "Mine, renamed"})

	var dash []map[string]any
	raw := f.try(t, "member", "getMyDashboard", nil)
	json.Unmarshal([]byte(raw), &dash)
	if len(dash) != 2 || dash[0]["title"] != "Mine, renamed" || dash[0]["column_name"] != "Backlog" || dash[1]["title"] != "Not mine" {
		t.Fatalf("getMyDashboard = %s", raw)
	}
	// Kanboard's extended row: counts and names, no url or color.
	if dash[0]["nb_subtasks"] != float64(2) || dash[0]["assignee_username"] != "acc-member" || dash[0]["project_name"] == nil {
		t.Fatalf("getMyDashboard row %v", dash[0])
	}
	for _, key := range []string{"url", "color", "owner_username"} {
		if _, ok := dash[0][key]; ok {
			t.Errorf("getMyDashboard row has %q, which Kanboard's extended row has not", key)
		}
	}
	tags, _ := dash[0]["tags"].([]any)
	if len(tags) != 2 || tags[0].(map[string]any)["name"] != "backend" || tags[0].(map[string]any)["task_id"] != float64(mine) {
		t.Fatalf("tags %v, want backend and ops by name", dash[0]["tags"])
	}
	subtasks, _ := dash[0]["subtasks"].([]any)
	if len(subtasks) != 1 || subtasks[0].(map[string]any)["id"] != float64(myStep) || subtasks[0].(map[string]any)["title"] != "My step" {
		t.Fatalf("subtasks %v, want only the caller's", dash[0]["subtasks"])
	}
	if tags, _ := dash[1]["tags"].([]any); tags == nil || len(tags) != 0 {
		t.Fatalf("a task without tags has tags %v, want []", dash[1]["tags"])
	}
	var stream []map[string]any
	json.Unmarshal([]byte(f.try(t, "member", "getMyActivityStream", nil)), &stream)
	if len(stream) != 6 || stream[0]["event_name"] != store.EventTaskUpdate || stream[0]["author_username"] != "acc-member" ||
		stream[0]["event_title"] != fmt.Sprintf("acc-member updated the task #%d", mine) || stream[0]["task"] == nil {
		t.Fatalf("getMyActivityStream = %v", stream)
	}
	for _, e := range stream {
		if e["project_id"] != float64(f.p1) {
			t.Errorf("an event of another project: %v", e)
		}
	}
	if got := f.try(t, "outsider", "getMyActivityStream", nil); got != "[]" {
		t.Errorf("a user in no project sees %s", got)
	}
}
