package netif

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// VMAC is a keepalived use_vmac device: a private-mode macvlan on Parent carrying the VRRP
// virtual MAC. havip keeps it down unless the instance is MASTER, so a backup never sends a frame
// from the virtual MAC (docs/use_vmac.md, "A plan for havip").
type VMAC struct {
	Name   string           // device name, e.g. "vrrp.51"
	Parent string           // the instance's interface
	MAC    net.HardwareAddr // normally VMACAddr(Family, VRID)
	Family int              // 4 or 6, the instance's address family
}

// VMACAddr returns the VRRP virtual MAC (RFC 5798 §7.3): 00:00:5e:00:02:VRID for family 6 and
// 00:00:5e:00:01:VRID for family 4 (or any other value).
func VMACAddr(family int, vrid uint8) net.HardwareAddr {
	kind := byte(0x01)
	if family == 6 {
		kind = 0x02
	}
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, kind, vrid}
}

// VMACName returns keepalived's default device name: prefix + "." + VRID ("vrrp.51"); prefix ""
// means keepalived's default prefix "vrrp".
func VMACName(prefix string, vrid uint8) string {
	if prefix == "" {
		prefix = "vrrp"
	}
	return fmt.Sprintf("%s.%d", prefix, vrid)
}

// VMACNameCandidate returns the i-th name (from 0) keepalived 2.2.7's create_vmac_name tries for
// a VMAC of family (4 or 6): PREFIX.VRID, then PREFIXN.VRID with N = 1, 2, 3, … for IPv4 and
// N = 6, 1, 2, 3, 4, 5, 7, 8, … for IPv6; prefix "" means "vrrp". A name longer than IFNAMSIZ-1
// bytes has its prefix cut so that it fits, as keepalived does.
func VMACNameCandidate(prefix string, vrid uint8, family, i int) string {
	if prefix == "" {
		prefix = "vrrp"
	}
	num := ""
	switch {
	case i == 0:
	case family != 6:
		num = strconv.Itoa(i)
	case i == 1:
		num = "6"
	case i <= 6:
		num = strconv.Itoa(i - 1)
	default:
		num = strconv.Itoa(i)
	}
	suffix := num + "." + strconv.Itoa(int(vrid))
	if over := len(prefix) + len(suffix) - (unix.IFNAMSIZ - 1); over > 0 {
		prefix = prefix[:max(len(prefix)-over, 0)]
	}
	return prefix + suffix
}

// ErrVMACNameTaken is wrapped by EnsureVMAC's error when an interface of the VMAC's name exists
// and cannot be adopted (not a private-mode macvlan on the parent).
var ErrVMACNameTaken = errors.New("the name is taken by another interface")

// EnsureVMAC makes the device exist, down, ready for the instance to bring up when it becomes
// MASTER. It creates a private-mode macvlan on Parent, or adopts an existing private-mode macvlan
// of that name on Parent (bringing it down and correcting its MAC); any other device of that name
// is an error. It then applies keepalived 2.2.7's settings: IPv6 addr_gen_mode none before the
// device is ever up (no EUI-64 link-local from the virtual MAC), the sysctls of
// docs/use_vmac.md §2 and, for family 6, the Parent's link-local (nodad, deprecated) on the device.
//
// Bringing the device down makes the kernel drop its IPv6 addresses, link-locals included, so
// call EnsureVMAC again before bringing an IPv6 VMAC back up: it restores the link-local.
//
// warnings reports settings EnsureVMAC deliberately leaves alone but which may break the
// instance; they are not errors. A missing Parent is an error wrapping ErrNoInterface.
func EnsureVMAC(v VMAC) (warnings []string, err error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	parent, err := linkByName(v.Parent)
	if err != nil {
		return nil, fmt.Errorf("VMAC %s: parent: %w", v.Name, err)
	}
	link, err := v.createOrAdopt(parent)
	if err != nil {
		return nil, err
	}
	if err := netlink.LinkSetIP6AddrGenMode(link, nl.IN6_ADDR_GEN_MODE_NONE); err != nil {
		return nil, fmt.Errorf("VMAC %s: set IPv6 addr_gen_mode none: %w", v.Name, err)
	}
	if v.Family == 6 {
		return nil, v.setupIPv6(parent, link)
	}
	return v.setupIPv4()
}

// check validates the fields EnsureVMAC relies on.
func (v VMAC) check() error {
	if err := checkFamily(v.Family); err != nil {
		return fmt.Errorf("VMAC %s: %w", v.Name, err)
	}
	if v.Name == "" || len(v.Name) > unix.IFNAMSIZ-1 || strings.ContainsAny(v.Name, "/ ") {
		return fmt.Errorf("VMAC %q: invalid device name (1 to %d bytes, no '/' or space)", v.Name, unix.IFNAMSIZ-1)
	}
	if len(v.MAC) != 6 {
		return fmt.Errorf("VMAC %s: MAC %q is not a 6-byte Ethernet address", v.Name, v.MAC)
	}
	return nil
}

