package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/firewall"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// fakeHost is a Host in memory: it records what the engine installs, sends
// and opens, and fails where a test tells it to. It is safe for concurrent
// use (Run's helpers read and watch from their goroutines).
type fakeHost struct {
	mu         sync.Mutex
	vips       map[netif.VIP]bool
	routes     map[string]bool // Route.String()
	rules      map[string]bool // Rule.String()
	vmacs      map[string]bool // name → up
	noAddr     map[string]bool // interfaces without a source address
	gone       map[string]bool // "ifname addr" taken off the interface (HasAddr)
	promote    map[string]bool // promote_secondaries by interface
	igmpOff    bool            // igmp_link_local_mcast_reports is 0
	failListen map[string]bool // interfaces whose sockets cannot be opened
	sent       []sentAdvert
	announced  []string       // "dev addr"
	open       map[any]string // open sockets → what they are
	links      chan netif.LinkEvent
	watching   []string
	receivers  map[string]*fakeSocket // the last receiver opened per interface
	ahRx       map[string]*fakeSocket // the last AH receiver opened per interface
	rxBuf      map[string]int         // receive buffer sizes set, by interface
	// counting makes the host only count adverts and announcements
	// (benchmarks: the engine's cost, not the fake's).
	counting          bool
	nSent, nAnnounced int
	// firewall is havip's table while open: the addresses dropped, and the
	// chains VRRP is accepted in.
	firewall *fakeFirewall
	// linkBeat are the links LinkBeat reads, by interface; an interface not
	// there is up with index 1; linkBeatErr fails its reads. polls counts
	// the reads.
	linkBeat    map[string]netif.LinkEvent
	linkBeatErr map[string]error
	polls       map[string]int
	// vmacSpecs are the VMACs as EnsureVMAC last made them, by name; ensured counts its calls
	// by name; foreignLinks are names taken by devices EnsureVMAC cannot adopt.
	vmacSpecs    map[string]netif.VMAC
	ensured      map[string]int
	foreignLinks map[string]bool
	// ipvlans are the use_ipvlan devices EnsureIPVlan made, by name; noIPVlan makes
	// EnsureIPVlan fail as a kernel without ipvlan does.
	ipvlans  map[string]netif.IPVlan
	noIPVlan bool
	// linkKinds are the devices LinkKind knows, by name; others are missing.
	linkKinds map[string]string
}

// fakeFirewall is havip's nftables table in memory.
type fakeFirewall struct {
	h       *fakeHost
	dropped map[netip.Addr]int
	accept  []string
}

func (h *fakeHost) OpenFirewall() (Firewall, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.firewall = &fakeFirewall{h: h, dropped: map[netip.Addr]int{}}
	return h.firewall, nil
}

func (h *fakeHost) HasVIP(v netif.VIP) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.vips[v], nil
}

func (h *fakeHost) LinkUp(string) (bool, error) { return true, nil }

// HasAddr reports every address present but those a test took away (gone).
func (h *fakeHost) HasAddr(ifname string, addr netip.Addr) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.gone[ifname+" "+addr.String()], nil
}

// setAddr puts addr on ifname, or takes it away, for HasAddr.
func (h *fakeHost) setAddr(ifname string, addr netip.Addr, present bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if present {
		delete(h.gone, ifname+" "+addr.String())
	} else {
		h.gone[ifname+" "+addr.String()] = true
	}
}

// WatchAddrRemovals reports nothing: tests call the engine's addrRemoved.
func (h *fakeHost) WatchAddrRemovals(ctx context.Context, _ func(netif.AddrRemoved)) error {
	<-ctx.Done()
	return nil
}

// WatchRoutingRemovals reports nothing: tests call the engine's routingRemoved.
func (h *fakeHost) WatchRoutingRemovals(ctx context.Context, _ uint8, _ func(netif.RoutingRemoved)) error {
	<-ctx.Done()
	return nil
}

func (h *fakeHost) HasRoute(r netif.Route) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.routes[r.String()], nil
}

func (h *fakeHost) HasRule(r netif.Rule) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rules[r.String()], nil
}

func (h *fakeHost) RemoveStaleFirewall() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.firewall = nil
	return nil
}

