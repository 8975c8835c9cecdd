package vrrp

import (
	"slices"
	"time"
)

// ReasonReconfigured is the reason of a PriorityChange that Reconfigure
// returns.
const ReasonReconfigured = "reconfigured"

// Reconfigure replaces the machine's configuration while it runs, keeping
// its state: a reload never re-runs an election. The new configuration is
// validated for the machine's source address first; on error the machine is
// unchanged.
//
// The effective priority keeps its distance from the base priority (the
// trackers' weights, which the caller re-applies with SetPriority if they
// changed too), except that becoming the address owner sets it to 255 and
// ceasing to be the owner sets it to the new base; a change is reported as a
// PriorityChange. Then, by state:
//
//   - BACKUP: the running Master_Down_Timer moves by the change of
//     Master_Down_Interval (priority, interval, down_timer_adverts), never
//     before now; a changed preempt_delay restarts from now; an instance that
//     became the address owner takes mastership at once, and one that left
//     its sync group while waiting for it does too.
//   - MASTER: when the advert changes (priority, interval, version,
//     addresses, authentication, checksum form, destinations) one advert is
//     sent at once and the advert timer restarts from now; the GARP refresh
//     restarts when its settings changed, and pending bursts that the new
//     settings switch off are cancelled. Adding and removing the VIPs that
//     changed is the caller's (the machine only knows their addresses).
//   - INIT, FAULT, STOP: the configuration is recorded; Start, leaving FAULT
//     or nothing use it.
func (m *Machine) Reconfigure(now time.Time, cfg Config) ([]Action, error) {
	cfg, field, err := normalise(cfg, m.primary)
	if err != nil {
		return nil, err
	}
	old := m.cfg
	oldAuth := m.auth
	oldDown := m.MasterDownInterval()
	oldBase, oldPriority := m.basePriority, m.priority

	m.cfg = cfg
	m.advertInt, m.advertField = cfg.AdvertInterval, field
	m.setAuth()
	m.basePriority = cfg.Priority
	switch {
	case cfg.Priority == PriorityOwner:
		m.priority = PriorityOwner
	case oldBase == PriorityOwner:
		m.priority = cfg.Priority
	default:
		p := int(oldPriority) - int(oldBase) + int(cfg.Priority)
		m.priority = uint8(min(max(p, 1), int(PriorityOwner)-1))
	}
	var acts []Action
	if m.priority != oldPriority {
		acts = append(acts, PriorityChange{oldPriority, m.priority, ReasonReconfigured})
	}

	switch m.state {
	case StateBackup:
		if cfg.Version == 2 || !m.masterAddr.IsValid() {
			m.masterAdverInt = m.advertInt
		}
		if cfg.PreemptDelay != old.PreemptDelay {
			m.preemptBlocked = time.Time{}
			if cfg.PreemptDelay > 0 {
				m.preemptBlocked = now.Add(cfg.PreemptDelay)
			}
		}
		switch {
		case m.basePriority == PriorityOwner && oldBase != PriorityOwner:
			return append(acts, m.tryMaster(now, reasonOwner)...), nil
		case m.wantsMaster && !cfg.SyncGroup:
			return append(acts, m.becomeMaster(now, StateBackup, m.downReason)...), nil
		}
		m.downTimer = m.downTimer.Add(m.MasterDownInterval() - oldDown)
		if m.downTimer.Before(now) {
			m.downTimer = now // already overdue: fire at the next Expire
		}
	case StateMaster:
		m.masterAdverInt = m.advertInt
		m.masterAddr, m.masterPriority = m.primary, m.priority
		if m.priority != oldPriority || m.auth != oldAuth || advertChanged(old, cfg) {
			m.adverTimer = now.Add(m.advertInt)
			acts = append(acts, SendAdvert{m.priority})
		}
		g, og := cfg.Garp, old.Garp
		if g.MasterRefresh != og.MasterRefresh || g.RefreshRepeat != og.RefreshRepeat {
			m.garpRefresh = time.Time{}
			if g.MasterRefresh > 0 && g.RefreshRepeat > 0 {
				m.garpRefresh = now.Add(g.MasterRefresh)
			}
		}
		if g.MasterRepeat == 0 || g.MasterDelay == 0 {
			m.garpSecond = time.Time{}
		}
		if g.LowerPrioRepeat == 0 || g.LowerPrioDelay == 0 {
			m.garpLowerPrio = time.Time{}
		}
	}
	return acts, nil
}

// advertChanged reports whether adverts built from b differ from those of a
// other than by priority and authentication data: interval, version,
// addresses, checksum form or destinations.
func advertChanged(a, b Config) bool {
	return a.AdvertInterval != b.AdvertInterval || a.Version != b.Version || a.AuthType != b.AuthType ||
		a.Checksum != b.Checksum || !slices.Equal(a.Addrs, b.Addrs) ||
		!slices.EqualFunc(a.Peers, b.Peers, func(p, q Peer) bool { return p.Addr == q.Addr })
}
