package config

import (
	"fmt"
	"strconv"
	"strings"
)

// splitPlain is keepalived's default tokeniser (alloc_strvec_r): tokens
// are separated by blanks; a token starting with '"' runs to the next '"'
// with the quotes removed and blanks kept.
func splitPlain(s string) ([]string, error) {
	toks, _, err := plainTokens(s)
	return toks, err
}

// plainTokens splits s as splitPlain does and also returns where each token
// starts in s (at its opening quote for a quoted one).
func plainTokens(s string) (toks []string, starts []int, err error) {
	i := 0
	for i < len(s) {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return toks, starts, fmt.Errorf("unmatched '\"' in %q", s)
			}
			toks, starts = append(toks, s[i+1:i+1+j]), append(starts, i)
			i += j + 2
			continue
		}
		j := i
		for j < len(s) && !isBlank(s[j]) {
			j++
		}
		toks, starts = append(toks, s[i:j]), append(starts, i)
		i = j
	}
	return toks, starts, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// splitQuotedEscaped is keepalived's script tokeniser
// (alloc_strvec_quoted_escaped): both quote kinds, adjacent quoted and
// unquoted parts concatenate, and shell-like escapes are decoded outside
// single quotes: \a \b \E \f \n \r \t \v \nnn (octal) \xHH \cC, and \C is a
// literal C.
func splitQuotedEscaped(s string) ([]string, error) {
	var toks []string
	var cur strings.Builder
	inToken := false
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isBlank(c):
			if inToken {
				toks = append(toks, cur.String())
				cur.Reset()
				inToken = false
			}
			i++
		case c == '\'' || c == '"':
			j := closingQuote(s[i+1:], c)
			if j < 0 {
				return toks, fmt.Errorf("unmatched %c in %q", c, s)
			}
			part := s[i+1 : i+1+j]
			if c == '"' {
				var err error
				if part, err = unescape(part); err != nil {
					return toks, err
				}
			}
			cur.WriteString(part)
			inToken = true
			i += j + 2
		case c == '\\':
			n, decoded, err := escape(s[i:])
			if err != nil {
				return toks, err
			}
			cur.WriteString(decoded)
			inToken = true
			i += n
		default:
			cur.WriteByte(c)
			inToken = true
			i++
		}
	}
	if inToken {
		toks = append(toks, cur.String())
	}
	return toks, nil
}

// closingQuote returns the index of the quote ending s, skipping
// backslash escapes inside double quotes; -1 if there is none.
func closingQuote(s string, quote byte) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == quote:
			return i
		case s[i] == '\\' && quote == '"':
			i++
		}
	}
	return -1
}

// unescape decodes every escape in s.
func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n, d, err := escape(s[i:])
		if err != nil {
			return "", err
		}
		b.WriteString(d)
		i += n
	}
	return b.String(), nil
}

// escape decodes the escape sequence at the start of s (s[0] == '\\') and
// returns how many bytes it used.
func escape(s string) (int, string, error) {
	if len(s) < 2 {
		return len(s), "", nil // a trailing backslash is dropped
	}
	switch c := s[1]; c {
	case 'a':
		return 2, "\a", nil
	case 'b':
		return 2, "\b", nil
	case 'E':
		return 2, "\x1b", nil
	case 'f':
		return 2, "\f", nil
	case 'n':
		return 2, "\n", nil
	case 'r':
		return 2, "\r", nil
	case 't':
		return 2, "\t", nil
	case 'v':
		return 2, "\v", nil
	case 'x':
		j := 2
		for j < len(s) && j < 4 && isHex(s[j]) {
			j++
		}
		if j == 2 {
			return 0, "", fmt.Errorf("\\x must be followed by hex digits in %q", s)
		}
		v, _ := strconv.ParseUint(s[2:j], 16, 8)
		return j, string([]byte{byte(v)}), nil
	case 'c':
		if len(s) < 3 {
			return 0, "", fmt.Errorf("\\c must be followed by a character")
		}
		return 3, string([]byte{s[2] & 0x1f}), nil
	default:
		if c >= '0' && c <= '7' {
			j := 1
			for j < len(s) && j < 4 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[1:j], 8, 16)
			return j, string([]byte{byte(v)}), nil
		}
		return 2, s[1:2], nil
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseBool parses keepalived's BOOL values.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "on", "true", "yes":
		return true, true
	case "off", "false", "no":
		return false, true
	}
	return false, false
}