func (f *fakeFirewall) Drop(addrs ...netip.Addr) error {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	for _, a := range addrs {
		f.dropped[a]++
	}
	return nil
}

func (f *fakeFirewall) Allow(addrs ...netip.Addr) error {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	for _, a := range addrs {
		if f.dropped[a] == 0 {
			return fmt.Errorf("allow %v: not dropped", a)
		}
		if f.dropped[a]--; f.dropped[a] == 0 {
			delete(f.dropped, a)
		}
	}
	return nil
}

func (f *fakeFirewall) AcceptVRRP(c firewall.Chain, ah bool) error {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	what := c.String()
	if ah {
		what += " +ah"
	}
	f.accept = append(f.accept, what)
	return nil
}

func (f *fakeFirewall) Close() error {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	if f.h.firewall == f {
		f.h.firewall = nil
	}
	return nil
}

// sentAdvert is one advert the engine sent.
type sentAdvert struct {
	ifname   string
	src, dst netip.Addr
	priority uint8
	vrid     uint8
	addrs    []netip.Addr
	ah       bool              // sent as an AH datagram
	seq      uint32            // its AH sequence number
	checksum vrrp.ChecksumForm // the form Parse matched
}

func newFakeHost() *fakeHost {
	return &fakeHost{
		vips: map[netif.VIP]bool{}, routes: map[string]bool{}, rules: map[string]bool{}, vmacs: map[string]bool{},
		noAddr: map[string]bool{}, gone: map[string]bool{}, promote: map[string]bool{}, failListen: map[string]bool{}, open: map[any]string{},
		links: make(chan netif.LinkEvent, 16), receivers: map[string]*fakeSocket{}, ahRx: map[string]*fakeSocket{}, rxBuf: map[string]int{},
		linkBeat: map[string]netif.LinkEvent{}, linkBeatErr: map[string]error{}, polls: map[string]int{},
	}
}

func (h *fakeHost) AddVIP(v netif.VIP) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.vips[v] = true
	return nil
}

func (h *fakeHost) DelVIP(v netif.VIP) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.vips[v] {
		return fmt.Errorf("%v: %w", v, errors.New("no such address"))
	}
	delete(h.vips, v)
	return nil
}

func (h *fakeHost) RemoveStale(vips []netif.VIP) ([]netif.VIP, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var removed []netif.VIP
	for _, v := range vips {
		if h.vips[v] {
			delete(h.vips, v)
			removed = append(removed, v)
		}
	}
	return removed, nil
}

func (h *fakeHost) PrimaryAddr(ifname string, family int) (netip.Addr, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.noAddr[ifname] {
		return netip.Addr{}, fmt.Errorf("primary address of %s: %w", ifname, netif.ErrNoAddress)
	}
	if family == 6 {
		return netip.MustParseAddr("fe80::1"), nil
	}
	return netip.MustParseAddr("192.0.2.1"), nil
}

func (h *fakeHost) AddRoute(r netif.Route) error { return h.set(h.routes, r.String(), true) }
func (h *fakeHost) DelRoute(r netif.Route) error { return h.set(h.routes, r.String(), false) }
func (h *fakeHost) AddRule(r netif.Rule) error   { return h.set(h.rules, r.String(), true) }
func (h *fakeHost) DelRule(r netif.Rule) error   { return h.set(h.rules, r.String(), false) }

func (h *fakeHost) set(m map[string]bool, key string, on bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !on && !m[key] {
		return fmt.Errorf("%s: not installed", key)
	}
	if on {
		m[key] = true
	} else {
		delete(m, key)
	}
	return nil
}

func (h *fakeHost) EnsureVMAC(v netif.VMAC) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.foreignLinks[v.Name] {
		return nil, fmt.Errorf("VMAC %s: a veth device of that name already exists: %w", v.Name, netif.ErrVMACNameTaken)
	}
	if h.vmacSpecs == nil {
		h.vmacSpecs, h.ensured = map[string]netif.VMAC{}, map[string]int{}
	}
	h.vmacSpecs[v.Name] = v
	h.ensured[v.Name]++
	if _, ok := h.vmacs[v.Name]; !ok {
		h.vmacs[v.Name] = false
	}
	return nil, nil
}

