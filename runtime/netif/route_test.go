package netif

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// useIproute2Dirs points the iproute2 name databases at two fresh directories, standing for
// /etc/iproute2 and /usr/share/iproute2, filled with files (relative path → content), for the
// rest of the test.
func useIproute2Dirs(t *testing.T, etc, share map[string]string) {
	t.Helper()
	var dirs []string
	for _, files := range []map[string]string{etc, share} {
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
		dirs = append(dirs, dir)
	}
	saved := iproute2Dirs
	iproute2Dirs = dirs
	t.Cleanup(func() { iproute2Dirs = saved })
}

// testDatabases are iproute2 name databases for the mapping tests.
func testDatabases(t *testing.T) {
	useIproute2Dirs(t, map[string]string{
		"rt_tables":           "# reserved\n255\tlocal\n254\tmain\n100 vrrp # keepalived\n",
		"rt_tables.d/ha.conf": "0x200 ha\n",
		"rt_protos":           "250\thavip\n",
		"rt_dsfield":          "0x28\tAF11\n",
		"rt_realms":           "0\tcosmos\n7\tedge\n",
		"group":               "0\tdefault\n5\tuplinks\n",
	}, nil)
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

func TestRouteNetlinkRoute(t *testing.T) {
	testDatabases(t)
	// route is the request for dst with keepalived's defaults, changed by f.
	route := func(dst string, f func(*netlink.Route)) netlink.Route {
		family := netlink.FAMILY_V4
		if strings.Contains(dst, ":") {
			family = netlink.FAMILY_V6
		}
		r := netlink.Route{Family: family, Dst: ipNet(dst), Type: unix.RTN_UNICAST, Table: unix.RT_TABLE_MAIN,
			Protocol: unix.RTPROT_KEEPALIVED, Scope: netlink.SCOPE_UNIVERSE}
		if f != nil {
			f(&r)
		}
		return r
	}
	ip := func(s string) net.IP { return ipOf(mustAddr(s)) }
	tests := []struct {
		name  string
		route Route
		want  netlink.Route
	}{
		{
			name:  "IPv4 via a gateway gets protocol keepalived, table main, scope global",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("192.0.2.254"), Dev: "eth0"},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Gw = ip("192.0.2.254") }),
		},
		{
			name:  "IPv4 default route with src and metric",
			route: Route{Type: "unicast", Dst: mustPrefix("0.0.0.0/0"), Via: mustAddr("192.0.2.254"), Src: mustAddr("192.0.2.1"), Metric: 10},
			want: route("0.0.0.0/0", func(r *netlink.Route) {
				r.Gw, r.Src, r.Priority = ip("192.0.2.254"), ip("192.0.2.1"), 10
			}),
		},
		{
			name:  "IPv6 default route",
			route: Route{Dst: mustPrefix("::/0"), Via: mustAddr("2001:db8::1"), Dev: "eth0", Metric: 1024},
			want:  route("::/0", func(r *netlink.Route) { r.Gw, r.Priority = ip("2001:db8::1"), 1024 }),
		},
		{
			name:  "directly connected keeps keepalived's global scope",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0"},
			want:  route("198.51.100.0/24", nil),
		},
		{
			name:  "blackhole",
			route: Route{Type: "blackhole", Dst: mustPrefix("203.0.113.0/24")},
			want:  route("203.0.113.0/24", func(r *netlink.Route) { r.Type = unix.RTN_BLACKHOLE }),
		},
		{
			name:  "IPv6 unreachable",
			route: Route{Type: "unreachable", Dst: mustPrefix("2001:db8:1::/48")},
			want:  route("2001:db8:1::/48", func(r *netlink.Route) { r.Type = unix.RTN_UNREACHABLE }),
		},
		{
			name:  "prohibit",
			route: Route{Type: "prohibit", Dst: mustPrefix("203.0.113.0/24")},
			want:  route("203.0.113.0/24", func(r *netlink.Route) { r.Type = unix.RTN_PROHIBIT }),
		},
		{
			name:  "throw in table 100",
			route: Route{Type: "throw", Dst: mustPrefix("203.0.113.0/24"), Table: "100"},
			want:  route("203.0.113.0/24", func(r *netlink.Route) { r.Type, r.Table = unix.RTN_THROW, 100 }),
		},
		{
			name:  "local defaults to scope host",
			route: Route{Type: "local", Dst: mustPrefix("198.51.100.7/32"), Dev: "eth0", Table: "local"},
			want: route("198.51.100.7/32", func(r *netlink.Route) {
				r.Type, r.Scope, r.Table = unix.RTN_LOCAL, netlink.SCOPE_HOST, unix.RT_TABLE_LOCAL
			}),
		},
		{
			name:  "broadcast defaults to scope link",
			route: Route{Type: "broadcast", Dst: mustPrefix("198.51.100.255/32"), Dev: "eth0"},
			want:  route("198.51.100.255/32", func(r *netlink.Route) { r.Type, r.Scope = unix.RTN_BROADCAST, netlink.SCOPE_LINK }),
		},
		{
			name:  "IPv6 anycast defaults to scope link",
			route: Route{Type: "anycast", Dst: mustPrefix("2001:db8::/128"), Dev: "eth0"},
			want:  route("2001:db8::/128", func(r *netlink.Route) { r.Type, r.Scope = unix.RTN_ANYCAST, netlink.SCOPE_LINK }),
		},
		{
			name:  "multicast",
			route: Route{Type: "multicast", Dst: mustPrefix("239.0.0.0/8"), Dev: "eth0"},
			want:  route("239.0.0.0/8", func(r *netlink.Route) { r.Type = unix.RTN_MULTICAST }),
		},
		{
			name:  "explicit scope, table name from rt_tables, protocol name",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Scope: "link", Table: "vrrp", Protocol: "static"},
			want: route("198.51.100.0/24", func(r *netlink.Route) {
				r.Scope, r.Table, r.Protocol = netlink.SCOPE_LINK, 100, unix.RTPROT_STATIC
			}),
		},
		{
			name:  "numeric scope, table from rt_tables.d, protocol from rt_protos",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Scope: "200", Table: "ha", Protocol: "havip"},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Scope, r.Table, r.Protocol = 200, 0x200, 250 }),
		},
		{
			name:  "built-in table name and numeric protocol",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Table: "default", Protocol: "0x10"},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Table, r.Protocol = unix.RT_TABLE_DEFAULT, 16 }),
		},
		{
			name:  "via A or B is a multipath route",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("192.0.2.2"), Or: mustAddr("192.0.2.3"), Dev: "eth0"},
			want: route("198.51.100.0/24", func(r *netlink.Route) {
				r.MultiPath = []*netlink.NexthopInfo{{Gw: ip("192.0.2.2")}, {Gw: ip("192.0.2.3")}}
			}),
		},
		{
			name:  "IPv6 via A or B",
			route: Route{Dst: mustPrefix("2001:db8:1::/64"), Via: mustAddr("2001:db8::2"), Or: mustAddr("2001:db8::3")},
			want: route("2001:db8:1::/64", func(r *netlink.Route) {
				r.MultiPath = []*netlink.NexthopInfo{{Gw: ip("2001:db8::2")}, {Gw: ip("2001:db8::3")}}
			}),
		},
		{
			name:  "onlink",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("203.0.113.1"), Dev: "eth0", Options: []string{"onlink"}},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Gw, r.Flags = ip("203.0.113.1"), unix.RTNH_F_ONLINK }),
		},
		{
			name: "onlink on a multipath route goes on each nexthop",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("203.0.113.1"), Or: mustAddr("203.0.113.2"),
				Dev: "eth0", Options: []string{"onlink"}},
			want: route("198.51.100.0/24", func(r *netlink.Route) {
				r.MultiPath = []*netlink.NexthopInfo{{Gw: ip("203.0.113.1"), Flags: unix.RTNH_F_ONLINK},
					{Gw: ip("203.0.113.2"), Flags: unix.RTNH_F_ONLINK}}
			}),
		},
		{
			name: "metrics",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Options: []string{
				"mtu", "1400", "advmss", "1360", "reordering", "3", "window", "65535", "cwnd", "10", "ssthresh", "20",
				"initcwnd", "30", "initrwnd", "40", "hoplimit", "64", "quickack", "1", "fastopen_no_cookie", "1",
				"features", "ecn", "congctl", "cubic"}},
			want: route("198.51.100.0/24", func(r *netlink.Route) {
				r.MTU, r.AdvMSS, r.Reordering, r.Window, r.Cwnd, r.Ssthresh = 1400, 1360, 3, 65535, 10, 20
				r.InitCwnd, r.InitRwnd, r.Hoplimit, r.QuickACK, r.FastOpenNoCookie = 30, 40, 64, 1, 1
				r.Features, r.Congctl = unix.RTAX_FEATURE_ECN, "cubic"
			}),
		},
		{
			name: "times: units convert from ms to kernel units, bare numbers are raw",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0",
				Options: []string{"rtt", "80ms", "rttvar", "1s", "rto_min", "200msec"}},
			want: route("198.51.100.0/24", func(r *netlink.Route) { r.Rtt, r.RttVar, r.RtoMin = 640, 4000, 200 }),
		},
		{
			name:  "raw rtt",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Options: []string{"rtt", "100"}},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Rtt = 100 }),
		},
		{
			name:  "tos and realms by number",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Options: []string{"tos", "0x10", "realms", "3/4"}},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Tos, r.Realm = 0x10, 3<<16|4 }),
		},
		{
			name:  "dsfield and realms by name",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Options: []string{"dsfield", "AF11", "realms", "cosmos/edge"}},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Tos, r.Realm = 0x28, 7 }),
		},
		{
			name:  "a single realm is the destination realm",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Options: []string{"realms", "edge"}},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Realm = 7 }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.route.netlinkRoute()
			if err != nil {
				t.Fatalf("netlinkRoute(%v): %v", tt.route, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("netlinkRoute(%v)\n got %+v\nwant %+v", tt.route, *got, tt.want)
			}
		})
	}
}

