package netif

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrTentative reports an IPv6 address that exists but is still undergoing duplicate address
// detection, so the kernel refuses it as a source; retry after DAD (about a second).
var ErrTentative = errors.New("address still tentative (duplicate address detection in progress)")

// ErrNoAddress reports an interface without a usable address of the requested family.
var ErrNoAddress = errors.New("no usable address")

// Address scopes (rtnetlink RT_SCOPE_*), as keepalived's "scope" keyword names them.
const (
	ScopeGlobal  uint8 = unix.RT_SCOPE_UNIVERSE // "global", the default
	ScopeSite    uint8 = unix.RT_SCOPE_SITE
	ScopeLink    uint8 = unix.RT_SCOPE_LINK
	ScopeHost    uint8 = unix.RT_SCOPE_HOST
	ScopeNowhere uint8 = unix.RT_SCOPE_NOWHERE
)

// VIP is one virtual_ipaddress entry as keepalived installs it. The zero value of every optional
// field is keepalived's default.
type VIP struct {
	Prefix    netip.Prefix // address and prefix length; /32 or /128 when the config gave no mask
	Dev       string       // interface the address goes on
	Broadcast netip.Addr   // IPv4 "brd"; the zero Addr installs no broadcast address (keepalived default)
	Label     string       // IPv4 "label", at most 15 bytes; ignored for IPv6 like keepalived does
	Scope     uint8        // IPv4 "scope" (ScopeGlobal...); ignored for IPv6, whose scope the kernel derives
	Peer      netip.Prefix // "peer": point-to-point remote address; zero = none

	// DAD runs IPv6 duplicate address detection (keepalived "-nodad"). By default keepalived sets
	// IFA_F_NODAD so a VIP is usable at once and never ends "dadfailed" during a split brain.
	DAD            bool
	NoPrefixRoute  bool // "noprefixroute"
	HomeAddress    bool // IPv6 "home" (Mobile IPv6 home address)
	ManageTempAddr bool // IPv6 "mngtmpaddr"
	AutoJoin       bool // "autojoin": join the multicast group of a multicast VIP

	// PreferredLft is "preferred_lft" in seconds; nil keeps it forever (the kernel default), 0
	// leaves the address valid but deprecated so the kernel never picks it as a source address.
	PreferredLft *uint32
}

// String formats the VIP like "192.0.2.100/24 dev eth0".
func (v VIP) String() string {
	return fmt.Sprintf("%v dev %s", v.Prefix, v.Dev)
}

// netlinkAddr maps the VIP to the netlink request that installs it with keepalived's semantics.
func (v VIP) netlinkAddr() (*netlink.Addr, error) {
	if !v.Prefix.IsValid() {
		return nil, fmt.Errorf("VIP %v: invalid address/prefix (want e.g. 192.0.2.100/32 or 2001:db8::100/128)", v)
	}
	if v.Dev == "" {
		return nil, fmt.Errorf("VIP %v: no interface given", v.Prefix)
	}
	family := addrFamily(v.Prefix.Addr())
	addr := &netlink.Addr{IPNet: prefixIPNet(v.Prefix)}
	if v.Peer.IsValid() {
		if addrFamily(v.Peer.Addr()) != family {
			return nil, fmt.Errorf("VIP %v: peer %v is not an IPv%d prefix", v, v.Peer, family)
		}
		addr.Peer = prefixIPNet(v.Peer)
	}
	if family == 4 {
		if len(v.Label) > unix.IFNAMSIZ-1 {
			return nil, fmt.Errorf("VIP %v: label %q longer than %d bytes", v, v.Label, unix.IFNAMSIZ-1)
		}
		addr.Label = v.Label
		addr.Scope = int(v.Scope)
		switch {
		case !v.Broadcast.IsValid():
			addr.Broadcast = net.IPv4zero // netlink would otherwise invent one; keepalived sets none
		case addrFamily(v.Broadcast) == 4:
			addr.Broadcast = v.Broadcast.Unmap().AsSlice()
		default:
			return nil, fmt.Errorf("VIP %v: broadcast %v is not an IPv4 address", v, v.Broadcast)
		}
	} else if v.Broadcast.IsValid() {
		return nil, fmt.Errorf("VIP %v: IPv6 has no broadcast address (got %v)", v, v.Broadcast)
	}
	if family == 6 && !v.DAD {
		addr.Flags |= unix.IFA_F_NODAD
	}
	if v.NoPrefixRoute {
		addr.Flags |= unix.IFA_F_NOPREFIXROUTE
	}
	if v.HomeAddress {
		addr.Flags |= unix.IFA_F_HOMEADDRESS
	}
	if v.ManageTempAddr {
		addr.Flags |= unix.IFA_F_MANAGETEMPADDR
	}
	if v.AutoJoin {
		addr.Flags |= unix.IFA_F_MCAUTOJOIN
	}
	if v.PreferredLft != nil {
		// netlink sends IFA_CACHEINFO only when a lifetime is non-zero; an infinite valid
		// lifetime carries a finite (possibly zero) preferred one.
		addr.ValidLft = infiniteLifetime
		addr.PreferedLft = int(*v.PreferredLft)
	}
	return addr, nil
}

