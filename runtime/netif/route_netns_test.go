package netif

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/havip/havip/config/iproute2"
	"golang.org/x/sys/unix"
)

// ipRoute is one route of `ip -j route show`, with the fields the tests set.
type ipRoute struct {
	Type     string           `json:"type"`
	Dst      string           `json:"dst"`
	Gateway  string           `json:"gateway"`
	Dev      string           `json:"dev"`
	Table    string           `json:"table"`
	Protocol string           `json:"protocol"`
	Scope    string           `json:"scope"`
	Prefsrc  string           `json:"prefsrc"`
	Metric   int              `json:"metric"`
	Flags    []string         `json:"flags"`
	Metrics  []map[string]any `json:"metrics"`
	Nexthops []ipNexthop      `json:"nexthops"`
}

// ipNexthop is one nexthop of a multipath route.
type ipNexthop struct {
	Gateway string   `json:"gateway"`
	Dev     string   `json:"dev"`
	Flags   []string `json:"flags"`
}

// ipRoutes lists every route of both families in the node's namespace as iproute2 reports them,
// keyed by "TABLE DST" (TABLE "" for main). Empty flag lists become nil.
// keepalived is the routing protocol keepalived installs its routes and rules with.
const keepalived = unix.RTPROT_KEEPALIVED

func (n *testNode) ipRoutes(t *testing.T) map[string]ipRoute {
	t.Helper()
	got := map[string]ipRoute{}
	for _, family := range []string{"-4", "-6"} {
		var routes []ipRoute
		if err := json.Unmarshal([]byte(run(t, "ip", "-n", n.ns, "-j", family, "route", "show", "table", "all")), &routes); err != nil {
			t.Fatalf("parse ip -j route: %v", err)
		}
		for _, r := range routes {
			if len(r.Flags) == 0 {
				r.Flags = nil
			}
			for i := range r.Nexthops {
				if len(r.Nexthops[i].Flags) == 0 {
					r.Nexthops[i].Flags = nil
				}
			}
			got[r.Table+" "+r.Dst] = r
		}
	}
	return got
}

// ipRules lists the rules of a family ("-4" or "-6") as `ip -j rule show` reports them.
func (n *testNode) ipRules(t *testing.T, family string) []map[string]any {
	t.Helper()
	var rules []map[string]any
	if err := json.Unmarshal([]byte(run(t, "ip", "-n", n.ns, "-j", family, "rule", "show")), &rules); err != nil {
		t.Fatalf("parse ip -j rule: %v", err)
	}
	return rules
}

