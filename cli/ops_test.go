package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// integrationRow is the part of "integration list -json" these tests read.
type integrationRow struct {
	ID         int64   `json:"id"`
	LastUsedAt *string `json:"last_used_at"`
	Today      int     `json:"today"`
	Usage7d    []struct {
		Day   string `json:"day"`
		Count int    `json:"count"`
	} `json:"usage_7d"`
}

func listIntegration(t *testing.T, db string, id int64) integrationRow {
	t.Helper()
	code, stdout, stderr := runCLI(t, "", "integration", "list", "-db", db, "-json")
	if code != 0 {
		t.Fatalf("integration list: exit %d: %s", code, stderr)
	}
	var rows []integrationRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	for _, r := range rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("integration %d not listed: %s", id, stdout)
	return integrationRow{}
}

func addIncoming(t *testing.T, db string, flags ...string) (int64, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, "", append([]string{"integration", "add", "usage", "-db", db, "-json"}, flags...)...)
	if code != 0 {
		t.Fatalf("integration add: exit %d: %s", code, stderr)
	}
	var out struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return out.ID, out.Token
}

func TestIntegrationListShowsUsageAfterFlush(t *testing.T) {
	db := testDB(t)
	st, srv := opsServer(t, db)
	id, token := addIncoming(t, db)
	start := time.Now().UTC().Truncate(time.Second)
	const n = 5
	for i := range n {
		if code, body := createTask(t, srv.URL, token, "call "+string(rune('a'+i))); code != 200 {
			t.Fatalf("call %d: %d %s", i, code, body)
		}
	}
	if code, _ := createTask(t, srv.URL, token+"x", "refused"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}

	// Counts wait in memory until a flush.
	before := listIntegration(t, db, id)
	if before.Today != 0 || before.LastUsedAt != nil {
		t.Fatalf("before the flush: today %d, last use %v", before.Today, before.LastUsedAt)
	}
	if err := st.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := listIntegration(t, db, id)
	if after.Today != n {
		t.Fatalf("today = %d, want %d", after.Today, n)
	}
	if len(after.Usage7d) != 7 || after.Usage7d[6].Day != time.Now().UTC().Format(time.DateOnly) || after.Usage7d[6].Count != n {
		t.Fatalf("usage_7d = %+v", after.Usage7d)
	}
	if after.LastUsedAt == nil {
		t.Fatal("no last use after the flush")
	}
	last, err := time.Parse(time.RFC3339, *after.LastUsedAt)
	if err != nil || last.Before(start) || last.After(time.Now()) {
		t.Fatalf("last use %q is not between %s and now", *after.LastUsedAt, start.Format(time.RFC3339))
	}

	code, stdout, _ := runCLI(t, "", "integration", "list", "-db", db)
	if code != 0 || !strings.Contains(stdout, "last used "+*after.LastUsedAt) || !strings.Contains(stdout, "5 requests in 7 days") {
		t.Fatalf("text list: %s", stdout)
	}
}

func TestServerWritesUsageWhenItStops(t *testing.T) {
	db := testDB(t)
	srv := startServer(t, db)
	id, token := addIncoming(t, db)
	for range 3 {
		if code, body := createTask(t, srv.url, token, "t"); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
	}
	srv.stop()
	if got := listIntegration(t, db, id); got.Today != 3 || got.LastUsedAt == nil {
		t.Fatalf("after shutdown: today %d, last use %v", got.Today, got.LastUsedAt)
	}
}

// TestTrustedProxiesFlag runs the server with and without -trusted-proxies:
// X-Forwarded-For is ignored from an untrusted peer and used from a trusted one.
func TestTrustedProxiesFlag(t *testing.T) {
	db := testDB(t)
	get := func(base, token, forwardedFor string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/webhook/task?title=t&token="+url.QueryEscape(token), nil)
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	srv := startServer(t, db)
	_, token := addIncoming(t, db, "-allow-ip", "203.0.113.0/24,2001:db8::/32")
	if code := get(srv.url, token, "203.0.113.7"); code != 401 {
		t.Errorf("untrusted peer (no -trusted-proxies) with an allowed X-Forwarded-For: %d, want 401", code)
	}
	srv.stop()

	srv = startServer(t, db, "-trusted-proxies", "127.0.0.1,::1")
	for _, c := range []struct {
		xff  string
		want int
	}{
		{"203.0.113.7", 200},
		{"2001:db8::7", 200},
		{"198.51.100.1, 203.0.113.7", 200}, // the proxy appended the real client last
		{"203.0.113.7, 198.51.100.1", 401}, // a spoofed first hop does not help
		{"198.51.100.1", 401},
		{"", 401}, // the proxy itself is not allowed
	} {
		if code := get(srv.url, token, c.xff); code != c.want {
			t.Errorf("trusted proxy, X-Forwarded-For %q: %d, want %d", c.xff, code, c.want)
		}
	}
	srv.stop()

	// A trusted-proxy list that does not include the peer changes nothing.
	srv = startServer(t, db, "-trusted-proxies", "192.0.2.0/24")
	if code := get(srv.url, token, "203.0.113.7"); code != 401 {
		t.Errorf("peer not in -trusted-proxies: %d, want 401", code)
	}
}
