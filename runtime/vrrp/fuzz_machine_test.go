package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzMachine drives one machine with an arbitrary event sequence and checks
// the invariants the driver relies on: transitions chain from the current
// state, VIPs are present exactly while MASTER, a running instance always
// has a deadline in the future and a stopped/faulted one has none.
func FuzzMachine(f *testing.F) {
	f.Add([]byte{0, 0, 2, 3, 150, 0, 2, 3, 50, 1, 5, 5, 6, 7, 4, 200, 2, 1})
	f.Add([]byte{1, 0, 3, 0, 0, 2, 2, 2, 5, 4, 1, 6, 2})
	f.Add([]byte{7, 0, 2, 3, 100, 1, 6, 2, 3, 255, 2, 4, 3, 5, 5, 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) == 0 {
			return
		}
		variant := ops[0]
		cfg := v2Config()
		if variant&1 != 0 {
			cfg.Version = 3
		}
		if variant&2 != 0 {
			cfg.Priority = PriorityOwner
		}
		if variant&4 != 0 {
			cfg.SyncGroup = true
		}
		if variant&8 != 0 {
			cfg.PreemptDelay = 2 * time.Second
		}
		if variant&16 != 0 {
			cfg.NoPreempt = true
		}
		if variant&32 != 0 {
			cfg.Garp.MasterRefresh = 1500 * time.Millisecond
		}
		m, err := New(cfg, ours4)
		if err != nil {
			t.Fatal(err)
		}
		srcs := []netip.Addr{low4, peer4, ours4}
		now := t0
		state := StateInit
		vips := false
		next := func(i *int) byte {
			*i++
			if *i < len(ops) {
				return ops[*i]
			}
			return 0
		}
		check := func(i int, acts []Action) {
			for _, a := range acts {
				switch a := a.(type) {
				case Transition:
					if a.From != state || a.To == a.From {
						t.Fatalf("op %d: transition %v while in %v", i, a, state)
					}
					state = a.To
				case AddVIPs:
					vips = true
				case RemoveVIPs:
					vips = false
				}
			}
			if state != m.State() {
				t.Fatalf("op %d: transitions lead to %v, machine is %v", i, state, m.State())
			}
			if vips != (state == StateMaster) {
				t.Fatalf("op %d: VIPs up=%v in %v", i, vips, state)
			}
			d := m.NextDeadline()
			running := state == StateBackup || state == StateMaster
			if running != !d.IsZero() || running && d.Before(now) {
				t.Fatalf("op %d: state %v deadline %v now %v", i, state, d, now)
			}
			if m.Priority() == 0 || cfg.Priority == PriorityOwner && m.Priority() != PriorityOwner {
				t.Fatalf("op %d: priority %d", i, m.Priority())
			}
		}
		for i := 1; i < len(ops); i++ {
			pause := time.Duration(ops[i]) * 10 * time.Millisecond
			op := ops[i] % 8
			var acts []Action
			switch op {
			case 0:
				acts = m.Start(now)
			case 1:
				acts = m.Stop(now)
			case 2:
				if d := m.NextDeadline(); !d.IsZero() {
					now = d
				}
				acts = m.Expire(now)
			case 3:
				prio, src, iv := next(&i), srcs[int(next(&i))%len(srcs)], next(&i)
				field := uint16(1)
				if cfg.Version == 3 {
					field = uint16(iv)%200 + 1
				}
				acts = m.Receive(now, advertFor(t, cfg, src, prio, withInterval(field)))
			case 4:
				acts = m.SetPriority(now, next(&i), "fuzz")
			case 5:
				acts = m.SetFault(now, next(&i)%2 == 0, "fuzz")
			case 6:
				acts = m.ForceMaster(now, "fuzz")
			case 7:
				acts = m.ForceBackup(now, "fuzz")
			}
			check(i, acts)
			// The driver's loop: due timers fire, then time passes.
			if d := m.NextDeadline(); !d.IsZero() && !d.After(now) {
				check(i, m.Expire(now))
				if d := m.NextDeadline(); !d.IsZero() && !d.After(now) {
					t.Fatalf("op %d: Expire(%v) left deadline %v due", i, now, d)
				}
			}
			now = now.Add(pause)
			if d := m.NextDeadline(); !d.IsZero() && !d.After(now) {
				check(i, m.Expire(now))
			}
		}
	})
}
