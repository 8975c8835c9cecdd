// Package lab builds throw-away network namespaces for havip's privileged tests.
//
// A Lab is a set of speaker namespaces (n1..nN) and an optional client, each with an
// "eth0" veth whose peer is a port of one Linux bridge living in its own namespace
// (multicast snooping off, so 224.0.0.18 and ff02::12 are always flooded). Addresses
// come from TEST-NET-1 (192.0.2.0/24) and the IPv6 documentation prefix (2001:db8::/64).
// Everything a test creates is removed in t.Cleanup: processes started in the
// namespaces are killed and reaped before the namespaces are deleted.
//
// The lab drives iproute2 (`ip`), tshark and keepalived as external programs so that
// it stays independent of the havip code under test.
package lab

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bridgeName is the bridge inside every lab's bridge namespace.
const bridgeName = "br0"

// clientHostID is the last octet / IPv6 interface identifier of the client.
const clientHostID = 250

// maxNodes keeps speaker addresses below the client's.
const maxNodes = clientHostID - 1

// setupTimeout bounds building a lab, including waiting for IPv6 DAD.
const setupTimeout = 20 * time.Second

// Options says what New builds.
type Options struct {
	Nodes  int  // speakers n1..nN: each has eth0 on one shared bridge, 192.0.2.N/24 and 2001:db8::N/64
	Client bool // adds a client host with 192.0.2.250/24 and 2001:db8::250/64 on the same bridge
}

// Lab is a bridged segment of namespaces built by New.
type Lab struct {
	Nodes  []*Node
	Client *Node // nil unless Options.Client

	bridgeNS string
}

// Node is one network namespace of a lab (or a lone host from NewHost).
type Node struct {
	NS        string     // network namespace name, unique per test run
	Iface     string     // "eth0"
	IPv4      netip.Addr // 192.0.2.N (client .250)
	IPv6      netip.Addr // 2001:db8::N (client ::250)
	LinkLocal netip.Addr // eth0's fe80:: address, usable (DAD finished) when New returns

	peerNS     string            // namespace holding the peers of this node's veths
	bridgePort string            // name of eth0's peer in the bridge namespace ("" for hosts)
	peers      map[string]string // node-side interface name -> peer name in peerNS (AddLink)
}

// labCounter makes names unique within this test binary; the pid makes them unique
// across concurrent test binaries.
var labCounter atomic.Uint64

// namePrefix is "hv<pid>-<counter>", the common prefix of one lab's namespaces.
func namePrefix() string {
	return fmt.Sprintf("%s%d-%d", nsPrefix, os.Getpid(), labCounter.Add(1))
}

