package engine

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
)

// maxVMACNames bounds the names tried for a per-address VMAC before giving up.
const maxVMACNames = 100

// addrVMAC is a per-address VMAC of an instance (use_vmac on a VIP or eVIP, or use_vmac_addr):
// a private-mode macvlan on the address's interface carrying the VRRP virtual MAC of the address's
// family (or the instance's own use_vmac MAC), with the addresses of vips (indexes in the
// instance's vips) on it. Like the instance's VMAC it is up only while the instance is MASTER.
type addrVMAC struct {
	vmac netif.VMAC // Name is "" until the plan names it
	vips []int
	up   bool
}

// addrVMACsOf groups the VIPs of ci (vips, in the instance's order) that go on a per-address VMAC
// (config.Instance.AddressVMAC) by interface and family: one device each, as keepalived 2.2.7
// finds the VMAC it made for an earlier address of the instance by VRID, family, interface and
// MAC. instMAC is the instance's use_vmac MAC when given one, else nil.
func addrVMACsOf(ci *config.Instance, vips []netif.VIP, instMAC []byte) []*addrVMAC {
	var out []*addrVMAC
	i := 0
	for _, list := range [][]config.VirtualAddress{ci.VirtualAddresses, ci.ExcludedAddresses} {
		for _, va := range list {
			idx := i
			i++
			if !ci.AddressVMAC(va) {
				continue
			}
			family := 4
			if va.Prefix.Addr().Is6() {
				family = 6
			}
			mac := netif.VMACAddr(family, ci.VRID)
			if instMAC != nil {
				mac = instMAC
			}
			v := netif.VMAC{Parent: vips[idx].Dev, MAC: mac, Family: family}
			var found *addrVMAC
			for _, av := range out {
				if sameAddrVMAC(av.vmac, v) {
					found = av
				}
			}
			if found == nil {
				found = &addrVMAC{vmac: v}
				out = append(out, found)
			}
			found.vips = append(found.vips, idx)
		}
	}
	return out
}

// sameAddrVMAC reports whether a and b are the same device but for its name: one interface,
// family and MAC.
func sameAddrVMAC(a, b netif.VMAC) bool {
	return a.Parent == b.Parent && a.Family == b.Family && bytes.Equal(a.MAC, b.MAC)
}

// planAddrVMACs names, and makes or adopts down, the per-address VMACs of p's instances, after
// planVMACs has reserved the instances' own. An instance kept unchanged keeps its devices; a
// changed one keeps the device it had for the same interface, family and MAC, and whether it is
// up. A new device is named as keepalived 2.2.7's create_vmac_name does, with vmac_addr_prefix
// (else vmac_prefix, else "vrrp"): the first of PREFIX.VRID, PREFIXN.VRID, … that no VMAC of the
// new or running config has and that is free on the host or an adoptable private macvlan on the
// interface. The VIPs are then moved onto their devices.
func (e *Engine) planAddrVMACs(p *plan) error {
	prefix := cmp.Or(p.cfg.Global.VMACAddrPrefix, p.cfg.Global.VMACPrefix)
	for _, inst := range p.instances {
		var old *instance
		for _, pair := range p.diff.changed {
			if pair.new == inst {
				old = pair.old
			}
		}
		for _, av := range inst.addrVMACs {
			for name, other := range p.vmacs {
				if sameAddrVMAC(other, av.vmac) && name != av.vmac.Name {
					return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): the VMAC for its addresses on %s (MAC %s) is %s, a VMAC of another instance or address; havip does not share one, as it brings each up and down with its instance",
						inst.name, inst.cfg.Pos, av.vmac.Parent, av.vmac.MAC, name))
				}
			}
			if av.vmac.Name == "" {
				if err := e.nameAddrVMAC(p, inst, old, av, prefix); err != nil {
					return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): use_vmac for its addresses on %s: %w", inst.name, inst.cfg.Pos, av.vmac.Parent, err))
				}
			}
			if _, taken := p.vmacs[av.vmac.Name]; taken {
				return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): the VMAC %s of its addresses on %s is used by another instance too", inst.name, inst.cfg.Pos, av.vmac.Name, av.vmac.Parent))
			}
			p.vmacs[av.vmac.Name] = av.vmac
			for _, i := range av.vips {
				inst.moveVIP(i, av.vmac.Name)
			}
		}
	}
	return nil
}

