package catalog

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Values holds validated answers by variable. Each value has its question type's Go type:
// string (string, multiline, password, enum, date, hostname, interface), int64 (int, port),
// float64 (float), bool (boolean), netip.Addr (ip, ipv4, ipv6), netip.Prefix (cidr) and
// []netip.Addr (iprange, expanded).
//
// Every question that is shown (see Question.ShowIf) has an entry. A shown question left
// unanswered, without a default and not required, holds its type's zero value ("", 0, false,
// netip.Addr{}, netip.Prefix{}, nil), so templates can test `if .Values.x`. Questions hidden
// by show_if have no entry.
type Values map[string]any

// ForbiddenChars may change a keepalived config's structure (blocks, quoting, comments,
// macros, conditional lines, sequences) and are refused in every answer except multiline.
// A backslash is refused too: keepalived's quoted tokeniser treats it as an escape.
const ForbiddenChars = "{}\"'#!$@~\\"

// Validate checks answers against the version's questions and returns the typed values.
//
// An empty answer counts as no answer, so the question's default applies. Show_if is
// evaluated on the answers after defaults; answers to hidden questions are ignored. Every
// problem is reported, joined with errors.Join; each names the variable and its label, the
// bad value and what would be valid. Answers to unknown variables are refused.
func (v *Version) Validate(answers map[string]string) (Values, error) {
	questions := v.allQuestions()
	byVar := map[string]*Question{}
	for _, q := range questions {
		byVar[q.Variable] = q
	}
	var errs []error
	for _, name := range sortedKeys(answers) {
		if _, ok := byVar[name]; !ok {
			errs = append(errs, fmt.Errorf("%s: unknown variable (answer %q): this version's variables are %s",
				name, answers[name], strings.Join(sortedKeys(byVar), ", ")))
		}
	}
	raw := func(q *Question) string {
		if a := answers[q.Variable]; a != "" {
			return a
		}
		return q.Default
	}
	visible := v.visibility(byVar, raw)
	values := Values{}
	for _, q := range questions {
		if !visible[q.Variable] {
			continue
		}
		text := raw(q)
		if text == "" {
			if q.Required {
				errs = append(errs, fmt.Errorf("%s: an answer is required%s%s", q.title(), q.expectation(), q.envHint()))
				continue
			}
			values[q.Variable] = zeroValue(q.Type)
			continue
		}
		value, problems := checkAnswer(q, text)
		for _, p := range problems {
			errs = append(errs, fmt.Errorf("%s: %s", q.title(), p))
		}
		if len(problems) == 0 {
			values[q.Variable] = value
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return values, nil
}

// EnvAnswers collects answers from environment variables: for every question with an Env
// name that lookup finds, the answer for its variable is the variable's value.
func (v *Version) EnvAnswers(lookup func(name string) (string, bool)) map[string]string {
	answers := map[string]string{}
	for _, q := range v.allQuestions() {
		if q.Env == "" {
			continue
		}
		if value, ok := lookup(q.Env); ok {
			answers[q.Variable] = value
		}
	}
	return answers
}

// allQuestions lists the questions followed, after each, by its subquestions.
func (v *Version) allQuestions() []*Question {
	var out []*Question
	for i := range v.Questions {
		q := &v.Questions[i]
		out = append(out, q)
		for j := range q.Subquestions {
			out = append(out, &q.Subquestions[j])
		}
	}
	return out
}

// visibility decides which questions are shown: every show_if term must hold, and a
// subquestion also needs its parent shown with the answer ShowSubquestionIf. A term on a
// hidden variable compares against "". Booleans compare in normalised form.
func (v *Version) visibility(byVar map[string]*Question, raw func(*Question) string) map[string]bool {
	parent := map[string]*Question{}
	for i := range v.Questions {
		for j := range v.Questions[i].Subquestions {
			parent[v.Questions[i].Subquestions[j].Variable] = &v.Questions[i]
		}
	}
	shown := map[string]bool{}
	decided := map[string]bool{}
	var isShown func(q *Question) bool
	effective := func(name string) string {
		q, ok := byVar[name]
		if !ok || !isShown(q) {
			return ""
		}
		return comparable(q, raw(q))
	}
	isShown = func(q *Question) bool {
		if decided[q.Variable] {
			return shown[q.Variable]
		}
		decided[q.Variable] = true // definitions are acyclic (checked at load); this guards anyway
		ok := true
		if p := parent[q.Variable]; p != nil {
			ok = isShown(p) && comparable(p, raw(p)) == comparable(p, p.ShowSubquestionIf)
		}
		conds, _ := parseShowIf(q.ShowIf)
		for _, c := range conds {
			if !ok {
				break
			}
			ok = effective(c.Variable) == comparable(byVar[c.Variable], c.Value)
		}
		shown[q.Variable] = ok
		return ok
	}
	for _, q := range byVar {
		isShown(q)
	}
	return shown
}

// comparable normalises text for show_if comparison: booleans to "true"/"false".
func comparable(q *Question, text string) string {
	if q != nil && q.Type == TypeBoolean {
		if b, ok := parseBool(text); ok {
			return strconv.FormatBool(b)
		}
	}
	return text
}

// expectation describes what a valid answer looks like, as a suffix for messages.
func (q *Question) expectation() string {
	switch q.Type {
	case TypeEnum:
		return ": one of " + quoteList(q.Options)
	case TypeInt, TypeFloat, TypePort:
		lo, hi := q.bounds()
		return fmt.Sprintf(": a number from %s to %s", formatBound(lo), formatBound(hi))
	}
	return ": " + typeDescription[q.Type]
}

// envHint names the environment variable that can supply the answer, as a message suffix.
func (q *Question) envHint() string {
	if q.Env == "" {
		return ""
	}
	return " (or set the environment variable " + q.Env + ")"
}

// typeDescription says in words what each type accepts.
var typeDescription = map[string]string{
	TypeString:    "one line of text",
	TypeMultiline: "text",
	TypePassword:  "one line of text",
	TypeBoolean:   "true or false",
	TypeDate:      "a date as YYYY-MM-DD",
	TypeHostname:  "a host name such as node-1.example.com",
	TypeIP:        "an IPv4 or IPv6 address",
	TypeIPv4:      "an IPv4 address such as 192.0.2.10",
	TypeIPv6:      "an IPv6 address such as 2001:db8::10",
	TypeCIDR:      "an address with a prefix length such as 192.0.2.10/24",
	TypeIPRange:   "addresses or ranges such as 192.0.2.4-6,192.0.2.9",
	TypeInterface: "a network interface name such as eth0",
}

// zeroValue is the value of a shown, unanswered, optional question.
func zeroValue(typ string) any {
	switch typ {
	case TypeInt, TypePort:
		return int64(0)
	case TypeFloat:
		return float64(0)
	case TypeBoolean:
		return false
	case TypeIP, TypeIPv4, TypeIPv6:
		return netip.Addr{}
	case TypeCIDR:
		return netip.Prefix{}
	case TypeIPRange:
		return []netip.Addr(nil)
	}
	return ""
}

// checkAnswer validates non-empty text against q and returns its typed value. Each problem
// is phrased to follow the question's title: `"192.0.2.300" is not an IPv4 address`.
func checkAnswer(q *Question, text string) (any, []string) {
	if q.Type != TypeMultiline {
		if err := CheckText(text); err != nil {
			return nil, []string{err.Error()}
		}
	}
	var problems []string
	length := utf8.RuneCountInString(text)
	if q.MinLength != nil && length < *q.MinLength {
		problems = append(problems, fmt.Sprintf("%q is %d characters long, shorter than the minimum %d", text, length, *q.MinLength))
	}
	if q.MaxLength != nil && length > *q.MaxLength {
		problems = append(problems, fmt.Sprintf("%q is %d characters long, longer than the maximum %d", text, length, *q.MaxLength))
	}
	if q.ValidChars != "" {
		if bad := charsNotIn(text, q.ValidChars); bad != "" {
			problems = append(problems, fmt.Sprintf("%q contains %q: only the characters %q are allowed", text, bad, q.ValidChars))
		}
	}
	if q.InvalidChars != "" {
		if bad := charsIn(text, q.InvalidChars); bad != "" {
			problems = append(problems, fmt.Sprintf("%q contains %q: the characters %q are not allowed", text, bad, q.InvalidChars))
		}
	}
	value, problem := parseTyped(q, text)
	if problem != "" {
		problems = append(problems, problem)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return value, nil
}

// parseTyped converts text to q's type and checks options and bounds.
func parseTyped(q *Question, text string) (any, string) {
	switch q.Type {
	case TypeString, TypeMultiline, TypePassword:
		return text, ""
	case TypeEnum:
		for _, o := range q.Options {
			if text == o {
				return text, ""
			}
		}
		return nil, fmt.Sprintf("%q is not one of the options %s", text, quoteList(q.Options))
	case TypeInt, TypePort:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			what := "an integer"
			if q.Type == TypePort {
				what = "a port number"
			}
			return nil, fmt.Sprintf("%q is not %s%s", text, what, q.expectation())
		}
		if q.Type == TypePort && n < 0 {
			return nil, fmt.Sprintf("%d is below the minimum 0 (0 disables the port)", n)
		}
		if q.Type == TypePort && n > 65535 {
			return nil, fmt.Sprintf("%d is above the maximum 65535", n)
		}
		if q.Min != nil && n < *q.Min {
			return nil, fmt.Sprintf("%d is below the minimum %d", n, *q.Min)
		}
		if q.Max != nil && n > *q.Max {
			return nil, fmt.Sprintf("%d is above the maximum %d", n, *q.Max)
		}
		return n, ""
	case TypeFloat:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Sprintf("%q is not a finite number", text)
		}
		lo, hi := q.bounds()
		if f < lo {
			return nil, fmt.Sprintf("%s is below the minimum %s", text, formatBound(lo))
		}
		if f > hi {
			return nil, fmt.Sprintf("%s is above the maximum %s", text, formatBound(hi))
		}
		return f, ""
	case TypeBoolean:
		b, ok := parseBool(text)
		if !ok {
			return nil, fmt.Sprintf("%q is not a boolean: use true or false (yes/no and 1/0 are accepted)", text)
		}
		return b, ""
	case TypeDate:
		if _, err := time.Parse(time.DateOnly, text); err != nil {
			return nil, fmt.Sprintf("%q is not a date: use YYYY-MM-DD, e.g. 2026-01-31", text)
		}
		return text, ""
	case TypeHostname:
		if problem := hostnameProblem(text); problem != "" {
			return nil, fmt.Sprintf("%q is not a host name: %s", text, problem)
		}
		return text, ""
	case TypeInterface:
		if problem := interfaceProblem(text); problem != "" {
			return nil, fmt.Sprintf("%q is not a network interface name: %s", text, problem)
		}
		return text, ""
	case TypeIP, TypeIPv4, TypeIPv6:
		return parseAddr(q.Type, text)
	case TypeCIDR:
		p, err := netip.ParsePrefix(text)
		if err != nil {
			return nil, fmt.Sprintf("%q is not an address with a prefix length: write it like 192.0.2.10/24 or 2001:db8::10/64", text)
		}
		return p, ""
	case TypeIPRange:
		addrs, err := ParseIPRanges(text)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a list of addresses: %v", text, err)
		}
		return addrs, ""
	}
	return nil, fmt.Sprintf("question type %q is unknown", q.Type)
}

