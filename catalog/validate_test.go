package catalog

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// one builds a version holding the single question q.
func one(q Question) *Version {
	return &Version{Folder: "0", Version: "0", Questions: []Question{q}}
}

func TestValidateTypes(t *testing.T) {
	tests := []struct {
		typ    string
		answer string
		want   any    // the typed value when valid
		err    string // the exact error otherwise
	}{
		{TypeString, "eth0 label", "eth0 label", ""},
		{TypeString, "a{b", nil, `x ("X"): "a{b" contains '{', which could change the config's structure: none of {}"'#!$@~\ may appear`},
		{TypeString, "a\nb", nil, `x ("X"): "a\nb" contains a line break, which could change the config's structure (only multiline answers may)`},
		{TypeString, "a\tb", nil, `x ("X"): "a\tb" contains the control character U+0009, which could change the config's structure`},
		{TypeString, "a\u0085b", nil, `x ("X"): "a\u0085b" contains the control character U+0085, which could change the config's structure`},
		{TypeString, "\xff", nil, `x ("X"): "\xff" is not valid UTF-8`},
		{TypeMultiline, "line 1\nline {2} # $x", "line 1\nline {2} # $x", ""},
		{TypePassword, "s3cret pass", "s3cret pass", ""},
		{TypePassword, "pa$$", nil, `x ("X"): "pa$$" contains '$', which could change the config's structure: none of {}"'#!$@~\ may appear`},
		{TypeInt, "42", int64(42), ""},
		{TypeInt, "-7", int64(-7), ""},
		{TypeInt, "4.2", nil, `x ("X"): "4.2" is not an integer: a number from any to any`},
		{TypeFloat, "0.5", 0.5, ""},
		{TypeFloat, "NaN", nil, `x ("X"): "NaN" is not a finite number`},
		{TypeFloat, "abc", nil, `x ("X"): "abc" is not a finite number`},
		{TypeBoolean, "true", true, ""},
		{TypeBoolean, "No", false, ""},
		{TypeBoolean, "1", true, ""},
		{TypeBoolean, "0", false, ""},
		{TypeBoolean, "yes", true, ""},
		{TypeBoolean, "maybe", nil, `x ("X"): "maybe" is not a boolean: use true or false (yes/no and 1/0 are accepted)`},
		{TypeDate, "2026-11-22", "2026-11-22", ""},
		{TypeDate, "2026-02-30", nil, `x ("X"): "2026-02-30" is not a date: use YYYY-MM-DD, e.g. 2026-01-31`},
		{TypeHostname, "node-1.example.com", "node-1.example.com", ""},
		{TypeHostname, "-node", nil, `x ("X"): "-node" is not a host name: label "-node" starts or ends with a hyphen`},
		{TypeHostname, "a..b", nil, `x ("X"): "a..b" is not a host name: it has an empty label (two dots in a row, or a dot at either end)`},
		{TypeHostname, "a_b", nil, `x ("X"): "a_b" is not a host name: label "a_b" contains '_'; use letters, digits and hyphens`},
		{TypeHostname, strings.Repeat("a", 64), nil, `x ("X"): "` + strings.Repeat("a", 64) + `" is not a host name: label "` + strings.Repeat("a", 64) + `" is longer than 63 characters`},
		{TypeIP, "192.0.2.1", netip.MustParseAddr("192.0.2.1"), ""},
		{TypeIP, "2001:db8::1", netip.MustParseAddr("2001:db8::1"), ""},
		{TypeIP, "fe80::1%eth0", nil, `x ("X"): "fe80::1%eth0" has a zone (%eth0): give the address without it; the interface is a separate setting`},
		{TypeIP, "host", nil, `x ("X"): "host" is not an IP address: write it like 192.0.2.10 or 2001:db8::10`},
		{TypeIPv4, "192.0.2.300", nil, `x ("X"): "192.0.2.300" is not an IPv4 address: write it like 192.0.2.10`},
		{TypeIPv4, "2001:db8::1", nil, `x ("X"): "2001:db8::1" is not an IPv4 address: write it like 192.0.2.10`},
		{TypeIPv4, "::ffff:192.0.2.1", nil, `x ("X"): "::ffff:192.0.2.1" is not an IPv4 address: write it like 192.0.2.10`},
		{TypeIPv6, "2001:db8::1", netip.MustParseAddr("2001:db8::1"), ""},
		{TypeIPv6, "192.0.2.1", nil, `x ("X"): "192.0.2.1" is not an IPv6 address: write it like 2001:db8::10`},
		{TypeCIDR, "192.0.2.10/24", netip.MustParsePrefix("192.0.2.10/24"), ""},
		{TypeCIDR, "2001:db8::10/64", netip.MustParsePrefix("2001:db8::10/64"), ""},
		{TypeCIDR, "192.0.2.10", nil, `x ("X"): "192.0.2.10" is not an address with a prefix length: write it like 192.0.2.10/24 or 2001:db8::10/64`},
		{TypeCIDR, "192.0.2.10/33", nil, `x ("X"): "192.0.2.10/33" is not an address with a prefix length: write it like 192.0.2.10/24 or 2001:db8::10/64`},
		{TypeIPRange, "192.0.2.4-5, 192.0.2.9", []netip.Addr{netip.MustParseAddr("192.0.2.4"), netip.MustParseAddr("192.0.2.5"), netip.MustParseAddr("192.0.2.9")}, ""},
		{TypeIPRange, "192.0.2.6-4", nil, `x ("X"): "192.0.2.6-4" is not a list of addresses: "192.0.2.6-4": the range ends below its start`},
		{TypeInterface, "eth0", "eth0", ""},
		{TypeInterface, "enp0s31f6.100", "enp0s31f6.100", ""},
		{TypeInterface, "averyverylongname", nil, `x ("X"): "averyverylongname" is not a network interface name: it is 17 bytes long; Linux allows at most 15`},
		{TypeInterface, "eth0:1", nil, `x ("X"): "eth0:1" is not a network interface name: it contains ':'; use printable ASCII without '/', ':' or spaces`},
		{TypeInterface, "a/b", nil, `x ("X"): "a/b" is not a network interface name: it contains '/'; use printable ASCII without '/', ':' or spaces`},
		{TypeInterface, "eth 0", nil, `x ("X"): "eth 0" is not a network interface name: it contains ' '; use printable ASCII without '/', ':' or spaces`},
		{TypeInterface, "..", nil, `x ("X"): ".." is not a network interface name: "." and ".." are not allowed`},
		{TypePort, "0", int64(0), ""},
		{TypePort, "65535", int64(65535), ""},
		{TypePort, "70000", nil, `x ("X"): 70000 is above the maximum 65535`},
		{TypePort, "-1", nil, `x ("X"): -1 is below the minimum 0 (0 disables the port)`},
		{TypePort, "http", nil, `x ("X"): "http" is not a port number: a number from 0 to 65535`},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.answer, func(t *testing.T) {
			v := one(Question{Variable: "x", Label: "X", Type: tt.typ})
			got, err := v.Validate(map[string]string{"x": tt.answer})
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v\nwant    %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got["x"], tt.want) {
				t.Errorf("value = %#v (%T), want %#v (%T)", got["x"], got["x"], tt.want, tt.want)
			}
		})
	}
}

