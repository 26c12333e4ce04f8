package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hookboard/notify"
	"hookboard/store"
)

// withAllowlist checks endpoint URLs against -allow-webhook-nets as serve does.
func withAllowlist(t *testing.T, nets string) pageEnvOption {
	allow, err := notify.ParseAllowlist(nets)
	if err != nil {
		t.Fatal(err)
	}
	return func(d *Deps) { d.Config.CheckWebhookURL = allow.CheckURL }
}

// An endpoint URL that names a refused address is refused when it is
// saved, added or edited, with the message of a refused attempt, which
// names the flag; the flag lets it through, and a host name waits for the
// dial.
func TestEndpointWithRefusedAddressIsNotSaved(t *testing.T) {
	for _, tc := range []struct{ url, nets, why string }{
		{"http://169.254.169.254/latest/meta-data", "", "link-local (cloud metadata)"},
		{"http://10.1.2.3/hook", "", "private network"},
		{"http://[::ffff:10.1.2.3]:8080/hook", "loopback", "private network inside an IPv6 address"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			e := newPageEnv(t, withAllowlist(t, tc.nets))
			c := e.client(t)
			e.login(t, c, "admin", adminPassword)
			form := url.Values{"url": {tc.url}, "name": {"meta"}, "all_events": {"1"}, "all_projects": {"1"}}
			body := e.postFollow(t, c, "/settings/webhooks", form)
			want := fmt.Sprintf("(%s) is not allowed for webhooks; see -allow-webhook-nets", tc.why)
			if !strings.Contains(body, want) {
				t.Errorf("the page does not say %q", want)
			}
			if eps, _ := e.st.Endpoints(context.Background()); len(eps) != 0 {
				t.Fatalf("the refused endpoint was stored: %+v", eps)
			}

			// Editing a stored endpoint to the address is refused the same way.
			ep, _, err := e.st.CreateEndpoint(context.Background(), store.NewEndpoint{URL: "https://hooks.example.com/in"})
			if err != nil {
				t.Fatal(err)
			}
			page := fmt.Sprintf("/settings/webhooks/%d", ep.ID)
			e.postForm(t, c, page+"/edit", form).Body.Close()
			if _, shown := e.get(t, c, page); !strings.Contains(shown, want) {
				t.Errorf("after an edit to %s the page does not say %q", tc.url, want)
			}
			if got, _ := e.st.Endpoint(context.Background(), ep.ID); got.URL != "https://hooks.example.com/in" {
				t.Errorf("the edit was saved: %s", got.URL)
			}
		})
	}

	e := newPageEnv(t, withAllowlist(t, "private,169.254.0.0/16"))
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	for _, u := range []string{"http://169.254.169.254/", "http://10.1.2.3/hook", "http://metadata.internal.example/"} {
		resp := e.postForm(t, c, "/settings/webhooks", url.Values{"url": {u}, "all_events": {"1"}, "all_projects": {"1"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s with the flag (or a host name): %d, want it saved", u, resp.StatusCode)
		}
	}
}
