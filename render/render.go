// Package render turns a catalog template version and its answers into a
// keepalived.conf (and a ready docker-compose.yml).
//
// Answers come from four layers, later ones winning:
//
//	question defaults < answers file < environment < --set
//
// The answers file is Rancher's answers.txt (KEY=VALUE) or YAML; the
// environment is read only for each question's env name (VIRTUAL_IP, …), and
// an empty variable counts as unset. Keys may be question variables or their
// env names.
//
// The answers are validated and typed by the catalog, then checked again here
// (defence in depth: no answer may hold a newline, a quote, a brace or any
// other keepalived.conf syntax; this applies to multiline answers too, since
// nothing may splice free text into a config). keepalived.conf.tmpl runs with text/template,
// missingkey=error, a restricted sprig set (see removedFuncs) and havip's
// planning helpers (VIP grouping, VRID assignment, deterministic priorities,
// family split). A template error fails the render; the output is parsed and
// validated by package config before anything is returned, and the same
// inputs always give the same bytes. WriteDir writes a result atomically.
//
// Limits are errors, never silent truncation: a VRID past 255 (the error
// says how many groups fit), more than 255 IPv4 or 83 IPv6 VIPs in one
// instance (what one advert carries on a 1500-byte MTU link), a unicast
// family without any peer but the node itself.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"

	"github.com/havip/havip/catalog"
	"github.com/havip/havip/compose"
	"github.com/havip/havip/config"
)

// File names inside a version folder and in an output directory.
const (
	ConfigTemplateFile = "keepalived.conf.tmpl"
	ComposeFile        = "docker-compose.yml"
	ConfigFile         = "keepalived.conf"
	SampleAnswersFile  = "answers.txt"
)

// DefaultProbe is the havip binary that native TCP checks name in their
// vrrp_script command.
const DefaultProbe = "/usr/local/bin/havip"

// Request is everything one render depends on.
type Request struct {
	Template string           // template folder name, for messages and the header
	Version  *catalog.Version // the version to render
	// AnswersFile names the answers file (Answers holds its contents); empty
	// when there is none.
	AnswersFile string
	Answers     []byte
	Env         map[string]string // environment; only the questions' env names are read
	Set         []string          // KEY=VALUE overrides (--set)
	// Facts gives the node facts for the VRRP interface; nil means LocalFacts.
	Facts FactSource
	// Probe is the absolute path of the havip binary for native TCP checks;
	// empty means DefaultProbe.
	Probe string
	// WithCompose also renders the version's docker-compose.yml (interpolated
	// with the answers, converted, checked and normalised by package compose).
	WithCompose bool
}

// Result is a successful render.
type Result struct {
	KeepalivedConf []byte         // the rendered, validated keepalived.conf
	Config         *config.Config // its parsed model
	Compose        []byte         // the ready docker-compose.yml; nil unless WithCompose
	Values         catalog.Values // the typed answers, defaults applied
	// Answers are the answers as given, by variable (defaults not applied).
	Answers map[string]string
	// Origins says where each given answer came from ("answers.txt:3", "env
	// VRID", "--set vrid"); defaults are absent.
	Origins  map[string]string
	Facts    Facts    // the node facts the render used
	Warnings []string // from the planning helpers and config warnings
}

// templateData is what keepalived.conf.tmpl sees as ".".
type templateData struct {
	Template string         // template folder name
	Version  string         // version string
	Values   catalog.Values // typed answers
	Node     Facts          // the node rendered for
	Probe    string         // the havip binary for native TCP checks
}