// createOrAdopt returns the device named v.Name, down and with v.MAC, creating it if absent.
func (v VMAC) createOrAdopt(parent netlink.Link) (netlink.Link, error) {
	link, err := linkByName(v.Name)
	switch {
	case errors.Is(err, ErrNoInterface):
		return v.create(parent)
	case err != nil:
		return nil, fmt.Errorf("VMAC %s: %w", v.Name, err)
	}
	if err := v.checkAdoptable(link, parent); err != nil {
		return nil, err
	}
	if err := netlink.LinkSetDown(link); err != nil {
		return nil, fmt.Errorf("VMAC %s: bring down existing device: %w", v.Name, err)
	}
	if !bytes.Equal(link.Attrs().HardwareAddr, v.MAC) {
		if err := netlink.LinkSetHardwareAddr(link, v.MAC); err != nil {
			return nil, fmt.Errorf("VMAC %s: set MAC %v on existing device: %w", v.Name, v.MAC, err)
		}
	}
	return link, nil
}

// create adds the macvlan; a new link starts down.
func (v VMAC) create(parent netlink.Link) (netlink.Link, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = v.Name
	attrs.ParentIndex = parent.Attrs().Index
	attrs.HardwareAddr = v.MAC
	if err := netlink.LinkAdd(&netlink.Macvlan{LinkAttrs: attrs, Mode: netlink.MACVLAN_MODE_PRIVATE}); err != nil {
		return nil, fmt.Errorf("VMAC %s: create macvlan on %s: %w", v.Name, v.Parent, err)
	}
	link, err := linkByName(v.Name)
	if err != nil {
		return nil, fmt.Errorf("VMAC %s: after creating it: %w", v.Name, err)
	}
	return link, nil
}

// checkAdoptable accepts an existing device only if it is a private-mode macvlan on parent.
func (v VMAC) checkAdoptable(link netlink.Link, parent netlink.Link) error {
	mv, ok := link.(*netlink.Macvlan)
	if !ok {
		return fmt.Errorf("VMAC %s: a %s device of that name already exists; it is not a macvlan, so it cannot be used: %w", v.Name, link.Type(), ErrVMACNameTaken)
	}
	if mv.Mode != netlink.MACVLAN_MODE_PRIVATE {
		return fmt.Errorf("VMAC %s: a macvlan of that name already exists in mode %s, not private: %w", v.Name, macvlanModeName(mv.Mode), ErrVMACNameTaken)
	}
	if want := lowerIndex(parent); mv.ParentIndex != want {
		return fmt.Errorf("VMAC %s: a macvlan of that name already exists on another parent, %s, not on %s: %w", v.Name, linkName(mv.ParentIndex), v.Parent, ErrVMACNameTaken)
	}
	return nil
}

// lowerIndex is the ifindex a macvlan created on parent ends up on: the kernel stacks a macvlan
// on a macvlan parent onto that parent's own lower device.
func lowerIndex(parent netlink.Link) int {
	if mv, ok := parent.(*netlink.Macvlan); ok {
		return mv.ParentIndex
	}
	return parent.Attrs().Index
}

// linkName names the interface with index ifindex, or says its index when it has gone.
func linkName(ifindex int) string {
	if link, err := netlink.LinkByIndex(ifindex); err == nil {
		return link.Attrs().Name
	}
	return fmt.Sprintf("ifindex %d", ifindex)
}

// macvlanModeName names a macvlan mode as iproute2 does.
func macvlanModeName(m netlink.MacvlanMode) string {
	switch m {
	case netlink.MACVLAN_MODE_VEPA:
		return "vepa"
	case netlink.MACVLAN_MODE_BRIDGE:
		return "bridge"
	case netlink.MACVLAN_MODE_PASSTHRU:
		return "passthru"
	case netlink.MACVLAN_MODE_SOURCE:
		return "source"
	}
	return fmt.Sprintf("%d", m)
}

