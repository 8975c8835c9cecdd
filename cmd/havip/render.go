package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/spf13/cobra"

	"github.com/havip/havip/render"
)

// renderFlags are the options of render.
type renderFlags struct {
	catalogDir, version, answersFile, outDir, diffFile, probe, hostname string
	sets, nodeAddrs                                                     []string
}

func newRenderCmd(a *app) *cobra.Command {
	var f renderFlags
	cmd := &cobra.Command{
		Use:   "render TEMPLATE [--answers FILE] [--set KEY=VALUE]... [-o DIR | --diff FILE]",
		Short: "render a catalog template into keepalived.conf (and docker-compose.yml)",
		Long: "Renders a catalog template into keepalived.conf (and docker-compose.yml).\n\n" +
			"Answers, later winning: question defaults < --answers file < environment (each question's env name,\n" +
			"empty counts as unset) < --set. Keys are question variables or their env names.\n" +
			"Without -o keepalived.conf goes to stdout; with -o DIR, keepalived.conf and docker-compose.yml are\n" +
			"written to DIR atomically. Node facts (host name, interface addresses) come from this host unless\n" +
			"--node-address/--hostname describe another node.",
		Args: exactArgs(1, "one TEMPLATE"),
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(runRender(args[0], f, a.environ, a.stdout, a.stderr))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.catalogDir, "catalog", "", "catalog `DIR` (default: the embedded catalog)")
	fs.StringVar(&f.version, "version", "", "template `VERSION` (default: the latest)")
	fs.StringVar(&f.answersFile, "answers", "", "answers `FILE`: KEY=VALUE lines (answers.txt) or YAML (*.yml, *.yaml)")
	fs.StringVarP(&f.outDir, "output", "o", "", "write keepalived.conf and docker-compose.yml into `DIR` instead of printing")
	fs.StringVar(&f.diffFile, "diff", "", "print a unified diff of the new keepalived.conf against `FILE`")
	fs.StringVar(&f.probe, "probe", render.DefaultProbe, "absolute `PATH` of the havip binary native TCP checks run")
	fs.StringVar(&f.hostname, "hostname", "", "preview for the node with this host `NAME`")
	fs.StringArrayVar(&f.sets, "set", nil, "answer `KEY=VALUE` (repeatable)")
	fs.StringArrayVar(&f.nodeAddrs, "node-address", nil, "preview for the node with this interface `ADDRESS` (repeatable)")
	return cmd
}

// runRender renders template with f and the environment given.
func runRender(template string, f renderFlags, environ map[string]string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "havip render: %v\n", err)
		return 1
	}

	c, err := loadCatalog(f.catalogDir)
	if err != nil {
		return fail(err)
	}
	v, t, err := pickVersion(c, template, f.version)
	if err != nil {
		return fail(err)
	}
	req := render.Request{
		Template:    t.Folder,
		Version:     v,
		Env:         environ,
		Set:         f.sets,
		Probe:       f.probe,
		WithCompose: f.outDir != "",
	}
	if f.answersFile != "" {
		data, err := os.ReadFile(f.answersFile)
		if err != nil {
			return fail(fmt.Errorf("--answers: %w", err))
		}
		req.AnswersFile, req.Answers = f.answersFile, data
	}
	if len(f.nodeAddrs) > 0 || f.hostname != "" {
		facts, err := previewFacts(f.hostname, f.nodeAddrs)
		if err != nil {
			return fail(err)
		}
		req.Facts = render.StaticFacts(facts)
	}
	var old []byte
	if f.diffFile != "" {
		if old, err = os.ReadFile(f.diffFile); err != nil {
			return fail(fmt.Errorf("--diff: %w", err))
		}
	}

	res, err := render.Render(req)
	if err != nil {
		return fail(err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "havip render: warning: %s\n", w)
	}
	if f.outDir != "" {
		if err := os.MkdirAll(f.outDir, 0o755); err != nil {
			return fail(fmt.Errorf("-o: %w", err))
		}
		if err := render.WriteDir(f.outDir, res); err != nil {
			return fail(err)
		}
	}
	switch {
	case f.diffFile != "":
		fmt.Fprint(stdout, render.UnifiedDiff(f.diffFile, "rendered "+render.ConfigFile, old, res.KeepalivedConf))
	case f.outDir == "":
		if _, err := stdout.Write(res.KeepalivedConf); err != nil {
			return fail(err)
		}
	}
	return 0
}

// previewFacts builds the facts of another node from --hostname and --node-address.
func previewFacts(hostname string, addrs []string) (render.Facts, error) {
	if hostname == "" {
		hostname = "preview"
	}
	f := render.Facts{Hostname: hostname}
	var errs []error
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("--node-address %q: not an IPv4 or IPv6 address", s))
			continue
		}
		f.Addresses = append(f.Addresses, a)
	}
	return f, errors.Join(errs...)
}
