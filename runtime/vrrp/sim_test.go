package vrrp

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// segment wires machines back to back through the codec on a fake clock:
// every SendAdvert is encoded with AppendAdvert, parsed with Parse and
// delivered to every other live machine at the same instant.
type segment struct {
	t     *testing.T
	now   time.Time
	nodes []*node
}

type node struct {
	name   string
	m      *Machine
	alive  bool // false: cut off the segment (silent failure)
	vipsUp bool
	log    []string // "at state" entries, at relative to t0
	sent   int
}

func (s *segment) add(name string, cfg Config, primary netip.Addr) *node {
	s.t.Helper()
	m, err := New(cfg, primary)
	if err != nil {
		s.t.Fatal(err)
	}
	n := &node{name: name, m: m, alive: true}
	s.nodes = append(s.nodes, n)
	return n
}

func (s *segment) apply(n *node, acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case SendAdvert:
			n.sent++
			for _, dst := range n.m.Destinations() {
				b, err := n.m.AppendAdvert(nil, a.Priority, dst)
				if err != nil {
					s.t.Fatal(err)
				}
				for _, other := range s.nodes {
					if other == n || !other.alive || !n.alive {
						continue
					}
					var rx Received
					if r := Parse(&rx, b, n.m.Primary(), dst, TTL); r != DropNone {
						s.t.Fatalf("%s: advert from %s dropped: %v", other.name, n.name, r)
					}
					s.apply(other, other.m.Receive(s.now, &rx))
				}
			}
		case AddVIPs:
			n.vipsUp = true
		case RemoveVIPs:
			n.vipsUp = false
		case Transition:
			n.log = append(n.log, fmt.Sprintf("%v %v", s.now.Sub(t0), a.To))
		case Discard:
			s.t.Fatalf("%s: %v", n.name, a)
		}
	}
}

// run advances the clock through every deadline up to end.
func (s *segment) run(end time.Time) {
	for {
		var next *node
		for _, n := range s.nodes {
			d := n.m.NextDeadline()
			if !d.IsZero() && !d.After(end) && (next == nil || d.Before(next.m.NextDeadline())) {
				next = n
			}
		}
		if next == nil {
			s.now = end
			return
		}
		s.now = next.m.NextDeadline()
		s.apply(next, next.m.Expire(s.now))
	}
}

func (s *segment) at(d time.Duration, f func(now time.Time) []Action, n *node) {
	s.run(t0.Add(d))
	s.apply(n, f(s.now))
}

func (s *segment) masters() int {
	c := 0
	for _, n := range s.nodes {
		if n.m.State() == StateMaster {
			c++
		}
	}
	return c
}

func TestBackToBackElectionAndFailover(t *testing.T) {
	for _, fam := range []struct {
		name         string
		cfg          func() Config
		addrA, addrB netip.Addr
	}{
		{"v2 IPv4", v2Config, ours4, peer4},
		{"v3 IPv4", v3Config, ours4, peer4},
		{"v3 IPv6", v6Config, ll6, peer6},
		{"v3 IPv4 unicast", func() Config { c := v3Config(); c.CheckUnicastSrc = true; return c }, ours4, peer4},
	} {
		t.Run(fam.name, func(t *testing.T) {
			s := &segment{t: t, now: t0}
			ca, cb := fam.cfg(), fam.cfg()
			ca.Priority, cb.Priority = 150, 100
			if fam.name == "v3 IPv4 unicast" {
				ca.Peers, cb.Peers = []Peer{{Addr: fam.addrB}}, []Peer{{Addr: fam.addrA}}
			}
			a := s.add("A", ca, fam.addrA)
			b := s.add("B", cb, fam.addrB)
			mdiA := 3*sec + 106*sec/256 // 3.4140625 s
			s.at(0, a.m.Start, a)
			s.at(0, b.m.Start, b)

			// Election: A's shorter Master_Down_Interval wins; B stays backup.
			s.run(t0.Add(20 * sec))
			if a.m.State() != StateMaster || b.m.State() != StateBackup || !a.vipsUp || b.vipsUp {
				t.Fatalf("after election A=%v B=%v", a.m.State(), b.m.State())
			}
			if want := []string{"0s BACKUP", fmt.Sprintf("%v MASTER", mdiA)}; !reflect.DeepEqual(a.log, want) {
				t.Fatalf("A log %v, want %v", a.log, want)
			}
			if b.m.MasterAddr() != fam.addrA || b.m.MasterPriority() != 150 {
				t.Fatalf("B sees master %v/%d", b.m.MasterAddr(), b.m.MasterPriority())
			}

			// Silent failure: A is cut off at 20 s. Its last advert went out at
			// mdiA + 16 s; B takes over Master_Down_Interval (3.609375 s) later.
			a.alive = false
			s.run(t0.Add(30 * sec))
			lastAdvert := mdiA + 16*sec
			if want := []string{"0s BACKUP", fmt.Sprintf("%v MASTER", lastAdvert+mdi100)}; !reflect.DeepEqual(b.log, want) {
				t.Fatalf("B log %v, want %v", b.log, want)
			}
			if s.masters() != 2 {
				t.Fatalf("isolated A should still believe it is master")
			}

			// A comes back: B (lower priority) meets A's advert and yields at once;
			// A meets B's lower advert, re-advertises and stays.
			a.alive = true
			s.run(t0.Add(40 * sec))
			if a.m.State() != StateMaster || b.m.State() != StateBackup || s.masters() != 1 {
				t.Fatalf("after heal A=%v B=%v", a.m.State(), b.m.State())
			}

			// Graceful stop of A: priority 0; B takes over after Skew_Time exactly.
			stopAt := 40*sec + 500*ms
			s.at(stopAt, a.m.Stop, a)
			s.run(t0.Add(50 * sec))
			if got, want := b.log[len(b.log)-1], fmt.Sprintf("%v MASTER", stopAt+skw100); got != want {
				t.Fatalf("B after priority 0: %v, want %v", got, want)
			}
			if a.vipsUp || !b.vipsUp {
				t.Fatal("VIPs not moved on stop")
			}
		})
	}
}

// TestBackToBackPreemptAndNoPreempt restarts the higher-priority router and
// checks preemption at its Master_Down_Interval, and its absence with
// nopreempt.
func TestBackToBackPreemptAndNoPreempt(t *testing.T) {
	for _, noPreempt := range []bool{false, true} {
		t.Run(fmt.Sprintf("nopreempt=%v", noPreempt), func(t *testing.T) {
			s := &segment{t: t, now: t0}
			ca, cb := v2Config(), v2Config()
			ca.Priority, cb.Priority = 150, 100
			ca.NoPreempt = noPreempt
			a := s.add("A", ca, ours4)
			b := s.add("B", cb, peer4)
			s.at(0, b.m.Start, b)
			s.run(t0.Add(10 * sec))
			if b.m.State() != StateMaster {
				t.Fatalf("B alone is %v", b.m.State())
			}
			s.at(10*sec, a.m.Start, a)
			s.run(t0.Add(20 * sec))
			if noPreempt {
				if b.m.State() != StateMaster || a.m.State() != StateBackup {
					t.Fatalf("nopreempt: A=%v B=%v", a.m.State(), b.m.State())
				}
				return
			}
			want := []string{"10s BACKUP", fmt.Sprintf("%v MASTER", 10*sec+3*sec+106*sec/256)}
			if !reflect.DeepEqual(a.log, want) || b.m.State() != StateBackup {
				t.Fatalf("preempt: A log %v want %v, B=%v", a.log, want, b.m.State())
			}
		})
	}
}
