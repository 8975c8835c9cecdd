package lvs

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cloudflare/ipvs"

	"github.com/havip/havip/config"
)

// fakeIPVS is a recording ipvs.Client holding services and destinations
// as the kernel would: creating what exists or touching what does not
// fails. The kernel here has no IPVS, so the IPVS backend is tested
// against it.
type fakeIPVS struct {
	mu       sync.Mutex
	calls    []string
	services map[string]ipvs.Service
	dests    map[string]map[string]ipvs.Destination
	// stats32 and stats64 are the kernel's counters by service ID, and by
	// service ID + " " + destination ID.
	stats32, stats64 map[string]ipvs.Stats
}

func newFakeIPVS() *fakeIPVS {
	return &fakeIPVS{services: map[string]ipvs.Service{}, dests: map[string]map[string]ipvs.Destination{}, stats32: map[string]ipvs.Stats{}, stats64: map[string]ipvs.Stats{}}
}

func svcID(s ipvs.Service) string {
	if s.FWMark != 0 {
		return fmt.Sprintf("FWM %d/%v", s.FWMark, s.Family)
	}
	return fmt.Sprintf("%v %s", s.Protocol, netip.AddrPortFrom(s.Address, s.Port))
}

func destID(d ipvs.Destination) string { return netip.AddrPortFrom(d.Address, d.Port).String() }

func (f *fakeIPVS) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

var errFake = errors.New("fake ipvs: no such entry or already exists")

func (f *fakeIPVS) Info() (ipvs.Info, error)     { return ipvs.Info{Version: [3]int{1, 2, 1}}, nil }
func (f *fakeIPVS) Config() (ipvs.Config, error) { return ipvs.Config{}, nil }
func (f *fakeIPVS) SetConfig(ipvs.Config) error  { return nil }
func (f *fakeIPVS) Services() ([]ipvs.ServiceExtended, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ipvs.ServiceExtended
	for _, s := range f.services {
		out = append(out, ipvs.ServiceExtended{Service: s})
	}
	return out, nil
}
func (f *fakeIPVS) Service(s ipvs.Service) (ipvs.ServiceExtended, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	got, ok := f.services[svcID(s)]
	if !ok {
		return ipvs.ServiceExtended{}, errFake
	}
	return ipvs.ServiceExtended{Service: got, Stats: f.stats32[svcID(s)], Stats64: f.stats64[svcID(s)]}, nil
}
func (f *fakeIPVS) CreateService(s ipvs.Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("create service %s %s flags=%v timeout=%d", svcID(s), s.Scheduler, s.Flags, s.Timeout)
	if _, ok := f.services[svcID(s)]; ok {
		return errFake
	}
	f.services[svcID(s)] = s
	f.dests[svcID(s)] = map[string]ipvs.Destination{}
	return nil
}
func (f *fakeIPVS) UpdateService(s ipvs.Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("update service %s %s", svcID(s), s.Scheduler)
	if _, ok := f.services[svcID(s)]; !ok {
		return errFake
	}
	f.services[svcID(s)] = s
	return nil
}
func (f *fakeIPVS) RemoveService(s ipvs.Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("remove service %s", svcID(s))
	if _, ok := f.services[svcID(s)]; !ok {
		return errFake
	}
	delete(f.services, svcID(s))
	delete(f.dests, svcID(s))
	return nil
}
func (f *fakeIPVS) Destinations(s ipvs.Service) ([]ipvs.DestinationExtended, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ipvs.DestinationExtended
	for _, d := range f.dests[svcID(s)] {
		id := svcID(s) + " " + destID(d)
		out = append(out, ipvs.DestinationExtended{Destination: d, Stats: f.stats32[id], Stats64: f.stats64[id]})
	}
	return out, nil
}
func (f *fakeIPVS) destOp(op string, s ipvs.Service, d ipvs.Destination, exists bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("%s destination %s %s weight=%d fwd=%v", op, svcID(s), destID(d), d.Weight, d.FwdMethod)
	ds, ok := f.dests[svcID(s)]
	if !ok {
		return errFake
	}
	if _, had := ds[destID(d)]; had != exists {
		return errFake
	}
	if op == "remove" {
		delete(ds, destID(d))
	} else {
		ds[destID(d)] = d
	}
	return nil
}
func (f *fakeIPVS) CreateDestination(s ipvs.Service, d ipvs.Destination) error {
	return f.destOp("create", s, d, false)
}
func (f *fakeIPVS) UpdateDestination(s ipvs.Service, d ipvs.Destination) error {
	return f.destOp("update", s, d, true)
}
func (f *fakeIPVS) RemoveDestination(s ipvs.Service, d ipvs.Destination) error {
	return f.destOp("remove", s, d, true)
}

