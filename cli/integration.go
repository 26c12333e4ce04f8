package cli

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"hookboard/handlers"
	"hookboard/store"
)

func runIntegration(ctx context.Context, env *Env, args []string) error {
	sub, args, err := subcommand("integration", "integration add|list|edit|regenerate|enable|disable|rm", []string{"add", "list", "edit", "regenerate", "enable", "disable", "rm"}, args)
	if err != nil {
		return err
	}
	fs := newFlagSet(env, "integration "+sub,
		"integration add NAME [-kind incoming|api] [-project ID] [-column ID] [-swimlane ID] [-expires 30d] [-allow-ip CIDR,…] [-require-proof] | list | edit ID [-name N] [-description D] [-expires 30d|never] [-project ID -column ID -swimlane ID] [-allow-ip CIDR,…|any] [-require-proof[=false]] | regenerate ID | enable ID | disable ID | rm ID")
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	kind := fs.FlagSet.String("kind", store.KindIncoming, "incoming (creates tasks from the incoming URL) or api (JSON-RPC)")
	name := fs.FlagSet.String("name", "", "a new name (edit)")
	description := fs.FlagSet.String("description", "", "what the integration is for")
	project := fs.FlagSet.Int64("project", 0, "default project id")
	column := fs.FlagSet.Int64("column", 0, "default column id (in the default project)")
	swimlane := fs.FlagSet.Int64("swimlane", 0, "default swimlane id (in the default project)")
	expires := fs.FlagSet.String("expires", "never", "expiry: never, or a duration such as 30d or 12h")
	allowIP := fs.FlagSet.String("allow-ip", "", "comma-separated addresses or CIDRs allowed to use the token, or any (default any)")
	requireProof := fs.FlagSet.Bool("require-proof", false, "callers must also send appsecret_proof (HMAC-SHA256 of the token keyed with the app secret)")
	baseURL := fs.String("base-url", "http://127.0.0.1:8080", "how users reach Hookboard (for the printed curl command)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()

	switch sub {
	case "add":
		if len(pos) != 1 {
			return usagef("usage: hookboard integration add NAME [flags]")
		}
		ttl, err := parseExpiry(*expires)
		if err != nil {
			return err
		}
		ips, err := parseAllowIP(*allowIP)
		if err != nil {
			return err
		}
		in, secrets, err := st.CreateIntegration(ctx, store.NewIntegration{
			Name: pos[0], Description: *description, Kind: *kind,
			DefaultProjectID: *project, DefaultColumnID: *column, DefaultSwimlaneID: *swimlane,
			ExpiresIn: ttl, AllowedIPs: ips, RequireProof: *requireProof,
		})
		if err != nil {
			return err
		}
		return printIntegrationSecrets(env, *asJSON, in.ID, in.Kind, secrets, *baseURL)
	case "list":
		list, err := st.Integrations(ctx)
		if err != nil {
			return err
		}
		usage, err := st.IntegrationUsage(ctx, 7)
		if err != nil {
			return err
		}
		return printList(env, *asJSON, listText{"ID\tNAME\tKIND\tTOKEN\tSTATE\tLAST USED\tREQUESTS", "no integrations"}, list,
			func(in store.Integration) map[string]any { return integrationJSON(in, usage[in.ID]) },
			func(in store.Integration) string {
				state := "enabled"
				if !in.Enabled {
					state = "disabled"
				} else if in.Expired(time.Now()) {
					state = "expired"
				}
				total := 0
				for _, d := range usage[in.ID] {
					total += d.Count
				}
				return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s in 7 days",
					in.ID, in.Name, in.Kind, in.TokenHint, state, lastUsedText(in.LastUsedAt), plural(total, "request", "requests"))
			})
	case "edit":
		if len(pos) != 1 {
			return usagef("usage: hookboard integration edit ID [flags]")
		}
		id, err := parseID("integration", pos[0])
		if err != nil {
			return err
		}
		cur, err := st.IntegrationByID(ctx, id)
		if err != nil {
			return err
		}
		e, err := integrationEdit(fs, cur, editFlags{name: *name, description: *description, expires: *expires,
			project: *project, column: *column, swimlane: *swimlane, allowIP: *allowIP, requireProof: *requireProof})
		if err != nil {
			return err
		}
		appSecret, err := st.EditIntegration(ctx, id, e)
		if err != nil {
			return err
		}
		return printIntegrationEdited(ctx, env, st, *asJSON, id, appSecret)
	case "regenerate", "enable", "disable", "rm":
		if len(pos) != 1 {
			return usagef("usage: hookboard integration %s ID", sub)
		}
		id, err := parseID("integration", pos[0])
		if err != nil {
			return err
		}
		switch sub {
		case "regenerate":
			in, err := st.IntegrationByID(ctx, id)
			if err != nil {
				return err
			}
			secrets, err := st.RegenerateIntegration(ctx, id)
			if err != nil {
				return err
			}
			return printIntegrationSecrets(env, *asJSON, id, in.Kind, secrets, *baseURL)
		case "enable", "disable":
			err = st.SetIntegrationEnabled(ctx, id, sub == "enable")
		case "rm":
			err = st.DeleteIntegration(ctx, id)
		}
		if err != nil {
			return err
		}
		return printDone(env, *asJSON, "integration", id, sub)
	default:
		return usagef("unknown integration subcommand %q", sub)
	}
}

// editFlags are the flag values integration edit may use.
type editFlags struct {
	name, description, expires, allowIP string
	project, column, swimlane           int64
	requireProof                        bool
}

