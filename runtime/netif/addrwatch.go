package netif

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// AddrRemoved is an address that left an interface.
type AddrRemoved struct {
	Dev  string // interface name; "" when the interface is already gone
	Addr netip.Addr
}

// WatchAddrRemovals calls fn for every IPv4 or IPv6 address removed from any interface of this
// network namespace, whoever removed it, until ctx is done (then it returns nil) or the netlink
// subscription fails (e.g. ENOBUFS after an event storm): calling it again resubscribes. fn runs
// on the calling goroutine.
func WatchAddrRemovals(ctx context.Context, fn func(AddrRemoved)) error {
	sub, err := subscribe(func(updates chan netlink.AddrUpdate, done chan struct{}, onError func(error)) error {
		return netlink.AddrSubscribeWithOptions(updates, done, netlink.AddrSubscribeOptions{ErrorCallback: onError})
	})
	if err != nil {
		return fmt.Errorf("watch addresses: subscribe to netlink address updates: %w", err)
	}
	defer sub.close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-sub.updates:
			if !ok {
				return fmt.Errorf("watch addresses: netlink subscription ended: %w", sub.ended())
			}
			if u.NewAddr {
				continue
			}
			ev := AddrRemoved{Addr: addrFromIP(u.LinkAddress.IP)}
			if link, err := netlink.LinkByIndex(u.LinkIndex); err == nil { // removals are rare: no cache to go stale
				ev.Dev = link.Attrs().Name
			}
			fn(ev)
		}
	}
}

// LinkUp reports whether ifname is administratively up with carrier (IFF_UP and IFF_RUNNING),
// the state WatchLinks reports as Up.
func LinkUp(ifname string) (bool, error) {
	ifi, err := interfaceByName(ifname)
	if err != nil {
		return false, err
	}
	return ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagRunning != 0, nil
}

// HasAddr reports whether addr is one of ifname's addresses, whatever its prefix length.
func HasAddr(ifname string, addr netip.Addr) (bool, error) {
	link, err := linkByName(ifname)
	if err != nil {
		return false, fmt.Errorf("look up address %s: %w", addr, err)
	}
	family := netlink.FAMILY_V4
	if addrFamily(addr) == 6 {
		family = netlink.FAMILY_V6
	}
	addrs, err := netlink.AddrList(link, family)
	if err != nil {
		return false, fmt.Errorf("look up address %s: list addresses of %s: %w", addr, ifname, err)
	}
	want := addr.Unmap()
	for _, a := range addrs {
		if addrFromIP(a.IP) == want {
			return true, nil
		}
	}
	return false, nil
}
