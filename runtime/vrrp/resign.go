package vrrp

import (
	"net/netip"
	"time"
)

// Resign makes a MASTER give up mastership because one of its virtual
// addresses (cause CauseVIPRemoved), virtual routes or virtual rules
// (CauseRoutingRemoved) was removed behind its back, as keepalived 2.2.7 does
// on the netlink event of such a removal: it sends a priority-0 advert,
// removes its VIPs and enters BACKUP with Master_Down_Timer set to Skew_Time,
// so that the election runs again at once and its winner — this machine when
// no peer has a higher priority — installs everything afresh. detail (what
// was removed, where) is the reason's detail. Other states are left alone.
func (m *Machine) Resign(now time.Time, cause Cause, detail string) []Action {
	if m.state != StateMaster {
		return nil
	}
	m.cancelTimers()
	m.state = StateBackup
	m.wantsMaster = false
	m.masterAdverInt = m.advertInt
	m.masterAddr, m.masterPriority = netip.Addr{}, 0
	m.downTimer = now.Add(m.SkewTime())
	m.downReason = reasonMasterDown
	return []Action{SendAdvert{PriorityStop}, RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{cause, detail}}}
}
