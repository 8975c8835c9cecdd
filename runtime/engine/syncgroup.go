package engine

import (
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/vrrp"
)

// syncGroup coordinates the members of a vrrp_sync_group, as keepalived's
// vrrp_sync.c: a member only goes MASTER when every member wants to, a member
// going BACKUP takes the others with it, and one member in FAULT puts the
// whole group in FAULT.
type syncGroup struct {
	name     string
	members  []*instance
	notified notify.State // the group state last reported to notify
}

// state is the group's state for notify: FAULT if any member is, MASTER when
// all are, STOP when all stopped, BACKUP otherwise.
func (g *syncGroup) state() notify.State {
	all := func(s vrrp.State) bool {
		for _, m := range g.members {
			if m.m == nil || m.m.State() != s {
				return false
			}
		}
		return true
	}
	for _, m := range g.members {
		if m.m != nil && m.m.State() == vrrp.StateFault {
			return notify.Fault
		}
	}
	switch {
	case all(vrrp.StateMaster):
		return notify.Master
	case all(vrrp.StateStopped):
		return notify.Stop
	}
	return notify.Backup
}

// linkSyncGroups links every instance named in a sync group to its group
// and returns the groups; a group named in notified (a reload) keeps the
// state it last reported.
func linkSyncGroups(cfgs []*config.SyncGroup, insts []*instance, notified map[string]notify.State) []*syncGroup {
	byName := map[string]*instance{}
	for _, inst := range insts {
		byName[inst.name] = inst
	}
	groups := make([]*syncGroup, 0, len(cfgs))
	for _, gc := range cfgs {
		g := &syncGroup{name: gc.Name, notified: notified[gc.Name]}
		for _, name := range gc.Members {
			if inst := byName[name]; inst != nil {
				inst.group = g
				g.members = append(g.members, inst)
			}
		}
		groups = append(groups, g)
	}
	return groups
}

// groupFaultReason is the FAULT reason a member gets from another member.
func (g *syncGroup) faultReason() string { return "sync group " + g.name + " has a member in FAULT" }

// groupRequest answers a member's RequestMaster: once every member wants
// MASTER, all of them go MASTER together.
func (e *Engine) groupRequest(g *syncGroup) {
	for _, m := range g.members {
		if m.m == nil || !m.m.WantsMaster() {
			return
		}
	}
	now := e.clock.Now()
	for _, m := range g.members {
		if m.m.State() != vrrp.StateMaster {
			e.apply(m, m.m.ForceMaster(now, "sync group "+g.name+": every member wants MASTER"))
		}
	}
}

// groupTransition follows a member's state change: leaving MASTER for BACKUP
// takes the other masters of the group to BACKUP.
func (e *Engine) groupTransition(inst *instance, tr vrrp.Transition) {
	if tr.From != vrrp.StateMaster || tr.To != vrrp.StateBackup {
		return
	}
	now := e.clock.Now()
	for _, m := range inst.group.members {
		if m != inst && m.m != nil && m.m.State() == vrrp.StateMaster {
			e.apply(m, m.m.ForceBackup(now, "sync group "+inst.group.name+": member "+inst.name+" went BACKUP"))
		}
	}
}

// groupFault puts every member of g in FAULT while any member has a FAULT
// reason of its own, and takes them out together.
func (e *Engine) groupFault(g *syncGroup, now time.Time) {
	reason := g.faultReason()
	anyOwn := false
	for _, m := range g.members {
		for key := range m.faults {
			if key != reason {
				anyOwn = true
			}
		}
	}
	for _, m := range g.members {
		if m.setFault(reason, reason, anyOwn) && m.m != nil {
			e.apply(m, m.m.SetFault(now, m.faulted(), reason))
		}
	}
}

// groupSettle is run after a reload changed g's members: masters whose
// group now has a member that is not MASTER (a new member, one that was
// BACKUP outside the group) go BACKUP, and the group elects together.
func (e *Engine) groupSettle(g *syncGroup, now time.Time) {
	all := true
	for _, m := range g.members {
		all = all && m.m != nil && m.m.State() == vrrp.StateMaster
	}
	if all {
		return
	}
	for _, m := range g.members {
		if m.m != nil && m.m.State() == vrrp.StateMaster {
			e.apply(m, m.m.ForceBackup(now, "sync group "+g.name+": not every member is MASTER"))
		}
	}
}
