package main

import (
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/supervisor"
)

// keepalivedName is the name (argv[0]'s base name) under which havip takes
// keepalived's command line: a keepalived symlink to the havip binary.
const keepalivedName = "keepalived"

// keepalivedCompat is the keepalived release whose command line, signals,
// dump files and exit codes keepalived mode reproduces.
const keepalivedCompat = "2.2.7"

// keepalived's exit codes, as keepalived 2.2.7 uses them.
const (
	kaExitOK = 0
	// kaExitUsage: an unknown option or a bad option value.
	kaExitUsage = 1
	// kaExitFatal: something the command line asks for that cannot be done.
	kaExitFatal = 3
	// kaExitConfigTest: -t found problems, warnings included.
	kaExitConfigTest = 5
	// kaExitConfigTestSecurity: -t found scripts running without
	// enable_script_security. keepalived also exits with it when its config
	// file is missing at start; keepalived mode does so for any first
	// config that cannot run.
	kaExitConfigTestSecurity = 6
)

// signalFuncs are keepalived's --signum names and their signals.
var signalFuncs = map[string]syscall.Signal{
	"STOP": sigStop, "RELOAD": sigReload, "DATA": sigData, "STATS": sigStats,
	"STATS_CLEAR": sigStatsClear, "JSON": sigJSON,
}

// keepalivedFlags are keepalived's options that keepalived mode acts on.
type keepalivedFlags struct {
	file, configID, configTest, signum, umask string
	dontFork, help, printVersion, check       bool
	dontRelease, genhash                      bool
	namespace                                 string
	pid, vrrpPid                              string
	daemon                                    daemonFlags
}

// ignoredOption is a keepalived option keepalived mode accepts and has no
// use for: it is logged once at start.
type ignoredOption struct{ long, short, why string }

var ignoredOptions = []ignoredOption{
	{"vrrp", "P", "havip runs VRRP and the virtual servers of the config in one process"},
	{"no_bfd", "B", "havip has no BFD"},
	{"all", "", "havip has no child processes"},
	{"log-console", "l", "havip always logs to stderr (the journal under systemd)"},
	{"log-detail", "D", "havip's log lines carry their details"},
	{"no-syslog", "G", "havip logs to stderr, not syslog"},
	{"release-vips", "X", "havip releases the VIPs on every transition out of MASTER"},
	{"dont-release-ipvs", "I", "havip removes the LVS services it made at stop"},
	{"dont-respawn", "R", "havip has no child processes"},
	{"dump-conf", "d", "use havip check -f FILE --print"},
	{"address-monitoring", "a", "havip does not log address changes"},
	{"snmp", "x", "havip has no SNMP subagent"},
	{"core-dump", "m", "not applicable to havip"},
	{"all-config", "e", "a missing config file is always an error in havip"},
}

var ignoredWithValue = []ignoredOption{
	{"log-facility", "S", "havip logs to stderr, not syslog"},
	{"checkers_pid", "c", "havip has no checker process"},
	{"bfd_pid", "b", "havip has no BFD process"},
	{"snmp-agent-socket", "A", "havip has no SNMP subagent"},
	{"core-dump-pattern", "M", "not applicable to havip"},
}

