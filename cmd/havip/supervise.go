package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/caarlos0/env/v11"

	"github.com/havip/havip/config"
	"github.com/havip/havip/render"
	"github.com/havip/havip/runtime/control"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/supervisor"
)

// defaultOutputDir is where supervise writes the running keepalived.conf.
const defaultOutputDir = "/run/havip"

// cmdSupervise runs a keepalived.conf or a catalog template and applies every
// change of its inputs without disturbing what did not change.
func cmdSupervise(args []string, _, stderr io.Writer) int {
	return runSupervise(args, env.ToMap(os.Environ()), stderr)
}

// superviseFlags are the options of supervise; each has an environment
// variable, which the flag overrides.
type superviseFlags struct {
	file, template, version, answers, output, configID, logFormat, logLevel, statusSocket string
	httpListen                                                                            string
}

// parseSupervise parses the flags of supervise with defaults from environ;
// -1 means "continue", else the exit code.
func parseSupervise(args []string, environ map[string]string, stderr io.Writer) (superviseFlags, int) {
	fs := newFlagSet("supervise", "-f FILE | --template NAME [--version V] [--answers FILE] [--output DIR] [--config-id ID]\n"+
		"                 [--log-format text|json] [--log-level LEVEL]\n\n"+
		"Runs the config and reloads it when its input changes (the file's directory is watched, Kubernetes\n"+
		"ConfigMap updates included) or on SIGHUP: only changed instances are touched, and a config that\n"+
		"does not render or validate is logged and leaves the running one running. SIGTERM/SIGINT release\n"+
		"the VIPs and exit. A template's answers come from --answers and from its env names, as in render.\n"+
		"Every option can also be set with the environment variable in brackets; the option wins.", stderr)
	var f superviseFlags
	str := func(p *string, name, envName, def, usage string) {
		if v := environ[envName]; v != "" {
			def = v
		}
		fs.StringVar(p, name, def, usage+" ["+envName+"]")
	}
	str(&f.file, "f", "HAVIP_CONFIG", "", "keepalived.conf `FILE` to run")
	str(&f.template, "template", "HAVIP_TEMPLATE", "", "catalog template `NAME` to render and run")
	str(&f.version, "version", "HAVIP_VERSION", "", "template `VERSION` (default: the latest)")
	str(&f.answers, "answers", "HAVIP_ANSWERS", "", "answers `FILE` of the template (answers.txt or YAML), watched")
	str(&f.output, "output", "HAVIP_OUTPUT_DIR", defaultOutputDir, "write the running keepalived.conf into `DIR`")
	str(&f.configID, "config-id", "HAVIP_CONFIG_ID", "", "config id for @ID lines of -f (default: the short host name)")
	str(&f.statusSocket, "status-socket", "HAVIP_STATUS_SOCKET", control.DefaultSocket, "serve `havip status` on this unix socket; \"\" for none")
	str(&f.logFormat, "log-format", "HAVIP_LOG_FORMAT", "text", "log format: text or json")
	str(&f.logLevel, "log-level", "HAVIP_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	str(&f.httpListen, "http-listen", httpListenEnv, "", httpListenUsage)
	if code := parseFlags(fs, args); code >= 0 {
		return f, code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "havip supervise: unexpected argument %q\n", fs.Arg(0))
		return f, 2
	}
	// An input named on the command line replaces one from the environment
	// (the image's compose contract sets HAVIP_TEMPLATE).
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["f"] && !set["template"] {
		f.template = ""
		if !set["version"] {
			f.version = ""
		}
		if !set["answers"] {
			f.answers = ""
		}
	}
	if set["template"] && !set["f"] {
		f.file = ""
	}
	if (f.file == "") == (f.template == "") {
		fmt.Fprintln(stderr, "havip supervise: give either -f FILE or --template NAME (or HAVIP_CONFIG / HAVIP_TEMPLATE)")
		return f, 2
	}
	if f.file != "" && (f.version != "" || f.answers != "") {
		fmt.Fprintln(stderr, "havip supervise: --version and --answers go with --template, not -f")
		return f, 2
	}
	return f, -1
}

// runSupervise is cmdSupervise with the environment given, for tests.
func runSupervise(args []string, environ map[string]string, stderr io.Writer) int {
	f, code := parseSupervise(args, environ, stderr)
	if code >= 0 {
		return code
	}
	oneProcessor()
	smallHeap()
	log, err := newLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "havip supervise: %v\n", err)
		return 2
	}
	src, err := superviseSource(f, environ)
	if err != nil {
		fmt.Fprintf(stderr, "havip supervise: %v\n", err)
		return 1
	}
	var running atomic.Pointer[engine.Engine]
	sup := supervisor.New(supervisor.Options{
		Source: src,
		NewEngine: func(cfg *config.Config, log *slog.Logger) (supervisor.Engine, error) {
			e, err := engine.New(cfg, log)
			if err == nil {
				running.Store(e)
			}
			return e, err
		},
		OutputDir: f.output,
		Log:       log,
	})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				sup.Reload()
			case <-ctx.Done():
				return
			}
		}
	}()

	serveStatus(ctx, f.statusSocket, func() (any, error) {
		e := running.Load()
		if e == nil {
			return nil, errors.New("starting: the first config is not running yet")
		}
		return e.Status()
	}, log)
	if err := serveHTTP(ctx, f.httpListen, engineOf(&running), sup.Stats, log); err != nil {
		fmt.Fprintf(stderr, "havip supervise: %v\n", err)
		return 1
	}
	log.Info("havip running", "version", version)
	defer trimAfterStartup(log).Stop()
	if err := sup.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "havip supervise: %v\n", err)
		return 1
	}
	log.Info("havip stopped: instances released")
	return 0
}

// superviseSource builds the input of supervise from its flags.
func superviseSource(f superviseFlags, environ map[string]string) (supervisor.Source, error) {
	if f.file != "" {
		return supervisor.File{Path: f.file, Options: config.Options{ConfigID: f.configID}}, nil
	}
	c, err := loadCatalog("")
	if err != nil {
		return nil, err
	}
	v, t, err := pickVersion(c, f.template, f.version)
	if err != nil {
		return nil, err
	}
	return supervisor.Template{Request: render.Request{
		Template:    t.Folder,
		Version:     v,
		AnswersFile: f.answers,
		Env:         environ,
	}}, nil
}
