package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"hookboard/store"
)

// subcommands is every command line the CLI has, with its subcommands.
var subcommands = [][]string{
	{"serve"}, {"version"}, {"backup"}, {"deliveries"}, {"redeliver"}, {"import-kanboard"},
	{"user"}, {"user", "add"}, {"user", "passwd"}, {"user", "list"},
	{"integration"}, {"integration", "add"}, {"integration", "list"}, {"integration", "regenerate"},
	{"integration", "enable"}, {"integration", "disable"}, {"integration", "rm"},
	{"token"}, {"token", "add"}, {"token", "list"}, {"token", "rm"},
	{"webhook"}, {"webhook", "add"}, {"webhook", "list"}, {"webhook", "test"}, {"webhook", "rm"},
	{"webhook", "enable"}, {"webhook", "disable"}, {"webhook", "rotate-secret"}, {"webhook", "rotate-token"},
	{"project"}, {"project", "list"}, {"project", "create"}, {"project", "show"}, {"project", "rename"},
	{"project", "describe"}, {"project", "disable"}, {"project", "enable"}, {"project", "remove"},
	{"project", "column", "add"}, {"project", "column", "rename"}, {"project", "column", "move"},
	{"project", "column", "limit"}, {"project", "column", "remove"},
	{"project", "swimlane", "add"}, {"project", "swimlane", "rename"}, {"project", "swimlane", "move"},
	{"project", "swimlane", "enable"}, {"project", "swimlane", "disable"}, {"project", "swimlane", "remove"},
	{"project", "category", "add"}, {"project", "category", "rename"}, {"project", "category", "color"},
	{"project", "category", "remove"},
	{"project", "groups"}, {"project", "add-group"}, {"project", "remove-group"}, {"project", "group-role"},
	{"group"}, {"group", "list"}, {"group", "create"}, {"group", "rename"}, {"group", "rm"}, {"group", "members"},
	{"group", "add-member"}, {"group", "remove-member"},
}

