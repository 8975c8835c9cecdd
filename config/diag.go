package config

import (
	"errors"
	"fmt"
	"strings"
)

// Pos is a location in a config file. Line is 1-based; 0 means unknown.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// String returns "FILE:LINE".
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Severity says whether a diagnostic stops the config from running.
type Severity int

const (
	// Warning marks a problem the config still runs with.
	Warning Severity = iota
	// Error marks a problem that stops the config from running.
	Error
)

// String returns "warning" or "error".
func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// MarshalText encodes the severity as "warning" or "error".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Diagnostic is one message about the config, located at Pos.
type Diagnostic struct {
	Pos      Pos      `json:"pos"`
	Severity Severity `json:"severity"`
	Msg      string   `json:"msg"`
}

// String returns "FILE:LINE: error: MSG" or "FILE:LINE: warning: MSG".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// Diagnostics is the list of messages produced by Load or ParseBytes, in
// input order.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an Error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns nil when there are no errors, else one error whose message
// lists every error line (warnings are left out).
func (ds Diagnostics) Err() error {
	var lines []string
	for _, d := range ds {
		if d.Severity == Error {
			lines = append(lines, d.String())
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return errors.New(strings.Join(lines, "\n"))
}

// Strict returns the diagnostics with every warning made an error: what
// havip check --strict and the renderer apply, so that a config relying on
// a part havip (like keepalived) drops, or on one havip does not run,
// fails.
func (ds Diagnostics) Strict() Diagnostics {
	out := make(Diagnostics, len(ds))
	for i, d := range ds {
		d.Severity = Error
		out[i] = d
	}
	return out
}

// reporter collects diagnostics.
type reporter struct {
	diags Diagnostics
}

func (r *reporter) errorf(pos Pos, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{Pos: pos, Severity: Error, Msg: fmt.Sprintf(format, args...)})
}

func (r *reporter) warnf(pos Pos, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{Pos: pos, Severity: Warning, Msg: fmt.Sprintf(format, args...)})
}

// dropf reports a part of the config that keepalived 2.2.7 logs and runs
// without: havip drops the same part, with a warning saying so. dropped
// names the part, as in "the route is ignored".
func (r *reporter) dropf(pos Pos, dropped, format string, args ...any) {
	r.warnf(pos, "%s; %s, as keepalived does", fmt.Sprintf(format, args...), dropped)
}

// dropping runs parse, turning the errors it reports into dropf warnings:
// for a part (an address, a route, a rule) keepalived skips as a whole
// when any of it is invalid.
func (p *parser) dropping(dropped string, parse func()) {
	saved := p.rep
	p.rep = &reporter{}
	parse()
	for _, d := range p.rep.diags {
		if d.Severity == Error {
			saved.dropf(d.Pos, dropped, "%s", d.Msg)
		} else {
			saved.diags = append(saved.diags, d)
		}
	}
	p.rep = saved
}
