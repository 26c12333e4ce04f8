package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
)

// An incoming URL's credentials are judged at the write: whatever another
// process changes about an integration between two requests (the CLI
// disabling it, narrowing its addresses, asking for a proof, moving its
// default column, regenerating its token) holds for the next request.
func TestCreateTaskWithTokenJudgesAtTheWrite(t *testing.T) {
	ctx := context.Background()
	server, other := twoProcesses(t)
	board := newBoard(t, server, "Ops")
	in, sec, err := server.CreateIntegration(ctx, NewIntegration{Name: "ci", Kind: KindIncoming, DefaultProjectID: board.project})
	if err != nil {
		t.Fatal(err)
	}
	home := netip.MustParseAddr("192.0.2.7")
	creds := Credentials{Kind: KindIncoming, Token: sec.Token, Addr: home}
	tasks := func() int {
		var n int
		if err := server.reader.QueryRow(`SELECT count(*) FROM tasks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	create := func(step string, want error) int64 {
		t.Helper()
		before := tasks()
		got, id, events, err := server.CreateTaskWithToken(ctx, creds, NewTask{Title: step})
		switch {
		case want == nil && (err != nil || id == 0 || len(events) != 1 || got.ID != in.ID):
			t.Fatalf("%s: id %d, events %v, integration %d, err %v; want a task", step, id, events, got.ID, err)
		case want != nil && !errors.Is(err, want):
			t.Fatalf("%s: err %v, want %v", step, err, want)
		case want != nil && tasks() != before:
			t.Fatalf("%s: a refused request wrote a task", step)
		}
		return id
	}

	create("first", nil)
	create("second, as judged before", nil)

	if err := other.SetIntegrationEnabled(ctx, in.ID, false); err != nil {
		t.Fatal(err)
	}
	create("disabled elsewhere", ErrUnauthorized)
	if err := other.SetIntegrationEnabled(ctx, in.ID, true); err != nil {
		t.Fatal(err)
	}
	create("enabled again", nil)

	narrowed := []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	if _, err := other.EditIntegration(ctx, in.ID, IntegrationEdit{AllowedIPs: &narrowed}); err != nil {
		t.Fatal(err)
	}
	create("from an address no longer allowed", ErrUnauthorized)
	creds.Addr = netip.MustParseAddr("198.51.100.9")
	create("from the allowed address", nil)

	anywhere, on := []netip.Prefix{}, true
	appSecret, err := other.EditIntegration(ctx, in.ID, IntegrationEdit{AllowedIPs: &anywhere, RequireProof: &on})
	if err != nil {
		t.Fatal(err)
	}
	create("without the proof now required", ErrUnauthorized)
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(sec.Token))
	creds.Proof = hex.EncodeToString(mac.Sum(nil))
	create("with the proof", nil)

	change(t, other, `UPDATE integrations SET default_column_id = ? WHERE id = ?`, board.cols[2].ID, in.ID)
	id := create("after the default column moved", nil)
	var column int64
	if err := server.reader.QueryRow(`SELECT column_id FROM tasks WHERE id = ?`, id).Scan(&column); err != nil || column != board.cols[2].ID {
		t.Fatalf("task went to column %d (err %v), want the new default %d", column, err, board.cols[2].ID)
	}

	if _, err := other.RegenerateIntegration(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	create("with the token replaced elsewhere", ErrUnauthorized)

	var refusal *RefusedError
	if _, _, _, err := server.CreateTaskWithToken(ctx, Credentials{Kind: KindAPI, Token: sec.Token, Addr: home}, NewTask{Title: "x"}); !errors.As(err, &refusal) {
		t.Fatalf("unknown token: %v, want a refusal with its reason", err)
	}
}