func TestValidateConstraints(t *testing.T) {
	tests := []struct {
		name   string
		q      Question
		answer string
		err    string // "" when valid
	}{
		{"int min ok", Question{Type: TypeInt, Min: ptr(int64(1))}, "1", ""},
		{"int below min", Question{Type: TypeInt, Min: ptr(int64(1)), Max: ptr(int64(255))}, "0", `vrid ("VRID"): 0 is below the minimum 1`},
		{"int above max", Question{Type: TypeInt, Min: ptr(int64(1)), Max: ptr(int64(255))}, "256", `vrid ("VRID"): 256 is above the maximum 255`},
		{"port narrowed by max", Question{Type: TypePort, Max: ptr(int64(1024))}, "1025", `vrid ("VRID"): 1025 is above the maximum 1024`},
		{"port narrowed by min", Question{Type: TypePort, Min: ptr(int64(1))}, "0", `vrid ("VRID"): 0 is below the minimum 1`},
		{"float above max", Question{Type: TypeFloat, Max: ptr(int64(2))}, "2.5", `vrid ("VRID"): 2.5 is above the maximum 2`},
		{"float below min", Question{Type: TypeFloat, Min: ptr(int64(0))}, "-0.1", `vrid ("VRID"): -0.1 is below the minimum 0`},
		{"min length", Question{MinLength: ptr(3)}, "ab", `vrid ("VRID"): "ab" is 2 characters long, shorter than the minimum 3`},
		{"max length counts characters", Question{MaxLength: ptr(3)}, "äöü", ""},
		{"max length", Question{MaxLength: ptr(3)}, "abcd", `vrid ("VRID"): "abcd" is 4 characters long, longer than the maximum 3`},
		{"valid chars", Question{ValidChars: "abc"}, "abd", `vrid ("VRID"): "abd" contains "d": only the characters "abc" are allowed`},
		{"valid chars ok", Question{ValidChars: "abc"}, "cab", ""},
		{"invalid chars", Question{InvalidChars: " ,"}, "a,b", `vrid ("VRID"): "a,b" contains ",": the characters " ," are not allowed`},
		{"enum ok", Question{Type: TypeEnum, Options: []string{"MASTER", "BACKUP"}}, "BACKUP", ""},
		{"enum not an option", Question{Type: TypeEnum, Options: []string{"MASTER", "BACKUP"}}, "master", `vrid ("VRID"): "master" is not one of the options "MASTER", "BACKUP"`},
		{"several constraints at once", Question{MaxLength: ptr(2), InvalidChars: "x"}, "xyz",
			`vrid ("VRID"): "xyz" is 3 characters long, longer than the maximum 2` + "\n" + `vrid ("VRID"): "xyz" contains "x": the characters "x" are not allowed`},
		{"safety rule first", Question{MaxLength: ptr(2)}, "a}bc", `vrid ("VRID"): "a}bc" contains '}', which could change the config's structure: none of {}"'#!$@~\ may appear`},
		{"no label", Question{Label: "-", Type: TypeInt}, "x", `vrid: "x" is not an integer: a number from any to any`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Variable, q.Label = "vrid", "VRID"
			if tt.q.Label == "-" {
				q.Label = ""
			}
			if q.Type == "" {
				q.Type = TypeString
			}
			_, err := one(q).Validate(map[string]string{"vrid": tt.answer})
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.err != "" && (err == nil || err.Error() != tt.err):
				t.Fatalf("error = %v\nwant    %s", err, tt.err)
			}
		})
	}
}

