package script

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestNeedsShell(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"/usr/bin/check", false},
		{"/usr/bin/check --port 80 -v", false},
		{`/bin/bash -c '</dev/tcp/192.0.2.1/80'`, false},
		{`/bin/echo "a | b"`, false},
		{`/bin/echo a\|b`, false},
		{"pidof nginx | wc -l", true},
		{"check > /tmp/out", true},
		{"check < /tmp/in", true},
		{"a && b", true},
		{"a; b", true},
		{"a &", true},
		{"echo $(date)", true},
		{"echo `date`", true},
		{`echo "$HOME"`, true},
		{"echo $HOME", true},
		{"ls /tmp/*.sh", true},
		{"ls /tmp/?", true},
		{"ls /tmp/[ab]", true},
		{"echo {a,b}", true},
		{"cat ~/x", true},
		{"(cd /; ls)", true},
		{"a\nb", true},
		{"check # comment", true},
		{`echo '$HOME'`, false},
		{"", false},
	}
	for _, tt := range tests {
		if got := NeedsShell(tt.text); got != tt.want {
			t.Errorf("NeedsShell(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"/bin/true", []string{"/bin/true"}},
		{"  a   b\tc ", []string{"a", "b", "c"}},
		{`a "b c" d`, []string{"a", "b c", "d"}},
		{`a 'b "c"' d`, []string{"a", `b "c"`, "d"}},
		{`a "b \"c\" \\ \x"`, []string{"a", `b "c" \ \x`}},
		{`a\ b c`, []string{"a b", "c"}},
		{`ab"cd"'ef'`, []string{"abcdef"}},
		{`a ""`, []string{"a", ""}},
		{`a "unterminated b`, []string{"a", "unterminated b"}},
	}
	for _, tt := range tests {
		if got := Split(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Split(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestArgv(t *testing.T) {
	tests := []struct {
		name      string
		cmd       Command
		extra     []string
		want      []string
		wantShell bool
	}{
		{"tokenised args win", Command{Text: `/x "a b"`, Args: []string{"/x", "a b"}}, []string{"INSTANCE"}, []string{"/x", "a b", "INSTANCE"}, false},
		{"text split when no args", Command{Text: `/x 'a b'`}, nil, []string{"/x", "a b"}, false},
		{"shell text gets quoted extras", Command{Text: "a | b"}, []string{"VI 1", "MASTER"}, []string{"/bin/sh", "-c", "a | b 'VI 1' MASTER"}, true},
	}
	for _, tt := range tests {
		got, shell := Argv(tt.cmd, tt.extra...)
		if !reflect.DeepEqual(got, tt.want) || shell != tt.wantShell {
			t.Errorf("%s: Argv = %q, %v; want %q, %v", tt.name, got, shell, tt.want, tt.wantShell)
		}
	}
}

func TestQuoteRoundTripsThroughShell(t *testing.T) {
	words := []string{"plain", "", "with space", "it's", `"dq"`, "$HOME", "`x`", "a\nb", "*", `back\slash`}
	var text strings.Builder
	text.WriteString("printf '%s\\0'")
	for _, w := range words {
		text.WriteString(" " + Quote(w))
	}
	out, err := exec.Command("/bin/sh", "-c", text.String()).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", text.String(), err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if !reflect.DeepEqual(got, words) {
		t.Fatalf("shell saw %q, want %q", got, words)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"", "a b", `a "b c"`, `'x'"y"\ z`, "a\\", `"unterminated`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := Split(s)
		if plainWords(s) {
			if want := strings.Fields(s); !reflect.DeepEqual(words, want) && !(len(words) == 0 && len(want) == 0) {
				t.Fatalf("Split(%q) = %q, want %q", s, words, want)
			}
		}
		for _, w := range words {
			if len(w) > len(s) {
				t.Fatalf("word %q longer than input %q", w, s)
			}
		}
	})
}

// plainWords reports whether s holds only printable ASCII without quotes or backslashes, plus the
// separators Split recognises, so that Split must agree with strings.Fields.
func plainWords(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\'' || c == '\\' || (c < 0x21 || c > 0x7e) && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
