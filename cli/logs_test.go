package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLogsNeverShowSecrets uses every credential on every endpoint, in both
// log formats, and then looks for each secret in the server's logs.
func TestLogsNeverShowSecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) { checkLogsHoldNoSecret(t, format) })
	}
}

func checkLogsHoldNoSecret(t *testing.T, format string) {
	db := testDB(t)
	srv := startServer(t, db, "-log-format", format, "-trusted-proxies", "127.0.0.1")
	logs := srv.logs

	// The first run prints the admin password and an incoming token (stdout).
	first := srv.stdout.String()
	adminPassword := regexp.MustCompile(`password:\s+(\S+)`).FindStringSubmatch(first)
	firstToken := regexp.MustCompile(`token=([^&']+)`).FindStringSubmatch(first)
	if adminPassword == nil || firstToken == nil {
		t.Fatalf("first-run output lacks the password or the token:\n%s", first)
	}
	secrets := map[string]string{"admin password": adminPassword[1], "first incoming token": firstToken[1]}

	// CLI commands print tokens on their standard output, which is fine.
	addJSON := func(args ...string) map[string]any {
		t.Helper()
		code, stdout, stderr := runCLI(t, "", append(args, "-db", db, "-json")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("%v: %v: %s", args, err, stdout)
		}
		return out
	}
	proofed := addJSON("integration", "add", "proofed", "-require-proof")
	proofedToken, appSecret := proofed["token"].(string), proofed["app_secret"].(string)
	apiToken := addJSON("integration", "add", "app", "-kind", "api")["token"].(string)
	const userPassword = "dave's long password"
	if code, _, stderr := runCLI(t, userPassword+"\n", "user", "add", "dave", "-admin", "-password-stdin", "-db", db); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	pat := addJSON("token", "add", "-user", "dave", "-name", "script")["token"].(string)
	proof := opsProof(proofedToken, appSecret)
	wrongToken := "hbi_" + strings.Repeat("W", 43)
	secrets["proofed token"] = proofedToken
	secrets["app secret"] = appSecret
	secrets["proof"] = proof
	secrets["api token"] = apiToken
	secrets["personal token"] = pat
	secrets["user password"] = userPassword
	secrets["unknown token"] = wrongToken

	requests := 0
	var sentStatus []int  // in order: the requests are sequential
	var sentPath []string // the path each request asked for
	send := func(method, path, contentType string, body io.Reader, header map[string]string) int {
		t.Helper()
		req, err := http.NewRequest(method, srv.url+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		requests++
		sentStatus = append(sentStatus, resp.StatusCode)
		sentPath = append(sentPath, req.URL.Path)
		return resp.StatusCode
	}
	expect := func(what string, want, got int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: status %d, want %d", what, got, want)
		}
	}
	tok := firstToken[1]
	q := url.QueryEscape

	// The incoming URL: query string, form, JSON and multipart bodies, proof
	// as parameter and header, refusals, an escaped parameter name.
	expect("query token", 200, send("GET", "/?controller=webhook&action=task&title=a&token="+q(tok), "", nil, nil))
	expect("form token", 200, send("POST", "/webhook/task", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"token": {tok}, "title": {"b"}}.Encode()), nil))
	jsonBody, _ := json.Marshal(map[string]string{"token": tok, "title": "c"})
	expect("JSON token", 200, send("POST", "/webhook/task", "application/json", bytes.NewReader(jsonBody), nil))
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("token", tok)
	mw.WriteField("title", "d")
	mw.Close()
	expect("multipart token", 200, send("POST", "/webhook/task", mw.FormDataContentType(), &mp, nil))
	expect("proof parameter", 200, send("GET", "/webhook/task?title=e&token="+q(proofedToken)+"&appsecret_proof="+proof, "", nil, nil))
	expect("proof header", 200, send("GET", "/webhook/task?title=f&token="+q(proofedToken), "", nil,
		map[string]string{"X-Hookboard-Proof": proof, "X-Forwarded-For": "203.0.113.9"}))
	expect("proof in body", 200, send("POST", "/webhook/task", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"token": {proofedToken}, "appsecret_proof": {proof}, "title": {"g"}}.Encode()), nil))
	expect("escaped parameter name", 200, send("GET", "/webhook/task?title=h&%74oken="+q(tok), "", nil, nil))
	expect("unknown token", 401, send("GET", "/webhook/task?title=i&token="+wrongToken, "", nil, nil))
	expect("api token on the incoming URL", 401, send("GET", "/webhook/task?title=j&token="+q(apiToken), "", nil, nil))
	expect("token on an unknown path", 404, send("GET", "/nowhere?token="+q(tok)+"&password="+q(userPassword), "", nil, nil))

	// JSON-RPC with every way of sending credentials.
	rpc := `{"jsonrpc":"2.0","id":1,"method":"getVersion"}`
	basic := func(u, p string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))}
	}
	secrets["basic credentials (app)"] = base64.StdEncoding.EncodeToString([]byte("jsonrpc:" + apiToken))
	secrets["basic credentials (user)"] = base64.StdEncoding.EncodeToString([]byte("dave:" + userPassword))
	expect("rpc app token", 200, send("POST", "/jsonrpc.php", "application/json", strings.NewReader(rpc), basic("jsonrpc", apiToken)))
	expect("rpc Bearer", 200, send("POST", "/jsonrpc.php", "application/json", strings.NewReader(rpc), map[string]string{"Authorization": "Bearer " + pat}))
	expect("rpc Token", 200, send("POST", "/jsonrpc.php", "application/json", strings.NewReader(rpc), map[string]string{"Authorization": "Token " + pat}))
	expect("rpc Basic personal token", 200, send("POST", "/jsonrpc.php", "application/json", strings.NewReader(rpc), basic("dave", pat)))
	expect("rpc password", 200, send("POST", "/jsonrpc", "application/json", strings.NewReader(rpc), basic("dave", userPassword)))
	expect("rpc admin password", 200, send("POST", "/jsonrpc", "application/json", strings.NewReader(rpc), basic("admin", adminPassword[1])))
	expect("rpc wrong password", 401, send("POST", "/jsonrpc.php", "application/json", strings.NewReader(rpc), basic("dave", userPassword+"x")))
	expect("rpc incoming token", 401, send("POST", "/jsonrpc.php", "application/json", strings.NewReader(rpc), basic("jsonrpc", tok)))
	expect("rpc token in query", 401, send("POST", "/jsonrpc.php?token="+q(apiToken), "application/json", strings.NewReader(rpc), nil))
	expect("healthz with credentials", 200, send("GET", "/healthz", "", nil, map[string]string{"Authorization": "Bearer " + pat}))

	// A command that prints a new token while the server runs.
	regenerated := addJSON("integration", "regenerate", "1")["token"].(string)
	secrets["regenerated token"] = regenerated
	expect("regenerated token", 200, send("GET", "/webhook/task?title=k&token="+q(regenerated), "", nil, nil))

	srv.stop()
	out := logs.String()

	// The run did log: one line per request, in order, each with the
	// request's path, its status and a latency, and the redaction marker.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	textLine := regexp.MustCompile(`msg=request method=\S+ path=(\S+) status=(\d+) latency=(\S+) `)
	type logged struct {
		path   string
		status int
	}
	var reqs []logged
	for _, line := range lines {
		if format == "json" {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %q", line)
			}
			if rec["msg"] == "request" {
				status, _ := rec["status"].(float64)
				latency, ok := rec["latency"].(float64) // slog writes a duration in nanoseconds
				path, _ := rec["path"].(string)
				if !ok || latency <= 0 {
					t.Errorf("request line without a latency: %s", line)
				}
				reqs = append(reqs, logged{path, int(status)})
			}
		} else if strings.Contains(line, "msg=request ") {
			m := textLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("request line without path, status and latency: %s", line)
				continue
			}
			if _, err := time.ParseDuration(m[3]); err != nil {
				t.Errorf("latency %q is not a duration: %s", m[3], line)
			}
			code, _ := strconv.Atoi(m[2])
			reqs = append(reqs, logged{m[1], code})
		}
	}
	if len(reqs) != requests {
		t.Errorf("%d request log lines for %d requests", len(reqs), requests)
	} else {
		for i, r := range reqs {
			if r.status != sentStatus[i] || r.path != sentPath[i] {
				t.Errorf("request %d: logged %s %d, answered %s %d", i+1, r.path, r.status, sentPath[i], sentStatus[i])
			}
		}
	}
	if !strings.Contains(out, "REDACTED") {
		t.Error("no query was logged redacted")
	}
	for what, secret := range secrets {
		if secret == "" {
			t.Fatalf("%s is empty", what)
		}
		if strings.Contains(out, secret) || strings.Contains(out, q(secret)) {
			t.Errorf("the %s appears in the %s logs", what, format)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", out)
	}
}
