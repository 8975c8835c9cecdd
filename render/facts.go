package render

import (
	"fmt"
	"net"
	"net/netip"
	"os"
)

// Facts are what a render knows about the node it renders for: its host name
// and the addresses of its VRRP interface (the answer of the template's first
// question of type interface). They derive priorities and keep the node's own
// address out of its unicast peers.
type Facts struct {
	Hostname  string
	Addresses []netip.Addr
}

// FactSource returns the facts of the node for the VRRP interface iface.
type FactSource func(iface string) (Facts, error)

// Primary returns the node's preferred address of family (4 or 6): the first
// global unicast one, else the first of that family; the zero Addr if none.
// The zone is dropped.
func (f Facts) Primary(family int) netip.Addr {
	var fallback netip.Addr
	for _, a := range f.Addresses {
		a = a.Unmap()
		if a.Is4() != (family == 4) {
			continue
		}
		if a.IsGlobalUnicast() {
			return a.WithZone("")
		}
		if !fallback.IsValid() {
			fallback = a.WithZone("")
		}
	}
	return fallback
}

// StaticFacts returns a FactSource that always returns f, for previews of
// another node and for tests.
func StaticFacts(f Facts) FactSource {
	return func(string) (Facts, error) { return f, nil }
}

// LocalFacts reads the facts of this host: os.Hostname and the addresses of
// iface. An interface that does not exist here gives no addresses and no
// error, so that a preview on another machine still renders (with a warning
// wherever an address was needed).
func LocalFacts(iface string) (Facts, error) {
	host, err := os.Hostname()
	if err != nil {
		return Facts{}, fmt.Errorf("reading the host name: %w", err)
	}
	f := Facts{Hostname: host}
	if iface == "" {
		return f, nil
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		// not on this host (net reports "no such network interface")
		return f, nil
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return Facts{}, fmt.Errorf("reading the addresses of %s: %w", iface, err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if addr, ok := netip.AddrFromSlice(ipn.IP); ok {
				f.Addresses = append(f.Addresses, addr.Unmap())
			}
		}
	}
	return f, nil
}
