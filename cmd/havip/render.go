package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/caarlos0/env/v11"

	"github.com/havip/havip/render"
)

// cmdRender renders a catalog template with answers from the process environment.
func cmdRender(args []string, stdout, stderr io.Writer) int {
	return runRender(args, env.ToMap(os.Environ()), stdout, stderr)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// runRender is cmdRender with the environment given, for tests.
func runRender(args []string, environ map[string]string, stdout, stderr io.Writer) int {
	fs := newFlagSet("render", "TEMPLATE [--catalog DIR] [--version V] [--answers FILE] [--set K=V]... [-o DIR] [--diff FILE]\n\n"+
		"Answers, later winning: question defaults < --answers file < environment (each question's env name,\n"+
		"empty counts as unset) < --set. Keys are question variables or their env names.\n"+
		"Without -o keepalived.conf goes to stdout; with -o DIR, keepalived.conf and docker-compose.yml are\n"+
		"written to DIR atomically. Node facts (host name, interface addresses) come from this host unless\n"+
		"--node-address/--hostname describe another node.", stderr)
	catalogDir := fs.String("catalog", "", "catalog `DIR` (default: the embedded catalog)")
	version := fs.String("version", "", "template `VERSION` (default: the latest)")
	answersFile := fs.String("answers", "", "answers `FILE`: KEY=VALUE lines (answers.txt) or YAML (*.yml, *.yaml)")
	outDir := fs.String("o", "", "write keepalived.conf and docker-compose.yml into `DIR` instead of printing")
	diffFile := fs.String("diff", "", "print a unified diff of the new keepalived.conf against `FILE`")
	probe := fs.String("probe", render.DefaultProbe, "absolute `PATH` of the havip binary native TCP checks run")
	hostname := fs.String("hostname", "", "preview for the node with this host `NAME`")
	var sets, nodeAddrs stringList
	fs.Var(&sets, "set", "answer `KEY=VALUE` (repeatable)")
	fs.Var(&nodeAddrs, "node-address", "preview for the node with this interface `ADDRESS` (repeatable)")
	positional, code := parseInterleaved(fs, args)
	if code >= 0 {
		return code
	}
	if len(positional) != 1 {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "havip render: %v\n", err)
		return 1
	}

	c, err := loadCatalog(*catalogDir)
	if err != nil {
		return fail(err)
	}
	v, t, err := pickVersion(c, positional[0], *version)
	if err != nil {
		return fail(err)
	}
	req := render.Request{
		Template:    t.Folder,
		Version:     v,
		Env:         environ,
		Set:         sets,
		Probe:       *probe,
		WithCompose: *outDir != "",
	}
	if *answersFile != "" {
		data, err := os.ReadFile(*answersFile)
		if err != nil {
			return fail(fmt.Errorf("--answers: %w", err))
		}
		req.AnswersFile, req.Answers = *answersFile, data
	}
	if len(nodeAddrs) > 0 || *hostname != "" {
		facts, err := previewFacts(*hostname, nodeAddrs)
		if err != nil {
			return fail(err)
		}
		req.Facts = render.StaticFacts(facts)
	}
	var old []byte
	if *diffFile != "" {
		if old, err = os.ReadFile(*diffFile); err != nil {
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
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return fail(fmt.Errorf("-o: %w", err))
		}
		if err := render.WriteDir(*outDir, res); err != nil {
			return fail(err)
		}
	}
	switch {
	case *diffFile != "":
		fmt.Fprint(stdout, render.UnifiedDiff(*diffFile, "rendered "+render.ConfigFile, old, res.KeepalivedConf))
	case *outDir == "":
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
