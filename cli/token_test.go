package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// getMe calls the JSON-RPC getMe with a personal token.
func getMe(t *testing.T, base, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/jsonrpc.php", strings.NewReader(`{"jsonrpc":"2.0","method":"getMe","id":1}`))
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTokenCommands(t *testing.T) {
	db := testDB(t)
	s := startServer(t, db)
	if code, _, errOut := runCLI(t, "bob's password\n", "user", "add", "bob", "-password-stdin", "-db", db); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}

	code, out, errOut := runCLI(t, "", "token", "add", "-user", "bob", "-name", "laptop", "-expires", "30d", "-db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(token, "hbp_") || len(token) < 40 {
		t.Fatalf("token add: %d %q %s", code, out, errOut)
	}
	if status, body := getMe(t, s.url, token); status != 200 || !strings.Contains(body, `"username":"bob"`) {
		t.Fatalf("getMe with the new token: %d %s", status, body)
	}

	code, out, _ = runCLI(t, "", "token", "add", "-user", "bob", "-name", "ci", "-json", "-db", db)
	var added struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &added); code != 0 || err != nil || !strings.HasPrefix(added.Token, "hbp_") {
		t.Fatalf("token add -json: %d %q", code, out)
	}

	code, out, _ = runCLI(t, "", "token", "list", "-user", "bob", "-json", "-db", db)
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 2 {
		t.Fatalf("token list: %d %s", code, out)
	}
	if strings.Contains(out, token) || strings.Contains(out, added.Token) {
		t.Fatal("token list shows a token")
	}
	for _, row := range list {
		used := row["last_used_at"] != nil
		if (row["name"] == "laptop") != used || (row["name"] == "laptop") == (row["expires_at"] == nil) {
			t.Errorf("token row %v", row)
		}
	}

	for _, bad := range [][]string{
		{"token", "add", "-user", "bob", "-name", "x", "-expires", "45d"},
		{"token", "add", "-user", "nobody", "-name", "x"},
		{"token", "add", "-user", "bob"},
		{"token", "rm", "999"},
	} {
		if code, _, errOut := runCLI(t, "", append(bad, "-db", db)...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errOut)
		}
	}

	if code, _, errOut := runCLI(t, "", "token", "rm", jsonID(added.ID), "-db", db); code != 0 {
		t.Fatalf("token rm: %s", errOut)
	}
	if status, _ := getMe(t, s.url, added.Token); status != 401 {
		t.Fatalf("deleted token: %d", status)
	}
	if status, _ := getMe(t, s.url, token); status != 200 {
		t.Fatalf("the other token stopped working: %d", status)
	}
}

// TestTokenAddExpiryChoices: each of DESIGN §8's expiries (never, 30, 60,
// 90, 180 days) sets the token's expiry that far ahead; nothing else is taken.
func TestTokenAddExpiryChoices(t *testing.T) {
	db := testDB(t)
	if code, _, errOut := runCLI(t, "carol's password\n", "user", "add", "carol", "-password-stdin", "-db", db); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	for _, c := range []struct {
		flag string
		days int
	}{{"never", 0}, {"30d", 30}, {"60d", 60}, {"90d", 90}, {"180d", 180}} {
		start := time.Now().UTC().Truncate(time.Second)
		code, out, errOut := runCLI(t, "", "token", "add", "-user", "carol", "-name", "t"+c.flag, "-expires", c.flag, "-json", "-db", db)
		var added struct {
			ExpiresAt *string `json:"expires_at"`
		}
		if err := json.Unmarshal([]byte(out), &added); code != 0 || err != nil {
			t.Fatalf("-expires %s: %d %q %s", c.flag, code, out, errOut)
		}
		if c.days == 0 {
			if added.ExpiresAt != nil {
				t.Errorf("-expires never: expires_at %s", *added.ExpiresAt)
			}
			continue
		}
		if added.ExpiresAt == nil {
			t.Fatalf("-expires %s: no expiry", c.flag)
		}
		exp, err := time.Parse(time.RFC3339, *added.ExpiresAt)
		want := start.Add(time.Duration(c.days) * 24 * time.Hour)
		if err != nil || exp.Before(want) || exp.After(want.Add(time.Minute)) {
			t.Errorf("-expires %s: expires_at %s, want %s", c.flag, *added.ExpiresAt, want.Format(time.RFC3339))
		}
	}
	for _, bad := range []string{"1d", "365d", "30", "forever", "-30d"} {
		if code, _, errOut := runCLI(t, "", "token", "add", "-user", "carol", "-name", "bad", "-expires", bad, "-db", db); code == 0 || errOut == "" {
			t.Errorf("-expires %s: exit %d, stderr %q", bad, code, errOut)
		}
	}
	code, out, _ := runCLI(t, "", "token", "list", "-user", "carol", "-json", "-db", db)
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 5 {
		t.Fatalf("token list after the refusals: %d %s", code, out)
	}
}