// keepalivedFlagSet builds keepalived's command line with keepalived's
// defaults, plus havip's daemon options (long names only).
func keepalivedFlagSet(environ map[string]string, f *keepalivedFlags) *pflag.FlagSet {
	fs := pflag.NewFlagSet(keepalivedName, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVarP(&f.file, "use-file", "f", "/etc/keepalived/keepalived.conf", "Use the specified configuration `FILE`")
	fs.BoolVarP(&f.check, "check", "C", false, "Only run with Health-checker subsystem (refused: havip runs both in one process)")
	fs.BoolVarP(&f.dontFork, "dont-fork", "n", false, "Don't fork the daemon process")
	fs.BoolVarP(&f.dontRelease, "dont-release-vrrp", "V", false, "Don't remove VRRP VIPs and VROUTEs on daemon stop (refused by havip)")
	fs.StringVarP(&f.umask, "umask", "u", "", "umask for file creation (in numeric form)")
	fs.StringVarP(&f.pid, "pid", "p", "/run/keepalived.pid", "Use specified pidfile for parent process")
	fs.StringVarP(&f.vrrpPid, "vrrp_pid", "r", "/run/vrrp.pid", "Use specified pidfile for VRRP child process")
	fs.BoolVarP(&f.genhash, "genhash", "T", false, "Enter into genhash utility mode (first option; the rest is genhash's)")
	fs.StringVarP(&f.namespace, "namespace", "s", "", "Run in network namespace NAME (not available in havip)")
	fs.StringVarP(&f.configID, "config-id", "i", "", "Skip any configuration lines beginning '@' that don't match `id`")
	fs.StringVar(&f.signum, "signum", "", "Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON")
	fs.StringVarP(&f.configTest, "config-test", "t", "", "Check the configuration for obvious errors, output to stderr by default (or `LOG_FILE`)")
	fs.Lookup("config-test").NoOptDefVal = "-"
	fs.BoolVarP(&f.printVersion, "version", "v", false, "Display the version number")
	fs.BoolVarP(&f.help, "help", "h", false, "Display this help message")
	for _, o := range ignoredOptions {
		fs.BoolP(o.long, o.short, false, "accepted; "+o.why)
	}
	for _, o := range ignoredWithValue {
		fs.StringP(o.long, o.short, "", "accepted; "+o.why)
	}
	addDaemonFlags(fs, environ, &f.daemon)
	return fs
}

// runKeepalived runs havip with keepalived's command line.
func runKeepalived(args []string, environ map[string]string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-T" || args[0] == "--genhash") {
		// genhash utility mode: the rest is genhash's command line, as keepalived reads it.
		return execute(append([]string{"genhash"}, args[1:]...), environ, stdout, stderr)
	}
	var f keepalivedFlags
	fs := keepalivedFlagSet(environ, &f)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "keepalived: %v\n\n", err)
		keepalivedUsage(stderr, fs)
		return kaExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "keepalived: unexpected argument %q\n\n", fs.Arg(0))
		keepalivedUsage(stderr, fs)
		return kaExitUsage
	}
	switch {
	case f.help:
		keepalivedUsage(stderr, fs)
		return kaExitOK
	case f.printVersion:
		fmt.Fprintf(stderr, "Keepalived v%s (havip %s)\n\nhavip %s, a keepalived %s compatible VRRP daemon\n", keepalivedCompat, version, version, keepalivedCompat)
		return kaExitOK
	case fs.Changed("signum"):
		sig, ok := signalFuncs[f.signum]
		if !ok {
			fmt.Fprintf(stderr, "Unknown sigfunc %s\n", f.signum)
			return kaExitUsage
		}
		fmt.Fprintln(stdout, int(sig))
		return kaExitOK
	case f.genhash:
		fmt.Fprintln(stderr, "keepalived: -T/--genhash must come first: keepalived -T -s ADDRESS -u PATH ... (or havip genhash)")
		return kaExitFatal
	case f.check:
		fmt.Fprintln(stderr, "keepalived: -C/--check: havip runs VRRP and the real-server checkers in one process and cannot run the checkers alone; run one keepalived without -C")
		return kaExitFatal
	case f.dontRelease:
		fmt.Fprintln(stderr, "keepalived: -V/--dont-release-vrrp: havip always removes its VIPs at stop, so that no other node ever sees a duplicate address")
		return kaExitFatal
	case f.namespace != "":
		fmt.Fprintf(stderr, "keepalived: -s/--namespace %s: havip cannot switch network namespaces; run it inside the namespace (ip netns exec %s keepalived ...)\n", f.namespace, f.namespace)
		return kaExitFatal
	case fs.Changed("config-test"):
		return keepalivedConfigTest(f, stderr)
	}
	if f.umask != "" {
		mask, err := strconv.ParseUint(f.umask, 0, 32)
		if err != nil || mask > 0o777 {
			fmt.Fprintf(stderr, "keepalived: -u/--umask %q: want a numeric mask such as 022 or 0077\n", f.umask)
			return kaExitUsage
		}
		syscall.Umask(int(mask))
	}
	if !f.dontFork {
		return daemonize(args, stderr)
	}
	logOut := stderr
	readyFD := environ[envReadyFD]
	if readyFD != "" {
		os.Unsetenv(envReadyFD) // not for the scripts it runs
		// A daemon has no terminal: it logs to syslog, as keepalived does.
		if w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, keepalivedName); err == nil {
			defer w.Close()
			logOut = w
		}
	}
	// A first config with errors: keepalived-style lines, keepalived's exit
	// code, and nothing started (no pid file written).
	if _, diags := config.Load(f.file, config.Options{ConfigID: f.configID}); diags.HasErrors() {
		for _, d := range diags {
			if d.Severity == config.Error {
				printDiagnostic(logOut, d)
			}
		}
		fmt.Fprintf(logOut, "keepalived: %s has errors; nothing was started\n", f.file)
		return kaExitConfigTestSecurity
	}
	f.daemon.pidFiles = append(f.daemon.pidFiles, f.pid, f.vrrpPid)
	d, err := newDaemon(keepalivedName, f.daemon, environ, logOut)
	if err != nil {
		fmt.Fprintf(stderr, "keepalived: %v\n", err)
		return kaExitUsage
	}
	for _, o := range append(slices.Clone(ignoredOptions), ignoredWithValue...) {
		if fs.Changed(o.long) {
			d.log.Info("option accepted and ignored", "option", "--"+o.long, "why", o.why)
		}
	}
	if readyFD != "" {
		d.onReady = readyNotifier(readyFD, d.log)
	}
	oneProcessor()
	smallHeap()
	src := supervisor.File{Path: f.file, Options: config.Options{ConfigID: f.configID}}
	return d.run(superviseOptions{source: src, noWatch: true}, kaExitConfigTestSecurity)
}

