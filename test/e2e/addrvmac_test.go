package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// addrVMACDev is a per-address VMAC a test expects: its name, MAC and the address on it.
type addrVMACDev struct {
	name, mac string
	addr      netip.Prefix
}

// linkDetail is what `ip -d -j link show` says of a device.
type linkDetail struct {
	Name     string   `json:"ifname"`
	Link     string   `json:"link"` // the parent
	Address  string   `json:"address"`
	Flags    []string `json:"flags"`
	LinkInfo struct {
		Kind string `json:"info_kind"`
		Data struct {
			Mode string `json:"mode"`
		} `json:"info_data"`
	} `json:"linkinfo"`
}

// deviceOf returns node's device name, or false when it has none.
func deviceOf(t *testing.T, n *lab.Node, name string) (linkDetail, bool) {
	t.Helper()
	out, err := n.Try("ip", "-d", "-j", "link", "show", "dev", name)
	if err != nil {
		return linkDetail{}, false
	}
	var links []linkDetail
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		t.Fatalf("decoding ip -d -j link show dev %s in %s (%v):\n%s", name, n.NS, err, out)
	}
	return links[0], true
}

// checkAddrVMAC fails unless node's device d is a private-mode macvlan on eth1 with d's MAC,
// administratively up or down as wanted.
func checkAddrVMAC(t *testing.T, who string, n *lab.Node, d addrVMACDev, up bool) {
	t.Helper()
	got, ok := deviceOf(t, n, d.name)
	if !ok {
		t.Fatalf("%s: no %s", who, d.name)
	}
	isUp := false
	for _, f := range got.Flags {
		isUp = isUp || f == "UP"
	}
	if got.Link != "eth1" || got.LinkInfo.Kind != "macvlan" || got.LinkInfo.Data.Mode != "private" || got.Address != d.mac || isUp != up {
		t.Fatalf("%s: %s is %+v; want a macvlan in mode private on eth1 with MAC %s, up %v", who, d.name, got, d.mac, up)
	}
}

// fdbPort is the port of the client's bridge br1 that has learnt mac, "" if none.
func fdbPort(t *testing.T, client *lab.Node, mac string) string {
	t.Helper()
	var entries []struct {
		MAC    string `json:"mac"`
		Ifname string `json:"ifname"`
		Master string `json:"master"`
	}
	out := client.Exec(t, "bridge", "-j", "fdb", "show", "br", "br1")
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("decoding bridge -j fdb show (%v):\n%s", err, out)
	}
	for _, e := range entries {
		if e.MAC == mac && e.Master == "br1" {
			return e.Ifname
		}
	}
	return ""
}

// secondSegment joins each node's new eth1 (198.51.100.N/24) to a bridge br1 in the client's
// namespace (198.51.100.250/24), through port sI for node I, and waits until IPv6 duplicate
// address detection on every eth1 is over.
func secondSegment(t *testing.T, l *lab.Lab) {
	t.Helper()
	c := l.Client
	c.Exec(t, "ip", "link", "add", "br1", "type", "bridge", "mcast_snooping", "0")
	c.Exec(t, "ip", "addr", "add", "198.51.100.250/24", "dev", "br1")
	c.Exec(t, "ip", "link", "set", "br1", "up")
	for i, n := range l.Nodes {
		port := fmt.Sprintf("s%d", i)
		c.Exec(t, "ip", "link", "add", port, "type", "veth", "peer", "name", "eth1", "netns", n.NS)
		c.Exec(t, "ip", "link", "set", port, "master", "br1", "up")
		n.Exec(t, "ip", "addr", "add", fmt.Sprintf("198.51.100.%d/24", i+1), "dev", "eth1")
		n.Exec(t, "ip", "link", "set", "eth1", "up")
	}
	for _, n := range l.Nodes {
		lab.Eventually(t, 10*time.Second, n.NS+"'s eth1 link-local out of DAD", func() bool {
			out := n.Exec(t, "ip", "-6", "addr", "show", "dev", "eth1", "scope", "link")
			return strings.Contains(out, "fe80::") && !strings.Contains(out, "tentative")
		})
	}
}

