package engine

import (
	"container/heap"
	"time"
)

// schedule is a min-heap of instances ordered by when each next needs the
// event loop (its machine's earliest timer, or the time to retry building a
// machine). The loop arms its timer from the top in O(1) and an event
// reorders one instance in O(log n): with 250 instances at 100 ms, asking
// every machine for its deadline after every received advert was a third of
// a backup's CPU.
type schedule []*instance

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].when.Before(s[j].when) }

func (s schedule) Swap(i, j int) {
	s[i], s[j] = s[j], s[i]
	s[i].slot, s[j].slot = i, j
}

func (s *schedule) Push(x any) {
	inst := x.(*instance)
	inst.slot = len(*s)
	*s = append(*s, inst)
}

func (s *schedule) Pop() any {
	old := *s
	inst := old[len(old)-1]
	old[len(old)-1] = nil
	inst.slot = -1
	*s = old[:len(old)-1]
	return inst
}

// nextDeadline is when inst next needs the loop; zero means never.
func (inst *instance) nextDeadline() time.Time {
	if inst.m == nil {
		return inst.retryAt
	}
	return earliest(inst.m.NextDeadline(), inst.sourceCheckAt, inst.announceAt)
}

// earliest is the earliest of times that are not zero; zero if all are.
func earliest(times ...time.Time) time.Time {
	var first time.Time
	for _, t := range times {
		if !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first
}

// reschedule moves inst to its place after an event changed its timers.
func (e *Engine) reschedule(inst *instance) {
	when := inst.nextDeadline()
	switch {
	case when.IsZero():
		if inst.slot >= 0 {
			heap.Remove(&e.sched, inst.slot)
		}
	case inst.slot >= 0:
		inst.when = when
		heap.Fix(&e.sched, inst.slot)
	default:
		inst.when = when
		heap.Push(&e.sched, inst)
	}
}

// resetSchedule rebuilds the heap from the running instances, after a
// reconfiguration replaced some of them.
func (e *Engine) resetSchedule() {
	for _, inst := range e.sched {
		inst.slot = -1
	}
	e.sched = e.sched[:0]
	for _, inst := range e.instances {
		inst.slot = -1
		e.reschedule(inst)
	}
}

// arm sets the loop timer to the earliest deadline of any instance or held
// link change.
func (e *Engine) arm() {
	next := e.nextLinkChange()
	if len(e.sched) > 0 {
		next = earliest(next, e.sched[0].when)
	}
	wait := time.Hour
	if !next.IsZero() {
		wait = max(next.Sub(e.clock.Now()), 0)
	}
	e.timer.Reset(wait)
}

// due reports whether a deadline is set and has come at now.
func due(deadline, now time.Time) bool { return !deadline.IsZero() && !now.Before(deadline) }

// expire fires every timer due at now, the held link changes first.
func (e *Engine) expire(now time.Time) {
	e.settleLinks(now)
	var ready []*instance
	for len(e.sched) > 0 && !now.Before(e.sched[0].when) {
		ready = append(ready, heap.Pop(&e.sched).(*instance))
	}
	for _, inst := range ready {
		if inst.m == nil {
			e.start(inst, now)
			continue
		}
		if due(inst.sourceCheckAt, now) {
			e.checkSource(inst, now)
		}
		if due(inst.announceAt, now) {
			e.sendPending(inst, now)
		}
		e.apply(inst, inst.m.Expire(now))
	}
}
