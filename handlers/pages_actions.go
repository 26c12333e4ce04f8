package handlers

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"hookboard/store"
	"hookboard/views"
)

// The Automatic actions page of a project (Kanboard's ActionController),
// for its managers and admins: the rules in words, a form that adds one in
// two steps (the action, then its event and parameters, each a list of
// what the project has), and a button that removes one.

func actionsURL(projectID int64) string { return fmt.Sprintf("/projects/%d/actions", projectID) }

// actionsPage lists a project's rules; ?action_name= opens the second step
// of the form for that action.
func (a *App) actionsPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	p, ok := a.managedProject(w, r, id)
	if !ok {
		return
	}
	ctx := r.Context()
	rules, err := a.store.Actions(ctx, id)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	chosen := r.URL.Query().Get("action_name")
	kind, choosing := store.ActionKindByName(chosen)
	// What the parameters may name is read only when a rule or the form
	// shows a parameter.
	var choices map[string][]views.Option
	if len(rules) > 0 || choosing {
		if choices, err = a.actionParamChoices(r, id); err != nil {
			a.serverError(w, r, err)
			return
		}
	}
	v := views.ActionsPage{Page: a.page(r, "Automatic actions of "+p.Name, "projects"), ProjectID: id, ProjectName: p.Name}
	for _, rule := range rules {
		row := views.ActionRow{ID: rule.ID, Event: rule.EventName, Action: rule.ActionName}
		if i := slices.IndexFunc(store.ActionEvents, func(e store.ActionEvent) bool { return e.Name == rule.EventName }); i >= 0 {
			row.Event = store.ActionEvents[i].Description
		}
		k, known := store.ActionKindByName(rule.ActionName)
		if known {
			row.Action = k.Description
		}
		for _, prm := range rule.Params {
			label := prm.Name
			if known {
				if i := slices.IndexFunc(k.Params, func(sp store.ActionParamSpec) bool { return sp.Name == prm.Name }); i >= 0 {
					label = k.Params[i].Label
				}
			}
			row.Params = append(row.Params, views.ActionParamText{Label: label, Value: choiceLabel(choices[prm.Name], prm.Value)})
		}
		v.Rules = append(v.Rules, row)
	}
	for _, k := range store.ActionKinds() {
		v.Actions = append(v.Actions, views.Option{Value: k.Name, Label: k.Description, Selected: k.Name == chosen})
	}
	if choosing {
		v.Chosen, v.ChosenLabel = kind.Name, kind.Description
		for _, ev := range store.ActionEventsOf(kind.Events) {
			v.Events = append(v.Events, views.Option{Value: ev.Name, Label: ev.Description})
		}
		for _, sp := range kind.Params {
			f := views.ActionParamField{Name: sp.Name, Label: sp.Label, Options: choices[sp.Name]}
			switch sp.Name {
			case "duration", "priority":
				f.Input = "number"
			case "subtask":
				f.Input = "text"
			default:
				f.Input = "select"
			}
			v.Params = append(v.Params, f)
		}
	}
	a.render(w, r, http.StatusOK, views.ActionsView(v))
}

// choiceLabel names a parameter's value as its select box does.
func choiceLabel(options []views.Option, value string) string {
	for _, o := range options {
		if o.Value == value {
			return o.Label
		}
	}
	return value
}

// actionParamChoices are what each kind of parameter may name in a project:
// its columns, swimlanes, categories and assignable users, the colors, the
// other projects the user may open, the link types.
func (a *App) actionParamChoices(r *http.Request, projectID int64) (map[string][]views.Option, error) {
	ctx := r.Context()
	out := map[string][]views.Option{}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	cols, err := a.store.Columns(ctx, projectID)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		out["column_id"] = append(out["column_id"], views.Option{Value: id(c.ID), Label: c.Title})
	}
	out["src_column_id"], out["dest_column_id"] = out["column_id"], out["column_id"]
	lanes, err := a.store.Swimlanes(ctx, projectID)
	if err != nil {
		return nil, err
	}
	for _, l := range lanes {
		out["swimlane_id"] = append(out["swimlane_id"], views.Option{Value: id(l.ID), Label: l.Name})
	}
	out["dest_swimlane_id"] = out["swimlane_id"]
	cats, err := a.store.Categories(ctx, projectID)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		out["category_id"] = append(out["category_id"], views.Option{Value: id(c.ID), Label: c.Name})
	}
	users, err := a.store.AssignableUsers(ctx, projectID)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		out["user_id"] = append(out["user_id"], views.Option{Value: id(u.ID), Label: cmp.Or(u.Name, u.Username)})
	}
	out["color_id"] = colorOptions("")
	projects, err := a.visibleProjects(r)
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		if p.ID != projectID {
			out["project_id"] = append(out["project_id"], views.Option{Value: id(p.ID), Label: p.Name})
		}
	}
	links, err := a.store.Links(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		out["link_id"] = append(out["link_id"], views.Option{Value: id(l.ID), Label: l.Label})
	}
	return out, nil
}

// createActionPage adds the rule the form describes.
func (a *App) createActionPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	if _, ok := a.managedProject(w, r, id); !ok || !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	name := f.Get("action_name")
	var params []store.ActionParam
	if k, ok := store.ActionKindByName(name); ok {
		for _, sp := range k.Params {
			params = append(params, store.ActionParam{Name: sp.Name, Value: f.Get("param_" + sp.Name)})
		}
	}
	back := actionsURL(id) + "?" + url.Values{"action_name": {name}}.Encode()
	if _, err := a.store.CreateAction(r.Context(), id, f.Get("event_name"), name, params); err != nil {
		a.fail(w, r, err, back)
		return
	}
	a.flash(r, "Automatic action added.")
	http.Redirect(w, r, actionsURL(id), http.StatusSeeOther)
}

// removeActionPage removes one of the project's rules.
func (a *App) removeActionPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	ruleID, ok := a.pathID(w, r, "action")
	if !ok {
		return
	}
	if _, ok := a.managedProject(w, r, id); !ok || !a.parseForm(w, r) {
		return
	}
	if err := a.removeProjectAction(r.Context(), id, ruleID); err != nil {
		a.fail(w, r, err, actionsURL(id))
		return
	}
	a.flash(r, "Automatic action removed.")
	http.Redirect(w, r, actionsURL(id), http.StatusSeeOther)
}

// removeProjectAction removes a rule if it is the project's (a rule of
// another project is not found here).
func (a *App) removeProjectAction(ctx context.Context, projectID, ruleID int64) error {
	rule, err := a.store.ActionByID(ctx, ruleID)
	if err != nil {
		return err
	}
	if rule.ProjectID != projectID {
		return fmt.Errorf("action %d: %w", ruleID, store.ErrNotFound)
	}
	return a.store.RemoveAction(ctx, ruleID)
}
