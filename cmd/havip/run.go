package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/control"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/footprint"
	"github.com/havip/havip/runtime/observe"
)

// cmdRun runs every vrrp_instance of a keepalived.conf in the foreground
// until SIGTERM or SIGINT, then releases them (priority-0 adverts, VIPs removed).
func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "-f FILE [--config-id ID] [--pid-file FILE] [--status-socket PATH] [--log-format text|json] [--log-level LEVEL]", stderr)
	file := fs.String("f", "/etc/keepalived/keepalived.conf", "keepalived.conf to run")
	configID := fs.String("config-id", "", "config id for @ID lines (default: the short host name)")
	pidFile := fs.String("pid-file", "", "write the process id to this file while running")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	statusSocket := fs.String("status-socket", control.DefaultSocket, "serve `havip status` on this unix socket; \"\" for none")
	httpListen := httpListenFlag(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	oneProcessor()
	smallHeap()
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "havip run: %v\n", err)
		return 2
	}

	cfg, diags := config.Load(*file, config.Options{ConfigID: *configID})
	for _, d := range diags {
		if d.Severity == config.Error {
			fmt.Fprintln(stderr, d.String())
		} else {
			log.Warn(d.Msg, "pos", d.Pos.String())
		}
	}
	if diags.HasErrors() {
		fmt.Fprintf(stderr, "havip run: %s has errors; nothing was started\n", *file)
		return 1
	}
	eng, err := engine.New(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "havip run: %s: %v\n", *file, err)
		return 1
	}
	if *pidFile != "" {
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			fmt.Fprintf(stderr, "havip run: writing the pid file: %v\n", err)
			return 1
		}
		defer os.Remove(*pidFile)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	serveStatus(ctx, *statusSocket, func() (any, error) { return eng.Status() }, log)
	if err := serveHTTP(ctx, *httpListen, func() observe.Engine { return eng }, nil, log); err != nil {
		fmt.Fprintf(stderr, "havip run: %v\n", err)
		return 1
	}
	log.Info("havip running", "version", version, "config", *file, "instances", len(cfg.Instances))
	defer trimAfterStartup(log).Stop()
	if err := eng.Run(ctx); err != nil {
		log.Error("engine stopped", "err", err)
		return 1
	}
	log.Info("havip stopped: instances released")
	return 0
}

// gcPercent is the GOGC that `run` and `supervise` use unless GOGC is set. The
// live heap is small (1 to 2 MiB for 250 instances) while a master's timers
// and state machines make a little garbage with every advert, so the default
// of 100 lets the heap double between collections: measured with 250
// instances at 100 ms, 50 keeps about 1 MiB less resident at the same CPU.
const gcPercent = 50

// smallHeap sets gcPercent unless GOGC is set.
func smallHeap() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// oneProcessor runs the Go scheduler on one CPU unless GOMAXPROCS is set.
// The engine is one I/O-bound event loop: with more processors, every received
// advert wakes the loop on another CPU, and those wake-ups cost a backup with
// 250 instances at 100 ms a quarter of its CPU (3.6% against 2.7%) for no
// gain; scripts run as separate processes anyway.
func oneProcessor() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}

// startupTrimDelay is how long after start the executable's pages that only
// start-up used are dropped from the resident set.
const startupTrimDelay = 5 * time.Second

// trimAfterStartup schedules footprint.TrimExecutable once start-up (config
// parsing, rendering, the first election) is over.
func trimAfterStartup(log *slog.Logger) *time.Timer {
	return time.AfterFunc(startupTrimDelay, func() {
		n, err := footprint.TrimExecutable()
		if err != nil {
			log.Warn("could not trim the resident set", "err", err)
			return
		}
		log.Debug("dropped start-up pages of the executable from the resident set", "mapped_bytes", n)
	})
}

// newLogger builds the structured logger of `havip run`.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}