// table returns "SERVICE: DEST=WEIGHT ..." lines, sorted.
func (f *fakeIPVS) table() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var lines []string
	for id := range f.services {
		var ds []string
		for did, d := range f.dests[id] {
			ds = append(ds, fmt.Sprintf("%s=%d", did, d.Weight))
		}
		slices.Sort(ds)
		lines = append(lines, id+": "+strings.Join(ds, " "))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func (f *fakeIPVS) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func TestIPVSSync(t *testing.T) {
	f := newFakeIPVS()
	b := NewIPVSWith(f)
	vip := netip.MustParseAddr("192.0.2.10")
	rs := func(last byte, w int, kind string) Dest {
		return Dest{Addr: netip.AddrFrom4([4]byte{192, 0, 2, last}), Port: 8080, Weight: w, Method: config.Method{Kind: kind}}
	}
	svc := func(sched string, persist int, dests ...Dest) Service {
		return Service{Family: config.IPv4, Protocol: "TCP", Addr: vip, Port: 80, Scheduler: sched, Persistence: persist, Dests: dests}
	}
	steps := []struct {
		name     string
		services []Service
		calls    []string
		table    string
	}{
		{"create", []Service{svc("wrr", 50, rs(20, 1, "NAT"), rs(21, 2, "DR"))}, []string{
			"create service TCP 192.0.2.10:80 wrr flags=ServicePersistent timeout=50",
			"create destination TCP 192.0.2.10:80 192.0.2.20:8080 weight=1 fwd=Masquerade",
			"create destination TCP 192.0.2.10:80 192.0.2.21:8080 weight=2 fwd=DirectRoute",
		}, "TCP 192.0.2.10:80: 192.0.2.20:8080=1 192.0.2.21:8080=2"},
		{"unchanged makes no call", []Service{svc("wrr", 50, rs(20, 1, "NAT"), rs(21, 2, "DR"))}, nil, "TCP 192.0.2.10:80: 192.0.2.20:8080=1 192.0.2.21:8080=2"},
		{"inhibit: weight 0, remove, add", []Service{svc("wrr", 50, rs(20, 0, "NAT"), rs(22, 1, "NAT"))}, []string{
			"remove destination TCP 192.0.2.10:80 192.0.2.21:8080 weight=2 fwd=DirectRoute",
			"update destination TCP 192.0.2.10:80 192.0.2.20:8080 weight=0 fwd=Masquerade",
			"create destination TCP 192.0.2.10:80 192.0.2.22:8080 weight=1 fwd=Masquerade",
		}, "TCP 192.0.2.10:80: 192.0.2.20:8080=0 192.0.2.22:8080=1"},
		{"scheduler change updates the service", []Service{svc("rr", 50, rs(20, 0, "NAT"), rs(22, 1, "NAT"))}, []string{
			"update service TCP 192.0.2.10:80 rr",
		}, "TCP 192.0.2.10:80: 192.0.2.20:8080=0 192.0.2.22:8080=1"},
		{"removal", nil, []string{"remove service TCP 192.0.2.10:80"}, ""},
	}
	for _, st := range steps {
		if err := b.Sync(st.services); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := f.takeCalls(); !slices.Equal(got, st.calls) {
			t.Errorf("%s: calls\n%s\nwant\n%s", st.name, strings.Join(got, "\n"), strings.Join(st.calls, "\n"))
		}
		if got := f.table(); got != st.table {
			t.Errorf("%s: table %q, want %q", st.name, got, st.table)
		}
	}
}

func TestIPVSServiceFlags(t *testing.T) {
	s := ipvsService(Service{Family: config.IPv4, Fwmark: 3, Scheduler: "sh", SchedFlags: []string{"sh-port", "flag-3"}, OnePacket: true, Persistence: 60, Granularity: "255.255.255.0"})
	want := ipvs.ServicePersistent | ipvs.ServiceOnePacket | ipvs.ServiceSchedulerOpt2 | ipvs.ServiceSchedulerOpt3
	if s.Flags != want || s.Timeout != 60 || s.FWMark != 3 || s.Protocol != 0 {
		t.Errorf("service %+v, flags %v want %v", s, s.Flags, want)
	}
	if ones := maskBits(netip.MustParseAddr("255.255.255.0")); ones != 24 {
		t.Errorf("maskBits = %d", ones)
	}
	d := ipvsDest(Dest{Addr: netip.MustParseAddr("2001:db8::1"), Port: 80, Weight: 5, Method: config.Method{Kind: "TUN", Tunnel: []string{"type", "gue", "port", "6080", "csum"}}})
	if d.FwdMethod != ipvs.Tunnel || d.TunnelType != ipvs.GUE || d.TunnelPort != 6080 || d.TunnelFlags != ipvs.TunnelEncapChecksum || d.Family != ipvs.INET6 {
		t.Errorf("tunnel destination %+v", d)
	}
}

// TestIPVSStats: the counters of havip's services and their destinations
// come from the kernel's 64-bit statistics, or the 32-bit ones when the
// kernel sends only those; services havip did not create are not read.
func TestIPVSStats(t *testing.T) {
	f := newFakeIPVS()
	b := NewIPVSWith(f)
	vip := netip.MustParseAddr("192.0.2.10")
	rs1, rs2 := netip.MustParseAddr("192.0.2.20"), netip.MustParseAddr("192.0.2.21")
	svc := Service{Family: config.IPv4, Protocol: "TCP", Addr: vip, Port: 80, Scheduler: "wrr", Dests: []Dest{
		{Addr: rs1, Port: 8080, Weight: 1, Method: nat},
		{Addr: rs2, Port: 8080, Weight: 0, Method: nat},
	}}
	fwm := Service{Family: config.IPv4, Fwmark: 7, Scheduler: "rr", Dests: []Dest{{Addr: rs1, Weight: 1, Method: nat}}}
	if err := b.Sync([]Service{svc, fwm}); err != nil {
		t.Fatal(err)
	}
	foreign := ipvs.Service{Address: netip.MustParseAddr("192.0.2.99"), Port: 80, Protocol: ipvs.TCP, Family: ipvs.INET}
	if err := f.CreateService(foreign); err != nil {
		t.Fatal(err)
	}
	f.stats64[svcID(foreign)] = ipvs.Stats{Connections: 99}
	f.stats64["TCP 192.0.2.10:80"] = ipvs.Stats{Connections: 5_000_000_000, IncomingPackets: 70, OutgoingPackets: 60, IncomingBytes: 7000, OutgoingBytes: 9000}
	f.stats32["TCP 192.0.2.10:80"] = ipvs.Stats{Connections: 705_032_704, IncomingPackets: 70, OutgoingPackets: 60, IncomingBytes: 7000, OutgoingBytes: 9000}
	f.stats64["TCP 192.0.2.10:80 192.0.2.20:8080"] = ipvs.Stats{Connections: 4, IncomingPackets: 40, OutgoingPackets: 30, IncomingBytes: 4000, OutgoingBytes: 5000}
	f.stats32["FWM 7/INET"] = ipvs.Stats{Connections: 3, IncomingPackets: 9, IncomingBytes: 900, OutgoingPackets: 6, OutgoingBytes: 600}
	f.stats32["FWM 7/INET 192.0.2.20:0"] = ipvs.Stats{Connections: 3, IncomingPackets: 9, IncomingBytes: 900, OutgoingPackets: 6, OutgoingBytes: 600}
	got, err := b.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := map[ServiceKey]ServiceStats{
		svc.Key(): {Traffic: Traffic{Connections: 5_000_000_000, InPackets: 70, OutPackets: 60, InBytes: 7000, OutBytes: 9000}, Dests: map[DestKey]Traffic{
			{rs1, 8080}: {Connections: 4, InPackets: 40, OutPackets: 30, InBytes: 4000, OutBytes: 5000},
			{rs2, 8080}: {},
		}},
		fwm.Key(): {Traffic: Traffic{Connections: 3, InPackets: 9, OutPackets: 6, InBytes: 900, OutBytes: 600}, Dests: map[DestKey]Traffic{
			{rs1, 0}: {Connections: 3, InPackets: 9, OutPackets: 6, InBytes: 900, OutBytes: 600},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats() =\n%+v\nwant\n%+v", got, want)
	}
	if err := b.Sync(nil); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Stats(); err != nil || len(got) != 0 {
		t.Errorf("Stats() after removing every service = %v, %v; want none", got, err)
	}
}