func (h *fakeHost) SetPromoteSecondaries(ifname string, on bool) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	was := h.promote[ifname]
	h.promote[ifname] = on
	return was, nil
}

func (h *fakeHost) SetIGMPLinkLocalReports(on bool) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	was := !h.igmpOff
	h.igmpOff = !on
	return was, nil
}

func (h *fakeHost) SetVMACUp(name string, up bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.vmacs[name]; !ok {
		return fmt.Errorf("VMAC %s does not exist", name)
	}
	h.vmacs[name] = up
	return nil
}

func (h *fakeHost) DeleteVMAC(name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.vmacs, name)
	return nil
}

func (h *fakeHost) ListenVRRP(ifname string, family int, groups []netip.Addr) (Receiver, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failListen[ifname] {
		return nil, fmt.Errorf("listen VRRP on %s: %w", ifname, errors.New("no such interface"))
	}
	r := &fakeSocket{host: h, ifname: ifname, closed: make(chan struct{}), packets: make(chan netif.Packet, 16)}
	h.open[r] = fmt.Sprintf("rx %s/IPv%d %v", ifname, family, groups)
	h.receivers[ifname] = r
	return r, nil
}

func (h *fakeHost) DialVRRP(ifname string, family int) (Sender, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &fakeSocket{host: h, ifname: ifname, closed: make(chan struct{})}
	h.open[s] = fmt.Sprintf("tx %s/IPv%d", ifname, family)
	return s, nil
}

func (h *fakeHost) ListenAH(ifname string, groups []netip.Addr) (Receiver, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failListen[ifname] {
		return nil, fmt.Errorf("listen AH on %s: %w", ifname, errors.New("no such interface"))
	}
	r := &fakeSocket{host: h, ifname: ifname, closed: make(chan struct{}), packets: make(chan netif.Packet, 16)}
	h.open[r] = fmt.Sprintf("rx AH %s %v", ifname, groups)
	h.ahRx[ifname] = r
	return r, nil
}

func (h *fakeHost) DialAH(ifname string) (DatagramSender, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &fakeSocket{host: h, ifname: ifname, closed: make(chan struct{})}
	h.open[s] = "tx AH " + ifname
	return s, nil
}

func (h *fakeHost) NewAnnouncer(ifname string) (Announcer, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := &fakeSocket{host: h, ifname: ifname, closed: make(chan struct{})}
	h.open[a] = "announce " + ifname
	return a, nil
}

func (h *fakeHost) WatchLinks(ctx context.Context, ifnames []string, fn func(netif.LinkEvent)) error {
	h.mu.Lock()
	h.watching = slices.Clone(ifnames)
	h.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-h.links:
			if slices.Contains(ifnames, ev.Name) { // netif.WatchLinks reports the names watched only
				fn(ev)
			}
		}
	}
}

// LinkBeat reads h.linkBeat with ETHTOOL, as on a veth.
func (h *fakeHost) LinkBeat(ifname string, _ netif.LinkBeatMethod) (netif.LinkEvent, netif.LinkBeatMethod, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.polls[ifname]++
	if err := h.linkBeatErr[ifname]; err != nil {
		return netif.LinkEvent{}, 0, err
	}
	ev, ok := h.linkBeat[ifname]
	if !ok {
		ev = netif.LinkEvent{Name: ifname, Index: 1, Up: true}
	}
	return ev, netif.LinkBeatEthtool, nil
}

// fakeSocket is every socket of fakeHost: a receiver that returns what
// deliver hands it, a sender and an announcer that record what they send.
type fakeSocket struct {
	host    *fakeHost
	ifname  string
	once    sync.Once
	closed  chan struct{}
	packets chan netif.Packet
}

func (s *fakeSocket) Read(buf []byte) (netif.Packet, error) {
	select {
	case <-s.closed:
		return netif.Packet{}, net.ErrClosed
	case p := <-s.packets:
		if p.Datagram == nil {
			p.Payload = buf[:copy(buf, p.Payload)]
			return p, nil
		}
		n, hdr := copy(buf, p.Datagram), len(p.Datagram)-len(p.Payload)
		p.Datagram, p.Payload = buf[:n], buf[hdr:n]
		return p, nil
	}
}

