package netif

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// checkFamily reports whether family is one of the two supported values, 4 or 6.
func checkFamily(family int) error {
	if family != 4 && family != 6 {
		return fmt.Errorf("address family %d: valid values are 4 (IPv4) and 6 (IPv6)", family)
	}
	return nil
}

// addrFamily returns 4 or 6 for a valid address.
func addrFamily(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 4
	}
	return 6
}

// ErrNoInterface reports an interface name that does not exist (in the current network namespace).
var ErrNoInterface = errors.New("no such interface")

// linkByName looks a link up, wrapping ErrNoInterface when it does not exist.
func linkByName(ifname string) (netlink.Link, error) {
	link, err := netlink.LinkByName(ifname)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
		return nil, fmt.Errorf("interface %q: %w", ifname, ErrNoInterface)
	case err != nil:
		return nil, fmt.Errorf("interface %q: %w", ifname, err)
	}
	return link, nil
}

// interfaceByName is net.InterfaceByName with linkByName's errors.
func interfaceByName(ifname string) (*net.Interface, error) {
	link, err := linkByName(ifname)
	if err != nil {
		return nil, err
	}
	a := link.Attrs()
	return &net.Interface{Index: a.Index, MTU: a.MTU, Name: a.Name, HardwareAddr: a.HardwareAddr, Flags: a.Flags}, nil
}

// addrFromIP converts a net.IP of either length to a netip.Addr without IPv4-mapped form or zone.
func addrFromIP(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}
	}
	return a.Unmap()
}
