package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// line is one logical line after comment removal, include/conditional/
// definition processing and brace splitting.
type line struct {
	pos  Pos
	text string
	// braced is set for text that shared its source line with a '{' or
	// '}': such text may hold several statements of the block.
	braced bool
}

// definition is a $NAME=VALUE definition; multi-line definitions have
// several lines.
type definition struct {
	lines []string
}

// maxLineLength mirrors keepalived's MAXBUF line limit.
const maxLineLength = 1024 * 8

// maxExpansionDepth bounds include nesting and recursive substitution.
const maxExpansionDepth = 32

// maxGeneratedLines bounds ~SEQ/~LST expansion so hostile input cannot
// exhaust memory.
const maxGeneratedLines = 1 << 20

// maxExpandedBytes bounds the total size of the expanded config.
const maxExpandedBytes = 64 << 20

// lexer turns files into logical lines.
type lexer struct {
	rep       *reporter
	opts      Options
	configID  string
	defs      map[string]*definition
	out       []line
	depth     int
	files     map[string]bool // files on the current include stack
	fileOrder map[string]int  // files in the order they were first read
	inputs    Inputs          // what the config was read from, for watchers
	generated int
	size      int  // bytes emitted so far
	tooBig    bool // maxExpandedBytes was reached and reported
}

func newLexer(rep *reporter, opts Options) *lexer {
	id := opts.ConfigID
	if id == "" {
		host, _ := os.Hostname()
		id, _, _ = strings.Cut(host, ".")
	}
	return &lexer{rep: rep, opts: opts, configID: id, defs: map[string]*definition{}, files: map[string]bool{}, fileOrder: map[string]int{}}
}