// deliver hands a packet to the receiver of ifname.
func (h *fakeHost) deliver(t testing.TB, ifname string, p netif.Packet) {
	h.mu.Lock()
	r := h.receivers[ifname]
	h.mu.Unlock()
	if r == nil {
		t.Fatalf("no receiver on %s", ifname)
	}
	r.packets <- p
}

// deliverAH hands a packet to the AH receiver of ifname.
func (h *fakeHost) deliverAH(t testing.TB, ifname string, p netif.Packet) {
	h.mu.Lock()
	r := h.ahRx[ifname]
	h.mu.Unlock()
	if r == nil {
		t.Fatalf("no AH receiver on %s", ifname)
	}
	r.packets <- p
}

func (s *fakeSocket) Send(payload []byte, src, dst netip.Addr, ttl int) error {
	if s.host.counting {
		s.host.mu.Lock()
		s.host.nSent++
		s.host.mu.Unlock()
		return nil
	}
	var rx vrrp.Received
	if r := vrrp.Parse(&rx, payload, src, dst, uint8(ttl)); r != vrrp.DropNone {
		return fmt.Errorf("the engine sent an advert Parse refuses: %v", r)
	}
	s.host.mu.Lock()
	defer s.host.mu.Unlock()
	s.host.sent = append(s.host.sent, sentAdvert{ifname: s.ifname, src: src, dst: dst, priority: rx.Priority, vrid: rx.VRID, addrs: slices.Clone(rx.Addrs), checksum: rx.Checksum})
	return nil
}

// SendDatagram records an AH advert, which must pass ParseAH.
func (s *fakeSocket) SendDatagram(d []byte) error {
	var rx vrrp.Received
	if r := vrrp.ParseAH(&rx, d); r != vrrp.DropNone {
		return fmt.Errorf("the engine sent an AH datagram ParseAH refuses: %v", r)
	}
	s.host.mu.Lock()
	defer s.host.mu.Unlock()
	s.host.sent = append(s.host.sent, sentAdvert{ifname: s.ifname, src: rx.Src, dst: rx.Dst, priority: rx.Priority, vrid: rx.VRID,
		addrs: slices.Clone(rx.Addrs), ah: true, seq: rx.AuthHeader.Seq})
	return nil
}

func (s *fakeSocket) SetReadBuffer(n int) error {
	s.host.mu.Lock()
	defer s.host.mu.Unlock()
	s.host.rxBuf[s.ifname] = n
	return nil
}

func (s *fakeSocket) GratuitousARP(a netip.Addr) error { return s.announce(a) }
func (s *fakeSocket) UnsolicitedNA(a netip.Addr) error { return s.announce(a) }

func (s *fakeSocket) announce(a netip.Addr) error {
	s.host.mu.Lock()
	defer s.host.mu.Unlock()
	if s.host.counting {
		s.host.nAnnounced++
		return nil
	}
	s.host.announced = append(s.host.announced, s.ifname+" "+a.String())
	return nil
}

func (s *fakeSocket) Close() error {
	s.once.Do(func() {
		close(s.closed)
		s.host.mu.Lock()
		delete(s.host.open, s)
		s.host.mu.Unlock()
	})
	return nil
}

// installed lists the VIPs on the host, sorted: "192.0.2.100/32 dev eth0".
func (h *fakeHost) installed() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var s []string
	for v := range h.vips {
		s = append(s, v.String())
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// takeSent returns the adverts sent since the last call.
func (h *fakeHost) takeSent() []sentAdvert {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.sent
	h.sent = nil
	return out
}

// takeAnnounced returns the announcements made since the last call.
func (h *fakeHost) takeAnnounced() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.announced
	h.announced = nil
	return out
}

// leftovers describes everything still installed or open.
func (h *fakeHost) leftovers() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var s []string
	for v := range h.vips {
		s = append(s, "vip "+v.String())
	}
	for r := range h.routes {
		s = append(s, "route "+r)
	}
	for r := range h.rules {
		s = append(s, "rule "+r)
	}
	for v := range h.vmacs {
		s = append(s, "vmac "+v)
	}
	for _, what := range h.open {
		s = append(s, "open "+what)
	}
	if h.firewall != nil {
		s = append(s, "firewall table")
	}
	sort.Strings(s)
	return strings.Join(s, "; ")
}

