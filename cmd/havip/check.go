package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
)

// checkFlags are the options of check.
type checkFlags struct {
	file, configID        string
	print, asJSON, strict bool
}

// strictProblems is havip check --strict's exit status for a config with
// any diagnostic: keepalived -t's status for a config it reports problems
// in.
const strictProblems = 5

func newCheckCmd(a *app) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check -f FILE [--strict] [--print | --json]",
		Short: "check a keepalived.conf like keepalived -t",
		Long: "Checks a keepalived.conf like keepalived -t: diagnostics with file:line on stderr; exit 0 when\n" +
			"the config would run, 1 when it has errors, 2 on misuse. What keepalived runs after dropping a\n" +
			"faulty part, havip runs after dropping the same part, with a warning; --strict makes every\n" +
			"warning an error and exits as keepalived -t does: 0 when nothing is reported, 5 otherwise.",
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if f.file == "" {
				return usagef("-f FILE is required")
			}
			if f.print && f.asJSON {
				return usagef("use either --print or --json, not both")
			}
			return exit(runCheck(f, a.stdout, a.stderr))
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.file, "file", "f", "", "keepalived.conf `FILE` to check (required)")
	fs.StringVar(&f.configID, "config-id", "", "config `ID` for @ID lines and ${_INSTANCE} (default: the short host name)")
	fs.BoolVar(&f.print, "print", false, "write the canonical, fully expanded config to stdout")
	fs.BoolVar(&f.asJSON, "json", false, "write the parsed model as JSON to stdout")
	fs.BoolVar(&f.strict, "strict", false, "fail on warnings too: parts keepalived and havip drop, settings havip does not run (exit 5, as keepalived -t)")
	return cmd
}

// runCheck checks f.file; it prints the config (--print, --json) only when
// the file could be read.
func runCheck(f checkFlags, stdout, stderr io.Writer) int {
	cfg, diags := checkConfig(f.file, f.configID)
	if f.strict {
		diags = diags.Strict()
	}
	for _, d := range diags {
		fmt.Fprintln(stderr, d)
	}
	if _, err := os.Stat(f.file); err != nil {
		return 1 // the diagnostics say why; there is nothing to print
	}
	switch {
	case f.print:
		stdout.Write(config.Format(cfg))
	case f.asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cfg); err != nil {
			fmt.Fprintf(stderr, "havip check: encoding %s as JSON: %v\n", f.file, err)
			return 1
		}
	}
	switch {
	case f.strict && len(diags) > 0:
		return strictProblems
	case diags.HasErrors():
		return 1
	}
	return 0
}

// checkConfig loads file and reports everything havip run would do with it:
// the config's own diagnostics, then what the engine would refuse (or, for
// a config with errors already, the routes and rules it could not install)
// and the scripts that cannot run. havip check and keepalived -t share it.
func checkConfig(file, configID string) (*config.Config, config.Diagnostics) {
	cfg, diags := config.Load(file, config.Options{ConfigID: configID, InterfaceExists: interfaceExists})
	if diags.HasErrors() {
		diags = append(diags, engine.CheckRouting(cfg)...)
	} else {
		diags = append(diags, engine.Check(cfg)...)
	}
	return cfg, append(diags, engine.CheckScripts(cfg)...)
}

// interfaceExists reports whether this host has a network interface name.
func interfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}