func TestRouteNetlinkRouteErrors(t *testing.T) {
	testDatabases(t)
	dst := mustPrefix("198.51.100.0/24")
	opts := func(o ...string) Route { return Route{Dst: dst, Dev: "eth0", Options: o} }
	tests := []struct {
		name    string
		route   Route
		wantErr string
	}{
		{"no destination", Route{Via: mustAddr("192.0.2.1")}, "no destination"},
		{"host bits", Route{Dst: mustPrefix("198.51.100.1/24")}, "host bits set; did you mean 198.51.100.0/24?"},
		{"unknown type", Route{Type: "bogus", Dst: dst}, `unknown type "bogus"`},
		{"nat", Route{Type: "nat", Dst: dst}, "type nat is not supported"},
		{"src of the other family", Route{Dst: dst, Src: mustAddr("2001:db8::1")}, "src 2001:db8::1 is not an IPv4 address"},
		{"via of the other family", Route{Dst: mustPrefix("2001:db8::/64"), Via: mustAddr("192.0.2.1")}, "via 192.0.2.1 is not an IPv6 address"},
		{"or of the other family", Route{Dst: dst, Via: mustAddr("192.0.2.1"), Or: mustAddr("2001:db8::1")}, "or 2001:db8::1 is not an IPv4 address"},
		{"or without via", Route{Dst: dst, Or: mustAddr("192.0.2.1")}, `needs a "via" gateway`},
		{"blackhole with via", Route{Type: "blackhole", Dst: dst, Via: mustAddr("192.0.2.1")}, "blackhole routes take no via, or, or dev"},
		{"unreachable with dev", Route{Type: "unreachable", Dst: dst, Dev: "eth0"}, "unreachable routes take no via, or, or dev"},
		{"unknown table name", Route{Dst: dst, Table: "nosuchtable"}, `table "nosuchtable": neither a number nor a name known to iproute2 (rt_tables in `},
		{"table 0", Route{Dst: dst, Table: "0"}, "table 0 (unspec) is not a routing table"},
		{"unknown scope", Route{Dst: dst, Scope: "galaxy"}, `scope "galaxy": neither a number nor a name`},
		{"scope out of range", Route{Dst: dst, Scope: "256"}, `scope "256": 256 is out of range (0-255)`},
		{"unknown protocol", Route{Dst: dst, Protocol: "carrier-pigeon"}, `protocol "carrier-pigeon": neither`},
		{"pref", opts("pref", "high"), `option "pref" is not supported`},
		{"expires", opts("expires", "60"), `option "expires" is not supported`},
		{"encap", opts("encap", "mpls"), `option "encap" is not supported`},
		{"nexthop", opts("nexthop", "via"), `option "nexthop" is not supported`},
		{"ttl-propagate", opts("ttl-propagate", "enabled"), `option "ttl-propagate" is not supported`},
		{"pervasive", opts("pervasive"), `option "pervasive" is not supported`},
		{"unknown option", opts("bogus", "1"), "bogus 1: unknown ip-route option"},
		{"option without value", opts("mtu"), `option "mtu" needs a value`},
		{"bad mtu", opts("mtu", "big"), "mtu big: want a whole number from 0 to 4294967295"},
		{"hoplimit out of range", opts("hoplimit", "256"), "hoplimit 256: want a whole number from 0 to 255"},
		{"quickack is 0 or 1", opts("quickack", "2"), "quickack 2: want a whole number from 0 to 1"},
		{"unknown feature", opts("features", "sack"), `features sack: the only feature is "ecn"`},
		{"unknown time unit", opts("rtt", "3min"), `rtt 3min: unknown unit "min"`},
		{"time without number", opts("rttvar", "ms"), "rttvar ms: want a whole number with an optional unit"},
		{"time too large", opts("rtt", "1000000s"), "rtt 1000000s: too large"},
		{"unknown realm", opts("realms", "nowhere/edge"), `realms nowhere/edge: realm "nowhere": neither`},
		{"realm out of range", opts("realms", "300/1"), `realm "300": 300 is out of range (0-255)`},
		{"unknown dsfield", opts("tos", "fast"), `tos fast: neither a number nor a name known to iproute2 (rt_dsfield`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.route.netlinkRoute()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("netlinkRoute(%+v) error = %v, want one containing %q", tt.route, err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "route ") {
				t.Errorf("error %q does not name the route", err)
			}
		})
	}
}

