package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/observe"
	"github.com/havip/havip/runtime/supervisor"
)

// httpListenEnv sets --http-listen's default.
const httpListenEnv = "HAVIP_HTTP_LISTEN"

// httpListenUsage documents --http-listen.
const httpListenUsage = "serve /metrics, /healthz, /readyz and /status (read-only) on `HOST:PORT`, e.g. :9165; \"\" for none"

// serveHTTP serves the read-only HTTP endpoints on addr until ctx is done; ""
// serves nothing. An address that is not valid or is in use is an error, so
// that the start fails instead of running without its probes.
func serveHTTP(ctx context.Context, addr string, running func() observe.Engine, reloads func() supervisor.Stats, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := observe.Listen(addr)
	if err != nil {
		return fmt.Errorf("--http-listen (or %s): %w", httpListenEnv, err)
	}
	opts := observe.Options{Engine: running, Reloads: reloads, Version: version, Log: log}
	go func() {
		if err := observe.Serve(ctx, ln, opts); err != nil {
			log.Error("the HTTP endpoint stopped", "err", err)
		}
	}()
	log.Info("serving metrics and probes over HTTP", "address", ln.Addr().String())
	return nil
}

// engineOf returns the engine p holds, or nil (no typed nil) while it holds none.
func engineOf(p *atomic.Pointer[engine.Engine]) func() observe.Engine {
	return func() observe.Engine {
		if e := p.Load(); e != nil {
			return e
		}
		return nil
	}
}
