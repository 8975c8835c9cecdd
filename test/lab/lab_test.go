package lab

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain fails the run if any namespace of this test binary survives the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if os.Geteuid() == 0 {
		if left := ownNamespaces(); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "lab: namespaces left behind after the tests: %v\n", left)
			code = 1
		}
	}
	os.Exit(code)
}

// ownNamespaces lists the namespaces named after this test binary's pid.
func ownNamespaces() []string {
	out, err := runStdout("ip", "netns", "list")
	if err != nil {
		return []string{"(ip netns list failed: " + err.Error() + ")"}
	}
	var own []string
	prefix := fmt.Sprintf("%s%d-", nsPrefix, os.Getpid())
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			own = append(own, f[0])
		}
	}
	return own
}

// nsExists reports whether `ip netns list` shows ns.
func nsExists(t *testing.T, ns string) bool {
	t.Helper()
	out, err := runStdout("ip", "netns", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == ns {
			return true
		}
	}
	return false
}

// processGone reports whether pid no longer runs (absent, or a zombie awaiting its reaper).
func processGone(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// ping sends count echo requests from n to dst, waiting at most a second for each
// reply, and reports whether any came back.
func ping(n *Node, dst netip.Addr, count int) bool {
	_, err := n.Try("ping", "-n", "-q", "-c", strconv.Itoa(count), "-i", "0.2", "-W", "1", dst.String())
	return err == nil
}

func TestNewAddressesAndPing(t *testing.T) {
	l := New(t, Options{Nodes: 2, Client: true})
	wantAddrs := []struct {
		node     *Node
		ip4, ip6 string
	}{
		{l.Nodes[0], "192.0.2.1", "2001:db8::1"},
		{l.Nodes[1], "192.0.2.2", "2001:db8::2"},
		{l.Client, "192.0.2.250", "2001:db8::250"},
	}
	for _, w := range wantAddrs {
		if w.node.Iface != "eth0" {
			t.Errorf("%s: Iface = %q, want eth0", w.node.NS, w.node.Iface)
		}
		if w.node.IPv4.String() != w.ip4 || w.node.IPv6.String() != w.ip6 {
			t.Errorf("%s: addresses %v %v, want %s %s", w.node.NS, w.node.IPv4, w.node.IPv6, w.ip4, w.ip6)
		}
		for _, p := range []netip.Prefix{netip.PrefixFrom(w.node.IPv4, 24), netip.PrefixFrom(w.node.IPv6, 64)} {
			if !w.node.HasAddr(t, "eth0", p) {
				t.Errorf("%s: eth0 lacks %v", w.node.NS, p)
			}
		}
		if w.node.HasAddr(t, "eth0", netip.PrefixFrom(w.node.IPv4, 32)) {
			t.Errorf("%s: HasAddr matched %v/32 although eth0 holds /24", w.node.NS, w.node.IPv4)
		}
		if !w.node.LinkLocal.IsLinkLocalUnicast() || !w.node.HasAddr(t, "eth0", netip.PrefixFrom(w.node.LinkLocal, 64)) {
			t.Errorf("%s: LinkLocal %v is not eth0's fe80::/64 address", w.node.NS, w.node.LinkLocal)
		}
		if out := w.node.Exec(t, "ip", "-6", "addr", "show", "tentative"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: tentative addresses after New:\n%s", w.node.NS, out)
		}
	}
	if l.Nodes[0].NS == l.Nodes[1].NS || l.Nodes[0].NS == l.Client.NS {
		t.Errorf("namespace names are not unique: %s %s %s", l.Nodes[0].NS, l.Nodes[1].NS, l.Client.NS)
	}

	a, b := l.Nodes[0], l.Nodes[1]
	for _, dst := range []netip.Addr{b.IPv4, b.IPv6, b.LinkLocal.WithZone("eth0"), l.Client.IPv4, l.Client.IPv6} {
		if !ping(a, dst, 1) {
			t.Errorf("n1 cannot ping %v", dst)
		}
	}
	if mac := a.Neighbor(t, b.IPv4); mac != b.HardwareAddr(t, "eth0") {
		t.Errorf("n1's neighbour entry for %v = %q, want n2's eth0 MAC %q", b.IPv4, mac, b.HardwareAddr(t, "eth0"))
	}
	if mac := a.Neighbor(t, netip.MustParseAddr("192.0.2.99")); mac != "" {
		t.Errorf("Neighbor of an address never used = %q, want \"\"", mac)
	}
}

func TestDetachAttach(t *testing.T) {
	l := New(t, Options{Nodes: 2})
	a, b := l.Nodes[0], l.Nodes[1]
	if !ping(a, b.IPv4, 1) {
		t.Fatalf("n1 cannot ping n2 before Detach")
	}
	l.Detach(t, b)
	if up, lowerUp := b.LinkState(t, "eth0"); !up || !lowerUp {
		t.Errorf("detached n2 eth0: UP=%v LOWER_UP=%v, want both (silent failure)", up, lowerUp)
	}
	if ping(a, b.IPv4, 2) {
		t.Errorf("n1 still reaches n2 over IPv4 after Detach")
	}
	if ping(a, b.IPv6, 2) {
		t.Errorf("n1 still reaches n2 over IPv6 after Detach")
	}
	l.Attach(t, b)
	Eventually(t, 10*time.Second, "n1 to reach n2 after Attach", func() bool { return ping(a, b.IPv4, 1) })
	if !ping(a, b.IPv6, 1) {
		t.Errorf("n1 cannot ping n2 over IPv6 after Attach")
	}
}

func TestLinksAndCarrier(t *testing.T) {
	l := New(t, Options{Nodes: 1})
	n := l.Nodes[0]
	n.AddLink(t, "eth1")
	if up, lowerUp := n.LinkState(t, "eth1"); !up || !lowerUp {
		t.Fatalf("new eth1: UP=%v LOWER_UP=%v, want both", up, lowerUp)
	}
	n.SetPeerLink(t, "eth1", false)
	Eventually(t, 5*time.Second, "eth1 to lose carrier", func() bool {
		up, lowerUp := n.LinkState(t, "eth1")
		return up && !lowerUp
	})
	n.SetPeerLink(t, "eth1", true)
	Eventually(t, 5*time.Second, "eth1 to regain carrier", func() bool {
		_, lowerUp := n.LinkState(t, "eth1")
		return lowerUp
	})
	n.SetLink(t, "eth0", false)
	if up, _ := n.LinkState(t, "eth0"); up {
		t.Errorf("eth0 still UP after SetLink(false)")
	}
	n.SetLink(t, "eth0", true)
	Eventually(t, 5*time.Second, "eth0 up with carrier", func() bool {
		up, lowerUp := n.LinkState(t, "eth0")
		return up && lowerUp
	})
}

func TestNewHostKeepalivedConfigCheck(t *testing.T) {
	conf := filepathIn(t, "check.conf", `vrrp_instance VI_1 {
  state BACKUP
  interface eth1
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24 dev eth0
  }
}
`)
	both := NewHost(t, "eth0", "eth1")
	if both.Iface != "eth0" || !both.LinkLocal.IsLinkLocalUnicast() {
		t.Errorf("host Iface %q LinkLocal %v, want eth0 and an fe80:: address", both.Iface, both.LinkLocal)
	}
	for _, iface := range []string{"eth0", "eth1"} {
		if up, lowerUp := both.LinkState(t, iface); !up || !lowerUp {
			t.Errorf("host %s: UP=%v LOWER_UP=%v, want both", iface, up, lowerUp)
		}
	}
	if out, err := both.Try("keepalived", "-t", "-n", "-l", "-f", conf); err != nil {
		t.Errorf("keepalived -t with eth0 and eth1 present: %v\n%s", err, out)
	}
	only0 := NewHost(t, "eth0")
	out, err := only0.Try("keepalived", "-t", "-n", "-l", "-f", conf)
	if err == nil || !strings.Contains(out, "interface eth1 for vrrp_instance VI_1 doesn't exist") {
		t.Errorf("keepalived -t without eth1: err=%v, want a failure naming eth1:\n%s", err, out)
	}
	// The host's interfaces are veths: toggling the peer removes carrier.
	both.SetPeerLink(t, "eth1", false)
	Eventually(t, 5*time.Second, "host eth1 to lose carrier", func() bool {
		_, lowerUp := both.LinkState(t, "eth1")
		return !lowerUp
	})
}

func TestNewHostRejectsBadNames(t *testing.T) {
	RequireRoot(t)
	for _, names := range [][]string{{"this-name-is-too-long"}, {"eth0", "eth0"}, {"a/b"}, {"eth0", "hvpeer0"}} {
		ft := &fatalRecorder{TB: t}
		func() {
			defer func() { _ = recover() }()
			NewHost(ft, names...)
		}()
		if ft.fatal == "" {
			t.Errorf("NewHost(%q) did not fail", names)
		}
	}
}

// fatalRecorder records Fatalf instead of failing, then unwinds with a panic so the
// caller stops as it would after a real t.Fatal.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic(f.fatal)
}

