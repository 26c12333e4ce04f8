package cli

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// rpc calls a JSON-RPC procedure as an application, with the proof header
// when proof is not empty, and returns the status and the result.
func rpc(t *testing.T, base, token, proof, method string, params any) (int, json.RawMessage) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, base+"/jsonrpc.php", strings.NewReader(string(body)))
	req.SetBasicAuth("jsonrpc", token)
	if proof != "" {
		req.Header.Set("X-Hookboard-Proof", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Result json.RawMessage `json:"result"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil || out.Result == nil {
			t.Fatalf("%s: %s", method, b)
		}
	}
	return resp.StatusCode, out.Result
}

// TestIntegrationAddEveryOption creates integrations with each option of
// `integration add` and checks that `integration list -json` shows them and
// that the server enforces them: kind, description, expiry, allowed IPs,
// required proof, and the default project and column of the incoming URL.
func TestIntegrationAddEveryOption(t *testing.T) {
	db := testDB(t)
	s := startServer(t, db)
	start := time.Now().UTC().Truncate(time.Second)

	code, out, errOut := runCLI(t, "", "integration", "add", "ci", "-kind", "api", "-description", "CI pipeline",
		"-expires", "30d", "-allow-ip", "127.0.0.1, ::1", "-require-proof", "-json", "-db", db)
	var api struct {
		ID        int64  `json:"id"`
		Token     string `json:"token"`
		AppSecret string `json:"app_secret"`
	}
	if err := json.Unmarshal([]byte(out), &api); code != 0 || err != nil || api.Token == "" || api.AppSecret == "" {
		t.Fatalf("integration add api: %d %q %s", code, out, errOut)
	}
	mac := hmac.New(sha256.New, []byte(api.AppSecret))
	mac.Write([]byte(api.Token))
	proof := hex.EncodeToString(mac.Sum(nil))

	row := listRow(t, db, api.ID)
	exp, _ := time.Parse(time.RFC3339, str(row["expires_at"]))
	if row["kind"] != "api" || row["description"] != "CI pipeline" || row["require_proof"] != true || row["enabled"] != true ||
		exp.Before(start.Add(30*24*time.Hour)) || exp.After(start.Add(30*24*time.Hour+time.Minute)) ||
		!slices.Equal(strs(row["allowed_ips"]), []string{"127.0.0.1/32", "::1/128"}) {
		t.Fatalf("integration list row: %v", row)
	}

	if status, _ := rpc(t, s.url, api.Token, "", "getVersion", nil); status != http.StatusUnauthorized {
		t.Fatalf("api integration without its proof: %d", status)
	}
	if status, _ := createTask(t, s.url, api.Token, "api token on the incoming URL"); status != http.StatusUnauthorized {
		t.Fatalf("api token on the incoming URL: %d", status)
	}
	status, res := rpc(t, s.url, api.Token, proof, "getAllProjects", nil)
	var projects []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(res, &projects); status != 200 || err != nil || len(projects) != 1 {
		t.Fatalf("getAllProjects with proof from 127.0.0.1: %d %s", status, res)
	}
	project := projects[0].ID
	_, res = rpc(t, s.url, api.Token, proof, "getColumns", []any{project})
	var columns []struct {
		ID    int64  `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(res, &columns); err != nil || len(columns) != 4 {
		t.Fatalf("getColumns: %s", res)
	}

	// An incoming integration whose tasks land in a chosen column.
	code, out, errOut = runCLI(t, "", "integration", "add", "feed", "-project", jsonID(project),
		"-column", jsonID(columns[2].ID), "-json", "-db", db)
	var feed struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &feed); code != 0 || err != nil {
		t.Fatalf("integration add feed: %d %q %s", code, out, errOut)
	}
	if row := listRow(t, db, feed.ID); row["kind"] != "incoming" || row["default_project_id"] != float64(project) ||
		row["default_column_id"] != float64(columns[2].ID) || row["expires_at"] != nil || row["require_proof"] != false {
		t.Fatalf("feed row: %v", row)
	}
	if status, body := createTask(t, s.url, feed.Token, "into the default column"); status != 200 || body != "OK" {
		t.Fatalf("incoming with the feed token: %d %q", status, body)
	}
	if status, _ := rpc(t, s.url, feed.Token, "", "getVersion", nil); status != http.StatusUnauthorized {
		t.Fatalf("incoming token on the API: %d", status)
	}
	_, res = rpc(t, s.url, api.Token, proof, "getAllTasks", map[string]any{"project_id": project, "status_id": 1})
	var tasks []struct {
		Title    string `json:"title"`
		ColumnID int64  `json:"column_id"`
	}
	if err := json.Unmarshal(res, &tasks); err != nil || len(tasks) != 1 || tasks[0].Title != "into the default column" ||
		tasks[0].ColumnID != columns[2].ID {
		t.Fatalf("tasks: %s, want one in column %d (%s)", res, columns[2].ID, columns[2].Title)
	}

	// A column of another project is refused, and nothing is stored.
	_, res = rpc(t, s.url, api.Token, proof, "createProject", map[string]any{"name": "Other"})
	var other int64
	json.Unmarshal(res, &other)
	_, res = rpc(t, s.url, api.Token, proof, "getColumns", []any{other})
	var otherCols []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(res, &otherCols); err != nil || len(otherCols) == 0 {
		t.Fatalf("getColumns of the other project: %s", res)
	}
	if code, out, errOut := runCLI(t, "", "integration", "add", "bad", "-project", jsonID(project), "-column", jsonID(otherCols[0].ID),
		"-db", db); code == 0 || errOut == "" || strings.Contains(out, "hbi_") {
		t.Errorf("column of another project: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "integration", "list", "-json", "-db", db)
	if code != 0 || strings.Contains(out, `"bad"`) {
		t.Errorf("refused integration listed: %s", out)
	}
}

func listRow(t *testing.T, db string, id int64) map[string]any {
	t.Helper()
	code, out, errOut := runCLI(t, "", "integration", "list", "-json", "-db", db)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("integration list: %d %q %s", code, out, errOut)
	}
	for _, r := range rows {
		if r["id"] == float64(id) {
			return r
		}
	}
	t.Fatalf("integration %d not listed: %s", id, out)
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

func strs(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		out = append(out, str(x))
	}
	return out
}
