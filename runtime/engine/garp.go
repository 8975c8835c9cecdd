package engine

import (
	"log/slog"
	"slices"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/vrrp"
)

// pacing is vrrp_garp_interval and vrrp_gna_interval, or an interface's
// garp_group, carried out as keepalived 2.2.7 does: on each interface (a
// VMAC's parent for its VIPs), after a gratuitous ARP the next one waits
// garp_interval, after an
// unsolicited NA the next NA gna_interval, whichever instance sends it. An
// announcement that must wait is queued on its instance, once per address
// however many repeats asked for it, and sent when its interface's time
// comes while the instance is still MASTER.
type pacing struct {
	arp, na time.Duration               // global_defs'
	groups  map[string]config.GARPGroup // an interface's garp_group, instead
	next    map[paceKey]time.Time       // when an interface may send its next ARP / NA
}

// set takes the pacing of cfg; when each interface may send next stands.
func (p *pacing) set(cfg *config.Config) {
	p.arp, p.na = cfg.Global.GARP.Interval, cfg.Global.GARP.NAInterval
	p.groups = map[string]config.GARPGroup{}
	for _, g := range cfg.GARPGroups {
		for _, ifname := range g.Interfaces {
			p.groups[ifname] = g
		}
	}
}

// paceKey is one interface and family.
type paceKey struct {
	dev string
	v4  bool
}

// interval is the pacing of k's interface and family, ARP or NA: its
// garp_group's, else global_defs'; zero for none.
func (p *pacing) interval(k paceKey) time.Duration {
	arp, na := p.arp, p.na
	if g, ok := p.groups[k.dev]; ok {
		arp, na = g.Interval, g.NAInterval
	}
	if k.v4 {
		return arp
	}
	return na
}

// baseDev is the interface v is announced from for pacing: a VMAC's parent,
// as keepalived paces the physical interface.
func (inst *instance) baseDev(v netif.VIP) string {
	if inst.vmac != nil && v.Dev == inst.vmac.Name {
		return inst.vmac.Parent
	}
	if parent := inst.addrVMACParent(v.Dev); parent != "" {
		return parent
	}
	return v.Dev
}

// announceVIPs sends repeat gratuitous ARPs (IPv4) or unsolicited NAs (IPv6)
// for every one of vips (inst's) on the VIP's interface: at once without
// pacing, else queued behind the interface's interval.
func (e *Engine) announceVIPs(inst *instance, vips []netif.VIP, repeat int) {
	now := e.clock.Now()
	queued := false
	for range repeat {
		for _, v := range vips {
			key := paceKey{dev: inst.baseDev(v), v4: v.Prefix.Addr().Is4()}
			if next := e.pacing.next[key]; e.pacing.interval(key) > 0 && now.Before(next) {
				if !slices.Contains(inst.pending, v) {
					inst.pending = append(inst.pending, v)
				}
				inst.announceAt = earliest(inst.announceAt, next)
				queued = true
				continue
			}
			e.announce1(inst, v, key, now)
		}
	}
	if inst.extraAt.IsZero() && inst.cfg.GARP.ExtraIf > 0 && inst.m != nil && inst.m.State() == vrrp.StateMaster {
		// The MASTER's first announcement starts garp_extra_if's period.
		inst.extraAt = now.Add(inst.cfg.GARP.ExtraIf)
		inst.announceAt = earliest(inst.announceAt, inst.extraAt)
		queued = true
	}
	if queued {
		e.reschedule(inst)
	}
}

// announce1 sends one announcement of v now and starts its interface's
// interval.
func (e *Engine) announce1(inst *instance, v netif.VIP, key paceKey, now time.Time) {
	if d := e.pacing.interval(key); d > 0 {
		e.pacing.next[key] = now.Add(d)
	}
	a := e.announce[v.Dev]
	addr := v.Prefix.Addr()
	var err error
	if addr.Is4() {
		err = a.GratuitousARP(addr)
	} else {
		err = a.UnsolicitedNA(addr)
	}
	if err != nil {
		e.limiter.log(e.log, slog.LevelWarn, "announce:"+v.Dev, "announcing a VIP failed",
			"instance", inst.name, "vip", addr.String(), "err", err)
	}
}

