package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// -checkpoint external (or HOOKBOARD_CHECKPOINT) starts the server with
// checkpoints left to Litestream, and says so; any other value is a usage
// error that creates nothing.
func TestCheckpointFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookboard.db")
	s := startServer(t, db, "-checkpoint", "external")
	s.stop()
	if !strings.Contains(s.logs.String(), "checkpoint=external") {
		t.Errorf("the start log does not say checkpoints are external: %s", s.logs)
	}

	fresh := filepath.Join(t.TempDir(), "hookboard.db")
	var stderr strings.Builder
	code := Run(context.Background(), &Env{
		Args: []string{"serve", "-db", fresh, "-addr", "127.0.0.1:0"}, Stdin: strings.NewReader(""),
		Stdout: &strings.Builder{}, Stderr: &stderr,
		Getenv: func(k string) string { return map[string]string{"HOOKBOARD_CHECKPOINT": "litestream"}[k] },
	})
	if code != 2 || !strings.Contains(stderr.String(), `-checkpoint must be internal or external, not "litestream"`) {
		t.Fatalf("HOOKBOARD_CHECKPOINT=litestream: exit %d, %q", code, stderr.String())
	}
	if m, _ := filepath.Glob(fresh + "*"); len(m) != 0 {
		t.Errorf("a refused start left files: %v", m)
	}
}
