package fault

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// The addresses the speakers run, all TEST-NET.
var (
	vip       = netip.MustParsePrefix("192.0.2.100/24")
	routeDst  = "198.51.100.0/24" // virtual_routes: via the lab's unused 192.0.2.254
	ruleFrom  = "192.0.2.100"     // virtual_rules: from the VIP to table 100
	foreignIP = netip.MustParseAddr("192.0.2.66")
)

// vrid is the one virtual router of the suite.
const vrid = 51

// authPass is the VRRPv2 PASS password of the hostile-traffic cluster.
const authPass = "fault1"

// observeTolerance is what observing a state costs on top of the protocol's own
// time: one poll of every node's addresses through `ip` (tens of ms on a loaded
// machine) plus netlink and scheduling delays.
const observeTolerance = 300 * time.Millisecond

// startAllowance is added to the bound of a fault healed by starting a process:
// the daemon's start-up (exec, config parse, sockets) before its timers run.
const startAllowance = 2 * time.Second

// clusterOpts says what newCluster builds.
type clusterOpts struct {
	nodes    int  // speakers n1..nN with priorities 150, 120, 90, ...
	attacker bool // one more lab node without a speaker, for hostile senders
	v2       bool // VRRPv2 with PASS authentication and advert_int 1; else v3 at 0.5 s
	// extraInstance returns more lines for member i's vrrp_instance block.
	extraInstance func(i int) string
	// extraTop returns top-level blocks (vrrp_script) for member i's config.
	extraTop func(i int) string
}

// member is one speaker of a cluster and what the fault walk did to it.
type member struct {
	*speaker
	idx  int
	prio int
	side int // 0: on the client's bridge; 1: partitioned away; -1: detached

	alive   bool // the process runs
	linkUp  bool // eth0 administratively up
	present bool // eth0 exists
	muted   bool // its VRRP output is dropped (one-way loss)
}

// eligible reports whether m can and should hold the VIP for the client.
func (m *member) eligible() bool {
	return m.alive && m.linkUp && m.present && !m.muted && m.side == 0
}

// cluster is a lab segment with a speaker per node, a client and maybe an attacker.
type cluster struct {
	kind     string
	opts     clusterOpts
	lab      *lab.Lab
	members  []*member
	client   *lab.Node
	attacker *lab.Node
	advert   time.Duration
}

// newCluster builds the lab, starts every speaker and waits for the first settle.
func newCluster(t *testing.T, kind string, opts clusterOpts) *cluster {
	t.Helper()
	n := opts.nodes
	if opts.attacker {
		n++
	}
	l := lab.New(t, lab.Options{Nodes: n, Client: true})
	c := &cluster{kind: kind, opts: opts, lab: l, client: l.Client, advert: 500 * time.Millisecond}
	if opts.v2 {
		c.advert = time.Second
	}
	if opts.attacker {
		c.attacker = l.Nodes[opts.nodes]
	}
	for i := 0; i < opts.nodes; i++ {
		m := &member{speaker: newSpeaker(t, kind, l.Nodes[i]), idx: i, prio: 150 - 30*i, linkUp: true, present: true}
		c.members = append(c.members, m)
	}
	for _, m := range c.members {
		c.startMember(t, m)
	}
	if _, ok := c.settle(t, false, time.Now()); !ok {
		t.Fatalf("%s: the cluster did not elect n1 at start:\n%s\n%s", kind, c.describe(t), c.logs())
	}
	return c
}

// config renders member m's keepalived.conf; both speakers run the same text.
func (c *cluster) config(m *member) string {
	var b strings.Builder
	b.WriteString("global_defs {\n")
	if !c.opts.v2 {
		b.WriteString("  vrrp_version 3\n")
	}
	b.WriteString("  dynamic_interfaces\n}\n")
	if c.opts.extraTop != nil {
		b.WriteString(c.opts.extraTop(m.idx))
	}
	adv := "0.5"
	if c.opts.v2 {
		adv = "1"
	}
	fmt.Fprintf(&b, "vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id %d\n  priority %d\n  advert_int %s\n",
		vrid, m.prio, adv)
	if c.opts.v2 {
		fmt.Fprintf(&b, "  authentication {\n    auth_type PASS\n    auth_pass %s\n  }\n", authPass)
	}
	fmt.Fprintf(&b, "  notify %s\n", m.notifyScript())
	fmt.Fprintf(&b, "  virtual_ipaddress {\n    %s\n  }\n", vip)
	fmt.Fprintf(&b, "  virtual_routes {\n    %s via 192.0.2.254 dev eth0\n  }\n", routeDst)
	fmt.Fprintf(&b, "  virtual_rules {\n    from %s table 100\n  }\n", ruleFrom)
	if c.opts.extraInstance != nil {
		b.WriteString(c.opts.extraInstance(m.idx))
	}
	b.WriteString("}\n")
	return b.String()
}

func (c *cluster) startMember(t *testing.T, m *member) {
	t.Helper()
	m.start(t, c.config(m))
	m.alive = true
}

