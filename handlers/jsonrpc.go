package handlers

import "net/http"

// jsonRPC serves the Kanboard-compatible JSON-RPC API.
func (a *App) jsonRPC(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(`{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":null}`))
}
