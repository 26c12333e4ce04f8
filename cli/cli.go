// Package cli is Hookboard's command line: the server and the admin
// subcommands that work on the same database file while the server runs.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"hookboard/store"
)

// Version is stamped at build time: -ldflags "-X hookboard/cli.Version=v1.2.3".
var Version = "dev"

// Env is what a command reads and writes; tests pass their own.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Ready, when set, receives the server's address once it listens (tests).
	Ready func(addr string)
}

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands is the table of subcommands.
var commands = map[string]command{
	"serve":           {"run the server (the default)", runServe},
	"user":            {"add|passwd|edit|role|disable|enable|rm|list users", runUser},
	"project":         {"list|create|show|rename|describe|disable|enable|remove projects; their column|swimlane|category; members|add-member|remove-member|role; groups|add-group|remove-group|group-role", runProjectConfig},
	"group":           {"list|create|rename|rm groups; members|add-member|remove-member", runGroup},
	"integration":     {"add|list|edit|regenerate|enable|disable|rm incoming and API integrations", runIntegration},
	"token":           {"add|list|rm personal access tokens", runToken},
	"version":         {"print the version", runVersion},
	"backup":          {"write an online, consistent copy of the database to FILE", runBackup},
	"webhook":         {"add|list|test|rm|enable|disable|rotate-secret|rotate-token outgoing webhook endpoints", runWebhook},
	"deliveries":      {"list outgoing webhook deliveries", runDeliveries},
	"redeliver":       {"send an outgoing webhook delivery again", runRedeliver},
	"import-kanboard": {"copy a Kanboard SQLite database (and its files) into Hookboard", runImportKanboard},
}

// usageError is a mistake in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Run runs one command line and returns the process exit status.
func Run(ctx context.Context, env *Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	args := env.Args
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	// "hookboard -h" and "hookboard serve -h" list the commands and the
	// server's flags; "hookboard COMMAND -h" reaches the command, whose
	// flag set prints its own flags.
	if name == "help" || (name == "serve" && len(args) > 0 && isHelp(args[0])) {
		printUsage(env.Stdout)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		if wantsJSON(args) {
			printJSON(env.Stderr, map[string]string{"error": fmt.Sprintf("unknown command %q", name)})
			return 2
		}
		fmt.Fprintf(env.Stderr, "hookboard: unknown command %q\n\n", name)
		printUsage(env.Stderr)
		return 2
	}
	err := cmd.run(ctx, env, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		if wantsJSON(args) {
			printJSON(env.Stderr, map[string]string{"error": userMessage(err)})
		} else {
			fmt.Fprintf(env.Stderr, "hookboard %s: %s\n", name, userMessage(err))
		}
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
}

// isHelp says whether a command-line word asks for help.
func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// wantsJSON says whether the command line asks for -json, so that its
// errors are JSON too.
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "-json", "--json", "-json=true", "--json=true":
			return true
		}
	}
	return false
}

// subcommand splits "hookboard COMMAND SUB args…" for a command whose
// subcommands are subs; "hookboard COMMAND -h" becomes a flag parse that
// prints the command's usage and flags.
func subcommand(command, usage string, subs []string, args []string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usagef("usage: hookboard %s", usage)
	}
	sub, args := args[0], args[1:]
	if isHelp(sub) {
		return "", []string{"-h"}, nil
	}
	if !slices.Contains(subs, sub) {
		return "", nil, usagef("unknown %s subcommand %q (%s)", command, sub, strings.Join(subs, ", "))
	}
	return sub, args, nil
}

// userMessage strips the package prefixes that errors carry for the logs.
func userMessage(err error) string {
	var inv *store.InvalidError
	if errors.As(err, &inv) {
		return inv.Reason
	}
	// "store: create user: user "x": already exists" reads better without
	// the package names the logs want.
	return strings.ReplaceAll(err.Error(), "store: ", "")
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: hookboard [command] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'hookboard COMMAND -h' for a command's flags. Server flags ('hookboard serve'):")
	fs, _ := serveFlags(&Env{Getenv: func(string) string { return "" }, Stderr: io.Discard})
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// flagSet makes a FlagSet whose flags may also come from HOOKBOARD_* variables.
type flagSet struct {
	*flag.FlagSet
	env     *Env
	envErrs map[string]error // flag name -> its environment variable did not parse
}

// badEnv records an environment variable whose value does not fit its
// flag; parse reports it unless the flag is given on the command line.
func (f *flagSet) badEnv(name, value, want string) {
	if f.envErrs == nil {
		f.envErrs = map[string]error{}
	}
	f.envErrs[name] = usagef("%s=%q is not %s", envName(name), value, want)
}

// envError is the first bad environment variable of a flag the command
// line did not set.
func (f *flagSet) envError() error {
	for name := range f.given() {
		delete(f.envErrs, name)
	}
	names := make([]string, 0, len(f.envErrs))
	for n := range f.envErrs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil
	}
	return f.envErrs[names[0]]
}

func newFlagSet(env *Env, name, usage string) *flagSet {
	fs := flag.NewFlagSet("hookboard "+name, flag.ContinueOnError)
	// parse reports a flag's mistake as the command's error, and prints
	// the usage asked for with -h on standard output.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: hookboard %s\n\nFlags (each also read from the environment variable shown):\n", usage)
		fs.PrintDefaults()
	}
	return &flagSet{FlagSet: fs, env: env}
}