func TestValidateDefaultsAndZeroValues(t *testing.T) {
	v := &Version{Questions: []Question{
		{Variable: "port", Type: TypePort, Default: "80"},
		{Variable: "s", Type: TypeString},
		{Variable: "n", Type: TypeInt},
		{Variable: "f", Type: TypeFloat},
		{Variable: "b", Type: TypeBoolean},
		{Variable: "a", Type: TypeIP},
		{Variable: "p", Type: TypeCIDR},
		{Variable: "r", Type: TypeIPRange},
		{Variable: "e", Type: TypeEnum, Options: []string{"x"}},
	}}
	got, err := v.Validate(map[string]string{"s": "", "port": ""}) // empty answers count as none
	if err != nil {
		t.Fatal(err)
	}
	want := Values{"port": int64(80), "s": "", "n": int64(0), "f": float64(0), "b": false, "a": netip.Addr{},
		"p": netip.Prefix{}, "r": []netip.Addr(nil), "e": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v\nwant     %#v", got, want)
	}
}

func TestValidateAggregatesEverything(t *testing.T) {
	v := &Version{Questions: []Question{
		{Variable: "virtual_ip", Label: "Virtual IP", Type: TypeIPv4, Required: true},
		{Variable: "check_port", Label: "Check port", Type: TypePort},
		{Variable: "interface", Label: "Interface", Type: TypeInterface, Required: true, Env: "INTERFACE"},
		{Variable: "vrid", Label: "VRID", Type: TypeInt, Min: ptr(int64(1)), Max: ptr(int64(255)), Required: true, Default: "51"},
	}}
	_, err := v.Validate(map[string]string{"virtual_ip": "192.0.2.300", "check_port": "70000", "vrdi": "5"})
	want := []string{
		`vrdi: unknown variable (answer "5"): this version's variables are check_port, interface, virtual_ip, vrid`,
		`virtual_ip ("Virtual IP"): "192.0.2.300" is not an IPv4 address: write it like 192.0.2.10`,
		`check_port ("Check port"): 70000 is above the maximum 65535`,
		`interface ("Interface"): an answer is required: a network interface name such as eth0 (or set the environment variable INTERFACE)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("error =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 4 {
		t.Errorf("want 4 joined errors, got %#v", err)
	}
}

func TestValidateShowIf(t *testing.T) {
	v := &Version{Questions: []Question{
		{Variable: "mode", Type: TypeEnum, Options: []string{"multicast", "unicast"}, Default: "multicast"},
		{Variable: "tls", Type: TypeBoolean, Default: "no"},
		{Variable: "peers", Type: TypeIPRange, Required: true, ShowIf: "mode=unicast"},
		{Variable: "src", Type: TypeIP, Required: true, ShowIf: "mode=unicast && tls=true"},
		{Variable: "group", Type: TypeIPv4, ShowIf: "mode=multicast", Default: "224.0.0.18"},
		{Variable: "after_hidden", Type: TypeString, ShowIf: "peers=", Default: "x"},
		{Variable: "auth", Type: TypeBoolean, ShowSubquestionIf: "true", Subquestions: []Question{
			{Variable: "pass", Type: TypePassword, Required: true},
			{Variable: "pass_hint", Type: TypeString, ShowIf: "mode=unicast"},
		}},
	}}
	tests := []struct {
		name    string
		answers map[string]string
		present []string // sorted keys of the values
		err     string
	}{
		{"defaults hide unicast questions", nil, []string{"after_hidden", "auth", "group", "mode", "tls"}, ""},
		{"hidden answers are ignored", map[string]string{"peers": "not an address"}, []string{"after_hidden", "auth", "group", "mode", "tls"}, ""},
		{"shown required question", map[string]string{"mode": "unicast"}, nil, `peers: an answer is required: addresses or ranges such as 192.0.2.4-6,192.0.2.9`},
		{"conjunction", map[string]string{"mode": "unicast", "peers": "192.0.2.2", "tls": "yes", "src": "192.0.2.1"},
			[]string{"auth", "mode", "peers", "src", "tls"}, ""},
		{"conjunction normalises booleans", map[string]string{"mode": "unicast", "peers": "192.0.2.2", "tls": "1"}, nil, `src: an answer is required: an IPv4 or IPv6 address`},
		{"subquestions shown", map[string]string{"auth": "true", "pass": "x"}, []string{"after_hidden", "auth", "group", "mode", "pass", "tls"}, ""},
		{"subquestion required", map[string]string{"auth": "yes"}, nil, `pass: an answer is required: one line of text`},
		{"subquestion with its own show_if", map[string]string{"auth": "1", "pass": "x", "mode": "unicast", "peers": "192.0.2.2"},
			[]string{"auth", "mode", "pass", "pass_hint", "peers", "tls"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Validate(tt.answers)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v\nwant    %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if keys := strings.Join(sortedKeys(got), ","); keys != strings.Join(tt.present, ",") {
				t.Errorf("values present = %s, want %s", keys, strings.Join(tt.present, ","))
			}
		})
	}
}

func TestEnvAnswers(t *testing.T) {
	v := &Version{Questions: []Question{
		{Variable: "virtual_ip", Env: "VIRTUAL_IP"},
		{Variable: "check_port", Env: "CHECK_PORT"},
		{Variable: "other"},
		{Variable: "auth", Subquestions: []Question{{Variable: "pass", Env: "AUTH_PASS"}}},
	}}
	env := map[string]string{"VIRTUAL_IP": "192.0.2.10", "AUTH_PASS": "x", "OTHER": "y", "CHECK_PORT": ""}
	got := v.EnvAnswers(func(k string) (string, bool) { s, ok := env[k]; return s, ok })
	want := map[string]string{"virtual_ip": "192.0.2.10", "pass": "x", "check_port": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EnvAnswers = %v, want %v", got, want)
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct{ in, err string }{
		{"eth0", ""},
		{"192.0.2.10/24 dev eth0", ""},
		{"ünïcode", ""},
		{"a;b", ""},
		{"a~b", `"a~b" contains '~', which could change the config's structure: none of {}"'#!$@~\ may appear`},
		{"a@b", `"a@b" contains '@', which could change the config's structure: none of {}"'#!$@~\ may appear`},
		{`a\`, `"a\\" contains '\\', which could change the config's structure: none of {}"'#!$@~\ may appear`},
		{"a\rb", `"a\rb" contains a line break, which could change the config's structure (only multiline answers may)`},
		{"a\x7fb", `"a\x7fb" contains the control character U+007F, which could change the config's structure`},
	}
	for _, tt := range tests {
		err := CheckText(tt.in)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
			t.Errorf("CheckText(%q) = %v, want %q", tt.in, err, tt.err)
		}
	}
}
