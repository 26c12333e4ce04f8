package handlers

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestRPCGroupProcedures: the group and group-member procedures serve the
// app token and app-admins (whatever their project roles) and refuse
// everybody else; their answers have Kanboard's shapes.
func TestRPCGroupProcedures(t *testing.T) {
	f := newAccessFixture(t)
	ctx := context.Background()
	devs, err := f.st.CreateGroup(ctx, "Developers", "cn=dev")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddGroupMember(ctx, devs, f.ids["member"]); err != nil {
		t.Fatal(err)
	}
	admins := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "outadmin": v, "manager": "403", "member": "403", "viewer": "403", "outsider": "403"}
	}
	g := func(*accessFixture) any { return []any{devs} }
	gm := func(f *accessFixture) any { return []any{devs, f.ids["member"]} }
	runAccessCases(t, f, []accessCase{
		{method: "getGroup", params: g, want: admins(fmt.Sprintf(`{"external_id":"cn=dev","id":%d,"name":"Developers"}`, devs))},
		{method: "getAllGroups", want: admins(fmt.Sprintf(`[{"external_id":"cn=dev","id":%d,"name":"Developers","nb_users":1}]`, devs))},
		{method: "getMemberGroups", params: func(f *accessFixture) any { return []any{f.ids["member"]} },
			want: admins(fmt.Sprintf(`[{"external_id":"cn=dev","id":%d,"name":"Developers"}]`, devs))},
		{method: "isGroupMember", params: gm, want: admins("true")},
		{method: "getGroupMembers", params: g, want: admins(ok)},
		{method: "createGroup", params: func(*accessFixture) any { return []any{"Developers"} }, want: admins("false")},
		{method: "updateGroup", params: func(*accessFixture) any { return map[string]any{"group_id": devs, "external_id": "cn=dev"} }, want: admins("true")},
		{method: "addGroupMember", params: gm, want: admins("false")},
		{method: "removeGroup", params: func(*accessFixture) any { return []any{999} }, want: admins("false")},
	})

	app := f.callers["app"]
	members := string(f.call(t, app, "getGroupMembers", []any{devs}))
	if !strings.Contains(members, `"username":"acc-member"`) || !strings.Contains(members, fmt.Sprintf(`"group_id":%d`, devs)) ||
		!strings.Contains(members, `"password":""`) {
		t.Errorf("getGroupMembers = %s", members)
	}
	ops := f.callID(t, app, "createGroup", map[string]any{"name": "Ops"})
	runRPCCases(t, f.rpcFixture, []rpcCase{
		{"new group", app, "getGroup", []any{ops}, fmt.Sprintf(`{"external_id":"","id":%d,"name":"Ops"}`, ops)},
		{"rename", app, "updateGroup", map[string]any{"group_id": ops, "name": "Operations"}, "true"},
		{"rename to a taken name", app, "updateGroup", map[string]any{"group_id": ops, "name": "Developers"}, "false"},
		{"nothing to update", app, "updateGroup", map[string]any{"group_id": ops}, "false"},
		{"update an unknown group", app, "updateGroup", map[string]any{"group_id": 999, "name": "x"}, "false"},
		{"blank name", app, "createGroup", []any{" "}, "false"},
		{"unknown group", app, "getGroup", []any{999}, "null"},
		{"add", app, "addGroupMember", []any{ops, f.ids["viewer"]}, "true"},
		{"add an unknown user", app, "addGroupMember", []any{ops, 999}, "false"},
		{"member", app, "isGroupMember", []any{ops, f.ids["viewer"]}, "true"},
		{"remove", app, "removeGroupMember", []any{ops, f.ids["viewer"]}, "true"},
		{"remove again", app, "removeGroupMember", []any{ops, f.ids["viewer"]}, "false"},
		{"not a member", app, "isGroupMember", []any{ops, f.ids["viewer"]}, "false"},
		{"no groups", app, "getMemberGroups", []any{f.ids["viewer"]}, "[]"},
		{"remove group", app, "removeGroup", []any{ops}, "true"},
		{"removed", app, "getGroup", []any{ops}, "null"},
		{"missing name", app, "createGroup", map[string]any{}, "-32602"},
	})
	if g, _ := f.st.GroupByID(ctx, devs); g.Name != "Developers" {
		t.Errorf("the refused rename changed the group: %+v", g)
	}
}

