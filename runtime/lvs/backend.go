// Package lvs runs keepalived's LVS half: it runs the health checkers of
// every real server of the config's virtual servers (package check),
// computes each virtual service's pool — the healthy real servers with
// their weights, inhibited ones at weight 0, the sorry server when the
// quorum is lost — runs notify_up/notify_down and quorum_up/quorum_down
// scripts in order, and installs the pools in the kernel through a
// Backend: IPVS when the kernel has it, else nftables in havip's own
// tables (NAT by DNAT, DR by rewriting the destination MAC at ingress).
package lvs

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/havip/havip/config"
)

// Backend installs virtual services in the kernel.
type Backend interface {
	// Name is "ipvs" or "nftables".
	Name() string
	// Sync makes the kernel hold exactly services (of those the backend
	// installed); it is called with the whole desired state each time.
	Sync(services []Service) error
	// Stats returns the traffic counters of the services the backend
	// installed, by service, with those of their destinations.
	Stats() (map[ServiceKey]ServiceStats, error)
	// Close removes everything the backend installed.
	Close() error
}

// Service is one virtual service: an address, port and protocol, or a
// firewall mark, with its destinations.
type Service struct {
	Family   config.Family
	Protocol string // TCP, UDP or SCTP; "" for a fwmark service
	Addr     netip.Addr
	Port     uint16
	Fwmark   uint32

	Scheduler  string
	SchedFlags []string
	OnePacket  bool
	// Persistence is the persistence timeout in seconds (0 = none).
	Persistence int
	// Granularity is the persistence netmask as written ("" = host).
	Granularity string
	Dests       []Dest
}

// Dest is one destination of a service.
type Dest struct {
	Addr   netip.Addr
	Port   uint16
	Weight int
	Method config.Method
	// UThreshold and LThreshold bound the connections (0 = none).
	UThreshold, LThreshold int
}

// ServiceKey identifies a service.
type ServiceKey struct {
	Family   config.Family
	Protocol string
	Addr     netip.Addr
	Port     uint16
	Fwmark   uint32
}

// Key returns the service's identity.
func (s *Service) Key() ServiceKey {
	return ServiceKey{Family: s.Family, Protocol: s.Protocol, Addr: s.Addr, Port: s.Port, Fwmark: s.Fwmark}
}

// String names the service as ipvsadm does: TCP 192.0.2.1:80 or FWM 3.
func (k ServiceKey) String() string {
	if k.Fwmark != 0 {
		return "FWM " + strconv.FormatUint(uint64(k.Fwmark), 10)
	}
	return k.Protocol + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// Traffic counts what went through a service or to one destination, as
// IPVS counts it: connections (flows, for UDP) scheduled, and packets and
// bytes (IP packet lengths) in, from the clients, and out, the replies.
type Traffic struct {
	Connections uint64
	InPackets   uint64
	OutPackets  uint64
	InBytes     uint64
	OutBytes    uint64
}

// Add returns the sum of t and u.
func (t Traffic) Add(u Traffic) Traffic {
	return Traffic{t.Connections + u.Connections, t.InPackets + u.InPackets, t.OutPackets + u.OutPackets, t.InBytes + u.InBytes, t.OutBytes + u.OutBytes}
}

// ServiceStats are the counters of one service and of its destinations.
type ServiceStats struct {
	Traffic Traffic
	Dests   map[DestKey]Traffic
}

// DestKey identifies a destination within a service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

func (d Dest) key() DestKey { return DestKey{d.Addr, d.Port} }

// sortServices orders services and their destinations, so that backends
// see a stable order.
func sortServices(ss []Service) {
	slices.SortFunc(ss, func(a, b Service) int {
		ka, kb := a.Key(), b.Key()
		return cmp.Or(cmp.Compare(ka.Family, kb.Family), cmp.Compare(ka.Fwmark, kb.Fwmark), cmp.Compare(ka.Protocol, kb.Protocol), ka.Addr.Compare(kb.Addr), cmp.Compare(ka.Port, kb.Port))
	})
	for i := range ss {
		slices.SortFunc(ss[i].Dests, func(a, b Dest) int {
			return cmp.Or(a.Addr.Compare(b.Addr), cmp.Compare(a.Port, b.Port))
		})
	}
}

// errorf wraps a backend error with the service it concerns.
func errorf(k ServiceKey, format string, args ...any) error {
	return fmt.Errorf("%s: %s", k, fmt.Sprintf(format, args...))
}

func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}
