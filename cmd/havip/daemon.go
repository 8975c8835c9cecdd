package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/havip/havip/config"
	"github.com/havip/havip/internal/atomicfile"
	"github.com/havip/havip/runtime/control"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/firewall"
	"github.com/havip/havip/runtime/kadump"
	"github.com/havip/havip/runtime/lvs"
	"github.com/havip/havip/runtime/observe"
	"github.com/havip/havip/runtime/sdnotify"
	"github.com/havip/havip/runtime/supervisor"
)

// The signals keepalived 2.2.7 gives a meaning to, by number (its --signum).
const (
	sigReload     = syscall.SIGHUP
	sigStop       = syscall.SIGTERM
	sigData       = syscall.SIGUSR1
	sigStats      = syscall.SIGUSR2
	sigJSON       = syscall.Signal(36) // SIGRTMIN+2 (glibc's SIGRTMIN is 34)
	sigStatsClear = syscall.Signal(63) // SIGRTMAX-1
)

// stopSignals end the process the way SIGTERM does: the instances are
// released first. They are the signals that, sent by kill, end a Go program
// that does not catch them (HUP, which reloads, aside): caught, none of them
// leaves a VIP behind. A real fault (SIGSEGV from a bad pointer) is not
// sent by kill and still crashes the program.
var stopSignals = []os.Signal{
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGILL, syscall.SIGTRAP,
	syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGSTKFLT, syscall.SIGSYS,
}

// caughtSignals are every signal a daemon handles: stop signals, keepalived's
// reload, dump and clear signals, and SIGPIPE, ignored so that a closed
// stderr pipe does not end the process.
func caughtSignals() []os.Signal {
	return append([]os.Signal{sigReload, sigData, sigStats, sigJSON, sigStatsClear, syscall.SIGPIPE}, stopSignals...)
}

// reservedSignals are the signals Go's runtime leaves at their default
// action, which ends the process, and which os/signal cannot catch: 32
// (glibc's SIGCANCEL) and 34 (musl's SIGSYNCCALL, glibc's SIGRTMIN).
// keepalived gives them no meaning; ignoreReserved ignores them.
var reservedSignals = []syscall.Signal{32, 34}

// kernelSigaction is the kernel's struct sigaction on 64-bit Linux, as
// far as ignoring a signal needs it: the handler first, the rest zero.
type kernelSigaction struct {
	handler, flags, restorer, mask uint64
}

// sigIgn is SIG_IGN.
const sigIgn = 1

// ignoreReserved sets the reservedSignals to be ignored, so that none of
// them can end the process without its instances released.
func ignoreReserved() error {
	act := kernelSigaction{handler: sigIgn}
	for _, sig := range reservedSignals {
		_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
		if errno != 0 {
			return fmt.Errorf("ignoring signal %d: %w", int(sig), errno)
		}
	}
	return nil
}

// daemonFlags are the options run, supervise and keepalived mode share; new
// process-level options (an HTTP listener…) are added here once for all.
type daemonFlags struct {
	pidFiles                          []string
	logFormat, logLevel, statusSocket string
	dumpDir                           string
	httpListen                        string
	// heartbeatBound is how old the event loop's heartbeat may be before
	// /healthz fails (a duration; parsed when the endpoint starts).
	heartbeatBound string
	// vrrpAcceptChain is a host firewall chain to accept VRRP in while running.
	vrrpAcceptChain string
}

// addDaemonFlags registers the shared options; each has an environment
// variable, which the flag overrides.
func addDaemonFlags(fs *pflag.FlagSet, environ map[string]string, f *daemonFlags) {
	fs.StringArrayVar(&f.pidFiles, "pid-file", nil, "write the process id to `FILE` while running (repeatable)")
	envDefault(fs, environ, &f.statusSocket, "status-socket", "", "HAVIP_STATUS_SOCKET", control.DefaultSocket, "serve 'havip status' on this unix socket `PATH`; \"\" for none")
	envDefault(fs, environ, &f.logFormat, "log-format", "", "HAVIP_LOG_FORMAT", "text", "log `FORMAT`: text or json")
	envDefault(fs, environ, &f.logLevel, "log-level", "", "HAVIP_LOG_LEVEL", "info", "log `LEVEL`: debug, info, warn or error")
	envDefault(fs, environ, &f.dumpDir, "dump-dir", "", "HAVIP_DUMP_DIR", kadump.DefaultDir,
		"`DIR` of the state dumps SIGUSR1 (keepalived.data, keepalived_check.data), SIGUSR2 (keepalived.stats) and SIGRTMIN+2 (keepalived.json) write")
	envDefault(fs, environ, &f.httpListen, "http-listen", "", httpListenEnv, "", httpListenUsage)
	envDefault(fs, environ, &f.heartbeatBound, "healthz-heartbeat-bound", "", heartbeatBoundEnv, observe.DefaultHeartbeatBound.String(), heartbeatBoundUsage)
	envDefault(fs, environ, &f.vrrpAcceptChain, "vrrp-accept-chain", "", "HAVIP_VRRP_ACCEPT_CHAIN", "",
		"accept VRRP at the head of this `CHAIN` of the host's firewall while running (\"INPUT\": iptables' filter INPUT; or \"inet filter input\")")
}

