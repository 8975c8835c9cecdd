package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/footprint"
	"github.com/havip/havip/runtime/supervisor"
)

// runFlags are the options of run.
type runFlags struct {
	file, configID string
	daemon         daemonFlags
}

func newRunCmd(a *app) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [-f FILE] [--config-id ID] [--pid-file FILE]",
		Short: "run the VRRP instances of a keepalived.conf",
		Long: "Runs every vrrp_instance of a keepalived.conf in the foreground, with keepalived's signals:\n" +
			"SIGHUP reloads the file (only changed instances are touched; a config with errors is logged and\n" +
			"the running one keeps running), SIGTERM/SIGINT release the instances (priority-0 adverts, VIPs\n" +
			"removed) and exit, SIGUSR1/SIGUSR2/SIGRTMIN+2 write keepalived.data (and keepalived_check.data with\n" +
			"virtual servers)/.stats/.json into --dump-dir,\n" +
			"signal 63 clears the statistics. With $NOTIFY_SOCKET, systemd hears READY=1, RELOADING=1 and\n" +
			"STOPPING=1.",
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			return exit(runRun(f, a.environ, a.stderr))
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.file, "file", "f", "/etc/keepalived/keepalived.conf", "keepalived.conf `FILE` to run")
	fs.StringVar(&f.configID, "config-id", "", "config `ID` for @ID lines (default: the short host name)")
	addDaemonFlags(fs, a.environ, &f.daemon)
	return cmd
}

// runRun runs f.file until a stop signal.
func runRun(f runFlags, environ map[string]string, stderr io.Writer) int {
	d, err := newDaemon("havip run", f.daemon, environ, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "havip run: %v\n", err)
		return 2
	}
	oneProcessor()
	smallHeap()
	src := supervisor.File{Path: f.file, Options: config.Options{ConfigID: f.configID}}
	return d.run(superviseOptions{source: src, noWatch: true}, 1)
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

// newLogger builds the structured logger of run, supervise and keepalived
// mode. JSON logs give durations in seconds (a float), not slog's
// nanoseconds, so that "advert_int":1 reads as it is configured.
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
		opts.ReplaceAttr = durationSeconds
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}

// durationSeconds logs a duration as its seconds.
func durationSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.Float64Value(a.Value.Duration().Seconds())
	}
	return a
}
