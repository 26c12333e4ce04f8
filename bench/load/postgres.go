package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"hookboard/internal/testdb"
	"hookboard/store"
)

// With -db postgres://… the incoming URL and JSON-RPC phases also run on
// Hookboard on PostgreSQL, side by side with the SQLite server in every
// round: one instance, and two instances on one database with the clients
// split between them.

// The servers' names in the results.
const (
	serverPG1 = "postgres1" // one instance on PostgreSQL
	serverPG2 = "postgres2" // two instances on one PostgreSQL database
)

// targetPG2Ratio is the least throughput of two instances on PostgreSQL
// over one SQLite instance's, at c=64 on the incoming URL.
const targetPG2Ratio = 0.5

// pgServer is the PostgreSQL server of -db: a connection that creates and
// drops the schema of each Hookboard run there.
type pgServer struct {
	dsn     string
	admin   *sql.DB
	version string
}

// openPGServer connects to the server of dsn, so an unreachable server is
// reported before any phase runs.
func openPGServer(ctx context.Context, dsn string) (*pgServer, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL %s: %w", store.RedactDSN(dsn), err)
	}
	db.SetMaxOpenConns(1)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var version string
	if err := db.QueryRowContext(pctx, "SHOW server_version").Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("PostgreSQL %s: %w", store.RedactDSN(dsn), err)
	}
	return &pgServer{dsn: dsn, admin: db, version: version}, nil
}

func (s *pgServer) close() { s.admin.Close() }

// newSchema creates a fresh schema and returns the -db URL whose tables
// live there, and drop, which removes it with its rows (testdb.Schema).
func (s *pgServer) newSchema(ctx context.Context) (db string, drop func() error, err error) {
	db, drop, err = testdb.Schema(ctx, s.admin, s.dsn, "hookboard_load_")
	if err != nil {
		return "", nil, fmt.Errorf("-db %s: %w", store.RedactDSN(s.dsn), err)
	}
	return db, drop, nil
}

// startPostgres runs n instances of the binary on one fresh schema of the
// PostgreSQL server, each its own child process, and returns them as one
// target named name whose calls split the clients between the instances
// (splitCall). Its close stops them and drops the schema.
func startPostgres(ctx context.Context, pg *pgServer, name, dir, bin string, n int, deliveryWait time.Duration) (*target, error) {
	db, drop, err := pg.newSchema(ctx)
	if err != nil {
		return nil, err
	}
	// Every instance and this tool's own store read the same key.
	keyFile := filepath.Join(dir, "hookboard.key")
	env := []string{"HOOKBOARD_KEY_FILE=" + keyFile}
	var (
		procs []*serveProc
		st    *store.Store
	)
	closeAll := func() {
		if st != nil {
			st.Close()
		}
		for _, p := range procs {
			p.stop()
		}
		if err := drop(); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
		}
	}
	for i := range n {
		// The first start sets the database up and prints the first-run
		// banner; the others find it set up, print none, and answer the
		// same token.
		p, err := startServe(bin, db, env, deliveryWait, i == 0)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("instance %d of %d: %w", i+1, n, err)
		}
		procs = append(procs, p)
	}
	// The API integration is a row in the database, written while the
	// servers run, as the CLI's `integration add` would.
	st, err = store.Open(db, store.Options{KeyFile: keyFile})
	if err != nil {
		closeAll()
		return nil, err
	}
	_, api, err := st.CreateIntegration(ctx, store.NewIntegration{Name: "load api", Kind: store.KindAPI})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("create the API integration: %w", err)
	}
	instance := func(p *serveProc) *target {
		return &target{name: name, base: p.base, incomingPath: incomingPath(procs[0].token),
			rpcPath: "/jsonrpc.php", apiToken: api.Token}
	}
	t := instance(procs[0])
	t.pid = procs[0].cmd.Process.Pid
	t.rssOf = "hookboard server process"
	t.closeFn = closeAll
	for _, p := range procs {
		t.logs = append(t.logs, p.log)
	}
	if n > 1 {
		t.rssOf = "the largest of the hookboard server processes"
		for _, p := range procs {
			t.instances = append(t.instances, instance(p))
		}
		for _, p := range procs[1:] {
			t.morePids = append(t.morePids, p.cmd.Process.Pid)
		}
	}
	return t, nil
}

// splitCall spreads the workers over the instances' calls evenly, worker w
// to instance w mod n, and each worker keeps to its instance, as a proxy
// with sticky connections would.
func splitCall(calls []call) call {
	return func(ctx context.Context, w int, timeout time.Duration) requester {
		return calls[w%len(calls)](ctx, w, timeout)
	}
}

// checkPostgresTargets judges the PostgreSQL phases: zero errors in each,
// and two instances at c=64 against one SQLite instance in the same rounds.
// A phase the flags asked for that did not run is not measured, which
// counts as missed.
func checkPostgresTargets(all []result, works []string, levels []int) []verdict {
	var vs []verdict
	for _, work := range []string{"incoming", "jsonrpc"} {
		if !slices.Contains(works, work) {
			continue
		}
		for _, c := range levels {
			for _, server := range []string{serverPG1, serverPG2} {
				name := fmt.Sprintf("%s c=%d on %s: zero errors", work, c, pgServerText(server))
				rs := rows(all, work, server, c)
				if len(rs) == 0 {
					vs = append(vs, verdict{name, "", statusUnmeasured})
					continue
				}
				n := errCount(rs)
				measured := fmt.Sprintf("%.0f/s, worst p99 %s, %d errors in %d requests",
					medianRate(rs), ms(worst(rs, func(r result) time.Duration { return r.P99 })), n, sumRequests(rs))
				vs = append(vs, verdict{name, measured, judge(n == 0)})
			}
		}
	}
	if slices.Contains(works, "incoming") && slices.Contains(levels, 64) {
		name := fmt.Sprintf("incoming c=64: %s ≥ %.1f× one SQLite instance's throughput", pgServerText(serverPG2), targetPG2Ratio)
		pg2, sqlite := rows(all, "incoming", serverPG2, 64), rows(all, "incoming", "hookboard", 64)
		if len(pg2) == 0 || len(sqlite) == 0 {
			vs = append(vs, verdict{name, "", statusUnmeasured})
		} else {
			ratio, measured := pairedRatio(pg2, sqlite)
			vs = append(vs, verdict{name, measured, judge(ratio >= targetPG2Ratio)})
		}
	}
	return vs
}

// pgServerText says in words what a PostgreSQL server name stands for.
func pgServerText(server string) string {
	if server == serverPG2 {
		return "two instances on PostgreSQL"
	}
	return "one instance on PostgreSQL"
}
