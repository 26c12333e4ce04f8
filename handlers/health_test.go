package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHealthzFollowsTheDatabase(t *testing.T) {
	f := newAuthFixture(t, Config{})
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	get := func() (int, string) {
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("healthy: %d %q", code, body)
	}
	// The database stops answering (here: its pools are closed under the
	// running server).
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	if code, body := get(); code != http.StatusServiceUnavailable || body != "database unavailable\n" {
		t.Fatalf("database closed: %d %q, want 503", code, body)
	}
}
