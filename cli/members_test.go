package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"hookboard/store"
)

// TestUserAdminCommands: user add with a role, edit, role, disable/enable,
// passwd, rm, each visible in user list -json; bad input changes nothing.
func TestUserAdminCommands(t *testing.T) {
	db := testDB(t)
	run := func(stdin string, args ...string) (int, string, string) {
		return runCLI(t, stdin, append(args, "-db", db)...)
	}
	if code, _, errOut := run("root-password\n", "user", "add", "root", "-admin", "-password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := run("erin-password\n", "user", "add", "erin", "-role", "app-manager", "-name", "Erin", "-email", "erin@example.com", "-password-stdin", "-json")
	if code != 0 || !strings.Contains(out, `"role": "app-manager"`) {
		t.Fatalf("user add -role: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run("x-password\n", "user", "add", "x", "-role", "app-owner", "-password-stdin"); code == 0 || !strings.Contains(errOut, "role must be") {
		t.Fatalf("unknown role: %d %q", code, errOut)
	}
	if code, _, errOut := run("", "user", "edit", "erin", "-name", "Erin E.", "-email", "not-an-email"); code == 0 || !strings.Contains(errOut, "not an email") {
		t.Fatalf("bad email: %d %q", code, errOut)
	}
	if code, _, errOut := run("", "user", "edit", "erin", "-name", "Erin E."); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := run("", "user", "role", "erin", "app-admin"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := run("", "user", "disable", "erin"); code != 0 {
		t.Fatal(errOut)
	}
	list := func() map[string]map[string]any {
		t.Helper()
		code, out, errOut := run("", "user", "list", "-json")
		var users []map[string]any
		if err := json.Unmarshal([]byte(out), &users); code != 0 || err != nil {
			t.Fatalf("user list: %d %v %s", code, err, errOut)
		}
		byName := map[string]map[string]any{}
		for _, u := range users {
			byName[u["username"].(string)] = u
		}
		return byName
	}
	erin := list()["erin"]
	if erin["name"] != "Erin E." || erin["email"] != "erin@example.com" || erin["role"] != "app-admin" || erin["active"] != false {
		t.Fatalf("erin = %v", erin)
	}
	// root is then the last active admin: not disabled, demoted nor removed.
	for _, args := range [][]string{{"user", "disable", "root"}, {"user", "role", "root", "app-user"}, {"user", "rm", "root"}} {
		if code, _, errOut := run("", args...); code == 0 || !strings.Contains(errOut, "at least one active admin") {
			t.Errorf("%v: %d %q", args, code, errOut)
		}
	}
	if code, _, errOut := run("", "user", "enable", "erin"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := run("new-password\n", "user", "passwd", "erin", "-password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	st, err := openTestStore(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CheckPassword(context.Background(), "erin", "new-password"); err != nil {
		t.Errorf("password not reset: %v", err)
	}
	st.Close()
	if code, _, errOut := run("", "user", "rm", "erin"); code != 0 {
		t.Fatal(errOut)
	}
	if _, ok := list()["erin"]; ok {
		t.Fatal("user rm left the user")
	}
	if code, _, errOut := run("", "user", "rm", "erin"); code == 0 || errOut == "" {
		t.Fatal("removing an unknown user succeeded")
	}
}

// TestProjectMemberCommands: add-member, role, remove-member and members
// -json change and show a project's members.
func TestProjectMemberCommands(t *testing.T) {
	db := testDB(t)
	st, err := openTestStore(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := st.CreateProject(context.Background(), "Ops", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	run := func(args ...string) (int, string, string) { return runCLI(t, "", append(args, "-db", db)...) }
	if code, _, errOut := runCLI(t, "fred-password\n", "user", "add", "fred", "-password-stdin", "-db", db); code != 0 {
		t.Fatal(errOut)
	}
	id := jsonID(pid)
	if code, _, errOut := run("project", "add-member", id, "fred", "-role", "project-viewer"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := run("project", "add-member", id, "fred"); code == 0 || !strings.Contains(errOut, "already") {
		t.Fatalf("second add: %d %q", code, errOut)
	}
	if code, _, errOut := run("project", "add-member", id, "nobody"); code == 0 || errOut == "" {
		t.Fatal("unknown user added")
	}
	if code, _, errOut := run("project", "add-member", "999", "fred"); code == 0 || errOut == "" {
		t.Fatal("unknown project accepted")
	}
	if code, _, errOut := run("project", "role", id, "fred", "project-manager"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, _ := run("project", "members", id, "-json")
	var members []map[string]any
	if err := json.Unmarshal([]byte(out), &members); code != 0 || err != nil || len(members) != 1 ||
		members[0]["username"] != "fred" || members[0]["role"] != "project-manager" {
		t.Fatalf("members: %d %v %s", code, err, out)
	}
	if code, _, errOut := run("project", "remove-member", id, "fred"); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, _ := run("project", "members", id, "-json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("after remove-member: %s", out)
	}
}
