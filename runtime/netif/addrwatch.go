package netif

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

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
	updates := make(chan netlink.AddrUpdate, 64)
	done := make(chan struct{})
	var (
		mu      sync.Mutex
		lastErr error
	)
	opts := netlink.AddrSubscribeOptions{ErrorCallback: func(err error) {
		mu.Lock()
		lastErr = err
		mu.Unlock()
	}}
	if err := netlink.AddrSubscribeWithOptions(updates, done, opts); err != nil {
		return fmt.Errorf("watch addresses: subscribe to netlink address updates: %w", err)
	}
	defer func() {
		close(done)
		for range updates { // let the subscription goroutine finish its last send and exit
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-updates:
			if !ok {
				mu.Lock()
				err := lastErr
				mu.Unlock()
				if err == nil {
					err = errors.New("channel closed")
				}
				return fmt.Errorf("watch addresses: netlink subscription ended: %w", err)
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
