package catalog

import (
	"fmt"
	"strings"
)

// Question types. The first nine are Rancher's; the rest are havip's address and name types.
const (
	TypeString    = "string"    // one line of text
	TypeMultiline = "multiline" // free text; the only type that may hold newlines and config syntax
	TypePassword  = "password"  // one line of text, shown masked
	TypeEnum      = "enum"      // one of Options
	TypeInt       = "int"       // a decimal integer (int64), bounded by Min/Max
	TypeFloat     = "float"     // a finite decimal number (float64), bounded by Min/Max
	TypeBoolean   = "boolean"   // true/false; yes/no and 1/0 are normalised (bool)
	TypeDate      = "date"      // YYYY-MM-DD (string)
	TypeHostname  = "hostname"  // an RFC 1123 host name (string)
	TypeIP        = "ip"        // an IPv4 or IPv6 address (netip.Addr)
	TypeIPv4      = "ipv4"      // an IPv4 address (netip.Addr)
	TypeIPv6      = "ipv6"      // an IPv6 address (netip.Addr)
	TypeCIDR      = "cidr"      // an address with a prefix length, e.g. 192.0.2.10/24 (netip.Prefix)
	TypeIPRange   = "iprange"   // addresses and ranges, see ParseIPRanges ([]netip.Addr)
	TypeInterface = "interface" // a Linux network interface name (string)
	TypePort      = "port"      // 0..65535, 0 meaning disabled (int64)
)

// questionTypes lists every type Validate understands, in documentation order.
var questionTypes = []string{
	TypeString, TypeMultiline, TypePassword, TypeEnum, TypeInt, TypeFloat, TypeBoolean, TypeDate,
	TypeHostname, TypeIP, TypeIPv4, TypeIPv6, TypeCIDR, TypeIPRange, TypeInterface, TypePort,
}

// Question is one question of a catalog version (Rancher 1.x `.catalog.questions` or Rancher 2
// questions.yml). Defaults are strings, as in Rancher.
type Question struct {
	Variable    string
	Label       string
	Description string
	Type        string // one of the Type* constants; "" in the file means string
	Required    bool
	Default     string
	Group       string
	Min, Max    *int64 // value bounds for int, float and port
	MinLength   *int   // length bounds, in characters, of the answer text
	MaxLength   *int
	Options     []string // the allowed answers of an enum
	// ValidChars, when set, lists every character an answer may contain;
	// InvalidChars lists characters it may not contain.
	ValidChars   string
	InvalidChars string
	// ShowIf hides the question unless every `var=value` term (joined by `&&`) holds.
	ShowIf string
	// Env is havip's extension (`env:` in YAML): the environment variable of the template's
	// contract that supplies this answer, e.g. VIRTUAL_IP for virtual_ip. Rancher ignores it.
	Env string
	// Subquestions are shown when this question's answer equals ShowSubquestionIf.
	Subquestions      []Question
	ShowSubquestionIf string
}

// title names a question for an operator: `virtual_ip ("Virtual IP")`.
func (q *Question) title() string {
	if q.Label == "" {
		return q.Variable
	}
	return fmt.Sprintf("%s (%q)", q.Variable, q.Label)
}

// knownType reports whether t is one of the Type* constants.
func knownType(t string) bool {
	for _, known := range questionTypes {
		if t == known {
			return true
		}
	}
	return false
}

// hasBounds reports whether Min and Max apply to questions of type t.
func hasBounds(t string) bool {
	return t == TypeInt || t == TypeFloat || t == TypePort
}

// condition is one `var=value` term of a show_if expression.
type condition struct {
	Variable, Value string
}

// parseShowIf parses `var=value [&& var=value]…`. An empty expression has no terms.
func parseShowIf(expr string) ([]condition, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	var conds []condition
	for _, term := range strings.Split(expr, "&&") {
		term = strings.TrimSpace(term)
		name, value, ok := strings.Cut(term, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || !validVariableName(name) {
			return nil, fmt.Errorf("show_if %q: term %q is not of the form variable=value (terms are joined with &&)", expr, term)
		}
		conds = append(conds, condition{name, value})
	}
	return conds, nil
}

// validVariableName accepts Rancher variable names: a letter or underscore, then letters,
// digits, underscores, dots (Rancher 2 value paths) or hyphens.
func validVariableName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '.' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// validEnvName accepts POSIX environment variable names.
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}