func TestRuleNetlinkRule(t *testing.T) {
	testDatabases(t)
	// rule is netlink's empty rule for the family, changed by f.
	rule := func(family int, f func(*netlink.Rule)) netlink.Rule {
		r := netlink.NewRule()
		r.Family = family
		f(r)
		return *r
	}
	v4, v6 := netlink.FAMILY_V4, netlink.FAMILY_V6
	tests := []struct {
		name string
		rule Rule
		want netlink.Rule
	}{
		{
			name: "from a prefix, table and preference",
			rule: Rule{Family: 4, From: mustPrefix("192.0.2.0/24"), Table: "100", Preference: 100},
			want: rule(v4, func(r *netlink.Rule) { r.Src, r.Table, r.Priority = ipNet("192.0.2.0/24"), 100, 100 }),
		},
		{
			name: "family from the selector, table by name",
			rule: Rule{To: mustPrefix("2001:db8::/32"), Table: "main"},
			want: rule(v6, func(r *netlink.Rule) { r.Dst, r.Table = ipNet("2001:db8::/32"), unix.RT_TABLE_MAIN }),
		},
		{
			name: "inet6 from all: the IPv4 /0 that config gives for all is no selector",
			rule: Rule{Family: 6, From: mustPrefix("0.0.0.0/0"), Table: "vrrp"},
			want: rule(v6, func(r *netlink.Rule) { r.Table = 100 }),
		},
		{
			name: "no family and no selector is IPv4",
			rule: Rule{Table: "ha"},
			want: rule(v4, func(r *netlink.Rule) { r.Table = 0x200 }),
		},
		{
			name: "host bits of a selector are dropped",
			rule: Rule{From: mustPrefix("192.0.2.1/24"), Table: "100"},
			want: rule(v4, func(r *netlink.Rule) { r.Src, r.Table = ipNet("192.0.2.0/24"), 100 }),
		},
		{
			name: "not, to, fwmark with mask, iif, oif",
			rule: Rule{Not: true, From: mustPrefix("192.0.2.0/24"), To: mustPrefix("198.51.100.0/24"), Fwmark: "0x10/0xff",
				Iif: "eth0", Oif: "eth1", Table: "100"},
			want: rule(v4, func(r *netlink.Rule) {
				r.Invert, r.Src, r.Dst = true, ipNet("192.0.2.0/24"), ipNet("198.51.100.0/24")
				r.Mark, r.Mask, r.IifName, r.OifName, r.Table = 0x10, new(uint32(0xff)), "eth0", "eth1", 100
			}),
		},
		{
			name: "fwmark without mask",
			rule: Rule{Fwmark: "7", Table: "100"},
			want: rule(v4, func(r *netlink.Rule) { r.Mark, r.Table = 7, 100 }),
		},
		{
			name: "selector options",
			rule: Rule{Table: "100", Options: []string{"tos", "0x10", "uidrange", "1-100", "sport", "1000-2000",
				"dport", "80", "ipproto", "tcp", "protocol", "keepalived"}},
			want: rule(v4, func(r *netlink.Rule) {
				r.Table, r.Tos, r.UIDRange = 100, 0x10, netlink.NewRuleUIDRange(1, 100)
				r.Sport, r.Dport = netlink.NewRulePortRange(1000, 2000), netlink.NewRulePortRange(80, 80)
				r.IPProto, r.Protocol = unix.IPPROTO_TCP, unix.RTPROT_KEEPALIVED
			}),
		},
		{
			name: "names from the databases and numbers",
			rule: Rule{Table: "100", Options: []string{"dsfield", "AF11", "ipproto", "17", "protocol", "havip", "realms", "cosmos/edge"}},
			want: rule(v4, func(r *netlink.Rule) { r.Table, r.Tos, r.IPProto, r.Protocol, r.Flow = 100, 0x28, 17, 250, 7 }),
		},
		{
			name: "realm 0 is no realm",
			rule: Rule{Table: "100", Options: []string{"realms", "0"}},
			want: rule(v4, func(r *netlink.Rule) { r.Table = 100 }),
		},
		{
			name: "suppressors",
			rule: Rule{Table: "main", Options: []string{"suppress_prefixlength", "0", "suppress_ifgroup", "uplinks"}},
			want: rule(v4, func(r *netlink.Rule) { r.Table, r.SuppressPrefixlen, r.SuppressIfgroup = unix.RT_TABLE_MAIN, 0, 5 }),
		},
		{
			name: "goto",
			rule: Rule{Preference: 100, Options: []string{"goto", "200"}},
			want: rule(v4, func(r *netlink.Rule) { r.Priority, r.Goto = 100, 200 }),
		},
		{
			name: "type blackhole",
			rule: Rule{Family: 6, From: mustPrefix("2001:db8::/32"), Options: []string{"type", "blackhole"}},
			want: rule(v6, func(r *netlink.Rule) { r.Src, r.Type = ipNet("2001:db8::/32"), unix.FR_ACT_BLACKHOLE }),
		},
		{
			name: "type unreachable",
			rule: Rule{Options: []string{"type", "unreachable"}},
			want: rule(v4, func(r *netlink.Rule) { r.Type = unix.FR_ACT_UNREACHABLE }),
		},
		{
			name: "type prohibit",
			rule: Rule{Options: []string{"type", "prohibit"}},
			want: rule(v4, func(r *netlink.Rule) { r.Type = unix.FR_ACT_PROHIBIT }),
		},
		{
			name: "type nop",
			rule: Rule{Preference: 5, Options: []string{"type", "nop"}},
			want: rule(v4, func(r *netlink.Rule) { r.Priority, r.Type = 5, unix.FR_ACT_NOP }),
		},
		{
			name: "type unicast with a table",
			rule: Rule{Table: "100", Options: []string{"type", "unicast"}},
			want: rule(v4, func(r *netlink.Rule) { r.Table, r.Type = 100, unix.FR_ACT_TO_TBL }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rule.netlinkRule()
			if err != nil {
				t.Fatalf("netlinkRule(%v): %v", tt.rule, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("netlinkRule(%v)\n got %+v\nwant %+v", tt.rule, *got, tt.want)
			}
		})
	}
}

func TestRuleNetlinkRuleErrors(t *testing.T) {
	testDatabases(t)
	opts := func(o ...string) Rule { return Rule{Table: "100", Options: o} }
	tests := []struct {
		name    string
		rule    Rule
		wantErr string
	}{
		{"bad family", Rule{Family: 5, Table: "100"}, "address family 5"},
		{"mixed selectors", Rule{From: mustPrefix("192.0.2.0/24"), To: mustPrefix("2001:db8::/32"), Table: "100"}, "2001:db8::/32 is not an IPv4 prefix"},
		{"selector of the other family", Rule{Family: 6, From: mustPrefix("192.0.2.0/24"), Table: "100"}, "192.0.2.0/24 is not an IPv6 prefix"},
		{"unknown table", Rule{Table: "nosuchtable"}, `table "nosuchtable": neither a number nor a name`},
		{"no action", Rule{From: mustPrefix("192.0.2.0/24")}, "no action: give a table, a goto or a type"},
		{"suppressor without table", Rule{Preference: 1, Options: []string{"goto", "200", "suppress_prefixlength", "0"}}, "need a table from 1 to 255"},
		{"suppressor with a large table", Rule{Table: "1000", Options: []string{"suppress_ifgroup", "5"}}, "need a table from 1 to 255"},
		{"bad fwmark", Rule{Fwmark: "mark", Table: "100"}, `fwmark "mark": want VALUE[/MASK]`},
		{"bad fwmark mask", Rule{Fwmark: "1/0x1ffffffff", Table: "100"}, `fwmark "1/0x1ffffffff": want VALUE[/MASK]`},
		{"l3mdev", opts("l3mdev", "1"), `option "l3mdev" is not supported`},
		{"tun_id", opts("tun_id", "5"), `option "tun_id" is not supported`},
		{"unknown option", opts("bogus", "1"), "bogus 1: unknown ip-rule option"},
		{"option without value", opts("goto"), `option "goto" needs a value`},
		{"unknown type", opts("type", "local"), "type local: want unicast, blackhole"},
		{"uidrange needs a range", opts("uidrange", "5"), "uidrange 5: want START-END"},
		{"reversed port range", opts("sport", "2000-1000"), "sport 2000-1000: want N or START-END"},
		{"port out of range", opts("dport", "65536"), "dport 65536: want N or START-END, numbers from 0 to 65535"},
		{"unknown ipproto", opts("ipproto", "carrier-pigeon"), "ipproto carrier-pigeon: want a number from 0 to 255"},
		{"unknown protocol", opts("protocol", "carrier-pigeon"), `protocol carrier-pigeon: neither`},
		{"bad goto", opts("goto", "-1"), "goto -1: want a whole number"},
		{"bad realm", opts("realms", "9999/1"), `realm "9999": 9999 is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.rule.netlinkRule()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("netlinkRule(%+v) error = %v, want one containing %q", tt.rule, err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "rule ") {
				t.Errorf("error %q does not name the rule", err)
			}
		})
	}
}

func TestIproute2ID(t *testing.T) {
	useIproute2Dirs(t, map[string]string{
		"rt_tables":              "# comment line\n\n100\tvrrp\t# trailing comment\n0x65 hexa\nbroken\n101 shadowed\n",
		"rt_tables.d/a.conf":     "200 fromconf\n",
		"rt_tables.d/b.conf":     "201 fromconf\n",
		"rt_tables.d/ignored.tx": "202 notconf\n",
		"rt_protos":              "x12 badnumber\n",
	}, map[string]string{
		"rt_tables":          "102 shadowed\n103 shareonly\n",
		"rt_tables.d/c.conf": "104 sharedconf\n",
	})
	tests := []struct {
		db, name string
		want     uint32
		wantErr  string
	}{
		{db: "rt_tables", name: "vrrp", want: 100},
		{db: "rt_tables", name: "hexa", want: 0x65},
		{db: "rt_tables", name: "shadowed", want: 101}, // the first directory wins
		{db: "rt_tables", name: "shareonly", want: 103},
		{db: "rt_tables", name: "fromconf", want: 200}, // the first file in order wins
		{db: "rt_tables", name: "sharedconf", want: 104},
		{db: "rt_tables", name: "main", want: unix.RT_TABLE_MAIN}, // built in
		{db: "rt_tables", name: "42", want: 42},
		{db: "rt_tables", name: "0x2a", want: 42},
		{db: "rt_tables", name: "notconf", wantErr: "neither a number nor a name known to iproute2 (rt_tables in "},
		{db: "rt_tables", name: "comment", wantErr: "neither"},
		{db: "rt_realms", name: "vrrp", wantErr: "neither"}, // other database, absent files
		{db: "rt_protos", name: "badnumber", wantErr: `rt_protos:1: "x12" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.db+" "+tt.name, func(t *testing.T) {
			got, err := iproute2ID(tt.db, tt.name, tableNames, 1<<20)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("iproute2ID(%s, %s) = %d, %v; want an error containing %q", tt.db, tt.name, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("iproute2ID(%s, %s) = %d, %v; want %d", tt.db, tt.name, got, err, tt.want)
			}
		})
	}
	if _, err := iproute2ID("rt_tables", "fromconf", nil, 100); err == nil || !strings.Contains(err.Error(), "defines it as 200, out of range (0-100)") {
		t.Errorf("name defined beyond the limit: error %v", err)
	}
}

func TestRouteAndRuleString(t *testing.T) {
	tests := []struct {
		s    interface{ String() string }
		want string
	}{
		{Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("192.0.2.254"), Dev: "eth0"}, "198.51.100.0/24 via 192.0.2.254 dev eth0"},
		{Route{Type: "unicast", Dst: mustPrefix("::/0"), Via: mustAddr("2001:db8::1")}, "default via 2001:db8::1"},
		{Route{Type: "blackhole", Dst: mustPrefix("203.0.113.0/24"), Table: "100", Metric: 5, Protocol: "static"},
			"blackhole 203.0.113.0/24 table 100 metric 5 proto static"},
		{Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("192.0.2.2"), Or: mustAddr("192.0.2.3"), Src: mustAddr("192.0.2.1"),
			Scope: "link", Options: []string{"onlink", "mtu", "1400"}},
			"198.51.100.0/24 via 192.0.2.2 or 192.0.2.3 src 192.0.2.1 scope link onlink mtu 1400"},
		{Rule{From: mustPrefix("192.0.2.0/24"), Table: "100", Preference: 100}, "from 192.0.2.0/24 table 100 preference 100"},
		{Rule{Family: 6, Not: true, Fwmark: "0x1/0xff", Iif: "eth0", Oif: "eth1", Options: []string{"type", "blackhole"}},
			"inet6 not from all fwmark 0x1/0xff iif eth0 oif eth1 type blackhole"},
		{Rule{Family: 6, From: mustPrefix("0.0.0.0/0"), To: mustPrefix("2001:db8::/32"), Table: "main"},
			"from all to 2001:db8::/32 table main"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestSameRule(t *testing.T) {
	installed := func(f func(*netlink.Rule)) netlink.Rule {
		r := netlink.NewRule()
		r.Family, r.Priority, r.Table, r.Protocol = netlink.FAMILY_V4, 32765, 100, unix.RTPROT_KEEPALIVED
		r.Src = ipNet("192.0.2.0/24")
		f(r)
		return *r
	}
	want, err := Rule{From: mustPrefix("192.0.2.0/24"), Table: "100", Fwmark: "0x10",
		Options: []string{"protocol", "keepalived"}}.netlinkRule()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		have netlink.Rule
		same bool
	}{
		{"the kernel lists a mark without mask with mask 0xffffffff, at its own preference",
			installed(func(r *netlink.Rule) { r.Mark, r.Mask = 0x10, new(uint32(0xffffffff)) }), true},
		{"different mask", installed(func(r *netlink.Rule) { r.Mark, r.Mask = 0x10, new(uint32(0xff)) }), false},
		{"different table", installed(func(r *netlink.Rule) { r.Mark, r.Mask, r.Table = 0x10, new(uint32(0xffffffff)), 101 }), false},
		{"different protocol", installed(func(r *netlink.Rule) { r.Mark, r.Mask, r.Protocol = 0x10, new(uint32(0xffffffff)), 0 }), false},
		{"inverted", installed(func(r *netlink.Rule) { r.Mark, r.Mask, r.Invert = 0x10, new(uint32(0xffffffff)), true }), false},
		{"other source", installed(func(r *netlink.Rule) { r.Mark, r.Mask, r.Src = 0x10, new(uint32(0xffffffff)), ipNet("192.0.2.0/25") }), false},
	}
	for _, tt := range tests {
		if got := sameRule(tt.have, *want); got != tt.same {
			t.Errorf("%s: sameRule = %v, want %v", tt.name, got, tt.same)
		}
	}
}
