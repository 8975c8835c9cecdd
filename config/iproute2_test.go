package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/config/iproute2"
	"golang.org/x/sys/unix"
)

// useIproute2Names points the iproute2 name databases at a fresh directory holding files
// (relative path → content), for the rest of the test.
func useIproute2Names(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	saved := iproute2.Dirs
	iproute2.Dirs = []string{dir}
	t.Cleanup(func() { iproute2.Dirs = saved })
}

// iproute2Names are the databases of the route and rule tests.
var iproute2Names = map[string]string{
	"rt_tables":           "100 vrrp\n",
	"rt_tables.d/ha.conf": "0x200 ha\n",
	"rt_scopes":           "17 campus\n",
	"rt_protos":           "250 havip\n",
	"rt_dsfield":          "0x28 AF11\n",
	"rt_realms":           "7 edge\n",
	"group":               "5 uplinks\n",
}

func TestRouteValues(t *testing.T) {
	useIproute2Names(t, iproute2Names)
	named32 := func(id uint32, word string) iproute2.Named[uint32] { return iproute2.Named[uint32]{ID: id, Word: word} }
	named8 := func(id uint8, word string) iproute2.Named[uint8] { return iproute2.Named[uint8]{ID: id, Word: word} }
	main, global, keepalived := named32(unix.RT_TABLE_MAIN, ""), named8(unix.RT_SCOPE_UNIVERSE, ""), named8(unix.RTPROT_KEEPALIVED, "")
	tests := []struct {
		line  string
		check func(r Route) bool
	}{
		{"198.51.100.0/24 dev eth0", func(r Route) bool {
			return r.Type == 0 && r.Table == main && r.Scope == global && r.Protocol == keepalived && r.Options == (iproute2.RouteOptions{})
		}},
		{"198.51.100.0/24 dev eth0 table vrrp", func(r Route) bool { return r.Table == named32(100, "vrrp") }},
		{"198.51.100.0/24 dev eth0 table ha", func(r Route) bool { return r.Table == named32(0x200, "ha") }},
		{"198.51.100.0/24 dev eth0 table local", func(r Route) bool { return r.Table == named32(unix.RT_TABLE_LOCAL, "local") }},
		{"198.51.100.0/24 dev eth0 table 0x64", func(r Route) bool { return r.Table == named32(100, "0x64") }},
		{"198.51.100.0/24 dev eth0 scope link", func(r Route) bool { return r.Scope == named8(unix.RT_SCOPE_LINK, "link") }},
		{"198.51.100.0/24 dev eth0 scope campus", func(r Route) bool { return r.Scope == named8(17, "campus") }},
		{"198.51.100.0/24 dev eth0 scope 200", func(r Route) bool { return r.Scope == named8(200, "200") }},
		{"local 198.51.100.7/32 dev eth0", func(r Route) bool { return r.Type == unix.RTN_LOCAL && r.Scope == named8(unix.RT_SCOPE_HOST, "") }},
		{"broadcast 198.51.100.255/32 dev eth0", func(r Route) bool { return r.Type == unix.RTN_BROADCAST && r.Scope == named8(unix.RT_SCOPE_LINK, "") }},
		{"anycast 2001:db8::/128 dev eth0", func(r Route) bool { return r.Type == unix.RTN_ANYCAST && r.Scope == named8(unix.RT_SCOPE_LINK, "") }},
		{"unicast 198.51.100.0/24 dev eth0", func(r Route) bool { return r.Type == 0 }},
		{"throw 198.51.100.0/24 table 100 no_track", func(r Route) bool { return r.Type == unix.RTN_THROW }},
		{"198.51.100.0/24 dev eth0 protocol static no_track", func(r Route) bool { return r.Protocol == named8(unix.RTPROT_STATIC, "static") }},
		{"198.51.100.0/24 dev eth0 proto havip no_track", func(r Route) bool { return r.Protocol == named8(250, "havip") }},
		{"198.51.100.0/24 via 192.0.2.1 dev eth0 onlink mtu 1400 rtt 10ms tos AF11 realms edge features ecn", func(r Route) bool {
			return r.Options == iproute2.RouteOptions{OnLink: true, MTU: 1400, RTT: 80, TOS: 0x28, Realms: 7, ECN: true} &&
				strings.Join(r.OptionWords, " ") == "onlink mtu 1400 rtt 10ms tos AF11 realms edge features ecn"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			cfg, diags := parse(t, "static_routes {\n"+tt.line+"\n}\n")
			if len(diags) != 0 || len(cfg.StaticRoutes) != 1 {
				t.Fatalf("parse: %d routes, diagnostics:\n%v", len(cfg.StaticRoutes), diags)
			}
			r := cfg.StaticRoutes[0]
			if !tt.check(r) {
				t.Fatalf("route %+v", r)
			}
			// The type unicast and the spelling proto are normalised away.
			want := strings.Replace(strings.TrimPrefix(tt.line, "unicast "), " proto ", " protocol ", 1)
			if got := formatRoute(r); got != want {
				t.Errorf("formatted %q, want %q", got, want)
			}
		})
	}
}