// integrationEdit turns the flags given on the command line into an edit of
// cur; flags not given leave their field as it is. A new project without
// -column or -swimlane drops the old project's column and swimlane.
func integrationEdit(fs *flagSet, cur store.Integration, f editFlags) (store.IntegrationEdit, error) {
	given := fs.given()
	var e store.IntegrationEdit
	var err error
	if given["name"] {
		e.Name = &f.name
	}
	if given["description"] {
		e.Description = &f.description
	}
	if given["expires"] {
		var ttl time.Duration
		if ttl, err = parseExpiry(f.expires); err != nil {
			return e, err
		}
		e.ExpiresIn = &ttl
	}
	if given["project"] || given["column"] || given["swimlane"] {
		d := store.IntegrationDefaults{ProjectID: cur.DefaultProjectID}
		if given["project"] {
			d.ProjectID = f.project
		}
		if d.ProjectID == cur.DefaultProjectID {
			d.ColumnID, d.SwimlaneID = cur.DefaultColumnID, cur.DefaultSwimlaneID
		}
		if given["column"] {
			d.ColumnID = f.column
		}
		if given["swimlane"] {
			d.SwimlaneID = f.swimlane
		}
		e.Defaults = &d
	}
	if given["allow-ip"] {
		ips, err := parseAllowIP(f.allowIP)
		if err != nil {
			return e, err
		}
		e.AllowedIPs = &ips
	}
	if given["require-proof"] {
		e.RequireProof = &f.requireProof
	}
	if e == (store.IntegrationEdit{}) {
		return e, usagef("integration edit: nothing to change; give -name, -description, -expires, -project, -column, -swimlane, -allow-ip or -require-proof")
	}
	return e, nil
}

// parseAllowIP reads -allow-ip: addresses and CIDRs, or "any" (or nothing)
// for every address.
func parseAllowIP(s string) ([]netip.Prefix, error) {
	if strings.EqualFold(strings.TrimSpace(s), "any") {
		return []netip.Prefix{}, nil
	}
	ips, err := store.ParseAllowedIPs(s)
	if err != nil {
		return nil, usagef("-allow-ip: %s", userMessage(err))
	}
	if ips == nil {
		ips = []netip.Prefix{}
	}
	return ips, nil
}

// printIntegrationEdited shows the integration as it now is, and the app
// secret once when the edit turned proof on.
func printIntegrationEdited(ctx context.Context, env *Env, st *store.Store, asJSON bool, id int64, appSecret string) error {
	in, err := st.IntegrationByID(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		usage, err := st.IntegrationUsage(ctx, 7)
		if err != nil {
			return err
		}
		out := integrationJSON(in, usage[id])
		if appSecret != "" {
			out["app_secret"] = appSecret
		}
		return printJSON(env.Stdout, out)
	}
	fmt.Fprintf(env.Stdout, "integration %d (%s) saved.\n", id, in.Name)
	if appSecret != "" {
		fmt.Fprintln(env.Stdout, "app secret, shown only now (send appsecret_proof = hex HMAC-SHA256 of the token keyed with it):")
		fmt.Fprintln(env.Stdout, appSecret)
	}
	return nil
}

func integrationJSON(in store.Integration, days []store.UsageDay) map[string]any {
	ips := make([]string, len(in.AllowedIPs))
	for i, p := range in.AllowedIPs {
		ips[i] = p.String()
	}
	usage := make([]map[string]any, len(days))
	today := 0
	for i, d := range days {
		usage[i] = map[string]any{"day": d.Day, "count": d.Count}
		if i == len(days)-1 {
			today = d.Count
		}
	}
	out := map[string]any{
		"id": in.ID, "name": in.Name, "description": in.Description, "kind": in.Kind, "token_hint": in.TokenHint,
		"enabled": in.Enabled, "expired": in.Expired(time.Now()), "expires_at": nullTime(in.ExpiresAt),
		"default_project_id": in.DefaultProjectID, "default_column_id": in.DefaultColumnID,
		"default_swimlane_id": in.DefaultSwimlaneID, "allowed_ips": ips, "require_proof": in.RequireProof,
		"last_used_at": nullTime(in.LastUsedAt), "created_at": unixText(in.CreatedAt),
		"usage_7d": usage, "today": today,
	}
	return out
}

func nullTime(unix int64) any {
	if unix == 0 {
		return nil
	}
	return unixText(unix)
}

// printIntegrationSecrets shows a new token once: the curl command for an
// incoming integration, and the token alone on the last line.
func printIntegrationSecrets(env *Env, asJSON bool, id int64, kind string, s store.IntegrationSecrets, baseURL string) error {
	if asJSON {
		out := map[string]any{"id": id, "token": s.Token}
		if s.AppSecret != "" {
			out["app_secret"] = s.AppSecret
		}
		return printJSON(env.Stdout, out)
	}
	fmt.Fprintf(env.Stdout, "integration %d (%s); the token is shown only now.\n", id, kind)
	if kind == store.KindIncoming {
		fmt.Fprintln(env.Stdout, "Create a task with:")
		fmt.Fprintf(env.Stdout, "  %s\n", handlers.IncomingCurl(baseURL, s.Token))
	}
	if s.AppSecret != "" {
		fmt.Fprintln(env.Stdout, "app secret (send appsecret_proof = hex HMAC-SHA256 of the token keyed with it):")
		fmt.Fprintln(env.Stdout, s.AppSecret)
	}
	fmt.Fprintln(env.Stdout, "token:")
	fmt.Fprintln(env.Stdout, s.Token)
	return nil
}

// parseExpiry reads "never", "30d" or a Go duration such as "12h".
func parseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "never" {
		return 0, nil
	}
	if d, ok := parseDuration(s); ok && d > 0 {
		return d, nil
	}
	return 0, usagef("expiry %q: use never, Nd (days) or a duration like 12h", s)
}
