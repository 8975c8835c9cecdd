// Command havip keeps virtual IP addresses alive across hosts: it renders
// keepalived-style configs from a catalog of templates, checks them, and runs
// them with a native, keepalived-compatible VRRP engine.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one havip subcommand. run gets the arguments after the
// subcommand name and returns the process exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"check":     {"check a keepalived.conf like keepalived -t", cmdCheck},
	"render":    {"render a catalog template into keepalived.conf (and docker-compose.yml)", cmdRender},
	"catalog":   {"list catalog templates or show a template's questions", cmdCatalog},
	"run":       {"run the VRRP instances of a keepalived.conf", cmdRun},
	"supervise": {"run a keepalived.conf or catalog template and apply every change of it live", cmdSupervise},
	"probe":     {"probe a TCP port (the catalogs' native health check)", cmdProbe},
	"status":    {"show the instances of a running havip: state, priority, master, why", cmdStatus},
	"version":   {"print the havip version", cmdVersion},
	"genhash":   {"print the MD5 digest of a URL's body, as keepalived's genhash", cmdGenhash},
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "havip: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: havip COMMAND [options]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'havip COMMAND -h' for the options of a command.")
}

// newFlagSet returns a flag set that reports errors instead of exiting, and
// prints its usage to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: havip %s %s\n\noptions:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps the outcome to an exit code: -1 means
// "continue", anything else is the code to return (0 after -h, 2 on misuse).
func parseFlags(fs *flag.FlagSet, args []string) int {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		return 2
	}
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "", stderr)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	fmt.Fprintf(stdout, "havip %s\n", version)
	return 0
}

// parseInterleaved parses flags that may come before and after positional
// arguments ("render keepalived --version 0"); it returns the positional
// arguments and -1, or the exit code to return.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, int) {
	var positional []string
	for {
		if code := parseFlags(fs, args); code >= 0 {
			return nil, code
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, -1
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
