package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"
)

// templateConfig is config.yml (or template.yml).
type templateConfig struct {
	Name           string            `yaml:"name"`
	Description    string            `yaml:"description"`
	Version        string            `yaml:"version"`
	DefaultVersion string            `yaml:"defaultVersion"`
	Category       string            `yaml:"category"`
	Maintainer     string            `yaml:"maintainer"`
	License        string            `yaml:"license"`
	ProjectURL     string            `yaml:"projectURL"`
	Labels         map[string]string `yaml:"labels"`
}

// catalogBlock is the `.catalog` block of rancher-compose.yml.
type catalogBlock struct {
	Name                  string      `yaml:"name"`
	Version               string      `yaml:"version"`
	Description           string      `yaml:"description"`
	UUID                  string      `yaml:"uuid"`
	MinimumRancherVersion string      `yaml:"minimum_rancher_version"`
	MaximumRancherVersion string      `yaml:"maximum_rancher_version"`
	UpgradeFrom           string      `yaml:"upgrade_from"`
	Questions             []yaml.Node `yaml:"questions"`
}

// questionYAML is one question as written in YAML; unknown keys are refused so that a typo
// such as `requried: true` does not silently drop a rule.
type questionYAML struct {
	Variable          string         `yaml:"variable"`
	Label             string         `yaml:"label"`
	Description       string         `yaml:"description"`
	Type              string         `yaml:"type"`
	Required          bool           `yaml:"required"`
	Default           string         `yaml:"default"`
	Group             string         `yaml:"group"`
	Min               *int64         `yaml:"min"`
	Max               *int64         `yaml:"max"`
	MinLength         *int           `yaml:"min_length"`
	MaxLength         *int           `yaml:"max_length"`
	Options           []string       `yaml:"options"`
	ValidChars        string         `yaml:"valid_chars"`
	InvalidChars      string         `yaml:"invalid_chars"`
	ShowIf            string         `yaml:"show_if"`
	ShowSubquestionIf string         `yaml:"show_subquestion_if"`
	Subquestions      []questionYAML `yaml:"subquestions"`
	Satisfies         string         `yaml:"satisfies"`
	Env               string         `yaml:"env"`
}

// question converts the YAML form; an empty type means string, as in Rancher.
func (y *questionYAML) question() Question {
	q := Question{
		Variable: y.Variable, Label: y.Label, Description: y.Description, Type: y.Type,
		Required: y.Required, Default: y.Default, Group: y.Group, Min: y.Min, Max: y.Max,
		MinLength: y.MinLength, MaxLength: y.MaxLength, Options: y.Options,
		ValidChars: y.ValidChars, InvalidChars: y.InvalidChars, ShowIf: y.ShowIf,
		ShowSubquestionIf: y.ShowSubquestionIf, Env: y.Env,
	}
	if q.Type == "" {
		q.Type = TypeString
	}
	for i := range y.Subquestions {
		q.Subquestions = append(q.Subquestions, y.Subquestions[i].question())
	}
	return q
}

// questionsFile is a Rancher 2 questions.yml; only `questions` is used.
type questionsFile struct {
	Questions []yaml.Node `yaml:"questions"`
}

// readTemplateConfig fills t from config.yml or template.yml in folder.
func readTemplateConfig(fsys fs.FS, folder string, t *Template) error {
	var name string
	var data []byte
	for _, candidate := range []string{"config.yml", "template.yml"} {
		b, err := fs.ReadFile(fsys, path.Join(folder, candidate))
		if err == nil {
			name, data = path.Join(folder, candidate), b
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", path.Join(folder, candidate), err)
		}
	}
	if name == "" {
		return fmt.Errorf("%s: not a template folder: it needs a config.yml (or template.yml) with name, description, version, category", folder)
	}
	var cfg templateConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if strings.TrimSpace(cfg.Name) == "" {
		return fmt.Errorf("%s: name is empty: give the template a display name", name)
	}
	t.Name, t.Description, t.Category = cfg.Name, cfg.Description, cfg.Category
	t.Maintainer, t.License, t.ProjectURL, t.Labels = cfg.Maintainer, cfg.License, cfg.ProjectURL, cfg.Labels
	t.DefaultVersion = cfg.Version
	if t.DefaultVersion == "" {
		t.DefaultVersion = cfg.DefaultVersion
	}
	return nil
}

// sourced is a question with the file and line that defined it, for load errors.
type sourced struct {
	q     *Question
	where string // file:line
}

