package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// completeInstance resolves an instance's defaults and checks the rules
// that concern it alone. It returns false when the instance cannot run.
func (p *parser) completeInstance(in *Instance, priority, vrid, version int, accept, noAccept bool) bool {
	g := &p.cfg.Global
	where := "vrrp_instance " + in.Name
	if !in.set["smtp_alert"] {
		in.SMTPAlert = g.defaultSMTPAlert()
	}
	if vrid == 0 {
		if !in.set["virtual_router_id"] {
			p.rep.errorf(in.Pos, "%s: virtual_router_id is missing (1..255)", where)
		}
		return false
	}
	in.VRID = uint8(vrid)

	// Family: from the VIPs, else the peers / source addresses.
	switch {
	case len(in.VirtualAddresses) > 0:
		in.Family = familyOf(in.VirtualAddresses[0].Prefix.Addr())
	case len(in.UnicastPeers) > 0:
		in.Family = familyOf(in.UnicastPeers[0].Addr)
	case in.UnicastSource.IsValid():
		in.Family = familyOf(in.UnicastSource)
	case in.MulticastSource.IsValid():
		in.Family = familyOf(in.MulticastSource)
	default:
		in.Family = IPv4
	}
	vips := in.VirtualAddresses[:0]
	for _, a := range in.VirtualAddresses {
		if familyOf(a.Prefix.Addr()) == in.Family {
			vips = append(vips, a)
		} else {
			p.rep.dropf(a.Pos, "the address is ignored", "%s: virtual_ipaddress %s is %s but the instance is %s (put the other family in virtual_ipaddress_excluded or another instance)", where, formatPrefix(a.Prefix), familyName(familyOf(a.Prefix.Addr())), familyName(in.Family))
		}
	}
	in.VirtualAddresses = vips
	if len(in.VirtualAddresses) > 255 {
		p.rep.errorf(in.VirtualAddresses[255].Pos, "%s: at most 255 virtual_ipaddress entries fit in an advert (have %d); move the rest to virtual_ipaddress_excluded", where, len(in.VirtualAddresses))
	}
	peers := in.UnicastPeers[:0]
	for _, peer := range in.UnicastPeers {
		if familyOf(peer.Addr) == in.Family {
			peers = append(peers, peer)
		} else {
			p.rep.errorf(peer.Pos, "%s: unicast_peer %s is not %s like the instance", where, peer.Addr, familyName(in.Family))
		}
	}
	in.UnicastPeers = peers
	for _, a := range []struct {
		kw   string
		addr netip.Addr
	}{{"mcast_src_ip", in.MulticastSource}, {"unicast_src_ip", in.UnicastSource}} {
		if a.addr.IsValid() && familyOf(a.addr) != in.Family {
			p.rep.errorf(in.Pos, "%s: %s %s is not %s like the instance", where, a.kw, a.addr, familyName(in.Family))
		}
	}
	if in.MulticastGroup.IsValid() && familyOf(in.MulticastGroup) != in.Family {
		p.rep.errorf(in.Pos, "%s: mcast_dst_ip %s is not %s like the instance", where, in.MulticastGroup, familyName(in.Family))
	}
	if in.MulticastGroup.IsValid() && in.Unicast() {
		p.rep.warnf(in.Pos, "%s: mcast_dst_ip is not used with unicast_peer; ignored", where)
		in.MulticastGroup = netip.Addr{}
	}
	if in.UnicastTTL != 255 && !in.Unicast() {
		p.rep.warnf(in.Pos, "%s: unicast_ttl is only used with unicast_peer; ignored", where)
		in.UnicastTTL = 255
	}
	if !in.MulticastGroup.IsValid() {
		in.MulticastGroup = g.MulticastGroup4
		if in.Family == IPv6 {
			in.MulticastGroup = g.MulticastGroup6
		}
	}

	// Version.
	in.Version = g.VRRPVersion
	if version != 0 {
		in.Version = version
	}
	if in.Family == IPv6 && in.Version == 2 {
		if version == 2 {
			p.rep.warnf(in.Pos, "%s: IPv6 needs VRRP version 3; using version 3", where)
		}
		in.Version = 3
	}

	// Advert interval.
	if in.Version == 2 {
		rounded := in.AdvertInt.Round(time.Second)
		if rounded == 0 {
			rounded = time.Second
		}
		if rounded != in.AdvertInt {
			p.rep.warnf(in.Pos, "%s: VRRPv2 advert_int must be a whole number of seconds; %s rounded to %s", where, formatTimer(in.AdvertInt), formatTimer(rounded))
		}
		in.AdvertInt = rounded
	} else {
		rounded := in.AdvertInt.Round(10 * time.Millisecond)
		if rounded == 0 {
			rounded = 10 * time.Millisecond
		}
		if rounded > 40950*time.Millisecond {
			p.rep.warnf(in.Pos, "%s: VRRPv3 advert_int is at most 40.95 seconds; %s reduced to 40.95", where, formatTimer(in.AdvertInt))
			rounded = 40950 * time.Millisecond
		}
		if rounded != in.AdvertInt {
			p.rep.warnf(in.Pos, "%s: VRRPv3 advert_int has a resolution of 10 ms; %s rounded to %s", where, formatTimer(in.AdvertInt), formatTimer(rounded))
		}
		in.AdvertInt = rounded
	}

	// Priority and state.
	switch {
	case priority != 0:
		in.Priority = uint8(priority)
	case in.State == StateMaster:
		in.Priority = 255
	default:
		in.Priority = 100
	}
	if in.State == "" {
		in.State = StateBackup
		if in.Priority == 255 {
			in.State = StateMaster
		}
	}

	// Strict mode.
	if in.Strict {
		if in.Auth != nil {
			p.rep.warnf(in.Pos, "%s: strict mode does not allow authentication; ignored", where)
			in.Auth = nil
		}
		if in.PreemptDelay != 0 {
			p.rep.warnf(in.Pos, "%s: strict mode does not allow preempt_delay; ignored", where)
			in.PreemptDelay = 0
		}
		if len(in.UnicastPeers) > 0 {
			p.rep.errorf(in.Pos, "%s: strict mode does not allow unicast_peer", where)
		}
		if in.State == StateMaster && in.Priority != 255 {
			p.rep.warnf(in.Pos, "%s: strict mode allows state MASTER only with priority 255; using BACKUP", where)
			in.State = StateBackup
		}
		if len(in.VirtualAddresses) == 0 {
			p.rep.errorf(in.Pos, "%s: strict mode needs at least one virtual_ipaddress", where)
		}
		in.GARP.LowerPrioRepeat, in.GARP.LowerPrioDelay = 0, 0
		in.LowerPrioNoAdvert = true
		in.HigherPrioSendAdvert = false
		in.OwnerIgnoreAdverts = true
	}

	// Preemption.
	if in.State == StateMaster && in.Nopreempt {
		p.rep.warnf(in.Pos, "%s: nopreempt needs state BACKUP; nopreempt ignored", where)
		in.Nopreempt = false
	}
	if in.State == StateMaster && in.PreemptDelay != 0 {
		p.rep.warnf(in.Pos, "%s: preempt_delay needs state BACKUP; preempt_delay ignored", where)
		in.PreemptDelay = 0
	}
	if in.Nopreempt && in.PreemptDelay != 0 {
		p.rep.warnf(in.Pos, "%s: preempt_delay has no effect with nopreempt; ignored", where)
		in.PreemptDelay = 0
	}

	// Authentication applies to VRRPv2 over IPv4 only.
	if in.Auth != nil && in.Version == 3 {
		p.rep.warnf(in.Pos, "%s: authentication is only used with VRRPv2 over IPv4; ignored", where)
		in.Auth = nil
	}
	// keepalived: a non-owner must hear an advert (the AH sequence number)
	// before it takes over.
	if in.Auth != nil && in.Auth.Type == AuthAH && in.State == StateMaster && in.Priority != 255 {
		p.rep.warnf(in.Pos, "%s: initial state MASTER is incompatible with AH authentication; using BACKUP", where)
		in.State = StateBackup
	}

	if in.VMACXmitBase && in.VMAC == nil {
		p.rep.warnf(in.Pos, "%s: vmac_xmit_base has no effect without use_vmac", where)
	}
	// keepalived 2.3's owner_ignore_adverts and timer_expired_backup.
	if in.OwnerIgnoreAdverts && in.Priority != 255 {
		if in.set["owner_ignore_adverts"] {
			p.rep.dropf(in.Pos, "owner_ignore_adverts is ignored", "%s: owner_ignore_adverts applies to the address owner (priority 255) only", where)
		}
		in.OwnerIgnoreAdverts = false
	}
	if in.TimerExpiredBackup != 0 && !in.Nopreempt {
		p.rep.dropf(in.Pos, "timer_expired_backup is ignored", "%s: timer_expired_backup needs nopreempt", where)
		in.TimerExpiredBackup = 0
	}

	p.completeAddressVMACs(in, where)
	if in.VMAC != nil && in.PromoteSecondaries {
		p.rep.dropf(in.Pos, "promote_secondaries is ignored", "%s: promote_secondaries is set on use_vmac devices anyway", where)
		in.PromoteSecondaries = false
	}
	if in.VMAC != nil && !p.completeVMAC(in, where) {
		return false
	}

	// Accept mode.
	in.Accept = !in.Strict || in.Priority == 255
	if accept {
		in.Accept = true
	}
	if noAccept {
		in.Accept = false
	}
	in.Checksum = ChecksumPseudoHeader
	switch {
	case g.V3ChecksumAsV2:
		in.Checksum = ChecksumAsV2
	case in.OldUnicastChecksum == UnicastChecksumOld && in.Unicast() && in.Family == IPv4 && in.Version == 3:
		in.Checksum = ChecksumOldUnicast
		if g.MulticastGroup4 != defaultGlobal().MulticastGroup4 {
			p.rep.warnf(in.Pos, "%s: old_unicast_checksum uses %s in the checksum, not vrrp_mcast_group4 %s as keepalived does",
				where, defaultGlobal().MulticastGroup4, g.MulticastGroup4)
		}
	}

	// GARP: lower_prio defaults follow the instance's master settings.
	if !in.set["garp_lower_prio_delay"] && g.GARP.LowerPrioDelay == g.GARP.MasterDelay && !in.Strict {
		in.GARP.LowerPrioDelay = in.GARP.MasterDelay
	}
	if !in.set["garp_lower_prio_repeat"] && g.GARP.LowerPrioRepeat == g.GARP.MasterRepeat && !in.Strict {
		in.GARP.LowerPrioRepeat = in.GARP.MasterRepeat
	}

	if in.Interface == "" {
		p.rep.errorf(in.Pos, "%s: interface is missing; add 'interface NAME' (the interface adverts are sent on)", where)
	}

	// Owner trackers.
	if in.Priority == 255 {
		for _, t := range in.Track.Interfaces {
			if t.Weight != 0 {
				p.rep.warnf(t.Pos, "%s: priority 255 (address owner) is never changed by trackers; weight of %s ignored", where, t.Name)
			}
		}
	}
	if len(in.VirtualAddresses) == 0 && !in.NoVirtualAddresses && !in.Strict {
		p.rep.warnf(in.Pos, "%s: no virtual_ipaddress; add no_virtual_ipaddress if that is intended", where)
	}
	return true
}

