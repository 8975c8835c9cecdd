package fault

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// The invariants of the fault walk, one sub-test each. The first two are
// checked per fault: invUnderFault+name while it lasts, invAfterHeal+name after.
const (
	invUnderFault    = "one_holder_highest_priority_under_"
	invAfterHeal     = "one_holder_highest_priority_after_heal_of_"
	invClientView    = "client_sees_only_the_holder"
	invConvergence   = "convergence_after_heal_within_master_down"
	invHealGARP      = "split_brain_heal_winner_sends_garp"
	invHealNotify    = "split_brain_heal_winner_reruns_master_notify"
	invHealNeighbour = "split_brain_heal_client_neighbour_on_winner"
	invLeftovers     = "nothing_left_on_a_stopped_node"
	invConfigFault   = "bad_config_changes_nothing"
)

// walkInvariants lists every invariant of the walk, for the figures.
func walkInvariants() []string {
	invs := []string{invClientView, invConvergence, invHealGARP, invHealNotify, invHealNeighbour, invLeftovers, invConfigFault}
	for _, f := range faults {
		invs = append(invs, invAfterHeal+f.name)
		if f.name != "config_corrupted" {
			invs = append(invs, invUnderFault+f.name)
		}
	}
	return invs
}

// healCheckTimeout bounds waiting for the winner's gratuitous ARP, notify and the
// client's neighbour entry after a split-brain heal.
const healCheckTimeout = 3 * time.Second

// step is one fault being injected: what was done, and how to undo it.
type step struct {
	desc    string
	heal    func()
	restart bool   // the heal starts a process: the bound includes start-up
	during  string // the invariant the settle under the fault checks
	after   func() // more checks once settled after the heal, or nil
}

