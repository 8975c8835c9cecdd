package e2e

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/runtime/vrrp"
	"github.com/havip/havip/test/lab"
)

// checksumIn returns the checksum of p re-encoded in form, and the checksum
// tshark read on the wire.
func checksumIn(t *testing.T, p lab.VRRPPacket, form vrrp.ChecksumForm) (want, got uint64) {
	t.Helper()
	a := vrrp.Advert{Version: uint8(p.Version), VRID: uint8(p.VRID), Priority: uint8(p.Priority), AdverInt: uint16(p.AdverInt)}
	for _, s := range p.Addrs {
		a.Addrs = append(a.Addrs, netip.MustParseAddr(s))
	}
	b, err := a.Append(nil, netip.MustParseAddr(p.IPSrc), netip.MustParseAddr(p.IPDst), form)
	if err != nil {
		t.Fatal(err)
	}
	got, err = strconv.ParseUint(p.Checksum, 0, 16)
	if err != nil {
		t.Fatalf("tshark's checksum %q: %v", p.Checksum, err)
	}
	return uint64(binary.BigEndian.Uint16(b[6:8])), got
}

// TestOldUnicastChecksum runs a unicast VRRPv3 pair with old_unicast_checksum
// on both sides: keepalived 2.2.7 at priority 100, started first, and a
// higher-priority router — keepalived (the reference), then havip — that
// takes over. keepalived's behaviour, which havip matches: both send their
// adverts with the checksum of keepalived before 1.3.6 (the pseudo-header
// names 224.0.0.18, so tshark, which uses the unicast destination, calls it
// bad), each accepts the other's (keepalived in this mode checks that form
// only), the higher priority becomes MASTER and the other BACKUP. havip's
// port counters file keepalived's adverts under the legacy form.
func TestOldUnicastChecksum(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	n0, n1 := l.Nodes[0], l.Nodes[1]
	conf := func(self, other *lab.Node, prio int) string {
		return instanceConf{Version: 3, Priority: prio, VIPs: []string{vip4.String()}, UnicastSrc: self.IPv4.String(),
			UnicastPeers: []string{other.IPv4.String()}, Extra: "  old_unicast_checksum\n"}.conf()
	}
	high, low := conf(n0, n1, 150), conf(n1, n0, 100)

	runBoth(t, n0, func(t *testing.T, d *daemon) {
		c := n1.Capture(t, "eth0", "ip proto 112")
		ka := n1.StartKeepalived(t, low)
		ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
		d.startMaster(t, high)
		if d.hv != nil {
			var legacy uint64
			for _, p := range d.hv.snapshot(t).Ports {
				legacy += p.Checksums[vrrp.ChecksumLegacyUnicast.String()]
			}
			if legacy == 0 {
				t.Errorf("havip's port counters %+v: no advert under %s", d.hv.snapshot(t).Ports, vrrp.ChecksumLegacyUnicast)
			}
		}
		ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
		lab.Eventually(t, electionTimeout, d.name+"'s third advert as MASTER", func() bool {
			n := 0
			for _, p := range lab.DecodeVRRP(t, c.Path()) {
				if p.IPSrc == n0.IPv4.String() && p.Priority == 150 {
					n++
				}
			}
			return n >= 3
		})
		if got := ka.State("VI_1"); got != "BACKUP" || strings.Contains(ka.Log(), "checksum") {
			t.Fatalf("%s: keepalived in %s; log:\n%s", d.name, got, ka.Log())
		}
		d.Stop(t)
		ka.Stop(t)
		pcap := c.Stop(t)
		bySrc := map[string]int{}
		for i, p := range lab.DecodeVRRP(t, pcap) {
			if p.Priority == 0 {
				continue
			}
			legacy, got := checksumIn(t, p, vrrp.ChecksumLegacyUnicast)
			standard, _ := checksumIn(t, p, vrrp.ChecksumRFC5798)
			if got != legacy || p.ChecksumGood || legacy == standard {
				t.Errorf("%s: advert %d from %s to %s: checksum %#04x (tshark good %v), want the old form %#04x, not %#04x",
					d.name, i, p.IPSrc, p.IPDst, got, p.ChecksumGood, legacy, standard)
			}
			bySrc[p.IPSrc]++
		}
		if bySrc[n0.IPv4.String()] == 0 || bySrc[n1.IPv4.String()] == 0 {
			t.Fatalf("%s: adverts by source %v, want both routers'", d.name, bySrc)
		}
		t.Logf("%s: adverts with the old checksum by source: %v", d.name, bySrc)
	})
}