// TestCommandLineConventions checks, over every command and subcommand,
// what the README promises of them all: -h prints the usage on standard
// output and exits 0; a flag that does not exist is a usage error (exit
// 2), as JSON on standard error with -json; an unknown subcommand is named
// as such and exits 2.
func TestCommandLineConventions(t *testing.T) {
	db := testDB(t)
	for _, cmd := range subcommands {
		name := strings.Join(cmd, " ")
		t.Run(name+" -h", func(t *testing.T) {
			code, out, errOut := runCLI(t, "", append(cmd, "-h")...)
			if code != 0 || !strings.Contains(out, "Usage: hookboard") || errOut != "" {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
		if cmd[0] == "serve" {
			continue // a bad serve flag is checked below without starting anything
		}
		t.Run(name+" -bogus", func(t *testing.T) {
			args := append(append([]string{}, cmd...), "-db", db, "-bogus")
			if len(cmd) == 1 && commandHasSubcommands(cmd[0]) {
				args = append(append([]string{}, cmd...), "list", "-db", db, "-bogus")
			}
			if cmd[0] == "version" {
				args = []string{"version", "-bogus"} // version has no -db
			}
			code, out, errOut := runCLI(t, "", args...)
			if code != 2 || !strings.Contains(errOut, "flag provided but not defined: -bogus") || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			code, out, errOut = runCLI(t, "", append(args, "-json")...)
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(errOut), &e); code != 2 || err != nil || !strings.Contains(e.Error, "-bogus") || out != "" {
				t.Errorf("-json: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
		if len(cmd) == 1 && commandHasSubcommands(cmd[0]) {
			t.Run(name+" frob", func(t *testing.T) {
				code, out, errOut := runCLI(t, "", cmd[0], "frob", "-db", db)
				if code != 2 || !strings.Contains(errOut, "unknown "+cmd[0]+` subcommand "frob"`) || out != "" {
					t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
				}
				code, _, errOut = runCLI(t, "", cmd[0], "frob", "1", "-json")
				var e struct{ Error string }
				if err := json.Unmarshal([]byte(errOut), &e); code != 2 || err != nil || !strings.Contains(e.Error, `"frob"`) {
					t.Errorf("-json: exit %d, stderr %q", code, errOut)
				}
			})
		}
	}
	if code, _, errOut := runCLI(t, "", "serve", "-db", db, "-bogus"); code != 2 || !strings.Contains(errOut, "-bogus") {
		t.Errorf("serve -bogus: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "deliveries", "-db", db, "-limit", "many"); code != 2 || !strings.Contains(errOut, "-limit") {
		t.Errorf("deliveries -limit many: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "redeliver", "x", "-db", db, "-json"); code != 2 || !strings.HasPrefix(errOut, "{") {
		t.Errorf("redeliver x -json: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "webhook", "rm", "7", "-db", db, "-json"); code != 1 || !strings.Contains(errOut, `"error": "`) ||
		!strings.Contains(errOut, "not found") {
		t.Errorf("webhook rm 7 -json: exit %d, stderr %q", code, errOut)
	}
}

func commandHasSubcommands(name string) bool {
	return name == "user" || name == "integration" || name == "token" || name == "webhook" || name == "project" || name == "group"
}

// TestListsSayWhatTheyShow: every list prints a header row over its rows,
// says so when it is empty, and counts in words that agree ("1 request").
func TestListsSayWhatTheyShow(t *testing.T) {
	db := testDB(t)
	lists := []struct {
		args   []string
		none   string
		header string
		add    []string
	}{
		{[]string{"user", "list"}, "no users", "ID\tUSERNAME\tROLE\tACTIVE\tNAME\tEMAIL", []string{"user", "add", "ann"}},
		{[]string{"token", "list", "-user", "ann"}, "no personal tokens for ann", "ID\tNAME\tTOKEN\tEXPIRES\tLAST USED",
			[]string{"token", "add", "-user", "ann", "-name", "ci"}},
		{[]string{"integration", "list"}, "no integrations", "ID\tNAME\tKIND\tTOKEN\tSTATE\tLAST USED\tREQUESTS",
			[]string{"integration", "add", "alerts"}},
		{[]string{"webhook", "list"}, "no webhooks", "ID\tNAME\tURL\tFORMAT\tEVENTS\tPROJECTS\tTIMEOUT\tSTATE",
			[]string{"webhook", "add", "-url", "https://example.com/hook"}},
		{[]string{"project", "list"}, "no projects", "ID\tNAME\tIDENTIFIER\tSTATE", []string{"project", "create", "Ops"}},
		{[]string{"group", "list"}, "no groups", "ID\tNAME\tEXTERNAL ID\tUSERS", []string{"group", "create", "Ops"}},
		{[]string{"deliveries"}, "no deliveries", "ID\tCREATED\tEVENT\tENDPOINT\tSTATUS\tATTEMPTS\tDETAIL", nil},
	}
	// In this order: the user list's new user owns the tokens.
	for _, l := range lists {
		t.Run(strings.Join(l.args, " "), func(t *testing.T) {
			args := append(append([]string{}, l.args...), "-db", db)
			code, out, errOut := runCLI(t, "", args...)
			if code != 0 || out != l.none+"\n" {
				t.Errorf("empty: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if code, out, _ := runCLI(t, "", append(args, "-json")...); code != 0 || strings.TrimSpace(out) != "[]" {
				t.Errorf("empty -json: exit %d, stdout %q", code, out)
			}
			if l.add == nil {
				return
			}
			if code, _, errOut := runCLI(t, "", append(append([]string{}, l.add...), "-db", db)...); code != 0 {
				t.Fatal(errOut)
			}
			code, out, _ = runCLI(t, "", args...)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code != 0 || len(lines) != 2 || lines[0] != l.header || !strings.HasPrefix(lines[1], "1\t") {
				t.Errorf("one item: exit %d, stdout %q", code, out)
			}
		})
	}

	st, err := openTestStore(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.RecordIntegrationUse(1)
	if err := st.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, out, _ := runCLI(t, "", "integration", "list", "-db", db); !strings.Contains(out, "\t1 request in 7 days") {
		t.Errorf("one request: %q", out)
	}
}
