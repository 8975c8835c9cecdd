package netif

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// IPVlan is a keepalived use_ipvlan device: an l2-mode ipvlan on Parent, with Flag bridge,
// private or vepa, carrying Addr (when valid); the instance's VIPs go on it.
type IPVlan struct {
	Name   string
	Parent string
	Mode   string       // "bridge", "private" or "vepa"
	Addr   netip.Prefix // the use_ipvlan address, if any
}

// ErrNoIPVlanSupport is returned when the kernel has no ipvlan link type.
var ErrNoIPVlanSupport = errors.New("the kernel has no ipvlan support (link type ipvlan unknown)")

// ipvlanFlag maps keepalived's use_ipvlan type onto the kernel's IFLA_IPVLAN_FLAGS.
func ipvlanFlag(mode string) (netlink.IPVlanFlag, error) {
	switch mode {
	case "", "bridge":
		return netlink.IPVLAN_FLAG_BRIDGE, nil
	case "private":
		return netlink.IPVLAN_FLAG_PRIVATE, nil
	case "vepa":
		return netlink.IPVLAN_FLAG_VEPA, nil
	}
	return 0, fmt.Errorf("ipvlan type %q: want bridge, private or vepa", mode)
}

// EnsureIPVlan makes v up, as keepalived 2.2.7's netlink_link_add_ipvlan does (l2 mode, the
// flag, the parent's VRF master as its master), or adopts an existing l2 ipvlan of that name on
// the parent with the same flag, then puts v.Addr on it. A device of that name that is not
// such an ipvlan is an error. A kernel without ipvlan gives ErrNoIPVlanSupport.
func EnsureIPVlan(v IPVlan) error {
	flag, err := ipvlanFlag(v.Mode)
	if err != nil {
		return fmt.Errorf("ipvlan %s: %w", v.Name, err)
	}
	parent, err := linkByName(v.Parent)
	if err != nil {
		return fmt.Errorf("ipvlan %s: parent: %w", v.Name, err)
	}
	link, err := linkByName(v.Name)
	switch {
	case errors.Is(err, ErrNoInterface):
		link, err = addIPVlan(v, parent, flag)
		if err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("ipvlan %s: %w", v.Name, err)
	default:
		iv, ok := link.(*netlink.IPVlan)
		if !ok || iv.Mode != netlink.IPVLAN_MODE_L2 || iv.Flag != flag || iv.Attrs().ParentIndex != parent.Attrs().Index {
			return fmt.Errorf("ipvlan %s: a %s device of that name exists and is not an l2 %s ipvlan on %s", v.Name, link.Type(), v.Mode, v.Parent)
		}
		if err := netlink.LinkSetUp(link); err != nil {
			return fmt.Errorf("ipvlan %s: set up: %w", v.Name, err)
		}
	}
	if v.Addr.IsValid() {
		a := &netlink.Addr{IPNet: prefixIPNet(v.Addr)}
		if err := netlink.AddrReplace(link, a); err != nil {
			return fmt.Errorf("ipvlan %s: address %s: %w", v.Name, v.Addr, err)
		}
	}
	return nil
}

// addIPVlan creates v up on parent.
func addIPVlan(v IPVlan, parent netlink.Link, flag netlink.IPVlanFlag) (netlink.Link, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = v.Name
	attrs.ParentIndex = parent.Attrs().Index
	attrs.MasterIndex = vrfMasterIndex(parent)
	attrs.Flags = unix.IFF_UP
	iv := &netlink.IPVlan{LinkAttrs: attrs, Mode: netlink.IPVLAN_MODE_L2, Flag: flag}
	if err := netlink.LinkAdd(iv); err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) {
			return nil, fmt.Errorf("ipvlan %s on %s: %w: %w", v.Name, v.Parent, ErrNoIPVlanSupport, err)
		}
		return nil, fmt.Errorf("ipvlan %s on %s: %w", v.Name, v.Parent, err)
	}
	link, err := linkByName(v.Name)
	if err != nil {
		return nil, fmt.Errorf("ipvlan %s: made: %w", v.Name, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return nil, fmt.Errorf("ipvlan %s: set up: %w", v.Name, err)
	}
	return link, nil
}

// vrfMasterIndex is the index of parent's master when that master is a VRF device, else 0.
func vrfMasterIndex(parent netlink.Link) int {
	m := parent.Attrs().MasterIndex
	if m == 0 {
		return 0
	}
	master, err := netlink.LinkByIndex(m)
	if err != nil || master.Type() != "vrf" {
		return 0
	}
	return m
}

// DeleteIPVlan removes the ipvlan device name; a missing device is not an error, a device
// of another type is refused.
func DeleteIPVlan(name string) error {
	link, err := linkByName(name)
	switch {
	case errors.Is(err, ErrNoInterface):
		return nil
	case err != nil:
		return fmt.Errorf("delete ipvlan: %w", err)
	case link.Type() != "ipvlan":
		return fmt.Errorf("delete ipvlan %s: refusing, it is a %s device, not an ipvlan", name, link.Type())
	}
	if err := netlink.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete ipvlan %s: %w", name, err)
	}
	return nil
}

// LinkKind is the kind of device ifname is: "loopback" for a loopback device, else its netlink
// link type ("vrf", "veth", "ipvlan", ...). A missing device gives ErrNoInterface.
func LinkKind(ifname string) (string, error) {
	link, err := linkByName(ifname)
	if err != nil {
		return "", err
	}
	if link.Attrs().Flags&net.FlagLoopback != 0 {
		return "loopback", nil
	}
	return link.Type(), nil
}
