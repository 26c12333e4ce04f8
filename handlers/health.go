package handlers

import (
	"context"
	"net/http"
	"time"
)

// healthz answers 200 when the database answers a query, 503 otherwise.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.log.Error("health check failed", "err", err)
		textReply(w, http.StatusServiceUnavailable, "database unavailable\n", "")
		return
	}
	textReply(w, http.StatusOK, "ok\n", "")
}