// New builds a lab with opts.Nodes speakers and, if asked, a client, all on one bridge.
// It skips the test unless run as root with a working iproute2, waits until every lab
// address has finished IPv6 duplicate address detection, and registers a t.Cleanup
// that kills every process in the lab's namespaces and deletes them.
func New(t testing.TB, opts Options) *Lab {
	t.Helper()
	RequireRoot(t)
	if opts.Nodes < 0 || opts.Nodes > maxNodes {
		t.Fatalf("lab: Options.Nodes = %d; valid is 0..%d", opts.Nodes, maxNodes)
	}
	if opts.Nodes == 0 && !opts.Client {
		t.Fatalf("lab: Options asks for no namespaces; set Nodes >= 1 or Client")
	}
	reapStaleNamespaces()

	prefix := namePrefix()
	l := &Lab{bridgeNS: prefix + "-br"}
	created := []string{}
	t.Cleanup(func() { removeNamespaces(t, created) })

	addNS := func(name string) {
		t.Helper()
		mustIP(t, "netns", "add", name)
		created = append(created, name)
		mustIP(t, "-n", name, "link", "set", "lo", "up")
	}
	addNS(l.bridgeNS)
	// The bridge namespace only switches frames: no IPv6 addresses of its own.
	mustRun(t, "ip", "netns", "exec", l.bridgeNS, "sysctl", "-q", "-w",
		"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	mustIP(t, "-n", l.bridgeNS, "link", "add", bridgeName, "type", "bridge", "mcast_snooping", "0")
	mustIP(t, "-n", l.bridgeNS, "link", "set", bridgeName, "up")

	join := func(role string, hostID int) *Node {
		t.Helper()
		n := &Node{
			NS:         prefix + "-" + role,
			Iface:      "eth0",
			IPv4:       netip.AddrFrom4([4]byte{192, 0, 2, byte(hostID)}),
			IPv6:       docIPv6(hostID),
			peerNS:     l.bridgeNS,
			bridgePort: "p-" + role,
			peers:      map[string]string{},
		}
		addNS(n.NS)
		// Real DAD, minus its random start delay (bounded by router_solicitation_delay),
		// so that New waits about one RetransTimer (1 s) rather than up to two.
		mustRun(t, "ip", "netns", "exec", n.NS, "sysctl", "-q", "-w",
			"net.ipv6.conf.default.router_solicitation_delay=0")
		l.plug(t, n)
		return n
	}
	for i := 1; i <= opts.Nodes; i++ {
		l.Nodes = append(l.Nodes, join(fmt.Sprintf("n%d", i), i))
	}
	if opts.Client {
		l.Client = join("cl", clientHostID)
	}

	for _, n := range l.all() {
		n.waitDAD(t, setupTimeout)
		n.LinkLocal = n.linkLocal(t, n.Iface)
	}
	return l
}

// all returns the speakers followed by the client, if any.
func (l *Lab) all() []*Node {
	nodes := append([]*Node{}, l.Nodes...)
	if l.Client != nil {
		nodes = append(nodes, l.Client)
	}
	return nodes
}

// Detach cuts n off the bridge (its bridge port becomes nomaster) while n's own link
// stays UP with carrier: a silent failure the node cannot see locally.
func (l *Lab) Detach(t testing.TB, n *Node) {
	t.Helper()
	l.checkMember(t, n)
	mustIP(t, "-n", l.bridgeNS, "link", "set", n.bridgePort, "nomaster")
}

// Attach puts n back on the first bridge after Detach or Partition.
func (l *Lab) Attach(t testing.TB, n *Node) {
	t.Helper()
	l.checkMember(t, n)
	mustIP(t, "-n", l.bridgeNS, "link", "set", n.bridgePort, "master", bridgeName)
}

// plug creates n's eth0 as a veth whose peer is a port of the bridge, with n's
// addresses, and sets it up.
func (l *Lab) plug(t testing.TB, n *Node) {
	t.Helper()
	mustIP(t, "-n", l.bridgeNS, "link", "add", n.bridgePort, "type", "veth",
		"peer", "name", n.Iface, "netns", n.NS)
	mustIP(t, "-n", l.bridgeNS, "link", "set", n.bridgePort, "master", bridgeName, "up")
	mustIP(t, "-n", n.NS, "addr", "add", netip.PrefixFrom(n.IPv4, 24).String(), "dev", n.Iface)
	mustIP(t, "-n", n.NS, "addr", "add", netip.PrefixFrom(n.IPv6, 64).String(), "dev", n.Iface)
	mustIP(t, "-n", n.NS, "link", "set", n.Iface, "up")
}

// Unplug deletes n's eth0 (and its bridge port): the interface is gone from n, as
// when a NIC or a container's veth disappears.
func (l *Lab) Unplug(t testing.TB, n *Node) {
	t.Helper()
	l.checkMember(t, n)
	mustIP(t, "-n", l.bridgeNS, "link", "del", n.bridgePort)
}

// Replug creates n's eth0 again after Unplug, with the same name and addresses,
// on the first bridge. Its ifindex and MAC address are new.
func (l *Lab) Replug(t testing.TB, n *Node) {
	t.Helper()
	l.checkMember(t, n)
	l.plug(t, n)
}

// sideBridgeName is the second bridge Partition moves nodes to.
const sideBridgeName = "br1"

// Partition moves the given nodes' bridge ports to a second bridge: they reach one
// another but no longer the other nodes (nor the client, unless it is among them),
// and every link stays up. Attach puts a node back on the first bridge.
func (l *Lab) Partition(t testing.TB, side ...*Node) {
	t.Helper()
	if out, err := runCommand("ip", "-n", l.bridgeNS, "link", "show", sideBridgeName); err != nil {
		if !strings.Contains(out, "does not exist") {
			t.Fatalf("lab: %v: %s", err, out)
		}
		mustIP(t, "-n", l.bridgeNS, "link", "add", sideBridgeName, "type", "bridge", "mcast_snooping", "0")
		mustIP(t, "-n", l.bridgeNS, "link", "set", sideBridgeName, "up")
	}
	for _, n := range side {
		l.checkMember(t, n)
		mustIP(t, "-n", l.bridgeNS, "link", "set", n.bridgePort, "master", sideBridgeName)
	}
}

func (l *Lab) checkMember(t testing.TB, n *Node) {
	t.Helper()
	if n == nil || n.peerNS != l.bridgeNS || n.bridgePort == "" {
		t.Fatalf("lab: node %v is not a member of the lab with bridge namespace %s", n, l.bridgeNS)
	}
}

// docIPv6 returns 2001:db8::<id> with id written as hexadecimal-looking decimal digits,
// so that host 250 is 2001:db8::250 as the contract says.
func docIPv6(id int) netip.Addr {
	var b [16]byte
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
	var v uint16
	for _, d := range fmt.Sprint(id) {
		v = v<<4 | uint16(d-'0')
	}
	b[14], b[15] = byte(v>>8), byte(v)
	return netip.AddrFrom16(b)
}

// NewHost creates one lone namespace in which each named interface exists and is up,
// for tools such as `keepalived -t` that only need the interfaces named in a config.
// Each interface is one end of a veth pair whose other end ("hvpeerN") stays inside
// the same namespace, so the interfaces have carrier. IPv6 DAD is disabled in the
// namespace, so link-local addresses are usable at once; no other addresses are set.
// The returned Node's Iface is the first name given.
func NewHost(t testing.TB, ifaces ...string) *Node {
	t.Helper()
	RequireRoot(t)
	if len(ifaces) == 0 {
		t.Fatalf("lab: NewHost needs at least one interface name")
	}
	seen := map[string]bool{}
	for _, name := range ifaces {
		if err := validIfaceName(name); err != nil {
			t.Fatalf("lab: NewHost interface %q: %v", name, err)
		}
		if seen[name] {
			t.Fatalf("lab: NewHost interface %q named twice", name)
		}
		seen[name] = true
	}
	reapStaleNamespaces()

	n := &Node{NS: namePrefix() + "-h", Iface: ifaces[0], peers: map[string]string{}}
	n.peerNS = n.NS
	mustIP(t, "netns", "add", n.NS)
	t.Cleanup(func() { removeNamespaces(t, []string{n.NS}) })
	mustRun(t, "ip", "netns", "exec", n.NS, "sysctl", "-q", "-w",
		"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	mustIP(t, "-n", n.NS, "link", "set", "lo", "up")
	for i, name := range ifaces {
		if name == "lo" {
			continue
		}
		peer := fmt.Sprintf("hvpeer%d", i)
		if seen[peer] {
			t.Fatalf("lab: NewHost interface %q clashes with the lab's internal peer names hvpeerN", peer)
		}
		mustIP(t, "-n", n.NS, "link", "add", name, "type", "veth", "peer", "name", peer)
		mustIP(t, "-n", n.NS, "link", "set", peer, "up")
		mustIP(t, "-n", n.NS, "link", "set", name, "up")
		n.peers[name] = peer
	}
	if n.Iface != "lo" {
		n.LinkLocal = n.linkLocal(t, n.Iface)
	}
	return n
}

// validIfaceName applies the kernel's rules for interface names.
func validIfaceName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("not a valid interface name")
	case len(name) > 15:
		return fmt.Errorf("longer than the kernel's 15 characters")
	}
	for _, r := range name {
		if r == '/' || r == ':' || r <= ' ' || r == 0x7f {
			return fmt.Errorf("contains %q; interface names may not contain '/', ':' or whitespace", r)
		}
	}
	return nil
}