func TestRuleValues(t *testing.T) {
	useIproute2Names(t, iproute2Names)
	tests := []struct {
		line  string
		check func(r Rule) bool
	}{
		{"from 192.0.2.0/24 table vrrp", func(r Rule) bool { return r.Table == iproute2.Named[uint32]{ID: 100, Word: "vrrp"} }},
		{"from 192.0.2.0/24 table main", func(r Rule) bool { return r.Table.ID == unix.RT_TABLE_MAIN }},
		{"from 192.0.2.0/24 table 0x200", func(r Rule) bool { return r.Table.ID == 0x200 }},
		{"from 192.0.2.0/24 table 1 fwmark 0x10/0xff", func(r Rule) bool {
			return r.Fwmark == iproute2.Fwmark{Mark: 0x10, Mask: 0xff, Word: "0x10/0xff"}
		}},
		{"from 192.0.2.0/24 table 1 fwmark 7", func(r Rule) bool { return r.Fwmark == iproute2.Fwmark{Mark: 7, Mask: 0xffffffff, Word: "7"} }},
		{"from 192.0.2.0/24 table 1 tos AF11 realms edge suppress_ifgroup uplinks protocol havip ipproto udp no_track", func(r Rule) bool {
			return r.Options == iproute2.RuleOptions{TOS: 0x28, Realms: 7, SuppressIfgroup: 5, HasSuppressIfgroup: true, Protocol: 250, IPProto: unix.IPPROTO_UDP}
		}},
		{"from 192.0.2.0/24 preference 10 goto 100", func(r Rule) bool { return !r.Table.Set() && r.Options.Goto == 100 }},
		{"from 192.0.2.0/24 type blackhole", func(r Rule) bool { return r.Options.Action == unix.FR_ACT_BLACKHOLE }},
		{"from 192.0.2.0/24 table 1 sport 80 dport 1000-2000 uidrange 1-100", func(r Rule) bool {
			return r.Options.Sport == iproute2.PortRange{Start: 80, End: 80, Set: true} && r.Options.Dport.End == 2000 && r.Options.HasUIDRange
		}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			cfg, diags := parse(t, "static_rules {\n"+tt.line+"\n}\n")
			if len(diags) != 0 || len(cfg.StaticRules) != 1 {
				t.Fatalf("parse: %d rules, diagnostics:\n%v", len(cfg.StaticRules), diags)
			}
			if r := cfg.StaticRules[0]; !tt.check(r) {
				t.Fatalf("rule %+v", r)
			}
		})
	}
}

