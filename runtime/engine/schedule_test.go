package engine

import (
	"testing"
	"time"
)

func TestScheduleOrdersByDeadline(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := &Engine{}
	mk := func(name string, retry time.Duration) *instance {
		inst := &instance{name: name, slot: -1}
		if retry > 0 {
			inst.retryAt = t0.Add(retry)
		}
		return inst
	}
	a, b, c, never := mk("a", 3*time.Second), mk("b", time.Second), mk("c", 2*time.Second), mk("never", 0)
	e.instances = []*instance{a, b, c, never}
	e.resetSchedule()
	if len(e.sched) != 3 || never.slot != -1 {
		t.Fatalf("scheduled %d instances (never.slot %d), want 3 and the one without a deadline left out", len(e.sched), never.slot)
	}
	order := func() string {
		s := ""
		for len(e.sched) > 0 {
			inst := e.sched[0]
			e.expireOne(inst)
			s += inst.name
		}
		return s
	}

	b.retryAt = t0.Add(5 * time.Second) // b's deadline moves last
	e.reschedule(b)
	c.retryAt = time.Time{} // c no longer needs the loop
	e.reschedule(c)
	never.retryAt = t0.Add(4 * time.Second) // never now does
	e.reschedule(never)
	if got := order(); got != "aneverb" {
		t.Fatalf("deadline order %q, want a, never, b (c removed)", got)
	}
	for _, inst := range e.instances {
		if inst.slot != -1 {
			t.Errorf("%s still has slot %d after leaving the heap", inst.name, inst.slot)
		}
	}
}

// expireOne takes inst off the heap as expire does (test helper).
func (e *Engine) expireOne(inst *instance) {
	inst.retryAt = time.Time{}
	e.reschedule(inst)
}