// setupIPv4 applies keepalived 2.2.7's sysctls for an IPv4 instance (docs/use_vmac.md §2): on the
// VMAC arp_ignore=1 (answer ARP only for its own addresses), accept_local=1, rp_filter=0,
// promote_secondaries=1 and IPv6 disabled; on the parent arp_ignore=1 and arp_filter=1, so the
// parent does not answer ARP for the VIPs with its own MAC, and, beyond keepalived, arp_announce=2:
// replies from a VIP leave through the parent (its connected route comes first), and when the
// parent asks who has the client it must not give the VIP as its sender address, or the client
// would learn the VIP at the parent's MAC. Unlike keepalived it never changes
// net.ipv4.conf.all.rp_filter, and warns instead when it is set.
func (v VMAC) setupIPv4() ([]string, error) {
	settings := []struct{ path, value string }{
		{"ipv4/conf/" + v.Name + "/arp_ignore", "1"},
		{"ipv4/conf/" + v.Name + "/accept_local", "1"},
		{"ipv4/conf/" + v.Name + "/rp_filter", "0"},
		{"ipv4/conf/" + v.Name + "/promote_secondaries", "1"},
		{"ipv6/conf/" + v.Name + "/disable_ipv6", "1"},
		{"ipv4/conf/" + v.Parent + "/arp_ignore", "1"},
		{"ipv4/conf/" + v.Parent + "/arp_filter", "1"},
		{"ipv4/conf/" + v.Parent + "/arp_announce", "2"},
	}
	for _, s := range settings {
		if err := writeNetSysctl(s.path, s.value); err != nil {
			return nil, fmt.Errorf("VMAC %s: %w", v.Name, err)
		}
	}
	all, err := readNetSysctl("ipv4/conf/all/rp_filter")
	if err != nil {
		return nil, fmt.Errorf("VMAC %s: %w", v.Name, err)
	}
	if all == "0" {
		return nil, nil
	}
	return []string{fmt.Sprintf("net.ipv4.conf.all.rp_filter is %s, so traffic to the VIPs arriving on %s may be dropped by reverse-path filtering (the effective value is the maximum of all and %s's 0); to fix it, run sysctl net.ipv4.conf.all.rp_filter=0", all, v.Name, v.Name)}, nil
}

// setupIPv6 prepares an IPv6 instance's device. None of the IPv4 sysctls are set, as in
// keepalived. havip additionally sets accept_dad=0 and router_solicitations=0: the device's only
// addresses are the parent's link-local and the VIPs, added nodad, and a master must not send DAD
// probes or router solicitations from the virtual MAC, which every backup of the VRID shares.
// Then the parent's link-local goes on the device (nodad, deprecated like keepalived's) so the
// instance's adverts can carry it.
func (v VMAC) setupIPv6(parent, link netlink.Link) error {
	for _, key := range []string{"accept_dad", "router_solicitations"} {
		if err := writeNetSysctl("ipv6/conf/"+v.Name+"/"+key, "0"); err != nil {
			return fmt.Errorf("VMAC %s: %w", v.Name, err)
		}
	}
	ll, err := firstLinkLocal(parent)
	if err != nil {
		return fmt.Errorf("VMAC %s: %w", v.Name, err)
	}
	addr := &netlink.Addr{
		IPNet:    prefixIPNet(netip.PrefixFrom(ll, 64)),
		Flags:    unix.IFA_F_NODAD,
		ValidLft: infiniteLifetime, // with PreferedLft 0: valid but deprecated
	}
	if err := netlink.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("VMAC %s: add parent's link-local %v: %w", v.Name, ll, err)
	}
	return nil
}

// firstLinkLocal returns the first fe80::/64 address of link.
func firstLinkLocal(link netlink.Link) (netip.Addr, error) {
	name := link.Attrs().Name
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("list IPv6 addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if ip := addrFromIP(a.IP); ip.IsLinkLocalUnicast() {
			return ip, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("parent %s has no IPv6 link-local address yet (is it up with IPv6 enabled?): %w", name, ErrNoAddress)
}

// writeNetSysctl writes value to /proc/sys/net/<path>. The path takes interface names as they
// are: a '.' in a name is not a separator under /proc/sys (unlike in sysctl(8)'s dotted keys).
func writeNetSysctl(path, value string) error {
	if err := os.WriteFile("/proc/sys/net/"+path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("set sysctl net/%s=%s: %w", path, value, err)
	}
	return nil
}

// readNetSysctl reads /proc/sys/net/<path> without its trailing newline.
func readNetSysctl(path string) (string, error) {
	b, err := os.ReadFile("/proc/sys/net/" + path)
	if err != nil {
		return "", fmt.Errorf("read sysctl net/%s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// SetVMACUp brings the device up or down. Bringing it down also makes the kernel drop its IPv6
// addresses (see EnsureVMAC).
func SetVMACUp(name string, up bool) error {
	link, err := linkByName(name)
	if err != nil {
		return fmt.Errorf("set VMAC up=%t: %w", up, err)
	}
	set, what := netlink.LinkSetDown, "down"
	if up {
		set, what = netlink.LinkSetUp, "up"
	}
	if err := set(link); err != nil {
		return fmt.Errorf("bring VMAC %s %s: %w", name, what, err)
	}
	return nil
}

// DeleteVMAC removes the device; a device that is already gone is not an error. It refuses to
// delete a device that is not a macvlan, so a wrong name cannot remove a real interface.
func DeleteVMAC(name string) error {
	link, err := linkByName(name)
	switch {
	case errors.Is(err, ErrNoInterface):
		return nil
	case err != nil:
		return fmt.Errorf("delete VMAC: %w", err)
	case link.Type() != "macvlan":
		return fmt.Errorf("delete VMAC %s: refusing, it is a %s device, not a macvlan", name, link.Type())
	}
	if err := netlink.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete VMAC %s: %w", name, err)
	}
	return nil
}
