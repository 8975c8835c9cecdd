package engine

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// noPeerFaultKey is the FAULT reason key of unicast_fault_no_peer without
// a unicast_peer: set from the config, for as long as the config says so.
const noPeerFaultKey = "unicast_fault_no_peer"

// instance is one vrrp_instance with what the engine keeps beside its
// machine: where it sends and receives, the VIPs it installs, why it is in
// FAULT.
type instance struct {
	cfg    *config.Instance
	name   string
	vrid   uint8
	ifname string
	family int
	vcfg   vrrp.Config
	vips   []netif.VIP // virtual_ipaddress then virtual_ipaddress_excluded
	// noTrackVIPs are the vipKey of the VIPs configured no_track: their removal behind havip's
	// back does not make the master resign.
	noTrackVIPs map[string]bool
	routing     routing // virtual_rules and virtual_routes, installed while MASTER
	// use_vmac: the device the VIPs live on, up only while MASTER (nil without use_vmac);
	// vmacPort its sockets; xmitBase sends adverts on the interface instead (vmac_xmit_base,
	// and always for unicast, as keepalived).
	vmac     *netif.VMAC
	vmacPort *port
	vmacUp   bool
	xmitBase bool
	// addrVMACs are the per-address VMACs (use_vmac on an address, use_vmac_addr), up only
	// while MASTER too; the plan names them and moves their VIPs onto them.
	addrVMACs []*addrVMAC
	// ipvlan is the use_ipvlan device the VIPs on the interface go on; ipvlanMissing is set
	// when the host could not make it (the instance is then in FAULT).
	ipvlan        *netif.IPVlan
	ipvlanMissing bool
	ttl           int // unicast_ttl, or 255 for multicast
	port          *port
	group         *syncGroup
	refs          []track.Ref    // track_* of the instance and of its sync group
	scripts       notify.Scripts // its notify scripts
	// notifyPriorityChanges writes MASTER_PRIORITY / BACKUP_PRIORITY FIFO lines.
	notifyPriorityChanges bool
	deleted               bool // removed by a reload: its STOP is notified as DELETED with notify_deleted

	m       *vrrp.Machine     // nil until a source address is known
	stats   vrrp.Stats        // adverts, transitions; the machine counts receive drops
	obs     observed          // transitions by reason, other masters, foreign routers, VIP removals
	retryAt time.Time         // when to retry building the machine
	when    time.Time         // nextDeadline as of the last reschedule
	since   time.Time         // when the last transition happened
	reason  string            // why
	slot    int               // index in the engine's schedule; -1 when not in it
	faults  map[string]string // why it is in FAULT: key → human reason

	// pending are announcements waiting for their interface's garp/gna
	// interval, to send at announceAt.
	pending    []netif.VIP
	announceAt time.Time
	// extraAt is when a MASTER next announces on its other interfaces
	// (garp_extra_if); zero when not MASTER or not configured.
	extraAt time.Time
	// sourceCheckAt is when to look for a missing track_src_ip address
	// again; zero while it is there.
	sourceCheckAt time.Time
}

