package e2e

import (
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/runtime/vrrp"
	"github.com/havip/havip/test/lab"
)

// TestUnicastFaultNoPeer runs an instance with unicast_fault_no_peer,
// unicast_src_ip and no unicast_peer at priority 120, first under keepalived
// 2.2.7 (the reference), then under havip, each beside a keepalived at
// priority 100 on the multicast group. keepalived's behaviour, which havip
// matches: the instance enters FAULT at start instead of falling back to
// multicast, and stays there, so the lower priority becomes MASTER.
func TestUnicastFaultNoPeer(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	faulty := instanceConf{Priority: 120, VIPs: []string{vip4.String()}, UnicastSrc: l.Nodes[0].IPv4.String(),
		Extra: "  unicast_fault_no_peer\n"}.conf()
	other := instanceConf{Priority: 100, VIPs: []string{vip4.String()}}.conf()

	// keepalived starts the instance in FAULT without an "Entering FAULT
	// STATE" line: it logs why, and never enters another state.
	ka := l.Nodes[0].StartKeepalived(t, faulty)
	lab.Eventually(t, electionTimeout, "keepalived's config fault", func() bool {
		return strings.Contains(ka.Log(), "(VI_1) Cannot use unicast without any peers - going to fault state")
	})
	backup := l.Nodes[1].StartKeepalived(t, other)
	backup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if got := ka.State("VI_1"); got != "" || l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Fatalf("keepalived left FAULT (%s):\n%s", got, ka.Log())
	}
	ka.Stop(t)
	backup.Stop(t)

	h := startHavip(t, l.Nodes[0], faulty)
	h.WaitState(t, "VI_1", "FAULT", electionTimeout)
	h.waitLog(t, "instance starts in FAULT", "unicast_fault_no_peer: no unicast_peer configured", electionTimeout)
	backup = l.Nodes[1].StartKeepalived(t, other)
	backup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if trs := h.logged("VI_1"); len(trs) != 1 || trs[0].to != "FAULT" {
		t.Fatalf("havip's transitions %v, want FAULT only; log:\n%s", trs, h.proc.Output())
	}
	if l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Fatal("havip in FAULT holds the VIP")
	}
	h.Stop(t)
	backup.Stop(t)
}

// trackedVIP is the VIP of TestTrackSrcIP: outside the source address's
// subnet, so that removing the source does not take it away too.
const trackedVIP = "198.51.100.10/32"

// TestTrackSrcIP removes the unicast_src_ip of a master with track_src_ip
// from its interface (where it is the only IPv4 address) and adds it back,
// beside a keepalived backup. keepalived 2.2.7 documents that the instance
// goes to FAULT ("if the configured src_ip doesn't exist or is removed put
// the instance into fault state") but does not: its netlink handler compares
// the removed address with the sockaddr rather than the address in it, so
// the master stays MASTER (the first half records that, as the reference).
// havip does what the documentation says: the master goes to FAULT and the
// backup takes over; the address back, it leaves FAULT and preempts.
func TestTrackSrcIP(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	n0, n1 := l.Nodes[0], l.Nodes[1]
	src := n0.IPv4.String() + "/24"
	conf := func(self, other *lab.Node, prio int, extra string) string {
		return instanceConf{Priority: prio, VIPs: []string{trackedVIP}, UnicastSrc: self.IPv4.String(),
			UnicastPeers: []string{other.IPv4.String()}, Extra: extra}.conf()
	}
	tracked := conf(n0, n1, 120, "  track_src_ip\n")
	backupConf := conf(n1, n0, 100, "")

	// keepalived handles each address event in order, logging it first.
	backup := n1.StartKeepalived(t, backupConf)
	ka := n0.StartKeepalived(t, tracked)
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	backup.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	n0.Exec(t, "ip", "addr", "del", src, "dev", "eth0")
	lab.Eventually(t, electionTimeout, "keepalived seeing the removal", func() bool {
		return strings.Contains(ka.Log(), "Deassigned address "+n0.IPv4.String()+" from interface eth0")
	})
	n0.Exec(t, "ip", "addr", "add", src, "dev", "eth0")
	lab.Eventually(t, electionTimeout, "keepalived seeing the address back", func() bool {
		return strings.Count(ka.Log(), "Assigned address "+n0.IPv4.String()+" for interface eth0") == 2
	})
	if strings.Contains(ka.Log(), "Entering FAULT STATE") || ka.State("VI_1") != "MASTER" {
		t.Fatalf("keepalived 2.2.7 acted on track_src_ip; havip's documented divergence is stale:\n%s", ka.Log())
	}
	ka.Stop(t)
	backup.Stop(t)

	backup = n1.StartKeepalived(t, backupConf)
	h := startHavip(t, n0, tracked)
	h.WaitState(t, "VI_1", "MASTER", electionTimeout)
	backup.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	n0.Exec(t, "ip", "addr", "del", src, "dev", "eth0")
	h.WaitState(t, "VI_1", "FAULT", electionTimeout)
	backup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if n0.HasAddr(t, "eth0", netip.MustParsePrefix(trackedVIP)) {
		t.Fatal("havip in FAULT holds the VIP")
	}
	n0.Exec(t, "ip", "addr", "add", src, "dev", "eth0")
	h.WaitState(t, "VI_1", "MASTER", electionTimeout)
	backup.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	if !strings.Contains(h.proc.Output(), `reason="track_src_ip: source address `+n0.IPv4.String()+` is not on eth0"`) {
		t.Fatalf("havip's FAULT does not give the missing source as its reason:\n%s", h.proc.Output())
	}
	h.Stop(t)
	backup.Stop(t)
}