// withIPv6 gives the node's eth0 the address 2001:db8::1/64, usable at once.
func (n *testNode) withIPv6(t *testing.T) {
	t.Helper()
	run(t, "ip", "-n", n.ns, "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
}

func TestAddDelRoute(t *testing.T) {
	a, _ := newPair(t) // a's eth0 is 192.0.2.1/24; b, at 192.0.2.2, is the gateway
	a.withIPv6(t)
	tests := []struct {
		name  string
		route Route
		key   string // table and destination as ipRoutes keys them
		want  ipRoute
	}{
		{
			name: "IPv4 via a gateway with src, metric and metrics",
			route: Route{Protocol: keepalived, Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.2"), Dev: "eth0",
				Src: netip.MustParseAddr("192.0.2.1"), Metric: 10, Options: iproute2.RouteOptions{MTU: 1400, AdvMSS: 1360}},
			key: " 198.51.100.0/24",
			want: ipRoute{Dst: "198.51.100.0/24", Gateway: "192.0.2.2", Dev: "eth0", Protocol: "keepalived", Prefsrc: "192.0.2.1",
				Metric: 10, Metrics: []map[string]any{{"mtu": 1400.0, "advmss": 1360.0}}},
		},
		{
			name:  "blackhole",
			route: Route{Protocol: keepalived, Type: unix.RTN_BLACKHOLE, Dst: netip.MustParsePrefix("203.0.113.0/24")},
			key:   " 203.0.113.0/24",
			want:  ipRoute{Type: "blackhole", Dst: "203.0.113.0/24", Protocol: "keepalived"},
		},
		{
			name:  "table 100",
			route: Route{Protocol: keepalived, Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.2"), Dev: "eth0", Table: 100},
			key:   "100 198.51.100.0/24",
			want:  ipRoute{Dst: "198.51.100.0/24", Gateway: "192.0.2.2", Dev: "eth0", Table: "100", Protocol: "keepalived"},
		},
		{
			name: "directly connected default route in table default, scope link, protocol static",
			route: Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Dev: "eth0", Table: unix.RT_TABLE_DEFAULT, Scope: unix.RT_SCOPE_LINK,
				Protocol: unix.RTPROT_STATIC},
			key:  "default default",
			want: ipRoute{Dst: "default", Dev: "eth0", Table: "default", Protocol: "static", Scope: "link"},
		},
		{
			name: "via A or B installs a multipath route",
			route: Route{Protocol: keepalived, Dst: netip.MustParsePrefix("198.51.100.128/25"), Via: netip.MustParseAddr("192.0.2.2"),
				Or: netip.MustParseAddr("192.0.2.3"), Dev: "eth0", Options: iproute2.RouteOptions{OnLink: true}},
			key: " 198.51.100.128/25",
			want: ipRoute{Dst: "198.51.100.128/25", Protocol: "keepalived", Nexthops: []ipNexthop{
				{Gateway: "192.0.2.2", Dev: "eth0", Flags: []string{"onlink"}},
				{Gateway: "192.0.2.3", Dev: "eth0", Flags: []string{"onlink"}}}},
		},
		{
			name:  "IPv6 via a gateway",
			route: Route{Protocol: keepalived, Dst: netip.MustParsePrefix("2001:db8:1::/64"), Via: netip.MustParseAddr("2001:db8::2"), Dev: "eth0"},
			key:   " 2001:db8:1::/64",
			want:  ipRoute{Dst: "2001:db8:1::/64", Gateway: "2001:db8::2", Dev: "eth0", Protocol: "keepalived", Metric: 1024},
		},
		{
			name:  "IPv6 unreachable with metric",
			route: Route{Protocol: keepalived, Type: unix.RTN_UNREACHABLE, Dst: netip.MustParsePrefix("2001:db8:2::/48"), Metric: 5},
			key:   " 2001:db8:2::/48",
			want:  ipRoute{Type: "unreachable", Dst: "2001:db8:2::/48", Dev: "lo", Protocol: "keepalived", Metric: 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addErr1, addErr2, delErr1, delErr2 error
			a.do(t, func() {
				addErr1 = AddRoute(tt.route)
				addErr2 = AddRoute(tt.route) // idempotent
			})
			if err := errors.Join(addErr1, addErr2); err != nil {
				t.Fatal(err)
			}
			if got := a.ipRoutes(t)[tt.key]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("installed route\n got %+v\nwant %+v", got, tt.want)
			}
			a.do(t, func() {
				delErr1 = DelRoute(tt.route)
				delErr2 = DelRoute(tt.route) // already gone
			})
			if err := errors.Join(delErr1, delErr2); err != nil {
				t.Fatal(err)
			}
			if got, ok := a.ipRoutes(t)[tt.key]; ok {
				t.Errorf("route still installed after DelRoute: %+v", got)
			}
		})
	}
}