// loadVersion reads version folder tmpl/folder: README.md, rancher-compose.yml's `.catalog`
// block and questions.yml, then checks the question definitions.
func loadVersion(fsys fs.FS, tmpl, folder string) (*Version, error) {
	dir := path.Join(tmpl, folder)
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	v := &Version{Folder: folder, Version: folder, FS: sub}
	if readme, err := fs.ReadFile(sub, "README.md"); err == nil {
		v.Readme = string(readme)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path.Join(dir, "README.md"), err)
	}

	var errs []error
	var origins []sourced // parallel to the questions appended below, by position

	rancherCompose := path.Join(dir, "rancher-compose.yml")
	if data, err := fs.ReadFile(sub, "rancher-compose.yml"); err == nil {
		var doc struct {
			Catalog *catalogBlock `yaml:".catalog"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", rancherCompose, err)
		}
		if doc.Catalog != nil {
			c := doc.Catalog
			if c.Version != "" {
				v.Version = c.Version
			}
			v.Name, v.Description, v.UUID = c.Name, c.Description, c.UUID
			v.MinimumRancherVersion, v.MaximumRancherVersion, v.UpgradeFrom = c.MinimumRancherVersion, c.MaximumRancherVersion, c.UpgradeFrom
			qs, where, err := decodeQuestions(rancherCompose, c.Questions)
			errs = append(errs, err)
			v.Questions = append(v.Questions, qs...)
			origins = append(origins, whereList(where)...)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", rancherCompose, err)
	}

	questionsYML := path.Join(dir, "questions.yml")
	if data, err := fs.ReadFile(sub, "questions.yml"); err == nil {
		var doc questionsFile
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", questionsYML, err)
		}
		qs, where, err := decodeQuestions(questionsYML, doc.Questions)
		errs = append(errs, err)
		v.Questions = append(v.Questions, qs...)
		origins = append(origins, whereList(where)...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", questionsYML, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := range origins {
		origins[i].q = &v.Questions[i]
	}
	if err := checkDefinitions(origins); err != nil {
		return nil, err
	}
	return v, nil
}

// whereList wraps file:line strings as sourced entries whose questions are filled in later,
// once the question slice has stopped growing.
func whereList(where []string) []sourced {
	out := make([]sourced, len(where))
	for i, w := range where {
		out[i] = sourced{where: w}
	}
	return out
}

// decodeQuestions decodes question nodes strictly, returning each question's file:line.
func decodeQuestions(file string, nodes []yaml.Node) ([]Question, []string, error) {
	var qs []Question
	var where []string
	var errs []error
	for i := range nodes {
		n := &nodes[i]
		var y questionYAML
		if err := n.Load(&y, yaml.WithKnownFields()); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: question %d: %w (known keys: variable, label, description, type, required, default, group, min, max, min_length, max_length, options, valid_chars, invalid_chars, show_if, show_subquestion_if, subquestions, satisfies, env)", file, n.Line, i+1, err))
			continue
		}
		qs = append(qs, y.question())
		where = append(where, fmt.Sprintf("%s:%d", file, n.Line))
	}
	return qs, where, errors.Join(errs...)
}

// checkDefinitions validates question definitions: names, types, constraints, defaults,
// show_if references and uniqueness of variables and env names across the version.
func checkDefinitions(qs []sourced) error {
	var errs []error
	vars := map[string]string{} // variable → where
	envs := map[string]string{} // env → variable
	var all []sourced
	for _, s := range qs {
		all = append(all, s)
		for i := range s.q.Subquestions {
			all = append(all, sourced{q: &s.q.Subquestions[i], where: s.where + " (subquestion of " + s.q.Variable + ")"})
		}
	}
	for _, s := range all {
		q := s.q
		errs = append(errs, checkDefinition(s.where, q)...)
		if q.Variable == "" {
			continue
		}
		if other, dup := vars[q.Variable]; dup {
			errs = append(errs, fmt.Errorf("%s: variable %s is already defined at %s: every question needs its own variable", s.where, q.Variable, other))
		} else {
			vars[q.Variable] = s.where
		}
		if q.Env != "" {
			if other, dup := envs[q.Env]; dup {
				errs = append(errs, fmt.Errorf("%s: question %s: env %s already supplies %s: one variable per environment name", s.where, q.Variable, q.Env, other))
			} else {
				envs[q.Env] = q.Variable
			}
		}
	}
	for _, s := range qs {
		for i := range s.q.Subquestions {
			if len(s.q.Subquestions[i].Subquestions) > 0 {
				errs = append(errs, fmt.Errorf("%s: subquestion %s has subquestions: subquestions cannot be nested", s.where, s.q.Subquestions[i].Variable))
			}
		}
	}
	// show_if references must name known variables, without cycles.
	byVar := map[string]*Question{}
	for _, s := range all {
		byVar[s.q.Variable] = s.q
	}
	for _, s := range all {
		conds, err := parseShowIf(s.q.ShowIf)
		if err != nil {
			continue // reported by checkDefinition
		}
		for _, c := range conds {
			if _, ok := byVar[c.Variable]; !ok {
				errs = append(errs, fmt.Errorf("%s: question %s: show_if refers to unknown variable %s (known: %s)", s.where, s.q.Variable, c.Variable, strings.Join(sortedKeys(byVar), ", ")))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if cycle := showIfCycle(all); cycle != "" {
		return fmt.Errorf("show_if conditions form a cycle: %s", cycle)
	}
	return nil
}

// checkDefinition validates one question's own fields.
func checkDefinition(where string, q *Question) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: question %s: %s", where, q.Variable, fmt.Sprintf(format, args...)))
	}
	if !validVariableName(q.Variable) {
		errs = append(errs, fmt.Errorf("%s: variable %q is not a valid name: use letters, digits, _ . - starting with a letter or _", where, q.Variable))
		return errs
	}
	if !knownType(q.Type) {
		fail("unknown type %q: use one of %s", q.Type, strings.Join(questionTypes, ", "))
		return errs
	}
	if q.Type == TypeEnum && len(q.Options) == 0 {
		fail("an enum needs options")
	}
	if q.Type != TypeEnum && len(q.Options) > 0 {
		fail("options are only used by enum questions, and this one is %s", q.Type)
	}
	for i, o := range q.Options {
		if slices.Contains(q.Options[:i], o) {
			fail("option %q is listed twice", o)
		}
		if o == "" {
			fail("an option is empty")
		} else if problem := unsafeText(o); problem != "" {
			fail("option %q %s", o, problem)
		}
	}
	if !hasBounds(q.Type) && (q.Min != nil || q.Max != nil) {
		fail("min/max only apply to int, float and port questions, and this one is %s: use min_length/max_length for text", q.Type)
	}
	if q.Min != nil && q.Max != nil && *q.Min > *q.Max {
		fail("min %d is above max %d", *q.Min, *q.Max)
	}
	if q.MinLength != nil && *q.MinLength < 0 {
		fail("min_length %d is negative", *q.MinLength)
	}
	if q.MaxLength != nil && *q.MaxLength < 0 {
		fail("max_length %d is negative", *q.MaxLength)
	}
	if q.MinLength != nil && q.MaxLength != nil && *q.MinLength > *q.MaxLength {
		fail("min_length %d is above max_length %d", *q.MinLength, *q.MaxLength)
	}
	if _, err := parseShowIf(q.ShowIf); err != nil {
		fail("%v", err)
	}
	if q.ShowSubquestionIf != "" && len(q.Subquestions) == 0 {
		fail("show_subquestion_if is set but there are no subquestions")
	}
	if q.Env != "" && !validEnvName(q.Env) {
		fail("env %q is not an environment variable name: use letters, digits and _ (not starting with a digit)", q.Env)
	}
	if len(errs) == 0 && q.Default != "" {
		if _, problems := checkAnswer(q, q.Default); len(problems) > 0 {
			for _, p := range problems {
				fail("default %s", p)
			}
		}
	}
	return errs
}

// showIfCycle returns a description of a show_if dependency cycle, or "" when there is none.
// A subquestion depends on its parent as well as on its own show_if terms.
func showIfCycle(all []sourced) string {
	deps := map[string][]string{}
	for _, s := range all {
		conds, _ := parseShowIf(s.q.ShowIf)
		for _, c := range conds {
			deps[s.q.Variable] = append(deps[s.q.Variable], c.Variable)
		}
		for _, sub := range s.q.Subquestions {
			deps[sub.Variable] = append(deps[sub.Variable], s.q.Variable)
		}
	}
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(string) string
	visit = func(v string) string {
		switch state[v] {
		case active:
			i := slices.Index(stack, v)
			return strings.Join(append(slices.Clone(stack[i:]), v), " → ")
		case done:
			return ""
		}
		state[v] = active
		stack = append(stack, v)
		for _, d := range deps[v] {
			if c := visit(d); c != "" {
				return c
			}
		}
		stack = stack[:len(stack)-1]
		state[v] = done
		return ""
	}
	for _, s := range all {
		if c := visit(s.q.Variable); c != "" {
			return c
		}
	}
	return ""
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
