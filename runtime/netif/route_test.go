package netif

import (
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/havip/havip/config/iproute2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

func TestRouteNetlinkRoute(t *testing.T) {
	// route is the request for dst with keepalived's defaults, changed by f.
	route := func(dst string, f func(*netlink.Route)) netlink.Route {
		family := netlink.FAMILY_V4
		if strings.Contains(dst, ":") {
			family = netlink.FAMILY_V6
		}
		r := netlink.Route{Family: family, Dst: ipNet(dst), Type: unix.RTN_UNICAST, Table: unix.RT_TABLE_MAIN,
			Scope: netlink.SCOPE_UNIVERSE}
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
			name:  "IPv4 via a gateway: table main, scope global",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("192.0.2.254"), Dev: "eth0"},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Gw = ip("192.0.2.254") }),
		},
		{
			name:  "IPv4 default route with src and metric",
			route: Route{Type: unix.RTN_UNICAST, Dst: mustPrefix("0.0.0.0/0"), Via: mustAddr("192.0.2.254"), Src: mustAddr("192.0.2.1"), Metric: 10},
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
			name:  "directly connected",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0"},
			want:  route("198.51.100.0/24", nil),
		},
		{
			name:  "blackhole",
			route: Route{Type: unix.RTN_BLACKHOLE, Dst: mustPrefix("203.0.113.0/24")},
			want:  route("203.0.113.0/24", func(r *netlink.Route) { r.Type = unix.RTN_BLACKHOLE }),
		},
		{
			name:  "IPv6 unreachable",
			route: Route{Type: unix.RTN_UNREACHABLE, Dst: mustPrefix("2001:db8:1::/48")},
			want:  route("2001:db8:1::/48", func(r *netlink.Route) { r.Type = unix.RTN_UNREACHABLE }),
		},
		{
			name:  "prohibit",
			route: Route{Type: unix.RTN_PROHIBIT, Dst: mustPrefix("203.0.113.0/24")},
			want:  route("203.0.113.0/24", func(r *netlink.Route) { r.Type = unix.RTN_PROHIBIT }),
		},
		{
			name:  "throw in table 100",
			route: Route{Type: unix.RTN_THROW, Dst: mustPrefix("203.0.113.0/24"), Table: 100},
			want:  route("203.0.113.0/24", func(r *netlink.Route) { r.Type, r.Table = unix.RTN_THROW, 100 }),
		},
		{
			name:  "local in table local, scope host",
			route: Route{Type: unix.RTN_LOCAL, Dst: mustPrefix("198.51.100.7/32"), Dev: "eth0", Table: unix.RT_TABLE_LOCAL, Scope: unix.RT_SCOPE_HOST},
			want: route("198.51.100.7/32", func(r *netlink.Route) {
				r.Type, r.Scope, r.Table = unix.RTN_LOCAL, netlink.SCOPE_HOST, unix.RT_TABLE_LOCAL
			}),
		},
		{
			name:  "broadcast, scope link",
			route: Route{Type: unix.RTN_BROADCAST, Dst: mustPrefix("198.51.100.255/32"), Dev: "eth0", Scope: unix.RT_SCOPE_LINK},
			want:  route("198.51.100.255/32", func(r *netlink.Route) { r.Type, r.Scope = unix.RTN_BROADCAST, netlink.SCOPE_LINK }),
		},
		{
			name:  "IPv6 anycast, scope link",
			route: Route{Type: unix.RTN_ANYCAST, Dst: mustPrefix("2001:db8::/128"), Dev: "eth0", Scope: unix.RT_SCOPE_LINK},
			want:  route("2001:db8::/128", func(r *netlink.Route) { r.Type, r.Scope = unix.RTN_ANYCAST, netlink.SCOPE_LINK }),
		},
		{
			name:  "multicast",
			route: Route{Type: unix.RTN_MULTICAST, Dst: mustPrefix("239.0.0.0/8"), Dev: "eth0"},
			want:  route("239.0.0.0/8", func(r *netlink.Route) { r.Type = unix.RTN_MULTICAST }),
		},
		{
			name:  "scope, table and protocol",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Scope: unix.RT_SCOPE_LINK, Table: 100, Protocol: unix.RTPROT_STATIC},
			want: route("198.51.100.0/24", func(r *netlink.Route) {
				r.Scope, r.Table, r.Protocol = netlink.SCOPE_LINK, 100, unix.RTPROT_STATIC
			}),
		},
		{
			name:  "protocol keepalived, scope 200, a large table number",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Scope: 200, Table: 0x200, Protocol: unix.RTPROT_KEEPALIVED},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Scope, r.Table, r.Protocol = 200, 0x200, unix.RTPROT_KEEPALIVED }),
		},
		{
			name:  "table default",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Table: unix.RT_TABLE_DEFAULT, Protocol: 16},
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
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("203.0.113.1"), Dev: "eth0", Options: iproute2.RouteOptions{OnLink: true}},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Gw, r.Flags = ip("203.0.113.1"), unix.RTNH_F_ONLINK }),
		},
		{
			name: "onlink on a multipath route goes on each nexthop",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("203.0.113.1"), Or: mustAddr("203.0.113.2"),
				Dev: "eth0", Options: iproute2.RouteOptions{OnLink: true}},
			want: route("198.51.100.0/24", func(r *netlink.Route) {
				r.MultiPath = []*netlink.NexthopInfo{{Gw: ip("203.0.113.1"), Flags: unix.RTNH_F_ONLINK},
					{Gw: ip("203.0.113.2"), Flags: unix.RTNH_F_ONLINK}}
			}),
		},
		{
			name: "metrics",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Options: iproute2.RouteOptions{
				MTU: 1400, AdvMSS: 1360, Reordering: 3, Window: 65535, Cwnd: 10, Ssthresh: 20, InitCwnd: 30, InitRwnd: 40,
				Hoplimit: 64, QuickACK: true, FastOpenNoCookie: true, ECN: true, Congctl: "cubic"}},
			want: route("198.51.100.0/24", func(r *netlink.Route) {
				r.MTU, r.AdvMSS, r.Reordering, r.Window, r.Cwnd, r.Ssthresh = 1400, 1360, 3, 65535, 10, 20
				r.InitCwnd, r.InitRwnd, r.Hoplimit, r.QuickACK, r.FastOpenNoCookie = 30, 40, 64, 1, 1
				r.Features, r.Congctl = unix.RTAX_FEATURE_ECN, "cubic"
			}),
		},
		{
			name:  "times in the kernel's units",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Options: iproute2.RouteOptions{RTT: 640, RTTVar: 4000, RTOMin: 200}},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Rtt, r.RttVar, r.RtoMin = 640, 4000, 200 }),
		},
		{
			name:  "tos and realms",
			route: Route{Dst: mustPrefix("198.51.100.0/24"), Dev: "eth0", Options: iproute2.RouteOptions{TOS: 0x10, Realms: 3<<16 | 4}},
			want:  route("198.51.100.0/24", func(r *netlink.Route) { r.Tos, r.Realm = 0x10, 3<<16|4 }),
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
	dst := mustPrefix("198.51.100.0/24")
	tests := []struct {
		name    string
		route   Route
		wantErr string
	}{
		{"no destination", Route{Via: mustAddr("192.0.2.1")}, "no destination"},
		{"host bits", Route{Dst: mustPrefix("198.51.100.1/24")}, "host bits set; did you mean 198.51.100.0/24?"},
		{"unknown type", Route{Type: 200, Dst: dst}, "type 200 is not a route type"},
		{"nat", Route{Type: unix.RTN_NAT, Dst: dst}, "type 10 is not a route type"},
		{"src of the other family", Route{Dst: dst, Src: mustAddr("2001:db8::1")}, "src 2001:db8::1 is not an IPv4 address"},
		{"via of the other family", Route{Dst: mustPrefix("2001:db8::/64"), Via: mustAddr("192.0.2.1")}, "via 192.0.2.1 is not an IPv6 address"},
		{"or of the other family", Route{Dst: dst, Via: mustAddr("192.0.2.1"), Or: mustAddr("2001:db8::1")}, "or 2001:db8::1 is not an IPv4 address"},
		{"or without via", Route{Dst: dst, Or: mustAddr("192.0.2.1")}, `needs a "via" gateway`},
		{"blackhole with via", Route{Type: unix.RTN_BLACKHOLE, Dst: dst, Via: mustAddr("192.0.2.1")}, "blackhole routes take no via, or, or dev"},
		{"unreachable with dev", Route{Type: unix.RTN_UNREACHABLE, Dst: dst, Dev: "eth0"}, "unreachable routes take no via, or, or dev"},
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
			rule: Rule{Family: 4, From: mustPrefix("192.0.2.0/24"), Table: 100, Preference: 100},
			want: rule(v4, func(r *netlink.Rule) { r.Src, r.Table, r.Priority = ipNet("192.0.2.0/24"), 100, 100 }),
		},
		{
			name: "family from the selector",
			rule: Rule{To: mustPrefix("2001:db8::/32"), Table: unix.RT_TABLE_MAIN},
			want: rule(v6, func(r *netlink.Rule) { r.Dst, r.Table = ipNet("2001:db8::/32"), unix.RT_TABLE_MAIN }),
		},
		{
			name: "inet6 from all: the IPv4 /0 that config gives for all is no selector",
			rule: Rule{Family: 6, From: mustPrefix("0.0.0.0/0"), Table: 100},
			want: rule(v6, func(r *netlink.Rule) { r.Table = 100 }),
		},
		{
			name: "no family and no selector is IPv4",
			rule: Rule{Table: 0x200},
			want: rule(v4, func(r *netlink.Rule) { r.Table = 0x200 }),
		},
		{
			name: "host bits of a selector are dropped",
			rule: Rule{From: mustPrefix("192.0.2.1/24"), Table: 100},
			want: rule(v4, func(r *netlink.Rule) { r.Src, r.Table = ipNet("192.0.2.0/24"), 100 }),
		},
		{
			name: "not, to, fwmark with mask, iif, oif",
			rule: Rule{Not: true, From: mustPrefix("192.0.2.0/24"), To: mustPrefix("198.51.100.0/24"), Fwmark: 0x10, FwmarkMask: 0xff,
				Iif: "eth0", Oif: "eth1", Table: 100},
			want: rule(v4, func(r *netlink.Rule) {
				r.Invert, r.Src, r.Dst = true, ipNet("192.0.2.0/24"), ipNet("198.51.100.0/24")
				r.Mark, r.Mask, r.IifName, r.OifName, r.Table = 0x10, new(uint32(0xff)), "eth0", "eth1", 100
			}),
		},
		{
			name: "fwmark with all bits of the mask, as config gives without one",
			rule: Rule{Fwmark: 7, FwmarkMask: 0xffffffff, Table: 100},
			want: rule(v4, func(r *netlink.Rule) { r.Mark, r.Mask, r.Table = 7, new(uint32(0xffffffff)), 100 }),
		},
		{
			name: "selector options",
			rule: Rule{Table: 100, Options: iproute2.RuleOptions{TOS: 0x10, UIDStart: 1, UIDEnd: 100, HasUIDRange: true,
				Sport: iproute2.PortRange{Start: 1000, End: 2000, Set: true}, Dport: iproute2.PortRange{Start: 80, End: 80, Set: true},
				IPProto: unix.IPPROTO_TCP, Protocol: unix.RTPROT_KEEPALIVED}},
			want: rule(v4, func(r *netlink.Rule) {
				r.Table, r.Tos, r.UIDRange = 100, 0x10, netlink.NewRuleUIDRange(1, 100)
				r.Sport, r.Dport = netlink.NewRulePortRange(1000, 2000), netlink.NewRulePortRange(80, 80)
				r.IPProto, r.Protocol = unix.IPPROTO_TCP, unix.RTPROT_KEEPALIVED
			}),
		},
		{
			name: "dsfield, ipproto, protocol and realms",
			rule: Rule{Table: 100, Options: iproute2.RuleOptions{TOS: 0x28, IPProto: 17, Protocol: 250, Realms: 7}},
			want: rule(v4, func(r *netlink.Rule) { r.Table, r.Tos, r.IPProto, r.Protocol, r.Flow = 100, 0x28, 17, 250, 7 }),
		},
		{
			name: "realm 0 is no realm",
			rule: Rule{Table: 100, Options: iproute2.RuleOptions{Realms: 0}},
			want: rule(v4, func(r *netlink.Rule) { r.Table = 100 }),
		},
		{
			name: "suppressors",
			rule: Rule{Table: unix.RT_TABLE_MAIN, Options: iproute2.RuleOptions{HasSuppressPrefixlen: true, SuppressIfgroup: 5, HasSuppressIfgroup: true}},
			want: rule(v4, func(r *netlink.Rule) { r.Table, r.SuppressPrefixlen, r.SuppressIfgroup = unix.RT_TABLE_MAIN, 0, 5 }),
		},
		{
			name: "goto",
			rule: Rule{Preference: 100, Options: iproute2.RuleOptions{Goto: 200}},
			want: rule(v4, func(r *netlink.Rule) { r.Priority, r.Goto = 100, 200 }),
		},
		{
			name: "type blackhole",
			rule: Rule{Family: 6, From: mustPrefix("2001:db8::/32"), Options: iproute2.RuleOptions{Action: unix.FR_ACT_BLACKHOLE}},
			want: rule(v6, func(r *netlink.Rule) { r.Src, r.Type = ipNet("2001:db8::/32"), unix.FR_ACT_BLACKHOLE }),
		},
		{
			name: "type unreachable",
			rule: Rule{Options: iproute2.RuleOptions{Action: unix.FR_ACT_UNREACHABLE}},
			want: rule(v4, func(r *netlink.Rule) { r.Type = unix.FR_ACT_UNREACHABLE }),
		},
		{
			name: "type prohibit",
			rule: Rule{Options: iproute2.RuleOptions{Action: unix.FR_ACT_PROHIBIT}},
			want: rule(v4, func(r *netlink.Rule) { r.Type = unix.FR_ACT_PROHIBIT }),
		},
		{
			name: "type nop",
			rule: Rule{Preference: 5, Options: iproute2.RuleOptions{Action: unix.FR_ACT_NOP}},
			want: rule(v4, func(r *netlink.Rule) { r.Priority, r.Type = 5, unix.FR_ACT_NOP }),
		},
		{
			name: "type unicast with a table",
			rule: Rule{Table: 100, Options: iproute2.RuleOptions{Action: unix.FR_ACT_TO_TBL}},
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
	tests := []struct {
		name    string
		rule    Rule
		wantErr string
	}{
		{"bad family", Rule{Family: 5, Table: 100}, "address family 5"},
		{"mixed selectors", Rule{From: mustPrefix("192.0.2.0/24"), To: mustPrefix("2001:db8::/32"), Table: 100}, "2001:db8::/32 is not an IPv4 prefix"},
		{"selector of the other family", Rule{Family: 6, From: mustPrefix("192.0.2.0/24"), Table: 100}, "192.0.2.0/24 is not an IPv6 prefix"},
		{"no action", Rule{From: mustPrefix("192.0.2.0/24")}, "no action: give a table, a goto or a type"},
		{"suppressor without table", Rule{Preference: 1, Options: iproute2.RuleOptions{Goto: 200, HasSuppressPrefixlen: true}}, "need a table from 1 to 255"},
		{"suppressor with a large table", Rule{Table: 1000, Options: iproute2.RuleOptions{SuppressIfgroup: 5, HasSuppressIfgroup: true}}, "need a table from 1 to 255"},
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

func TestRouteAndRuleString(t *testing.T) {
	tests := []struct {
		s    interface{ String() string }
		want string
	}{
		{Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("192.0.2.254"), Dev: "eth0"}, "198.51.100.0/24 via 192.0.2.254 dev eth0"},
		{Route{Type: unix.RTN_UNICAST, Dst: mustPrefix("::/0"), Via: mustAddr("2001:db8::1")}, "default via 2001:db8::1"},
		{Route{Type: unix.RTN_BLACKHOLE, Dst: mustPrefix("203.0.113.0/24"), Table: 100, Metric: 5, Protocol: unix.RTPROT_STATIC},
			"blackhole 203.0.113.0/24 table 100 metric 5 proto static"},
		{Route{Dst: mustPrefix("198.51.100.0/24"), Via: mustAddr("192.0.2.2"), Or: mustAddr("192.0.2.3"), Src: mustAddr("192.0.2.1"),
			Scope: unix.RT_SCOPE_LINK, Options: iproute2.RouteOptions{OnLink: true, MTU: 1400}},
			"198.51.100.0/24 via 192.0.2.2 or 192.0.2.3 src 192.0.2.1 scope link mtu 1400 onlink"},
		{Route{Type: unix.RTN_LOCAL, Dst: mustPrefix("198.51.100.7/32"), Table: unix.RT_TABLE_LOCAL, Scope: unix.RT_SCOPE_HOST, Protocol: unix.RTPROT_KEEPALIVED},
			"local 198.51.100.7/32 table local proto keepalived"},
		{Rule{From: mustPrefix("192.0.2.0/24"), Table: 100, Preference: 100}, "from 192.0.2.0/24 table 100 preference 100"},
		{Rule{Family: 6, Not: true, Fwmark: 1, FwmarkMask: 0xff, Iif: "eth0", Oif: "eth1", Options: iproute2.RuleOptions{Action: unix.FR_ACT_BLACKHOLE}},
			"inet6 not from all fwmark 0x1/0xff iif eth0 oif eth1 type blackhole"},
		{Rule{Family: 6, From: mustPrefix("0.0.0.0/0"), To: mustPrefix("2001:db8::/32"), Table: unix.RT_TABLE_MAIN},
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
	want, err := Rule{From: mustPrefix("192.0.2.0/24"), Table: 100, Fwmark: 0x10, FwmarkMask: 0xffffffff,
		Options: iproute2.RuleOptions{Protocol: unix.RTPROT_KEEPALIVED}}.netlinkRule()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		have netlink.Rule
		same bool
	}{
		{"the same mark and mask, at its own preference",
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
