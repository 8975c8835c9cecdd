package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/observe"
	"github.com/havip/havip/runtime/supervisor"
)

// httpListenEnv sets --http-listen's default.
const httpListenEnv = "HAVIP_HTTP_LISTEN"

// heartbeatBoundEnv sets --healthz-heartbeat-bound's default.
const heartbeatBoundEnv = "HAVIP_HEALTHZ_HEARTBEAT_BOUND"

// heartbeatBoundUsage documents --healthz-heartbeat-bound.
const heartbeatBoundUsage = "/healthz fails when the event loop's last heartbeat is older than this `DURATION` (it beats every second)"

// minHeartbeatBound is the shortest --healthz-heartbeat-bound: two beats.
const minHeartbeatBound = 2 * time.Second

// httpListenUsage documents --http-listen.
const httpListenUsage = "serve /metrics, /healthz, /readyz and /status (read-only) on `HOST:PORT`, e.g. :9165; \"\" for none"

// serveHTTP serves the read-only HTTP endpoints on addr until ctx is done; ""
// serves nothing. An address that is not valid or is in use is an error, so
// that the start fails instead of running without its probes.
func serveHTTP(ctx context.Context, addr, heartbeatBound string, running func() observe.Engine, reloads func() supervisor.Stats, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	bound, err := time.ParseDuration(heartbeatBound)
	if err != nil || bound < minHeartbeatBound {
		return fmt.Errorf("--healthz-heartbeat-bound (or %s) %q: want a duration of at least %v (the event loop beats every second), e.g. 10s",
			heartbeatBoundEnv, heartbeatBound, minHeartbeatBound)
	}
	ln, err := observe.Listen(addr)
	if err != nil {
		return fmt.Errorf("--http-listen (or %s): %w", httpListenEnv, err)
	}
	opts := observe.Options{Engine: running, Reloads: reloads, Version: version, Log: log, HeartbeatBound: bound}
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