// parseAddr parses an address of type ip, ipv4 or ipv6; zones are refused.
func parseAddr(typ, text string) (any, string) {
	a, err := netip.ParseAddr(text)
	switch {
	case typ == TypeIPv4 && (err != nil || !a.Is4()):
		return nil, fmt.Sprintf("%q is not an IPv4 address: write it like 192.0.2.10", text)
	case typ == TypeIPv6 && (err != nil || !a.Is6()):
		return nil, fmt.Sprintf("%q is not an IPv6 address: write it like 2001:db8::10", text)
	case err != nil:
		return nil, fmt.Sprintf("%q is not an IP address: write it like 192.0.2.10 or 2001:db8::10", text)
	case a.Zone() != "":
		return nil, fmt.Sprintf("%q has a zone (%%%s): give the address without it; the interface is a separate setting", text, a.Zone())
	}
	return a, ""
}

// bounds returns the effective value range: the question's min/max, limited for ports to
// 0..65535.
func (q *Question) bounds() (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if q.Type == TypePort {
		lo, hi = 0, 65535
	}
	if q.Min != nil && float64(*q.Min) > lo {
		lo = float64(*q.Min)
	}
	if q.Max != nil && float64(*q.Max) < hi {
		hi = float64(*q.Max)
	}
	return lo, hi
}