func filepathIn(t *testing.T, name, content string) string {
	t.Helper()
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProcess(t *testing.T) {
	n := NewHost(t, "eth0")
	p := n.Start(t, "greeter", "sh", "-c", "echo hello from $(ip -br link show eth0 | cut -d' ' -f1); exec sleep 60")
	Eventually(t, 5*time.Second, "greeter output", func() bool { return strings.Contains(p.Output(), "hello from eth0") })
	if p.Pid() <= 0 {
		t.Errorf("Pid() = %d", p.Pid())
	}
	if err := p.Wait(20 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("Wait on a running process = %v, want a still-running error", err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	if err := p.Wait(5 * time.Second); err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Errorf("Wait after SIGTERM = %v, want the terminated exit error", err)
	}
	ok := n.Start(t, "true", "true")
	if err := ok.Wait(5 * time.Second); err != nil {
		t.Errorf("Wait for `true` = %v, want nil", err)
	}
	if out, err := n.Try("false"); err == nil {
		t.Errorf("Try(false) = %q, nil; want an error", out)
	}
	if out := n.Exec(t, "ip", "-br", "link", "show", "eth0"); !strings.HasPrefix(out, "eth0") {
		t.Errorf("Exec runs outside the namespace? got %q", out)
	}
}

func TestCleanupKillsProcessesAndDeletesNamespaces(t *testing.T) {
	RequireRoot(t)
	var namespaces []string
	var pids []int
	t.Run("lab", func(t *testing.T) {
		l := New(t, Options{Nodes: 1, Client: true})
		namespaces = append(namespaces, l.Nodes[0].NS, l.Client.NS, l.bridgeNS)
		// A process of ours, one with a forked grandchild, and one that escaped to
		// its own session (reachable only through `ip netns pids`).
		pids = append(pids, l.Nodes[0].Start(t, "sleeper", "sleep", "300").Pid())
		pids = append(pids, l.Client.Start(t, "forker", "sh", "-c", "sleep 300 & wait").Pid())
		l.Client.Exec(t, "sh", "-c", "setsid sleep 300 </dev/null >/dev/null 2>&1 &")
		l.Nodes[0].Capture(t, "eth0", "arp")
		Eventually(t, 5*time.Second, "processes in the client namespace", func() bool {
			out, err := runStdout("ip", "netns", "pids", l.Client.NS)
			return err == nil && len(strings.Fields(out)) >= 3
		})
		for _, ns := range namespaces {
			out, err := runStdout("ip", "netns", "pids", ns)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range strings.Fields(out) {
				pid, err := strconv.Atoi(p)
				if err != nil {
					t.Fatalf("ip netns pids %s printed %q", ns, p)
				}
				pids = append(pids, pid)
			}
		}
	})
	for _, ns := range namespaces {
		if nsExists(t, ns) {
			t.Errorf("namespace %s exists after cleanup", ns)
		}
	}
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("process %d still running after cleanup", pid)
		}
	}
}

