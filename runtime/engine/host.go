package engine

import (
	"context"
	"net/netip"
	"time"

	"github.com/havip/havip/runtime/firewall"
	"github.com/havip/havip/runtime/netif"
)

// Host is everything the engine changes or watches outside its own memory:
// addresses, routes and rules, use_vmac devices (with the sysctls they
// need), VRRP and announcement sockets, and link state. runtime/netif is the
// real one (SystemHost); tests run the engine on a recording fake.
//
// Each kind of resource has one way to go away: a VIP, route or rule is
// deleted, a VMAC deleted, a socket closed, a link watch ended by its
// context.
type Host interface {
	AddVIP(netif.VIP) error
	DelVIP(netif.VIP) error
	// RemoveStale deletes those of vips that are installed and returns them.
	RemoveStale(vips []netif.VIP) (removed []netif.VIP, err error)
	// PrimaryAddr is the address VRRP is sent from on ifname (family 4 or 6).
	PrimaryAddr(ifname string, family int) (netip.Addr, error)

	AddRoute(netif.Route) error
	DelRoute(netif.Route) error
	AddRule(netif.Rule) error
	DelRule(netif.Rule) error

	// SetPromoteSecondaries sets the IPv4 promote_secondaries sysctl of
	// ifname and returns the value it had.
	SetPromoteSecondaries(ifname string, on bool) (was bool, err error)
	// SetIGMPLinkLocalReports sets net.ipv4.igmp_link_local_mcast_reports
	// and returns whether it was on (disable_local_igmp).
	SetIGMPLinkLocalReports(on bool) (was bool, err error)

	// EnsureVMAC makes or adopts a use_vmac device, down, with its sysctls.
	EnsureVMAC(netif.VMAC) (warnings []string, err error)
	SetVMACUp(name string, up bool) error
	DeleteVMAC(name string) error

	// EnsureIPVlan makes or adopts a use_ipvlan device, up, with its address; DeleteIPVlan
	// removes it.
	EnsureIPVlan(netif.IPVlan) error
	DeleteIPVlan(name string) error
	// LinkKind is the kind of device ifname is ("loopback", "vrf", "veth", ...).
	LinkKind(ifname string) (string, error)

	// ListenVRRP opens the receive socket of one interface and family,
	// joined to groups; DialVRRP the send socket.
	ListenVRRP(ifname string, family int, groups []netip.Addr) (Receiver, error)
	DialVRRP(ifname string, family int) (Sender, error)
	// ListenAH and DialAH are the IPv4 sockets of auth_type AH instances:
	// protocol 51 received with the whole datagram, datagrams sent with
	// the IP header the engine built.
	ListenAH(ifname string, groups []netip.Addr) (Receiver, error)
	DialAH(ifname string) (DatagramSender, error)
	// NewAnnouncer opens the gratuitous ARP / unsolicited NA socket of ifname.
	NewAnnouncer(ifname string) (Announcer, error)

	// WatchLinks reports the state of ifnames, then every change, until ctx
	// is done (netif.WatchLinks).
	WatchLinks(ctx context.Context, ifnames []string, fn func(netif.LinkEvent)) error
	// LinkBeat polls the link of ifname (linkbeat): its state as a link
	// watcher reports it and the method used (netif.PollLink).
	LinkBeat(ifname string, prefer netif.LinkBeatMethod) (netif.LinkEvent, netif.LinkBeatMethod, error)

	// WatchAddrRemovals reports every address removed from an interface
	// until ctx is done (netif.WatchAddrRemovals); HasVIP and LinkUp read
	// the host's current state.
	WatchAddrRemovals(ctx context.Context, fn func(netif.AddrRemoved)) error
	HasVIP(netif.VIP) (bool, error)
	LinkUp(ifname string) (bool, error)
	// WatchRoutingRemovals reports every route and rule of the routing
	// protocol removed until ctx is done (netif.WatchRoutingRemovals);
	// HasRoute and HasRule read whether one is installed.
	WatchRoutingRemovals(ctx context.Context, protocol uint8, fn func(netif.RoutingRemoved)) error
	HasRoute(netif.Route) (bool, error)
	HasRule(netif.Rule) (bool, error)
	// HasAddr reports whether addr is on ifname, with any prefix length
	// (track_src_ip).
	HasAddr(ifname string, addr netip.Addr) (bool, error)

	// OpenFirewall replaces havip's nftables table (one a crashed run left
	// included) by an empty one; RemoveStaleFirewall deletes a table an
	// earlier run left.
	OpenFirewall() (Firewall, error)
	RemoveStaleFirewall() error
}

// Firewall is havip's nftables table (runtime/firewall): the VIPs it drops
// traffic to and from, and the rules accepting VRRP in host chains.
type Firewall interface {
	Drop(addrs ...netip.Addr) error
	Allow(addrs ...netip.Addr) error
	AcceptVRRP(chain firewall.Chain, ah bool) error
	Close() error
}

// Receiver reads the VRRP packets of one interface and family.
type Receiver interface {
	Read(buf []byte) (netif.Packet, error)
	// SetReadBuffer sizes the socket's receive buffer.
	SetReadBuffer(bytes int) error
	Close() error
}

// Sender sends VRRP packets out of one interface.
type Sender interface {
	Send(payload []byte, src, dst netip.Addr, ttl int) error
	Close() error
}

// DatagramSender sends whole IPv4 datagrams, IP header included, out of one
// interface.
type DatagramSender interface {
	SendDatagram(datagram []byte) error
	Close() error
}

