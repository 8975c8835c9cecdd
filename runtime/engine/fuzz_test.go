package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// fuzzConfig is one of the configs FuzzEngine reloads between, chosen by
// the bits of b: VI_1's priority (100, 150, owner), VIPs that move from VI_2
// to VI_1, a sync group, a weighted and a weight-0 tracker on VI_1, VI_2
// left out, VI_3 on eth1.
func fuzzConfig(b byte) string {
	prio := []int{100, 150, 255, 100}[b%4]
	vips1, vips2 := "192.0.2.100", "192.0.2.101"
	if b&4 != 0 {
		vips1, vips2 = "192.0.2.100,192.0.2.101", "192.0.2.102"
	}
	var body1 []string
	if b&16 != 0 {
		body1 = append(body1, "track_interface {", "  eth5 weight -60", "}")
	}
	if b&128 != 0 {
		body1 = append(body1, "track_interface {", "  eth6", "}")
	}
	conf := vi("VI_1", 51, prio, vips1, body1...)
	withVI2 := b&64 == 0
	if withVI2 {
		conf += vi("VI_2", 52, 100, vips2)
	}
	if b&8 != 0 {
		members := "    VI_1\n"
		if withVI2 {
			members += "    VI_2\n"
		}
		conf = "vrrp_sync_group G {\n  group {\n" + members + "  }\n}\n" + conf
	}
	if b&32 != 0 {
		conf += strings.Replace(vi("VI_3", 53, 120, "192.0.2.103"), "interface eth0", "interface eth1", 1)
	}
	return conf
}

// FuzzEngine drives an engine on the fake host through random sequences of
// reloads, adverts, link events, tracker results and time, and checks after
// every step: a VIP is installed exactly while a MASTER instance holds it,
// the members of a sync group are MASTER together or not at all; and after
// shutdown nothing is left installed or open. A panic fails it too.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 4, 200, 0, 1, 51, 200, 0, 4, 200})
	f.Add([]byte{8, 4, 200, 1, 51, 250, 1, 4, 200, 0, 12, 4, 200, 2, 0, 2, 1})
	f.Add([]byte{16, 3, 1, 4, 200, 3, 0, 0, 20, 4, 200, 0, 148, 3, 2, 4, 250})
	f.Add([]byte{36, 4, 200, 0, 40, 2, 3, 4, 200, 0, 2, 5, 5, 0, 72})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) == 0 || len(ops) > 200 {
			return
		}
		r := newRig(t, fuzzConfig(ops[0])).start()
		next := func(i *int) byte {
			*i++
			if *i < len(ops) {
				return ops[*i]
			}
			return 0
		}
		for i := 1; i < len(ops); i++ {
			switch ops[i] % 6 {
			case 0:
				if err := r.apply(fuzzConfig(next(&i))); err != nil {
					t.Fatalf("op %d: a valid config was refused: %v", i, err)
				}
			case 1:
				vrid := 51 + next(&i)%3
				priority := next(&i)
				src := []string{"192.0.2.2", "192.0.2.0"}[next(&i)%2]
				ifname := "eth0"
				if vrid == 53 {
					ifname = "eth1"
				}
				if r.e.ports[portKey{ifname, 4}] != nil {
					r.advert(ifname, ip(src), group4, vrid, priority, "192.0.2.100")
				}
			case 2:
				b := next(&i)
				r.link([]string{"eth0", "eth1"}[b%2], b&2 != 0)
			case 3:
				b := next(&i)
				name := []string{"eth5", "eth6"}[b%2]
				if r.e.trackers[track.Key{Kind: track.KindInterface, Name: name}] != nil {
					r.track(track.KindInterface, name, b&2 != 0, 0)
				}
			case 4:
				r.advance(time.Duration(next(&i)) * 25 * time.Millisecond)
			case 5:
				if len(r.e.sched) > 0 {
					r.advance(r.e.sched[0].when.Sub(r.clock.Now()))
				}
			}
			checkEngine(t, i, r)
		}
		r.stop()
		if got := r.host.leftovers(); got != "" {
			t.Fatalf("left after stop: %s", got)
		}
	})
}

// checkEngine checks the invariants FuzzEngine holds the engine to.
func checkEngine(t *testing.T, op int, r *rig) {
	t.Helper()
	want := map[netif.VIP]bool{}
	groups := map[*syncGroup][]string{}
	for _, inst := range r.e.instances {
		master := inst.m != nil && inst.m.State() == vrrp.StateMaster
		if master {
			for _, v := range inst.vips {
				want[v] = true
			}
		}
		if inst.group != nil {
			state := "none"
			if inst.m != nil {
				state = inst.m.State().String()
			}
			groups[inst.group] = append(groups[inst.group], state)
		}
	}
	r.host.mu.Lock()
	for v := range r.host.vips {
		if !want[v] {
			t.Errorf("op %d: %v installed without a MASTER holding it", op, v)
		}
	}
	for v := range want {
		if !r.host.vips[v] {
			t.Errorf("op %d: %v of a MASTER not installed", op, v)
		}
	}
	r.host.mu.Unlock()
	for g, states := range groups {
		masters := strings.Count(strings.Join(states, " "), "MASTER")
		if masters != 0 && masters != len(states) {
			t.Errorf("op %d: sync group %s members in %v", op, g.name, states)
		}
	}
	if t.Failed() {
		t.Fatalf("op %d: states %s", op, r.states())
	}
}