func TestReapStaleRemovesDeadOwnersOnly(t *testing.T) {
	RequireRoot(t)
	dead := NewHost(t, "eth0").Start(t, "short-lived", "true")
	if err := dead.Wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("%s%d-1-n1", nsPrefix, dead.Pid())
	live := fmt.Sprintf("%s%d-999999-n1", nsPrefix, os.Getppid())
	for _, ns := range []string{stale, live} {
		mustIP(t, "netns", "add", ns)
		t.Cleanup(func() {
			if nsExists(t, ns) {
				removeNamespaces(t, []string{ns})
			}
		})
	}
	reapStale()
	if nsExists(t, stale) {
		t.Errorf("reapStale kept %s although pid %d is gone", stale, dead.Pid())
	}
	if !nsExists(t, live) {
		t.Errorf("reapStale removed %s of the live pid %d", live, os.Getppid())
	}
}

func TestCaptureOfPingDecodes(t *testing.T) {
	l := New(t, Options{Nodes: 2})
	a, b := l.Nodes[0], l.Nodes[1]
	macA, macB := a.HardwareAddr(t, "eth0"), b.HardwareAddr(t, "eth0")
	c := b.Capture(t, "eth0", "arp or icmp or icmp6")
	if !ping(a, b.IPv4, 1) || !ping(a, b.IPv6, 1) {
		t.Fatalf("n1 cannot ping n2")
	}
	pcap := c.Stop(t)

	var request, reply *ARPPacket
	for _, p := range DecodeARP(t, pcap) {
		switch {
		case p.Op == 1 && p.SenderIP == a.IPv4.String() && p.TargetIP == b.IPv4.String():
			request = &p
		case p.Op == 2 && p.SenderIP == b.IPv4.String() && p.TargetIP == a.IPv4.String():
			reply = &p
		}
	}
	if request == nil || request.EthSrc != macA || request.SenderMAC != macA || request.EthDst != "ff:ff:ff:ff:ff:ff" || request.Gratuitous {
		t.Errorf("ARP request n1->n2 = %+v, want broadcast from %s, not gratuitous", request, macA)
	}
	if reply == nil || reply.EthSrc != macB || reply.SenderMAC != macB || reply.TargetMAC != macA || reply.EthDst != macA {
		t.Errorf("ARP reply n2->n1 = %+v, want unicast from %s to %s", reply, macB, macA)
	}
	if request != nil && reply != nil && reply.Time < request.Time {
		t.Errorf("reply time %f before request time %f", reply.Time, request.Time)
	}

	var na *NAPacket
	for _, p := range DecodeNA(t, pcap) {
		if p.Target == b.IPv6.String() {
			na = &p
		}
	}
	want := NAPacket{EthSrc: macB, IPSrc: b.IPv6.String(), IPDst: a.IPv6.String(), HopLimit: 255,
		Target: b.IPv6.String(), TargetLLAddr: macB, Solicited: true, Override: true}
	if na == nil {
		t.Fatalf("no Neighbor Advertisement for %v in the capture", b.IPv6)
	}
	want.Time = na.Time
	if *na != want {
		t.Errorf("solicited NA = %+v\nwant %+v", *na, want)
	}
	if len(DecodeVRRP(t, pcap)) != 0 {
		t.Errorf("DecodeVRRP found adverts in a capture of ping")
	}
}

