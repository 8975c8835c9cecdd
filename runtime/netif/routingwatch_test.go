package netif

import (
	"context"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/havip/havip/config/iproute2"
	"golang.org/x/sys/unix"
)

// rtAttr encodes one rtnetlink attribute, padded to 4 bytes.
func rtAttr(typ uint16, value []byte) []byte {
	b := make([]byte, 4, 4+len(value)+3)
	binary.NativeEndian.PutUint16(b, uint16(4+len(value)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, value...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// routingBody builds an rtmsg / fib_rule_hdr: family, dst_len, table and protocol (byte 5, a
// route's) followed by attrs.
func routingBody(family, dstLen, table, protocol uint8, attrs ...[]byte) []byte {
	b := make([]byte, unix.SizeofRtMsg)
	b[0], b[1], b[4], b[5] = family, dstLen, table, protocol
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

func TestParseRoutingRemoval(t *testing.T) {
	const keepalived = unix.RTPROT_KEEPALIVED
	v4 := netip.MustParseAddr("198.51.100.0").AsSlice()
	v6 := netip.MustParseAddr("2001:db8:1::").AsSlice()
	table1000 := binary.NativeEndian.AppendUint32(nil, 1000)
	tests := []struct {
		name string
		typ  uint16
		body []byte
		want RoutingRemoved
		ok   bool
	}{
		{"IPv4 route", unix.RTM_DELROUTE, routingBody(unix.AF_INET, 24, 100, keepalived, rtAttr(unix.RTA_DST, v4)),
			RoutingRemoved{Family: 4, Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: 100}, true},
		{"IPv6 route, table above 255 as an attribute", unix.RTM_DELROUTE,
			routingBody(unix.AF_INET6, 48, unix.RT_TABLE_COMPAT, keepalived, rtAttr(unix.RTA_DST, v6), rtAttr(unix.RTA_TABLE, table1000)),
			RoutingRemoved{Family: 6, Dst: netip.MustParsePrefix("2001:db8:1::/48"), Table: 1000}, true},
		{"default route", unix.RTM_DELROUTE, routingBody(unix.AF_INET, 0, 254, keepalived),
			RoutingRemoved{Family: 4, Dst: netip.MustParsePrefix("0.0.0.0/0"), Table: 254}, true},
		{"route of another protocol", unix.RTM_DELROUTE, routingBody(unix.AF_INET, 24, 254, unix.RTPROT_STATIC, rtAttr(unix.RTA_DST, v4)), RoutingRemoved{}, false},
		{"added route", unix.RTM_NEWROUTE, routingBody(unix.AF_INET, 24, 254, keepalived, rtAttr(unix.RTA_DST, v4)), RoutingRemoved{}, false},
		{"rule with its protocol", unix.RTM_DELRULE,
			routingBody(unix.AF_INET, 24, 100, 0, rtAttr(unix.RTA_DST, v4), rtAttr(fraProtocol, []byte{keepalived})),
			RoutingRemoved{Rule: true, Family: 4, Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: 100}, true},
		{"rule without a destination", unix.RTM_DELRULE, routingBody(unix.AF_INET6, 0, 100, 0, rtAttr(fraProtocol, []byte{keepalived})),
			RoutingRemoved{Rule: true, Family: 6, Table: 100}, true},
		{"rule without a protocol, whatever byte 5 says", unix.RTM_DELRULE, routingBody(unix.AF_INET, 0, 100, keepalived), RoutingRemoved{}, false},
		{"another family", unix.RTM_DELROUTE, routingBody(unix.AF_BRIDGE, 0, 254, keepalived), RoutingRemoved{}, false},
		{"destination of the wrong family", unix.RTM_DELROUTE, routingBody(unix.AF_INET6, 24, 254, keepalived, rtAttr(unix.RTA_DST, v4)), RoutingRemoved{}, false},
		{"prefix longer than the address", unix.RTM_DELROUTE, routingBody(unix.AF_INET, 33, 254, keepalived, rtAttr(unix.RTA_DST, v4)), RoutingRemoved{}, false},
		{"truncated header", unix.RTM_DELROUTE, []byte{unix.AF_INET, 24}, RoutingRemoved{}, false},
		{"truncated attribute", unix.RTM_DELROUTE, append(routingBody(unix.AF_INET, 24, 254, keepalived), 8, 0, 1, 0), RoutingRemoved{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRoutingRemoval(tt.typ, tt.body, keepalived)
			if ok != tt.ok || ok && got != tt.want {
				t.Fatalf("parseRoutingRemoval = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseRoutingRemoval(f *testing.F) {
	f.Add(uint16(unix.RTM_DELROUTE), routingBody(unix.AF_INET, 24, 100, unix.RTPROT_KEEPALIVED, rtAttr(unix.RTA_DST, []byte{198, 51, 100, 0})))
	f.Add(uint16(unix.RTM_DELRULE), routingBody(unix.AF_INET6, 0, 100, 0, rtAttr(fraProtocol, []byte{unix.RTPROT_KEEPALIVED})))
	f.Fuzz(func(t *testing.T, typ uint16, body []byte) {
		ev, ok := parseRoutingRemoval(typ, body, unix.RTPROT_KEEPALIVED)
		if !ok {
			return
		}
		if ev.Family != 4 && ev.Family != 6 {
			t.Fatalf("family %d", ev.Family)
		}
		if ev.Dst.IsValid() && (ev.Dst != ev.Dst.Masked() || addrFamily(ev.Dst.Addr()) != ev.Family) {
			t.Fatalf("destination %v for family %d", ev.Dst, ev.Family)
		}
		if !ev.Rule && !ev.Dst.IsValid() {
			t.Fatalf("route without a destination: %+v", ev)
		}
	})
}

func TestWatchRoutingRemovals(t *testing.T) {
	a, _ := newPair(t)
	events := make(chan RoutingRemoved, 64)
	defer a.watch(t, "WatchRoutingRemovals", func(ctx context.Context) error {
		return WatchRoutingRemovals(ctx, unix.RTPROT_KEEPALIVED, func(ev RoutingRemoved) { events <- ev })
	})()
	// A route of another protocol is not reported; the subscription may start after the first
	// commands, so they repeat until the keepalived route's removal is seen.
	want := RoutingRemoved{Family: 4, Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: 100}
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		run(t, "ip", "-n", a.ns, "route", "add", "203.0.113.0/24", "via", "192.0.2.2", "proto", "static", "table", "100")
		run(t, "ip", "-n", a.ns, "route", "del", "203.0.113.0/24", "via", "192.0.2.2", "proto", "static", "table", "100")
		run(t, "ip", "-n", a.ns, "route", "add", "198.51.100.0/24", "via", "192.0.2.2", "proto", "keepalived", "table", "100")
		run(t, "ip", "-n", a.ns, "route", "del", "198.51.100.0/24", "table", "100")
		select {
		case ev := <-events:
			if ev != want {
				t.Fatalf("removal %+v, want %+v (only keepalived's routes are reported)", ev, want)
			}
			seen = true
		case <-deadline:
			t.Fatal("no removal of 198.51.100.0/24 reported within 10s")
		}
	}
	run(t, "ip", "-n", a.ns, "-6", "rule", "add", "to", "2001:db8:1::/48", "table", "100", "pref", "100", "protocol", "keepalived")
	run(t, "ip", "-n", a.ns, "-6", "rule", "del", "to", "2001:db8:1::/48", "table", "100", "pref", "100")
	for {
		select {
		case ev := <-events:
			if ev == want {
				continue // a repeat of the loop above
			}
			if w := (RoutingRemoved{Rule: true, Family: 6, Dst: netip.MustParsePrefix("2001:db8:1::/48"), Table: 100}); ev != w {
				t.Fatalf("removal %+v, want %+v", ev, w)
			}
			return
		case <-time.After(5 * time.Second):
			t.Fatal("no removal of the IPv6 rule reported within 5s")
		}
	}
}

func TestHasRouteAndRule(t *testing.T) {
	a, _ := newPair(t)
	route := Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.2"), Dev: "eth0", Table: 100, Protocol: unix.RTPROT_KEEPALIVED}
	blackhole := Route{Type: unix.RTN_BLACKHOLE, Dst: netip.MustParsePrefix("203.0.113.0/24"), Metric: 7, Protocol: unix.RTPROT_KEEPALIVED}
	rule := Rule{To: netip.MustParsePrefix("198.51.100.0/24"), Table: 100, Preference: 100, Options: iproute2.RuleOptions{Protocol: unix.RTPROT_KEEPALIVED}}
	has := func(what string, f func() (bool, error)) bool {
		t.Helper()
		var ok bool
		var err error
		a.do(t, func() { ok, err = f() })
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return ok
	}
	check := func(wantRoute, wantBlackhole, wantRule bool) {
		t.Helper()
		if got := has("HasRoute", func() (bool, error) { return HasRoute(route) }); got != wantRoute {
			t.Errorf("HasRoute(%v) = %v, want %v", route, got, wantRoute)
		}
		if got := has("HasRoute", func() (bool, error) { return HasRoute(blackhole) }); got != wantBlackhole {
			t.Errorf("HasRoute(%v) = %v, want %v", blackhole, got, wantBlackhole)
		}
		if got := has("HasRule", func() (bool, error) { return HasRule(rule) }); got != wantRule {
			t.Errorf("HasRule(%v) = %v, want %v", rule, got, wantRule)
		}
	}
	check(false, false, false)
	a.do(t, func() {
		for _, err := range []error{AddRoute(route), AddRoute(blackhole), AddRule(rule)} {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	check(true, true, true)
	// The same destination in another table, of another protocol or metric, at another preference:
	// not the ones asked for.
	run(t, "ip", "-n", a.ns, "route", "del", "198.51.100.0/24", "table", "100")
	run(t, "ip", "-n", a.ns, "route", "add", "198.51.100.0/24", "via", "192.0.2.2", "table", "100", "proto", "static")
	run(t, "ip", "-n", a.ns, "route", "add", "198.51.100.0/24", "via", "192.0.2.2", "proto", "keepalived")
	run(t, "ip", "-n", a.ns, "route", "del", "blackhole", "203.0.113.0/24", "metric", "7")
	run(t, "ip", "-n", a.ns, "route", "add", "blackhole", "203.0.113.0/24", "metric", "8", "proto", "keepalived")
	run(t, "ip", "-n", a.ns, "rule", "del", "pref", "100")
	run(t, "ip", "-n", a.ns, "rule", "add", "to", "198.51.100.0/24", "table", "100", "pref", "101", "protocol", "keepalived")
	check(false, false, false)
}