func TestAddRouteReplacesLeftover(t *testing.T) {
	a, _ := newPair(t)
	// A crashed run left the route behind, with a different MTU.
	run(t, "ip", "-n", a.ns, "route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "eth0", "proto", "keepalived", "mtu", "1300")
	route := Route{Protocol: keepalived, Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.2"), Dev: "eth0",
		Options: iproute2.RouteOptions{MTU: 1400}}
	var err error
	a.do(t, func() { err = AddRoute(route) })
	if err != nil {
		t.Fatal(err)
	}
	want := ipRoute{Dst: "198.51.100.0/24", Gateway: "192.0.2.2", Dev: "eth0", Protocol: "keepalived",
		Metrics: []map[string]any{{"mtu": 1400.0}}}
	if got := a.ipRoutes(t)[" 198.51.100.0/24"]; !reflect.DeepEqual(got, want) {
		t.Errorf("route after AddRoute over a leftover\n got %+v\nwant %+v", got, want)
	}
}

func TestDelRouteLeavesOtherProtocols(t *testing.T) {
	a, _ := newPair(t)
	run(t, "ip", "-n", a.ns, "route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "eth0", "proto", "static")
	var err error
	a.do(t, func() {
		err = DelRoute(Route{Protocol: keepalived, Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.2"), Dev: "eth0"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := a.ipRoutes(t)[" 198.51.100.0/24"]; !ok || got.Protocol != "static" {
		t.Errorf("DelRoute of keepalived's route removed the administrator's static one: %+v, present %v", got, ok)
	}
}

func TestAddDelRule(t *testing.T) {
	a, _ := newPair(t)
	tests := []struct {
		name   string
		rule   Rule
		family string
		key    string // the "src" or "dst" that identifies the rule in the listing
		want   map[string]any
	}{
		{
			name:   "from a prefix, table and preference",
			rule:   Rule{Family: 4, From: netip.MustParsePrefix("192.0.2.0/24"), Table: 100, Preference: 100},
			family: "-4", key: "192.0.2.0",
			want: map[string]any{"priority": 100.0, "src": "192.0.2.0", "srclen": 24.0, "table": "100"},
		},
		{
			name: "not, fwmark, iif, protocol keepalived",
			rule: Rule{Not: true, From: netip.MustParsePrefix("198.51.100.0/24"), Fwmark: 0x10, FwmarkMask: 0xff, Iif: "eth0",
				Table: 100, Preference: 101, Options: iproute2.RuleOptions{Protocol: keepalived}},
			family: "-4", key: "198.51.100.0",
			want: map[string]any{"priority": 101.0, "not": nil, "src": "198.51.100.0", "srclen": 24.0, "fwmark": "0x10",
				"fwmask": "0xff", "iif": "eth0", "table": "100", "protocol": "keepalived"},
		},
		{
			name:   "without preference the kernel picks one, and adding again adds no copy",
			rule:   Rule{From: netip.MustParsePrefix("203.0.113.0/24"), Table: unix.RT_TABLE_MAIN, Options: iproute2.RuleOptions{Protocol: keepalived}},
			family: "-4", key: "203.0.113.0",
			want: map[string]any{"priority": 32765.0, "src": "203.0.113.0", "srclen": 24.0, "table": "main", "protocol": "keepalived"},
		},
		{
			name: "selector options, no preference: the duplicate check compares them all",
			rule: Rule{From: netip.MustParsePrefix("192.0.2.64/26"), Table: 100, Options: iproute2.RuleOptions{TOS: 0x10,
				IPProto: unix.IPPROTO_TCP, Sport: iproute2.PortRange{Start: 1000, End: 2000, Set: true},
				Dport: iproute2.PortRange{Start: 80, End: 80, Set: true}, UIDStart: 1, UIDEnd: 100, HasUIDRange: true,
				HasSuppressPrefixlen: true, Realms: 3<<16 | 4, Protocol: keepalived}},
			family: "-4", key: "192.0.2.64",
			want: map[string]any{"priority": 32765.0, "src": "192.0.2.64", "srclen": 26.0, "tos": "0x10", "ipproto": "tcp",
				"sport_start": 1000.0, "sport_end": 2000.0, "dport": 80.0, "uid_start": 1.0, "uid_end": 100.0,
				"suppress_prefixlen": 0.0, "flow_from": "3", "flow_to": "4", "table": "100", "protocol": "keepalived"},
		},
		{
			name:   "goto",
			rule:   Rule{From: netip.MustParsePrefix("198.51.100.64/26"), Preference: 50, Options: iproute2.RuleOptions{Goto: 100}},
			family: "-4", key: "198.51.100.64",
			// No rule has preference 100, so the kernel lists the jump as unresolved.
			want: map[string]any{"priority": 50.0, "src": "198.51.100.64", "srclen": 26.0, "goto": 100.0, "unresolved": nil},
		},
		{
			name:   "blackhole",
			rule:   Rule{From: netip.MustParsePrefix("192.0.2.128/25"), Preference: 102, Options: iproute2.RuleOptions{Action: unix.FR_ACT_BLACKHOLE}},
			family: "-4", key: "192.0.2.128",
			want: map[string]any{"priority": 102.0, "src": "192.0.2.128", "srclen": 25.0, "action": "blackhole"},
		},
		{
			name:   "IPv6",
			rule:   Rule{Family: 6, To: netip.MustParsePrefix("2001:db8::/32"), Table: 100, Preference: 100},
			family: "-6", key: "2001:db8::",
			want: map[string]any{"priority": 100.0, "src": "all", "dst": "2001:db8::", "dstlen": 32.0, "table": "100"},
		},
	}
	// find returns the listed rules whose source or destination is key.
	find := func(t *testing.T, family, key string) []map[string]any {
		var found []map[string]any
		for _, r := range a.ipRules(t, family) {
			if r["src"] == key || r["dst"] == key {
				found = append(found, r)
			}
		}
		return found
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addErr1, addErr2, delErr1, delErr2 error
			a.do(t, func() {
				addErr1 = AddRule(tt.rule)
				addErr2 = AddRule(tt.rule) // must not add a duplicate
			})
			if err := errors.Join(addErr1, addErr2); err != nil {
				t.Fatal(err)
			}
			if got := find(t, tt.family, tt.key); len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("installed rules\n got %v\nwant [%v]", got, tt.want)
			}
			a.do(t, func() {
				delErr1 = DelRule(tt.rule)
				delErr2 = DelRule(tt.rule) // already gone
			})
			if err := errors.Join(delErr1, delErr2); err != nil {
				t.Fatal(err)
			}
			if got := find(t, tt.family, tt.key); len(got) != 0 {
				t.Errorf("rule still installed after DelRule: %v", got)
			}
		})
	}
}

func TestPolicyRouting(t *testing.T) {
	a, _ := newPair(t)
	route := Route{Protocol: keepalived, Dst: netip.MustParsePrefix("203.0.113.0/24"), Via: netip.MustParseAddr("192.0.2.2"), Dev: "eth0", Table: 100}
	rule := Rule{From: netip.MustParsePrefix("192.0.2.0/24"), Table: 100, Preference: 100}
	var routeErr, ruleErr error
	a.do(t, func() { routeErr, ruleErr = AddRoute(route), AddRule(rule) })
	if err := errors.Join(routeErr, ruleErr); err != nil {
		t.Fatal(err)
	}
	var got []ipRoute
	out := run(t, "ip", "-n", a.ns, "-j", "route", "get", "203.0.113.5", "from", "192.0.2.1")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("parse ip -j route get: %v", err)
	}
	if len(got) != 1 || got[0].Gateway != "192.0.2.2" {
		t.Errorf("route from 192.0.2.1 to 203.0.113.5 = %s, want one via 192.0.2.2 from table 100", out)
	}
}

func TestRouteMissingInterface(t *testing.T) {
	a, _ := newPair(t)
	route := Route{Protocol: keepalived, Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.2"), Dev: "nosuch0"}
	a.do(t, func() {
		for name, err := range map[string]error{"AddRoute": AddRoute(route), "DelRoute": DelRoute(route)} {
			if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), `"nosuch0"`) ||
				!strings.Contains(err.Error(), "198.51.100.0/24") {
				t.Errorf("%s on a missing interface: error %v, want ErrNoInterface naming nosuch0 and the route", name, err)
			}
		}
	})
}