// sendPending sends inst's queued announcements whose interface's time has
// come, in the order of its VIPs; a MASTER no more drops them, as keepalived
// does.
func (e *Engine) sendPending(inst *instance, now time.Time) {
	inst.announceAt = time.Time{}
	if inst.m == nil || inst.m.State() != vrrp.StateMaster {
		inst.pending, inst.extraAt = nil, time.Time{}
		return
	}
	var kept []netif.VIP
	for _, v := range inst.vips { // in the config's order, as keepalived walks them
		if !slices.Contains(inst.pending, v) {
			continue
		}
		key := paceKey{dev: inst.baseDev(v), v4: v.Prefix.Addr().Is4()}
		if next := e.pacing.next[key]; e.pacing.interval(key) > 0 && now.Before(next) {
			kept = append(kept, v)
			inst.announceAt = earliest(inst.announceAt, next)
			continue
		}
		e.announce1(inst, v, key, now)
	}
	inst.pending = kept
	e.sendExtraIf(inst, now)
}

// dropPending forgets inst's queued announcements (it leaves MASTER).
func (inst *instance) dropPending() {
	inst.pending, inst.announceAt, inst.extraAt = nil, time.Time{}, time.Time{}
}

// sendExtraIf runs garp_extra_if when its time has come: one gratuitous ARP
// or unsolicited NA for each of extraIfVIPs, paced like any announcement,
// and the next one a period later. A MASTER that lost the time (a reload
// replaced its instance) starts a period now.
func (e *Engine) sendExtraIf(inst *instance, now time.Time) {
	period := inst.cfg.GARP.ExtraIf
	if period <= 0 {
		inst.extraAt = time.Time{}
		return
	}
	if due(inst.extraAt, now) {
		e.announceVIPs(inst, e.extraIfVIPs(inst), 1)
	}
	if inst.extraAt.IsZero() || due(inst.extraAt, now) {
		inst.extraAt = now.Add(period)
	}
	inst.announceAt = earliest(inst.announceAt, inst.extraAt)
}

// extraIfVIPs are the addresses garp_extra_if announces, as keepalived
// 2.2.7's vrrp_send_vmac_update picks them: of the VIPs then the excluded
// ones, the first on each interface, leaving out interfaces that are not a
// VMAC (of any instance, its own or one for addresses) unless "all" is given, and the instance's own
// interface (its VMAC with use_vmac) unless its adverts leave from the base
// interface (vmac_xmit_base, unicast). It sends nothing unless a VIP is on
// another instance's VMAC, or "all" is given and a VIP is on another
// interface.
func (e *Engine) extraIfVIPs(inst *instance) []netif.VIP {
	own := inst.ifname
	if inst.vmac != nil {
		own = inst.vmac.Name
	}
	ours := func(dev string) bool {
		return slices.ContainsFunc(e.instances, func(o *instance) bool {
			return (o.vmac != nil && o.vmac.Name == dev) || o.addrVMACParent(dev) != ""
		})
	}
	all := inst.cfg.GARP.ExtraIfAll
	var extraVMAC, extraIf bool
	for _, v := range inst.vips {
		switch {
		case v.Dev == own:
		case ours(v.Dev):
			extraVMAC = true
		default:
			extraIf = true
		}
	}
	if !extraVMAC && !(extraIf && all) {
		return nil
	}
	var out []netif.VIP
	var done []string
	for _, v := range inst.vips {
		if (!ours(v.Dev) && !all) || (v.Dev == own && !inst.xmitBase) || slices.Contains(done, v.Dev) {
			continue
		}
		done = append(done, v.Dev)
		out = append(out, v)
	}
	return out
}
