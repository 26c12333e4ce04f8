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

const userUsage = "user add NAME [-role app-user|app-manager|app-admin] [-admin] [-name N] [-email E] [-password-stdin] | " +
	"passwd NAME [-password-stdin] | edit NAME [-username NEW] [-name N] [-email E] | role NAME ROLE | " +
	"disable NAME | enable NAME | rm NAME | list"

func runUser(ctx context.Context, env *Env, args []string) error {
	subs := []string{"add", "passwd", "edit", "role", "disable", "enable", "rm", "list"}
	sub, args, err := subcommand("user", userUsage, subs, args)
	if err != nil {
		return err
	}
	fs := newFlagSet(env, "user "+sub, userUsage)
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	// Not read from the environment: a stray HOOKBOARD_ADMIN or
	// HOOKBOARD_ROLE must never raise every new user.
	admin := fs.FlagSet.Bool("admin", false, "the user is an app-admin (user add; same as -role app-admin)")
	role := fs.FlagSet.String("role", "", "the app role: app-user (default), app-manager (may create projects) or app-admin (user add)")
	name := fs.FlagSet.String("name", "", "the user's full name (user add, user edit)")
	email := fs.FlagSet.String("email", "", "the user's email address (user add, user edit)")
	username := fs.FlagSet.String("username", "", "a new username (user edit)")
	fromStdin := fs.FlagSet.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if sub == "list" {
		return listUsers(ctx, env, *db, *asJSON)
	}
	want := 1 // NAME
	if sub == "role" {
		want = 2 // NAME ROLE
	}
	if len(pos) != want {
		return usagef("usage: hookboard %s", userUsage)
	}
	var password string
	var generated bool
	if sub == "add" || sub == "passwd" {
		if password, generated, err = readOrGeneratePassword(env, *fromStdin); err != nil {
			return err
		}
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "add" {
		r := *role
		if *admin {
			if r != "" && r != store.RoleAdmin {
				return usagef("-admin and -role %s disagree", r)
			}
			r = store.RoleAdmin
		}
		u, err := st.AddUser(ctx, store.NewUser{Username: pos[0], Password: password, Name: *name, Email: *email, Role: r})
		if err != nil {
			return err
		}
		return printPassword(env, *asJSON, map[string]any{"username": u.Username, "id": u.ID, "admin": u.IsAdmin, "role": u.Role},
			fmt.Sprintf("user created %s (%s)", u.Username, u.Role), password, generated)
	}
	u, err := st.UserByName(ctx, pos[0])
	if err != nil {
		return fmt.Errorf("user %q: %w", pos[0], err)
	}
	switch sub {
	case "passwd":
		err = st.SetUserPassword(ctx, u.ID, password)
	case "edit":
		var upd store.UserUpdate
		given := fs.given()
		if given["username"] {
			upd.Username = username
		}
		if given["name"] {
			upd.Name = name
		}
		if given["email"] {
			upd.Email = email
		}
		err = st.UpdateUser(ctx, u.ID, upd)
	case "role":
		err = st.UpdateUser(ctx, u.ID, store.UserUpdate{Role: &pos[1]})
	case "disable", "enable":
		err = st.SetUserActive(ctx, u.ID, sub == "enable")
	case "rm":
		err = st.RemoveUser(ctx, u.ID)
	}
	if err != nil {
		return err
	}
	if sub == "passwd" {
		return printPassword(env, *asJSON, map[string]any{"username": u.Username, "id": u.ID},
			"user password changed for "+u.Username, password, generated)
	}
	return printDone(env, *asJSON, "user", u.ID, sub)
}

// printPassword reports user add or passwd: out as JSON, or the line text,
// each with the password when it was generated (it is shown only now).
func printPassword(env *Env, asJSON bool, out map[string]any, text, password string, generated bool) error {
	if generated {
		out["password"] = password
	}
	if asJSON {
		return printJSON(env.Stdout, out)
	}
	fmt.Fprintln(env.Stdout, text)
	if generated {
		fmt.Fprintln(env.Stdout, "generated password:")
		fmt.Fprintln(env.Stdout, password)
	}
	return nil
}

func listUsers(ctx context.Context, env *Env, db string, asJSON bool) error {
	st, err := openStore(env, db)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	return printList(env, asJSON, listText{"ID\tUSERNAME\tROLE\tACTIVE\tNAME\tEMAIL", "no users"}, users,
		func(u store.User) map[string]any {
			return map[string]any{"id": u.ID, "username": u.Username, "name": u.Name, "email": u.Email,
				"role": u.Role, "admin": u.IsAdmin, "active": u.IsActive}
		},
		func(u store.User) string {
			return fmt.Sprintf("%d\t%s\t%s\t%t\t%s\t%s", u.ID, u.Username, u.Role, u.IsActive, u.Name, u.Email)
		})
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
