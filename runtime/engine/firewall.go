package engine

import (
	"net/netip"
	"slices"

	"github.com/havip/havip/runtime/firewall"
	"github.com/havip/havip/runtime/vrrp"
)

// firewallHook is the engine's use of havip's nftables table: while an instance
// that does not accept traffic for its VIPs (no_accept, implied by
// vrrp_strict) holds them, they are dropped in havip's nftables table;
// while Run runs, VRRP is accepted in the host chains AcceptVRRPIn names.
// The engine calls it where VIPs are added and removed and where Run
// starts and ends; nothing else depends on it.
type firewallHook struct {
	fw      Firewall                   // nil until needed
	dropped map[*instance][]netip.Addr // what each instance dropped, to allow exactly that
	accept  []firewall.Chain           // host chains to accept VRRP in
	// acceptAH is whether the accept rules also let IPsec-AH in: some
	// instance uses auth_type AH.
	acceptAH bool
}

// AcceptVRRPIn makes Run insert a rule accepting VRRP at the head of each
// of chains of the host's firewall, and remove it when Run ends: what
// OpenShift's ipfailover does for OPENSHIFT_HA_IPTABLES_CHAIN. Call it
// before Run.
func (e *Engine) AcceptVRRPIn(chains ...firewall.Chain) {
	e.firewall.accept = append(e.firewall.accept, chains...)
}

// startFirewall runs at Run start: a table an earlier run left (after a
// crash) is replaced by a fresh one when an instance or a VRRP accept
// rule needs it, else removed.
func (e *Engine) startFirewall() {
	needed := len(e.firewall.accept) > 0 || slices.ContainsFunc(e.instances, func(in *instance) bool { return !in.cfg.Accept })
	if !needed {
		if err := e.host.RemoveStaleFirewall(); err != nil {
			e.log.Error("removing a stale nftables table failed", "err", err)
		}
		return
	}
	if !e.openFirewall() {
		return
	}
	e.acceptVRRP()
}

// acceptVRRP (re)inserts the accept rules of the host chains, letting
// IPsec-AH in too while an instance uses auth_type AH.
func (e *Engine) acceptVRRP() {
	e.firewall.acceptAH = slices.ContainsFunc(e.instances, func(in *instance) bool { return in.vcfg.AuthType == vrrp.AuthAH })
	for _, c := range e.firewall.accept {
		if err := e.firewall.fw.AcceptVRRP(c, e.firewall.acceptAH); err != nil {
			e.log.Error("accepting VRRP in the host's firewall failed", "chain", c.String(), "err", err)
		}
	}
}

// reacceptVRRP runs after a reload: the accept rules follow whether an
// instance now uses AH.
func (e *Engine) reacceptVRRP() {
	if e.firewall.fw == nil || len(e.firewall.accept) == 0 {
		return
	}
	if ah := slices.ContainsFunc(e.instances, func(in *instance) bool { return in.vcfg.AuthType == vrrp.AuthAH }); ah != e.firewall.acceptAH {
		e.acceptVRRP()
	}
}

// openFirewall opens havip's table unless it is open, and reports whether
// it is.
func (e *Engine) openFirewall() bool {
	if e.firewall.fw != nil {
		return true
	}
	fw, err := e.host.OpenFirewall()
	if err != nil {
		e.log.Error("creating havip's nftables table failed; the VIPs of no_accept instances accept traffic", "err", err)
		return false
	}
	e.firewall.fw, e.firewall.dropped = fw, map[*instance][]netip.Addr{}
	return true
}

// dropVIPs drops traffic to and from inst's VIPs if inst does not accept
// it.
func (e *Engine) dropVIPs(inst *instance) {
	if inst.cfg.Accept || len(inst.vips) == 0 || e.firewall.dropped[inst] != nil || !e.openFirewall() {
		return
	}
	addrs := make([]netip.Addr, 0, len(inst.vips))
	for _, v := range inst.vips {
		addrs = append(addrs, v.Prefix.Addr())
	}
	if err := e.firewall.fw.Drop(addrs...); err != nil {
		e.log.Error("dropping traffic to no_accept VIPs failed", "instance", inst.name, "err", err)
		return
	}
	e.firewall.dropped[inst] = addrs
}

// allowVIPs undoes dropVIPs.
func (e *Engine) allowVIPs(inst *instance) {
	addrs := e.firewall.dropped[inst]
	if addrs == nil {
		return
	}
	delete(e.firewall.dropped, inst)
	if err := e.firewall.fw.Allow(addrs...); err != nil {
		e.log.Error("allowing traffic to VIPs failed", "instance", inst.name, "err", err)
	}
}

// closeFirewall removes havip's table and VRRP accept rules at the end of
// Run.
func (e *Engine) closeFirewall() {
	if e.firewall.fw == nil {
		return
	}
	if err := e.firewall.fw.Close(); err != nil {
		e.log.Error("removing havip's nftables table failed", "err", err)
	}
	e.firewall.fw, e.firewall.dropped = nil, nil
}
