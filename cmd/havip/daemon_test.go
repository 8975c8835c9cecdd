package main

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/lvs"
)

// TestVirtualServerStatusTraffic: the snapshot carries each kernel service
// of a virtual server with its destinations' counters, and sums them per
// virtual server and per real server; without counters it carries none.
// Each real server carries its checkers' states.
func TestVirtualServerStatusTraffic(t *testing.T) {
	rs1 := netip.MustParseAddrPort("198.51.100.1:8080")
	rs2 := netip.MustParseAddrPort("198.51.100.2:8080")
	tr := func(c uint64) lvs.Traffic {
		return lvs.Traffic{Connections: c, InPackets: 10 * c, OutPackets: 9 * c, InBytes: 1000 * c, OutBytes: 2000 * c}
	}
	et := func(c uint64) *engine.LVSTraffic {
		return &engine.LVSTraffic{Connections: c, InPackets: 10 * c, OutPackets: 9 * c, InBytes: 1000 * c, OutBytes: 2000 * c}
	}
	key := func(addr string) lvs.ServiceKey {
		return lvs.ServiceKey{Family: config.IPv4, Protocol: "TCP", Addr: netip.MustParseAddr(addr), Port: 80}
	}
	in := []lvs.VirtualServerState{
		{VirtualServer: "group web", Quorum: true, RealServers: []lvs.RealServerState{
			{RealServer: rs1, Alive: true, Weight: 1},
			{RealServer: rs2, Alive: false, Weight: -1, Checkers: []lvs.CheckerState{
				{Kind: "HTTP_GET", Up: false, HasRun: true, RetryIterations: 2, FailedURL: "/health", LastFailure: "GET /health: status 500 is not in status_code"},
				{Kind: "MISC_CHECK", Up: true, HasRun: true, Weight: 5, HasWeight: true},
				{Kind: "TCP_CHECK", Up: true},
			}},
		}, Services: []lvs.ServiceState{
			{Key: key("192.0.2.10"), Traffic: tr(3), Dests: []lvs.DestState{{Dest: lvs.DestKey{Addr: rs1.Addr(), Port: 8080}, Traffic: tr(3)}}},
			{Key: key("192.0.2.11"), Traffic: tr(2), Dests: []lvs.DestState{{Dest: lvs.DestKey{Addr: rs1.Addr(), Port: 8080}, Traffic: tr(2)}}},
			{Key: lvs.ServiceKey{Family: config.IPv4, Fwmark: 7}, Traffic: tr(0)},
		}},
		{VirtualServer: "192.0.2.20:80 TCP", Quorum: true, RealServers: []lvs.RealServerState{{RealServer: rs1, Alive: true, Weight: 1}}},
	}
	got := virtualServerStatus(in)
	five := 5
	dest := func(c uint64) []engine.LVSDestinationTraffic {
		return []engine.LVSDestinationTraffic{{Address: "198.51.100.1", Port: 8080, Traffic: *et(c)}}
	}
	want := []engine.VirtualServerStatus{
		{Name: "group web", Quorum: true, RealServers: []engine.RealServerStatus{
			{Address: "198.51.100.1:8080", Alive: true, Weight: 1, Traffic: et(5)},
			{Address: "198.51.100.2:8080", Alive: false, Weight: -1, Traffic: et(0), Checkers: []engine.CheckerStatus{
				{Kind: "HTTP_GET", Up: false, HasRun: true, RetryIterations: 2, FailedURL: "/health", LastFailure: "GET /health: status 500 is not in status_code"},
				{Kind: "MISC_CHECK", Up: true, HasRun: true, Weight: &five},
				{Kind: "TCP_CHECK", Up: true},
			}},
		}, Traffic: et(5), Services: []engine.LVSServiceStatus{
			{Address: "192.0.2.10", Port: 80, Protocol: "TCP", Traffic: *et(3), Destinations: dest(3)},
			{Address: "192.0.2.11", Port: 80, Protocol: "TCP", Traffic: *et(2), Destinations: dest(2)},
			{Fwmark: 7, Traffic: *et(0), Destinations: []engine.LVSDestinationTraffic{}},
		}},
		{Name: "192.0.2.20:80 TCP", Quorum: true, RealServers: []engine.RealServerStatus{{Address: "198.51.100.1:8080", Alive: true, Weight: 1}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("virtualServerStatus =\n%+v\nwant\n%+v", got, want)
	}
}
