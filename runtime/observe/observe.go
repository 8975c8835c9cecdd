// Package observe is havip's read-only HTTP endpoint: Prometheus metrics
// (/metrics, the keepalived exporters' families and havip's own), liveness
// (/healthz: the event loop turns), readiness (/readyz: every instance holds
// exactly the VIPs its state says) and the status snapshot (/status, the JSON
// of `havip status --json`). Everything is read from the engine's snapshot
// at request time; nothing served changes state, and only GET and HEAD are
// answered.
package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/supervisor"
)

// Defaults of Options.
const (
	// DefaultHeartbeatBound is how old the event loop's last heartbeat may be
	// before /healthz fails: the loop beats every second.
	DefaultHeartbeatBound = 10 * time.Second
	// DefaultQueryTimeout bounds one wait for the event loop.
	DefaultQueryTimeout = 5 * time.Second
)

// Engine is what the endpoints read: *engine.Engine.
type Engine interface {
	SnapshotContext(ctx context.Context) (engine.Snapshot, error)
	Consistency(ctx context.Context) ([]engine.Problem, error)
	LastHeartbeat() time.Time
}

// Options configure the endpoints.
type Options struct {
	// Engine returns the running engine, or nil while none runs yet (a
	// supervisor before its first config).
	Engine func() Engine
	// Reloads returns the supervisor's reload counters; nil without one.
	Reloads func() supervisor.Stats
	// Version is havip's version, for havip_build_info.
	Version string
	// HeartbeatBound and QueryTimeout default to DefaultHeartbeatBound and
	// DefaultQueryTimeout.
	HeartbeatBound, QueryTimeout time.Duration
	Log                          *slog.Logger
}

// Listen validates addr (HOST:PORT with HOST an IP address, "localhost" or
// empty for every address, and PORT 1 to 65535) and listens on it. A port in
// use is an error.
func Listen(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%q is not HOST:PORT (e.g. :9165, 0.0.0.0:9165 or [::1]:9165): %w", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return nil, fmt.Errorf("%q: port %q is not a number from 1 to 65535", addr, port)
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return nil, fmt.Errorf("%q: host %q is not an IP address, localhost or empty (every address)", addr, host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve answers on ln until ctx is done, then closes it.
func Serve(ctx context.Context, ln net.Listener, opts Options) error {
	srv := &http.Server{
		Handler:           Handler(opts),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP on %s: %w", ln.Addr(), err)
	}
	return nil
}

// Handler returns the endpoints.
func Handler(opts Options) http.Handler {
	if opts.HeartbeatBound <= 0 {
		opts.HeartbeatBound = DefaultHeartbeatBound
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = DefaultQueryTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(opts), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p := probes{opts}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{opts.Log}}))
	mux.HandleFunc("/healthz", p.healthz)
	mux.HandleFunc("/readyz", p.readyz)
	mux.HandleFunc("/status", p.status)
	return readOnly(mux)
}

// readOnly refuses every method but GET and HEAD.
func readOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "havip's HTTP endpoints are read-only: use GET or HEAD", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// slogPrinter logs promhttp's errors.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("serving metrics", "err", fmt.Sprint(v...)) }
