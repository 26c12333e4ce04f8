package handlers

import (
	"encoding/json"
	"testing"
)

// FuzzRPCParse feeds arbitrary bodies to the JSON-RPC parser and the
// procedures' argument binding: they must never panic, every call gets exactly one outcome, and
// every reply they lead to is valid JSON.
func FuzzRPCParse(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","method":"createTask","id":1,"params":{"title":"a","project_id":1}}`))
	f.Add([]byte(`[{"jsonrpc":"2.0","method":"getVersion","id":1},{"jsonrpc":"2.0","method":"getTask","params":[1]}]`))
	f.Add([]byte(`{not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		calls, errs, batch, fatal := parseRPC(body)
		if fatal != nil {
			if calls != nil || errs != nil {
				t.Fatal("fatal error with calls")
			}
			mustJSON(t, rpcResponse{Error: fatal})
			return
		}
		if len(calls) == 0 || len(calls) != len(errs) || (!batch && len(calls) != 1) {
			t.Fatalf("%d calls, %d errors, batch %v", len(calls), len(errs), batch)
		}
		for i, c := range calls {
			if errs[i] != nil {
				mustJSON(t, rpcResponse{Error: errs[i]})
				continue
			}
			mustJSON(t, rpcResponse{Result: c.Method, ID: c.ID})
			proc, ok := rpcProcedures[c.Method]
			if !ok {
				proc = rpcProcedures["createTask"]
			}
			params, perr := proc.bind(c.Params)
			if perr != nil {
				mustJSON(t, rpcResponse{Error: perr, ID: c.ID})
				continue
			}
			if params == nil {
				t.Fatalf("%s bound no params struct", c.Method)
			}
			// Every argument read as every parameter type: never a panic.
			var values []json.RawMessage
			if json.Unmarshal(c.Params, &values) != nil {
				var named map[string]json.RawMessage
				json.Unmarshal(c.Params, &named)
				for _, v := range named {
					values = append(values, v)
				}
			}
			for _, v := range values {
				for _, dst := range []any{new(int64), new(string), new(float64), new(rpcDate)} {
					readArg(v, dst)
				}
			}
		}
	})
}

func mustJSON(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil || !json.Valid(b) {
		t.Fatalf("reply %q is not JSON: %v", b, err)
	}
}
