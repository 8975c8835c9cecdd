package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/havip/havip/config"
	"github.com/havip/havip/render"
)

// Rendered is one version of the config: the keepalived.conf text and its
// validated model.
type Rendered struct {
	Text   []byte
	Config *config.Config
	// Warnings are config and render warnings, as "FILE:LINE: warning: MSG"
	// where they have a position.
	Warnings []string
	// Inputs are the files and include patterns this version was read
	// from, beyond the Source's Files; a change to any of them calls for a
	// new Render.
	Inputs config.Inputs
}

// Source produces the config from the supervisor's inputs.
type Source interface {
	// Render reads the inputs anew and returns the validated config, or an
	// error naming the input at fault (file:line, variable). With an error
	// it may still return a Rendered whose Inputs say what was read, so
	// that fixing an included file is noticed.
	Render() (*Rendered, error)
	// Files are the files whose change always calls for a new Render.
	Files() []string
	// String names the source in logs.
	String() string
}

// File is a keepalived.conf on disk with the files it includes (resolved
// relative to the including file). The file, every included file and every
// include pattern are watched: editing conf.d/b.conf, or adding a file that
// an `include conf.d/*.conf` matches, reloads.
type File struct {
	Path    string
	Options config.Options
}

// Render reads and validates the file and its includes. Text is the file
// itself when it includes nothing, else the canonical, fully expanded
// config: the one file that shows what runs.
func (f File) Render() (*Rendered, error) {
	text, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	cfg, diags := config.ParseBytes(f.Path, text, f.Options)
	r := &Rendered{Text: text, Config: cfg, Inputs: cfg.Inputs()}
	if diags.HasErrors() {
		var errs []string
		for _, d := range diags {
			if d.Severity == config.Error {
				errs = append(errs, d.String())
			}
		}
		return &Rendered{Inputs: r.Inputs}, errors.New(strings.Join(errs, "; "))
	}
	if len(r.Inputs.Files) > 1 {
		header := fmt.Sprintf("# %s with its %d included files, expanded by havip\n", f.Path, len(r.Inputs.Files)-1)
		r.Text = append([]byte(header), config.Format(cfg)...)
	}
	for _, d := range diags {
		r.Warnings = append(r.Warnings, d.String())
	}
	return r, nil
}

// Files returns the config file.
func (f File) Files() []string { return []string{f.Path} }

func (f File) String() string { return f.Path }

// Template is a catalog template version rendered with answers, exactly as
// `havip render` does: question defaults < answers file < environment.
type Template struct {
	// Request is the render request; its Answers are re-read from
	// AnswersFile (when set) on every Render.
	Request render.Request
}

// Render reads the answers file and renders the template.
func (t Template) Render() (*Rendered, error) {
	req := t.Request
	if req.AnswersFile != "" {
		data, err := os.ReadFile(req.AnswersFile)
		if err != nil {
			return nil, fmt.Errorf("reading the answers: %w", err)
		}
		req.Answers = data
	}
	res, err := render.Render(req)
	if err != nil {
		return nil, err
	}
	return &Rendered{Text: res.KeepalivedConf, Config: res.Config, Warnings: res.Warnings}, nil
}

// Files returns the answers file, if any: the environment of a running
// process does not change.
func (t Template) Files() []string {
	if t.Request.AnswersFile == "" {
		return nil
	}
	return []string{t.Request.AnswersFile}
}

func (t Template) String() string {
	s := "template " + t.Request.Template
	if t.Request.Version != nil {
		s += " version " + t.Request.Version.Version
	}
	if t.Request.AnswersFile != "" {
		s += " with " + filepath.Base(t.Request.AnswersFile)
	}
	return s
}
