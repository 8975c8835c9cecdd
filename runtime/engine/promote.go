package engine

import "slices"

// promoteSecondaries turns promote_secondaries on for the interfaces of
// insts that ask for it, as keepalived 2.2.7 does when its instances start,
// and back off on those it turned on that none of insts asks for any more.
// An interface that had it on already is left as it was, at exit too.
func (e *Engine) promoteSecondaries(insts []*instance) {
	var want []string
	for _, inst := range insts {
		if inst.cfg.PromoteSecondaries && !slices.Contains(want, inst.ifname) {
			want = append(want, inst.ifname)
		}
	}
	for _, ifname := range want {
		if e.promoted[ifname] {
			continue
		}
		was, err := e.host.SetPromoteSecondaries(ifname, true)
		if err != nil {
			e.log.Error("setting promote_secondaries failed; removing the interface's primary address will remove the VIPs of its subnet",
				"interface", ifname, "err", err)
			continue
		}
		if !was {
			e.log.Info("promote_secondaries set", "interface", ifname)
			e.promoted[ifname] = true
		}
	}
	for ifname := range e.promoted {
		if !slices.Contains(want, ifname) {
			e.restorePromote(ifname)
		}
	}
}

// restorePromote turns promote_secondaries off again on ifname, which the
// engine turned on.
func (e *Engine) restorePromote(ifname string) {
	if _, err := e.host.SetPromoteSecondaries(ifname, false); err != nil {
		e.log.Error("resetting promote_secondaries failed", "interface", ifname, "err", err)
	}
	delete(e.promoted, ifname)
}

// disableIGMPReports applies disable_local_igmp at start: the kernel sends no
// IGMP reports for link-local groups while havip runs.
func (e *Engine) disableIGMPReports() {
	if !e.disableLocalIGMP {
		return
	}
	was, err := e.host.SetIGMPLinkLocalReports(false)
	if err != nil {
		e.log.Error("disable_local_igmp: turning igmp_link_local_mcast_reports off failed", "err", err)
		return
	}
	if was {
		e.log.Info("disable_local_igmp: igmp_link_local_mcast_reports off while havip runs")
		e.igmpTurnedOff = true
	}
}

// restoreIGMPReports undoes disableIGMPReports at exit.
func (e *Engine) restoreIGMPReports() {
	if !e.igmpTurnedOff {
		return
	}
	if _, err := e.host.SetIGMPLinkLocalReports(true); err != nil {
		e.log.Error("disable_local_igmp: turning igmp_link_local_mcast_reports on again failed", "err", err)
	}
	e.igmpTurnedOff = false
}
