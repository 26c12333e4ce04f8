package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hookboard/notify"
	"hookboard/store"
)

// "deliveries" shows a receiver's 500 once, not as "HTTP 500; HTTP 500".
func TestDeliveriesShowTheStatusOnce(t *testing.T) {
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer rc.Close()
	db := testDB(t)
	st, err := openTestStore(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ep, _, err := st.CreateEndpoint(context.Background(), store.NewEndpoint{URL: rc.URL})
	if err != nil {
		t.Fatal(err)
	}
	allow, _ := notify.ParseAllowlist("loopback")
	n, err := notify.New(notify.Options{Store: st, Allow: allow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Test(context.Background(), ep.ID); err != nil {
		t.Fatal(err)
	}
	n.Stop(context.Background())
	st.Close()

	code, out, errOut := runCLI(t, "", "deliveries", "-db", db)
	if code != 0 {
		t.Fatalf("deliveries: exit %d: %s", code, errOut)
	}
	if k := strings.Count(out, "HTTP 500"); k != 1 {
		t.Fatalf("the list says HTTP 500 %d times, want once:\n%s", k, out)
	}
}
