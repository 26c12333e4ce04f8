package handlers

import (
	"fmt"
	"net/http"
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

func (a *App) integrationsPage(w http.ResponseWriter, r *http.Request) {
	a.integrationsAnswer(w, r, http.StatusOK, func(*views.IntegrationsPage) {})
}

// integrationsAnswer renders the integrations page with what this answer
// adds to it: a form error, or secrets shown once.
func (a *App) integrationsAnswer(w http.ResponseWriter, r *http.Request, status int, add func(*views.IntegrationsPage)) {
	v, err := a.integrationsView(r)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	add(&v)
	a.render(w, r, status, views.IntegrationsView(v))
}

// shownIntegration is the once-only display of an integration's secrets.
func (a *App) shownIntegration(name, kind string, s store.IntegrationSecrets) *views.ShownSecret {
	shown := &views.ShownSecret{What: fmt.Sprintf("Integration “%s”", name), Token: s.Token, AppSecret: s.AppSecret}
	if kind == store.KindIncoming && s.AppSecret == "" {
		shown.Curl = IncomingCurl(a.cfg.BaseURL, s.Token)
	}
	return shown
}

// createIntegration adds an integration and shows its token once. The
// page is the POST's own answer (no redirect), so the token is never
// stored anywhere to be shown later.
func (a *App) createIntegration(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	f := views.IntegrationForm{
		Name:         strings.TrimSpace(r.PostForm.Get("name")),
		Description:  strings.TrimSpace(r.PostForm.Get("description")),
		Kind:         r.PostForm.Get("kind"),
		ProjectID:    r.PostForm.Get("project_id"),
		Expires:      r.PostForm.Get("expires"),
		AllowedIPs:   strings.TrimSpace(r.PostForm.Get("allowed_ips")),
		RequireProof: r.PostForm.Get("require_proof") == "1",
	}
	in := store.NewIntegration{Name: f.Name, Description: f.Description, Kind: f.Kind, RequireProof: f.RequireProof}
	var err error
	in.DefaultProjectID, err = formInt(r, "project_id")
	if err == nil {
		in.ExpiresIn, err = parseExpiryChoice(f.Expires)
	}
	if err == nil {
		in.AllowedIPs, err = store.ParseAllowedIPs(f.AllowedIPs)
	}
	var created store.Integration
	var secrets store.IntegrationSecrets
	if err == nil {
		created, secrets, err = a.store.CreateIntegration(r.Context(), in)
	}
	if err != nil {
		status, msg := a.storeFailure(err)
		if status == 0 {
			a.serverError(w, r, err)
			return
		}
		a.integrationsAnswer(w, r, status, func(v *views.IntegrationsPage) { v.Error, v.Form = msg, f })
		return
	}
	a.log.Info("integration created", "id", created.ID, "kind", created.Kind)
	a.integrationsAnswer(w, r, http.StatusOK, func(v *views.IntegrationsPage) {
		v.Shown = a.shownIntegration(created.Name, created.Kind, secrets)
	})
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
	a.integrationsAnswer(w, r, http.StatusOK, func(v *views.IntegrationsPage) {
		v.Shown = a.shownIntegration(in.Name, in.Kind, secrets)
		v.Shown.What += " has a new token; the old one no longer works"
	})
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

// setIntegrationAccess changes the allowed addresses and the proof
// requirement; a new app secret is shown once.
func (a *App) setIntegrationAccess(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	allowed, err := store.ParseAllowedIPs(r.PostForm.Get("allowed_ips"))
	var secret string
	if err == nil {
		secret, err = a.store.SetIntegrationAccess(r.Context(), id, allowed, r.PostForm.Get("require_proof") == "1")
	}
	if err != nil {
		a.fail(w, r, err, "/settings/integrations")
		return
	}
	a.log.Info("integration access changed", "id", id, "require_proof", r.PostForm.Get("require_proof") == "1")
	if secret == "" {
		a.flash(r, "Access saved.")
		http.Redirect(w, r, "/settings/integrations", http.StatusSeeOther)
		return
	}
	in, err := a.store.IntegrationByID(r.Context(), id)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.integrationsAnswer(w, r, http.StatusOK, func(v *views.IntegrationsPage) {
		v.Shown = &views.ShownSecret{What: fmt.Sprintf("Integration “%s” now requires appsecret_proof; its app secret", in.Name), AppSecret: secret}
	})
}
