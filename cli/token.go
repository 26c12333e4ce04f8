package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hookboard/store"
)

// tokenExpiries are the choices of `token add -expires` (DESIGN §8).
var tokenExpiries = map[string]time.Duration{
	"never": 0, "30d": 30 * 24 * time.Hour, "60d": 60 * 24 * time.Hour,
	"90d": 90 * 24 * time.Hour, "180d": 180 * 24 * time.Hour,
}

func runToken(ctx context.Context, env *Env, args []string) error {
	sub, args, err := subcommand("token", "token add|list|rm", []string{"add", "list", "rm"}, args)
	if err != nil {
		return err
	}
	fs := newFlagSet(env, "token "+sub,
		"token add -user NAME -name LABEL [-expires never|30d|60d|90d|180d] | list -user NAME | rm ID")
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	username := fs.FlagSet.String("user", "", "the user the token acts as")
	name := fs.FlagSet.String("name", "", "a label saying what the token is for")
	expires := fs.FlagSet.String("expires", "never", "never, 30d, 60d, 90d or 180d")
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
		if *username == "" || *name == "" || len(pos) != 0 {
			return usagef("usage: hookboard token add -user NAME -name LABEL [-expires never|30d|60d|90d|180d]")
		}
		ttl, ok := tokenExpiries[strings.TrimSpace(*expires)]
		if !ok {
			return usagef("-expires must be never, 30d, 60d, 90d or 180d")
		}
		u, err := st.UserByName(ctx, *username)
		if err != nil {
			return fmt.Errorf("user %q: %w", *username, err)
		}
		p, token, err := st.CreatePersonalToken(ctx, u.ID, *name, ttl)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.Stdout, map[string]any{"id": p.ID, "user": u.Username, "name": p.Name,
				"expires_at": nullTime(p.ExpiresAt), "token": token})
		}
		exp := "never expires"
		if p.ExpiresAt != 0 {
			exp = "expires " + unixText(p.ExpiresAt)
		}
		fmt.Fprintf(env.Stdout, "personal token %d for %s (%s); it is shown only now.\n", p.ID, u.Username, exp)
		fmt.Fprintln(env.Stdout, "token:")
		fmt.Fprintln(env.Stdout, token)
		return nil
	case "list":
		if *username == "" || len(pos) != 0 {
			return usagef("usage: hookboard token list -user NAME")
		}
		u, err := st.UserByName(ctx, *username)
		if err != nil {
			return fmt.Errorf("user %q: %w", *username, err)
		}
		list, err := st.PersonalTokens(ctx, u.ID)
		if err != nil {
			return err
		}
		now := time.Now()
		return printList(env, *asJSON, listText{"ID\tNAME\tTOKEN\tEXPIRES\tLAST USED", "no personal tokens for " + u.Username}, list,
			func(p store.PersonalToken) map[string]any {
				return map[string]any{"id": p.ID, "name": p.Name, "token_hint": p.TokenHint,
					"expires_at": nullTime(p.ExpiresAt), "expired": p.Expired(now), "last_used_at": nullTime(p.LastUsedAt),
					"created_at": unixText(p.CreatedAt)}
			},
			func(p store.PersonalToken) string {
				state := "never expires"
				if p.Expired(now) {
					state = "expired"
				} else if p.ExpiresAt != 0 {
					state = "expires " + unixText(p.ExpiresAt)
				}
				return fmt.Sprintf("%d\t%s\t%s\t%s\t%s", p.ID, p.Name, p.TokenHint, state, lastUsedText(p.LastUsedAt))
			})
	case "rm":
		if len(pos) != 1 {
			return usagef("usage: hookboard token rm ID")
		}
		id, err := parseID("token", pos[0])
		if err != nil {
			return err
		}
		if err := st.DeletePersonalToken(ctx, id, 0); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.Stdout, map[string]any{"id": id, "done": "rm"})
		}
		fmt.Fprintf(env.Stdout, "personal token %d deleted\n", id)
		return nil
	default:
		return usagef("unknown token subcommand %q", sub)
	}
}