// newInstance maps a validated config instance onto the engine's view of it.
func newInstance(ci *config.Instance, g *config.GlobalDefs) (*instance, error) {
	if ci.Interface == "" {
		return nil, fmt.Errorf("vrrp_instance %s (%s): havip needs an interface for every instance", ci.Name, ci.Pos)
	}
	inst := &instance{
		slot:   -1,
		cfg:    ci,
		name:   ci.Name,
		vrid:   ci.VRID,
		ifname: ci.Interface,
		family: int(ci.Family),
		ttl:    vrrp.TTL,
		faults: map[string]string{},

		notifyPriorityChanges: ci.Notify.PriorityChanges || g.NotifyPriorityChanges,
	}
	if ci.Unicast() && ci.UnicastTTL > 0 {
		inst.ttl = ci.UnicastTTL
	}
	if ci.UnicastFaultNoPeer && !ci.Unicast() {
		// keepalived 2.2.7 counts it as a config fault: the instance stays in FAULT
		// rather than falling back to multicast.
		inst.faults[noPeerFaultKey] = "unicast_fault_no_peer: no unicast_peer configured"
	}
	vc := vrrp.Config{
		Name:                 ci.Name,
		VRID:                 ci.VRID,
		Version:              uint8(ci.Version),
		Priority:             ci.Priority,
		AdvertInterval:       ci.AdvertInt,
		NoPreempt:            ci.Nopreempt,
		PreemptDelay:         ci.PreemptDelay,
		WantMaster:           ci.State == config.StateMaster,
		LowerPrioNoAdvert:    ci.LowerPrioNoAdvert,
		HigherPrioSendAdvert: ci.HigherPrioSendAdvert,
		DownTimerAdverts:     ci.DownTimerAdverts,
		CheckUnicastSrc:      ci.CheckUnicastSrc || g.CheckUnicastSrc,
		SkipCheckAdvAddr:     ci.SkipCheckAdvAddr,
		OwnerIgnoreAdverts:   ci.OwnerIgnoreAdverts,
		TimerExpiredBackup:   ci.TimerExpiredBackup,
		SyncGroup:            ci.SyncGroup != "",
		Strict:               ci.Strict || g.Strict,
		Garp: vrrp.GarpConfig{
			MasterRepeat:    ci.GARP.MasterRepeat,
			MasterDelay:     ci.GARP.MasterDelay,
			MasterRefresh:   ci.GARP.MasterRefresh,
			RefreshRepeat:   ci.GARP.MasterRefreshRepeat,
			LowerPrioRepeat: ci.GARP.LowerPrioRepeat,
			LowerPrioDelay:  ci.GARP.LowerPrioDelay,
		},
	}
	switch ci.Checksum {
	case config.ChecksumAsV2:
		vc.Checksum = vrrp.ChecksumRFC9568
	case config.ChecksumOldUnicast:
		vc.Checksum = vrrp.ChecksumLegacyUnicast
	}
	if a := ci.Auth; a != nil {
		switch a.Type {
		case config.AuthNone:
		case config.AuthPass:
			vc.AuthType, vc.AuthPass = vrrp.AuthPass, a.Password
		case config.AuthAH:
			vc.AuthType, vc.AuthPass = vrrp.AuthAH, a.Password
		default:
			return nil, fmt.Errorf("vrrp_instance %s (%s): auth_type %s is not supported by havip; use PASS, AH or none",
				ci.Name, ci.Pos, a.Type)
		}
	}
	for _, p := range ci.UnicastPeers {
		vc.Peers = append(vc.Peers, vrrp.Peer{Addr: p.Addr, MinTTL: uint8(p.MinTTL), MaxTTL: uint8(p.MaxTTL)})
	}
	for _, va := range ci.VirtualAddresses {
		vc.Addrs = append(vc.Addrs, va.Prefix.Addr())
	}
	inst.vcfg = vc
	if ci.VMAC != nil {
		vm, err := vmacOf(ci, g)
		if err != nil {
			return nil, err
		}
		inst.vmac, inst.xmitBase = vm, ci.VMACXmitBase || ci.Unicast()
	}
	for _, list := range [][]config.VirtualAddress{ci.VirtualAddresses, ci.ExcludedAddresses} {
		for _, va := range list {
			v, err := vipOf(va, ci.Interface)
			if err != nil {
				return nil, fmt.Errorf("vrrp_instance %s: %w", ci.Name, err)
			}
			if inst.vmac != nil && v.Dev == ci.Interface {
				v.Dev = inst.vmac.Name // keepalived moves the interface's VIPs to the VMAC
			}
			inst.vips = append(inst.vips, v)
			if va.NoTrack {
				if inst.noTrackVIPs == nil {
					inst.noTrackVIPs = map[string]bool{}
				}
				inst.noTrackVIPs[vipKey(v)] = true
			}
		}
	}
	var instMAC []byte
	if inst.vmac != nil && ci.VMAC.MAC != "" {
		instMAC = inst.vmac.MAC
	}
	inst.addrVMACs = addrVMACsOf(ci, inst.vips, instMAC)
	inst.setupIPVlan(ci, g)
	var err error
	if inst.routing, err = planRouting("vrrp_instance "+ci.Name, ci.VirtualRoutes, ci.VirtualRules); err != nil {
		return nil, err
	}
	return inst, nil
}

// vipOf maps a virtual_ipaddress entry onto the address netif installs.
func vipOf(va config.VirtualAddress, defaultDev string) (netif.VIP, error) {
	// IPv6 VIPs never run DAD (netif's zero DAD), keepalived's behaviour with
	// or without "-nodad".
	v := netif.VIP{
		Prefix:         va.Prefix,
		Dev:            va.Dev,
		Label:          va.Label,
		Peer:           va.Peer,
		NoPrefixRoute:  va.NoPrefixRoute,
		HomeAddress:    va.Home,
		ManageTempAddr: va.MngTmpAddr,
		AutoJoin:       va.AutoJoin,
	}
	if v.Dev == "" {
		v.Dev = defaultDev
	}
	if b, ok := va.Broadcast4(); ok {
		v.Broadcast = b
	} else if va.Broadcast != "" && va.Broadcast != "+" && va.Broadcast != "-" {
		return v, fmt.Errorf("%s: brd %q is not an IPv4 address", va.Pos, va.Broadcast)
	}
	if lft, ok := va.PreferredLifetime(); ok {
		v.PreferredLft = &lft
	}
	if scope, ok := scopes[va.Scope]; ok {
		v.Scope = scope
	} else if va.Scope != "" {
		return v, fmt.Errorf("%s: scope %q is not one of global, site, link, host, nowhere", va.Pos, va.Scope)
	}
	return v, nil
}

