package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/test/lab"
)

// strictConf is a vrrp_strict instance (so no_accept) holding vip4; the
// nftables keyword makes keepalived use nftables as havip does.
func strictConf(priority int) string {
	return strictConfVIPs(priority, vip4.String())
}

// strictConfVIPs is strictConf with other VIPs.
func strictConfVIPs(priority int, vips ...string) string {
	return fmt.Sprintf(`global_defs {
  vrrp_strict
  nftables
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority %d
  advert_int 1
  virtual_ipaddress {
    %s
  }
}
`, priority, strings.Join(vips, "\n    "))
}

// nftList returns `nft list table FAMILY NAME` in node, "" when there is
// no such table.
func nftList(node *lab.Node, family, name string) string {
	out, err := node.Try("nft", "list", "table", family, name)
	if err != nil {
		return ""
	}
	return out
}

// TestNoAcceptDropsVIPTraffic: a vrrp_strict (no_accept) master holds the
// VIP but drops a client's packets to it, while VRRP flows: the backup
// hears the adverts and stays BACKUP. keepalived 2.2.7 does the same with
// the same config, in its own table (ip keepalived). havip's table is gone
// once it has stopped.
func TestNoAcceptDropsVIPTraffic(t *testing.T) {
	t.Parallel()
	testenv.RequireCommand(t, "nft", "nftables")
	// vrrp_strict wants a link-local first VIP for IPv6 (RFC 5798).
	conf4 := func(prio int) string { return strictConf(prio) }
	conf6 := func(prio int) string { return strictConfVIPs(prio, "fe80::100/64", vip6.String()) }
	for _, impl := range []struct {
		name, family, table string
		vip                 netip.Prefix
		conf                func(priority int) string
	}{
		{"havip/IPv4", "inet", "havip", vip4, conf4},
		{"keepalived/IPv4", "ip", "keepalived", vip4, conf4},
		{"havip/IPv6", "inet", "havip", vip6, conf6},
		{"keepalived/IPv6", "ip6", "keepalived", vip6, conf6},
	} {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			l := lab.New(t, lab.Options{Nodes: 2, Client: true})
			master := l.Nodes[0]
			backup := startHavip(t, l.Nodes[1], impl.conf(100))
			name, _, _ := strings.Cut(impl.name, "/")
			d := &daemon{name: name, node: master}
			d.startMaster(t, impl.conf(150))
			backup.WaitState(t, "VI_1", "BACKUP", electionTimeout)
			lab.Eventually(t, electionTimeout, "the VIP in the master's drop set", func() bool {
				return strings.Contains(nftList(master, impl.family, impl.table), impl.vip.Addr().String())
			})
			t.Logf("%s master's table:\n%s", impl.name, nftList(master, impl.family, impl.table))
			if !master.HasAddr(t, "eth0", impl.vip) {
				t.Fatal("the master does not hold the VIP")
			}
			// The master's own address answers; the VIP does not.
			own := master.IPv4
			if impl.vip.Addr().Is6() {
				own = master.IPv6
			}
			l.Client.Exec(t, "ping", "-c", "1", "-W", "2", own.String())
			if out, err := l.Client.Try("ping", "-c", "3", "-i", "0.2", "-W", "1", impl.vip.Addr().String()); err == nil {
				t.Fatalf("the client reached the VIP of a no_accept master:\n%s", out)
			}
			// VRRP flows: the backup (master down interval about 3.6 s) keeps
			// hearing the master.
			holdsFor(t, 4*time.Second, "the backup to stay BACKUP", func() bool { return backup.State("VI_1") == "BACKUP" })
			d.Stop(t)
			if impl.family == "inet" {
				if tables, _ := master.Try("nft", "list", "tables"); strings.Contains(tables, "havip") {
					t.Errorf("havip's table outlived havip:\n%s", tables)
				}
			}
		})
	}
}