// envName is the variable for a flag: -base-url is HOOKBOARD_BASE_URL.
func envName(flagName string) string {
	return "HOOKBOARD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flagSet) envOr(name, def string) string {
	if v := f.env.Getenv(envName(name)); v != "" {
		return v
	}
	return def
}

// envUsage is a flag's usage naming its environment variable.
func envUsage(name, usage string) string { return usage + " (env " + envName(name) + ")" }

func (f *flagSet) StringVar(p *string, name, def, usage string) {
	f.FlagSet.StringVar(p, name, f.envOr(name, def), envUsage(name, usage))
}

func (f *flagSet) String(name, def, usage string) *string {
	p := new(string)
	f.StringVar(p, name, def, usage)
	return p
}

// DurationVar is a duration flag whose default may come from its
// environment variable; a value that does not parse is reported by parse
// rather than ignored.
func (f *flagSet) DurationVar(p *time.Duration, name string, def time.Duration, usage string) {
	f.FlagSet.DurationVar(p, name, envDefault(f, name, def, "a duration such as 10s", time.ParseDuration), envUsage(name, usage))
}

// Int64Var is an integer flag whose default may come from its environment
// variable, as DurationVar.
func (f *flagSet) Int64Var(p *int64, name string, def int64, usage string) {
	parse := func(v string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(v), 10, 64) }
	f.FlagSet.Int64Var(p, name, envDefault(f, name, def, "an integer", parse), envUsage(name, usage))
}

// envDefault is a flag's default: its environment variable's value when
// set and parse reads it, def otherwise (a value that does not parse is
// kept for parse to report).
func envDefault[T any](f *flagSet, name string, def T, want string, parse func(string) (T, error)) T {
	if v := f.envOr(name, ""); v != "" {
		if x, err := parse(v); err == nil {
			return x
		}
		f.badEnv(name, v, want)
	}
	return def
}

// dbFlag adds the -db flag every command has.
func (f *flagSet) dbFlag() *string {
	return f.String("db", "./hookboard.db", "SQLite database file, or a postgres:// URL")
}

// given is the set of flags the command line set (not those read from
// the environment): an edit changes only what was given.
func (f *flagSet) given() map[string]bool {
	set := map[string]bool{}
	f.FlagSet.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set
}

// jsonFlag adds -json, for scripts.
func (f *flagSet) jsonFlag() *bool {
	return f.FlagSet.Bool("json", false, "print JSON instead of text")
}

// parse parses flags that may be mixed with positional arguments
// ("user add NAME -admin"), returning the positional ones.
func (f *flagSet) parse(args []string) ([]string, error) {
	var positional []string
	for {
		if err := f.FlagSet.Parse(args); errors.Is(err, flag.ErrHelp) {
			f.SetOutput(f.env.Stdout)
			f.Usage()
			return nil, err
		} else if err != nil {
			return nil, usagef("%v (see '%s -h')", err, f.Name())
		}
		rest := f.FlagSet.Args()
		if len(rest) == 0 {
			return positional, f.envError()
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// keyFileEnv names the file of the key that encrypts the stored secrets,
// when it is not the default: beside a SQLite file (PATH.key), and
// hookboard.key in the working directory for a PostgreSQL database. Every
// instance and command on one PostgreSQL database must use the same key.
const keyFileEnv = "HOOKBOARD_KEY_FILE"

func openStore(env *Env, path string) (*store.Store, error) {
	return store.Open(path, store.Options{KeyFile: env.Getenv(keyFileEnv)})
}

// parseID reads the numeric ID positional argument of a subcommand.
func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, usagef("%s id %q is not a number", what, s)
	}
	return id, nil
}

// unixText is a stored Unix time as the CLI prints it.
func unixText(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// lastUsedText is a credential's last use, for the list commands.
func lastUsedText(unix int64) string {
	if unix == 0 {
		return "never used"
	}
	return "last used " + unixText(unix)
}

// parseDuration reads Nd (days) or a Go duration such as 12h; ok is false
// for anything else and for a negative duration.
func parseDuration(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n >= 0
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

// listText is how a list command prints as text: the header row over its
// tab-separated lines, and what it says when there is nothing ("no users").
type listText struct {
	header string
	none   string
}

// printList prints a list command's items: a JSON array of their toJSON
// objects, or a header row and one tab-separated line each.
func printList[T any](env *Env, asJSON bool, text listText, list []T, toJSON func(T) map[string]any, line func(T) string) error {
	if asJSON {
		rows := make([]map[string]any, 0, len(list))
		for _, x := range list {
			rows = append(rows, toJSON(x))
		}
		return printJSON(env.Stdout, rows)
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, text.none)
		return nil
	}
	fmt.Fprintln(env.Stdout, text.header)
	for _, x := range list {
		fmt.Fprintln(env.Stdout, line(x))
	}
	return nil
}

// plural is "1 request", "2 requests".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// printDone reports that subcommand sub changed the item id of kind what.
func printDone(env *Env, asJSON bool, what string, id int64, sub string) error {
	if asJSON {
		return printJSON(env.Stdout, map[string]any{"id": id, "done": sub})
	}
	fmt.Fprintf(env.Stdout, "%s %d: %s done\n", what, id, sub)
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "version", "version [-json]")
	asJSON := fs.jsonFlag()
	if _, err := fs.parse(args); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, map[string]string{"version": Version})
	}
	fmt.Fprintln(env.Stdout, "hookboard", Version)
	return nil
}