// TestRouteRuleValueErrors: a bad value keepalived drops the route or rule for is a warning
// naming it and what is valid, at its line; one whose option keepalived ignores drops only the
// option; one havip cannot install is an error.
func TestRouteRuleValueErrors(t *testing.T) {
	useIproute2Names(t, iproute2Names)
	tests := []struct {
		block, line string
		severity    Severity
		want        string
		kept        bool // the route or rule is kept
	}{
		{"static_routes", "198.51.100.0/24 dev eth0 table nosuch", Warning,
			`static_routes: table "nosuch": neither a number nor a name known to iproute2 (rt_tables in ` + "%DIR%" + `); the route is ignored, as keepalived does`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 table 0", Warning, `table "0": table 0 (unspec) is not a routing table; the route is ignored`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 scope galaxy", Warning,
			`scope "galaxy": neither a number nor a name known to iproute2 (rt_scopes in %DIR%); want global, site, link, host, nowhere, a number or a name from rt_scopes; the route is ignored`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 scope 256", Warning, `scope "256": 256 is out of range (0-255)`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 protocol pigeon", Warning, `protocol "pigeon": neither a number nor a name known to iproute2 (rt_protos in %DIR%); the route is ignored`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 mtu big", Warning, "mtu big: want a whole number from 0 to 4294967295; the route is ignored", false},
		{"static_routes", "198.51.100.0/24 dev eth0 rtt 3min", Warning, `rtt 3min: unknown unit "min" (want s or ms); the route is ignored`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 realms nowhere", Warning, `realms nowhere: realm "nowhere": neither`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 tos fast", Warning, "tos fast: neither a number nor a name known to iproute2 (rt_dsfield", false},
		{"static_routes", "198.51.100.0/24 dev eth0 features sack", Warning, `features sack: the only feature is "ecn"; the option is ignored, as keepalived does`, true},
		{"static_routes", "198.51.100.0/24 dev eth0 pref high", Error, `static_routes: route 198.51.100.0/24 dev eth0 pref high: option "pref" is not supported: the netlink library cannot send`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 encap mpls", Error, `option "encap" is not supported`, false},
		{"static_routes", "198.51.100.0/24 dev eth0 pervasive", Error, `option "pervasive" is not supported`, false},
		{"static_routes", "nat 198.51.100.0/24 dev eth0", Error, "type nat is not supported: Linux no longer implements route NAT", false},
		{"static_rules", "from 192.0.2.0/24 table nosuch", Warning, `static_rules: table "nosuch": neither a number nor a name known to iproute2 (rt_tables in %DIR%); the rule is ignored, as keepalived does`, false},
		{"static_rules", "from 192.0.2.0/24 lookup 0", Warning, `lookup "0": table 0 (unspec) is not a routing table; the rule is ignored`, false},
		{"static_rules", "from 192.0.2.0/24 table 1 fwmark 1/x", Warning, `fwmark "1/x": want VALUE[/MASK], each a 32-bit number; the rule is ignored`, false},
		{"static_rules", "from 192.0.2.0/24 table 1 sport 2-1", Warning, "sport 2-1: want N or START-END, numbers from 0 to 65535 with START <= END; the rule is ignored", false},
		{"static_rules", "from 192.0.2.0/24 table 1 type local", Warning, "type local: want unicast, blackhole, unreachable, prohibit or nop; the rule is ignored", false},
		{"static_rules", "from 192.0.2.0/24 table 1 protocol pigeon", Warning, "protocol pigeon: neither a number nor a name known to iproute2 (rt_protos in %DIR%); the option is ignored, as keepalived does", true},
		{"static_rules", "from 192.0.2.0/24 table 1 ipproto pigeon", Warning, "ipproto pigeon: want a number from 0 to 255 or one of icmp, igmp, tcp, udp, gre, esp, ah, ipv6-icmp, sctp, udplite; the option is ignored", true},
		{"static_rules", "from 192.0.2.0/24 table 1 l3mdev 1", Error, `static_rules: rule from 192.0.2.0/24 table 1 l3mdev 1: option "l3mdev" is not supported`, false},
		{"static_rules", "from 192.0.2.0/24 table 1 tun_id 1", Error, `option "tun_id" is not supported`, false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			want := strings.ReplaceAll(tt.want, "%DIR%", iproute2.Dirs[0])
			cfg, diags := parse(t, "\n"+tt.block+" {\n"+tt.line+"\n}\n")
			if len(diags) != 1 || diags[0].Severity != tt.severity || !strings.Contains(diags[0].Msg, want) || diags[0].Pos.Line != 3 {
				t.Fatalf("diagnostics:\n%v\nwant one %v at line 3 containing %q", diags, tt.severity, want)
			}
			if kept := len(cfg.StaticRoutes)+len(cfg.StaticRules) == 1; kept != tt.kept {
				t.Errorf("kept %v, want %v", kept, tt.kept)
			}
			fields := strings.Fields(tt.line)
			if ignored := strings.Join(fields[len(fields)-2:], " "); tt.kept && strings.Contains(string(Format(cfg)), ignored) {
				t.Errorf("the ignored option %q is printed:\n%s", ignored, Format(cfg))
			}
		})
	}
}

// FuzzRoutesRules parses arbitrary route and rule lines: a route or rule parsed must print (as
// written) to text that parses back to an Equal one.
func FuzzRoutesRules(f *testing.F) {
	for _, seed := range []string{
		"198.51.100.0/24 via 192.0.2.1 dev eth0 table 100 scope link protocol static mtu 1400 rtt 10ms onlink no_track",
		"local 198.51.100.7/32 dev eth0 table local", "blackhole 2001:db8::/32 metric 5 realms 1/2 features ecn",
		"from 192.0.2.0/24 fwmark 0x10/0xff table main preference 10 tos 0x10 sport 80 ipproto tcp",
		"inet6 not to 2001:db8::/32 goto 100 preference 5 suppress_prefixlength 0 type nop",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "{}\n\r#!$@\"'\\") || len(line) > 300 {
			return
		}
		for _, block := range []string{"static_routes", "static_rules"} {
			text := block + " {\n" + line + "\n}\n"
			cfg, diags := ParseBytes("fuzz.conf", []byte(text), fuzzOpts)
			if diags.HasErrors() {
				continue
			}
			formatted := Format(cfg)
			again, diags2 := ParseBytes("formatted.conf", formatted, fuzzOpts)
			if diags2.HasErrors() || !cfg.Equal(again) {
				t.Fatalf("%s through Format:\n%s\ndiagnostics %v\nformatted:\n%s", block, text, diags2, formatted)
			}
		}
	})
}