// fault injects one kind of fault into member m.
type fault struct {
	name   string
	inject func(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step
}

// oneWayTable is the nftables table that drops a node's outgoing VRRP.
const oneWayTable = "havip_fault_oneway"

var faults = []fault{
	{"silent_loss", func(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step {
		c.lab.Detach(t, m.node)
		m.side = -1
		return step{desc: "detached from the segment, link up", heal: func() { c.lab.Attach(t, m.node); m.side = 0 }}
	}},
	{"sigkill", func(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step {
		m.kill(t)
		m.alive = false
		return step{desc: "SIGKILL", restart: true, heal: func() { c.startMember(t, m) }}
	}},
	{"graceful_stop", func(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step {
		m.stop(t)
		m.alive = false
		left := leftovers(t, m.node)
		v.check(invLeftovers, len(left) == 0, "n%d stopped by SIGTERM left: %s", m.idx+1, strings.Join(left, "; "))
		return step{desc: "SIGTERM", restart: true, heal: func() { c.startMember(t, m) }}
	}},
	{"link_down", func(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step {
		m.node.SetLink(t, "eth0", false)
		m.linkUp = false
		return step{desc: "eth0 down", heal: func() { m.node.SetLink(t, "eth0", true); m.linkUp = true }}
	}},
	{"interface_deleted", func(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step {
		c.lab.Unplug(t, m.node)
		m.present = false
		return step{desc: "eth0 deleted", heal: func() { c.lab.Replug(t, m.node); m.present = true }}
	}},
	{"one_way_loss", func(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step {
		m.node.Exec(t, "nft", "add table inet "+oneWayTable+" ; add chain inet "+oneWayTable+
			" out { type filter hook output priority 0 ; } ; add rule inet "+oneWayTable+" out meta l4proto 112 drop")
		m.muted = true
		return step{desc: "outgoing VRRP dropped (nftables), still receiving", heal: func() {
			m.node.Exec(t, "nft", "delete table inet "+oneWayTable)
			m.muted = false
		}}
	}},
	{"partition", func(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step {
		// m and a random subset of the others (never all) leave the client's bridge.
		side := []*lab.Node{m.node}
		names := []string{fmt.Sprintf("n%d", m.idx+1)}
		for _, o := range c.members {
			if o != m && len(side) < len(c.members)-1 && rng.IntN(2) == 0 {
				side = append(side, o.node)
				names = append(names, fmt.Sprintf("n%d", o.idx+1))
			}
		}
		c.lab.Partition(t, side...)
		for _, o := range c.members {
			if slices.Contains(side, o.node) {
				o.side = 1
			}
		}
		return step{desc: "partitioned away: " + strings.Join(names, ","), heal: func() {
			for _, o := range c.members {
				if o.side == 1 {
					c.lab.Attach(t, o.node)
					o.side = 0
				}
			}
		}}
	}},
	{"config_corrupted", injectBadConfig},
}

// injectBadConfig deletes, truncates or fills with garbage m's config file, and
// makes the speaker look at it (havip supervise watches the file; keepalived is
// sent SIGHUP, as a config manager would).
func injectBadConfig(t *testing.T, c *cluster, v *verdicts, m *member, rng *rand.Rand) step {
	good := m.conf
	var desc string
	switch rng.IntN(3) {
	case 0:
		desc = "config deleted"
		if err := os.Remove(m.path); err != nil {
			t.Fatal(err)
		}
	case 1:
		// Cut inside the vrrp_instance block: never a complete config.
		from := strings.Index(good, "vrrp_instance")
		cut := from + rng.IntN(len(good)-2-from)
		desc = fmt.Sprintf("config truncated to %d of %d bytes", cut, len(good))
		writeFile(t, m.path, good[:cut], 0o644)
	default:
		garbage := make([]byte, 64+rng.IntN(1024))
		for i := range garbage {
			garbage[i] = byte(rng.UintN(256))
		}
		desc = fmt.Sprintf("config replaced by %d random bytes", len(garbage))
		writeFile(t, m.path, string(garbage), 0o644)
	}
	before := c.transitions()
	if m.kind == keepalivedKind {
		m.hangup(t)
	}
	if m.kind == havipKind {
		rejected := func() int { return strings.Count(m.log(), "new config rejected") }
		n := rejected()
		// The supervisor's debounce (300 ms) and a render.
		ok := lab.Poll(5*time.Second, pollEvery, func() bool { return rejected() > n })
		v.check(invConfigFault, ok, "n%d: %s: havip supervise did not log the rejection within 5s", m.idx+1, desc)
	}
	return step{desc: desc, during: invConfigFault, heal: func() {
		writeFile(t, m.path, good, 0o644)
		if !m.running() {
			// keepalived exits on some bad configs; havip must not.
			v.check(invConfigFault, false, "n%d: %s: the %s process exited:\n%s", m.idx+1, desc, m.kind, tail(m.log(), logLines))
			c.startMember(t, m)
			return
		}
		if m.kind == keepalivedKind {
			m.hangup(t)
		}
	}, after: func() {
		v.check(invConfigFault, c.transitions() == before && m.running(),
			"n%d: %s, then restored: %d state changes in the cluster, want none; running=%v",
			m.idx+1, desc, c.transitions()-before, m.running())
	}}
}

// pollEvery is how often the suite's waits call their condition: each call
// reads the namespaces' addresses, so not more often.
const pollEvery = 20 * time.Millisecond

// TestFaultWalk runs the seeded random walk of faults on a three-node cluster,
// with havip and with keepalived, and checks the invariants after every settle.
func TestFaultWalk(t *testing.T) {
	eachSpeaker(t, func(t *testing.T, k knobs, kind string) {
		c := newCluster(t, kind, clusterOpts{nodes: 3})
		v := newVerdicts(kind)
		arps := c.client.Capture(t, "eth0", "arp")
		rng := rand.New(rand.NewPCG(k.seed, vrid))
		t.Logf("fault walk: %s=%d %s=%d speaker=%s", seedEnv, k.seed, stepsEnv, k.steps, kind)
		// Each fault once per round, in a seeded order: short runs cover them all.
		var order []int
		for i := 1; i <= k.steps; i++ {
			if len(order) == 0 {
				order = rng.Perm(len(faults))
			}
			f := faults[order[0]]
			order = order[1:]
			target := c.members[rng.IntN(len(c.members))]
			if want := c.expected(); rng.IntN(2) == 0 && want != nil {
				target = want
			}
			if !c.walkStep(t, v, arps, i, f, target, rng) {
				t.Logf("step %d: the cluster did not settle after the heal; logs so far:\n%s", i, c.logs())
				if !c.restartAll(t) {
					t.Errorf("step %d: the cluster did not settle even after restarting every speaker; the walk stops here (%s=%d %s=%d)\n%s",
						i, seedEnv, k.seed, stepsEnv, k.steps, c.describe(t))
					break
				}
				v.note("step %d (%s): did not settle after the heal; every speaker restarted to go on", i, f.name)
			}
		}
		v.report(t, fmt.Sprintf("fault walk %s=%d %s=%d", seedEnv, k.seed, stepsEnv, k.steps), walkInvariants())
	})
}

// restartAll kills every speaker and starts it again, after a step that left
// the cluster unsettled, so that the walk can go on; it reports whether the
// cluster then settles.
func (c *cluster) restartAll(t *testing.T) bool {
	t.Helper()
	for _, m := range c.members {
		if m.running() {
			m.kill(t)
		}
		c.startMember(t, m)
	}
	_, ok := c.settle(t, true, time.Now())
	return ok
}

// walkStep injects f into m, settles, heals, settles and checks the invariants.
// It returns false when the cluster did not settle after the heal.
func (c *cluster) walkStep(t *testing.T, v *verdicts, arps *lab.Capture, i int, f fault, m *member, rng *rand.Rand) bool {
	t.Helper()
	where := fmt.Sprintf("step %d %s on n%d", i, f.name, m.idx+1)
	injected := time.Now()
	s := f.inject(t, c, v, m, rng)
	where += " (" + s.desc + ")"
	t.Logf("%s", where)
	during := s.during
	if during == "" {
		during = invUnderFault + f.name
	}
	took, ok := c.settle(t, false, injected)
	v.check(during, ok, "%s: under the fault the VIP did not settle on the expected node:\n%s", where, c.describe(t))
	if ok {
		v.max("settled under the fault: "+f.name, took)
	}

	// Before the heal: who holds (a split brain has two live holders), the
	// notify counts, and a client neighbour entry for the VIP.
	live := 0
	for _, h := range c.holders(t) {
		if h.alive {
			live++
		}
	}
	notifies := make([]int, len(c.members))
	for j, o := range c.members {
		notifies[j] = o.masterNotifies()
	}
	_, _ = c.client.Try("ping", "-c", "1", "-W", "1", vip.Addr().String())

	healed := time.Now()
	s.heal()
	took, ok = c.settle(t, true, healed)
	if !v.check(invAfterHeal+f.name, ok, "%s: after the heal the VIP did not settle on the expected node:\n%s", where, c.describe(t)) {
		return false
	}
	if s.after != nil {
		s.after()
	}
	winner := c.expected()
	bound := c.masterDown(winner.prio) + observeTolerance
	if s.restart {
		bound += startAllowance
	}
	v.max("convergence after heal: "+f.name, took)
	v.check(invConvergence, took <= bound, "%s: converged %v after the heal, bound %v (Master_Down_Interval of n%d + %v observation%s)",
		where, took.Round(time.Millisecond), bound, winner.idx+1, observeTolerance, map[bool]string{true: " + start-up", false: ""}[s.restart])

	winnerMAC := winner.node.HardwareAddr(t, "eth0")
	macs, err := whoHas(c.client, vip.Addr())
	if err != nil {
		t.Fatalf("%s: ARP probe from the client: %v", where, err)
	}
	v.check(invClientView, slices.Equal(macs, []string{winnerMAC}), "%s: the client's ARP request for %s was answered by %v, want only n%d %s",
		where, vip.Addr(), macs, winner.idx+1, winnerMAC)

	if live < 2 {
		return true
	}
	v.max("split-brain heals", 0)
	garp := lab.Poll(healCheckTimeout, pollEvery, func() bool {
		for _, a := range lab.DecodeARP(t, arps.Path()) {
			if a.Gratuitous && a.SenderIP == vip.Addr().String() && a.SenderMAC == winnerMAC && a.Time >= float64(healed.UnixNano())/1e9 {
				return true
			}
		}
		return false
	})
	v.check(invHealGARP, garp, "%s: split brain healed, but no gratuitous ARP for %s from the winner n%d within %v",
		where, vip.Addr(), winner.idx+1, healCheckTimeout)
	notified := lab.Poll(healCheckTimeout, pollEvery, func() bool { return winner.masterNotifies() > notifies[winner.idx] })
	v.check(invHealNotify, notified, "%s: split brain healed, but the winner n%d did not run its master notify again within %v",
		where, winner.idx+1, healCheckTimeout)
	var neigh string
	followed := lab.Poll(healCheckTimeout, pollEvery, func() bool { neigh = c.client.Neighbor(t, vip.Addr()); return neigh == winnerMAC })
	v.check(invHealNeighbour, followed, "%s: split brain healed, but the client's neighbour entry for %s is %q, not the winner n%d %s, after %v",
		where, vip.Addr(), neigh, winner.idx+1, winnerMAC, healCheckTimeout)
	return true
}
