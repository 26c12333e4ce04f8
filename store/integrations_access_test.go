package store

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetIntegrationAccess(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "hb.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	in, _, err := s.CreateIntegration(ctx, NewIntegration{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	nets := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	secret, err := s.SetIntegrationAccess(ctx, in.ID, nets, true)
	if err != nil || !strings.HasPrefix(secret, PrefixAppSecret) {
		t.Fatalf("turning proof on: %q %v", secret, err)
	}
	got, _ := s.IntegrationByID(ctx, in.ID)
	if stored, _ := s.AppSecret(got); stored != secret || !got.RequireProof || len(got.AllowedIPs) != 1 || got.AllowedIPs[0] != nets[0] {
		t.Fatalf("after: %+v", got)
	}
	// Leaving proof on keeps the secret.
	if again, err := s.SetIntegrationAccess(ctx, in.ID, nil, true); err != nil || again != "" {
		t.Fatalf("keeping proof on: %q %v", again, err)
	}
	got, _ = s.IntegrationByID(ctx, in.ID)
	if stored, _ := s.AppSecret(got); stored != secret || len(got.AllowedIPs) != 0 {
		t.Fatalf("the secret changed or the addresses stayed: %+v", got)
	}
	if _, err := s.SetIntegrationAccess(ctx, in.ID, nil, false); err != nil {
		t.Fatal(err)
	}
	got, _ = s.IntegrationByID(ctx, in.ID)
	if stored, _ := s.AppSecret(got); stored != "" || got.RequireProof {
		t.Fatal("proof still required")
	}
	if _, err := s.SetIntegrationAccess(ctx, 999, nil, false); err == nil {
		t.Fatal("unknown integration accepted")
	}
}