// garpInterval is TestGARPInterval's vrrp_garp_interval.
const garpInterval = 300 * time.Millisecond

// TestGARPInterval runs a lone master of two VIPs with garp_master_repeat
// 3 and a garp interval of 0.3 s on eth0 — from vrrp_garp_interval, or from
// a garp_group overriding a shorter global one — first keepalived 2.2.7
// (the reference), then havip, capturing its gratuitous ARPs until its
// second advert (1 s after the first, so later than any ARP of the burst).
// keepalived's behaviour, which havip matches: the first VIP at once, then
// one ARP per interval — the first VIP again (its repeats collapse into
// one), then the second — three ARPs at least 0.3 s apart.
func TestGARPInterval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, global string }{
		{"vrrp_garp_interval", "global_defs {\n  vrrp_garp_interval 0.3\n}\n"},
		{"garp_group", "global_defs {\n  vrrp_garp_interval 0.05\n}\ngarp_group {\n  garp_interval 0.3\n  interface eth0\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testGARPInterval(t, tc.global)
		})
	}
}

func testGARPInterval(t *testing.T, global string) {
	l := lab.New(t, lab.Options{Nodes: 1})
	n0 := l.Nodes[0]
	vips := []string{"198.51.100.10/32", "198.51.100.11/32"}
	conf := global + instanceConf{Priority: 100, VIPs: vips, Extra: "  garp_master_repeat 3\n  garp_master_delay 0\n"}.conf()
	want := []string{"198.51.100.10", "198.51.100.10", "198.51.100.11"}

	runBoth(t, n0, func(t *testing.T, d *daemon) {
		c := n0.Capture(t, "eth0", "arp or ip proto 112")
		d.startMaster(t, conf)
		var garps []lab.ARPPacket
		lab.Eventually(t, 3*electionTimeout, d.name+"'s second advert", func() bool {
			return len(lab.DecodeVRRP(t, c.Path())) >= 2
		})
		d.Stop(t)
		pcap := c.Stop(t)
		for _, a := range lab.DecodeARP(t, pcap) {
			if a.Gratuitous {
				garps = append(garps, a)
			}
		}
		var got []string
		for i, g := range garps {
			got = append(got, g.SenderIP)
			if i > 0 {
				if gap := time.Duration((g.Time - garps[i-1].Time) * float64(time.Second)); gap < garpInterval-10*time.Millisecond {
					t.Errorf("%s: ARP %d came %v after the one before, want at least %v", d.name, i, gap, garpInterval)
				}
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: gratuitous ARPs for %v, want %v", d.name, got, want)
		}
		if adverts := lab.DecodeVRRP(t, pcap); adverts[0].Time > garps[0].Time {
			t.Errorf("%s: the burst began before the first advert", d.name)
		}
		t.Logf("%s: ARPs %v over %.3f s", d.name, got, garps[len(garps)-1].Time-garps[0].Time)
	})
}

// TestPromoteSecondaries runs a lone master with promote_secondaries whose
// VIP (192.0.2.100/24) is a secondary of the interface's own subnet beside
// another secondary, first keepalived 2.2.7 (the reference), then havip, and
// deletes the interface's primary address. keepalived's behaviour, which
// havip matches: it sets net.ipv4.conf.eth0.promote_secondaries to 1 at
// start, so the kernel promotes the other secondary instead of deleting the
// VIP with the primary, and resets it to 0 at exit. (The other secondary
// keeps keepalived from going to FAULT for want of a source address.)
func TestPromoteSecondaries(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n0 := l.Nodes[0]
	primary := n0.IPv4.String() + "/24"
	conf := instanceConf{Priority: 100, VIPs: []string{vip4.String()}, Extra: "  promote_secondaries\n"}.conf()
	sysctl := func() string {
		return strings.TrimSpace(n0.Exec(t, "cat", "/proc/sys/net/ipv4/conf/eth0/promote_secondaries"))
	}
	runBoth(t, n0, func(t *testing.T, d *daemon) {
		n0.Exec(t, "ip", "-4", "addr", "flush", "dev", "eth0")
		n0.Exec(t, "ip", "addr", "add", primary, "dev", "eth0")
		n0.Exec(t, "ip", "addr", "add", "192.0.2.50/24", "dev", "eth0")
		if got := sysctl(); got != "0" {
			t.Fatalf("%s: promote_secondaries is %s before the start", d.name, got)
		}
		d.startMaster(t, conf)
		if got := sysctl(); got != "1" {
			t.Fatalf("%s: promote_secondaries is %s while it runs", d.name, got)
		}
		lab.Eventually(t, electionTimeout, d.name+" installing the VIP", func() bool { return n0.HasAddr(t, "eth0", vip4) })
		n0.Exec(t, "ip", "addr", "del", primary, "dev", "eth0")
		if !n0.HasAddr(t, "eth0", vip4) {
			t.Fatalf("%s: the VIP went with the primary address", d.name)
		}
		if d.hv != nil && strings.Contains(d.Log(), "a VIP was removed behind havip's back") {
			t.Errorf("havip saw the VIP removed:\n%s", d.Log())
		}
		d.Stop(t)
		if got := sysctl(); got != "0" {
			t.Fatalf("%s: promote_secondaries is %s after the exit, want it reset to 0", d.name, got)
		}
	})
}

// TestOwnerIgnoreAdverts: two address owners (priority 255) on one VRID, havip on the lower
// address with owner_ignore_adverts (keepalived 2.3's keyword; RFC 9568's rule for an owner).
// Beside keepalived 2.2.7, master already on the higher address: keepalived, hearing another
// owner, lowers itself to 254 and yields (its log says so) and havip never leaves MASTER. Beside
// a havip owner on the higher address, which keeps advertising (it wins the address tie-break):
// without the keyword havip yields to it; with it, havip drops its adverts, counts them and stays
// MASTER.
func TestOwnerIgnoreAdverts(t *testing.T) {
	t.Parallel()
	owner := func(extra string) string {
		return instanceConf{Priority: 255, VIPs: []string{vip4.String()}, Extra: extra}.conf()
	}
	t.Run("beside keepalived", func(t *testing.T) {
		l := lab.New(t, lab.Options{Nodes: 2})
		ka := l.Nodes[1].StartKeepalived(t, owner(""))
		ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
		h := startHavip(t, l.Nodes[0], owner("  owner_ignore_adverts\n"))
		h.WaitState(t, "VI_1", "MASTER", electionTimeout)
		if !lab.Poll(electionTimeout, 20*time.Millisecond, func() bool {
			return strings.Contains(ka.Log(), "both configured as address owner") && ka.State("VI_1") == "BACKUP"
		}) {
			t.Fatalf("keepalived did not yield to havip's owner:\n%s\nhavip:\n%s", ka.Log(), h.proc.Output())
		}
		if !l.Nodes[0].HasAddr(t, "eth0", vip4) || l.Nodes[1].HasAddr(t, "eth0", vip4) {
			t.Fatal("the VIP is not on havip's node alone")
		}
		if got := h.logged("VI_1"); len(got) != 1 || got[0].to != "MASTER" {
			t.Fatalf("havip's transitions %v, want MASTER only:\n%s", got, h.proc.Output())
		}
		h.Stop(t)
		ka.Stop(t)
	})
	for _, ignore := range []bool{false, true} {
		name := "beside a havip owner, without the keyword"
		extra := ""
		if ignore {
			name, extra = "beside a havip owner, with the keyword", "  owner_ignore_adverts\n"
		}
		t.Run(name, func(t *testing.T) {
			l := lab.New(t, lab.Options{Nodes: 2})
			other := startHavip(t, l.Nodes[1], owner(""))
			other.WaitState(t, "VI_1", "MASTER", electionTimeout)
			h := startHavip(t, l.Nodes[0], owner(extra))
			if !ignore {
				h.WaitState(t, "VI_1", "BACKUP", electionTimeout)
				if st := status(t, h); st.Stats.Drops[vrrp.DropOwnerIgnores] != 0 {
					t.Fatalf("drops %v without owner_ignore_adverts", st.Stats.Drops)
				}
				return
			}
			h.WaitState(t, "VI_1", "MASTER", electionTimeout)
			lab.Eventually(t, electionTimeout, "havip counting the other owner's adverts as ignored", func() bool {
				return status(t, h).Stats.Drops[vrrp.DropOwnerIgnores] >= 2
			})
			if got := h.logged("VI_1"); len(got) != 1 || got[0].to != "MASTER" {
				t.Fatalf("havip's transitions %v, want MASTER only:\n%s", got, h.proc.Output())
			}
		})
	}
}

// TestTimerExpiredBackup: havip is a nopreempt master at priority 200 beside a keepalived
// backup at 100, and is frozen (SIGSTOP) for longer than keepalived waits before taking over.
// On SIGCONT, without timer_expired_backup, havip's next advert at 200 takes mastership back
// from keepalived; with timer_expired_backup 100 (keepalived 2.3's keyword), havip sees it was
// too late to advertise, goes BACKUP without a priority-0 advert, and keepalived stays MASTER.
func TestTimerExpiredBackup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		extra     string
		havipWins bool
	}{
		{"without timer_expired_backup", "", true},
		{"with timer_expired_backup", "  timer_expired_backup 100\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := lab.New(t, lab.Options{Nodes: 2})
			h := startHavip(t, l.Nodes[0], instanceConf{Priority: 200, VIPs: []string{vip4.String()}, Nopreempt: true, Extra: tc.extra}.conf())
			h.WaitState(t, "VI_1", "MASTER", electionTimeout)
			ka := l.Nodes[1].StartKeepalived(t, instanceConf{Priority: 100, VIPs: []string{vip4.String()}, Nopreempt: true}.conf())
			ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
			if err := h.proc.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
			if err := h.proc.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			if tc.havipWins {
				h.WaitState(t, "VI_1", "MASTER", electionTimeout)
				ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
				return
			}
			h.waitLog(t, "transition", `reason="no advert sent for`, electionTimeout)
			h.WaitState(t, "VI_1", "BACKUP", electionTimeout)
			// keepalived keeps the VIP: havip, nopreempt, follows it and never takes over again.
			lab.Eventually(t, electionTimeout, "havip following keepalived", func() bool { return status(t, h).Master == l.Nodes[1].IPv4.String() })
			if ka.State("VI_1") != "MASTER" || strings.Count(ka.Log(), "(VI_1) Entering MASTER STATE") != 1 {
				t.Fatalf("keepalived lost mastership:\n%s", ka.Log())
			}
			if l.Nodes[0].HasAddr(t, "eth0", vip4) {
				t.Fatal("havip still holds the VIP")
			}
		})
	}
}