var scopes = map[string]uint8{
	"global":  netif.ScopeGlobal,
	"site":    netif.ScopeSite,
	"link":    netif.ScopeLink,
	"host":    netif.ScopeHost,
	"nowhere": netif.ScopeNowhere,
}

// build creates the machine once the source address is known.
func (inst *instance) build(host Host) error {
	primary, err := inst.source(host)
	if err != nil {
		return err
	}
	m, err := vrrp.New(inst.vcfg, primary)
	if err != nil {
		return fmt.Errorf("vrrp_instance %s (%s): %w", inst.name, inst.cfg.Pos, err)
	}
	inst.m = m
	return nil
}

// source returns the address adverts are sent from: unicast_src_ip or
// mcast_src_ip when configured, else the interface's primary address.
func (inst *instance) source(host Host) (netip.Addr, error) {
	ci := inst.cfg
	if ci.Unicast() && ci.UnicastSource.IsValid() {
		return ci.UnicastSource, nil
	}
	if !ci.Unicast() && ci.MulticastSource.IsValid() {
		return ci.MulticastSource, nil
	}
	return host.PrimaryAddr(inst.ifname, inst.family)
}

// destinations returns where adverts go: every unicast peer, or the group.
func (inst *instance) destinations() []netip.Addr {
	if inst.cfg.Unicast() {
		dsts := make([]netip.Addr, len(inst.cfg.UnicastPeers))
		for i, p := range inst.cfg.UnicastPeers {
			dsts[i] = p.Addr
		}
		return dsts
	}
	return []netip.Addr{inst.cfg.MulticastGroup}
}

// hasPeer reports whether addr is one of the instance's unicast peers.
func (inst *instance) hasPeer(addr netip.Addr) bool {
	return slices.ContainsFunc(inst.cfg.UnicastPeers, func(p config.UnicastPeer) bool { return p.Addr == addr })
}

// shares reports whether inst and o, of one VRID on one interface and
// family, would receive each other's adverts: both multicast to one group,
// or both unicast with a peer in common. keepalived refuses such a pair,
// and the engine could not tell their adverts apart.
func (inst *instance) shares(o *instance) bool {
	if inst.cfg.Unicast() != o.cfg.Unicast() {
		return false
	}
	if !inst.cfg.Unicast() {
		return inst.cfg.MulticastGroup == o.cfg.MulticastGroup
	}
	return slices.ContainsFunc(o.cfg.UnicastPeers, func(p config.UnicastPeer) bool { return inst.hasPeer(p.Addr) })
}

// groups returns the multicast groups the instance listens to.
func (inst *instance) groups() []netip.Addr {
	if inst.cfg.Unicast() {
		return nil
	}
	return []netip.Addr{inst.cfg.MulticastGroup}
}

// devices returns the interfaces the instance's VIPs live on (and sends
// gratuitous ARP / NA from).
func (inst *instance) devices() []string {
	devs := []string{inst.ifname}
	for _, v := range inst.vips {
		if !slices.Contains(devs, v.Dev) && !(inst.ipvlanMissing && v.Dev == inst.ipvlan.Name) {
			devs = append(devs, v.Dev)
		}
	}
	return devs
}

// setFault records (or clears) one reason for FAULT under key; it reports
// whether the overall faulted answer changed.
func (inst *instance) setFault(key, reason string, fault bool) bool {
	before := inst.faulted()
	if fault {
		inst.faults[key] = reason
	} else {
		delete(inst.faults, key)
	}
	return before != inst.faulted()
}

func (inst *instance) faulted() bool { return len(inst.faults) > 0 }

// vmacOf is the use_vmac device of ci: named PREFIX.VRID unless named, with the VRRP virtual MAC
// unless given one (config has checked it).
func vmacOf(ci *config.Instance, g *config.GlobalDefs) (*netif.VMAC, error) {
	v := &netif.VMAC{Name: ci.VMAC.Name, Parent: ci.Interface, MAC: netif.VMACAddr(int(ci.Family), ci.VRID), Family: int(ci.Family)}
	if v.Name == "" {
		v.Name = netif.VMACName(g.VMACPrefix, ci.VRID)
	}
	if ci.VMAC.MAC != "" {
		mac, err := net.ParseMAC(ci.VMAC.MAC)
		if err != nil {
			return nil, fmt.Errorf("vrrp_instance %s (%s): use_vmac MAC: %w", ci.Name, ci.VMAC.Pos, err)
		}
		v.MAC = mac
	}
	return v, nil
}

// sendPort is where adverts leave: the VMAC, so that they carry the virtual MAC, unless
// the instance sends on its interface.
func (inst *instance) sendPort() *port {
	if inst.vmacPort != nil && !inst.xmitBase {
		return inst.vmacPort
	}
	return inst.port
}
