package engine

import (
	"slices"

	"github.com/havip/havip/runtime/notify"
)

// fifoStates are the states of the running instances and sync groups, by
// FIFO target.
func (e *Engine) fifoStates() map[string]notify.State {
	m := map[string]notify.State{}
	for _, inst := range e.instances {
		if inst.m != nil {
			if st, ok := notifyState(inst.m.State()); ok {
				m[notify.Instance.String()+" "+inst.name] = st
			}
		}
		if g := inst.group; g != nil {
			m[notify.Group.String()+" "+g.name] = g.state()
		}
	}
	return m
}

// writeKeptStates writes a FIFO line, as keepalived 2.2.7's vrrp_init_state
// does at a reload, for each sync group then each instance that was there
// before with the same state: every such group, and the instances in BACKUP
// or FAULT (a MASTER is taken back as MASTER without a line). A state the
// reload changed was notified as a transition.
func (e *Engine) writeKeptStates(before map[string]notify.State) {
	after := e.fifoStates()
	kept := func(key string) (notify.State, bool) {
		st, ok := before[key]
		return st, ok && after[key] == st
	}
	var done []*syncGroup
	for _, inst := range e.instances {
		g := inst.group
		if g == nil || slices.Contains(done, g) {
			continue
		}
		done = append(done, g)
		if st, ok := kept(notify.Group.String() + " " + g.name); ok {
			e.notifier.WriteFIFO(notify.Event{Kind: notify.Group, Name: g.name, State: st})
		}
	}
	for _, inst := range e.instances {
		if st, ok := kept(notify.Instance.String() + " " + inst.name); ok && st != notify.Master {
			e.notifier.WriteFIFO(notify.Event{Kind: notify.Instance, Name: inst.name, State: st, Priority: int(inst.m.Priority())})
		}
	}
}
