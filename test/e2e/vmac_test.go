package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// vmacName and vmacMAC are VRID 51's use_vmac device and virtual MAC.
const (
	vmacName = "vrrp.51"
	vmacMAC  = "00:00:5e:00:01:33"
)

// vmacState is "" when node has no vmacName, else whether it is up.
func vmacState(t *testing.T, n *lab.Node) string {
	t.Helper()
	if _, err := n.Try("ip", "link", "show", "dev", vmacName); err != nil {
		return ""
	}
	if up, _ := n.LinkState(t, vmacName); up {
		return "up"
	}
	return "down"
}

// vmacTxPackets is how many packets node's VMAC device has sent.
func vmacTxPackets(t *testing.T, n *lab.Node) int {
	t.Helper()
	var links []struct {
		Stats struct {
			TX struct {
				Packets int `json:"packets"`
			} `json:"tx"`
		} `json:"stats64"`
	}
	out := n.Exec(t, "ip", "-j", "-s", "link", "show", "dev", vmacName)
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		t.Fatalf("decoding ip -j -s link show dev %s (%v):\n%s", vmacName, err, out)
	}
	return links[0].Stats.TX.Packets
}

// waitVMAC waits until node's VMAC device is in state ("" = absent, "up", "down").
func waitVMAC(t *testing.T, n *lab.Node, state string) {
	t.Helper()
	lab.Eventually(t, 5*time.Second, n.NS+"'s "+vmacName+" to be "+state, func() bool { return vmacState(t, n) == state })
}

// TestUseVMACInterop: havip with use_vmac against keepalived 2.2.7 with
// use_vmac. The master holds the VIP on vrrp.51 and answers for it with the
// virtual MAC, so the client's neighbour entry never changes across
// failovers; havip's device is down unless it is MASTER (a backup sends
// nothing from the virtual MAC) and gone after havip stops.
func TestUseVMACInterop(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2, Client: true})
	vmac := "  use_vmac\n"
	ka := l.Nodes[1].StartKeepalived(t, instanceConf{Priority: 110, VIPs: []string{vip4.String()}, Extra: vmac}.conf())
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)

	// havip starts as BACKUP with its device down, hears keepalived's
	// adverts from the virtual MAC on eth0, and preempts it.
	hv := startHavip(t, l.Nodes[0], instanceConf{Priority: 120, VIPs: []string{vip4.String()}, Extra: vmac}.conf())
	hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
	ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	waitVMAC(t, l.Nodes[0], "up")
	if !l.Nodes[0].HasAddr(t, vmacName, vip4) || l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Fatalf("havip's VIP is not on %s alone", vmacName)
	}
	if got := l.Nodes[0].HardwareAddr(t, vmacName); got != vmacMAC {
		t.Fatalf("%s has MAC %s, want %s", vmacName, got, vmacMAC)
	}
	l.Client.Exec(t, "ping", "-c", "1", "-W", "2", vip4.Addr().String())
	if got := l.Client.Neighbor(t, vip4.Addr()); got != vmacMAC {
		t.Fatalf("the client reaches the VIP at %q, want the virtual MAC %s", got, vmacMAC)
	}

	// Graceful stop: keepalived takes over and announces the VIP from the
	// virtual MAC, so the client's entry does not change.
	hv.Stop(t)
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitVMAC(t, l.Nodes[0], "")
	if got := l.Client.Neighbor(t, vip4.Addr()); got != vmacMAC {
		t.Fatalf("after failover the client has the VIP at %q, want still %s", got, vmacMAC)
	}
	// keepalived 2.2.7 answers from eth0 and, resolving the client, gives the
	// VIP as its ARP sender address (it leaves arp_announce at 0), which moves
	// the client's entry to its eth0 MAC; havip sets arp_announce=2.
	l.Client.Exec(t, "ping", "-c", "1", "-W", "2", vip4.Addr().String())

	// havip comes back, preempts, and its gratuitous ARPs from the virtual
	// MAC bring the client back to it.
	hv = startHavip(t, l.Nodes[0], instanceConf{Priority: 120, VIPs: []string{vip4.String()}, Extra: vmac}.conf())
	hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
	ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	lab.Eventually(t, 5*time.Second, "the client's entry for the VIP at the virtual MAC", func() bool {
		return l.Client.Neighbor(t, vip4.Addr()) == vmacMAC
	})
	l.Client.Exec(t, "ping", "-c", "3", "-i", "0.2", "-W", "2", vip4.Addr().String())
	if got := l.Client.Neighbor(t, vip4.Addr()); got != vmacMAC {
		t.Fatalf("after pinging havip the client has the VIP at %q, want %s", got, vmacMAC)
	}

	// havip as the backup of keepalived: with its device down it hears
	// keepalived's adverts from the virtual MAC on eth0 and follows them.
	hv.Stop(t)
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	hv = startHavip(t, l.Nodes[0], instanceConf{Priority: 100, VIPs: []string{vip4.String()}, Extra: vmac}.conf())
	hv.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	lab.Eventually(t, electionTimeout, "havip's status to follow keepalived's master 192.0.2.2", func() bool {
		return status(t, hv).Master == "192.0.2.2"
	})
	if got := vmacState(t, l.Nodes[0]); got != "down" {
		t.Errorf("the backup's %s is %q, want down", vmacName, got)
	}
	if hv.State("VI_1") != "BACKUP" {
		t.Errorf("havip at 100 is %s under keepalived at 110, want BACKUP", hv.State("VI_1"))
	}
}

