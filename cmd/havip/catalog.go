package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/havip/havip/catalog"
	"github.com/havip/havip/templates"
)

func newCatalogCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "list catalog templates or show a template's questions",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("a subcommand is required")
			}
			return usagef("unknown subcommand %q", args[0])
		},
	}
	cmd.AddCommand(newCatalogListCmd(a), newCatalogShowCmd(a))
	return cmd
}

func newCatalogListCmd(a *app) *cobra.Command {
	var dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--catalog DIR] [--json]",
		Short: "list the catalog's templates and their versions",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return exit(catalogList(dir, asJSON, a.stdout, a.stderr))
		},
	}
	cmd.Flags().StringVar(&dir, "catalog", "", "catalog `DIR` (default: the embedded catalog)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the templates as JSON")
	return cmd
}

func newCatalogShowCmd(a *app) *cobra.Command {
	var dir, version string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show TEMPLATE [--catalog DIR] [--version VERSION] [--json]",
		Short: "show the questions of a template version",
		Args:  exactArgs(1, "one TEMPLATE"),
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(catalogShow(args[0], dir, version, asJSON, a.stdout, a.stderr))
		},
	}
	cmd.Flags().StringVar(&dir, "catalog", "", "catalog `DIR` (default: the embedded catalog)")
	cmd.Flags().StringVar(&version, "version", "", "template `VERSION` (default: the latest)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the template version and its questions as JSON")
	return cmd
}

// catalogTemplate is one template in `catalog list --json`.
type catalogTemplate struct {
	Name        string   `json:"name"`
	Versions    []string `json:"versions"`
	Description string   `json:"description"`
}

func catalogList(dir string, asJSON bool, stdout, stderr io.Writer) int {
	c, err := loadCatalog(dir)
	if err != nil {
		fmt.Fprintf(stderr, "havip catalog list: %v\n", err)
		return 1
	}
	list := make([]catalogTemplate, 0, len(c.Templates))
	for _, t := range c.Templates {
		ct := catalogTemplate{Name: t.Folder, Description: t.Description}
		for _, v := range t.Versions {
			ct.Versions = append(ct.Versions, v.Version)
		}
		list = append(list, ct)
	}
	if asJSON {
		return writeJSON(stdout, stderr, "havip catalog list", list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSIONS\tDESCRIPTION")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, strings.Join(t.Versions, ","), t.Description)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "havip catalog list: %v\n", err)
		return 1
	}
	return 0
}

// catalogVersion is `catalog show --json`: the template version and its questions.
type catalogVersion struct {
	Template    string            `json:"template"`
	Version     string            `json:"version"`
	Description string            `json:"description"`
	Questions   []catalogQuestion `json:"questions"`
}

// catalogQuestion is one question in `catalog show --json`; a password's
// default is masked, as in the table.
type catalogQuestion struct {
	Variable     string            `json:"variable"`
	Env          string            `json:"env,omitempty"`
	Type         string            `json:"type"`
	Options      []string          `json:"options,omitempty"`
	Default      string            `json:"default,omitempty"`
	Required     bool              `json:"required"`
	Label        string            `json:"label"`
	Description  string            `json:"description,omitempty"`
	ShowIf       string            `json:"show_if,omitempty"`
	Subquestions []catalogQuestion `json:"subquestions,omitempty"`
}

// jsonQuestions converts qs for `catalog show --json`.
func jsonQuestions(qs []catalog.Question) []catalogQuestion {
	var out []catalogQuestion
	for _, q := range qs {
		out = append(out, catalogQuestion{
			Variable: q.Variable, Env: q.Env, Type: questionType(q), Options: q.Options,
			Default: shownDefault(q), Required: q.Required, Label: q.Label, Description: q.Description,
			ShowIf: q.ShowIf, Subquestions: jsonQuestions(q.Subquestions),
		})
	}
	return out
}

// questionType is q's type, string when the file leaves it out.
func questionType(q catalog.Question) string {
	if q.Type == "" {
		return catalog.TypeString
	}
	return q.Type
}

// shownDefault is q's default, masked for a password.
func shownDefault(q catalog.Question) string {
	if q.Type == catalog.TypePassword && q.Default != "" {
		return "********"
	}
	return q.Default
}

func catalogShow(name, dir, version string, asJSON bool, stdout, stderr io.Writer) int {
	c, err := loadCatalog(dir)
	if err != nil {
		fmt.Fprintf(stderr, "havip catalog show: %v\n", err)
		return 1
	}
	v, t, err := pickVersion(c, name, version)
	if err != nil {
		fmt.Fprintf(stderr, "havip catalog show: %v\n", err)
		return 1
	}
	desc := firstNonEmpty(v.Description, t.Description)
	if asJSON {
		return writeJSON(stdout, stderr, "havip catalog show", catalogVersion{Template: t.Folder, Version: v.Version, Description: desc, Questions: jsonQuestions(v.Questions)})
	}
	fmt.Fprintf(stdout, "%s version %s: %s\n\n", t.Folder, v.Version, desc)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tENV\tTYPE\tDEFAULT\tREQUIRED\tLABEL")
	var rows func(qs []catalog.Question, indent string)
	rows = func(qs []catalog.Question, indent string) {
		for _, q := range qs {
			typ := questionType(q)
			if q.Type == catalog.TypeEnum {
				typ += "(" + strings.Join(q.Options, "|") + ")"
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", indent, q.Variable, dash(q.Env), typ, dash(shownDefault(q)), yesNo(q.Required), q.Label)
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

// writeJSON prints v as indented JSON.
func writeJSON(stdout, stderr io.Writer, cmd string, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
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