// infiniteLifetime is INFINITY_LIFE_TIME of the kernel's address cache info.
const infiniteLifetime = 0xffffffff

func prefixIPNet(p netip.Prefix) *net.IPNet {
	a := p.Addr().Unmap()
	bits := p.Bits()
	if p.Addr().Is4In6() {
		bits -= 96
	}
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(bits, a.BitLen())}
}

// AddVIP installs the VIP; an address already present counts as success.
func AddVIP(v VIP) error {
	addr, err := v.netlinkAddr()
	if err != nil {
		return err
	}
	link, err := linkByName(v.Dev)
	if err != nil {
		return fmt.Errorf("add VIP %v: %w", v, err)
	}
	if err := netlink.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add VIP %v: %w", v, err)
	}
	return nil
}

// DelVIP removes the VIP; an address already absent counts as success. A missing interface is an
// error wrapping ErrNoInterface, so configuration mistakes stay visible.
func DelVIP(v VIP) error {
	addr, err := v.netlinkAddr()
	if err != nil {
		return err
	}
	link, err := linkByName(v.Dev)
	if err != nil {
		return fmt.Errorf("delete VIP %v: %w", v, err)
	}
	if err := netlink.AddrDel(link, addr); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("delete VIP %v: %w", v, err)
	}
	return nil
}

// HasVIP reports whether the VIP's address with its prefix length is on its interface.
func HasVIP(v VIP) (bool, error) {
	if !v.Prefix.IsValid() {
		return false, fmt.Errorf("VIP %v: invalid address/prefix", v)
	}
	link, err := linkByName(v.Dev)
	if err != nil {
		return false, fmt.Errorf("look up VIP %v: %w", v, err)
	}
	family := netlink.FAMILY_V4
	if addrFamily(v.Prefix.Addr()) == 6 {
		family = netlink.FAMILY_V6
	}
	addrs, err := netlink.AddrList(link, family)
	if err != nil {
		return false, fmt.Errorf("look up VIP %v: list addresses of %s: %w", v, v.Dev, err)
	}
	want := v.Prefix.Addr().Unmap()
	for _, a := range addrs {
		ones, _ := a.Mask.Size()
		if a.Peer != nil {
			ones, _ = a.Peer.Mask.Size()
		}
		if addrFromIP(a.IP) == want && ones == v.Prefix.Bits() {
			return true, nil
		}
	}
	return false, nil
}

// RemoveStale deletes those of vips that are still installed, e.g. left behind by a crashed run,
// and returns the ones it removed. It carries on past failures and returns them joined.
func RemoveStale(vips []VIP) (removed []VIP, err error) {
	var errs []error
	for _, v := range vips {
		present, err := HasVIP(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !present {
			continue
		}
		if err := DelVIP(v); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, v)
	}
	return removed, errors.Join(errs...)
}

// PrimaryAddr returns the address VRRP is sent from on ifname: for IPv4 the first primary
// (non-secondary) address, for IPv6 the first link-local address that has finished duplicate
// address detection. It wraps ErrTentative when only tentative link-locals exist and ErrNoAddress
// when there is none. Ask before installing VIPs: a VIP added to an interface without IPv4
// becomes its primary address.
func PrimaryAddr(ifname string, family int) (netip.Addr, error) {
	if err := checkFamily(family); err != nil {
		return netip.Addr{}, fmt.Errorf("primary address of %s: %w", ifname, err)
	}
	link, err := linkByName(ifname)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("primary address: %w", err)
	}
	nlFamily := netlink.FAMILY_V4
	if family == 6 {
		nlFamily = netlink.FAMILY_V6
	}
	addrs, err := netlink.AddrList(link, nlFamily)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("primary address: list addresses of %s: %w", ifname, err)
	}
	sawTentative := false
	for _, a := range addrs {
		ip := addrFromIP(a.IP)
		switch {
		case family == 4 && a.Flags&unix.IFA_F_SECONDARY == 0:
			return ip, nil
		case family == 6 && ip.IsLinkLocalUnicast() && a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) == 0:
			return ip, nil
		case family == 6 && ip.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE != 0:
			sawTentative = true
		}
	}
	if sawTentative {
		return netip.Addr{}, fmt.Errorf("primary address of %s: IPv6 link-local: %w", ifname, ErrTentative)
	}
	if family == 4 {
		return netip.Addr{}, fmt.Errorf("primary address of %s: %w: the interface has no IPv4 address (VRRP needs one as its source)", ifname, ErrNoAddress)
	}
	return netip.Addr{}, fmt.Errorf("primary address of %s: %w: no IPv6 link-local address (is the link up and IPv6 enabled?)", ifname, ErrNoAddress)
}

// isTentative reports whether addr is on ifname and still tentative.
func isTentative(ifname string, addr netip.Addr) (bool, error) {
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		return false, err
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		if addrFromIP(a.IP) == addr {
			return a.Flags&unix.IFA_F_TENTATIVE != 0, nil
		}
	}
	return false, nil
}
