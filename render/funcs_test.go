package render

import (
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/havip/havip/catalog"
)

func TestRemovedFuncsAreAbsent(t *testing.T) {
	var warnings []string
	fm := funcs(Facts{Hostname: "node"}, &warnings)
	full := sprig.TxtFuncMap()
	for reason, names := range removedFuncs {
		for _, name := range names {
			t.Run(reason+"/"+name, func(t *testing.T) {
				if _, ok := full[name]; !ok {
					t.Fatalf("%s is not a sprig function: the list is stale", name)
				}
				if _, ok := fm[name]; ok {
					t.Fatalf("%s is still available to templates", name)
				}
				_, err := template.New("t").Funcs(fm).Parse("{{ " + name + " }}")
				if err == nil || !strings.Contains(err.Error(), "not defined") {
					t.Fatalf("a template calling %s parsed: %v", name, err)
				}
			})
		}
	}
}

func TestKeptFuncs(t *testing.T) {
	var warnings []string
	fm := funcs(Facts{Hostname: "node"}, &warnings)
	for _, name := range []string{"add", "trunc", "printf", "list", "hasKey", "default", "join", "fail",
		"confQuote", "tcpProbe", "splitFamilies", "groupVIPs", "assignVRIDs", "vridList", "nodePriority",
		"failoverPriority", "peersFor", "preemption", "scrubName", "warn", "addr", "distinct", "checkAddress"} {
		if name == "printf" {
			continue // a text/template builtin
		}
		if _, ok := fm[name]; !ok {
			t.Errorf("template function %s is missing", name)
		}
	}
}

func TestCheckConfigText(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"eth0", true},
		{"/usr/bin/pidof haproxy", true},
		{"192.0.2.1-3,2001:db8::1", true},
		{"ünïcode", true},
		{"", true},
		{"a\nb", false},
		{"a\rb", false},
		{"a\tb", false},
		{"a\x00b", false},
		{"a\x7fb", false},
		{"a\u0085b", false},
		{"x } vrrp_instance y {", false},
		{`say "hi"`, false},
		{"it's", false},
		{"a # comment", false},
		{"a ! comment", false},
		{"$MACRO", false},
		{"@node line", false},
		{"~SEQ(x,1,2)", false},
		{`back\slash`, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if err := catalog.CheckText(tt.in); (err == nil) != tt.ok {
				t.Fatalf("catalog.CheckText(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
}

func TestTemplateHelpers(t *testing.T) {
	tests := []struct {
		name, tmpl, want, wantErr string
		facts                     Facts
		wantWarning               string
	}{
		{"confQuote", `{{ confQuote "/bin/x a" }}`, `"/bin/x a"`, "", Facts{}, ""},
		{"confQuote refuses a quote", `{{ confQuote "a\"b" }}`, "", `cannot quote "a\"b"`, Facts{}, ""},
		{"fail is undecorated", `{{ fail "boom" }}`, "", "boom", Facts{}, ""},
		{"nodePriority from the address", `{{ nodePriority 4 nil }}`, "105", "", Facts{Hostname: "n", Addresses: addrs(t, "192.0.2.5")}, ""},
		{"nodePriority falls back to the host name", `{{ nodePriority 6 nil }}`, strconv.Itoa(HostnamePriority("n")), "",
			Facts{Hostname: "n", Addresses: addrs(t, "192.0.2.5")}, "node n has no IPv6 address"},
		{"checkAddress prefers IPv4", `{{ checkAddress }}`, "192.0.2.5", "", Facts{Addresses: addrs(t, "2001:db8::5", "192.0.2.5")}, ""},
		{"checkAddress falls back to IPv6", `{{ checkAddress }}`, "2001:db8::5", "", Facts{Addresses: addrs(t, "2001:db8::5")}, ""},
		{"checkAddress falls back to loopback", `{{ checkAddress }}`, "127.0.0.1", "", Facts{Hostname: "n"}, "the TCP check connects to 127.0.0.1"},
		{"failoverPriority", `{{ failoverPriority 1 2 }}`, "254", "", Facts{Addresses: addrs(t, "192.0.2.3")}, ""},
		{"vridList error", `{{ vridList "300" }}`, "", `excluded VRID "300"`, Facts{}, ""},
		{"addr", `{{ addr "2001:db8::1" }}`, "2001:db8::1", "", Facts{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warnings []string
			out, err := execute("test", []byte(tt.tmpl), templateData{}, tt.facts, &warnings)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr && !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantWarning == "" && len(warnings) != 0:
				t.Fatalf("unexpected warnings %q", warnings)
			case tt.wantWarning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.wantWarning)):
				t.Fatalf("warnings = %q, want one containing %q", warnings, tt.wantWarning)
			}
		})
	}
}

func TestTidy(t *testing.T) {
	in := "\n\n  \nglobal_defs {   \n\n\n    x\t\n}\n\n\n"
	want := "global_defs {\n\n    x\n}\n"
	if got := string(tidy([]byte(in))); got != want {
		t.Fatalf("tidy = %q, want %q", got, want)
	}
}