// announcedFrom reports whether the capture has, after since (Unix seconds), a gratuitous ARP
// (IPv4) or unsolicited NA (IPv6) for d's address sent from d's MAC and naming it.
func announcedFrom(t *testing.T, pcap string, d addrVMACDev, since float64) bool {
	t.Helper()
	if d.addr.Addr().Is4() {
		for _, a := range lab.DecodeARP(t, pcap) {
			if a.Time > since && a.Gratuitous && a.SenderIP == d.addr.Addr().String() && a.EthSrc == d.mac && a.SenderMAC == d.mac {
				return true
			}
		}
		return false
	}
	for _, na := range lab.DecodeNA(t, pcap) {
		if na.Time > since && na.Target == d.addr.Addr().String() && na.EthSrc == d.mac && na.TargetLLAddr == d.mac {
			return true
		}
	}
	return false
}

// TestAddrVMACInterop: per-address VMACs, keepalived 2.2.7 first, then havip on the same config
// beside it. An instance on eth0 has a VIP on a second segment (eth1, bridged in the client's
// namespace, where the test captures): with `dev eth1 use_vmac` (and an IPv6 eVIP likewise), or
// through the instance's use_vmac_addr. Each node gets a private-mode macvlan on eth1 named as
// keepalived names it, with the VRRP virtual MAC of the address's family; the master holds the
// address on it and announces it from that MAC, so a takeover moves the MAC between the
// bridge's ports while the client's neighbour entry keeps it. keepalived keeps its device up as
// a backup; havip keeps its down unless MASTER. Both delete theirs at exit.
func TestAddrVMACInterop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		vips  []string
		extra string
		devs  []addrVMACDev
	}{
		{"use_vmac on the addresses",
			[]string{vip4.String(), "198.51.100.100/24 dev eth1 use_vmac"},
			"  virtual_ipaddress_excluded {\n    2001:db8:1::100/64 dev eth1 use_vmac\n  }\n",
			[]addrVMACDev{
				{"vrrp.51", "00:00:5e:00:01:33", netip.MustParsePrefix("198.51.100.100/24")},
				{"vrrp6.51", "00:00:5e:00:02:33", netip.MustParsePrefix("2001:db8:1::100/64")},
			}},
		// The instance's own VMAC is vrrp.51 (on eth0), so the address's is vrrp1.51.
		{"use_vmac_addr",
			[]string{vip4.String(), "198.51.100.100/24 dev eth1"},
			"  use_vmac\n  use_vmac_addr\n",
			[]addrVMACDev{{"vrrp1.51", "00:00:5e:00:01:33", netip.MustParsePrefix("198.51.100.100/24")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := lab.New(t, lab.Options{Nodes: 2, Client: true})
			secondSegment(t, l)
			hvNode, kaNode := l.Nodes[0], l.Nodes[1]
			conf := func(prio int) string {
				return instanceConf{Priority: prio, VIPs: tt.vips, Extra: tt.extra}.conf()
			}
			capture := l.Client.Capture(t, "br1", "arp or icmp6")
			unix := func() float64 { return float64(time.Now().UnixNano()) / 1e9 }

			// keepalived alone: MASTER, its devices up with the addresses on them, announced
			// from the virtual MACs.
			ka := kaNode.StartKeepalived(t, conf(150))
			ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
			for _, d := range tt.devs {
				lab.Eventually(t, 5*time.Second, "keepalived's "+d.addr.String()+" on "+d.name, func() bool { return kaNode.HasAddr(t, d.name, d.addr) })
				checkAddrVMAC(t, "keepalived as master", kaNode, d, true)
				lab.Eventually(t, 5*time.Second, "keepalived's announcement of "+d.addr.String()+" from "+d.mac, func() bool {
					return announcedFrom(t, capture.Path(), d, 0)
				})
				if port := fdbPort(t, l.Client, d.mac); port != "s1" {
					t.Fatalf("keepalived as master: br1 has %s on %q, want s1", d.mac, port)
				}
			}
			// keepalived 2.2.7 answers the ping from eth1 and, resolving the client there, gives
			// the VIP as its ARP sender address (it leaves eth1's arp_announce at 0), which
			// moves the client's entry to eth1's MAC; havip sets arp_announce=2 (below).
			l.Client.Exec(t, "ping", "-c", "1", "-W", "2", "198.51.100.100")
			if got, eth1 := l.Client.Neighbor(t, netip.MustParseAddr("198.51.100.100")), kaNode.HardwareAddr(t, "eth1"); got != eth1 {
				t.Fatalf("the client reaches keepalived's 198.51.100.100 at %q, want keepalived's eth1 %s", got, eth1)
			}

			// havip at a higher priority takes over: the addresses move to its devices, its
			// announcements from the virtual MACs move them to its port of br1, and
			// keepalived's devices stay up without the addresses.
			since := unix()
			hv := startHavip(t, hvNode, conf(200))
			hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
			ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
			for _, d := range tt.devs {
				lab.Eventually(t, 5*time.Second, "havip's "+d.addr.String()+" on "+d.name, func() bool { return hvNode.HasAddr(t, d.name, d.addr) })
				checkAddrVMAC(t, "havip as master", hvNode, d, true)
				lab.Eventually(t, 5*time.Second, "keepalived as backup without "+d.addr.String(), func() bool { return !kaNode.HasAddr(t, d.name, d.addr) })
				checkAddrVMAC(t, "keepalived as backup", kaNode, d, true)
				lab.Eventually(t, 5*time.Second, "havip's announcement of "+d.addr.String()+" from "+d.mac, func() bool {
					return announcedFrom(t, capture.Path(), d, since)
				})
				lab.Eventually(t, 5*time.Second, "br1 to learn "+d.mac+" on havip's port s0", func() bool { return fdbPort(t, l.Client, d.mac) == "s0" })
			}
			l.Client.Exec(t, "ping", "-c", "1", "-W", "2", "198.51.100.100")
			if got := l.Client.Neighbor(t, netip.MustParseAddr("198.51.100.100")); got != tt.devs[0].mac {
				t.Fatalf("the client reaches havip's 198.51.100.100 at %q, want %s", got, tt.devs[0].mac)
			}
			if out := hv.proc.Output(); strings.Contains(out, "not supported") || strings.Contains(out, "level=ERROR") {
				t.Fatalf("havip's log:\n%s", out)
			}

			// havip stops: keepalived takes the addresses back, and havip's devices are gone.
			since = unix()
			hv.Stop(t)
			ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
			for _, d := range tt.devs {
				if _, ok := deviceOf(t, hvNode, d.name); ok {
					t.Fatalf("havip left %s after it stopped", d.name)
				}
				lab.Eventually(t, 5*time.Second, "keepalived's "+d.addr.String()+" back on "+d.name, func() bool { return kaNode.HasAddr(t, d.name, d.addr) })
				lab.Eventually(t, 10*time.Second, "keepalived's announcement of "+d.addr.String()+" after the takeover", func() bool {
					return announcedFrom(t, capture.Path(), d, since)
				})
				lab.Eventually(t, 5*time.Second, "br1 to learn "+d.mac+" on keepalived's port s1", func() bool { return fdbPort(t, l.Client, d.mac) == "s1" })
			}

			// havip as keepalived's backup: its devices exist, down, without the addresses.
			hv = startHavip(t, hvNode, conf(100))
			hv.WaitState(t, "VI_1", "BACKUP", electionTimeout)
			for _, d := range tt.devs {
				checkAddrVMAC(t, "havip as backup", hvNode, d, false)
				if hvNode.HasAddr(t, d.name, d.addr) {
					t.Fatalf("havip as backup has %s on %s", d.addr, d.name)
				}
			}
			hv.Stop(t)
			ka.Stop(t)
			for _, d := range tt.devs {
				for who, n := range map[string]*lab.Node{"havip": hvNode, "keepalived": kaNode} {
					if _, ok := deviceOf(t, n, d.name); ok {
						t.Errorf("%s left %s after it stopped", who, d.name)
					}
				}
			}
			capture.Stop(t)
		})
	}
}