// nameAddrVMAC names av (see planAddrVMACs) and makes or adopts its device unless the engine
// already runs it alike.
func (e *Engine) nameAddrVMAC(p *plan, inst, old *instance, av *addrVMAC, prefix string) error {
	if old != nil {
		for _, o := range old.addrVMACs {
			if _, taken := p.vmacs[o.vmac.Name]; !taken && sameAddrVMAC(o.vmac, av.vmac) {
				av.vmac.Name, av.up = o.vmac.Name, o.up
				if cur, ok := e.vmacs[o.vmac.Name]; ok && sameVMAC(cur, av.vmac) {
					return nil
				}
				av.up = false // EnsureVMAC brings it down
				return e.ensureAddrVMAC(p, inst, av.vmac)
			}
		}
	}
	for i := range maxVMACNames {
		v := av.vmac
		v.Name = netif.VMACNameCandidate(prefix, inst.vrid, v.Family, i)
		_, planned := p.vmacs[v.Name]
		_, running := e.vmacs[v.Name] // another device of the running config, even if it goes
		if planned || running {
			continue
		}
		err := e.ensureAddrVMAC(p, inst, v)
		if errors.Is(err, netif.ErrVMACNameTaken) {
			e.log.Info("the name of a VMAC for addresses is taken; trying the next one", "instance", inst.name, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		av.vmac.Name = v.Name
		return nil
	}
	return fmt.Errorf("no free VMAC name among the first %d tried (%s, …)", maxVMACNames, netif.VMACNameCandidate(prefix, inst.vrid, av.vmac.Family, 0))
}

// ensureAddrVMAC makes or adopts v, down, for the plan.
func (e *Engine) ensureAddrVMAC(p *plan, inst *instance, v netif.VMAC) error {
	warnings, err := e.host.EnsureVMAC(v)
	if err != nil {
		return err
	}
	p.madeVMACs = append(p.madeVMACs, v.Name)
	for _, w := range warnings {
		e.log.Warn(w, "instance", inst.name, "vmac", v.Name)
	}
	return nil
}

// moveVIP puts inst's VIP i on device dev, keeping it no_track if it was.
func (inst *instance) moveVIP(i int, dev string) {
	key := vipKey(inst.vips[i])
	inst.vips[i].Dev = dev
	if inst.noTrackVIPs[key] {
		delete(inst.noTrackVIPs, key)
		inst.noTrackVIPs[vipKey(inst.vips[i])] = true
	}
}

// setAddrVMACsUp brings inst's per-address VMACs up (becoming MASTER, before its VIPs are added)
// or down (after they are removed), as the instance's own VMAC.
func (e *Engine) setAddrVMACsUp(inst *instance, up bool) {
	for _, av := range inst.addrVMACs {
		if av.up == up {
			continue
		}
		if up && av.vmac.Family == 6 {
			// The kernel dropped the device's IPv6 addresses when it went down.
			if _, err := e.host.EnsureVMAC(av.vmac); err != nil {
				e.log.Error("preparing the VMAC failed", "instance", inst.name, "vmac", av.vmac.Name, "err", err)
			}
		}
		if err := e.host.SetVMACUp(av.vmac.Name, up); err != nil {
			e.log.Error("setting the VMAC up or down failed", "instance", inst.name, "vmac", av.vmac.Name, "up", up, "err", err)
			continue
		}
		av.up = up
	}
}

// addrVMACParent is the interface of inst's per-address VMAC dev, or "" when dev is not one.
func (inst *instance) addrVMACParent(dev string) string {
	for _, av := range inst.addrVMACs {
		if av.vmac.Name == dev {
			return av.vmac.Parent
		}
	}
	return ""
}
