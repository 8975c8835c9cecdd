// Command havip keeps virtual IP addresses alive across hosts: it renders
// keepalived-style configs from a catalog of templates, checks them, and runs
// them with a native, keepalived-compatible VRRP engine. Invoked as
// keepalived (a symlink), it takes keepalived's command line instead.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/caarlos0/env/v11"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	environ := env.ToMap(os.Environ())
	if filepath.Base(os.Args[0]) == keepalivedName {
		os.Exit(runKeepalived(os.Args[1:], environ, os.Stdout, os.Stderr))
	}
	os.Exit(execute(os.Args[1:], environ, os.Stdout, os.Stderr))
}

// app is what every command reads and writes besides its flags.
type app struct {
	environ        map[string]string
	stdout, stderr io.Writer
}

// exitCode is an error that carries the process exit code; the command has
// already said why on stderr.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit code %d", int(c)) }

// exit turns a command's exit code into RunE's result.
func exit(code int) error {
	if code == 0 {
		return nil
	}
	return exitCode(code)
}

// usageError is a misuse of a command: exit code 2, with the command's usage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// usagef reports a misuse of a command.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// execute runs the havip command line args and returns the exit code: 0,
// the command's own code, or 2 on misuse (unknown command or flag, bad
// arguments), after printing what was wrong and the command's usage.
func execute(args []string, environ map[string]string, stdout, stderr io.Writer) int {
	a := &app{environ: environ, stdout: stdout, stderr: stderr}
	root := newRoot(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	}
	// A usageError, or cobra's own: an unknown command or flag.
	fmt.Fprintf(stderr, "%s: %v\n\n", cmd.CommandPath(), err)
	fmt.Fprint(stderr, cmd.UsageString())
	return 2
}

// usageTemplate is cobra's usage with a lower-case "usage:" line first, as
// havip has always printed.
const usageTemplate = `usage: {{if .Runnable}}{{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}{{if .Runnable}}
       {{end}}{{.CommandPath}} COMMAND{{end}}{{if gt (len .Aliases) 0}}

aliases: {{.NameAndAliases}}{{end}}{{if .HasExample}}

examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

options:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

global options:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Run '{{.CommandPath}} COMMAND -h' (or '{{.Root.Name}} help COMMAND') for the options of a command.{{end}}
`

// newRoot builds the havip command tree.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "havip",
		Short: "keep virtual IP addresses alive across hosts with a keepalived-compatible VRRP engine",
		Long: "havip renders keepalived-style configs from a catalog of templates, checks them, and runs them\n" +
			"with a native, keepalived-compatible VRRP engine. Invoked as 'keepalived' (a symlink) it takes\n" +
			"keepalived's command line.",
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("a command is required")
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("havip {{.Version}}\n")
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newCheckCmd(a),
		newRenderCmd(a),
		newCatalogCmd(a),
		newRunCmd(a),
		newSuperviseCmd(a),
		newProbeCmd(a),
		newGenhashCmd(a),
		newStatusCmd(a),
		newVersionCmd(a),
	)
	// Help goes to stderr, with the usage of misuse, as havip has always done.
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		desc := cmd.Long
		if desc == "" {
			desc = cmd.Short
		}
		fmt.Fprintf(a.stderr, "%s\n\n%s", desc, cmd.UsageString())
	})
	return root
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the havip version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(a.stdout, "havip %s\n", version)
			return nil
		},
	}
}

// noArgs rejects positional arguments, naming the first.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// exactArgs wants n positional arguments, described by what.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("want %s, got %d arguments", what, len(args))
		}
		return nil
	}
}

// envDefault registers a string flag whose default comes from the
// environment variable envName when set; the flag wins.
func envDefault(fs *pflag.FlagSet, environ map[string]string, p *string, name, short, envName, def, usage string) {
	if v := environ[envName]; v != "" {
		def = v
	}
	fs.StringVarP(p, name, short, def, usage+" ["+envName+"]")
}
