package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"hookboard/store"
)

// JSON-RPC 2.0 error codes.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
	rpcInternalError  = -32603
	// rpcReplyBudgetError answers the calls of a request left unrun once
	// its replies passed the reply budget.
	rpcReplyBudgetError = -32001
)

// maxBatch bounds the calls in one batch request.
const maxBatch = 1000

// Kanboard's exact bodies for refused credentials and permissions.
const (
	rpcUnauthorizedBody = `{"jsonrpc":"2.0","error":{"code":401,"message":"Unauthorized"},"id":null}`
	rpcForbiddenBody    = `{"jsonrpc":"2.0","error":{"code":403,"message":"Forbidden"},"id":null}`
	rpcThrottledBody    = `{"jsonrpc":"2.0","error":{"code":429,"message":"Too Many Requests"},"id":null}`
	rpcCrossSiteBody    = `{"jsonrpc":"2.0","error":{"code":403,"message":"Forbidden","data":"Cross-site request refused: send credentials in an Authorization: Token or Bearer header"},"id":null}`
)

// minReplyBudget is the least a request's replies may take before the rest
// of its calls are refused; the budget grows so that one file of the
// largest allowed size always fits.
const minReplyBudget = 32 << 20

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// rpcResponse is one reply. Result is always written for a success, even
// when it is null, false or 0.
type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  any             `json:"result"`
	Error   *rpcError       `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
}

// MarshalJSON writes either "result" or "error", never both, and "id"
// (null when unknown), as JSON-RPC 2.0 requires.
func (r rpcResponse) MarshalJSON() ([]byte, error) { return json.Marshal(r.wire()) }

// wire is the reply as it is encoded; encoding it directly spares a copy of
// a large result.
func (r rpcResponse) wire() any {
	id := r.ID
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	if r.Error != nil {
		return struct {
			JSONRPC string          `json:"jsonrpc"`
			Error   *rpcError       `json:"error"`
			ID      json.RawMessage `json:"id"`
		}{"2.0", r.Error, id}
	}
	return struct {
		JSONRPC string          `json:"jsonrpc"`
		Result  any             `json:"result"`
		ID      json.RawMessage `json:"id"`
	}{"2.0", r.Result, id}
}

// rpcRequest is one parsed call. Params is nil, a JSON array or a JSON
// object; Notification is true when the call had no "id".
type rpcRequest struct {
	Method       string
	Params       json.RawMessage
	ID           json.RawMessage
	Notification bool
}

// errForbidden aborts the whole HTTP request with Kanboard's 403 (as
// Kanboard does when a caller may not run a procedure).
var errForbidden = errors.New("forbidden")

// parseRPC reads a request body: one call or a batch. It returns the calls,
// whether the body was a batch, and, for a body that is not a call at all,
// the error reply to send instead.
func parseRPC(body []byte) (calls []rpcRequest, errs []*rpcError, batch bool, fatal *rpcError) {
	trimmed := bytes.TrimSpace(body)
	if !json.Valid(trimmed) {
		return nil, nil, false, &rpcError{Code: rpcParseError, Message: "Parse error"}
	}
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, nil, false, &rpcError{Code: rpcParseError, Message: "Parse error"}
		}
		if len(items) == 0 {
			return nil, nil, false, &rpcError{Code: rpcInvalidRequest, Message: "Invalid Request"}
		}
		if len(items) > maxBatch {
			return nil, nil, false, &rpcError{Code: rpcInvalidRequest, Message: "Invalid Request",
				Data: fmt.Sprintf("A batch holds at most %d calls", maxBatch)}
		}
		calls = make([]rpcRequest, len(items))
		errs = make([]*rpcError, len(items))
		for i, item := range items {
			calls[i], errs[i] = parseCall(item)
		}
		return calls, errs, true, nil
	}
	call, err := parseCall(trimmed)
	if err != nil {
		return nil, nil, false, err
	}
	return []rpcRequest{call}, []*rpcError{nil}, false, nil
}

// parseCall validates one call object as Kanboard's JSON-RPC server does:
// "jsonrpc" must be "2.0", "method" a string, "params" (when present) an
// array or an object.
func parseCall(raw json.RawMessage) (rpcRequest, *rpcError) {
	invalidReq := &rpcError{Code: rpcInvalidRequest, Message: "Invalid Request"}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return rpcRequest{}, invalidReq
	}
	var version, method string
	if json.Unmarshal(fields["jsonrpc"], &version) != nil || version != "2.0" {
		return rpcRequest{}, invalidReq
	}
	if json.Unmarshal(fields["method"], &method) != nil || method == "" {
		return rpcRequest{}, invalidReq
	}
	req := rpcRequest{Method: method}
	id, hasID := fields["id"]
	switch {
	case !hasID:
		req.Notification = true
	case len(id) > 0 && (id[0] == '{' || id[0] == '['):
		return rpcRequest{}, invalidReq
	default:
		req.ID = id
	}
	if p, ok := fields["params"]; ok && !bytes.Equal(p, []byte("null")) {
		if len(p) == 0 || (p[0] != '[' && p[0] != '{') {
			return rpcRequest{}, invalidReq
		}
		req.Params = p
	}
	return req, nil
}

// rpcCaller is who is calling: an application (an api integration) or a user.
type rpcCaller struct {
	integration *store.Integration
	user        *store.User
}

func (c rpcCaller) actor() store.Actor {
	if c.user != nil {
		return store.Actor{UserID: c.user.ID, Username: c.user.Username, IsAdmin: c.user.IsAdmin}
	}
	return store.Actor{IntegrationID: c.integration.ID}
}

// isApp tells whether the caller is an application, which Kanboard lets do
// anything but the Me procedures.
func (c rpcCaller) isApp() bool { return c.user == nil }

// rpcAuth identifies the caller. A refusal comes with a reason for the
// log (401); err is a throttled password check or a failure to check.
func (a *App) rpcAuth(r *http.Request) (caller rpcCaller, reason string, err error) {
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && (strings.EqualFold(scheme, "Token") || strings.EqualFold(scheme, "Bearer")) {
		u, _, err := a.store.UserByPersonalToken(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			return rpcCaller{}, "personal token refused", nil
		}
		return rpcCaller{user: &u}, "", nil
	}
	username, password, ok := r.BasicAuth()
	if !ok {
		return rpcCaller{}, "no credentials", nil
	}
	if username == "jsonrpc" {
		// The proof may come as ?appsecret_proof= or in X-Hookboard-Proof.
		in, err := a.store.Authenticate(r.Context(), a.credentials(r, store.KindAPI, password, r.URL.Query().Get("appsecret_proof")))
		var refused *store.RefusedError
		if errors.As(err, &refused) {
			return rpcCaller{}, refused.Reason, nil
		}
		if err != nil {
			return rpcCaller{}, "", err
		}
		a.store.RecordIntegrationUse(in.ID)
		return rpcCaller{integration: &in}, "", nil
	}
	// Tokens are hash lookups; only passwords cost bcrypt and are throttled.
	if strings.HasPrefix(password, store.PrefixPersonal) {
		u, _, err := a.store.UserByPersonalToken(r.Context(), password)
		if err != nil || !strings.EqualFold(u.Username, username) {
			return rpcCaller{}, "personal token refused", nil
		}
		return rpcCaller{user: &u}, "", nil
	}
	u, err := a.checkPassword(r, username, password)
	if errors.Is(err, store.ErrUnauthorized) {
		return rpcCaller{}, "wrong username or password", nil
	}
	if err != nil {
		return rpcCaller{}, "", err
	}
	return rpcCaller{user: &u}, "", nil
}

// rpcCrossSite tells whether a browser sent the request from another site
// without a header only a script could set. Such a request can carry the
// browser's saved Basic credentials in a plain-text form post; a script
// sending a token header had to pass CORS, which Hookboard never grants.
func rpcCrossSite(r *http.Request) bool {
	if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Token") || strings.EqualFold(scheme, "Bearer") {
		return false
	}
	if r.Header.Get("X-API-Auth") != "" {
		return false
	}
	return crossOrigin.Check(r) != nil
}

// crossOrigin is the pages' rule (Sec-Fetch-Site, else Origin against Host)
// applied to the API.
var crossOrigin = http.NewCrossOriginProtection()

// rpcBodyLimit is the largest request body: the configured bound, raised
// so that a file of the largest allowed size fits in base64.
func (a *App) rpcBodyLimit() int64 {
	fileBody := base64.StdEncoding.EncodedLen(int(a.cfg.MaxFileBytes)) + 64<<10
	return max(a.cfg.MaxBodyBytes, int64(fileBody))
}

// rawJSON writes a fixed JSON body.
func rawJSON(w http.ResponseWriter, status int, body string) {
	writeJSONHeader(w, status)
	io.WriteString(w, body)
}

func writeJSONHeader(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// jsonReply encodes v as the whole reply.
func jsonReply(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		rawJSON(w, http.StatusInternalServerError, `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":null}`)
		return
	}
	// Written from the buffer: a downloaded file's reply is megabytes.
	writeJSONHeader(w, status)
	w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// replyBudget bounds the encoded replies of one request: past it, the
