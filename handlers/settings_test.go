package handlers

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

func TestIntegrationsSettings(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)

	// Bad input: a clear error, nothing stored.
	for _, form := range []url.Values{
		{"name": {""}},
		{"name": {"x"}, "allowed_ips": {"10.0.0.300"}},
		{"name": {"x"}, "expires": {"tomorrow"}},
		{"name": {"x"}, "kind": {"root"}},
		{"name": {"x"}, "project_id": {"77"}},
	} {
		if body := e.postFollow(t, c, "/settings/integrations", form); !strings.Contains(body, `data-testid="form-error"`) {
			t.Fatalf("%v: no error shown", form)
		}
	}
	if list, _ := e.st.Integrations(bg); len(list) != 0 {
		t.Fatalf("bad input stored %d integrations", len(list))
	}

	resp := e.postForm(t, c, "/settings/integrations", url.Values{"name": {"Deploy"}, "kind": {"incoming"}, "allowed_ips": {"127.0.0.1"}, "expires": {"30d"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	shown, body := e.get(t, c, resp.Header.Get("Location"))
	if shown.StatusCode != http.StatusOK || shown.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the page after create: %d, Cache-Control %q", shown.StatusCode, shown.Header.Get("Cache-Control"))
	}
	token := between(body, `data-testid="shown-token">`, "<")
	in, err := e.st.IntegrationByToken(bg, token)
	if err != nil || in.Name != "Deploy" || in.ExpiresAt == 0 || len(in.AllowedIPs) != 1 {
		t.Fatalf("created %+v %v", in, err)
	}
	if !strings.Contains(body, html.EscapeString(IncomingCurl(e.app.cfg.BaseURL, token))) {
		t.Fatal("the page does not show the curl command")
	}

	body = e.postFollow(t, c, fmt.Sprintf("/settings/integrations/%d/regenerate", in.ID), nil)
	newToken := between(body, `data-testid="shown-token">`, "<")
	if _, err := e.st.IntegrationByToken(bg, token); err == nil || newToken == "" || newToken == token {
		t.Fatal("regenerate kept the old token working")
	}
	if _, err := e.st.IntegrationByToken(bg, newToken); err != nil {
		t.Fatal("the new token does not work")
	}

	e.postForm(t, c, fmt.Sprintf("/settings/integrations/%d/disable", in.ID), nil)
	if in, _ = e.st.IntegrationByID(bg, in.ID); in.Enabled {
		t.Fatal("still enabled")
	}
	e.postForm(t, c, fmt.Sprintf("/settings/integrations/%d/enable", in.ID), nil)
	if in, _ = e.st.IntegrationByID(bg, in.ID); !in.Enabled {
		t.Fatal("still disabled")
	}
	_, list := e.get(t, c, "/settings/integrations")
	if strings.Contains(list, newToken) || !strings.Contains(list, in.TokenHint) {
		t.Fatal("the list shows the token, or not its hint")
	}
	// Last use and the 7-day count: three calls from 127.0.0.1 (allowed),
	// then the usage batch is flushed.
	if _, list = e.get(t, c, "/settings/integrations"); between(list, `data-testid="usage-total">`, "<") != "0" {
		t.Fatalf("usage before any call: %q", between(list, `data-testid="usage-total">`, "<"))
	}
	for i := range 3 {
		resp, err := http.Get(e.srv.URL + "/webhook/task?title=t&token=" + url.QueryEscape(newToken))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("call %d with the integration: %d", i, resp.StatusCode)
		}
	}
	if err := e.st.FlushUsage(bg); err != nil {
		t.Fatal(err)
	}
	in, _ = e.st.IntegrationByID(bg, in.ID)
	_, list = e.get(t, c, "/settings/integrations")
	if got := between(list, `data-testid="usage-total">`, "<"); got != "3" || in.LastUsedAt == 0 ||
		!strings.Contains(list, formatTime(in.LastUsedAt)) {
		t.Fatalf("after 3 calls the page shows usage %q, last use %q missing", got, formatTime(in.LastUsedAt))
	}
	// Edit: a bad address changes nothing, not even the name, and the form
	// comes back open with what was typed; proof on shows the app secret once.
	editPath := fmt.Sprintf("/settings/integrations/%d/edit", in.ID)
	body = e.postFollow(t, c, editPath, url.Values{"name": {"Renamed"}, "expires": {"keep"}, "allowed_ips": {"nope"}, "require_proof": {"1"}})
	if in, _ = e.st.IntegrationByID(bg, in.ID); in.RequireProof || len(in.AllowedIPs) != 1 || in.Name != "Deploy" {
		t.Fatalf("a bad address changed the integration: %+v", in)
	}
	if !strings.Contains(body, fmt.Sprintf(`id="edit-ips-%d" name="allowed_ips" value="nope"`, in.ID)) ||
		!strings.Contains(body, fmt.Sprintf(`id="edit-ips-%d-error"`, in.ID)) || !strings.Contains(body, `value="Renamed"`) {
		t.Fatal("the refused edit form does not show the error by the field with what was typed")
	}
	expires := in.ExpiresAt
	body = e.postFollow(t, c, editPath, url.Values{"name": {"Deploy"}, "expires": {"keep"}, "allowed_ips": {"10.0.0.0/8, 192.0.2.7"}, "require_proof": {"1"}})
	appSecret := between(body, `data-testid="shown-app-secret">`, "<")
	in, _ = e.st.IntegrationByID(bg, in.ID)
	if stored, _ := e.st.AppSecret(in); appSecret == "" || stored != appSecret || len(in.AllowedIPs) != 2 || in.ExpiresAt != expires {
		t.Fatalf("edit: app secret shown %q, integration %+v", appSecret, in)
	}
	if resp := e.postForm(t, c, fmt.Sprintf("/settings/integrations/%d/delete", in.ID), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if _, err := e.st.IntegrationByID(bg, in.ID); err == nil {
		t.Fatal("not deleted")
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}

func TestUsersAndPassword(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)

	if page := e.postFollow(t, c, "/settings/users", url.Values{"username": {"carol"}, "password": {"short"}}); !strings.Contains(page, "Password must be at least 8 bytes.") {
		t.Fatal("short password: no reason shown")
	}
	if _, err := e.st.UserByName(bg, "carol"); err == nil {
		t.Fatal("user created with a bad password")
	}
	if page := e.postFollow(t, c, "/settings/users", url.Values{"username": {"member"}, "password": {"long-enough-1"}}); !strings.Contains(page, "That already exists.") {
		t.Fatal("duplicate user: no reason shown")
	}
	if resp := e.postForm(t, c, "/settings/users", url.Values{"username": {"carol"}, "password": {"carol-password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add user: %d", resp.StatusCode)
	}
	carol := e.client(t)
	e.login(t, carol, "carol", "carol-password")

	// The only admin cannot demote themselves.
	admin, _ := e.st.UserByName(bg, "admin")
	e.postForm(t, c, fmt.Sprintf("/settings/users/%d/role", admin.ID), url.Values{"role": {"app-user"}, "active": {"1"}, "confirm": {"1"}})
	if u, _ := e.st.UserByName(bg, "admin"); !u.IsAdmin {
		t.Fatal("the last admin demoted themselves")
	}
	if _, page := e.get(t, c, "/settings/users"); !strings.Contains(page, "There must be at least one active admin.") {
		t.Fatal("no reason shown for the refusal")
	}
	// Deactivating carol ends her session at once.
	carolRow, _ := e.st.UserByName(bg, "carol")
	e.postForm(t, c, fmt.Sprintf("/settings/users/%d/role", carolRow.ID), url.Values{"role": {"app-user"}})
	if resp, _ := e.get(t, carol, "/account"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivated user still in: %d", resp.StatusCode)
	}
	e.postForm(t, c, fmt.Sprintf("/settings/users/%d/role", carolRow.ID), url.Values{"role": {"app-user"}, "active": {"1"}})
	e.login(t, carol, "carol", "carol-password")

	// Carol changes her password; each refusal is shown by its field.
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"current": {"wrong-password"}, "new": {"new-password-1"}, "confirm": {"new-password-1"}}, "pw-current"},
		{url.Values{"current": {"carol-password"}, "new": {"new-password-1"}, "confirm": {"new-password-2"}}, "pw-confirm"},
		{url.Values{"current": {"carol-password"}, "new": {"short"}, "confirm": {"short"}}, "pw-new"},
	} {
		page := e.postFollow(t, carol, "/account/password", tc.form)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		input := doc.Find("#" + tc.field)
		msg := doc.Find("#" + tc.field + "-error").Text()
		if input.AttrOr("aria-invalid", "") != "true" || input.AttrOr("aria-describedby", "") != tc.field+"-error" ||
			msg == "" || msg != doc.Find(`[data-testid="form-error"]`).Text() {
			t.Fatalf("%v: field %s not marked, or its message %q differs from the banner", tc.form, tc.field, msg)
		}
	}
	// Carol is logged in twice; changing the password in one session
	// ends the other and keeps this one.
	laptop := e.client(t)
	e.login(t, laptop, "carol", "carol-password")
	if resp := e.postForm(t, carol, "/account/password", url.Values{"current": {"carol-password"}, "new": {"new-password-1"}, "confirm": {"new-password-1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d", resp.StatusCode)
	}
	if resp, page := e.get(t, carol, "/account"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Password changed.") {
		t.Fatalf("the session that changed the password: %d", resp.StatusCode)
	}
	if resp, _ := e.get(t, laptop, "/account"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("the other session is still logged in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A password set elsewhere (the CLI's user command) ends her sessions too.
	if err := e.st.SetPassword(bg, "carol", "cli-password-1"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.get(t, carol, "/account"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session outlived a password set from the CLI: %d", resp.StatusCode)
	}
	if err := e.st.SetPassword(bg, "carol", "new-password-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CheckPassword(bg, "carol", "new-password-1"); err != nil {
		t.Fatal("the new password does not work")
	}
	if _, err := e.st.CheckPassword(bg, "carol", "carol-password"); err == nil {
		t.Fatal("the old password still works")
	}
}

func TestWebhookSettings(t *testing.T) {
	rc := newReceiver(t, http.StatusServiceUnavailable, "down")
	e := newPageEnv(t, withNotifier(t))
	bg := context.Background()
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)

	for _, form := range []url.Values{
		{"url": {"ftp://example.com/"}, "all_events": {"1"}, "all_projects": {"1"}},
		{"url": {rc.URL}, "all_projects": {"1"}},
		{"url": {rc.URL}, "all_events": {"1"}, "all_projects": {"1"}, "timeout_ms": {"60000"}},
		{"url": {rc.URL}, "all_events": {"1"}, "all_projects": {"1"}, "format": {"xml"}},
		{"url": {rc.URL}, "events": {"task.explode"}, "all_projects": {"1"}},
	} {
		// Refused: back to the form, with the error and what was typed.
		page := e.postFollow(t, c, "/settings/webhooks", form)
		if !strings.Contains(page, `role="alert"`) || !strings.Contains(page, html.EscapeString(form.Get("url"))) {
			t.Fatalf("%v: the form does not come back with its error and URL", form)
		}
	}
	if eps, _ := e.st.Endpoints(bg); len(eps) != 0 {
		t.Fatalf("bad input stored %d endpoints", len(eps))
	}

	resp := e.postForm(t, c, "/settings/webhooks", url.Values{"url": {rc.URL}, "name": {"Ops"}, "events": {"task.create", "task.close"},
		"projects": {fmt.Sprint(e.projectID)}, "format": {"envelope"}, "timeout_ms": {"2000"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	eps, _ := e.st.Endpoints(bg)
	if len(eps) != 1 || eps[0].Format != "envelope" || len(eps[0].Events) != 2 || len(eps[0].Projects) != 1 || eps[0].Timeout.Milliseconds() != 2000 {
		t.Fatalf("endpoint %+v", eps)
	}
	ep := eps[0]
	page := fmt.Sprintf("/settings/webhooks/%d", ep.ID)
	if resp.Header.Get("Location") != page {
		t.Fatalf("went to %q", resp.Header.Get("Location"))
	}

	// Test against a receiver that is down: the delivery page says so.
	resp = e.postForm(t, c, page+"/test", nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/settings/deliveries/") {
		t.Fatalf("test: %d %q", resp.StatusCode, loc)
	}
	_, body := e.get(t, c, loc)
	if !strings.Contains(body, `data-testid="response-status">503<`) || !strings.Contains(body, "down") {
		t.Fatal("the delivery page does not show the 503")
	}
	if strings.Contains(body, "HTTP 503") {
		t.Error(`the delivery page repeats the status as an error ("HTTP 503") beside the 503 badge`)
	}
	if len(rc.received()) != 1 {
		t.Fatalf("receiver got %d requests", len(rc.received()))
	}
	// Redeliver sends the same webhook-id again.
	if resp := e.postForm(t, c, loc+"/redeliver", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("redeliver: %d", resp.StatusCode)
	}
	got := rc.received()
	if len(got) != 2 || got[0].header.Get("Webhook-Id") != got[1].header.Get("Webhook-Id") {
		t.Fatalf("redelivery: %d requests", len(got))
	}

	// The endpoint's page lists the deliveries, newest first; "failed only"
	// keeps the failed one and drops the delivered one.
	rc.status.Store(http.StatusOK)
	if resp := e.postForm(t, c, page+"/test", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second test: %d", resp.StatusCode)
	}
	rows := func(path string) []string {
		t.Helper()
		_, body := e.get(t, c, path)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		doc.Find(`[data-testid="delivery-row"]`).Each(func(_ int, r *goquery.Selection) {
			var cells []string
			r.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
			out = append(out, strings.Join(cells[:4], "|")) // without the time
		})
		return out
	}
	all := rows(page)
	if len(all) != 2 || all[0] != "webhook.test|delivered|200|1" || all[1] != "webhook.test|failed|503|2" {
		t.Fatalf("deliveries listed: %q", all)
	}
	if failed := rows(page + "?failed=1"); len(failed) != 1 || failed[0] != all[1] {
		t.Fatalf("failed only: %q", failed)
	}

	before, _ := e.st.EndpointSecrets(bg, ep.ID)
	e.postForm(t, c, page+"/rotate-secret", url.Values{"grace": {"0s"}})
	e.postForm(t, c, page+"/rotate-token", url.Values{"grace": {"24h"}})
	after, _ := e.st.EndpointSecrets(bg, ep.ID)
	if after.Secret == before.Secret || after.PrevSecret != "" && e.app.now().Before(after.PrevSecretUntil) {
		t.Fatal("secret not rotated now")
	}
	if after.Token == before.Token || after.PrevToken != before.Token {
		t.Fatal("token not rotated with a grace")
	}
	if resp := e.postForm(t, c, page+"/rotate-secret", url.Values{"grace": {"-1h"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bad grace: %d", resp.StatusCode)
	}
	if again, _ := e.st.EndpointSecrets(bg, ep.ID); again.Secret != after.Secret {
		t.Fatal("a bad grace rotated the secret")
	}

	e.postForm(t, c, page+"/disable", nil)
	if ep, _ = e.st.Endpoint(bg, ep.ID); ep.Enabled {
		t.Fatal("still enabled")
	}
	e.postForm(t, c, page+"/enable", nil)
	if ep, _ = e.st.Endpoint(bg, ep.ID); !ep.Enabled {
		t.Fatal("still disabled")
	}
	// A bad edit says why and changes nothing.
	if resp := e.postForm(t, c, page+"/edit", url.Values{"url": {"not a url"}, "all_events": {"1"}, "all_projects": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bad edit: %d", resp.StatusCode)
	}
	if _, body := e.get(t, c, page); !strings.Contains(body, `data-testid="form-error"`) {
		t.Fatal("a refused edit shows no error")
	}
	if again, _ := e.st.Endpoint(bg, ep.ID); again.URL != ep.URL || again.Name != ep.Name {
		t.Fatalf("a refused edit changed the endpoint: %+v", again)
	}
	e.postForm(t, c, page+"/edit", url.Values{"url": {rc.URL + "/v2"}, "name": {"Ops 2"}, "all_events": {"1"}, "all_projects": {"1"}, "format": {"kanboard"}, "timeout_ms": {"1000"}})
	if ep, _ = e.st.Endpoint(bg, ep.ID); ep.Name != "Ops 2" || ep.Events != nil || ep.URL != rc.URL+"/v2" {
		t.Fatalf("after edit %+v", ep)
	}
	e.postForm(t, c, page+"/delete", nil)
	if _, err := e.st.Endpoint(bg, ep.ID); err == nil {
		t.Fatal("not deleted")
	}
}

func TestPersonalTokens(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	c := e.client(t)
	e.login(t, c, "member", memberPassword)

	for _, form := range []url.Values{{"name": {""}, "expires": {"never"}}, {"name": {"x"}, "expires": {"45d"}}} {
		if page := e.postFollow(t, c, "/account/tokens", form); !strings.Contains(page, `data-testid="form-error"`) {
			t.Fatalf("%v: no error shown", form)
		}
	}
	member, _ := e.st.UserByName(bg, "member")
	if list, _ := e.st.PersonalTokens(bg, member.ID); len(list) != 0 {
		t.Fatalf("bad input stored %d tokens", len(list))
	}

	body := e.postFollow(t, c, "/account/tokens", url.Values{"name": {"laptop"}, "expires": {"30d"}})
	token := between(body, `data-testid="shown-token">`, "<")
	u, tok, err := e.st.UserByPersonalToken(bg, token)
	if err != nil || u.Username != "member" || tok.ExpiresAt == 0 {
		t.Fatalf("create: token works: %v", err)
	}
	_, page := e.get(t, c, "/account")
	if strings.Contains(page, token) || !strings.Contains(page, tok.TokenHint) {
		t.Fatal("the account page shows the token again, or not its hint")
	}
	// The token was just used (to check it above): the page shows when.
	used, _ := e.st.PersonalTokens(bg, member.ID)
	if len(used) != 1 || used[0].LastUsedAt == 0 || !strings.Contains(page, `<td data-label="Last use">`+formatTime(used[0].LastUsedAt)+"</td>") {
		t.Fatalf("the account page does not show the token's last use: %+v", used)
	}

	// Another user cannot delete it.
	admin := e.client(t)
	e.login(t, admin, "admin", adminPassword)
	e.postForm(t, admin, fmt.Sprintf("/account/tokens/%d/delete", tok.ID), nil)
	if _, _, err := e.st.UserByPersonalToken(bg, token); err != nil {
		t.Fatal("another user deleted the token")
	}
	if resp := e.postForm(t, c, fmt.Sprintf("/account/tokens/%d/delete", tok.ID), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if _, _, err := e.st.UserByPersonalToken(bg, token); err == nil {
		t.Fatal("the deleted token still works")
	}
}

func TestFormatLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                       "0 ms",
		700 * time.Microsecond:  "0 ms",
		7 * time.Millisecond:    "7 ms",
		999 * time.Millisecond:  "999 ms",
		1234 * time.Millisecond: "1.23s",
	} {
		if got := formatLatency(d); got != want {
			t.Errorf("formatLatency(%v) = %q, want %q", d, got, want)
		}
	}
}