// masterDown is RFC 5798's Master_Down_Interval of a node of priority prio.
func (c *cluster) masterDown(prio int) time.Duration {
	return 3*c.advert + time.Duration(256-prio)*c.advert/256
}

// expected returns the member that must hold the VIP for the client: the
// highest-priority eligible one, or nil.
func (c *cluster) expected() *member {
	var best *member
	for _, m := range c.members {
		if m.eligible() && (best == nil || m.prio > best.prio) {
			best = m
		}
	}
	return best
}

// holders returns the members whose namespace holds the VIP on any interface.
func (c *cluster) holders(t *testing.T) []*member {
	t.Helper()
	var hs []*member
	for _, m := range c.members {
		if m.node.HasAddr(t, "", vip) {
			hs = append(hs, m)
		}
	}
	return hs
}

// correct reports whether the VIP is where it must be. With full (after a heal,
// every member eligible or stopped) every member counts; otherwise only the
// members that are alive, on the client's side and not muted do: the others may
// hold it (split brain is what a partition makes) or keep it (a killed process
// cannot release it).
func (c *cluster) correct(t *testing.T, full bool) bool {
	t.Helper()
	want := c.expected()
	for _, m := range c.holders(t) {
		if m == want {
			continue
		}
		if full || (m.alive && m.side == 0 && !m.muted) {
			return false
		}
	}
	return want == nil || want.node.HasAddr(t, "", vip)
}

// settleTimeout bounds waiting for the VIP to settle after a fault or a heal,
// far above any bound checked, so that a slow convergence is measured rather
// than cut short.
const settleTimeout = 15 * time.Second

// settle waits until the VIP is where it must be and stays there for longer
// than the lowest-priority member's Master_Down_Interval: a node that cannot
// hear the master (a broken receive path) takes the VIP only when that timer
// expires, so a shorter window would blame its failure on the next step. It
// returns how long after from it got there for good, and false if it did not
// within settleTimeout.
func (c *cluster) settle(t *testing.T, full bool, from time.Time) (time.Duration, bool) {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	var since time.Time // when the current correct run began
	for time.Now().Before(deadline) {
		now := time.Now()
		if c.correct(t, full) {
			if since.IsZero() {
				since = now
			}
			if now.Sub(since) >= c.stableWindow() {
				return since.Sub(from), true
			}
		} else {
			since = time.Time{}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return settleTimeout, false
}

// stableWindow is how long settle wants the VIP to stay put: the lowest
// priority's Master_Down_Interval plus one advert interval.
func (c *cluster) stableWindow() time.Duration {
	lowest := c.members[0].prio
	for _, m := range c.members {
		lowest = min(lowest, m.prio)
	}
	return c.masterDown(lowest) + c.advert
}

// describe says who holds the VIP and what each member is, for messages.
func (c *cluster) describe(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	hs := c.holders(t)
	for _, m := range c.members {
		fmt.Fprintf(&b, "  n%d prio %d alive=%v link=%v present=%v muted=%v side=%d holds=%v transitions=%d\n",
			m.idx+1, m.prio, m.alive, m.linkUp, m.present, m.muted, m.side, slices.Contains(hs, m), m.transitions())
	}
	if want := c.expected(); want != nil {
		fmt.Fprintf(&b, "  expected holder: n%d\n", want.idx+1)
	} else {
		b.WriteString("  expected holder: none\n")
	}
	return b.String()
}

// transitions sums every member's logged state changes.
func (c *cluster) transitions() int {
	n := 0
	for _, m := range c.members {
		n += m.transitions()
	}
	return n
}

// logLines is how many of each member's last log lines logs shows.
const logLines = 25

// logs returns the end of every member's log, for a failure message.
func (c *cluster) logs() string {
	var b strings.Builder
	for _, m := range c.members {
		fmt.Fprintf(&b, "==== n%d (%s), last %d lines\n%s\n", m.idx+1, m.kind, logLines, tail(m.log(), logLines))
	}
	return b.String()
}

// tail returns the last n lines of text.
func tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// leftovers lists what a stopped speaker left in its node: the VIP, the virtual
// route or rule, a macvlan (VMAC), nftables rules.
func leftovers(t *testing.T, n *lab.Node) []string {
	t.Helper()
	var left []string
	if n.HasAddr(t, "", vip) {
		left = append(left, "VIP "+vip.String())
	}
	if out := n.Exec(t, "ip", "route", "show", "table", "all", routeDst); strings.TrimSpace(out) != "" {
		left = append(left, "route "+strings.TrimSpace(out))
	}
	for _, line := range strings.Split(n.Exec(t, "ip", "rule", "show"), "\n") {
		if strings.Contains(line, "from "+ruleFrom+" ") {
			left = append(left, "rule "+strings.TrimSpace(line))
		}
	}
	if out := n.Exec(t, "ip", "-o", "link", "show", "type", "macvlan"); strings.TrimSpace(out) != "" {
		left = append(left, "macvlan "+strings.TrimSpace(out))
	}
	if out := n.Exec(t, "nft", "list", "ruleset"); strings.TrimSpace(out) != "" {
		left = append(left, "nftables "+strings.Join(strings.Fields(out), " "))
	}
	return left
}
