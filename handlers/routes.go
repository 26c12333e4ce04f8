package handlers

import "net/http"

// Routes is the whole route table.
func (a *App) Routes() http.Handler {
	mux := http.NewServeMux()

	// Incoming task webhook: Kanboard's URL (any method; the handler answers
	// 405 itself so the reply stays plain text) and the clean alias.
	mux.HandleFunc("/{$}", a.root)
	mux.HandleFunc("/index.php", a.root)
	mux.HandleFunc("/webhook/task", a.incomingTask)

	// JSON-RPC API.
	mux.HandleFunc("/jsonrpc.php", a.jsonRPC)
	mux.HandleFunc("/jsonrpc", a.jsonRPC)

	mux.HandleFunc("GET /healthz", a.healthz)

	return a.recoverPanics(a.logRequests(mux))
}