// TestRPCProjectGroups: project managers share a project with groups; a
// user whose only role comes from a group uses the project with that
// role; a direct role wins; among groups the highest wins.
func TestRPCProjectGroups(t *testing.T) {
	f := newAccessFixture(t)
	app := f.callers["app"]
	viewers := f.callID(t, app, "createGroup", []any{"Viewers"})
	leads := f.callID(t, app, "createGroup", []any{"Leads"})
	out := f.ids["outsider"]
	f.callTrue(t, app, "addGroupMember", []any{viewers, out})

	managers := func(v string) map[string]string {
		return map[string]string{"app": v, "admin": v, "manager": v, "member": "403", "viewer": "403", "outadmin": "403", "outsider": "403"}
	}
	runAccessCases(t, f, []accessCase{
		{method: "changeProjectGroupRole", params: func(f *accessFixture) any { return []any{f.p1, 999, "project-member"} }, want: managers("false")},
		{method: "removeProjectGroup", params: func(f *accessFixture) any { return []any{f.p1, 999} }, want: managers("false")},
		{method: "addProjectGroup", params: func(f *accessFixture) any { return []any{f.p1, 999} }, want: managers("false")},
	})

	// Not shared yet: the outsider is refused.
	if got := f.try(t, "outsider", "getProjectById", []any{f.p1}); got != "403" {
		t.Fatalf("outsider before sharing = %s", got)
	}
	if got := f.try(t, "manager", "addProjectGroup", []any{f.p1, viewers, "project-viewer"}); got != "true" {
		t.Fatalf("addProjectGroup = %s", got)
	}
	if got := f.try(t, "manager", "addProjectGroup", []any{f.p1, viewers}); got != "false" {
		t.Errorf("second addProjectGroup = %s", got)
	}
	if got := f.try(t, "manager", "getProjectUserRole", []any{f.p1, out}); got != `"project-viewer"` {
		t.Errorf("role through the group = %s", got)
	}
	if got := f.try(t, "outsider", "getProjectById", []any{f.p1}); got == "403" {
		t.Error("a group viewer cannot read the project")
	}
	if got := f.try(t, "outsider", "createTask", []any{"Nope", f.p1}); got != "403" {
		t.Errorf("a group viewer created a task: %s", got)
	}
	if got := f.try(t, "outsider", "getMyProjectsList", nil); got != fmt.Sprintf(`{"%d":"Alpha"}`, f.p1) {
		t.Errorf("getMyProjectsList = %s", got)
	}
	users := f.try(t, "manager", "getProjectUsers", []any{f.p1})
	if !strings.Contains(users, fmt.Sprintf(`"%d":"acc-outsider"`, out)) {
		t.Errorf("getProjectUsers misses the group member: %s", users)
	}
	if assignable := f.try(t, "manager", "getAssignableUsers", []any{f.p1}); strings.Contains(assignable, "acc-outsider") {
		t.Errorf("a group viewer is assignable: %s", assignable)
	}

	// The group becomes member: so does the outsider.
	if got := f.try(t, "manager", "changeProjectGroupRole", []any{f.p1, viewers, "project-member"}); got != "true" {
		t.Fatalf("changeProjectGroupRole = %s", got)
	}
	if got := f.try(t, "manager", "changeProjectGroupRole", []any{f.p1, viewers, "project-owner"}); got != "false" {
		t.Errorf("unknown role = %s", got)
	}
	if got := f.try(t, "outsider", "createTask", []any{"Through a group", f.p1}); got == "403" || got == "false" {
		t.Errorf("a group member cannot create a task: %s", got)
	}
	if assignable := f.try(t, "manager", "getAssignableUsers", []any{f.p1}); !strings.Contains(assignable, "acc-outsider") {
		t.Errorf("a group member is not assignable: %s", assignable)
	}

	// Highest group role wins: Leads are managers.
	f.callTrue(t, app, "addGroupMember", []any{leads, out})
	f.callTrue(t, app, "addProjectGroup", []any{f.p1, leads, "project-manager"})
	if got := f.try(t, "outsider", "getProjectUserRole", []any{f.p1, out}); got != `"project-manager"` {
		t.Errorf("highest group role = %s", got)
	}
	if got := f.try(t, "outsider", "changeProjectGroupRole", []any{f.p1, viewers, "project-viewer"}); got != "true" {
		t.Errorf("a manager through a group cannot manage: %s", got)
	}

	// A direct role wins over the groups': the viewer joins Leads and stays a viewer.
	f.callTrue(t, app, "addGroupMember", []any{leads, f.ids["viewer"]})
	if got := f.try(t, "viewer", "getProjectUserRole", []any{f.p1, f.ids["viewer"]}); got != `"project-viewer"` {
		t.Errorf("direct role = %s", got)
	}
	if got := f.try(t, "viewer", "createTask", []any{"Nope", f.p1}); got != "403" {
		t.Errorf("a direct viewer in a manager group created a task: %s", got)
	}

	// Removed from the project, the group gives nothing.
	f.callTrue(t, app, "removeProjectGroup", []any{f.p1, leads})
	f.callTrue(t, app, "removeProjectGroup", []any{f.p1, viewers})
	if got := f.try(t, "outsider", "getProjectById", []any{f.p1}); got != "403" {
		t.Errorf("outsider after removal = %s", got)
	}
}
