package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/havip/havip/catalog"
	"github.com/havip/havip/templates"
)

// cmdCatalog lists the catalog's templates or shows one template version's questions.
func cmdCatalog(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		catalogUsage(stderr)
		return 2
	}
	switch args[0] {
	case "list":
		return catalogList(args[1:], stdout, stderr)
	case "show":
		return catalogShow(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		catalogUsage(stderr)
		return 0
	default:
		fmt.Fprintf(stderr, "havip catalog: unknown subcommand %q\n", args[0])
		catalogUsage(stderr)
		return 2
	}
}

func catalogUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: havip catalog list [--catalog DIR]")
	fmt.Fprintln(w, "       havip catalog show TEMPLATE [--catalog DIR] [--version V]")
}

func catalogList(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("catalog list", "[--catalog DIR]", stderr)
	dir := fs.String("catalog", "", "catalog `DIR` (default: the embedded catalog)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "havip catalog list: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	c, err := loadCatalog(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "havip catalog list: %v\n", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSIONS\tDESCRIPTION")
	for _, t := range c.Templates {
		versions := make([]string, len(t.Versions))
		for i, v := range t.Versions {
			versions[i] = v.Version
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Folder, strings.Join(versions, ","), t.Description)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "havip catalog list: %v\n", err)
		return 1
	}
	return 0
}

func catalogShow(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("catalog show", "TEMPLATE [--catalog DIR] [--version V]", stderr)
	dir := fs.String("catalog", "", "catalog `DIR` (default: the embedded catalog)")
	version := fs.String("version", "", "template `VERSION` (default: the latest)")
	positional, code := parseInterleaved(fs, args)
	if code >= 0 {
		return code
	}
	if len(positional) != 1 {
		fs.Usage()
		return 2
	}
	c, err := loadCatalog(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "havip catalog show: %v\n", err)
		return 1
	}
	v, t, err := pickVersion(c, positional[0], *version)
	if err != nil {
		fmt.Fprintf(stderr, "havip catalog show: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s version %s: %s\n\n", t.Folder, v.Version, firstNonEmpty(v.Description, t.Description))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tENV\tTYPE\tDEFAULT\tREQUIRED\tLABEL")
	var rows func(qs []catalog.Question, indent string)
	rows = func(qs []catalog.Question, indent string) {
		for _, q := range qs {
			typ := q.Type
			if typ == "" {
				typ = catalog.TypeString
			}
			if q.Type == catalog.TypeEnum {
				typ += "(" + strings.Join(q.Options, "|") + ")"
			}
			def := q.Default
			if q.Type == catalog.TypePassword && def != "" {
				def = "********"
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", indent, q.Variable, dash(q.Env), typ, dash(def), yesNo(q.Required), q.Label)
			rows(q.Subquestions, indent+"  ")
		}
	}
	rows(v.Questions, "")
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "havip catalog show: %v\n", err)
		return 1
	}
	return 0
}

// loadCatalog loads the catalog in dir, or the embedded one when dir is "".
func loadCatalog(dir string) (*catalog.Catalog, error) {
	if dir == "" {
		return templates.Catalog()
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--catalog: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("--catalog %s: not a directory", dir)
	}
	c, err := catalog.Load(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", dir, err)
	}
	return c, nil
}

// pickVersion finds the template and its version (the latest when version is "").
func pickVersion(c *catalog.Catalog, name, version string) (*catalog.Version, *catalog.Template, error) {
	t, err := c.Template(name)
	if err != nil {
		return nil, nil, err
	}
	if version == "" {
		return t.Latest(), t, nil
	}
	v, err := t.Version(version)
	if err != nil {
		return nil, nil, fmt.Errorf("--version: %w", err)
	}
	return v, t, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
