package handlers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// TestBrowserEditIntegration: an admin renames an integration and gives it
// an expiry from its Edit form and sees both in the list; a bad address
// brings the form back open, the error by the field and what was typed in
// it, and changes nothing.
func TestBrowserEditIntegration(t *testing.T) {
	e := newPageEnv(t)
	ctx := newBrowser(t)
	bg := context.Background()
	in, _, err := e.st.CreateIntegration(bg, store.NewIntegration{Name: "ci", Kind: store.KindIncoming})
	if err != nil {
		t.Fatal(err)
	}
	e.browserLogin(t, ctx, "admin", adminPassword)
	row := fmt.Sprintf(`[data-testid="integration-row"][data-id="%d"]`, in.ID)
	nameInput := fmt.Sprintf("#edit-name-%d", in.ID)

	step(t, ctx, "rename and set an expiry",
		chromedp.Navigate(e.srv.URL+"/settings/integrations"),
		chromedp.Click("", css(row+` [data-testid="edit-integration"] summary`)),
		chromedp.WaitVisible("", css(nameInput)),
		chromedp.SetValue("", "deploy bot", css(nameInput)),
		chromedp.SetValue("", "30d", css(fmt.Sprintf("#edit-expires-%d", in.ID))),
		chromedp.Click("", css(row+` [data-testid="save-integration"]`)),
		chromedp.WaitVisible("", css(`[data-testid="flash"]`)),
	)
	got, _ := e.st.IntegrationByID(bg, in.ID)
	if got.Name != "deploy bot" || got.ExpiresAt == 0 {
		t.Fatalf("after the edit: %+v", got)
	}
	if name := eval[string](t, ctx, `document.querySelector('`+row+` [data-testid="integration-name"]').textContent`); name != "deploy bot" {
		t.Fatalf("the list shows the name %q", name)
	}
	status := eval[string](t, ctx, `document.querySelector('`+row+` td[data-label="Status"]').textContent`)
	if !strings.Contains(status, "until "+formatTime(got.ExpiresAt)) {
		t.Fatalf("the list shows the status %q, want until %s", status, formatTime(got.ExpiresAt))
	}

	ipsInput := fmt.Sprintf("#edit-ips-%d", in.ID)
	step(t, ctx, "save a bad address",
		chromedp.Click("", css(row+` [data-testid="edit-integration"] summary`)),
		chromedp.WaitVisible("", css(ipsInput)),
		chromedp.SendKeys("", "10.0.0.300/8", css(ipsInput)),
		chromedp.SetValue("", "never", css(fmt.Sprintf("#edit-expires-%d", in.ID))),
		chromedp.Click("", css(row+` [data-testid="save-integration"]`)),
		chromedp.WaitVisible("", css(ipsInput+"-error")),
	)
	if typed := eval[string](t, ctx, `document.querySelector('`+ipsInput+`').value`); typed != "10.0.0.300/8" {
		t.Fatalf("the refused form shows %q, want what was typed", typed)
	}
	msg := eval[string](t, ctx, `document.querySelector('`+ipsInput+`-error').textContent`)
	if !strings.Contains(msg, `"10.0.0.300/8"`) || eval[string](t, ctx, `document.querySelector('`+ipsInput+`').getAttribute('aria-invalid')`) != "true" {
		t.Fatalf("the error by the field: %q", msg)
	}
	if after, _ := e.st.IntegrationByID(bg, in.ID); after.ExpiresAt != got.ExpiresAt || len(after.AllowedIPs) != 0 {
		t.Fatalf("a refused edit changed the integration: %+v", after)
	}
}
