package cli

import (
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// helpFlag is one flag as "hookboard COMMAND -h" prints it.
type helpFlag struct {
	env, def string
}

var (
	helpFlagLine = regexp.MustCompile(`(?m)^  -(\S+)[^\n]*\n\s+([^\n]*)$`)
	helpEnv      = regexp.MustCompile(`\(env (HOOKBOARD_[A-Z_]+)\)`)
	helpDefault  = regexp.MustCompile(`\(default "?([^")]*)"?\)$`)
	readmeRow    = regexp.MustCompile("(?m)^\\| `(-[a-z0-9-]+)` \\|([^|]*)\\|([^|]*)\\|")
	readmeCmd    = regexp.MustCompile("`hookboard ([a-z-]+)`")
)

// commandFlags runs "hookboard NAME -h" and reads its flags.
func commandFlags(t *testing.T, name string) map[string]helpFlag {
	t.Helper()
	args := []string{name, "-h"}
	code, stdout, stderr := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("hookboard %s -h: exit %d: %s", name, code, stderr)
	}
	out := stdout
	flags := map[string]helpFlag{}
	for _, m := range helpFlagLine.FindAllStringSubmatch(out, -1) {
		var f helpFlag
		if e := helpEnv.FindStringSubmatch(m[2]); e != nil {
			f.env = e[1]
		}
		if d := helpDefault.FindStringSubmatch(m[2]); d != nil {
			f.def = d[1]
		}
		flags["-"+m[1]] = f
	}
	if len(flags) == 0 {
		t.Fatalf("hookboard %s -h lists no flags:\n%s", name, out)
	}
	return flags
}

// TestREADMEListsEveryFlag compares the README's flag tables with the -h
// output of every command: the same flags, no stale ones, the same
// environment variables, and the same defaults.
func TestREADMEListsEveryFlag(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, "\n## Flags\n")
	if start < 0 {
		t.Fatal("README has no Flags section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}

	documented := map[string]bool{}
	for _, sub := range strings.Split(section, "\n### ")[1:] {
		header, body, _ := strings.Cut(sub, "\n")
		var names []string
		for _, m := range readmeCmd.FindAllStringSubmatch(header, -1) {
			names = append(names, m[1])
		}
		if len(names) == 0 {
			continue // "Subcommands": prose only
		}
		want := map[string]helpFlag{}
		for _, name := range names {
			if _, ok := commands[name]; !ok {
				t.Errorf("README documents %q, which is not a command", name)
				continue
			}
			documented[name] = true
			for flag, f := range commandFlags(t, name) {
				if prev, ok := want[flag]; ok && prev != f {
					t.Errorf("%v: %s differs between the commands (%+v, %+v)", names, flag, prev, f)
				}
				want[flag] = f
			}
		}
		rows := map[string][2]string{}
		for _, m := range readmeRow.FindAllStringSubmatch(body, -1) {
			rows[m[1]] = [2]string{strings.Trim(m[2], "` "), strings.Trim(m[3], "` ")}
		}
		for _, flag := range sortedKeys(want) {
			f := want[flag]
			row, ok := rows[flag]
			if !ok {
				t.Errorf("README section %q lacks %s", header, flag)
				continue
			}
			if row[0] != f.env {
				t.Errorf("README section %q: %s environment %q, -h says %q", header, flag, row[0], f.env)
			}
			if f.def != "" && row[1] != f.def {
				t.Errorf("README section %q: %s default %q, -h says %q", header, flag, row[1], f.def)
			}
		}
		for flag := range rows {
			if _, ok := want[flag]; !ok {
				t.Errorf("README section %q lists %s, which %v do not have", header, flag, names)
			}
		}
	}
	for name := range commands {
		if !documented[name] {
			t.Errorf("README's Flags section has no table for %q", name)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestReleaseBuildStampsVersion checks that the README's Install section
// builds the way the test binary is built, with its -ldflags -X target,
// and that the stamped version is what "hookboard version" prints.
func TestReleaseBuildStampsVersion(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X (\S+)=v1\.0\.0" -o hookboard \.`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("README's Install section has no release build line")
	}
	if string(m[1]) != versionVar {
		t.Fatalf("README's release build stamps %s; the version is %s", m[1], versionVar)
	}
	bin := buildHookboard(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil || string(out) != "hookboard "+testVersion+"\n" {
		t.Fatalf("hookboard version: %q (%v)", out, err)
	}
	out, err = exec.Command(bin, "version", "-json").Output()
	if err != nil || !strings.Contains(string(out), `"version": "`+testVersion+`"`) {
		t.Fatalf("hookboard version -json: %q (%v)", out, err)
	}
}