// fakeClock is a Clock that moves only when a test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, c: make(chan time.Time, 1), at: c.now.Add(d), armed: true}
	c.timers = append(c.timers, t)
	return t
}

// set moves the clock to now and fires the timers that are due.
func (c *fakeClock) set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	for _, t := range c.timers {
		if t.armed && !t.at.After(now) {
			t.armed = false
			select {
			case t.c <- now:
			default:
			}
		}
	}
}

type fakeTimer struct {
	clock *fakeClock
	c     chan time.Time
	at    time.Time
	armed bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Reset(d time.Duration) {
	t.clock.mu.Lock()
	t.at, t.armed = t.clock.now.Add(d), true
	t.clock.mu.Unlock()
	t.clock.set(t.clock.Now())
}

func (t *fakeTimer) Stop() {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	t.armed = false
}

// rig is an engine on a fake host and clock, driven step by step from the
// test goroutine: the same entry points Run's event loop calls, without its
// goroutines.
type rig struct {
	t     testing.TB
	e     *Engine
	host  *fakeHost
	clock *fakeClock
}

// parseConfig parses a config text that must be valid.
func parseConfig(t testing.TB, text string) *config.Config {
	t.Helper()
	cfg, diags := config.ParseBytes("test.conf", []byte(text), config.Options{ConfigID: "test"})
	if diags.HasErrors() {
		t.Fatalf("config errors: %v", diags.Err())
	}
	return cfg
}

// newRig plans text on a fake host; start begins it.
func newRig(t testing.TB, text string) *rig {
	t.Helper()
	r := &rig{t: t, host: newFakeHost(), clock: newFakeClock()}
	e, err := NewWithOptions(parseConfig(t, text), Options{Log: slog.New(slog.DiscardHandler), Host: r.host, Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	return r
}

// start does what Run does before its loop.
func (r *rig) start() *rig {
	r.e.begin()
	return r
}

// advance moves the clock by d, firing every instance timer on the way at
// its own time.
func (r *rig) advance(d time.Duration) {
	end := r.clock.Now().Add(d)
	for len(r.e.sched) > 0 && !r.e.sched[0].when.After(end) {
		at := r.e.sched[0].when
		r.clock.set(at)
		r.e.expire(at)
	}
	r.clock.set(end)
}

// apply hands the engine a new config text.
func (r *rig) apply(text string) error {
	return r.e.reconfigure(parseConfig(r.t, text))
}

// advert delivers an advert for vrid with priority from src to dst on
// ifname, as the socket reader would.
func (r *rig) advert(ifname string, src, dst netip.Addr, vrid, priority uint8, addrs ...string) {
	r.t.Helper()
	r.e.receive(r.inbound(ifname, src, dst, vrid, priority, addrs...))
}

// inbound is the advert the socket reader of ifname hands the event loop.
func (r *rig) inbound(ifname string, src, dst netip.Addr, vrid, priority uint8, addrs ...string) inbound {
	r.t.Helper()
	family := 4
	if src.Is6() {
		family = 6
	}
	pt := r.e.ports[portKey{ifname: ifname, family: family}]
	if pt == nil {
		r.t.Fatalf("no port on %s/IPv%d", ifname, family)
	}
	a := vrrp.Advert{Version: 2, VRID: vrid, Priority: priority, AdverInt: 1}
	if family == 6 {
		a.Version, a.AdverInt = 3, 100
	}
	for _, s := range addrs {
		a.Addrs = append(a.Addrs, netip.MustParseAddr(s))
	}
	b, err := a.Append(nil, src, dst, vrrp.ChecksumRFC5798)
	if err != nil {
		r.t.Fatal(err)
	}
	in := inbound{port: pt}
	if reason := vrrp.Parse(&in.rx, b, src, dst, vrrp.TTL); reason != vrrp.DropNone {
		r.t.Fatalf("test advert refused: %v", reason)
	}
	return in
}

// link reports ifname up or down.
func (r *rig) link(ifname string, up bool) { r.e.link(netif.LinkEvent{Name: ifname, Up: up}) }

// track reports a tracker result.
func (r *rig) track(kind track.Kind, name string, up bool, value int64) {
	key := track.Key{Kind: kind, Name: name}
	r.e.trackerResult(trackResult{run: r.e.trackers[key], r: track.Result{Key: key, Up: up, Value: value}})
}

// states is "NAME=STATE ..." of every instance, in config order.
func (r *rig) states() string {
	var s []string
	for _, st := range r.e.snapshot().Instances {
		s = append(s, st.Name+"="+st.State)
	}
	return strings.Join(s, " ")
}

// stop releases the instances and closes everything, as Run does at exit.
func (r *rig) stop() {
	r.e.stop()
	r.e.close()
}

// ip is netip.MustParseAddr.
func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

var group4 = ip("224.0.0.18")

// vmacInfo describes the VMAC name as "PARENT MAC IPvF up|down", or "" when it does not exist.
func (h *fakeHost) vmacInfo(name string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	up, ok := h.vmacs[name]
	if !ok {
		return ""
	}
	v := h.vmacSpecs[name]
	state := "down"
	if up {
		state = "up"
	}
	return fmt.Sprintf("%s %s IPv%d %s", v.Parent, v.MAC, v.Family, state)
}

// pollCount is how many times LinkBeat read ifname.
func (h *fakeHost) pollCount(ifname string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.polls[ifname]
}

func (h *fakeHost) EnsureIPVlan(v netif.IPVlan) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.noIPVlan {
		return fmt.Errorf("ipvlan %s on %s: %w: operation not supported", v.Name, v.Parent, netif.ErrNoIPVlanSupport)
	}
	if h.ipvlans == nil {
		h.ipvlans = map[string]netif.IPVlan{}
	}
	h.ipvlans[v.Name] = v
	return nil
}

func (h *fakeHost) DeleteIPVlan(name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.ipvlans, name)
	return nil
}

func (h *fakeHost) LinkKind(ifname string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kind, ok := h.linkKinds[ifname]
	if !ok {
		return "", fmt.Errorf("interface %q: %w", ifname, netif.ErrNoInterface)
	}
	return kind, nil
}

// alertSink is an SMTP server on loopback recording the Subject of every
// message it accepts.
type alertSink struct {
	ln       net.Listener
	mu       sync.Mutex
	subjects []string
}

func newAlertSink(t *testing.T) *alertSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &alertSink{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *alertSink) serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	var in strings.Builder
	write := func(line string) bool { _, err := c.Write([]byte(line + "\r\n")); return err == nil }
	if !write("220 sink") {
		return
	}
	data := false
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		in.Write(buf[:n])
		for {
			text := in.String()
			if data {
				end := strings.Index(text, "\r\n.\r\n")
				if end < 0 {
					break
				}
				for _, l := range strings.Split(text[:end], "\r\n") {
					if subj, ok := strings.CutPrefix(l, "Subject: "); ok {
						s.mu.Lock()
						s.subjects = append(s.subjects, subj)
						s.mu.Unlock()
					}
				}
				in.Reset()
				in.WriteString(text[end+5:])
				data = false
				if !write("250 queued") {
					return
				}
				continue
			}
			line, rest, ok := strings.Cut(text, "\r\n")
			if !ok {
				break
			}
			in.Reset()
			in.WriteString(rest)
			switch {
			case line == "DATA":
				data = true
				write("354 go ahead")
			case line == "QUIT":
				write("221 bye")
				return
			default:
				write("250 ok")
			}
		}
	}
}