// TestFirewallTableReplacedAfterCrash: a no_accept master killed with
// SIGKILL leaves its table with the VIP in the drop set; the next start
// replaces it with an empty one before any election, and a havip whose
// instances all accept traffic removes it.
func TestFirewallTableReplacedAfterCrash(t *testing.T) {
	t.Parallel()
	testenv.RequireCommand(t, "nft", "nftables")
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	crash := func() {
		t.Helper()
		h := startHavip(t, node, strictConf(150))
		h.WaitState(t, "VI_1", "MASTER", electionTimeout)
		lab.Eventually(t, electionTimeout, "the VIP in the drop set", func() bool {
			return strings.Contains(nftList(node, "inet", "havip"), vip4.Addr().String())
		})
		if err := h.proc.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := h.proc.Wait(5 * time.Second); err == nil {
			t.Fatal("havip exited cleanly after SIGKILL")
		}
		if !strings.Contains(nftList(node, "inet", "havip"), vip4.Addr().String()) {
			t.Fatal("the killed havip's table is not left behind; the test cannot show its replacement")
		}
	}

	crash()
	restarted := startHavip(t, node, strictConf(150))
	// Between Run start and the master down timer (about 3.6 s) the table
	// is there, empty.
	lab.Eventually(t, electionTimeout, "an empty havip table before the election", func() bool {
		table := nftList(node, "inet", "havip")
		return restarted.State("VI_1") != "MASTER" && strings.Contains(table, "set vips4") && !strings.Contains(table, vip4.Addr().String())
	})
	restarted.WaitState(t, "VI_1", "MASTER", electionTimeout)
	restarted.Stop(t)

	crash()
	accepting := startHavip(t, node, instanceConf{Priority: 150, VIPs: []string{vip4.String()}}.conf())
	lab.Eventually(t, electionTimeout, "the stale table removed", func() bool {
		tables, err := node.Try("nft", "list", "tables")
		return err == nil && !strings.Contains(tables, "havip")
	})
	accepting.WaitState(t, "VI_1", "MASTER", electionTimeout)
	accepting.Stop(t)
}

// TestVRRPAcceptChain: a host firewall that drops everything on input
// hides the master's adverts, so the backup takes over as well; with
// --vrrp-accept-chain INPUT havip accepts VRRP at the head of that chain
// (iptables' filter INPUT, as OPENSHIFT_HA_IPTABLES_CHAIN names it) — and
// IPsec-AH too when an instance uses auth_type AH — and the backup stays
// BACKUP; the rules are gone once havip has stopped.
func TestVRRPAcceptChain(t *testing.T) {
	t.Parallel()
	testenv.RequireCommand(t, "nft", "nftables")
	for _, auth := range []string{"", "AH"} {
		t.Run("auth "+auth, func(t *testing.T) {
			t.Parallel()
			l := lab.New(t, lab.Options{Nodes: 2})
			node := l.Nodes[1]
			node.Exec(t, "nft", "add table ip filter")
			node.Exec(t, "nft", "add chain ip filter INPUT { type filter hook input priority filter; policy drop; }")
			conf := func(prio int) string {
				c := instanceConf{Priority: prio, VIPs: []string{vip4.String()}}
				if auth != "" {
					c.AuthType, c.AuthPass = auth, "s3cret"
				}
				return c.conf()
			}
			master := startHavip(t, l.Nodes[0], conf(150))
			master.WaitState(t, "VI_1", "MASTER", electionTimeout)

			blind := startHavip(t, node, conf(100))
			blind.WaitState(t, "VI_1", "MASTER", electionTimeout)
			blind.Stop(t)

			backup := startHavip(t, node, conf(100), "--vrrp-accept-chain", "INPUT")
			backup.WaitState(t, "VI_1", "BACKUP", electionTimeout)
			chain := node.Exec(t, "nft", "list", "chain", "ip", "filter", "INPUT")
			t.Logf("the backup's host chain:\n%s", chain)
			want := []string{`meta l4proto vrrp accept comment "havip: accept VRRP"`}
			if auth == "AH" {
				want = append(want, `meta l4proto ah accept comment "havip: accept VRRP"`)
			}
			for _, w := range want {
				if !strings.Contains(chain, w) {
					t.Fatalf("no %q in the host chain:\n%s", w, chain)
				}
			}
			holdsFor(t, 4*time.Second, "the backup to stay BACKUP", func() bool { return backup.State("VI_1") == "BACKUP" })
			backup.Stop(t)
			if chain := node.Exec(t, "nft", "list", "chain", "ip", "filter", "INPUT"); strings.Contains(chain, "havip") {
				t.Errorf("havip's accept rules outlived havip:\n%s", chain)
			}
		})
	}
}
