package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
)

// cmdCheck checks a keepalived.conf like keepalived -t: diagnostics on
// stderr, exit 0 when the config would run, 1 when it has errors, 2 on
// misuse.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "-f FILE [--config-id ID] [--print] [--json]", stderr)
	file := fs.String("f", "", "keepalived.conf to check (required)")
	configID := fs.String("config-id", "", "config id for @ID lines and ${_INSTANCE} (default: short host name)")
	print := fs.Bool("print", false, "write the canonical, fully expanded config to stdout")
	asJSON := fs.Bool("json", false, "write the parsed model as JSON to stdout")
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
	if diags.HasErrors() {
		return 1
	}
	return 0
}

// interfaceExists reports whether this host has a network interface name.
func interfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}