func (s *alertSink) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.subjects)
}

// TestEngineSendsSMTPAlerts: an instance with smtp_alert mails its
// transitions as keepalived words them; one without sends none. Stopping
// mails nothing: keepalived 2.2.7 exits before its STOP alert is sent.
func TestEngineSendsSMTPAlerts(t *testing.T) {
	sink := newAlertSink(t)
	host, port, _ := net.SplitHostPort(sink.ln.Addr().String())
	conf := "global_defs {\n  router_id lb1\n  notification_email {\n    ops@example.com\n  }\n  smtp_server " + host + " " + port + "\n  smtp_connect_timeout 5\n}\n" +
		vi("VI_1", 51, 100, "192.0.2.100", "smtp_alert") + vi("VI_2", 52, 100, "192.0.2.101")
	r := newRig(t, conf).start()
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER VI_2=MASTER" {
		t.Fatalf("without peers: %s", got)
	}
	r.stop()
	want := []string{
		"[lb1] VRRP Instance VI_1 - Entering BACKUP state",
		"[lb1] VRRP Instance VI_1 - Entering MASTER state",
	}
	got := sink.got()
	slices.Sort(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("alerts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEngineNoSMTPAlertsWithoutSMTPAlert: notification_email and
// smtp_server alone send nothing.
func TestEngineNoSMTPAlertsWithoutSMTPAlert(t *testing.T) {
	sink := newAlertSink(t)
	host, port, _ := net.SplitHostPort(sink.ln.Addr().String())
	conf := "global_defs {\n  notification_email {\n    ops@example.com\n  }\n  smtp_server " + host + " " + port + "\n}\n" +
		vi("VI_1", 51, 100, "192.0.2.100")
	r := newRig(t, conf).start()
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("without peers: %s", got)
	}
	r.stop()
	if got := sink.got(); len(got) != 0 {
		t.Fatalf("alerts sent without smtp_alert: %q", got)
	}
}

// TestEngineSMTPAlertFault: entering FAULT is mailed unless
// no_email_faults; the BACKUP that follows is mailed either way (it
// differs from the last state mailed, MASTER, as in keepalived 2.2.7).
func TestEngineSMTPAlertFault(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		{"fault mailed", "", []string{
			"[lb1] VRRP Instance VI_1 - Entering BACKUP state",
			"[lb1] VRRP Instance VI_1 - Entering BACKUP state",
			"[lb1] VRRP Instance VI_1 - Entering FAULT state",
			"[lb1] VRRP Instance VI_1 - Entering MASTER state",
		}},
		{"no_email_faults", "  no_email_faults\n", []string{
			"[lb1] VRRP Instance VI_1 - Entering BACKUP state",
			"[lb1] VRRP Instance VI_1 - Entering BACKUP state",
			"[lb1] VRRP Instance VI_1 - Entering MASTER state",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := newAlertSink(t)
			host, port, _ := net.SplitHostPort(sink.ln.Addr().String())
			conf := "global_defs {\n  router_id lb1\n  notification_email {\n    ops@example.com\n  }\n  smtp_server " + host + " " + port + "\n" + tc.extra +
				"  smtp_alert\n}\n" + vi("VI_1", 51, 100, "192.0.2.100")
			r := newRig(t, conf).start()
			r.advance(4 * time.Second)
			r.link("eth0", false)
			if got := r.states(); got != "VI_1=FAULT" {
				t.Fatalf("link down: %s", got)
			}
			r.link("eth0", true)
			if got := r.states(); got != "VI_1=BACKUP" {
				t.Fatalf("link up: %s", got)
			}
			r.stop()
			got := sink.got()
			slices.Sort(got)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("alerts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestEngineSMTPAlertSyncGroup: a sync group with smtp_alert mails its own
// transitions; its members without smtp_alert mail nothing.
func TestEngineSMTPAlertSyncGroup(t *testing.T) {
	sink := newAlertSink(t)
	host, port, _ := net.SplitHostPort(sink.ln.Addr().String())
	conf := "global_defs {\n  router_id lb1\n  notification_email {\n    ops@example.com\n  }\n  smtp_server " + host + " " + port + "\n}\n" +
		strings.Replace(groupG, "  }\n}\n", "  }\n  smtp_alert\n}\n", 1) + vi("VI_1", 51, 100, "192.0.2.100") +
		strings.Replace(vi("VI_2", 52, 100, "192.0.2.101 dev eth1"), "interface eth0", "interface eth1", 1)
	r := newRig(t, conf).start()
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER VI_2=MASTER" {
		t.Fatalf("group without peers: %s", got)
	}
	r.link("eth1", false)
	if got := r.states(); got != "VI_1=FAULT VI_2=FAULT" {
		t.Fatalf("one member's link down: %s", got)
	}
	r.stop()
	got := sink.got()
	slices.Sort(got)
	want := []string{
		"[lb1] VRRP Group G - Entering BACKUP state",
		"[lb1] VRRP Group G - Entering FAULT state",
		"[lb1] VRRP Group G - Entering MASTER state",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("alerts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
