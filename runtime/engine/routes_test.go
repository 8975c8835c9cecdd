package engine

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/havip/havip/config"
	"github.com/havip/havip/config/iproute2"
	"github.com/havip/havip/runtime/netif"
	"golang.org/x/sys/unix"
)

func TestRouteFromConfig(t *testing.T) {
	dst := netip.MustParsePrefix("198.51.100.0/24")
	gw, alt, src := netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3"), netip.MustParseAddr("192.0.2.1")
	keepalived := iproute2.ProtocolKeepalived
	static := iproute2.Named[uint8]{ID: unix.RTPROT_STATIC, Word: "static"}
	main := iproute2.Named[uint32]{ID: unix.RT_TABLE_MAIN}
	tests := []struct {
		name  string
		route config.Route
		want  netif.Route
	}{
		{
			name:  "tracked route without protocol gets keepalived's",
			route: config.Route{Dst: dst, Via: gw, Dev: "eth0", Table: main, Protocol: iproute2.Named[uint8]{ID: keepalived.ID}},
			want:  netif.Route{Dst: dst, Via: gw, Dev: "eth0", Table: unix.RT_TABLE_MAIN, Protocol: keepalived.ID},
		},
		{
			name: "every field carries over; a tracked route's protocol is keepalived's",
			route: config.Route{Type: unix.RTN_LOCAL, Dst: dst, Src: src, Via: gw, Or: alt, Dev: "eth0",
				Table: iproute2.Named[uint32]{ID: 100, Word: "vrrp"}, Metric: 10, Scope: iproute2.Named[uint8]{ID: unix.RT_SCOPE_LINK, Word: "link"},
				Protocol: static, Options: iproute2.RouteOptions{OnLink: true, MTU: 1400}, OptionWords: []string{"onlink", "mtu", "1400"}},
			want: netif.Route{Type: unix.RTN_LOCAL, Dst: dst, Src: src, Via: gw, Or: alt, Dev: "eth0", Table: 100, Metric: 10,
				Scope: unix.RT_SCOPE_LINK, Protocol: keepalived.ID, Options: iproute2.RouteOptions{OnLink: true, MTU: 1400}},
		},
		{
			name:  "no_track keeps the configured protocol",
			route: config.Route{Type: unix.RTN_BLACKHOLE, Dst: dst, Table: main, Protocol: static, NoTrack: true},
			want:  netif.Route{Type: unix.RTN_BLACKHOLE, Dst: dst, Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_STATIC},
		},
		{
			name: "no_track without protocol has the parser's default, keepalived's",
			route: config.Route{Dst: netip.MustParsePrefix("::/0"), Via: netip.MustParseAddr("2001:db8::1"), Table: main,
				Metric: 4294967295, Protocol: iproute2.Named[uint8]{ID: keepalived.ID}, NoTrack: true},
			want: netif.Route{Dst: netip.MustParsePrefix("::/0"), Via: netip.MustParseAddr("2001:db8::1"), Table: unix.RT_TABLE_MAIN,
				Metric: 4294967295, Protocol: keepalived.ID},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := routeFromConfig(tt.route); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("routeFromConfig(%+v)\n got %+v\nwant %+v", tt.route, got, tt.want)
			}
		})
	}
}

func TestRuleFromConfig(t *testing.T) {
	from, to := netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")
	keepalived := iproute2.ProtocolKeepalived.ID
	table100 := iproute2.Named[uint32]{ID: 100, Word: "100"}
	tests := []struct {
		name string
		rule config.Rule
		want netif.Rule
	}{
		{
			name: "tracked rule gets protocol keepalived",
			rule: config.Rule{Family: config.IPv4, From: from, Table: table100, Preference: 100},
			want: netif.Rule{Family: 4, From: from, Table: 100, Preference: 100, Options: iproute2.RuleOptions{Protocol: keepalived}},
		},
		{
			name: "every field carries over; a configured protocol is replaced, other options kept",
			rule: config.Rule{Family: config.IPv4, Not: true, From: from, To: to, Table: iproute2.Named[uint32]{ID: 100, Word: "vrrp"},
				Preference: 4294967295, Fwmark: iproute2.Fwmark{Mark: 0x10, Mask: 0xff, Word: "0x10/0xff"}, Iif: "eth0", Oif: "eth1",
				Options:     iproute2.RuleOptions{TOS: 0x10, Protocol: unix.RTPROT_STATIC, Sport: iproute2.PortRange{Start: 80, End: 80, Set: true}},
				OptionWords: []string{"tos", "0x10", "protocol", "static", "sport", "80"}},
			want: netif.Rule{Family: 4, Not: true, From: from, To: to, Table: 100, Preference: 4294967295,
				Fwmark: 0x10, FwmarkMask: 0xff, Iif: "eth0", Oif: "eth1",
				Options: iproute2.RuleOptions{TOS: 0x10, Protocol: keepalived, Sport: iproute2.PortRange{Start: 80, End: 80, Set: true}}},
		},
		{
			name: "no_track keeps the options as configured",
			rule: config.Rule{Family: config.IPv6, To: netip.MustParsePrefix("2001:db8::/32"), NoTrack: true,
				Options:     iproute2.RuleOptions{Action: unix.FR_ACT_BLACKHOLE, Protocol: unix.RTPROT_STATIC},
				OptionWords: []string{"type", "blackhole", "protocol", "static"}},
			want: netif.Rule{Family: 6, To: netip.MustParsePrefix("2001:db8::/32"),
				Options: iproute2.RuleOptions{Action: unix.FR_ACT_BLACKHOLE, Protocol: unix.RTPROT_STATIC}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ruleFromConfig(tt.rule); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ruleFromConfig(%+v)\n got %+v\nwant %+v", tt.rule, got, tt.want)
			}
		})
	}
}

func TestRoutesAndRulesFromParsedConfig(t *testing.T) {
	cfg, diags := config.ParseBytes("test.conf", []byte(`
static_routes {
  198.51.100.0/24 via 192.0.2.2 or 192.0.2.3 dev eth0 table 100 metric 5 mtu 1400
  blackhole 203.0.113.0/24 protocol static no_track
}
static_rules {
  from 192.0.2.0/24 table 100 preference 100
  inet6 from all lookup main no_track
}`), config.Options{ConfigID: "test"})
	if diags.HasErrors() {
		t.Fatalf("config errors: %v", diags.Err())
	}
	var routes []string
	for _, r := range cfg.StaticRoutes {
		routes = append(routes, routeFromConfig(r).String())
	}
	var rules []string
	for _, r := range cfg.StaticRules {
		rules = append(rules, ruleFromConfig(r).String())
	}
	wantRoutes := []string{
		"198.51.100.0/24 via 192.0.2.2 or 192.0.2.3 dev eth0 table 100 metric 5 proto keepalived mtu 1400",
		"blackhole 203.0.113.0/24 proto static",
	}
	wantRules := []string{
		"from 192.0.2.0/24 protocol keepalived table 100 preference 100",
		"inet6 from all table main", // the parser's 0.0.0.0/0 for "all" selects everything, whatever the family
	}
	if !reflect.DeepEqual(routes, wantRoutes) || !reflect.DeepEqual(rules, wantRules) {
		t.Errorf("converted\n got routes %q\n     rules %q\nwant routes %q\n     rules %q", routes, rules, wantRoutes, wantRules)
	}
}
