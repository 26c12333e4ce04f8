package store

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestEditIntegrationChangesEveryField(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ops := newBoard(t, s, "Ops")
	in, _, err := s.CreateIntegration(ctx, NewIntegration{Name: "ci", Description: "old"})
	if err != nil {
		t.Fatal(err)
	}
	start := s.now()
	nets := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	secret, err := s.EditIntegration(ctx, in.ID, IntegrationEdit{
		Name: ptr("  deploy bot "), Description: ptr("from the pipeline"), ExpiresIn: ptr(48 * time.Hour),
		Defaults:   &IntegrationDefaults{ProjectID: ops.project, ColumnID: ops.cols[1].ID, SwimlaneID: ops.lane},
		AllowedIPs: &nets,
	})
	if err != nil || secret != "" {
		t.Fatalf("edit: %q %v", secret, err)
	}
	got, _ := s.IntegrationByID(ctx, in.ID)
	if got.Name != "deploy bot" || got.Description != "from the pipeline" || got.ExpiresAt < start.Add(48*time.Hour).Unix() ||
		got.ExpiresAt > start.Add(48*time.Hour+time.Minute).Unix() || got.DefaultProjectID != ops.project ||
		got.DefaultColumnID != ops.cols[1].ID || got.DefaultSwimlaneID != ops.lane || !reflect.DeepEqual(got.AllowedIPs, nets) {
		t.Fatalf("after the edit: %+v", got)
	}
	// Fields left nil stay; never and no project clear.
	if _, err := s.EditIntegration(ctx, in.ID, IntegrationEdit{ExpiresIn: ptr(time.Duration(0)), Defaults: &IntegrationDefaults{}}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.IntegrationByID(ctx, in.ID)
	if got.Name != "deploy bot" || got.ExpiresAt != 0 || got.DefaultProjectID != 0 || got.DefaultColumnID != 0 || len(got.AllowedIPs) != 1 {
		t.Fatalf("after clearing expiry and defaults: %+v", got)
	}
}

func TestEditIntegrationProof(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	in, _, err := s.CreateIntegration(ctx, NewIntegration{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	nets := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	secret, err := s.EditIntegration(ctx, in.ID, IntegrationEdit{AllowedIPs: &nets, RequireProof: ptr(true)})
	if err != nil || !strings.HasPrefix(secret, PrefixAppSecret) {
		t.Fatalf("turning proof on: %q %v", secret, err)
	}
	got, _ := s.IntegrationByID(ctx, in.ID)
	if stored, _ := s.AppSecret(got); stored != secret || !got.RequireProof || len(got.AllowedIPs) != 1 || got.AllowedIPs[0] != nets[0] {
		t.Fatalf("after: %+v", got)
	}
	// Leaving proof on keeps the secret, and so does an edit not about proof.
	if again, err := s.EditIntegration(ctx, in.ID, IntegrationEdit{AllowedIPs: &[]netip.Prefix{}, RequireProof: ptr(true)}); err != nil || again != "" {
		t.Fatalf("keeping proof on: %q %v", again, err)
	}
	if again, err := s.EditIntegration(ctx, in.ID, IntegrationEdit{Name: ptr("renamed")}); err != nil || again != "" {
		t.Fatalf("renaming: %q %v", again, err)
	}
	got, _ = s.IntegrationByID(ctx, in.ID)
	if stored, _ := s.AppSecret(got); stored != secret || len(got.AllowedIPs) != 0 || !got.RequireProof {
		t.Fatalf("the secret changed or the addresses stayed: %+v", got)
	}
	if _, err := s.EditIntegration(ctx, in.ID, IntegrationEdit{RequireProof: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.IntegrationByID(ctx, in.ID)
	if stored, _ := s.AppSecret(got); stored != "" || got.RequireProof {
		t.Fatal("proof still required")
	}
}

// A refused edit says why and changes nothing, not even the fields that
// were fine.
func TestEditIntegrationRefusals(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ops := newBoard(t, s, "Ops")
	dev := newBoard(t, s, "Dev")
	in, _, err := s.CreateIntegration(ctx, NewIntegration{Name: "ci", Description: "CI", DefaultProjectID: ops.project,
		DefaultColumnID: ops.cols[0].ID, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := s.IntegrationByID(ctx, in.ID)
	version := func() int64 {
		var v int64
		if err := s.reader.QueryRow(`SELECT version FROM config_version WHERE id = 1`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := version()
	rename := ptr("renamed")
	for _, c := range []struct {
		name string
		id   int64
		edit IntegrationEdit
		want string
	}{
		{"blank name", in.ID, IntegrationEdit{Name: ptr("   ")}, "integration name is required"},
		{"long name", in.ID, IntegrationEdit{Name: ptr(strings.Repeat("n", MaxIntegrationName+1))}, "integration name is longer than 200 characters"},
		{"control character in the name", in.ID, IntegrationEdit{Name: ptr("a\x00b")}, "integration name contains the control character U+0000"},
		{"two-line description", in.ID, IntegrationEdit{Name: rename, Description: ptr("a\nb")}, "description contains the control character U+000A"},
		{"long description", in.ID, IntegrationEdit{Description: ptr(strings.Repeat("d", MaxIntegrationDescription+1))}, "description is longer than 1000 characters"},
		{"expiry in the past", in.ID, IntegrationEdit{Name: rename, ExpiresIn: ptr(-time.Hour)}, "expiry must be in the future"},
		{"unknown project", in.ID, IntegrationEdit{Defaults: &IntegrationDefaults{ProjectID: 999}}, "project 999 does not exist"},
		{"column without a project", in.ID, IntegrationEdit{Defaults: &IntegrationDefaults{ColumnID: ops.cols[1].ID}}, "a default column or swimlane needs a default project"},
		{"column of another project", in.ID, IntegrationEdit{Name: rename, Defaults: &IntegrationDefaults{ProjectID: ops.project, ColumnID: dev.cols[1].ID}},
			"is not in project"},
		{"swimlane of another project", in.ID, IntegrationEdit{Defaults: &IntegrationDefaults{ProjectID: dev.project, SwimlaneID: ops.lane}}, "is not in project"},
		{"unknown integration", 999, IntegrationEdit{Name: rename}, "not found"},
	} {
		_, err := s.EditIntegration(ctx, c.id, c.edit)
		var inv *InvalidError
		switch {
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		case !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		case c.id == in.ID && !errors.As(err, &inv):
			t.Errorf("%s: %v is not an InvalidError", c.name, err)
		case c.id != in.ID && !errors.Is(err, ErrNotFound):
			t.Errorf("%s: %v is not ErrNotFound", c.name, err)
		}
		if after, _ := s.IntegrationByID(ctx, in.ID); !reflect.DeepEqual(after, before) || version() != v {
			t.Errorf("%s changed the integration: %+v", c.name, after)
		}
	}
}

// The incoming URL judges a token with the integration cached at the
// config_version of its write transaction; an edit made by another process
// moves that version, so the very next request sees the edit.
func TestEditIntegrationSeenByTheNextIncomingCreate(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	path := testDB(t)
	open := func() *Store {
		s, err := openTest(t, path, Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	server, other := open(), open()
	ops := newBoard(t, server, "Ops")
	dev := newBoard(t, server, "Dev")
	urgent, err := server.CreateSwimlane(ctx, dev.project, "Urgent")
	if err != nil {
		t.Fatal(err)
	}
	in, sec, err := server.CreateIntegration(ctx, NewIntegration{Name: "ci", DefaultProjectID: ops.project})
	if err != nil {
		t.Fatal(err)
	}
	creds := Credentials{Kind: KindIncoming, Token: sec.Token, Addr: netip.MustParseAddr("192.0.2.7")}
	type place struct{ project, column, lane int64 }
	create := func(step string) (Integration, place) {
		t.Helper()
		got, id, _, err := server.CreateTaskWithToken(ctx, creds, NewTask{Title: step})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		var p place
		if err := server.reader.QueryRow(`SELECT project_id, column_id, swimlane_id FROM tasks WHERE id = ?`, id).Scan(&p.project, &p.column, &p.lane); err != nil {
			t.Fatal(err)
		}
		return got, p
	}
	edit := func(e IntegrationEdit) {
		t.Helper()
		if _, err := other.EditIntegration(ctx, in.ID, e); err != nil {
			t.Fatal(err)
		}
	}

	if _, p := create("first"); p != (place{ops.project, ops.cols[0].ID, ops.lane}) {
		t.Fatalf("first task at %+v, want the first column of Ops", p)
	}
	edit(IntegrationEdit{Name: ptr("deploy"), Defaults: &IntegrationDefaults{ProjectID: dev.project, ColumnID: dev.cols[2].ID, SwimlaneID: urgent}})
	got, p := create("after the defaults moved elsewhere")
	if want := (place{dev.project, dev.cols[2].ID, urgent}); p != want || got.Name != "deploy" {
		t.Fatalf("task at %+v by %q, want %+v by the renamed integration", p, got.Name, want)
	}
	edit(IntegrationEdit{Description: ptr("the deploy pipeline")})
	if got, _ := create("after the description changed"); got.Description != "the deploy pipeline" {
		t.Fatalf("the next request saw the description %q", got.Description)
	}

	edit(IntegrationEdit{ExpiresIn: ptr(time.Hour)})
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	var before int
	server.reader.QueryRow(`SELECT count(*) FROM tasks`).Scan(&before)
	if _, _, _, err := server.CreateTaskWithToken(ctx, creds, NewTask{Title: "after the expiry passed"}); !errors.Is(err, ErrUnauthorized) ||
		!strings.Contains(err.Error(), "expired") {
		t.Fatalf("after the expiry passed: %v, want a refusal for expiry", err)
	}
	var after int
	server.reader.QueryRow(`SELECT count(*) FROM tasks`).Scan(&after)
	if after != before {
		t.Fatal("a refused request wrote a task")
	}
	edit(IntegrationEdit{ExpiresIn: ptr(time.Duration(0))})
	create("after the expiry was set to never")
}
