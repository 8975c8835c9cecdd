package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parser turns statement trees into the model.
type parser struct {
	rep *reporter
	cfg *Config
	// top is the index of the top-level statement being parsed; defined
	// and users record it for trackers and for the sections using them,
	// since keepalived resolves a reference only to an earlier definition.
	// Their keys are also the names already defined, so that a second
	// definition is found without a scan of the config.
	top     int
	defined map[string]int // kind + " " + name of a tracker
	users   map[string]int // "vrrp_instance NAME" / "vrrp_sync_group NAME"
}

// handler interprets one statement inside a section read once per config
// (the top level, global_defs, garp_group, SSL); the blocks a config
// repeats use a keywords table instead.
type handler func(n *node)

// keywords is the keyword table of one kind of block, built once: what
// each statement does to the state S of the block being read.
type keywords[S any] map[string]func(p *parser, s S, n *node)

// dispatch runs the handler for each statement of a block, reporting
// unknown keywords with the nearest known one. Statements written on one
// line with a brace are split at the block's keywords first.
func (p *parser) dispatch(where string, nodes []*node, table map[string]handler) {
	for _, n := range splitBraced(nodes, table) {
		if h, ok := lookup(p, where, n, table); ok {
			h(n)
		}
	}
}

// dispatchTo runs, for each statement of a block, its keyword's entry of
// table on the block's state s, as dispatch does.
func dispatchTo[S any](p *parser, where string, nodes []*node, table keywords[S], s S) {
	for _, n := range splitBraced(nodes, table) {
		if h, ok := lookup(p, where, n, table); ok {
			h(p, s, n)
		}
	}
}

// lookup returns the entry of n's keyword in table; an unknown keyword is
// reported with the nearest known one.
func lookup[V any](p *parser, where string, n *node, table map[string]V) (V, bool) {
	h, ok := table[n.keyword()]
	if ok {
		return h, true
	}
	names := make([]string, 0, len(table))
	for k := range table {
		names = append(names, k)
	}
	if s := nearest(n.keyword(), names); s != "" {
		p.rep.warnf(n.pos, "unknown keyword '%s' in %s is ignored, as keepalived does; did you mean '%s'?", n.keyword(), where, s)
	} else {
		p.rep.warnf(n.pos, "unknown keyword '%s' in %s is ignored, as keepalived does", n.keyword(), where)
	}
	return h, false
}

// noBlock reports a '{' block after a keyword that takes none.
func (p *parser) noBlock(n *node) bool {
	if n.hasBlock {
		p.rep.errorf(n.pos, "%s does not take a '{' block", n.keyword())
		return false
	}
	return true
}

// needBlock reports a block keyword without its '{'.
func (p *parser) needBlock(n *node) bool {
	if !n.hasBlock {
		p.rep.errorf(n.pos, "missing '{' after %s", strings.Join(n.toks, " "))
		return false
	}
	return true
}

// nargs checks the argument count is in [lo, hi] (hi < 0 = unbounded).
func (p *parser) nargs(n *node, lo, hi int) bool {
	if !p.noBlock(n) {
		return false
	}
	c := len(n.args())
	if c < lo || hi >= 0 && c > hi {
		want := fmt.Sprintf("%d", lo)
		switch {
		case hi < 0:
			want = fmt.Sprintf("at least %d", lo)
		case hi != lo:
			want = fmt.Sprintf("%d to %d", lo, hi)
		}
		p.rep.errorf(n.pos, "%s takes %s argument(s), have %d", n.keyword(), want, c)
		return false
	}
	return true
}

func (p *parser) intArg(n *node, s string, lo, hi int) (int, bool) {
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		p.rep.errorf(n.pos, "%s: %q is not an integer in %d..%d", n.keyword(), s, lo, hi)
		return 0, false
	}
	return v, true
}

// setInt parses "KEYWORD N".
func (p *parser) setInt(n *node, dst *int, lo, hi int) {
	if p.nargs(n, 1, 1) {
		if v, ok := p.intArg(n, n.args()[0], lo, hi); ok {
			*dst = v
		}
	}
}

// intKw is the handler of setInt.
func (p *parser) intKw(dst *int, lo, hi int) handler {
	return func(n *node) { p.setInt(n, dst, lo, hi) }
}

