package vrrp

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// FuzzMachine drives one machine with an arbitrary event sequence, reloads
// (Reconfigure) among them, and checks the invariants the driver relies on:
// transitions chain from the current state, VIPs are present exactly while
// MASTER, a running instance always has a deadline in the future and a
// stopped/faulted one has none, the owner's priority is 255.
func FuzzMachine(f *testing.F) {
	f.Add([]byte{0, 0, 2, 3, 150, 0, 2, 3, 50, 1, 5, 5, 6, 7, 4, 200, 2, 1})
	f.Add([]byte{1, 0, 3, 0, 0, 2, 2, 2, 5, 4, 1, 6, 2})
	f.Add([]byte{7, 0, 2, 3, 100, 1, 6, 2, 3, 255, 2, 4, 3, 5, 5, 2})
	f.Add([]byte{0, 0, 2, 8, 2, 200, 2, 8, 7, 10, 2, 4, 50, 8, 1, 255, 2, 17, 2})
	f.Add([]byte{4, 0, 2, 8, 0, 120, 8, 1, 90, 2, 6, 2})
	f.Add([]byte{66, 0, 2, 3, 255, 1, 6, 2, 3, 0, 2})
	f.Add([]byte{144, 0, 2, 8, 9, 3, 150, 1, 40, 2})
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
		if variant&64 != 0 {
			cfg.OwnerIgnoreAdverts = true
		}
		if variant&128 != 0 {
			cfg.TimerExpiredBackup = 200
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
			op := ops[i] % 9
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
			case 8:
				next := reconfigured(cfg, next(&i), next(&i))
				var err error
				if acts, err = m.Reconfigure(now, next); err != nil {
					t.Fatalf("op %d: Reconfigure: %v", i, err)
				}
				cfg = next
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

// reconfigured derives a valid reload of cfg from two fuzz bytes: the
// settings a reload changes (priority, owner, interval, VIPs, preempt,
// sync group, GARP refresh, version). Changing the version keeps the
// interval a whole number of seconds so that it stays valid for v2.
func reconfigured(cfg Config, flags, value byte) Config {
	cfg.Addrs = slices.Clone(cfg.Addrs)
	switch flags % 8 {
	case 0:
		cfg.Priority = max(value, 1)
	case 1:
		cfg.AdvertInterval = time.Duration(value%3+1) * time.Second
	case 2:
		cfg.Addrs = cfg.Addrs[:0]
		for i := range value%3 + 1 {
			cfg.Addrs = append(cfg.Addrs, netip.AddrFrom4([4]byte{203, 0, 113, 10 + i}))
		}
	case 3:
		cfg.NoPreempt = value&1 != 0
		cfg.PreemptDelay = time.Duration(value>>1%4) * time.Second
	case 4:
		cfg.SyncGroup = value&1 != 0
	case 5:
		cfg.Garp.MasterRefresh = time.Duration(value%4) * 700 * time.Millisecond
		cfg.Garp.MasterDelay = time.Duration(value>>2%3) * time.Second
	case 6:
		cfg.Version = 2 + value%2
	case 7:
		cfg.DownTimerAdverts = int(value%5) + 1
		cfg.WantMaster = value&8 != 0
	}
	return cfg
}

// FuzzMachineAH drives an auth_type AH machine with arbitrary AH adverts
// (sources, priorities, sequence numbers, a wrong key now and then) among
// timers, faults and stops, and checks AH's rules besides the state
// machine's: an advert is accepted only with the key and a sequence number
// above every one accepted or sent before, and what the machine sends
// carries increasing sequence numbers, unless the counter has cycled.
func FuzzMachineAH(f *testing.F) {
	f.Add([]byte{0, 2, 3, 150, 0, 1, 3, 150, 0, 1, 2, 2, 3, 90, 1, 9})
	f.Add([]byte{0, 2, 2, 3, 200, 1, 40, 5, 0, 5, 1, 3, 100, 2, 250})
	f.Add([]byte{1, 3, 120, 0, 255, 2, 2, 4, 4, 3, 120, 0, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		cfg := ahConfig("s3cret")
		m, err := New(cfg, ours4)
		if err != nil {
			t.Fatal(err)
		}
		srcs := []netip.Addr{low4, peer4}
		now := t0
		var maxSeen uint32 // the highest sequence number accepted or sent
		at := 0
		next := func() byte {
			at++
			if at < len(ops) {
				return ops[at]
			}
			return 0
		}
		sendSeqs := func(acts []Action) {
			for _, a := range acts {
				s, ok := a.(SendAdvert)
				if !ok {
					continue
				}
				d, err := m.AppendAHDatagram(nil, s.Priority, GroupIPv4, TTL)
				if err != nil {
					t.Fatalf("AppendAHDatagram: %v", err)
				}
				rx := new(Received)
				if r := ParseAH(rx, d); r != DropNone {
					t.Fatalf("our own AH advert fails ParseAH: %v", r)
				}
				if !VerifyAH(d, key8("s3cret"), false) {
					t.Fatal("our own AH advert fails VerifyAH")
				}
				if seq := rx.AuthHeader.Seq; seq <= maxSeen && !m.ahCycled {
					t.Fatalf("sent sequence number %d, not above %d", seq, maxSeen)
				} else {
					maxSeen = max(maxSeen, seq)
				}
			}
		}
		for ; at < len(ops); at++ {
			var acts []Action
			switch ops[at] % 6 {
			case 0:
				acts = m.Start(now)
			case 1:
				if d := m.NextDeadline(); !d.IsZero() {
					now = d
				}
				acts = m.Expire(now)
			case 2:
				src, prio := srcs[int(next())%len(srcs)], next()
				seq := uint32(next()) * 3
				pass := "s3cret"
				if prio%7 == 3 {
					pass = "wrong"
				}
				c := cfg
				c.AuthPass = pass
				rx := ahAdvert(t, c, src, prio, seq, nil)
				before := m.counters.Accepted
				acts = m.Receive(now, rx)
				accepted := m.counters.Accepted > before
				if accepted && (pass != "s3cret" || seq <= maxSeen) {
					t.Fatalf("accepted AH advert seq %d pass %q (highest seen %d)", seq, pass, maxSeen)
				}
				if accepted {
					maxSeen = seq
				}
			case 3:
				acts = m.SetFault(now, next()%2 == 0, "fuzz")
			case 4:
				acts = m.Stop(now)
			case 5:
				now = now.Add(time.Duration(next()) * 20 * time.Millisecond)
				if d := m.NextDeadline(); !d.IsZero() && !d.After(now) {
					acts = m.Expire(now)
				}
			}
			sendSeqs(acts)
		}
	})
}
