package cli

import (
	"strings"
	"testing"
)

// webhook add refuses a URL that names an address outside
// -allow-webhook-nets, with the message a refused attempt gives, and
// stores nothing; with the flag it is added. A host name is left to the
// dial.
func TestWebhookAddRefusesRefusedAddresses(t *testing.T) {
	for _, tc := range []struct{ url, why, nets string }{
		{"http://169.254.169.254/", "link-local (cloud metadata)", "all"},
		{"http://10.1.2.3/", "private network", "private"},
	} {
		db := testDB(t)
		code, out, errOut := runCLI(t, "", "webhook", "add", "-db", db, "-url", tc.url)
		want := "address " + strings.TrimSuffix(strings.TrimPrefix(tc.url, "http://"), "/") + " (" + tc.why + ") is not allowed for webhooks; see -allow-webhook-nets"
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("webhook add -url %s: exit %d, stderr %q; want 1 and %q", tc.url, code, errOut, want)
		}
		if strings.Contains(out, "whsec_") {
			t.Errorf("a secret was printed: %q", out)
		}
		if n := endpointCount(t, db); n != 0 {
			t.Fatalf("%d endpoints stored after a refused add", n)
		}
		if code, _, errOut := runCLI(t, "", "webhook", "add", "-db", db, "-url", tc.url, "-allow-webhook-nets", tc.nets); code != 0 {
			t.Fatalf("webhook add -url %s -allow-webhook-nets %s: exit %d: %s", tc.url, tc.nets, code, errOut)
		}
		if n := endpointCount(t, db); n != 1 {
			t.Fatalf("%d endpoints after the add with the flag", n)
		}
	}
	db := testDB(t)
	if code, _, errOut := runCLI(t, "", "webhook", "add", "-db", db, "-url", "http://localhost:9/hook"); code != 0 {
		t.Errorf("a host name was refused at save: %s", errOut)
	}
}