// daemon is one running havip process: its signals, pid files, systemd
// notifications and state dumps around a supervisor.
type daemon struct {
	name    string // for messages: "havip run", "keepalived"
	flags   daemonFlags
	log     *slog.Logger
	stderr  io.Writer
	signals chan os.Signal
	notify  *sdnotify.Notifier
	engine  atomic.Pointer[engine.Engine]
	config  atomic.Pointer[config.Config]
	// onReady, when set, is called once the first config runs.
	onReady func()
}

// newDaemon catches the signals first — from then on none of them can end
// the process without releasing its instances — then sets up logging and
// the systemd notifier.
func newDaemon(name string, f daemonFlags, environ map[string]string, stderr io.Writer) (*daemon, error) {
	d := &daemon{name: name, flags: f, stderr: stderr, signals: make(chan os.Signal, 32)}
	signal.Notify(d.signals, caughtSignals()...)
	if err := ignoreReserved(); err != nil {
		d.close()
		return nil, err
	}
	var err error
	if d.log, err = newLogger(stderr, f.logFormat, f.logLevel); err != nil {
		d.close()
		return nil, usageError{err}
	}
	if d.notify, err = sdnotify.New(environ[sdnotify.EnvSocket]); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// close stops catching signals.
func (d *daemon) close() { signal.Stop(d.signals) }

// superviseOptions are what a daemon runs: the config source and the
// supervisor's settings besides its engine, hooks and log.
type superviseOptions struct {
	source    supervisor.Source
	outputDir string
	noWatch   bool
}

// run writes the pid files, runs the supervisor until a stop signal, and
// returns the exit code; badConfig is the code for a first config that
// cannot run.
func (d *daemon) run(o superviseOptions, badConfig int) int {
	defer d.close()
	if err := writePidFiles(d.flags.pidFiles); err != nil {
		fmt.Fprintf(d.stderr, "%s: %v\n", d.name, err)
		return 1
	}
	defer removePidFiles(d.flags.pidFiles, d.log)
	var accept []firewall.Chain
	if d.flags.vrrpAcceptChain != "" {
		chain, err := firewall.ParseChain(d.flags.vrrpAcceptChain)
		if err != nil {
			fmt.Fprintf(d.stderr, "%s: --vrrp-accept-chain (or HAVIP_VRRP_ACCEPT_CHAIN): %v\n", d.name, err)
			return 2
		}
		accept = append(accept, chain)
	}

	sup := supervisor.New(supervisor.Options{
		Source: o.source,
		NewEngine: func(cfg *config.Config, log *slog.Logger) (supervisor.Engine, error) {
			// keepalived starts its VRRP and checker processes once the startup script has ended.
			runGlobalScript(log, "startup", &cfg.Global, cfg.Global.StartupScript, cfg.Global.StartupScriptTimeout)
			e, err := engine.New(cfg, log)
			if err != nil {
				return nil, err
			}
			e.AcceptVRRPIn(accept...)
			d.engine.Store(e)
			// cfg's virtual servers run beside the VRRP engine (health checkers,
			// IPVS or nftables pools, notify and quorum scripts, hot reload),
			// and their state is in the engine's snapshots.
			p, err := lvs.NewPair(e, cfg, log)
			if err != nil {
				return nil, err
			}
			e.ReportVirtualServers(func() []engine.VirtualServerStatus { return virtualServerStatus(p.State()) })
			return p, nil
		},
		OutputDir: o.outputDir,
		NoWatch:   o.noWatch,
		Hooks: supervisor.Hooks{
			Running:   d.running,
			Reloading: d.reloading,
			Reloaded:  d.reloaded,
		},
		Log: d.log,
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go d.handleSignals(ctx, sup, stop)
	serveStatus(ctx, d.flags.statusSocket, func() (any, error) {
		e := d.engine.Load()
		if e == nil {
			return nil, errors.New("starting: the first config is not running yet")
		}
		return e.Snapshot()
	}, d.log)
	if err := serveHTTP(ctx, d.flags.httpListen, d.flags.heartbeatBound, engineOf(&d.engine), sup.Stats, d.log); err != nil {
		fmt.Fprintf(d.stderr, "%s: %v\n", d.name, err)
		return 1
	}
	d.log.Info("havip running", "version", version, "source", o.source.String(), "pid", os.Getpid())
	defer trimAfterStartup(d.log).Stop()
	if err := sup.Run(ctx); err != nil {
		if d.engine.Load() == nil {
			fmt.Fprintf(d.stderr, "%s: %v; nothing was started\n", d.name, err)
			return badConfig
		}
		d.log.Error("engine stopped", "err", err)
		d.shutdownScript()
		return 1
	}
	d.log.Info("havip stopped: instances released")
	d.shutdownScript()
	return 0
}

// shutdownScript runs the shutdown_script of the config running last, once
// its instances are released, as keepalived does before it exits.
func (d *daemon) shutdownScript() {
	if cfg := d.config.Load(); cfg != nil {
		runGlobalScript(d.log, "shutdown", &cfg.Global, cfg.Global.ShutdownScript, cfg.Global.ShutdownScriptTimeout)
	}
}

// handleSignals acts on the caught signals until ctx ends; a stop signal
// calls stop once.
func (d *daemon) handleSignals(ctx context.Context, sup *supervisor.Supervisor, stop func()) {
	stopping := false
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-d.signals:
			switch {
			case sig == sigReload:
				d.log.Info("reload requested by signal", "signal", sig.String())
				sup.Reload()
			case sig == sigData || sig == sigStats || sig == sigJSON:
				d.dump(sig)
			case sig == sigStatsClear:
				d.clearStats()
			case sig == syscall.SIGPIPE:
			case !stopping:
				stopping = true
				d.log.Info("stopping: releasing the instances", "signal", sig.String())
				if err := d.notify.Stopping(); err != nil {
					d.log.Warn("telling systemd", "err", err)
				}
				stop()
			}
		}
	}
}

// running is the supervisor's Running hook: once the engine answers, the
// config runs, and systemd hears READY=1.
func (d *daemon) running(cfg *config.Config) {
	d.config.Store(cfg)
	if e := d.engine.Load(); e != nil {
		if _, err := e.Snapshot(); err != nil {
			return // the engine stopped already; Run reports why
		}
	}
	d.ready("running")
	if d.onReady != nil {
		d.onReady()
	}
}

func (d *daemon) reloading() {
	if err := d.notify.Reloading(); err != nil {
		d.log.Warn("telling systemd", "err", err)
	}
}

func (d *daemon) reloaded(cfg *config.Config, err error) {
	status := "running the reloaded config"
	if cfg != nil {
		d.config.Store(cfg)
	} else {
		status = "running; the new config was rejected: " + err.Error()
	}
	d.ready(status)
}

func (d *daemon) ready(status string) {
	if err := d.notify.Ready(status); err != nil {
		d.log.Warn("telling systemd", "err", err)
	}
}

// dump writes the state dump sig asks for, as keepalived would.
func (d *daemon) dump(sig os.Signal) {
	e := d.engine.Load()
	if e == nil {
		d.log.Warn("no state to dump yet: the first config is not running", "signal", sig.String())
		return
	}
	snap, err := e.Snapshot()
	if err != nil {
		d.log.Warn("state dump", "signal", sig.String(), "err", err)
		return
	}
	dump := kadump.Dump{Snapshot: snap, Config: d.config.Load()}
	type file struct {
		name  string
		write func(io.Writer, kadump.Dump) error
	}
	var files []file
	switch sig {
	case sigStats:
		files = []file{{kadump.StatsFile, kadump.WriteStats}}
	case sigJSON:
		files = []file{{kadump.JSONFile, kadump.WriteJSON}}
	default:
		// keepalived's checker process, which runs when the config has
		// virtual servers, writes its own file on the same signal.
		files = []file{{kadump.DataFile, kadump.WriteData}}
		if kadump.HasCheckData(dump.Config) {
			files = append(files, file{kadump.CheckDataFile, kadump.WriteCheckData})
		}
	}
	for _, f := range files {
		err := atomicfile.Write(d.flags.dumpDir, f.name, kadump.Mode, func(w *os.File) error { return f.write(w, dump) })
		if err != nil {
			d.log.Error("state dump", "signal", sig.String(), "file", filepath.Join(d.flags.dumpDir, f.name), "err", err)
			continue
		}
		d.log.Info("state dumped", "signal", sig.String(), "file", filepath.Join(d.flags.dumpDir, f.name))
	}
}

func (d *daemon) clearStats() {
	e := d.engine.Load()
	if e == nil {
		return
	}
	if err := e.ClearStats(); err != nil {
		d.log.Warn("clearing the statistics", "err", err)
		return
	}
	d.log.Info("statistics cleared")
}

// writePidFiles writes this process's id into each file. A file left by a
// process that is gone (a crash), or whose pid now belongs to another
// program, is replaced; one naming a live process of this same executable
// means it is already running, and is an error.
func writePidFiles(files []string) error {
	self := strconv.Itoa(os.Getpid()) + "\n"
	for _, f := range files {
		if pid, ok := runningPid(f); ok {
			return fmt.Errorf("pid file %s: already running as process %d", f, pid)
		}
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
		if err := os.WriteFile(f, []byte(self), 0o644); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
	}
	return nil
}

// runningPid reads a pid file and reports the pid when it is a live process
// running this same executable (not this process).
func runningPid(file string) (int, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return 0, false
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return 0, false
	}
	self, err := os.Executable()
	if err != nil {
		return 0, false
	}
	return pid, strings.TrimSuffix(exe, " (deleted)") == self
}