func (p *parser) timerArg(n *node, s string, lo, hi time.Duration) (time.Duration, bool) {
	d, err := parseTimer(s)
	if err == nil && (d < lo || d > hi) {
		err = fmt.Errorf("%q is out of range %s..%s seconds", s, formatTimer(lo), formatTimer(hi))
	}
	if err != nil {
		p.rep.errorf(n.pos, "%s: %v", n.keyword(), err)
		return 0, false
	}
	return d, true
}

// setTimer parses "KEYWORD SECONDS".
func (p *parser) setTimer(n *node, dst *time.Duration, lo, hi time.Duration) {
	if p.nargs(n, 1, 1) {
		if v, ok := p.timerArg(n, n.args()[0], lo, hi); ok {
			*dst = v
		}
	}
}

// timerKw is the handler of setTimer.
func (p *parser) timerKw(dst *time.Duration, lo, hi time.Duration) handler {
	return func(n *node) { p.setTimer(n, dst, lo, hi) }
}

// setBool parses "KEYWORD [BOOL]" (bare = true).
func (p *parser) setBool(n *node, dst *bool) {
	if !p.nargs(n, 0, 1) {
		return
	}
	if len(n.args()) == 0 {
		*dst = true
		return
	}
	v, ok := parseBool(n.args()[0])
	if !ok {
		p.rep.errorf(n.pos, "%s: %q is not a boolean (on|off|true|false|yes|no)", n.keyword(), n.args()[0])
		return
	}
	*dst = v
}

// boolKw is the handler of setBool.
func (p *parser) boolKw(dst *bool) handler {
	return func(n *node) { p.setBool(n, dst) }
}

// setFlag parses a bare keyword that sets dst to value.
func (p *parser) setFlag(n *node, dst *bool, value bool) {
	if p.nargs(n, 0, 0) {
		*dst = value
	}
}

// flagKw is the handler of setFlag.
func (p *parser) flagKw(dst *bool, value bool) handler {
	return func(n *node) { p.setFlag(n, dst, value) }
}

// setString parses "KEYWORD WORD".
func (p *parser) setString(n *node, dst *string) {
	if p.nargs(n, 1, 1) {
		*dst = n.args()[0]
	}
}

// stringKw is the handler of setString.
func (p *parser) stringKw(dst *string) handler {
	return func(n *node) { p.setString(n, dst) }
}

// command parses a script keyword with keepalived's quoted/escaped
// tokeniser: KEYWORD CMD [USER [GROUP]].
func (p *parser) command(n *node) *Command {
	if !p.noBlock(n) {
		return nil
	}
	toks, err := splitQuotedEscaped(n.raw)
	if err != nil {
		p.rep.errorf(n.pos, "%s: %v", n.keyword(), err)
		return nil
	}
	if len(toks) < 2 || strings.TrimSpace(toks[1]) == "" {
		p.rep.errorf(n.pos, "%s: no script specified", n.keyword())
		return nil
	}
	if len(toks) > 4 {
		p.rep.errorf(n.pos, "%s: want SCRIPT [USER [GROUP]] (quote a script that has arguments), have %d words", n.keyword(), len(toks)-1)
		return nil
	}
	// keepalived splits the script text itself with the same tokeniser, so
	// quotes inside a quoted script group words: "/bin/sh -c 'exit 1'" runs
	// sh with the two arguments -c and "exit 1" (checked against 2.2.7).
	args, err := splitQuotedEscaped(toks[1])
	if err != nil {
		p.rep.errorf(n.pos, "%s: the script %q: %v", n.keyword(), toks[1], err)
		return nil
	}
	c := &Command{Text: toks[1], Args: args}
	if len(toks) > 2 {
		c.User = toks[2]
	}
	if len(toks) > 3 {
		c.Group = toks[3]
	}
	return c
}

// setCommand parses a script keyword (see command) into dst.
func (p *parser) setCommand(n *node, dst **Command) {
	if c := p.command(n); c != nil {
		*dst = c
	}
}

// commandKw is the handler of setCommand.
func (p *parser) commandKw(dst **Command) handler {
	return func(n *node) { p.setCommand(n, dst) }
}

