package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hookboard/store"
	"hookboard/views"
)

// IncomingCurl is a ready-to-run command that creates a task through the
// incoming URL. The CLI prints it and the settings page shows it, so both
// give the same command.
func IncomingCurl(baseURL, token string) string {
	return fmt.Sprintf("curl '%s/?controller=webhook&action=task&token=%s&title=%s'",
		strings.TrimRight(baseURL, "/"), url.QueryEscape(token), url.QueryEscape("Hello from curl"))
}

// settingsHome opens the first settings tab.
func (a *App) settingsHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/settings/webhooks", http.StatusSeeOther)
}

// usageDays is how many days of counts the integrations page shows.
const usageDays = 7

func (a *App) integrationsView(r *http.Request) (views.IntegrationsPage, error) {
	ctx := r.Context()
	projects, err := a.store.Projects(ctx)
	if err != nil {
		return views.IntegrationsPage{}, err
	}
	v := views.IntegrationsPage{Page: a.page(r, "Integrations", "settings"), Form: views.IntegrationForm{Expires: "never"}}
	v.Sub = "integrations"
	list, err := a.store.Integrations(ctx)
	if err != nil {
		return v, err
	}
	usage, err := a.store.IntegrationUsage(ctx, usageDays)
	if err != nil {
		return v, err
	}
	names := map[int64]string{}
	for _, p := range projects {
		names[p.ID] = p.Name
		v.Projects = append(v.Projects, views.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name})
		cols, err := a.store.Columns(ctx, p.ID)
		if err != nil {
			return v, err
		}
		for _, c := range cols {
			v.Columns = append(v.Columns, views.Option{Value: strconv.FormatInt(c.ID, 10), Label: p.Name + ": " + c.Title})
		}
		lanes, err := a.store.Swimlanes(ctx, p.ID)
		if err != nil {
			return v, err
		}
		for _, l := range lanes {
			v.Swimlanes = append(v.Swimlanes, views.Option{Value: strconv.FormatInt(l.ID, 10), Label: p.Name + ": " + l.Name})
		}
	}
	now := a.now()
	for _, in := range list {
		row := views.IntegrationRow{
			ID: in.ID, Name: in.Name, Description: in.Description, Kind: in.Kind, TokenHint: in.TokenHint,
			Enabled: in.Enabled, Expired: in.Expired(now), Expires: formatTime(in.ExpiresAt),
			LastUsed: formatTime(in.LastUsedAt), RequireProof: in.RequireProof, Project: names[in.DefaultProjectID],
		}
		ips := make([]string, len(in.AllowedIPs))
		for i, p := range in.AllowedIPs {
			ips[i] = p.String()
		}
		row.AllowedIPs = strings.Join(ips, ", ")
		row.Edit = views.IntegrationEditForm{Name: in.Name, Description: in.Description, Expires: "keep",
			ProjectID: optionalID(in.DefaultProjectID), ColumnID: optionalID(in.DefaultColumnID), SwimlaneID: optionalID(in.DefaultSwimlaneID),
			AllowedIPs: row.AllowedIPs, RequireProof: in.RequireProof}
		for _, d := range usage[in.ID] {
			row.Usage = append(row.Usage, views.UsageDay{Day: d.Day, Count: d.Count})
		}
		if len(row.Usage) == 0 {
			row.Usage = make([]views.UsageDay, usageDays)
		}
		v.Items = append(v.Items, row)
	}
	return v, nil
}

// integrationsPage lists the integrations, with the secret just made or
// the refused form's values and error, once.
func (a *App) integrationsPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.integrationsView(r)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	st := a.popForm(r)
	v.Shown, v.ErrorField = st.Shown, st.Field
	f := st.Values
	if id := f.Get("edit_id"); id != "" {
		for i := range v.Items {
			if strconv.FormatInt(v.Items[i].ID, 10) == id {
				v.Items[i].Edit = views.IntegrationEditForm{Open: true, Name: f.Get("name"), Description: f.Get("description"),
					Expires: f.Get("expires"), ProjectID: f.Get("project_id"), ColumnID: f.Get("column_id"),
					SwimlaneID: f.Get("swimlane_id"), AllowedIPs: f.Get("allowed_ips"), RequireProof: f.Get("require_proof") == "1"}
			}
		}
	} else if f != nil {
		v.Form = views.IntegrationForm{Name: f.Get("name"), Description: f.Get("description"), Kind: f.Get("kind"),
			ProjectID: f.Get("project_id"), Expires: f.Get("expires"), AllowedIPs: f.Get("allowed_ips"),
			RequireProof: f.Get("require_proof") == "1"}
	}
	a.render(w, r, http.StatusOK, views.IntegrationsView(v))
}

// shownIntegration is the once-only display of an integration's secrets.
func (a *App) shownIntegration(name, kind string, s store.IntegrationSecrets) *views.ShownSecret {
	shown := &views.ShownSecret{What: fmt.Sprintf("Integration “%s”", name), Token: s.Token, AppSecret: s.AppSecret}
	if kind == store.KindIncoming && s.AppSecret == "" {
		shown.Curl = IncomingCurl(a.cfg.BaseURL, s.Token)
	}
	return shown
}

// integrationFields pairs how a refusal starts with the input it is about.
var integrationFields = []string{"integration name", "int-name", "allowed", "int-ips",
	"expiry", "int-expires", "project", "int-project", "integration kind", "int-kind"}