// lexFile reads src as file name.
func (lx *lexer) lexFile(name string, src []byte) {
	if lx.files[name] {
		lx.rep.errorf(Pos{File: name}, "include loop: %s includes itself", name)
		return
	}
	lx.files[name] = true
	defer delete(lx.files, name)
	if _, seen := lx.fileOrder[name]; !seen {
		lx.fileOrder[name] = len(lx.fileOrder)
		lx.inputs.Files = append(lx.inputs.Files, absPath(name))
	}
	dir := filepath.Dir(name)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	raw := strings.Split(string(src), "\n")
	lx.out = slices.Grow(lx.out, len(raw)+len(raw)/2) // a line and, for some, a brace
	var multi *definition                             // open multi-line definition
	for i, text := range raw {
		pos := Pos{File: name, Line: i + 1}
		text = strings.TrimRight(text, "\r")
		if strings.ContainsRune(text, 0) {
			lx.rep.warnf(pos, "line contains a NUL byte; ignored")
			continue
		}
		if len(text) > maxLineLength {
			lx.rep.errorf(pos, "line too long (%d bytes, at most %d)", len(text), maxLineLength)
			continue
		}
		if multi != nil {
			body := strings.TrimSpace(decomment(text))
			cont := strings.HasSuffix(body, `\`)
			body = strings.TrimSuffix(body, `\`)
			if body = strings.TrimSpace(body); body != "" {
				multi.lines = append(multi.lines, body)
			}
			if !cont {
				multi = nil
			}
			continue
		}
		text = strings.TrimSpace(decomment(text))
		if text == "" {
			continue
		}
		if kw, rest, ok := includeLine(text); ok {
			lx.include(pos, dir, kw, rest)
			continue
		}
		if d := lx.processLine(text, pos, dir, 0); d != nil {
			multi = d
		}
	}
}

// includeLine recognises include and its variants.
func includeLine(text string) (kw, rest string, ok bool) {
	kw = text
	if i := strings.IndexAny(text, " \t"); i >= 0 {
		kw, rest = text[:i], strings.TrimSpace(text[i:])
	}
	switch kw {
	case "include", "includer", "includem", "includew", "includeb", "includea":
		return kw, rest, true
	}
	return "", "", false
}

// include expands an include line: glob with csh brace expansion, relative
// to the including file's directory.
func (lx *lexer) include(pos Pos, dir, kw, pattern string) {
	pattern = strings.Trim(pattern, `"`)
	if pattern == "" {
		lx.rep.errorf(pos, "%s needs a file name or glob pattern", kw)
		return
	}
	if lx.depth >= maxExpansionDepth {
		lx.rep.errorf(pos, "includes nested more than %d deep", maxExpansionDepth)
		return
	}
	var matches []string
	for _, p := range braceExpand(pattern) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		lx.inputs.Patterns = append(lx.inputs.Patterns, p)
		m, err := filepath.Glob(p)
		if err != nil {
			lx.rep.errorf(pos, "%s %q: bad pattern: %v", kw, pattern, err)
			return
		}
		if len(m) == 0 && kw != "include" {
			lx.rep.errorf(pos, "%s %q: no file matches %s", kw, pattern, p)
		}
		matches = append(matches, m...)
	}
	lx.depth++
	defer func() { lx.depth-- }()
	for _, f := range matches {
		data, err := readRegularFile(f)
		if err != nil {
			if kw != "include" {
				lx.rep.errorf(pos, "%s: cannot read %s: %v", kw, f, err)
			}
			continue
		}
		lx.lexFile(f, data)
	}
}

// absPath is name made absolute, or name itself when the working directory is unknown.
func absPath(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}

// braceExpand performs csh-style {a,b} expansion.
func braceExpand(s string) []string {
	open := -1
	depth := 0
	for i, c := range s {
		switch c {
		case '{':
			if depth == 0 {
				open = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth == 0 {
				var out []string
				for _, alt := range splitTopLevel(s[open+1 : i]) {
					out = append(out, braceExpand(s[:open]+alt+s[i+1:])...)
				}
				return out
			}
		}
	}
	return []string{s}
}

// splitTopLevel splits on commas outside nested braces.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// decomment removes a '#' or '!' comment that is not inside double quotes
// and not escaped with a backslash.
func decomment(s string) string {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case '#', '!':
			if !quoted {
				return s[:i]
			}
		}
	}
	return s
}

var definitionRe = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)=\s*(.*)$`)

// processLine handles a decommented, trimmed line: conditionals,
// definitions, generators and substitution, then emits it. It returns the
// definition when the line opens a multi-line definition.
func (lx *lexer) processLine(text string, pos Pos, dir string, depth int) *definition {
	if depth > maxExpansionDepth {
		lx.rep.errorf(pos, "definitions expand more than %d levels deep (is a definition recursive?)", maxExpansionDepth)
		return nil
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if text[0] == '@' {
		keep, rest, ok := lx.conditional(text)
		if !ok {
			lx.rep.errorf(pos, "bad conditional %q: want @ID or @^ID followed by text", text)
			return nil
		}
		if !keep {
			return nil
		}
		text = rest
	}
	if strings.IndexByte(text, '$') < 0 && text[0] != '~' {
		lx.emit(text, pos) // the common line: no definition, substitution or generator
		return nil
	}
	if m := definitionRe.FindStringSubmatch(text); m != nil {
		name, value := m[1], strings.TrimSpace(m[2])
		if strings.HasPrefix(name, "_") {
			lx.rep.errorf(pos, "definition $%s: names starting with '_' are reserved for built-ins", name)
			return nil
		}
		d := &definition{}
		lx.defs[name] = d
		if strings.HasSuffix(value, `\`) {
			if v := strings.TrimSpace(strings.TrimSuffix(value, `\`)); v != "" {
				d.lines = append(d.lines, v)
			}
			return d
		}
		d.lines = []string{value}
		return nil
	}
	if strings.HasPrefix(text, "~SEQ") || strings.HasPrefix(text, "~LST") {
		lx.generator(text, pos, dir, depth)
		return nil
	}
	lines, changed := lx.substitute(text, pos, dir)
	if !changed {
		lx.emit(text, pos)
		return nil
	}
	for _, l := range lines {
		lx.processLine(l, pos, dir, depth+1)
	}
	return nil
}

// conditional parses "@ID rest" / "@^ID rest".
func (lx *lexer) conditional(text string) (keep bool, rest string, ok bool) {
	body := text[1:]
	negate := strings.HasPrefix(body, "^")
	if negate {
		body = body[1:]
	}
	i := strings.IndexAny(body, " \t")
	if i <= 0 {
		return false, "", false
	}
	id := body[:i]
	return (id == lx.configID) != negate, strings.TrimSpace(body[i:]), true
}

// substitute replaces ${NAME} anywhere and $NAME followed by a blank, ',',
// ')' or the end of the line. Undefined names are left untouched. A
// multi-line definition referenced at the end of the line splits the
// result into several lines.
func (lx *lexer) substitute(text string, pos Pos, dir string) ([]string, bool) {
	var b strings.Builder
	changed := false
	var tail []string
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '$' || i+1 >= len(text) {
			b.WriteByte(c)
			continue
		}
		var name string
		var end int
		if text[i+1] == '{' {
			j := strings.IndexByte(text[i+2:], '}')
			if j < 0 {
				b.WriteByte(c)
				continue
			}
			name, end = text[i+2:i+2+j], i+3+j
		} else {
			j := i + 1
			for j < len(text) && isNameByte(text[j], j == i+1) {
				j++
			}
			if j == i+1 || (j < len(text) && !strings.ContainsRune(" \t,)", rune(text[j]))) {
				b.WriteByte(c)
				continue
			}
			name, end = text[i+1:j], j
		}
		value, lines, ok := lx.lookup(name, pos, dir)
		if !ok {
			b.WriteByte(c)
			continue
		}
		changed = true
		if lines != nil {
			if end != len(text) {
				lx.rep.errorf(pos, "multi-line definition $%s must end the line", name)
				return nil, false
			}
			b.WriteString(lines[0])
			tail = lines[1:]
			break
		}
		b.WriteString(value)
		i = end - 1
		if b.Len() > maxLineLength {
			lx.rep.errorf(pos, "line too long after expanding definitions (more than %d bytes)", maxLineLength)
			return nil, false
		}
	}
	return append([]string{b.String()}, tail...), changed
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || !first && c >= '0' && c <= '9'
}

// lookup resolves a definition or built-in. lines is non-nil for a
// multi-line definition.
func (lx *lexer) lookup(name string, pos Pos, dir string) (value string, lines []string, ok bool) {
	switch {
	case name == "_PWD":
		return dir, nil, true
	case name == "_INSTANCE":
		return lx.configID, nil, true
	case name == "_HASH":
		return "#", nil, true
	case name == "_BANG":
		return "!", nil, true
	case name == "_RANDOM" || strings.HasPrefix(name, "_RANDOM "):
		lx.rep.errorf(pos, "${%s} is not supported: havip configs must expand the same way on every load; use ~SEQ, ${_INSTANCE} or a fixed value", name)
		return "", nil, false
	case strings.HasPrefix(name, "_ENV "):
		key := strings.TrimSpace(strings.TrimPrefix(name, "_ENV "))
		lookup := lx.opts.LookupEnv
		if lookup == nil {
			lookup = os.LookupEnv
		}
		v, _ := lookup(key)
		return v, nil, true
	}
	d, found := lx.defs[name]
	if !found {
		return "", nil, false
	}
	if len(d.lines) > 1 {
		return "", d.lines, true
	}
	if len(d.lines) == 0 {
		return "", nil, true
	}
	return d.lines[0], nil, true
}

var generatorRe = regexp.MustCompile(`^~(SEQx?|LST)\(`)

// generator expands ~SEQ(var, [start,] [step,] end) / ~SEQx / ~LST(...)
// prefixes: the rest of the line is processed once per value.
func (lx *lexer) generator(text string, pos Pos, dir string, depth int) {
	m := generatorRe.FindStringSubmatch(text)
	if m == nil {
		lx.rep.errorf(pos, "bad generator %q: want ~SEQ(var,start,step,end), ~SEQx(...) or ~LST(var,v1,...)", text)
		return
	}
	// Find the matching ')' respecting nested braces for ~LST tuples.
	open := len(m[0])
	close := -1
	nest := 0
	for i := open; i < len(text); i++ {
		switch text[i] {
		case '{':
			nest++
		case '}':
			nest--
		case ')':
			if nest == 0 {
				close = i
			}
		}
		if close >= 0 {
			break
		}
	}
	if close < 0 {
		lx.rep.errorf(pos, "~%s: missing ')'", m[1])
		return
	}
	args := splitTopLevel(text[open:close])
	for i := range args {
		args[i] = strings.TrimSpace(args[i])
	}
	rest := strings.TrimSpace(text[close+1:])
	vars, tuples, err := generatorValues(m[1], args)
	if err != nil {
		lx.rep.errorf(pos, "~%s(%s): %v", m[1], text[open:close], err)
		return
	}
	saved := map[string]*definition{}
	for _, v := range vars {
		saved[v] = lx.defs[v]
	}
	for _, tuple := range tuples {
		lx.generated++
		if lx.generated > maxGeneratedLines {
			lx.rep.errorf(pos, "~%s generates more than %d lines", m[1], maxGeneratedLines)
			break
		}
		for k, v := range vars {
			lx.defs[v] = &definition{lines: []string{tuple[k]}}
		}
		lx.processLine(rest, pos, dir, depth+1)
	}
	for v, d := range saved {
		if d == nil {
			delete(lx.defs, v)
		} else {
			lx.defs[v] = d
		}
	}
}

// generatorValues returns the variables and the value tuples of a
// generator.
func generatorValues(kind string, args []string) ([]string, [][]string, error) {
	if kind == "LST" {
		return listValues(args)
	}
	if len(args) < 2 || len(args) > 4 {
		return nil, nil, fmt.Errorf("want 2 to 4 arguments (var, [start,] [step,] end), have %d", len(args))
	}
	if !isName(args[0]) {
		return nil, nil, fmt.Errorf("variable %q is not a name", args[0])
	}
	nums := make([]int64, len(args)-1)
	for i, a := range args[1:] {
		n, err := strconv.ParseInt(a, 0, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%q is not an integer", a)
		}
		nums[i] = n
	}
	var start, step, end int64
	switch len(nums) {
	case 1:
		end = nums[0]
		start, step = 1, 1
		if end < 0 {
			start, step = -1, -1
		}
	case 2:
		start, end = nums[0], nums[1]
		step = 1
		if end < start {
			step = -1
		}
	case 3:
		start, step, end = nums[0], nums[1], nums[2]
	}
	if step == 0 {
		return nil, nil, fmt.Errorf("step must not be 0")
	}
	if (step > 0 && end < start) || (step < 0 && end > start) {
		return []string{args[0]}, nil, nil
	}
	if (end-start)/step >= maxGeneratedLines {
		return nil, nil, fmt.Errorf("generates more than %d values", maxGeneratedLines)
	}
	var tuples [][]string
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		s := strconv.FormatInt(v, 10)
		if kind == "SEQx" {
			s = strconv.FormatInt(v, 16)
		}
		tuples = append(tuples, []string{s})
	}
	return []string{args[0]}, tuples, nil
}

// listValues handles ~LST(var, v1, v2 ...) and ~LST({a,b},{1,2},{3,4}).
func listValues(args []string) ([]string, [][]string, error) {
	if len(args) < 1 || args[0] == "" {
		return nil, nil, fmt.Errorf("want a variable and values")
	}
	unbrace := func(s string) ([]string, bool) {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			return nil, false
		}
		parts := strings.Split(s[1:len(s)-1], ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, true
	}
	vars, tupled := unbrace(args[0])
	if !tupled {
		vars = []string{args[0]}
	}
	for _, v := range vars {
		if !isName(v) {
			return nil, nil, fmt.Errorf("variable %q is not a name", v)
		}
	}
	var tuples [][]string
	for _, a := range args[1:] {
		if !tupled {
			tuples = append(tuples, []string{a})
			continue
		}
		vals, ok := unbrace(a)
		if !ok || len(vals) != len(vars) {
			return nil, nil, fmt.Errorf("value %q must be a {…} tuple of %d values", a, len(vars))
		}
		tuples = append(tuples, vals)
	}
	return vars, tuples, nil
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], i == 0) {
			return false
		}
	}
	return true
}

// emit splits '{' and '}' outside quotes onto their own lines.
func (lx *lexer) emit(text string, pos Pos) {
	lx.size += len(text)
	if lx.size > maxExpandedBytes {
		if !lx.tooBig {
			lx.rep.errorf(pos, "config expands to more than %d bytes; ignoring the rest", maxExpandedBytes)
			lx.tooBig = true
		}
		return
	}
	first := len(lx.out)
	start := 0
	quoted := false
	braced := false
	flush := func(end int) {
		if s := strings.TrimSpace(text[start:end]); s != "" {
			lx.out = append(lx.out, line{pos: pos, text: s})
		}
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case '{', '}':
			if quoted {
				continue
			}
			flush(i)
			lx.out = append(lx.out, line{pos: pos, text: text[i : i+1]})
			start = i + 1
			braced = true
		}
	}
	flush(len(text))
	for i := first; braced && i < len(lx.out); i++ {
		lx.out[i].braced = true
	}
}

// readRegularFile reads a regular file (not a device or FIFO, which could
// block or never end).
func readRegularFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > maxExpandedBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxExpandedBytes)
	}
	return os.ReadFile(path)
}
