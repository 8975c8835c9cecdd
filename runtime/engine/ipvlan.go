package engine

import (
	"fmt"
	"strings"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
)

// ipvlanFaultKey is the FAULT reason key of a use_ipvlan device that could not be made.
const ipvlanFaultKey = "use_ipvlan"

// configFaultKey prefixes the FAULT reason keys of config.Instance.ConfigFaults.
const configFaultKey = "config: "

// ipvlanFault reports whether key is a FAULT reason newInstance and planIPVlans set from the
// config alone: adopt does not carry it over to the replacing instance.
func ipvlanFault(key string) bool {
	return key == ipvlanFaultKey || strings.HasPrefix(key, configFaultKey)
}

// ipvlanOf is ci's use_ipvlan device: named as given, else as keepalived 2.2.7 names it
// (vmac_prefix, vrrp by default, "." VRID), on the instance's interface.
func ipvlanOf(ci *config.Instance, g *config.GlobalDefs) *netif.IPVlan {
	v := &netif.IPVlan{Name: ci.IPVLAN.Name, Parent: ci.Interface, Mode: ci.IPVLAN.Mode, Addr: ci.IPVLAN.Addr}
	if v.Name == "" {
		v.Name = netif.VMACName(g.VMACPrefix, ci.VRID)
	}
	return v
}

// setupIPVlan gives inst its use_ipvlan device and the config faults keepalived counts: the
// VIPs on the instance's interface move to the device, as keepalived puts them on the ipvlan.
func (inst *instance) setupIPVlan(ci *config.Instance, g *config.GlobalDefs) {
	for _, f := range ci.ConfigFaults {
		inst.faults[configFaultKey+f] = f
	}
	if ci.IPVLAN == nil {
		return
	}
	inst.ipvlan = ipvlanOf(ci, g)
	for i := range inst.vips {
		if inst.vips[i].Dev == ci.Interface {
			inst.vips[i].Dev = inst.ipvlan.Name
		}
	}
}

// sameIPVlan reports whether two use_ipvlan devices are configured alike.
func sameIPVlan(a, b netif.IPVlan) bool { return a == b }

// planIPVlans makes (or adopts) the use_ipvlan device of every instance of p the engine does
// not already run alike. A device the host cannot make leaves its instance in FAULT, as
// keepalived 2.2.7 leaves it ("Unable to create ipvlan interface", then FAULT, interface
// down): the instance runs, without announcements on the missing device.
func (e *Engine) planIPVlans(p *plan) error {
	p.ipvlans = map[string]netif.IPVlan{}
	for _, inst := range p.instances {
		if inst.ipvlan == nil {
			continue
		}
		v := *inst.ipvlan
		if other, ok := p.ipvlans[v.Name]; ok {
			return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): use_ipvlan device %s is used by another instance on %s too", inst.name, inst.cfg.Pos, v.Name, other.Parent))
		}
		if _, ok := p.vmacs[v.Name]; ok {
			return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): use_ipvlan device %s is a use_vmac device too", inst.name, inst.cfg.Pos, v.Name))
		}
		if cur, ok := e.ipvlans[v.Name]; ok && sameIPVlan(cur, v) {
			p.ipvlans[v.Name] = v
			continue
		}
		if err := e.host.EnsureIPVlan(v); err != nil {
			reason := fmt.Sprintf("use_ipvlan: unable to create ipvlan interface %s on %s: %v", v.Name, v.Parent, err)
			e.log.Error("use_ipvlan: unable to create the ipvlan interface; the instance stays in FAULT", "instance", inst.name, "ipvlan", v.Name, "interface", v.Parent, "err", err)
			inst.faults[ipvlanFaultKey] = reason
			inst.ipvlanMissing = true
			continue
		}
		p.ipvlans[v.Name] = v
		p.madeIPVlans = append(p.madeIPVlans, v.Name)
		if inst.ipvlanMissing { // a running instance, kept by the reload: its FAULT ends at commit
			inst.ipvlanMissing = false
			p.recoveredIPVlans = append(p.recoveredIPVlans, inst)
		}
	}
	return nil
}

// commitIPVlans makes p's use_ipvlan devices the running ones, removing those no instance of
// p uses any more.
func (e *Engine) commitIPVlans(p *plan) {
	for name := range e.ipvlans {
		if _, ok := p.ipvlans[name]; !ok {
			e.deleteIPVlan(name)
		}
	}
	e.ipvlans = p.ipvlans
	now := e.clock.Now()
	for _, inst := range p.recoveredIPVlans {
		e.setFault(inst, now, ipvlanFaultKey, "", false)
	}
}

// abortIPVlans removes the devices a failed plan made.
func (p *plan) abortIPVlans(host Host) {
	for _, name := range p.madeIPVlans {
		_ = host.DeleteIPVlan(name) // best effort: the plan failed for another reason, reported
	}
	for _, inst := range p.recoveredIPVlans {
		inst.ipvlanMissing = true
	}
}

// deleteIPVlan removes a use_ipvlan device the engine made or adopted.
func (e *Engine) deleteIPVlan(name string) {
	if err := e.host.DeleteIPVlan(name); err != nil {
		e.log.Error("removing a use_ipvlan device failed", "ipvlan", name, "err", err)
	}
	delete(e.ipvlans, name)
}

// closeIPVlans removes every use_ipvlan device at stop.
func (e *Engine) closeIPVlans() {
	for name := range e.ipvlans {
		e.deleteIPVlan(name)
	}
}