// TestUseVMACBackupDeviceIsDown: two havip nodes with use_vmac: the
// backup's device is down (it sends nothing from the virtual MAC) and comes
// up, with the VIP, when the master goes.
func TestUseVMACBackupDeviceIsDown(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2, Client: true})
	hi, lo := startPair(t, l, instanceConf{Extra: "  use_vmac\n"})
	waitVMAC(t, l.Nodes[0], "up")
	waitVMAC(t, l.Nodes[1], "down")
	if l.Nodes[1].HasAddr(t, vmacName, vip4) {
		t.Fatal("the backup holds the VIP")
	}
	// The master's adverts carry the virtual MAC; the backup's device never
	// sent a frame (its transmit counter), so nothing left it with that MAC.
	adverts := l.Client.Capture(t, "eth0", "vrrp")
	lab.Eventually(t, 5*time.Second, "three adverts on the wire", func() bool {
		return len(lab.DecodeVRRP(t, adverts.Path())) >= 3
	})
	for _, a := range lab.DecodeVRRP(t, adverts.Stop(t)) {
		if a.EthSrc != vmacMAC || a.IPSrc != "192.0.2.1" {
			t.Errorf("advert from %s / %s, want the master 192.0.2.1 at %s", a.EthSrc, a.IPSrc, vmacMAC)
		}
	}
	if sent := vmacTxPackets(t, l.Nodes[1]); sent != 0 {
		t.Errorf("the backup's %s sent %d packets, want none", vmacName, sent)
	}
	hi.Stop(t)
	lo.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitVMAC(t, l.Nodes[1], "up")
	if !l.Nodes[1].HasAddr(t, vmacName, vip4) {
		t.Fatal("the new master's VIP is not on its VMAC")
	}
}

// TestUseVMACInteropIPv6: the same with VRRPv3 over IPv6: the VMAC carries
// 00:00:5e:00:02:VRID and the interface's link-local (the adverts' source),
// and the client reaches the IPv6 VIP at the virtual MAC.
func TestUseVMACInteropIPv6(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2, Client: true})
	const mac6 = "00:00:5e:00:02:33"
	conf := func(prio int) string {
		return instanceConf{Version: 3, Priority: prio, VIPs: []string{vip6.String()}, Extra: "  use_vmac\n"}.conf()
	}
	ka := l.Nodes[1].StartKeepalived(t, conf(110))
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	hv := startHavip(t, l.Nodes[0], conf(120))
	hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
	ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	waitVMAC(t, l.Nodes[0], "up")
	if got := l.Nodes[0].HardwareAddr(t, vmacName); got != mac6 {
		t.Fatalf("%s has MAC %s, want %s", vmacName, got, mac6)
	}
	if !l.Nodes[0].HasAddr(t, vmacName, vip6) {
		t.Fatalf("havip's IPv6 VIP is not on %s", vmacName)
	}
	l.Client.Exec(t, "ping", "-6", "-c", "1", "-W", "2", vip6.Addr().String())
	if got := l.Client.Neighbor(t, vip6.Addr()); got != mac6 {
		t.Fatalf("the client reaches the IPv6 VIP at %q, want %s", got, mac6)
	}
	hv.Stop(t)
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitVMAC(t, l.Nodes[0], "")
}

// TestUseVMACReload: a reload that changes a MASTER's priority and adds a
// VIP keeps its VMAC up with the VIPs on it, and no transition.
func TestUseVMACReload(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	conf := instanceConf{Priority: 150, VIPs: []string{vipA.String()}, Extra: "  use_vmac\n"}
	sup := startSupervise(t, l.Nodes[0], conf.conf())
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitVMAC(t, l.Nodes[0], "up")
	before := sup.transitions("VI_1")

	conf.Priority, conf.VIPs = 160, append(conf.VIPs, vipAdded.String())
	sup.edit(t, conf.conf())
	sup.waitLog(t, "config applied", "changed=1", reloadTimeout)
	lab.Eventually(t, reloadTimeout, "both VIPs on "+vmacName, func() bool {
		return l.Nodes[0].HasAddr(t, vmacName, vipA) && l.Nodes[0].HasAddr(t, vmacName, vipAdded)
	})
	if got := vmacState(t, l.Nodes[0]); got != "up" {
		t.Errorf("%s is %q after the reload, want up", vmacName, got)
	}
	if after := sup.transitions("VI_1"); after != before {
		t.Errorf("VI_1 logged %d transitions during the reload, want none", after-before)
	}
}