func TestDelMissingRouteAndRule(t *testing.T) {
	a, _ := newPair(t)
	var routeErr, ruleErr, v6Err error
	a.do(t, func() {
		routeErr = DelRoute(Route{Protocol: keepalived, Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.2"), Dev: "eth0", Table: 200})
		ruleErr = DelRule(Rule{From: netip.MustParsePrefix("192.0.2.0/24"), Table: 200, Preference: 200})
		v6Err = DelRoute(Route{Protocol: keepalived, Dst: netip.MustParsePrefix("2001:db8:1::/64"), Dev: "eth0"})
	})
	if err := errors.Join(routeErr, ruleErr, v6Err); err != nil {
		t.Fatalf("deleting what was never installed: %v", err)
	}
}

func TestAddRouteKernelError(t *testing.T) {
	a, _ := newPair(t)
	route := Route{Protocol: keepalived, Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("203.0.113.9"), Dev: "eth0"}
	var err error
	a.do(t, func() { err = AddRoute(route) })
	if err == nil || !strings.HasPrefix(err.Error(), "add route 198.51.100.0/24 via 203.0.113.9 dev eth0 proto keepalived: ") {
		t.Errorf("AddRoute via a gateway off every subnet: error %v, want the kernel's refusal naming the route", err)
	}
}