// TestCaptureStopOnDownLink covers Stop's fallback when the end marker cannot be sent:
// frames captured just before the link went down must still reach the file.
func TestCaptureStopOnDownLink(t *testing.T) {
	l := New(t, Options{Nodes: 1})
	n := l.Nodes[0]
	n.AddLink(t, "eth1")
	n.Exec(t, "ip", "addr", "add", "198.51.100.1/24", "dev", "eth1")
	c := n.Capture(t, "eth1", "arp")
	// Nobody answers on eth1: the ping fails after sending ARP requests.
	if out, err := n.Try("ping", "-n", "-c", "1", "-W", "1", "198.51.100.2"); err == nil {
		t.Fatalf("ping of an absent host succeeded: %s", out)
	}
	n.SetLink(t, "eth1", false)
	pcap := c.Stop(t)
	var requests int
	for _, p := range DecodeARP(t, pcap) {
		if p.Op == 1 && p.SenderIP == "198.51.100.1" && p.TargetIP == "198.51.100.2" {
			requests++
		}
	}
	if requests == 0 {
		t.Errorf("no ARP request for 198.51.100.2 in the capture of the downed eth1")
	}
}

func TestPartitionAndUnplug(t *testing.T) {
	l := New(t, Options{Nodes: 3, Client: true})
	a, b, c := l.Nodes[0], l.Nodes[1], l.Nodes[2]
	l.Partition(t, b, c)
	if ping(a, b.IPv4, 2) || ping(l.Client, c.IPv4, 2) {
		t.Errorf("the first bridge still reaches the partitioned nodes")
	}
	if !ping(b, c.IPv4, 2) {
		t.Errorf("the partitioned nodes do not reach each other")
	}
	if up, lowerUp := b.LinkState(t, "eth0"); !up || !lowerUp {
		t.Errorf("partitioned n2 eth0: UP=%v LOWER_UP=%v, want both", up, lowerUp)
	}
	l.Partition(t, a) // the second bridge exists already
	Eventually(t, 10*time.Second, "n1 moved to the second bridge to reach n2", func() bool { return ping(a, b.IPv4, 1) })
	for _, n := range []*Node{a, b, c} {
		l.Attach(t, n)
	}
	Eventually(t, 10*time.Second, "the client to reach n3 after the heal", func() bool { return ping(l.Client, c.IPv4, 1) })

	oldMAC := a.HardwareAddr(t, "eth0")
	l.Unplug(t, a)
	if out, err := a.Try("ip", "link", "show", "eth0"); err == nil {
		t.Fatalf("eth0 still exists after Unplug:\n%s", out)
	}
	l.Replug(t, a)
	if !a.HasAddr(t, "eth0", netip.PrefixFrom(a.IPv4, 24)) {
		t.Errorf("the replugged eth0 lacks %s", a.IPv4)
	}
	if a.HardwareAddr(t, "eth0") == oldMAC {
		t.Errorf("the replugged eth0 kept the MAC %s; want a new interface", oldMAC)
	}
	Eventually(t, 10*time.Second, "n1 to reach the client after Replug", func() bool { return ping(a, l.Client.IPv4, 1) })
}