// formatBound prints a bound; infinities read as "any".
func formatBound(f float64) string {
	if math.IsInf(f, 0) {
		return "any"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// parseBool accepts true/false, yes/no and 1/0, in any case.
func parseBool(text string) (bool, bool) {
	switch strings.ToLower(text) {
	case "true", "yes", "1":
		return true, true
	case "false", "no", "0":
		return false, true
	}
	return false, false
}

// CheckText refuses text that could change a config's structure when spliced into it: invalid
// UTF-8, control characters (line breaks included) and ForbiddenChars. Spaces are allowed.
// Validate applies it to every answer except multiline ones.
func CheckText(text string) error {
	if problem := unsafeText(text); problem != "" {
		return fmt.Errorf("%q %s", text, problem)
	}
	return nil
}

// unsafeText explains why text fails CheckText, or returns "".
func unsafeText(text string) string {
	if !utf8.ValidString(text) {
		return "is not valid UTF-8"
	}
	for _, r := range text {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			if r == '\n' || r == '\r' {
				return "contains a line break, which could change the config's structure (only multiline answers may)"
			}
			return fmt.Sprintf("contains the control character %U, which could change the config's structure", r)
		}
		if strings.ContainsRune(ForbiddenChars, r) {
			return fmt.Sprintf("contains %q, which could change the config's structure: none of %s may appear", r, ForbiddenChars)
		}
	}
	return ""
}

// charsNotIn returns the first character of text missing from allowed, or "".
func charsNotIn(text, allowed string) string {
	for _, r := range text {
		if !strings.ContainsRune(allowed, r) {
			return string(r)
		}
	}
	return ""
}

// charsIn returns the first character of text present in refused, or "".
func charsIn(text, refused string) string {
	for _, r := range text {
		if strings.ContainsRune(refused, r) {
			return string(r)
		}
	}
	return ""
}

// hostnameProblem checks RFC 1123 host name syntax.
func hostnameProblem(s string) string {
	if len(s) > 253 {
		return fmt.Sprintf("it is %d characters long; the limit is 253", len(s))
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return "it has an empty label (two dots in a row, or a dot at either end)"
		}
		if len(label) > 63 {
			return fmt.Sprintf("label %q is longer than 63 characters", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Sprintf("label %q starts or ends with a hyphen", label)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Sprintf("label %q contains %q; use letters, digits and hyphens", label, r)
			}
		}
	}
	return ""
}

// interfaceProblem checks a Linux interface name as the kernel's dev_valid_name does.
func interfaceProblem(s string) string {
	switch {
	case len(s) > 15:
		return fmt.Sprintf("it is %d bytes long; Linux allows at most 15", len(s))
	case s == "." || s == "..":
		return `"." and ".." are not allowed`
	}
	for _, r := range s {
		if r == '/' || r == ':' || r == ' ' || r > 0x7e {
			return fmt.Sprintf("it contains %q; use printable ASCII without '/', ':' or spaces", r)
		}
	}
	return ""
}

// quoteList prints options as "a", "b", "c".
func quoteList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = strconv.Quote(s)
	}
	return strings.Join(quoted, ", ")
}
