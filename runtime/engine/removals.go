package engine

import (
	"context"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/vrrp"
)

// What havip installs can be removed behind its back (an operator's "ip addr flush", another
// daemon's "ip route del"). As keepalived 2.2.7 does on the netlink events of such removals, a
// MASTER that loses one of its VIPs, virtual routes or virtual rules resigns — a priority-0
// advert, BACKUP with Master_Down_Timer at Skew_Time — so the election runs again at once and its
// winner installs everything afresh; a static address, route or rule is installed again. What
// was configured no_track is left alone. Each removal is logged, counted, and shown in the
// snapshot.

// watchRemovals starts the watches of removed addresses and of removed routes and rules, each
// resubscribing after a failure. Their events run on the event loop.
func (e *Engine) watchRemovals() {
	keep := func(what string, watch func(ctx context.Context) error) {
		e.spawn(func() {
			for e.bg.Err() == nil {
				err := watch(e.bg)
				if err == nil {
					return
				}
				e.log.Error("watching "+what+" failed; retrying", "err", err)
				select {
				case <-time.After(retryInterval):
				case <-e.bg.Done():
				}
			}
		})
	}
	keep("address removals", func(ctx context.Context) error {
		return e.host.WatchAddrRemovals(ctx, func(ev netif.AddrRemoved) { e.onLoopEvent(func() { e.addrRemoved(ev) }) })
	})
	keep("route and rule removals", func(ctx context.Context) error {
		return e.host.WatchRoutingRemovals(ctx, unix.RTPROT_KEEPALIVED, func(ev netif.RoutingRemoved) {
			e.onLoopEvent(func() { e.routingRemoved(ev) })
		})
	})
}

// onLoopEvent hands f to the event loop, unless the engine is stopping.
func (e *Engine) onLoopEvent(f func()) {
	select {
	case e.calls <- f:
	case <-e.bg.Done():
	}
}

// addrRemoved handles an address removed from an interface: an instance whose track_src_ip
// address it is goes to FAULT (sourceRemoved); when it is a tracked VIP of a MASTER and still
// missing, the master resigns; when it is a tracked static address, it is added again. It runs
// on the event loop.
func (e *Engine) addrRemoved(ev netif.AddrRemoved) {
	e.sourceRemoved(ev)
	removed := func(v netif.VIP) bool {
		if v.Prefix.Addr() != ev.Addr || ev.Dev != "" && v.Dev != ev.Dev {
			return false
		}
		if up, err := e.host.LinkUp(v.Dev); err != nil || !up {
			return false // the interface went down or away, which removes IPv6 addresses: the link watcher handles that
		}
		present, err := e.host.HasVIP(v)
		return err == nil && !present // else re-added already, or unknown
	}
	for _, inst := range e.instances {
		if inst.m == nil || inst.m.State() != vrrp.StateMaster {
			continue
		}
		for _, v := range inst.vips {
			if inst.noTrackVIPs[vipKey(v)] || !removed(v) {
				continue
			}
			inst.obs.vipRemovals++
			e.log.Warn("a VIP was removed behind havip's back; the master resigns and the election restores it",
				"instance", inst.name, "vip", v.Prefix.String(), "interface", v.Dev)
			e.apply(inst, inst.m.Resign(e.clock.Now(), vrrp.CauseVIPRemoved, "virtual address removed: "+v.Prefix.String()+" on "+v.Dev))
			break
		}
	}
	for _, v := range e.static.addrs {
		if e.static.noTrackAddrs[vipKey(v)] || !removed(v) {
			continue
		}
		e.restoreStatic("address", v.String(), e.host.AddVIP(v))
	}
}

