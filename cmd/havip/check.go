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
	file, configID string
	print, asJSON  bool
}

func newCheckCmd(a *app) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check -f FILE [--print | --json]",
		Short: "check a keepalived.conf like keepalived -t",
		Long: "Checks a keepalived.conf like keepalived -t: diagnostics with file:line on stderr; exit 0 when\n" +
			"the config would run, 1 when it has errors, 2 on misuse.",
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
	return cmd
}

// runCheck checks f.file; it prints the config (--print, --json) only when
// the file could be read.
func runCheck(f checkFlags, stdout, stderr io.Writer) int {
	cfg, diags := config.Load(f.file, config.Options{
		ConfigID:        f.configID,
		InterfaceExists: interfaceExists,
	})
	diags = append(diags, engine.CheckRouting(cfg)...)
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
