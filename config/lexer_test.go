package config

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func lexLines(t *testing.T, src string) ([]string, Diagnostics) {
	t.Helper()
	rep := &reporter{}
	lx := newLexer(rep, testOpts)
	lx.lexFile("/cfg/x.conf", []byte(src))
	var out []string
	for _, l := range lx.out {
		out = append(out, l.text)
	}
	return out, rep.diags
}

func TestLexer(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"comments", "a b # c\n! whole line\nd \"e # f\" ! g\n", []string{"a b", `d "e # f"`}},
		{"braces split", "x { y z } }", []string{"x", "{", "y z", "}", "}"}},
		{"quoted braces kept", `script "a {b}"`, []string{`script "a {b}"`}},
		{"conditional", "@node1 a\n@other b\n@^other c\n@^node1 d\n", []string{"a", "c"}},
		{"definition", "$X=eth0\ninterface $X\nv ${X}1\nu $Xy\n", []string{"interface eth0", "v eth01", "u $Xy"}},
		{"lazy redefinition", "$A=$B\n$B=1\nx $A\n$B=2\nx $A\n", []string{"x 1", "x 2"}},
		{"undefined kept", "script \"echo $HOME\"\n", []string{`script "echo $HOME"`}},
		{"conditional via definition", "$IF_N=@node1\n$IF_O=@other\n$IF_N a\n$IF_O b\n", []string{"a"}},
		{"multi-line definition", "$M=a \\\nb \\\nc\nx $M\n", []string{"x a", "b", "c"}},
		{"builtins", "h ${_HASH} ${_BANG}\ni ${_INSTANCE}\np ${_PWD}\n", []string{"h # !", "i node1", "p /cfg"}},
		{"env builtin", "e ${_ENV HAVIP_IF} ${_ENV NOPE}.\n", []string{"e eth7 ."}},
		{"seq", "~SEQ(i,1,3) n $i\n", []string{"n 1", "n 2", "n 3"}},
		{"seq end only", "~SEQ(i,2) n $i\n", []string{"n 1", "n 2"}},
		{"seq step", "~SEQ(i,10,-5,0) n $i\n", []string{"n 10", "n 5", "n 0"}},
		{"seq hex", "~SEQx(i,9,11) n $i\n", []string{"n 9", "n a", "n b"}},
		{"name not terminated", "~SEQ(i,1,2) ~SEQ(j,1,2) n $i$j\n", []string{"n $i1", "n $i2", "n $i1", "n $i2"}},
		{"nested seq braces", "~SEQ(i,1,2) ~SEQ(j,1,2) n ${i}${j}\n", []string{"n 11", "n 12", "n 21", "n 22"}},
		{"lst", "~LST(v,a,b) n $v\n", []string{"n a", "n b"}},
		{"lst tuples", "~LST({k,v},{1,x},{2,y}) n $k $v\n", []string{"n 1 x", "n 2 y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := lexLines(t, tc.src)
			if diags.HasErrors() {
				t.Fatalf("errors: %v", diags.Err())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLexerErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"bad seq", "~SEQ(i,x) a\n", `"x" is not an integer`},
		{"seq zero step", "~SEQ(i,1,0,3) a\n", "step must not be 0"},
		{"seq missing paren", "~SEQ(i,1,3 a\n", "missing ')'"},
		{"lst tuple size", "~LST({a,b},{1}) x\n", "tuple of 2 values"},
		{"reserved name", "$_X=1\n", "reserved"},
		{"bad conditional", "@node1\n", "bad conditional"},
		{"long line", strings.Repeat("x", maxLineLength+1), "line too long"},
		{"huge seq", "~SEQ(i,1,100000000) a\n", "generates more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := lexLines(t, tc.src)
			if err := diags.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestTokenisers(t *testing.T) {
	plain := []struct {
		in   string
		want []string
	}{
		{`a  b	c`, []string{"a", "b", "c"}},
		{`script "/bin/x a b" user`, []string{"script", "/bin/x a b", "user"}},
		{`a"b c"`, []string{`a"b`, `c"`}},
	}
	for _, tc := range plain {
		got, err := splitPlain(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitPlain(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	quoted := []struct {
		in   string
		want []string
	}{
		{`notify "/bin/x a" root`, []string{"notify", "/bin/x a", "root"}},
		{`abcd" efg"`, []string{"abcd efg"}},
		{`'it''s' "a\tb" c\ d`, []string{"its", "a\tb", "c d"}},
		{`'no \n escape' "\x41\101\cA\q"`, []string{`no \n escape`, "AA\x01q"}},
		{`"say \"hi\" \\ \043"`, []string{`say "hi" \ #`}},
	}
	for _, tc := range quoted {
		got, err := splitQuotedEscaped(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitQuotedEscaped(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := splitQuotedEscaped(`"open`); err == nil {
		t.Error("unmatched quote accepted")
	}
	for _, s := range []string{"on", "TRUE", "yes"} {
		if v, ok := parseBool(s); !v || !ok {
			t.Errorf("parseBool(%q) = %v, %v", s, v, ok)
		}
	}
	if _, ok := parseBool("2"); ok {
		t.Error("parseBool(2) accepted")
	}
}

func TestInclude(t *testing.T) {
	cfg, diags := Load("testdata/include/main.conf", testOpts)
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	var names []string
	for _, in := range cfg.Instances {
		names = append(names, in.Name+"@"+in.Pos.String())
	}
	want := []string{"VI_A@testdata/include/conf.d/a.conf:1", "VI_B@testdata/include/conf.d/b.conf:2", "VI_MAIN@testdata/include/main.conf:4"}
	for i := range want {
		if !strings.HasSuffix(names[i], want[i][strings.Index(want[i], "@")+1:]) || !strings.HasPrefix(names[i], want[i][:strings.Index(want[i], "@")]) {
			t.Fatalf("instances %q, want %q", names, want)
		}
	}
}

func TestIncludeInputs(t *testing.T) {
	cfg, _ := Load("testdata/include/main.conf", testOpts)
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	got := cfg.Inputs()
	wantFiles := []string{abs("testdata/include/main.conf"), abs("testdata/include/conf.d/a.conf"), abs("testdata/include/conf.d/b.conf")}
	if !slices.Equal(got.Files, wantFiles) {
		t.Errorf("Files = %q, want %q", got.Files, wantFiles)
	}
	// include conf.d/{a,b}.conf and conf.d/missing-*.conf, which matches nothing yet.
	wantPatterns := []string{abs("testdata/include/conf.d/a.conf"), abs("testdata/include/conf.d/b.conf"), abs("testdata/include/conf.d/missing-*.conf")}
	if !slices.Equal(got.Patterns, wantPatterns) {
		t.Errorf("Patterns = %q, want %q", got.Patterns, wantPatterns)
	}
	again, _ := ParseBytes("other.conf", Format(cfg), testOpts)
	if !cfg.Equal(again) {
		t.Error("configs read from different files are not Equal: Inputs must not be part of the model")
	}
}