// request's remaining calls are not run and answer an error, so a batch of
// large results cannot hold unbounded memory.
func (a *App) replyBudget() int {
	if a.cfg.MaxReplyBytes > 0 {
		return int(a.cfg.MaxReplyBytes)
	}
	return max(minReplyBudget, base64.StdEncoding.EncodedLen(int(a.cfg.MaxFileBytes))+64<<10)
}

// jsonRPC serves the Kanboard-compatible JSON-RPC API (DESIGN §5).
func (a *App) jsonRPC(w http.ResponseWriter, r *http.Request) {
	if rpcCrossSite(r) {
		a.log.Info("json-rpc refused", "reason", "cross-site request", "remote", r.RemoteAddr)
		rawJSON(w, http.StatusForbidden, rpcCrossSiteBody)
		return
	}
	caller, reason, err := a.rpcAuth(r)
	if t, ok := isThrottled(err); ok {
		a.log.Warn("json-rpc login rate limited", a.rpcUserAttrs(r)...)
		w.Header().Set("Retry-After", t.retryAfterHeader())
		rawJSON(w, http.StatusTooManyRequests, rpcThrottledBody)
		return
	}
	if err != nil {
		if r.Context().Err() == nil {
			a.log.Error("json-rpc credentials not checked", "err", err)
		}
		jsonReply(w, http.StatusServiceUnavailable, rpcResponse{Error: &rpcError{Code: rpcInternalError, Message: "Internal error"}})
		return
	}
	if reason != "" {
		a.log.Info("json-rpc refused", append(a.rpcUserAttrs(r), "reason", reason)...)
		w.Header().Set("WWW-Authenticate", `Basic realm="JsonRPC"`)
		rawJSON(w, http.StatusUnauthorized, rpcUnauthorizedBody)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.rpcBodyLimit()))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		jsonReply(w, http.StatusRequestEntityTooLarge, rpcResponse{Error: &rpcError{Code: rpcInvalidRequest,
			Message: "Invalid Request", Data: fmt.Sprintf("Request body is larger than %d bytes", tooLarge.Limit)}})
		return
	}
	if err != nil {
		jsonReply(w, http.StatusBadRequest, rpcResponse{Error: &rpcError{Code: rpcParseError, Message: "Parse error"}})
		return
	}
	if !utf8.Valid(body) {
		// The decoder would turn the bad bytes into U+FFFD, which the
		// store's text checks could no longer see.
		jsonReply(w, http.StatusOK, rpcResponse{Error: &rpcError{Code: rpcParseError, Message: "Parse error", Data: "request body is not valid UTF-8"}})
		return
	}
	calls, errs, batch, fatal := parseRPC(body)
	if fatal != nil {
		jsonReply(w, http.StatusOK, rpcResponse{Error: fatal})
		return
	}
	// Each reply is encoded as soon as it is made, so only encoded bytes
	// (at most the budget and one reply) are held, never all results.
	var replies [][]byte
	size, budget := 0, a.replyBudget()
	add := func(reply rpcResponse) {
		b, err := json.Marshal(reply.wire())
		if err != nil {
			a.log.Error("json-rpc reply not encoded", "err", err)
			b, _ = json.Marshal(rpcResponse{Error: &rpcError{Code: rpcInternalError, Message: "Internal error"}, ID: reply.ID}.wire())
		}
		replies = append(replies, b)
		size += len(b)
	}
	status := http.StatusOK
	for i, call := range calls {
		if errs[i] != nil {
			add(rpcResponse{Error: errs[i]})
			continue
		}
		if size > budget && !call.Notification {
			add(rpcResponse{Error: &rpcError{Code: rpcReplyBudgetError,
				Message: fmt.Sprintf("Reply budget exceeded: the replies to this request passed %d bytes", budget),
				Data:    "Not run; send this call again in another request"}, ID: call.ID})
			continue
		}
		result, rerr := a.runProcedure(r, caller, call)
		if errors.Is(rerr, errForbidden) {
			rawJSON(w, http.StatusForbidden, rpcForbiddenBody)
			return
		}
		if call.Notification {
			continue
		}
		if rerr != nil {
			var e *rpcError
			if !errors.As(rerr, &e) {
				e = &rpcError{Code: rpcInternalError, Message: "Internal error"}
			}
			if errors.Is(rerr, store.ErrUnavailable) && !batch {
				status = http.StatusServiceUnavailable
			}
			add(rpcResponse{Error: e, ID: call.ID})
			continue
		}
		add(rpcResponse{Result: result, ID: call.ID})
	}
	if len(replies) == 0 {
		rawJSON(w, http.StatusOK, "")
		return
	}
	writeJSONHeader(w, status)
	if !batch {
		w.Write(replies[0])
		return
	}
	io.WriteString(w, "[")
	for i, b := range replies {
		if i > 0 {
			io.WriteString(w, ",")
		}
		w.Write(b)
	}
	io.WriteString(w, "]")
}

// rpcUserAttrs are the log attributes of a refused caller: the address and,
// for a Basic login, the typed user name as a short hash.
func (a *App) rpcUserAttrs(r *http.Request) []any {
	attrs := []any{"remote", r.RemoteAddr}
	if username, _, ok := r.BasicAuth(); ok && username != "jsonrpc" {
		attrs = append(attrs, "user", loggedName(username))
	}
	return attrs
}

// Error implements error so procedures can return protocol errors.
func (e *rpcError) Error() string { return e.Message }
