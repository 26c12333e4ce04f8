package cli

import (
	"cmp"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hookboard/notify"
	"hookboard/store"
)

// TestServePrunesDeliveryLogInBackground: "hookboard serve" runs the
// retention pruning without being asked. The database holds a delivery
// finished two days ago; with -delivery-retention 24h the running server
// removes it (and its attempt), and keeps the endpoint.
func TestServePrunesDeliveryLogInBackground(t *testing.T) {
	db := testDB(t)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer rc.Close()

	// Two days ago: an endpoint, a task, its delivery delivered.
	twoDaysAgo := func() time.Time { return time.Now().Add(-48 * time.Hour) }
	st, err := openTestStore(db, store.Options{Now: twoDaysAgo})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := st.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateEndpoint(ctx, store.NewEndpoint{URL: rc.URL}); err != nil {
		t.Fatal(err)
	}
	_, events, err := st.CreateTask(ctx, store.Actor{UserID: 1, Username: "admin"}, store.NewTask{Title: "old news"})
	if err != nil {
		t.Fatal(err)
	}
	allow, _ := notify.ParseAllowlist("loopback")
	n, err := notify.New(notify.Options{Store: st, Allow: allow, Now: twoDaysAgo, DeliveryWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n.Deliver(ctx, events)
	if err := n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if ds := deliveriesJSON(t, db); len(ds) != 1 || ds[0]["status"] != "delivered" {
		t.Fatalf("before serve: %v", ds)
	}

	if code, _, errOut := runCLI(t, "", "serve", "-db", db, "-addr", "127.0.0.1:0", "-delivery-retention", "10m"); code != 2 ||
		!strings.Contains(errOut, "-delivery-retention 10m0s is too short") {
		t.Fatalf("a 10-minute retention: exit %d, %q", code, errOut)
	}

	s := startServer(t, db, "-delivery-retention", "24h")
	deadline := time.Now().Add(20 * time.Second)
	for len(deliveriesJSON(t, db)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not prune a 2-day-old delivery with -delivery-retention 24h: %v", deliveriesJSON(t, db))
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop()
	code, out, _ := runCLI(t, "", "webhook", "list", "-db", db)
	if code != 0 || !strings.Contains(out, rc.URL) {
		t.Errorf("the endpoint should survive pruning: %q", out)
	}
}

// TestBadEnvironmentValueIsRefused: a server flag's environment variable
// that does not parse stops the server with a clear message instead of
// silently falling back to the default; the same flag on the command line
// wins over the bad variable.
func TestBadEnvironmentValueIsRefused(t *testing.T) {
	db := testDB(t)
	env := map[string]string{"HOOKBOARD_DELIVERY_WAIT": "soon"}
	run := func(args ...string) (int, string) {
		var stdout, stderr strings.Builder
		code := Run(context.Background(), &Env{
			Args: args, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
			Getenv: func(k string) string { return cmp.Or(env[k], testGetenv(k)) },
		})
		return code, stderr.String()
	}
	code, errOut := run("serve", "-db", db, "-addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errOut, `HOOKBOARD_DELIVERY_WAIT="soon" is not a duration`) {
		t.Fatalf("bad HOOKBOARD_DELIVERY_WAIT: exit %d, %q", code, errOut)
	}
	env = map[string]string{"HOOKBOARD_MAX_BODY_BYTES": "1MB"}
	code, errOut = run("serve", "-db", db, "-addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errOut, `HOOKBOARD_MAX_BODY_BYTES="1MB" is not an integer`) {
		t.Fatalf("bad HOOKBOARD_MAX_BODY_BYTES: exit %d, %q", code, errOut)
	}
	// Nothing was created by the refused starts.
	if m, _ := filepath.Glob(db + "*"); len(m) != 0 {
		t.Errorf("a refused start left files: %v", m)
	}
	// The command line wins: the bad variable is not used.
	env = map[string]string{"HOOKBOARD_DELIVERY_WAIT": "soon"}
	code, errOut = run("serve", "-db", db, "-addr", "256.0.0.1:0", "-delivery-wait", "1s")
	if code == 2 || strings.Contains(errOut, "HOOKBOARD_DELIVERY_WAIT") {
		t.Errorf("-delivery-wait on the command line did not win over the bad variable: exit %d, %q", code, errOut)
	}
}