// keepalivedUsage prints keepalived's usage line and options.
func keepalivedUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: keepalived [OPTION...]\n%s", fs.FlagUsages())
}

// securityViolation is the part of havip's config warning that keepalived
// reports as a script security violation (-t exit code 6).
const securityViolation = "enable_script_security is not set"

// keepalivedConfigTest is -t: the config's problems on stderr (or in the
// -t=LOG_FILE), keepalived-style, and keepalived's exit code: 0 clean, 6
// when scripts would run without enable_script_security (whatever else is
// wrong, as keepalived 2.2.7), else 5 for any problem, warnings included. keepalived 2.2.7 exits 0
// when the file is missing; keepalived mode reports it and exits 5.
func keepalivedConfigTest(f keepalivedFlags, stderr io.Writer) int {
	out := stderr
	if f.configTest != "-" {
		log, err := os.OpenFile(f.configTest, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "keepalived: -t %s: %v\n", f.configTest, err)
			return kaExitUsage
		}
		defer log.Close()
		out = log
	}
	_, diags := checkConfig(f.file, f.configID)
	security, other := false, false
	for _, d := range diags {
		if strings.Contains(d.Msg, securityViolation) {
			security = true // reported last, as keepalived does
			continue
		}
		other = true
		printDiagnostic(out, d)
	}
	if security {
		fmt.Fprintln(out, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.")
	}
	switch {
	case security:
		return kaExitConfigTestSecurity
	case other:
		return kaExitConfigTest
	}
	return kaExitOK
}

// printDiagnostic prints d as keepalived does: "(FILE: Line N) MESSAGE".
func printDiagnostic(w io.Writer, d config.Diagnostic) {
	switch {
	case d.Pos.Line > 0:
		fmt.Fprintf(w, "(%s: Line %d) %s\n", d.Pos.File, d.Pos.Line, d.Msg)
	case d.Pos.File != "":
		fmt.Fprintf(w, "%s: %s\n", d.Pos.File, d.Msg)
	default:
		fmt.Fprintln(w, d.Msg)
	}
}

// envReadyFD names the descriptor on which a daemonized child says it runs.
const envReadyFD = "HAVIP_READY_FD"

// daemonize runs keepalived mode again as a detached child (its own
// session, no terminal, standard streams on /dev/null) with --dont-fork,
// and exits once the child runs its config — or with the child's exit code
// when it fails first. keepalived itself forks; a Go program cannot, so the
// child is a new execution of the same binary.
func daemonize(args []string, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "keepalived: finding this executable to daemonize: %v\n", err)
		return kaExitFatal
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "keepalived: daemonizing: %v\n", err)
		return kaExitFatal
	}
	defer r.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(stderr, "keepalived: daemonizing: %v\n", err)
		return kaExitFatal
	}
	defer null.Close()
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        append([]string{keepalivedName, "--dont-fork"}, args...),
		Env:         append(os.Environ(), envReadyFD+"=3"),
		Stdin:       null,
		Stdout:      null,
		Stderr:      null,
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		fmt.Fprintf(stderr, "keepalived: daemonizing: %v\n", err)
		return kaExitFatal
	}
	w.Close()
	var b [1]byte
	if n, _ := r.Read(b[:]); n == 1 {
		return kaExitOK // the child runs; it is on its own now
	}
	// The pipe closed without a word: the child ended.
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Fprintf(stderr, "keepalived: the daemon exited with code %d before running its config (run with -n to see why)\n", ee.ExitCode())
		return ee.ExitCode()
	}
	fmt.Fprintf(stderr, "keepalived: the daemon ended before running its config: %v\n", err)
	return kaExitFatal
}