// TestGARPExtraIf runs a lone master with one VIP on eth0 and one on a second
// interface, eth1, with vrrp_garp_extra_if all 2 (garp_master_repeat 1, no
// second burst), first keepalived 2.2.7 (the reference), then havip,
// capturing eth1 until four gratuitous ARPs. keepalived's behaviour, which
// havip matches: the VIP of eth1 is announced on eth1 at master entry, then
// again every 2 s (keepalived looks at its timer when it sends an advert, so
// its period is rounded up to an advert: 2 or 3 s; havip's is 2 s), and
// nothing else is announced on eth1.
func TestGARPExtraIf(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n0 := l.Nodes[0]
	n0.AddLink(t, "eth1")
	const extra = "198.51.100.10"
	conf := "global_defs {\n  vrrp_garp_extra_if all 2\n}\n" + instanceConf{Priority: 100, VIPs: []string{vip4.String(), extra + "/32 dev eth1"},
		Extra: "  garp_master_repeat 1\n  garp_master_delay 0\n"}.conf()

	runBoth(t, n0, func(t *testing.T, d *daemon) {
		c := n0.Capture(t, "eth1", "arp")
		d.startMaster(t, conf)
		var garps []lab.ARPPacket
		lab.Eventually(t, 4*electionTimeout, d.name+"'s fourth gratuitous ARP on eth1", func() bool {
			garps = garps[:0]
			for _, a := range lab.DecodeARP(t, c.Path()) {
				if a.Gratuitous {
					garps = append(garps, a)
				}
			}
			return len(garps) >= 4
		})
		d.Stop(t)
		c.Stop(t)
		var gaps []string
		for i, g := range garps[:4] {
			if g.SenderIP != extra {
				t.Errorf("%s: gratuitous ARP %d on eth1 for %s, want %s only", d.name, i, g.SenderIP, extra)
			}
			if i == 0 {
				continue
			}
			gap := time.Duration((g.Time - garps[i-1].Time) * float64(time.Second))
			if gap < 2*time.Second-50*time.Millisecond || gap > 3*time.Second+200*time.Millisecond {
				t.Errorf("%s: gratuitous ARP %d came %v after the one before, want 2 s (keepalived: up to the next advert)", d.name, i, gap)
			}
			gaps = append(gaps, gap.Round(10*time.Millisecond).String())
		}
		t.Logf("%s: gratuitous ARPs for %s on eth1, gaps %v", d.name, extra, gaps)
	})
}