// TestGARPMasterRefresh runs a lone master with garp_master_refresh 1 and
// garp_master_refresh_repeat 2 (one ARP on becoming master, no second
// burst), first keepalived 2.2.7 (the reference), then havip, and decodes
// its gratuitous ARPs with tshark for 3.5 s from the first. keepalived's
// behaviour, which havip matches: one ARP, then a burst of two every second.
func TestGARPMasterRefresh(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n0 := l.Nodes[0]
	conf := instanceConf{Priority: 100, VIPs: []string{"198.51.100.10/32"},
		Extra: "  garp_master_repeat 1\n  garp_master_delay 0\n  garp_master_refresh 1\n  garp_master_refresh_repeat 2\n"}.conf()
	const window = 3.5        // seconds from the first ARP
	want := []int{1, 2, 2, 2} // ARPs per second of the window

	runBoth(t, n0, func(t *testing.T, d *daemon) {
		c := n0.Capture(t, "eth0", "arp or ip proto 112")
		d.startMaster(t, conf)
		lab.Eventually(t, 3*electionTimeout, d.name+"'s fifth advert", func() bool {
			return len(lab.DecodeVRRP(t, c.Path())) >= 5
		})
		d.Stop(t)
		var garps []lab.ARPPacket
		for _, a := range lab.DecodeARP(t, c.Stop(t)) {
			if a.Gratuitous && a.SenderIP == "198.51.100.10" {
				garps = append(garps, a)
			}
		}
		if len(garps) == 0 {
			t.Fatalf("%s: no gratuitous ARP", d.name)
		}
		got := make([]int, len(want))
		for _, g := range garps {
			if at := g.Time - garps[0].Time; at < window {
				// Each burst is sent on the second (within the scheduling slack).
				got[int(at+0.2)]++
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: gratuitous ARPs per second %v, want %v", d.name, got, want)
		}
		t.Logf("%s: ARPs per second %v", d.name, got)
	})
}

// TestDisableLocalIGMP starts a master with and without disable_local_igmp,
// first keepalived 2.2.7 (the reference), then havip, capturing IGMP on its
// interface. keepalived's behaviour, which havip matches: without the
// keyword joining 224.0.0.18 sends a membership report for it; with it,
// net.ipv4.igmp_link_local_mcast_reports is 0 while the daemon runs (no
// report for 224.0.0.18) and 1 again after it stops.
func TestDisableLocalIGMP(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n0 := l.Nodes[0]
	sysctl := func() string {
		return strings.TrimSpace(n0.Exec(t, "sysctl", "-n", "net.ipv4.igmp_link_local_mcast_reports"))
	}
	for _, disable := range []bool{false, true} {
		conf := instanceConf{Priority: 100, VIPs: []string{vip4.String()}}.conf()
		if disable {
			conf = "global_defs {\n  disable_local_igmp\n}\n" + conf
		}
		runBoth(t, n0, func(t *testing.T, d *daemon) {
			c := n0.Capture(t, "eth0", "igmp")
			d.startMaster(t, conf)
			running := sysctl()
			d.Stop(t)
			groups := lab.DecodeIGMPGroups(t, c.Stop(t))
			reported := slices.Contains(groups, "224.0.0.18")
			t.Logf("%s, disable_local_igmp=%v: reports while running %s, groups reported %v", d.name, disable, running, groups)
			if reported == disable {
				t.Errorf("%s, disable_local_igmp=%v: membership report for 224.0.0.18: %v", d.name, disable, reported)
			}
			if want := map[bool]string{false: "1", true: "0"}[disable]; running != want {
				t.Errorf("%s, disable_local_igmp=%v: igmp_link_local_mcast_reports %s while running, want %s", d.name, disable, running, want)
			}
			if after := sysctl(); after != "1" {
				t.Errorf("%s: igmp_link_local_mcast_reports %s after exit, want 1", d.name, after)
			}
		})
	}
}