func TestDoRunsInTheNamespace(t *testing.T) {
	n := NewHost(t, "eth7")
	var names []string
	err := n.Do(func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		return err
	})
	if err != nil || !slices.Contains(names, "eth7") {
		t.Fatalf("Do saw interfaces %v (%v), want eth7 among them", names, err)
	}
	if _, err := net.InterfaceByName("eth7"); err == nil {
		t.Errorf("eth7 visible outside Do: the thread did not return to its namespace")
	}
	want := errors.New("from f")
	if err := n.Do(func() error { return want }); !errors.Is(err, want) {
		t.Errorf("Do returned %v, want f's error", err)
	}
}

func TestSignalGroupReachesChildren(t *testing.T) {
	n := NewHost(t, "eth0")
	p := n.Start(t, "parent", "sh", "-c", "sleep 300 & echo child $!; wait")
	var child int
	Eventually(t, 5*time.Second, "the child's pid", func() bool {
		_, err := fmt.Sscanf(p.Output(), "child %d", &child)
		return err == nil
	})
	if p.Exited() {
		t.Fatal("Exited before any signal")
	}
	if err := p.SignalGroup(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(5 * time.Second); err == nil {
		t.Error("the parent exited with status 0 after SIGKILL")
	}
	Eventually(t, 5*time.Second, "the child to die with its group", func() bool { return processGone(child) })
	if !p.Exited() || p.LogPath() == "" {
		t.Errorf("Exited %v, LogPath %q after the kill", p.Exited(), p.LogPath())
	}
}
