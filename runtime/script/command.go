// Package script runs keepalived-style external commands (vrrp_script checks and notify scripts).
//
// A command is executed directly from its keepalived-tokenised argv (execve, no shell) unless its raw
// text uses shell syntax (pipes, redirections, ;, &&, $VAR, $(…), backticks, globs), in which case it
// runs as /bin/sh -c TEXT. Every run gets its own process group; a run that outlives its timeout (or
// whose context is cancelled) has the whole group sent SIGTERM and, after a grace period, SIGKILL, and
// counts as a failure. Output (stdout and stderr together) is captured up to a bound and logged; the
// rest is drained and discarded so a flooding script cannot block or exhaust memory. Children that
// keep the output pipe open after the script exits cannot hold up the caller: the pipe is abandoned
// after a short drain period.
//
// Script security follows keepalived's enable_script_security: a script that would run as root is
// refused when its file, or any directory on its path, is writable by a non-root user.
package script

import (
	"strings"
)

// Command is one configured script: the raw text from the configuration and its keepalived
// tokenisation (quotes removed, escapes applied). Args may be empty, in which case Text is split
// with POSIX-like quoting rules.
type Command struct {
	Text string
	Args []string
}

// IsZero reports whether no command is configured.
func (c Command) IsZero() bool { return strings.TrimSpace(c.Text) == "" && len(c.Args) == 0 }

// String returns the command as configured, for logs and errors.
func (c Command) String() string {
	if c.Text != "" {
		return c.Text
	}
	return strings.Join(c.Args, " ")
}

// argv returns the words to execute for c when no shell is needed.
func (c Command) argv() []string {
	if len(c.Args) > 0 {
		return c.Args
	}
	return Split(c.Text)
}

// NeedsShell reports whether text uses shell syntax that execve cannot honour: an unquoted pipe,
// redirection, command separator, background &, subshell parenthesis, glob or brace, tilde,
// comment, $ expansion or backtick (also inside double quotes), or a newline.
func NeedsShell(text string) bool {
	inSingle, inDouble := false, false
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case inSingle:
			if ch == '\'' {
				inSingle = false
			}
		case inDouble:
			switch ch {
			case '"':
				inDouble = false
			case '\\':
				i++
			case '$', '`':
				return true
			}
		default:
			switch ch {
			case '\'':
				inSingle = true
			case '"':
				inDouble = true
			case '\\':
				i++
			case '|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?', '[', '{', '~', '#', '\n':
				return true
			}
		}
	}
	return false
}

// Split splits text into words the way a POSIX shell would for a command without expansions:
// whitespace separates words, single quotes are literal, double quotes group (backslash escapes
// " and \ inside them), and a backslash outside quotes escapes the next byte. An unterminated
// quote runs to the end of the text.
func Split(text string) []string {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		inSingl bool
		inDoubl bool
	)
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case inSingl:
			if ch == '\'' {
				inSingl = false
			} else {
				cur.WriteByte(ch)
			}
		case inDoubl:
			switch {
			case ch == '"':
				inDoubl = false
			case ch == '\\' && i+1 < len(text) && (text[i+1] == '"' || text[i+1] == '\\'):
				i++
				cur.WriteByte(text[i])
			default:
				cur.WriteByte(ch)
			}
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			inWord = true
			switch {
			case ch == '\'':
				inSingl = true
			case ch == '"':
				inDoubl = true
			case ch == '\\' && i+1 < len(text):
				i++
				cur.WriteByte(text[i])
			default:
				cur.WriteByte(ch)
			}
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// Quote returns s quoted for /bin/sh so that it is passed as one literal word.
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
