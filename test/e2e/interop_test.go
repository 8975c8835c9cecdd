package e2e

import (
	"net/netip"
	"testing"

	"github.com/havip/havip/test/lab"
)

// interopVariant is one way two VRRP speakers can be configured to talk.
type interopVariant struct {
	name string
	ipv6 bool
	conf func(l *lab.Lab, self, peer int, priority int) instanceConf
}

var vip6 = netip.MustParsePrefix("2001:db8::100/64")

var interopVariants = []interopVariant{
	{name: "v2 multicast PASS auth", conf: func(_ *lab.Lab, _, _ int, prio int) instanceConf {
		return instanceConf{Version: 2, Priority: prio, AuthPass: "s3cret", VIPs: []string{vip4.String()}}
	}},
	{name: "v2 multicast AH auth", conf: func(_ *lab.Lab, _, _ int, prio int) instanceConf {
		return instanceConf{Version: 2, Priority: prio, AuthType: "AH", AuthPass: "s3cret", VIPs: []string{vip4.String()}}
	}},
	{name: "v2 unicast AH auth", conf: func(l *lab.Lab, self, peer int, prio int) instanceConf {
		return instanceConf{Version: 2, Priority: prio, AuthType: "AH", AuthPass: "s3cret", VIPs: []string{vip4.String()},
			UnicastSrc: l.Nodes[self].IPv4.String(), UnicastPeers: []string{l.Nodes[peer].IPv4.String()}}
	}},
	{name: "v3 IPv4 multicast", conf: func(_ *lab.Lab, _, _ int, prio int) instanceConf {
		return instanceConf{Version: 3, Priority: prio, VIPs: []string{vip4.String()}}
	}},
	{name: "v3 IPv6 multicast", ipv6: true, conf: func(_ *lab.Lab, _, _ int, prio int) instanceConf {
		return instanceConf{Version: 3, Priority: prio, VIPs: []string{vip6.String()}}
	}},
	{name: "v2 unicast", conf: func(l *lab.Lab, self, peer int, prio int) instanceConf {
		return instanceConf{Version: 2, Priority: prio, VIPs: []string{vip4.String()},
			UnicastSrc: l.Nodes[self].IPv4.String(), UnicastPeers: []string{l.Nodes[peer].IPv4.String()}}
	}},
	{name: "v3 IPv4 unicast", conf: func(l *lab.Lab, self, peer int, prio int) instanceConf {
		return instanceConf{Version: 3, Priority: prio, AdvertInt: "0.5", VIPs: []string{vip4.String()},
			UnicastSrc: l.Nodes[self].IPv4.String(), UnicastPeers: []string{l.Nodes[peer].IPv4.String()}}
	}},
}

// TestInteropWithKeepalived runs havip and keepalived 2.2.7 on one segment,
// in both roles and every variant: the higher priority is elected, the VIP
// sits on it only, and a graceful stop of the master hands the VIP over.
// Then the stopped speaker comes back and preempts again.
func TestInteropWithKeepalived(t *testing.T) {
	t.Parallel()
	for _, v := range interopVariants {
		for _, havipMaster := range []bool{true, false} {
			name := v.name + "/keepalived master"
			if havipMaster {
				name = v.name + "/havip master"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				l := lab.New(t, lab.Options{Nodes: 2})
				vip := vip4
				if v.ipv6 {
					vip = vip6
				}
				const hiPrio, loPrio = 120, 110
				// Node 0 runs havip, node 1 keepalived.
				havipPrio, kaPrio := loPrio, hiPrio
				if havipMaster {
					havipPrio, kaPrio = hiPrio, loPrio
				}
				ka := l.Nodes[1].StartKeepalived(t, v.conf(l, 1, 0, kaPrio).conf())
				hv := startHavip(t, l.Nodes[0], v.conf(l, 0, 1, havipPrio).conf())

				waitRoles := func() {
					t.Helper()
					if havipMaster {
						hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
						ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
					} else {
						ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
						hv.WaitState(t, "VI_1", "BACKUP", electionTimeout)
					}
					master, backup := l.Nodes[0], l.Nodes[1]
					if !havipMaster {
						master, backup = backup, master
					}
					lab.Eventually(t, electionTimeout, "the VIP on the master only", func() bool {
						return master.HasAddr(t, "eth0", vip) && !backup.HasAddr(t, "eth0", vip)
					})
				}
				waitRoles()

				// Graceful stop of the master: the other takes over.
				if havipMaster {
					hv.Stop(t)
					ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
					lab.Eventually(t, electionTimeout, "keepalived to hold the VIP", func() bool { return l.Nodes[1].HasAddr(t, "eth0", vip) })
					if l.Nodes[0].HasAddr(t, "eth0", vip) {
						t.Error("stopped havip still holds the VIP")
					}
					// havip returns with the higher priority and preempts keepalived.
					hv = startHavip(t, l.Nodes[0], v.conf(l, 0, 1, havipPrio).conf())
				} else {
					ka.Stop(t)
					hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
					lab.Eventually(t, electionTimeout, "havip to hold the VIP", func() bool { return l.Nodes[0].HasAddr(t, "eth0", vip) })
					ka = l.Nodes[1].StartKeepalived(t, v.conf(l, 1, 0, kaPrio).conf())
				}
				waitRoles()
			})
		}
	}
}