// routingRemoved handles a route or rule of keepalived's protocol removed by someone else: a
// MASTER that misses one of its tracked virtual routes or rules resigns, and a missing tracked
// static route or rule is installed again. It runs on the event loop.
func (e *Engine) routingRemoved(ev netif.RoutingRemoved) {
	for _, inst := range e.instances {
		if inst.m == nil || inst.m.State() != vrrp.StateMaster {
			continue
		}
		if what, ok := e.missingRouting(inst.routing, ev); ok {
			inst.obs.routingRemovals++
			e.log.Warn("a virtual "+ev.Kind()+" was removed behind havip's back; the master resigns and the election restores it",
				"instance", inst.name, ev.Kind(), what)
			e.apply(inst, inst.m.Resign(e.clock.Now(), vrrp.CauseRoutingRemoved, "virtual "+ev.Kind()+" removed: "+what))
		}
	}
	if ev.Rule {
		for _, r := range e.static.rules {
			if e.tracksRemoved(r.noTrack, ev, ruleFamily(r.Rule), r.To, func() (bool, error) { return e.host.HasRule(r.Rule) }) {
				e.restoreStatic("rule", r.String(), e.host.AddRule(r.Rule))
			}
		}
		return
	}
	for _, r := range e.static.routes {
		if e.tracksRemoved(r.noTrack, ev, ipVersion(r.Dst.Addr()), r.Dst, func() (bool, error) { return e.host.HasRoute(r.Route) }) {
			e.restoreStatic("route", r.String(), e.host.AddRoute(r.Route))
		}
	}
}

// missingRouting returns the first of r's tracked rules or routes that ev may be and that is no
// longer installed.
func (e *Engine) missingRouting(r routing, ev netif.RoutingRemoved) (string, bool) {
	if ev.Rule {
		for _, rule := range r.rules {
			if e.tracksRemoved(rule.noTrack, ev, ruleFamily(rule.Rule), rule.To, func() (bool, error) { return e.host.HasRule(rule.Rule) }) {
				return rule.String(), true
			}
		}
		return "", false
	}
	for _, route := range r.routes {
		if e.tracksRemoved(route.noTrack, ev, ipVersion(route.Dst.Addr()), route.Dst, func() (bool, error) { return e.host.HasRoute(route.Route) }) {
			return route.String(), true
		}
	}
	return "", false
}

// tracksRemoved reports whether a tracked rule or route of the given family (4 or 6) and
// destination ("to" selector for a rule) matches ev and is no longer installed, as has reports;
// a failed lookup counts as installed.
func (e *Engine) tracksRemoved(noTrack bool, ev netif.RoutingRemoved, family int, dst netip.Prefix, has func() (bool, error)) bool {
	if noTrack || family != ev.Family || !sameDestination(dst, ev.Dst) {
		return false
	}
	installed, err := has()
	if err != nil {
		e.log.Warn("looking up a "+ev.Kind()+" after a removal failed", "err", err)
		return false
	}
	return !installed
}

// restoreStatic logs and counts a static address, route or rule removed behind havip's back and
// added again (err is how adding it went).
func (e *Engine) restoreStatic(kind, what string, err error) {
	if err != nil {
		e.log.Error("a static "+kind+" was removed behind havip's back; restoring it failed", kind, what, "err", err)
		return
	}
	countIn(&e.staticRestored, kind)
	e.log.Warn("a static "+kind+" was removed behind havip's back; havip restored it", kind, what)
}

// sameDestination reports whether a configured destination (a rule's "to", zero when absent) is
// the one the kernel reported (zero for a rule without one, /0 for a default route).
func sameDestination(configured, reported netip.Prefix) bool {
	if !configured.IsValid() || configured.Bits() == 0 {
		return !reported.IsValid() || reported.Bits() == 0
	}
	return configured.Masked() == reported
}

// ipVersion is 4 or 6, the family of a.
func ipVersion(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 4
	}
	return 6
}

// ruleFamily is the rule's address family, 4 or 6; planRouting has checked the rule.
func ruleFamily(r netif.Rule) int {
	family, _ := r.AddressFamily()
	return family
}
