package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"hookboard/handlers"
	"hookboard/notify"
	"hookboard/store"
)

// serveConfig is every server flag.
type serveConfig struct {
	addr             string
	db               string
	baseURL          string
	allowWebhookNets string
	deliveryWait     time.Duration
	retention        time.Duration
	logFormat        string
	maxBodyBytes     int64
	maxFileBytes     int64
	trustedProxies   string
	shutdownTimeout  time.Duration
	checkpoint       string
}

func serveFlags(env *Env) (*flagSet, *serveConfig) {
	fs := newFlagSet(env, "serve", "serve [flags]")
	c := &serveConfig{}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.db, "db", "./hookboard.db", "SQLite database file, or a postgres:// URL")
	fs.StringVar(&c.baseURL, "base-url", "", "public URL of Hookboard, e.g. https://board.example.com (default http://ADDR)")
	fs.StringVar(&c.allowWebhookNets, "allow-webhook-nets", "", "extra networks outgoing webhooks may reach: loopback, private, CIDRs, or all")
	fs.DurationVar(&c.deliveryWait, "delivery-wait", 10*time.Second, "longest a request waits for its webhooks; 0 sends them in the background")
	fs.DurationVar(&c.retention, "delivery-retention", notify.DefaultRetention, "how long webhook delivery attempts and finished deliveries are kept; older ones are pruned hourly")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", 1<<20, "largest request body of the incoming URL and the API")
	fs.Int64Var(&c.maxFileBytes, "max-file-bytes", 10<<20, "largest attached file")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long SIGTERM waits for requests and deliveries to finish")
	fs.StringVar(&c.checkpoint, "checkpoint", "internal", "who copies the write-ahead log into the database: internal, or external when Litestream replicates it")
	return fs, c
}

// newLogger writes to standard error through a logBuffer (flush writes
// out what waits in it); every attribute passes through
// handlers.RedactLogAttr, so a credential logged by mistake is redacted.
func newLogger(env *Env, format string) (logger *slog.Logger, flush func(), err error) {
	opts := &slog.HandlerOptions{ReplaceAttr: handlers.RedactLogAttr}
	buf := newLogBuffer(env.Stderr)
	var h slog.Handler
	switch format {
	case "text", "":
		h = slog.NewTextHandler(buf, opts)
	case "json":
		h = slog.NewJSONHandler(buf, opts)
	default:
		return nil, nil, usagef("-log-format must be text or json")
	}
	return slog.New(flushingHandler{h, buf}), buf.Flush, nil
}

// serveGCPercent is the server's GOGC unless the environment sets one. Its
// live heap is a few megabytes and every request allocates, so at Go's
// default (collect when the heap has doubled) the collector runs many times
// a second under load; at 300 it runs far less often. Higher values buy
// little more speed but let a fan-out to many endpoints, whose live heap is
// larger, grow the process past the peak RSS target of docs/BENCHMARKS.md.
const serveGCPercent = 300

// serveMemoryLimit is the server's soft memory limit unless GOMEMLIMIT is
// set: with GOGC at 300, a burst of large replies (file downloads) would
// otherwise let the heap grow to four times what they hold before the
// collector runs; near the limit it collects sooner instead.
const serveMemoryLimit = 128 << 20

func runServe(ctx context.Context, env *Env, args []string) error {
	fs, cfg := serveFlags(env)
	if _, err := fs.parse(args); err != nil {
		return err
	}
	logger, flushLog, err := newLogger(env, cfg.logFormat)
	if err != nil {
		return err
	}
	defer flushLog()
	if env.Getenv("GOGC") == "" {
		// Put back when serve returns: tests run it many times in one process.
		defer debug.SetGCPercent(debug.SetGCPercent(serveGCPercent))
	}
	if env.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(serveMemoryLimit))
	}
	proxies, err := store.ParseAllowedIPs(cfg.trustedProxies)
	if err != nil {
		return usagef("-trusted-proxies: %v", err)
	}
	allow, err := notify.ParseAllowlist(cfg.allowWebhookNets)
	if err != nil {
		return usagef("%v", err)
	}
	if cfg.retention < time.Hour {
		return usagef("-delivery-retention %s is too short: at least 1h", cfg.retention)
	}

	checkpoint, err := store.ParseCheckpointMode(cfg.checkpoint)
	if err != nil {
		return usagef("%v", err)
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	// The instance name survives restarts, so a restarted server is known
	// to have ended its earlier run (see store.Options.Instance). The
	// address it listens on, not the one asked for: two servers on port 0
	// are two instances.
	host, _ := os.Hostname()
	st, err := store.Open(cfg.db, store.Options{Checkpoint: checkpoint, Instance: host + " " + ln.Addr().String(),
		KeyFile: env.Getenv(keyFileEnv)})
	if err != nil {
		return err
	}
	defer st.Close()

	baseURL := cfg.baseURL
	if baseURL == "" {
		baseURL = "http://" + ln.Addr().String()
	}
	baseURL = strings.TrimRight(baseURL, "/")

	first, created, err := st.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if created {
		printFirstRun(env, first, baseURL)
	}

	notifier, err := notify.New(notify.Options{
		Store: st, Logger: logger, Version: Version, Allow: allow, DeliveryWait: cfg.deliveryWait,
		Retention: cfg.retention,
	})
	if err != nil {
		return err
	}
	notifier.Start()

	app := handlers.New(handlers.Deps{
		Store:    st,
		Notifier: notifier,
		Logger:   logger,
		Config: handlers.Config{
			BaseURL:         baseURL,
			MaxBodyBytes:    cfg.maxBodyBytes,
			MaxFileBytes:    cfg.maxFileBytes,
			TrustedProxies:  proxies,
			CheckWebhookURL: allow.CheckURL,
			Version:         Version,
		},
	})
	defer app.Close()
	srv := &http.Server{
		Handler:           app.Routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    handlers.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("hookboard listening", "addr", ln.Addr().String(), "db", st.Path(), "version", Version, "base_url", baseURL, "checkpoint", cfg.checkpoint)
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}

	select {
	case err := <-serveErr:
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.shutdownTimeout)
		notifier.Stop(stopCtx)
		cancel()
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("shutdown did not finish in time", "err", err)
	}
	// Requests are done; let their deliveries and the worker's finish
	// within the same bound. What is cut off stays pending in the database.
	if err := notifier.Stop(shutdownCtx); err != nil {
		logger.Warn("webhook deliveries cut off at shutdown; they are retried at the next start", "err", err)
	}
	return nil
}

// printFirstRun shows the generated admin password and the incoming URL once.
func printFirstRun(env *Env, f store.FirstRun, baseURL string) {
	w := env.Stdout
	fmt.Fprintln(w, "Hookboard is set up. This is shown only once; keep it safe.")
	fmt.Fprintf(w, "  admin login:    %s/login\n", baseURL)
	fmt.Fprintf(w, "  username:       %s\n", f.AdminUsername)
	fmt.Fprintf(w, "  password:       %s\n", f.AdminPassword)
	fmt.Fprintln(w, "  create a task:")
	fmt.Fprintf(w, "    %s\n", handlers.IncomingCurl(baseURL, f.IncomingToken))
}
