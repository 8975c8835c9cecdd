package render

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/havip/havip/catalog"
)

// Setting is one answer as given: the key (a question variable or its env
// name), the value, and where it came from ("answers.txt:3", "env
// VIRTUAL_IP", "--set vrid").
type Setting struct {
	Key, Value, Origin string
}

// ParseAnswersFile reads an answers file. Files named *.yml or *.yaml hold a
// YAML mapping `variable: value` (a list of scalars is joined with commas);
// any other file is Rancher's answers.txt: `KEY=VALUE` lines, blank lines and
// `#` comments skipped, one pair of surrounding quotes around VALUE removed.
// Keys are question variables or their env names. Every malformed line is
// reported with name:line.
func ParseAnswersFile(name string, data []byte) ([]Setting, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".yml", ".yaml":
		return parseYAMLAnswers(name, data)
	}
	return parseKeyValueAnswers(name, data)
}

func parseKeyValueAnswers(name string, data []byte) ([]Setting, error) {
	var out []Setting
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		origin := fmt.Sprintf("%s:%d", name, line)
		key, value, ok := strings.Cut(text, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not KEY=VALUE", origin, text))
			continue
		}
		out = append(out, Setting{Key: key, Value: unquote(strings.TrimSpace(value)), Origin: origin})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("reading %s: %w", name, err))
	}
	return out, errors.Join(errs...)
}

// unquote removes one pair of matching surrounding quotes.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func parseYAMLAnswers(name string, data []byte) ([]Setting, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not YAML: %w", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: expected a mapping of `variable: value`", name, root.Line)
	}
	var out []Setting
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		origin := fmt.Sprintf("%s:%d", name, k.Line)
		switch {
		case k.Kind != yaml.ScalarNode || k.Value == "":
			errs = append(errs, fmt.Errorf("%s: a key must be a variable name", origin))
		case v.Kind == yaml.ScalarNode:
			out = append(out, Setting{Key: k.Value, Value: v.Value, Origin: origin})
		case v.Kind == yaml.SequenceNode:
			items := make([]string, 0, len(v.Content))
			for _, item := range v.Content {
				if item.Kind != yaml.ScalarNode {
					errs = append(errs, fmt.Errorf("%s:%d: %s: list items must be plain values", name, item.Line, k.Value))
					continue
				}
				items = append(items, item.Value)
			}
			out = append(out, Setting{Key: k.Value, Value: strings.Join(items, ","), Origin: origin})
		default:
			errs = append(errs, fmt.Errorf("%s: %s: the value must be a plain value or a list of them", origin, k.Value))
		}
	}
	return out, errors.Join(errs...)
}

// ParseSets reads --set arguments, each KEY=VALUE.
func ParseSets(sets []string) ([]Setting, error) {
	var out []Setting
	var errs []error
	for _, s := range sets {
		key, value, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			errs = append(errs, fmt.Errorf("--set %q: expected KEY=VALUE, KEY a question variable or its env name", s))
			continue
		}
		out = append(out, Setting{Key: key, Value: value, Origin: "--set " + key})
	}
	return out, errors.Join(errs...)
}

// EnvSettings picks the answers of v's questions' env names out of env. A
// variable that is set but empty counts as unset: compose files pass every
// contract variable, empty when its answer is missing, and the question's
// default must then apply.
func EnvSettings(v *catalog.Version, env map[string]string) []Setting {
	answers := v.EnvAnswers(func(name string) (string, bool) {
		value, ok := env[name]
		return value, ok && value != ""
	})
	var out []Setting
	for _, q := range flatten(v.Questions) {
		if value, ok := answers[q.Variable]; ok && q.Env != "" {
			out = append(out, Setting{Key: q.Env, Value: value, Origin: "env " + q.Env})
		}
	}
	return out
}

// flatten lists questions and their subquestions.
func flatten(questions []catalog.Question) []catalog.Question {
	var out []catalog.Question
	for _, q := range questions {
		out = append(out, q)
		out = append(out, flatten(q.Subquestions)...)
	}
	return out
}

// answerLayer is one source of answers. In a file a variable may be
// answered once; repeated --set flags override each other.
type answerLayer struct {
	settings   []Setting
	repeatable bool
}

// mergeAnswers resolves the keys of each layer's settings (lowest precedence
// first) to question variables and lets later settings win. It returns the
// answers by variable and where each came from. Unknown keys, and a variable
// answered twice in a layer that is not repeatable, are errors.
func mergeAnswers(questions []catalog.Question, layers ...answerLayer) (map[string]string, map[string]string, error) {
	byKey := map[string]string{}
	var variables []string
	for _, q := range flatten(questions) {
		byKey[q.Variable] = q.Variable
		if q.Env != "" {
			byKey[q.Env] = q.Variable
		}
		variables = append(variables, q.Variable)
	}
	sort.Strings(variables)
	answers, origins := map[string]string{}, map[string]string{}
	var errs []error
	for _, layer := range layers {
		seen := map[string]string{}
		for _, s := range layer.settings {
			variable, ok := byKey[s.Key]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown answer %q: the template's questions are %s", s.Origin, s.Key, strings.Join(variables, ", ")))
				continue
			}
			if prev, dup := seen[variable]; dup && !layer.repeatable {
				errs = append(errs, fmt.Errorf("%s: %s is already answered at %s", s.Origin, variable, prev))
				continue
			}
			seen[variable] = s.Origin
			answers[variable], origins[variable] = s.Value, s.Origin
		}
	}
	return answers, origins, errors.Join(errs...)
}

// annotate appends to each joined error that starts with a variable's name
// where that variable's answer came from.
func annotate(err error, origins map[string]string) error {
	var list []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		list = joined.Unwrap()
	} else {
		list = []error{err}
	}
	vars := make([]string, 0, len(origins))
	for v := range origins {
		vars = append(vars, v)
	}
	// longest first, so that "vrid_offset" is not taken for "vrid"
	slices.SortFunc(vars, func(a, b string) int { return len(b) - len(a) })
	out := make([]error, 0, len(list))
	for _, e := range list {
		msg := e.Error()
		for _, v := range vars {
			if strings.HasPrefix(msg, v+" ") || strings.HasPrefix(msg, v+":") {
				e = fmt.Errorf("%w (answer from %s)", e, origins[v])
				break
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
