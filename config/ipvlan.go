package config

import (
	"net/netip"
	"strings"
)

// IPVLAN is the use_ipvlan setting of a vrrp_instance, as keepalived 2.2.7 reads it:
// use_ipvlan [NAME] [ADDRESS[/PREFIX]] [bridge|private|vepa], in any order.
type IPVLAN struct {
	Pos Pos `json:"pos"`
	// Name is the device's name; "" = keepalived's default, vmac_prefix (vrrp) + "." + VRID.
	Name string `json:"name,omitempty"`
	// Addr is the address put on the device, also the instance's source address when
	// neither unicast_src_ip nor mcast_src_ip precedes use_ipvlan. IPv4 instances need one.
	Addr netip.Prefix `json:"addr,omitzero"`
	// Mode is the ipvlan flag: "bridge" (the default, flags 0), "private" or "vepa". The
	// device is always in l2 mode.
	Mode string `json:"mode,omitempty"`
}

// Equal reports whether v and o are both nil or the same use_ipvlan ignoring positions.
func (v *IPVLAN) Equal(o *IPVLAN) bool {
	if v == nil || o == nil {
		return v == o
	}
	return v.Name == o.Name && v.Addr == o.Addr && v.Mode == o.Mode
}

// formatArgs are v's use_ipvlan arguments as keepalived reads them back.
func (v *IPVLAN) formatArgs() string {
	s := v.Name
	if v.Addr.IsValid() {
		s += " " + v.Addr.String()
	}
	return strings.TrimSpace(s + " " + v.Mode)
}

// ifNameSize is the kernel's IFNAMSIZ: a device name is at most ifNameSize-1 bytes.
const ifNameSize = 16

// ipvlanKw parses use_ipvlan with vrrp_ipvlan_handler's rules: each argument is a mode
// (the first one given wins), an address (the first one wins) or the device name (the first
// one wins; too long, or already named by an earlier instance, is ignored). Every ignored
// argument is reported, as keepalived reports it, and the rest is kept.
func (p *parser) ipvlanKw(s *instanceState, n *node) {
	where := "vrrp_instance " + s.in.Name
	if s.in.IPVLAN != nil {
		p.rep.dropf(n.pos, "this use_ipvlan is ignored", "%s: use_ipvlan already specified", where)
		return
	}
	if !p.noBlock(n) {
		return
	}
	v := &IPVLAN{Pos: n.pos}
	s.in.IPVLAN = v
	for _, a := range n.args() {
		switch a {
		case "bridge", "private", "vepa":
			if v.Mode != "" {
				p.rep.dropf(n.pos, "'"+a+"' is ignored", "%s: ipvlan type already specified", where)
				continue
			}
			v.Mode = a
			continue
		}
		if pfx, err := parsePrefix(a); err == nil {
			if v.Addr.IsValid() {
				p.rep.dropf(n.pos, "'"+a+"' is ignored", "%s: ipvlan address already specified", where)
				continue
			}
			v.Addr = pfx
			if !s.in.UnicastSource.IsValid() && !s.in.MulticastSource.IsValid() {
				s.ipvlanSource = true
			}
			continue
		}
		if v.Name != "" {
			p.rep.dropf(n.pos, "'"+a+"' is ignored", "%s: IPVLAN interface already specified", where)
			continue
		}
		if len(a) >= ifNameSize {
			p.rep.dropf(n.pos, "the name is ignored", "%s: IPVLAN interface name '%s' too long", where, a)
			continue
		}
		if other := p.ipvlanNameUser(a); other != "" {
			p.rep.dropf(n.pos, "the name is ignored", "%s: VRRP instance %s is already using %s", where, other, a)
			continue
		}
		v.Name = a
	}
	if v.Mode == "" {
		v.Mode = "bridge"
	}
}

// ipvlanNameUser returns the earlier instance whose use_vmac or use_ipvlan names dev, or "".
func (p *parser) ipvlanNameUser(dev string) string {
	for _, o := range p.cfg.Instances {
		if o.IPVLAN != nil && o.IPVLAN.Name == dev || o.VMAC != nil && o.VMAC.Name == dev {
			return o.Name
		}
	}
	return ""
}

// vrfKw parses vrf NAME with vrrp_vrf_handler's rules: a name too long, a vrf after
// interface, or a second vrf is ignored with keepalived's message.
func (p *parser) vrfKw(s *instanceState, n *node) {
	if !p.nargs(n, 1, 1) {
		return
	}
	where := "vrrp_instance " + s.in.Name
	name := n.args()[0]
	switch {
	case len(name) >= ifNameSize:
		p.rep.dropf(n.pos, "vrf is ignored", "%s: VRF interface name '%s' too long", where, name)
	case s.in.Interface != "":
		p.rep.dropf(n.pos, "vrf is ignored", "%s: Cannot specify VRF interface and interface", where)
	case s.in.VRF != "":
		p.rep.dropf(n.pos, "vrf is ignored", "%s: VRF interface already specified as '%s'", where, s.in.VRF)
	default:
		s.in.VRF = name
		s.vrfPos = n.pos
	}
}

// completeIPVLANVRF applies vrrp_complete_instance's checks of use_ipvlan and vrf to in, whose
// family is known: an IPv4 ipvlan without an address, or an address of the other family, is a
// config fault (the instance stays in FAULT); a vrf needs unicast peers and no interface, else
// it is cleared (its device is still looked up at startup, as keepalived looks it up).
func (p *parser) completeIPVLANVRF(s *instanceState, where string) {
	in := s.in
	if v := in.IPVLAN; v != nil {
		switch {
		case in.Family == IPv4 && !v.Addr.IsValid():
			p.rep.warnf(v.Pos, "%s: IPv4 ipvlan requires a source ip address to be configured; keepalived sets the instance to fault state", where)
			in.ConfigFaults = append(in.ConfigFaults, "use_ipvlan: IPv4 ipvlan requires a source ip address")
		case v.Addr.IsValid() && familyOf(v.Addr.Addr()) != in.Family:
			p.rep.warnf(v.Pos, "%s: ipvlan address %s does not match the instance's family; keepalived sets the instance to fault state", where, v.Addr)
			in.ConfigFaults = append(in.ConfigFaults, "use_ipvlan: the ipvlan address family does not match the instance")
		case s.ipvlanSource && in.Unicast():
			in.UnicastSource = v.Addr.Addr()
		case s.ipvlanSource:
			in.MulticastSource = v.Addr.Addr()
		}
		if in.PromoteSecondaries {
			p.rep.dropf(v.Pos, "promote_secondaries is ignored", "%s: promote_secondaries is automatically set for vmacs", where)
			in.PromoteSecondaries = false
		}
	}
	if in.VRF != "" && in.Interface == "" && in.Unicast() {
		p.rep.errorf(s.vrfPos, "%s: vrf %s without interface is not supported by havip: it binds every instance to an interface (keepalived binds this one's sockets to the VRF device)", where, in.VRF)
		return
	}
	if in.VRF != "" {
		what := " unicast"
		if in.Interface != "" {
			what = "out interface"
		}
		p.rep.dropf(s.vrfPos, "vrf is cleared", "%s: vrf can only be specified with%s", where, what)
		in.VRFCleared = true
	}
}