// addSetting keeps an accepted keyword as text.
func (p *parser) addSetting(n *node, dst *[]Setting) {
	if p.noBlock(n) {
		*dst = append(*dst, Setting{Pos: n.pos, Keyword: n.keyword(), Args: slices.Clone(n.args())})
	}
}

// settingKw is the handler of addSetting.
func (p *parser) settingKw(dst *[]Setting) handler {
	return func(n *node) { p.addSetting(n, dst) }
}

// addUnsupported keeps a keyword as text and warns that it has no effect.
func (p *parser) addUnsupported(n *node, dst *[]Setting, what string) {
	p.rep.warnf(n.pos, "%s is not supported by havip: %s", n.keyword(), what)
	*dst = append(*dst, Setting{Pos: n.pos, Keyword: n.keyword(), Args: slices.Clone(n.args())})
}

// unsupportedKw is the handler of addUnsupported.
func (p *parser) unsupportedKw(dst *[]Setting, what string) handler {
	return func(n *node) { p.addUnsupported(n, dst, what) }
}

// toBlock converts a statement tree to a verbatim Block.
func toBlock(n *node) *Block {
	b := &Block{Pos: n.pos, Keyword: n.keyword(), Args: slices.Clone(n.args()), HasBlock: n.hasBlock}
	for _, c := range n.children {
		b.Children = append(b.Children, toBlock(c))
	}
	return b
}

// nameArg checks a section header "KEYWORD NAME {".
func (p *parser) nameArg(n *node) (string, bool) {
	if !p.needBlock(n) {
		return "", false
	}
	if len(n.args()) != 1 {
		p.rep.errorf(n.pos, "%s needs exactly one name, have %d words", n.keyword(), len(n.args()))
		return "", false
	}
	return n.args()[0], true
}

// unsupportedSections are top-level sections parsed structurally only,
// with what will not happen.
var unsupportedSections = map[string]string{
	"bfd_instance":         "BFD sessions will not be run",
	"linkbeat_interfaces":  "link beat polling will not be used",
	"net_namespace":        "the config will run in the current network namespace",
	"net_namespace_ipvs":   "IPVS network namespace will not be set",
	"instance":             "the keepalived instance name will not be used",
	"use_pid_dir":          "pid files are not written",
	"child_wait_time":      "there are no child processes to wait for",
	"linkbeat_use_polling": "link beat polling will not be used",
}

// parseTop interprets the top-level statements.
func (p *parser) parseTop(nodes []*node) {
	table := map[string]handler{
		"global_defs":        p.parseGlobal,
		"vrrp_script":        p.parseScript,
		"vrrp_track_process": p.parseTrackProcess,
		"track_file":         p.parseTrackFile,
		"vrrp_track_file":    p.parseTrackFile,
		"vrrp_sync_group":    p.parseSyncGroup,
		"garp_group":         p.parseGARPGroup,
		"vrrp_instance":      p.parseInstance,
		"static_ipaddress": func(n *node) {
			if p.needBlock(n) {
				p.cfg.StaticAddresses = append(p.cfg.StaticAddresses, p.staticAddresses(n)...)
			}
		},
		"static_routes": func(n *node) {
			if p.needBlock(n) {
				p.cfg.StaticRoutes = append(p.cfg.StaticRoutes, p.staticRoutes(n)...)
			}
		},
		"static_rules": func(n *node) {
			if p.needBlock(n) {
				p.cfg.StaticRules = append(p.cfg.StaticRules, p.staticRules(n)...)
			}
		},
		"interface_up_down_delays": p.parseInterfaceDelays,
		"track_group":              p.parseTrackGroup,
	}
	p.lvsHandlers(table)
	for kw, what := range unsupportedSections {
		table[kw] = func(n *node) {
			p.rep.warnf(n.pos, "%s is not supported by havip: %s", kw, what)
			p.cfg.Unsupported = append(p.cfg.Unsupported, toBlock(n))
		}
	}
	for i, n := range nodes {
		p.top = i
		p.dispatch("the top level", []*node{n}, table)
	}
	p.limitInterfaceDelays()
	p.expandTrackGroups()
}
