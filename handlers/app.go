// Package handlers holds Hookboard's HTTP face: the route table, the incoming
// task webhook, the JSON-RPC API and the browser pages.
package handlers

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"hookboard/store"
)

// Notifier sends the outgoing webhooks; package notify implements it.
type Notifier interface {
	// Deliver sends committed events. It returns when every attempt has
	// ended or the delivery wait has passed.
	Deliver(ctx context.Context, eventIDs []string)
	// SendSample sends the event catalog's sample of an event to one
	// endpoint (the settings' Test button, the catalog's "Send this
	// sample").
	SendSample(ctx context.Context, endpointID int64, name string) (store.Delivery, error)
	// Render is the body an endpoint of the given format gets for ev, and
	// its content type (the catalog's samples).
	Render(format string, ev store.Event) (contentType string, body []byte, err error)
	// Redeliver sends a logged delivery's event again.
	Redeliver(ctx context.Context, deliveryID int64) (store.Delivery, error)
}

// MaxHeaderBytes bounds a request's line and headers. The incoming URL
// takes its parameters from the query string, so this is what bounds a
// GET's title: it leaves room for the longest title (65,535 characters,
// percent-encoded) and a description beside it.
const MaxHeaderBytes = 1 << 20

// Config is the part of the server's configuration the handlers read.
type Config struct {
	// BaseURL is how users reach Hookboard (for curl commands and links).
	BaseURL string
	// MaxBodyBytes bounds request bodies of the incoming URL and the API.
	MaxBodyBytes int64
	// MaxFileBytes bounds one attached file.
	MaxFileBytes int64
	// MaxReplyBytes bounds the encoded replies of one JSON-RPC request;
	// zero is 32 MiB, raised so that one file of MaxFileBytes fits.
	MaxReplyBytes int64
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Version is shown by getVersion and sent in User-Agent.
	Version string
	// CheckWebhookURL refuses an endpoint URL the webhook client would
	// refuse to reach (notify's Allowlist.CheckURL); nil accepts every URL.
	CheckWebhookURL func(rawURL string) error
}

// Deps is everything the handlers need; New takes it explicitly so tests
// can build an App around a temporary database.
type Deps struct {
	Store *store.Store
	// Notifier may be nil: the server then sends no webhooks.
	Notifier Notifier
	Logger   *slog.Logger
	Config   Config
	Now      func() time.Time
}

// App serves Hookboard's HTTP routes.
type App struct {
	store    *store.Store
	notifier Notifier
	log      *slog.Logger
	cfg      Config
	now      func() time.Time
	web      *web // browser sessions and login limits
}

// New builds the App; zero config values get their defaults.
func New(d Deps) *App {
	a := &App{store: d.Store, notifier: d.Notifier, log: d.Logger, cfg: d.Config, now: d.Now}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.cfg.MaxBodyBytes <= 0 {
		a.cfg.MaxBodyBytes = 1 << 20
	}
	if a.cfg.MaxFileBytes <= 0 {
		a.cfg.MaxFileBytes = 10 << 20
	}
	if a.store != nil {
		a.web = newWeb(a.store)
	}
	if a.cfg.BaseURL == "" {
		a.cfg.BaseURL = "http://127.0.0.1:8080"
	}
	return a
}

// deliver hands committed events to the notifier. It runs on a context that
// the caller hanging up does not cancel: the change is committed, so its
// webhooks go out whether or not the caller still listens.
func (a *App) deliver(ctx context.Context, eventIDs []string) {
	if a.notifier == nil || len(eventIDs) == 0 {
		return
	}
	a.notifier.Deliver(context.WithoutCancel(ctx), eventIDs)
}
