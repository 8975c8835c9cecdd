package lvs

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/cloudflare/ipvs"
	"github.com/cloudflare/ipvs/netmask"

	"github.com/havip/havip/config"
)

// IPVS installs services with the kernel's IPVS over generic netlink. It
// only touches services it created, as keepalived.
type IPVS struct {
	c         ipvs.Client
	installed map[ServiceKey]Service
}

// NewIPVS returns the IPVS backend, or an error when the kernel has no
// IPVS (the ip_vs module is not loaded and cannot be).
func NewIPVS() (*IPVS, error) {
	c, err := ipvs.New()
	if err != nil {
		return nil, fmt.Errorf("IPVS netlink: %w", err)
	}
	if _, err := c.Info(); err != nil {
		return nil, fmt.Errorf("IPVS info: %w", err)
	}
	return NewIPVSWith(c), nil
}

// NewIPVSWith returns the IPVS backend over client c.
func NewIPVSWith(c ipvs.Client) *IPVS {
	return &IPVS{c: c, installed: map[ServiceKey]Service{}}
}

// Name returns "ipvs".
func (b *IPVS) Name() string { return "ipvs" }

// Sync creates, updates and removes services and destinations so that
// the kernel holds services.
func (b *IPVS) Sync(services []Service) error {
	want := map[ServiceKey]Service{}
	for _, s := range services {
		want[s.Key()] = s
	}
	var errs []error
	for k, old := range b.installed {
		if _, ok := want[k]; !ok {
			if err := b.c.RemoveService(ipvsService(old)); err != nil {
				errs = append(errs, errorf(k, "remove service: %v", err))
				continue
			}
			delete(b.installed, k)
		}
	}
	for _, s := range services {
		if err := b.syncService(s); err != nil {
			errs = append(errs, err)
		}
	}
	return joinErrors(errs)
}

func (b *IPVS) syncService(s Service) error {
	k := s.Key()
	svc := ipvsService(s)
	old, ok := b.installed[k]
	switch {
	case !ok:
		if err := b.c.CreateService(svc); err != nil {
			return errorf(k, "create service: %v", err)
		}
		old = Service{}
	case !sameServiceSettings(old, s):
		if err := b.c.UpdateService(svc); err != nil {
			return errorf(k, "update service: %v", err)
		}
	}
	installed := s
	installed.Dests = nil
	oldDests := map[DestKey]Dest{}
	for _, d := range old.Dests {
		oldDests[d.key()] = d
	}
	var errs []error
	wantDests := map[DestKey]bool{}
	for _, d := range s.Dests {
		wantDests[d.key()] = true
	}
	for _, d := range old.Dests {
		if !wantDests[d.key()] {
			if err := b.c.RemoveDestination(svc, ipvsDest(d)); err != nil {
				errs = append(errs, errorf(k, "remove destination %s: %v", netip.AddrPortFrom(d.Addr, d.Port), err))
				installed.Dests = append(installed.Dests, d)
			}
		}
	}
	for _, d := range s.Dests {
		prev, had := oldDests[d.key()]
		var err error
		switch {
		case !had:
			err = b.c.CreateDestination(svc, ipvsDest(d))
		case !equalDest(prev, d):
			err = b.c.UpdateDestination(svc, ipvsDest(d))
		}
		if err != nil {
			errs = append(errs, errorf(k, "destination %s: %v", netip.AddrPortFrom(d.Addr, d.Port), err))
			if had {
				installed.Dests = append(installed.Dests, prev)
			}
			continue
		}
		installed.Dests = append(installed.Dests, d)
	}
	b.installed[k] = installed
	return joinErrors(errs)
}

// Stats reads the counters of the services havip created and of their
// destinations from the kernel.
func (b *IPVS) Stats() (map[ServiceKey]ServiceStats, error) {
	out := make(map[ServiceKey]ServiceStats, len(b.installed))
	var errs []error
	for k, s := range b.installed {
		svc := ipvsService(s)
		got, err := b.c.Service(svc)
		if err != nil {
			errs = append(errs, errorf(k, "service counters: %v", err))
			continue
		}
		dests, err := b.c.Destinations(svc)
		if err != nil {
			errs = append(errs, errorf(k, "destination counters: %v", err))
			continue
		}
		st := ServiceStats{Traffic: ipvsTraffic(got.Stats, got.Stats64), Dests: make(map[DestKey]Traffic, len(dests))}
		for _, d := range dests {
			st.Dests[DestKey{d.Address.Unmap(), d.Port}] = ipvsTraffic(d.Stats, d.Stats64)
		}
		out[k] = st
	}
	return out, joinErrors(errs)
}