// Announcer sends gratuitous ARPs and unsolicited NAs out of one interface.
type Announcer interface {
	GratuitousARP(netip.Addr) error
	UnsolicitedNA(netip.Addr) error
	Close() error
}

// Clock is the engine's time: Now, and one timer for its event loop.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a Clock's timer: C delivers the time when it fires.
type Timer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// SystemHost is the real host: runtime/netif on this machine's network
// namespace.
type SystemHost struct{}

func (SystemHost) AddVIP(v netif.VIP) error { return netif.AddVIP(v) }
func (SystemHost) OpenFirewall() (Firewall, error) {
	fw, err := firewall.Open()
	if err != nil {
		return nil, err
	}
	return fw, nil
}
func (SystemHost) RemoveStaleFirewall() error { return firewall.RemoveStale() }
func (SystemHost) WatchAddrRemovals(ctx context.Context, fn func(netif.AddrRemoved)) error {
	return netif.WatchAddrRemovals(ctx, fn)
}
func (SystemHost) HasVIP(v netif.VIP) (bool, error) { return netif.HasVIP(v) }
func (SystemHost) WatchRoutingRemovals(ctx context.Context, protocol uint8, fn func(netif.RoutingRemoved)) error {
	return netif.WatchRoutingRemovals(ctx, protocol, fn)
}
func (SystemHost) HasRoute(r netif.Route) (bool, error) { return netif.HasRoute(r) }
func (SystemHost) HasRule(r netif.Rule) (bool, error)   { return netif.HasRule(r) }
func (SystemHost) LinkUp(ifname string) (bool, error)   { return netif.LinkUp(ifname) }
func (SystemHost) DelVIP(v netif.VIP) error             { return netif.DelVIP(v) }
func (SystemHost) RemoveStale(vips []netif.VIP) ([]netif.VIP, error) {
	return netif.RemoveStale(vips)
}
func (SystemHost) PrimaryAddr(ifname string, family int) (netip.Addr, error) {
	return netif.PrimaryAddr(ifname, family)
}
func (SystemHost) AddRoute(r netif.Route) error                  { return netif.AddRoute(r) }
func (SystemHost) DelRoute(r netif.Route) error                  { return netif.DelRoute(r) }
func (SystemHost) AddRule(r netif.Rule) error                    { return netif.AddRule(r) }
func (SystemHost) DelRule(r netif.Rule) error                    { return netif.DelRule(r) }
func (SystemHost) EnsureVMAC(v netif.VMAC) ([]string, error)     { return netif.EnsureVMAC(v) }
func (SystemHost) SetVMACUp(name string, up bool) error          { return netif.SetVMACUp(name, up) }
func (SystemHost) DeleteVMAC(name string) error                  { return netif.DeleteVMAC(name) }
func (SystemHost) EnsureIPVlan(v netif.IPVlan) error             { return netif.EnsureIPVlan(v) }
func (SystemHost) DeleteIPVlan(name string) error                { return netif.DeleteIPVlan(name) }
func (SystemHost) LinkKind(ifname string) (string, error)        { return netif.LinkKind(ifname) }
func (SystemHost) NewAnnouncer(ifname string) (Announcer, error) { return newAnnouncer(ifname) }
func (SystemHost) ListenVRRP(ifname string, family int, groups []netip.Addr) (Receiver, error) {
	r, err := netif.ListenVRRP(ifname, family, groups)
	if err != nil {
		return nil, err
	}
	return r, nil
}
func (SystemHost) DialVRRP(ifname string, family int) (Sender, error) {
	s, err := netif.DialVRRP(ifname, family)
	if err != nil {
		return nil, err
	}
	return s, nil
}
func (SystemHost) ListenAH(ifname string, groups []netip.Addr) (Receiver, error) {
	r, err := netif.ListenAH(ifname, groups)
	if err != nil {
		return nil, err
	}
	return r, nil
}
func (SystemHost) DialAH(ifname string) (DatagramSender, error) {
	s, err := netif.DialAH(ifname)
	if err != nil {
		return nil, err
	}
	return s, nil
}
func (SystemHost) HasAddr(ifname string, addr netip.Addr) (bool, error) {
	return netif.HasAddr(ifname, addr)
}
func (SystemHost) SetIGMPLinkLocalReports(on bool) (bool, error) {
	return netif.SetIGMPLinkLocalReports(on)
}
func (SystemHost) SetPromoteSecondaries(ifname string, on bool) (bool, error) {
	return netif.SetPromoteSecondaries(ifname, on)
}
func (SystemHost) WatchLinks(ctx context.Context, ifnames []string, fn func(netif.LinkEvent)) error {
	return netif.WatchLinks(ctx, ifnames, fn)
}
func (SystemHost) LinkBeat(ifname string, prefer netif.LinkBeatMethod) (netif.LinkEvent, netif.LinkBeatMethod, error) {
	return netif.PollLink(ifname, prefer)
}

// newAnnouncer opens a netif announcer with the interface's own MAC; a nil
// *netif.Announcer never becomes a non-nil Announcer.
func newAnnouncer(ifname string) (Announcer, error) {
	a, err := netif.NewAnnouncer(ifname, nil)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }
func (SystemClock) NewTimer(d time.Duration) Timer {
	return systemTimer{time.NewTimer(d)}
}

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time   { return t.t.C }
func (t systemTimer) Reset(d time.Duration) { t.t.Reset(d) }
func (t systemTimer) Stop()                 { t.t.Stop() }