// TestFIFOWriteStatesOnReload runs a sync group G of VI_1 (MASTER) and an
// instance VI_2 in FAULT (unicast_fault_no_peer) with
// fifo_write_vrrp_states_on_reload and a notify_fifo reader, reloads with
// SIGHUP, first keepalived 2.2.7 (the reference), then havip. keepalived's
// behaviour, which havip matches: the reload writes the group's state and
// the FAULT instance's to the FIFO again, not the MASTER instance's. havip
// runs no notify script at the reload; keepalived runs VI_2's again (its
// FAULT is a config fault, which a reload finds again), which is printed.
func TestFIFOWriteStatesOnReload(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n0 := l.Nodes[0]
	want := "GROUP \"G\" MASTER 0\nINSTANCE \"VI_2\" FAULT 90\n"

	runBoth(t, n0, func(t *testing.T, d *daemon) {
		dir := t.TempDir()
		fifoLog, reader, notified := filepath.Join(dir, "fifo.log"), filepath.Join(dir, "reader.sh"), filepath.Join(dir, "notified")
		writeExecutable(t, reader, fmt.Sprintf("#!/bin/sh\nwhile IFS= read -r line; do printf '%%s\\n' \"$line\" >> %s; done < \"$1\"\n", fifoLog))
		notify := filepath.Join(dir, "notify.sh")
		writeExecutable(t, notify, fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %s\n", notified))
		conf := fmt.Sprintf("global_defs {\n  notify_fifo %s\n  notify_fifo_script %s\n  fifo_write_vrrp_states_on_reload\n}\n",
			filepath.Join(dir, "fifo"), reader) +
			fmt.Sprintf("vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  notify %s\n}\n", notify) +
			instanceConf{Priority: 100, VIPs: []string{vip4.String()}, Extra: "  notify " + notify + "\n"}.conf() +
			instanceConf{Name: "VI_2", VRID: 52, Priority: 90, VIPs: []string{"198.51.100.10/32"}, UnicastSrc: n0.IPv4.String(),
				Extra: "  unicast_fault_no_peer\n  notify " + notify + "\n"}.conf()
		d.Start(t, conf)
		lab.Eventually(t, electionTimeout, d.name+"'s FIFO lines for G MASTER and VI_2 FAULT", func() bool {
			s := readFile(fifoLog)
			return strings.Contains(s, `GROUP "G" MASTER 0`) && strings.Contains(s, `INSTANCE "VI_1" MASTER 100`)
		})
		holdsFor(t, time.Second, d.name+" writing nothing more before the reload", func() bool { return true })
		fifoBefore, notifiedBefore := readFile(fifoLog), readFile(notified)
		if err := d.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if d.hv != nil {
			d.hv.waitLog(t, "config applied", "unchanged=2", electionTimeout)
		} else {
			lab.Eventually(t, electionTimeout, "keepalived's reload", func() bool { return strings.Contains(d.Log(), "Reloading") })
		}
		lab.Eventually(t, electionTimeout, d.name+"'s FIFO lines after the reload", func() bool {
			return len(readFile(fifoLog)) >= len(fifoBefore)+len(want)
		})
		holdsFor(t, 2*time.Second, d.name+" writing no other line after the reload", func() bool {
			return len(readFile(fifoLog)) == len(fifoBefore)+len(want)
		})
		if got := strings.TrimPrefix(readFile(fifoLog), fifoBefore); got != want {
			t.Errorf("%s: the reload wrote %q to the FIFO, want %q", d.name, got, want)
		}
		if got := strings.TrimPrefix(readFile(notified), notifiedBefore); got != "" {
			if d.hv != nil {
				t.Errorf("%s: the reload ran notify scripts: %q", d.name, got)
			} else {
				t.Logf("%s: the reload ran the notify scripts %q", d.name, got)
			}
		}
		t.Logf("%s: FIFO before the reload %q, after %q", d.name, fifoBefore, strings.TrimPrefix(readFile(fifoLog), fifoBefore))
		d.Stop(t)
	})
}

// TestStartupShutdownScripts runs a lone master with a startup_script, a
// shutdown_script and a notify script, each appending a line to one file
// (the startup and shutdown scripts whether the VIP is on eth0), first
// keepalived 2.2.7 (the reference), then havip, and stops it. keepalived's
// behaviour, which havip matches: the startup script runs first, before the
// VIP is there and before any notify, the shutdown script last, once the
// VIP is gone.
func TestStartupShutdownScripts(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n0 := l.Nodes[0]
	runBoth(t, n0, func(t *testing.T, d *daemon) {
		dir := t.TempDir()
		log := filepath.Join(dir, "log")
		vipState := fmt.Sprintf("if ip -o addr show dev eth0 | grep -q ' %s '; then echo vip; else echo novip; fi", vip4)
		up, down, notify := filepath.Join(dir, "up.sh"), filepath.Join(dir, "down.sh"), filepath.Join(dir, "notify.sh")
		writeExecutable(t, up, fmt.Sprintf("#!/bin/sh\necho \"startup $# $(%s)\" >> %s\n", vipState, log))
		writeExecutable(t, down, fmt.Sprintf("#!/bin/sh\necho \"shutdown $# $(%s)\" >> %s\n", vipState, log))
		writeExecutable(t, notify, fmt.Sprintf("#!/bin/sh\necho \"notify $3\" >> %s\n", log))
		conf := fmt.Sprintf("global_defs {\n  startup_script %s\n  startup_script_timeout 5\n  shutdown_script %s\n}\n", up, down) +
			instanceConf{Priority: 100, VIPs: []string{vip4.String()}, Extra: "  notify " + notify + "\n"}.conf()
		d.Start(t, conf)
		lab.Eventually(t, electionTimeout, d.name+"'s MASTER notify", func() bool { return strings.Contains(readFile(log), "notify MASTER") })
		d.Stop(t)
		lab.Eventually(t, electionTimeout, d.name+"'s shutdown script", func() bool { return strings.Contains(readFile(log), "shutdown") })
		lines := strings.Split(strings.TrimSpace(readFile(log)), "\n")
		if lines[0] != "startup 0 novip" || lines[len(lines)-1] != "shutdown 0 novip" {
			t.Errorf("%s: the scripts wrote %q; want \"startup 0 novip\" first and \"shutdown 0 novip\" last", d.name, lines)
		}
		t.Logf("%s: %q", d.name, lines)
	})
}
