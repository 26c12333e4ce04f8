package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"hookboard/store"
)

func runUser(ctx context.Context, env *Env, args []string) error {
	sub, args, err := subcommand("user", "user add|passwd|list", []string{"add", "passwd", "list"}, args)
	if err != nil {
		return err
	}
	fs := newFlagSet(env, "user "+sub, "user add NAME [-admin] [-password-stdin] | passwd NAME [-password-stdin] | list")
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	// Not read from the environment: a stray HOOKBOARD_ADMIN must never
	// make every new user an admin.
	admin := fs.FlagSet.Bool("admin", false, "the user is an admin (user add)")
	fromStdin := fs.FlagSet.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch sub {
	case "add", "passwd":
		if len(pos) != 1 {
			return usagef("usage: hookboard user %s NAME", sub)
		}
		password, generated, err := readOrGeneratePassword(env, *fromStdin)
		if err != nil {
			return err
		}
		st, err := openStore(*db)
		if err != nil {
			return err
		}
		defer st.Close()
		out := map[string]any{"username": pos[0]}
		if sub == "add" {
			u, err := st.CreateUser(ctx, pos[0], password, *admin)
			if err != nil {
				return err
			}
			out["id"], out["admin"] = u.ID, u.IsAdmin
		} else if err := st.SetPassword(ctx, pos[0], password); err != nil {
			return err
		}
		if generated {
			out["password"] = password
		}
		if *asJSON {
			return printJSON(env.Stdout, out)
		}
		verb := "created"
		if sub == "passwd" {
			verb = "password changed for"
		}
		fmt.Fprintf(env.Stdout, "user %s %s\n", verb, pos[0])
		if generated {
			fmt.Fprintln(env.Stdout, "generated password:")
			fmt.Fprintln(env.Stdout, password)
		}
		return nil
	case "list":
		st, err := openStore(*db)
		if err != nil {
			return err
		}
		defer st.Close()
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		return printList(env, *asJSON, listText{"ID\tUSERNAME\tROLE", "no users"}, users,
			func(u store.User) map[string]any {
				return map[string]any{"id": u.ID, "username": u.Username, "admin": u.IsAdmin, "active": u.IsActive}
			},
			func(u store.User) string {
				role := "member"
				if u.IsAdmin {
					role = "admin"
				}
				return fmt.Sprintf("%d\t%s\t%s", u.ID, u.Username, role)
			})
	default:
		return usagef("unknown user subcommand %q (add, passwd, list)", sub)
	}
}

// readOrGeneratePassword reads one line from stdin or makes a random password.
func readOrGeneratePassword(env *Env, fromStdin bool) (string, bool, error) {
	if !fromStdin {
		var b [15]byte
		rand.Read(b[:])
		return base64.RawURLEncoding.EncodeToString(b[:]), true, nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", false, fmt.Errorf("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}
