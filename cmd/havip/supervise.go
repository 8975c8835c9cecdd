package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/havip/havip/config"
	"github.com/havip/havip/render"
	"github.com/havip/havip/runtime/supervisor"
)

// defaultOutputDir is where supervise writes the running keepalived.conf.
const defaultOutputDir = "/run/havip"

// superviseFlags are the options of supervise; each has an environment
// variable, which the flag overrides.
type superviseFlags struct {
	file, template, version, answers, output, configID string
	daemon                                             daemonFlags
}

func newSuperviseCmd(a *app) *cobra.Command {
	var f superviseFlags
	cmd := &cobra.Command{
		Use:   "supervise (-f FILE | --template NAME [--version VERSION] [--answers FILE]) [--output DIR]",
		Short: "run a keepalived.conf or catalog template and apply every change of it live",
		Long: "Runs the config and reloads it when its input changes (the file's directory is watched, Kubernetes\n" +
			"ConfigMap updates included) or on SIGHUP: only changed instances are touched, and a config that\n" +
			"does not render or validate is logged and leaves the running one running. SIGTERM/SIGINT release\n" +
			"the VIPs and exit; SIGUSR1/SIGUSR2/SIGRTMIN+2 write keepalived.data (and keepalived_check.data with\n" +
			"virtual servers)/.stats/.json into --dump-dir.\n" +
			"A template's answers come from --answers and from its env names, as in render.\n" +
			"Every option can also be set with the environment variable in brackets; the option wins.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.settle(cmd.Flags().Changed); err != nil {
				return err
			}
			return exit(runSupervise(f, a.environ, a.stderr))
		},
	}
	addSuperviseFlags(cmd.Flags(), a.environ, &f)
	return cmd
}

// addSuperviseFlags registers the options of supervise with defaults from environ.
func addSuperviseFlags(fs *pflag.FlagSet, environ map[string]string, f *superviseFlags) {
	envDefault(fs, environ, &f.file, "file", "f", "HAVIP_CONFIG", "", "keepalived.conf `FILE` to run")
	envDefault(fs, environ, &f.template, "template", "", "HAVIP_TEMPLATE", "", "catalog template `NAME` to render and run")
	envDefault(fs, environ, &f.version, "version", "", "HAVIP_VERSION", "", "template `VERSION` (default: the latest)")
	envDefault(fs, environ, &f.answers, "answers", "", "HAVIP_ANSWERS", "", "answers `FILE` of the template (answers.txt or YAML), watched")
	envDefault(fs, environ, &f.output, "output", "", "HAVIP_OUTPUT_DIR", defaultOutputDir, "write the running keepalived.conf into `DIR`")
	envDefault(fs, environ, &f.configID, "config-id", "", "HAVIP_CONFIG_ID", "", "config `ID` for @ID lines of -f (default: the short host name)")
	addDaemonFlags(fs, environ, &f.daemon)
}

// settle resolves the input: one named on the command line replaces one
// from the environment (the image's compose contract sets HAVIP_TEMPLATE),
// and exactly one of file and template must remain.
func (f *superviseFlags) settle(set func(name string) bool) error {
	if set("file") && !set("template") {
		f.template = ""
		if !set("version") {
			f.version = ""
		}
		if !set("answers") {
			f.answers = ""
		}
	}
	if set("template") && !set("file") {
		f.file = ""
	}
	if (f.file == "") == (f.template == "") {
		return usagef("give either -f FILE or --template NAME (or HAVIP_CONFIG / HAVIP_TEMPLATE)")
	}
	if f.file != "" && (f.version != "" || f.answers != "") {
		return usagef("--version and --answers go with --template, not -f")
	}
	return nil
}

// runSupervise runs the input of f until a stop signal.
func runSupervise(f superviseFlags, environ map[string]string, stderr io.Writer) int {
	d, err := newDaemon("havip supervise", f.daemon, environ, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "havip supervise: %v\n", err)
		return 2
	}
	oneProcessor()
	smallHeap()
	src, err := superviseSource(f, environ)
	if err != nil {
		d.close()
		fmt.Fprintf(stderr, "havip supervise: %v\n", err)
		return 1
	}
	return d.run(superviseOptions{source: src, outputDir: f.output}, 1)
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
