package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
)

// strictProblems is havip check --strict's exit status for a config with
// any diagnostic: keepalived -t's status for a config it reports problems
// in.
const strictProblems = 5

// cmdCheck checks a keepalived.conf like keepalived -t: diagnostics on
// stderr, exit 0 when the config would run, 1 when it has errors, 2 on
// misuse. With --strict every warning is an error and the status is
// keepalived -t's: 0 when nothing is reported, 5 otherwise.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "-f FILE [--strict] [--config-id ID] [--print] [--json]", stderr)
	file := fs.String("f", "", "keepalived.conf to check (required)")
	configID := fs.String("config-id", "", "config id for @ID lines and ${_INSTANCE} (default: short host name)")
	print := fs.Bool("print", false, "write the canonical, fully expanded config to stdout")
	asJSON := fs.Bool("json", false, "write the parsed model as JSON to stdout")
	strict := fs.Bool("strict", false, "fail on warnings too: parts keepalived and havip drop, settings havip does not run (exit 5, as keepalived -t)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "havip check: -f FILE is required and no other arguments are allowed")
		fs.Usage()
		return 2
	}
	if *print && *asJSON {
		fmt.Fprintln(stderr, "havip check: use either --print or --json, not both")
		return 2
	}
	cfg, diags := config.Load(*file, config.Options{
		ConfigID:        *configID,
		InterfaceExists: interfaceExists,
	})
	if diags.HasErrors() {
		diags = append(diags, engine.CheckRouting(cfg)...)
	} else {
		diags = append(diags, engine.Check(cfg)...) // what havip run would refuse
	}
	diags = append(diags, engine.CheckScripts(cfg)...)
	if *strict {
		diags = diags.Strict()
	}
	for _, d := range diags {
		fmt.Fprintln(stderr, d)
	}
	switch {
	case *print:
		stdout.Write(config.Format(cfg))
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cfg); err != nil {
			fmt.Fprintf(stderr, "havip check: encoding %s as JSON: %v\n", *file, err)
			return 1
		}
	}
	switch {
	case *strict && len(diags) > 0:
		return strictProblems
	case diags.HasErrors():
		return 1
	}
	return 0
}

// interfaceExists reports whether this host has a network interface name.
func interfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}