// ipvsTraffic takes each counter from the kernel's 64-bit statistics,
// or from the 32-bit ones of a kernel that sends only those (a 64-bit
// counter is never below its 32-bit truncation).
func ipvsTraffic(s32, s64 ipvs.Stats) Traffic {
	return Traffic{
		Connections: max(s32.Connections, s64.Connections),
		InPackets:   max(s32.IncomingPackets, s64.IncomingPackets),
		OutPackets:  max(s32.OutgoingPackets, s64.OutgoingPackets),
		InBytes:     max(s32.IncomingBytes, s64.IncomingBytes),
		OutBytes:    max(s32.OutgoingBytes, s64.OutgoingBytes),
	}
}

// Close removes every service havip created.
func (b *IPVS) Close() error {
	return b.Sync(nil)
}

func sameServiceSettings(a, b Service) bool {
	return a.Scheduler == b.Scheduler && slices.Equal(a.SchedFlags, b.SchedFlags) && a.OnePacket == b.OnePacket && a.Persistence == b.Persistence && a.Granularity == b.Granularity
}

func equalDest(a, b Dest) bool {
	return a.Weight == b.Weight && a.UThreshold == b.UThreshold && a.LThreshold == b.LThreshold && a.Method.Kind == b.Method.Kind && slices.Equal(a.Method.Tunnel, b.Method.Tunnel)
}

func ipvsFamily(f config.Family) ipvs.AddressFamily {
	if f == config.IPv6 {
		return ipvs.INET6
	}
	return ipvs.INET
}

func ipvsService(s Service) ipvs.Service {
	svc := ipvs.Service{Address: s.Addr, Port: s.Port, FWMark: s.Fwmark, Family: ipvsFamily(s.Family), Scheduler: s.Scheduler}
	switch s.Protocol {
	case "TCP":
		svc.Protocol = ipvs.TCP
	case "UDP":
		svc.Protocol = ipvs.UDP
	case "SCTP":
		svc.Protocol = ipvs.SCTP
	}
	bits := 32
	if s.Family == config.IPv6 {
		bits = 128
	}
	if s.Persistence > 0 {
		svc.Flags |= ipvs.ServicePersistent
		svc.Timeout = uint32(s.Persistence)
		if s.Granularity != "" {
			if n, err := strconv.Atoi(s.Granularity); err == nil {
				bits = n
			} else if a, err := netip.ParseAddr(s.Granularity); err == nil {
				bits = maskBits(a)
			}
		}
	}
	if s.Family == config.IPv6 {
		svc.Netmask = netmask.MaskFrom(bits, 128)
	} else {
		svc.Netmask = netmask.MaskFrom(bits, 32)
	}
	if s.OnePacket {
		svc.Flags |= ipvs.ServiceOnePacket
	}
	for _, f := range s.SchedFlags {
		switch f {
		case "flag-1", "sh-fallback", "mh-fallback":
			svc.Flags |= ipvs.ServiceSchedulerOpt1
		case "flag-2", "sh-port", "mh-port":
			svc.Flags |= ipvs.ServiceSchedulerOpt2
		case "flag-3":
			svc.Flags |= ipvs.ServiceSchedulerOpt3
		}
	}
	return svc
}

// maskBits counts the leading ones of a netmask address.
func maskBits(a netip.Addr) int {
	n := 0
	for _, b := range a.AsSlice() {
		for i := 7; i >= 0 && b&(1<<i) != 0; i-- {
			n++
		}
		if b != 0xff {
			break
		}
	}
	return n
}

func ipvsDest(d Dest) ipvs.Destination {
	out := ipvs.Destination{Address: d.Addr, Port: d.Port, Weight: uint32(d.Weight), UpperThreshold: uint32(d.UThreshold), LowerThreshold: uint32(d.LThreshold), Family: ipvsFamily(familyOf(d.Addr))}
	switch d.Method.Kind {
	case "DR":
		out.FwdMethod = ipvs.DirectRoute
	case "TUN":
		out.FwdMethod = ipvs.Tunnel
		applyTunnel(&out, d.Method.Tunnel)
	default:
		out.FwdMethod = ipvs.Masquerade
	}
	return out
}

// applyTunnel sets the tunnel type, port and checksum flags from
// "type ipip|gue port N|gre [nocsum|csum|remcsum]".
func applyTunnel(d *ipvs.Destination, opts []string) {
	for i := 0; i < len(opts); i++ {
		switch opts[i] {
		case "ipip":
			d.TunnelType = ipvs.IPIP
		case "gue":
			d.TunnelType = ipvs.GUE
		case "gre":
			d.TunnelType = ipvs.GRE
		case "port":
			if i+1 < len(opts) {
				p, _ := strconv.Atoi(opts[i+1])
				d.TunnelPort = uint16(p)
				i++
			}
		case "csum":
			d.TunnelFlags = ipvs.TunnelEncapChecksum
		case "remcsum":
			d.TunnelFlags = ipvs.TunnelEncapRemoteChecksum
		case "nocsum":
			d.TunnelFlags = ipvs.TunnelEncapNoChecksum
		}
	}
}

func familyOf(a netip.Addr) config.Family {
	if a.Is4() {
		return config.IPv4
	}
	return config.IPv6
}