// Render renders req. On error nothing is returned but the error, which names
// the offending input and what would be valid.
func Render(req Request) (*Result, error) {
	v := req.Version
	if v == nil {
		return nil, errors.New("render: no template version given")
	}
	name := req.Template + " version " + v.Version
	probe := req.Probe
	if probe == "" {
		probe = DefaultProbe
	}
	if err := CheckProbe(probe); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	answers, origins, err := collectAnswers(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	values, err := v.Validate(answers)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid answers:\n%w", name, annotate(err, origins))
	}
	if err := checkValues(v.Questions, values, origins); err != nil {
		return nil, fmt.Errorf("%s: refused answers:\n%w", name, err)
	}

	source := req.Facts
	if source == nil {
		source = LocalFacts
	}
	facts, err := source(vrrpInterface(v.Questions, values))
	if err != nil {
		return nil, fmt.Errorf("%s: node facts: %w", name, err)
	}

	res := &Result{Values: values, Answers: answers, Origins: origins, Facts: facts}
	if path.Base(probe) != "havip" {
		res.Warnings = append(res.Warnings, fmt.Sprintf("probe program %s is not named havip: havip's engine runs such TCP checks as ordinary scripts instead of in-process", probe))
	}
	text, err := fs.ReadFile(v.FS, ConfigTemplateFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out, err := execute(name, text, templateData{
		Template: req.Template, Version: v.Version, Values: values, Node: facts, Probe: probe,
	}, facts, &res.Warnings)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cfg, diags := config.ParseBytes(ConfigFile, out, config.Options{
		ConfigID:  "havip",
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	// A template must not rely on a part the engine drops or does not
	// run: every diagnostic is an error, as with havip check --strict.
	if diags = diags.Strict(); diags.HasErrors() {
		return nil, fmt.Errorf("%s: the rendered %s is invalid (a defect of the template):\n%s", name, ConfigFile, showDiagnostics(diags, out))
	}
	res.KeepalivedConf, res.Config = out, cfg

	if req.WithCompose {
		data, err := fs.ReadFile(v.FS, ComposeFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		project, err := compose.Load(ComposeFile, data, composeEnv(v.Questions, answers))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := compose.Check(project); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, ComposeFile, err)
		}
		if res.Compose, err = compose.Ready(project); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, ComposeFile, err)
		}
	}
	return res, nil
}

// collectAnswers merges the answer layers of req by precedence.
func collectAnswers(req Request) (map[string]string, map[string]string, error) {
	var fileSettings []Setting
	var errs []error
	if req.AnswersFile != "" || req.Answers != nil {
		name := req.AnswersFile
		if name == "" {
			name = "answers"
		}
		s, err := ParseAnswersFile(name, req.Answers)
		errs = append(errs, err)
		fileSettings = s
	}
	setSettings, err := ParseSets(req.Set)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return mergeAnswers(req.Version.Questions,
		answerLayer{settings: fileSettings},
		answerLayer{settings: EnvSettings(req.Version, req.Env)},
		answerLayer{settings: setSettings, repeatable: true})
}

// checkValues re-checks every typed answer that will be spliced into the
// config: strings must pass catalog.CheckText whatever their question type.
func checkValues(questions []catalog.Question, values catalog.Values, origins map[string]string) error {
	labels := map[string]string{}
	for _, q := range flatten(questions) {
		labels[q.Variable] = q.Label
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		s, ok := values[k].(string)
		if !ok {
			continue
		}
		if err := catalog.CheckText(s); err != nil {
			where := ""
			if o := origins[k]; o != "" {
				where = " (answer from " + o + ")"
			}
			errs = append(errs, fmt.Errorf("%s (%q)%s: %w", k, labels[k], where, err))
		}
	}
	return errors.Join(errs...)
}

// vrrpInterface is the answer of the first question of type interface.
func vrrpInterface(questions []catalog.Question, values catalog.Values) string {
	for _, q := range flatten(questions) {
		if q.Type == catalog.TypeInterface {
			if s, ok := values[q.Variable].(string); ok {
				return s
			}
		}
	}
	return ""
}

// composeEnv is the interpolation environment of docker-compose.yml: every
// question's default, overridden by the given answers, by variable.
func composeEnv(questions []catalog.Question, answers map[string]string) map[string]string {
	env := map[string]string{}
	for _, q := range flatten(questions) {
		env[q.Variable] = q.Default
	}
	for k, v := range answers {
		env[k] = v
	}
	return env
}

// execute runs the template text into bytes; any error fails the render.
func execute(name string, text []byte, data templateData, facts Facts, warnings *[]string) ([]byte, error) {
	tmpl, err := template.New(ConfigTemplateFile).
		Option("missingkey=error").
		Funcs(funcs(facts, warnings)).
		Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", ConfigTemplateFile, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return nil, templateError(err)
	}
	return tidy(buf.Bytes()), nil
}

// tidy trims trailing blanks, collapses runs of blank lines and ends the
// text with exactly one newline, so that templates can use plain actions.
func tidy(b []byte) []byte {
	lines := strings.Split(string(b), "\n")
	var out []string
	blank := true // drop leading blank lines
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

// showDiagnostics lists the error diagnostics, each followed by the rendered
// line it points at.
func showDiagnostics(diags config.Diagnostics, src []byte) string {
	lines := strings.Split(string(src), "\n")
	var b strings.Builder
	for _, d := range diags {
		if d.Severity != config.Error {
			continue
		}
		b.WriteString(d.String())
		b.WriteByte('\n')
		if d.Pos.Line > 0 && d.Pos.Line <= len(lines) {
			fmt.Fprintf(&b, "    %d | %s\n", d.Pos.Line, lines[d.Pos.Line-1])
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
