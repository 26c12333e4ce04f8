package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"hookboard/store"
)

// runImportKanboard is "hookboard import-kanboard [-files DIR] KANBOARD_DB".
func runImportKanboard(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "import-kanboard", "import-kanboard [-files DIR] [-db FILE] [-json] KANBOARD_DB")
	db := fs.dbFlag()
	asJSON := fs.jsonFlag()
	files := fs.FlagSet.String("files", "", "Kanboard's data/files folder, to bring the task files (without it they are reported as not imported)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: hookboard import-kanboard [-files DIR] [-db FILE] [-json] KANBOARD_DB")
	}
	st, err := openStore(env, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.ImportKanboard(ctx, pos[0], store.KanboardImport{FilesDir: *files})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, rep)
	}
	printImportReport(env, rep)
	return nil
}

func printImportReport(env *Env, rep store.ImportReport) {
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "Imported from Kanboard (schema version %d) in one transaction:\n", rep.KanboardSchema)
	for _, c := range rep.Imported {
		fmt.Fprintf(w, "  %s\t%d\n", c.What, c.Count)
	}
	w.Flush()
	if len(rep.KeptIDs) > 0 {
		fmt.Fprintf(env.Stdout, "Kept Kanboard's ids: %s\n", strings.Join(rep.KeptIDs, ", "))
	}
	if len(rep.Renumbered) > 0 {
		fmt.Fprintf(env.Stdout, "New ids (Hookboard had some already): %s\n", strings.Join(rep.Renumbered, ", "))
	}
	if len(rep.MatchedUsers) > 0 {
		fmt.Fprintf(env.Stdout, "Already in Hookboard, kept with their password and role: %s\n", strings.Join(rep.MatchedUsers, ", "))
	}
	if len(rep.NotImported) > 0 {
		fmt.Fprintln(env.Stdout, "Not imported:")
		for _, c := range rep.NotImported {
			fmt.Fprintf(w, "  %s\t%d\t%s\n", c.What, c.Count, c.Why)
		}
		w.Flush()
	}
	for _, warning := range rep.Warnings {
		fmt.Fprintln(env.Stdout, "Warning:", warning)
	}
	fmt.Fprintln(env.Stdout, "No webhooks were sent: an import brings history, not new changes.")
}