// removePidFiles removes the pid files that still name this process.
func removePidFiles(files []string, log *slog.Logger) {
	self := strconv.Itoa(os.Getpid())
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || strings.TrimSpace(string(b)) != self {
			continue
		}
		if err := os.Remove(f); err != nil {
			log.Warn("removing the pid file", "err", err)
		}
	}
}

// readyNotifier returns a function that says "running" on the inherited
// descriptor fd (a daemonizing parent waits for it) and closes it.
func readyNotifier(fd string, log *slog.Logger) func() {
	n, err := strconv.Atoi(fd)
	if err != nil || n < 3 {
		log.Warn("ignoring a bad $"+envReadyFD, "value", fd)
		return nil
	}
	return func() {
		f := os.NewFile(uintptr(n), "ready")
		if _, err := f.Write([]byte{1}); err != nil {
			log.Warn("telling the parent the daemon runs", "err", err)
		}
		f.Close()
	}
}

// virtualServerStatus is the LVS half's state as the engine's snapshot
// carries it.
func virtualServerStatus(vss []lvs.VirtualServerState) []engine.VirtualServerStatus {
	out := make([]engine.VirtualServerStatus, 0, len(vss))
	for _, v := range vss {
		st := engine.VirtualServerStatus{Name: v.VirtualServer, Quorum: v.Quorum, SorryServer: v.Sorry}
		var total lvs.Traffic
		perRS := map[netip.AddrPort]lvs.Traffic{}
		for _, s := range v.Services {
			total = total.Add(s.Traffic)
			ss := engine.LVSServiceStatus{Fwmark: s.Key.Fwmark, Protocol: s.Key.Protocol, Traffic: lvsTraffic(s.Traffic), Destinations: []engine.LVSDestinationTraffic{}}
			if s.Key.Fwmark == 0 {
				ss.Address, ss.Port = s.Key.Addr.String(), s.Key.Port
			}
			for _, d := range s.Dests {
				ss.Destinations = append(ss.Destinations, engine.LVSDestinationTraffic{Address: d.Dest.Addr.String(), Port: d.Dest.Port, Traffic: lvsTraffic(d.Traffic)})
				ap := netip.AddrPortFrom(d.Dest.Addr, d.Dest.Port)
				perRS[ap] = perRS[ap].Add(d.Traffic)
			}
			st.Services = append(st.Services, ss)
		}
		if v.Services != nil {
			t := lvsTraffic(total)
			st.Traffic = &t
		}
		for _, r := range v.RealServers {
			rs := engine.RealServerStatus{Address: r.RealServer.String(), Alive: r.Alive, Weight: r.Weight}
			if v.Services != nil {
				t := lvsTraffic(perRS[r.RealServer])
				rs.Traffic = &t
			}
			for _, c := range r.Checkers {
				cs := engine.CheckerStatus{Kind: c.Kind, Up: c.Up, HasRun: c.HasRun, RetryIterations: c.RetryIterations, FailedURL: c.FailedURL, LastFailure: c.LastFailure}
				if c.HasWeight {
					w := c.Weight
					cs.Weight = &w
				}
				rs.Checkers = append(rs.Checkers, cs)
			}
			st.RealServers = append(st.RealServers, rs)
		}
		out = append(out, st)
	}
	return out
}

func lvsTraffic(t lvs.Traffic) engine.LVSTraffic {
	return engine.LVSTraffic{Connections: t.Connections, InPackets: t.InPackets, OutPackets: t.OutPackets, InBytes: t.InBytes, OutBytes: t.OutBytes}
}