// createIntegration adds an integration and shows its token once, on the
// page the answer redirects to.
func (a *App) createIntegration(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	in := store.NewIntegration{Name: strings.TrimSpace(f.Get("name")), Description: strings.TrimSpace(f.Get("description")),
		Kind: f.Get("kind"), RequireProof: f.Get("require_proof") == "1"}
	var err error
	in.DefaultProjectID, err = formInt(r, "project_id")
	if err == nil {
		in.ExpiresIn, err = parseExpiryChoice(f.Get("expires"))
	}
	if err == nil {
		in.AllowedIPs, err = store.ParseAllowedIPs(f.Get("allowed_ips"))
	}
	var created store.Integration
	var secrets store.IntegrationSecrets
	if err == nil {
		created, secrets, err = a.store.CreateIntegration(r.Context(), in)
	}
	if err != nil {
		a.formFailure(w, r, err, "/settings/integrations", f, integrationFields...)
		return
	}
	a.log.Info("integration created", "id", created.ID, "kind", created.Kind)
	a.showOnce(w, r, "/settings/integrations", a.shownIntegration(created.Name, created.Kind, secrets))
}

// parseExpiryChoice reads the expiry select: never or N days.
func parseExpiryChoice(s string) (time.Duration, error) {
	if s == "" || s == "never" {
		return 0, nil
	}
	days, ok := strings.CutSuffix(s, "d")
	n, err := strconv.Atoi(days)
	if !ok || err != nil || n <= 0 || n > 3650 {
		return 0, &store.InvalidError{Reason: fmt.Sprintf("expiry %q is not one of the choices", s)}
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

func (a *App) regenerateIntegration(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	in, err := a.store.IntegrationByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "/settings/integrations")
		return
	}
	secrets, err := a.store.RegenerateIntegration(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "/settings/integrations")
		return
	}
	a.log.Info("integration token regenerated", "id", id)
	shown := a.shownIntegration(in.Name, in.Kind, secrets)
	shown.What += " has a new token; the old one no longer works"
	a.showOnce(w, r, "/settings/integrations", shown)
}

func (a *App) enableIntegration(w http.ResponseWriter, r *http.Request) {
	a.setIntegrationEnabled(w, r, true)
}

func (a *App) disableIntegration(w http.ResponseWriter, r *http.Request) {
	a.setIntegrationEnabled(w, r, false)
}

func (a *App) setIntegrationEnabled(w http.ResponseWriter, r *http.Request, on bool) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	if err := a.store.SetIntegrationEnabled(r.Context(), id, on); err != nil {
		a.fail(w, r, err, "/settings/integrations")
		return
	}
	if on {
		a.flash(r, "Integration enabled.")
	} else {
		a.flash(r, "Integration disabled: its token is refused until you enable it again.")
	}
	http.Redirect(w, r, "/settings/integrations", http.StatusSeeOther)
}

func (a *App) deleteIntegration(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	if err := a.store.DeleteIntegration(r.Context(), id); err != nil {
		a.fail(w, r, err, "/settings/integrations")
		return
	}
	a.log.Info("integration deleted", "id", id)
	a.flash(r, "Integration deleted.")
	http.Redirect(w, r, "/settings/integrations", http.StatusSeeOther)
}

// optionalID is an optional id as a form value: "" for none.
func optionalID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// editIntegration saves an integration's edit form. A refusal goes back to
// the form with what was typed; turning proof on shows the new app secret
// once.
func (a *App) editIntegration(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	name, description, proof := f.Get("name"), f.Get("description"), f.Get("require_proof") == "1"
	e := store.IntegrationEdit{Name: &name, Description: &description, RequireProof: &proof}
	var err error
	if x := f.Get("expires"); x != "keep" {
		var ttl time.Duration
		ttl, err = parseExpiryChoice(x)
		e.ExpiresIn = &ttl
	}
	var d store.IntegrationDefaults
	if err == nil {
		d.ProjectID, err = formInt(r, "project_id")
	}
	if err == nil {
		d.ColumnID, err = formInt(r, "column_id")
	}
	if err == nil {
		d.SwimlaneID, err = formInt(r, "swimlane_id")
	}
	e.Defaults = &d
	var ips []netip.Prefix
	if err == nil {
		ips, err = store.ParseAllowedIPs(f.Get("allowed_ips"))
		e.AllowedIPs = &ips
	}
	var secret string
	if err == nil {
		secret, err = a.store.EditIntegration(r.Context(), id, e)
	}
	if errors.Is(err, store.ErrNotFound) {
		a.fail(w, r, err, "/settings/integrations")
		return
	}
	if err != nil {
		f.Set("edit_id", strconv.FormatInt(id, 10)) // the form to fill in again
		field := func(name string) string { return fmt.Sprintf("edit-%s-%d", name, id) }
		a.formFailure(w, r, err, "/settings/integrations", f,
			"integration name", field("name"), "description", field("desc"), "expiry", field("expires"),
			"allowed", field("ips"), "project", field("project"), "column", field("column"),
			"a default column", field("column"), "swimlane", field("swimlane"))
		return
	}
	a.log.Info("integration edited", "id", id, "require_proof", proof)
	if secret == "" {
		a.flash(r, "Integration saved.")
		http.Redirect(w, r, "/settings/integrations", http.StatusSeeOther)
		return
	}
	a.showOnce(w, r, "/settings/integrations",
		&views.ShownSecret{What: fmt.Sprintf("Integration “%s” now requires appsecret_proof; its app secret", strings.TrimSpace(name)), AppSecret: secret})
}