func familyName(f Family) string {
	if f == IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

// completeVMAC checks use_vmac as keepalived does: a MAC of its own must be unicast, outside
// the VRRP virtual MAC ranges, and not under strict mode; five octets get the VRID as the sixth.
func (p *parser) completeVMAC(in *Instance, where string) bool {
	v := in.VMAC
	if len(v.Name) > 15 {
		p.rep.errorf(v.Pos, "%s: use_vmac device name %q is longer than 15 characters", where, v.Name)
		return false
	}
	if v.MAC == "" {
		return true
	}
	if in.Strict {
		p.rep.errorf(v.Pos, "%s: use_vmac with a MAC address of its own is not allowed under strict mode", where)
		return false
	}
	text := v.MAC
	if strings.Count(text, ":") == 4 {
		text += fmt.Sprintf(":%02x", in.VRID)
	}
	mac, err := net.ParseMAC(text)
	switch {
	case err != nil || len(mac) != 6:
		p.rep.errorf(v.Pos, "%s: use_vmac MAC %q is not a MAC address (want six octets like 02:00:5e:aa:bb:01, or five, the VRID being the sixth)", where, v.MAC)
		return false
	case mac[0]&1 != 0:
		p.rep.errorf(v.Pos, "%s: use_vmac MAC %s is a multicast address; give a unicast one", where, mac)
		return false
	case mac[0] == 0 && mac[1] == 0 && mac[2] == 0x5e && mac[3] == 0 && (mac[4] == 1 || mac[4] == 2):
		p.rep.errorf(v.Pos, "%s: use_vmac MAC %s is in a VRRP virtual MAC range; leave it out to get 00:00:5e:00:01|02:VRID", where, mac)
		return false
	}
	v.MAC = mac.String()
	return true
}

// completeAddressVMACs checks use_vmac on the VIPs and eVIPs as keepalived 2.2.7's
// vrrp_complete_instance does, clearing it where it does not apply: an address on the instance's
// interface of the instance's family goes on the instance's VMAC when the instance has use_vmac,
// and use_vmac_addr already gives every address on another interface, or of the other family,
// a VMAC of its own. keepalived reports both as configuration errors and runs without the
// address's use_vmac; so does havip, with a warning.
func (p *parser) completeAddressVMACs(in *Instance, where string) {
	for _, list := range [][]VirtualAddress{in.VirtualAddresses, in.ExcludedAddresses} {
		for i := range list {
			a := &list[i]
			if !a.UseVMAC {
				continue
			}
			onInterface := a.Dev == "" || a.Dev == in.Interface
			switch {
			case onInterface && in.VMAC != nil && addressFamily(a.Prefix) == in.Family:
				p.rep.dropf(a.Pos, "the address's use_vmac is ignored", "%s: use_vmac specified for VIP/eVIP %s and the instance: it goes on the instance's VMAC",
					where, formatPrefix(a.Prefix))
				a.UseVMAC = false
			case (!onInterface || addressFamily(a.Prefix) != in.Family) && in.UseVMACAddr:
				p.rep.dropf(a.Pos, "the address's use_vmac is ignored", "%s: use_vmac_addr specified and use_vmac specified for VIP/eVIP %s: use_vmac_addr gives it a VMAC already",
					where, formatPrefix(a.Prefix))
				a.UseVMAC = false
			}
		}
	}
}

// addressFamily is the family of an address's prefix.
func addressFamily(p netip.Prefix) Family { return familyOf(p.Addr()) }

// AddressVMAC reports whether a, one of in's VIPs or eVIPs, goes on a VMAC of its own, a
// per-address VMAC (keepalived 2.2.7's vrrp_complete_instance): an address on in's interface and
// of in's family goes on the instance's VMAC (use_vmac) or on the interface, unless it has
// use_vmac itself and the instance has none; any other address gets one with use_vmac, or with
// the instance's use_vmac_addr. It reads use_vmac as completeAddressVMACs left it.
func (in *Instance) AddressVMAC(a VirtualAddress) bool {
	if (a.Dev == "" || a.Dev == in.Interface) && addressFamily(a.Prefix) == in.Family {
		return in.VMAC == nil && a.UseVMAC
	}
	return a.UseVMAC || in.UseVMACAddr
}
