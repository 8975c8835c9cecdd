package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// upDown maps a boolean to iproute2's link state word.
func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// SetLink sets iface in n administratively up or down.
func (n *Node) SetLink(t testing.TB, iface string, up bool) {
	t.Helper()
	mustIP(t, "-n", n.NS, "link", "set", iface, upDown(up))
}

// peerCounter keeps AddLink peer names unique within a peer namespace.
var peerCounter atomic.Uint64

// AddLink adds interface iface to n, up and without addresses. It is one end of a
// veth pair whose other end sits, up and attached to nothing, in the bridge
// namespace (in n itself for a NewHost node). SetPeerLink toggles that other end,
// so that n sees carrier loss on iface.
func (n *Node) AddLink(t testing.TB, iface string) {
	t.Helper()
	if err := validIfaceName(iface); err != nil {
		t.Fatalf("lab: AddLink %q in %s: %v", iface, n.NS, err)
	}
	if _, ok := n.peers[iface]; ok {
		t.Fatalf("lab: AddLink %q in %s: already added", iface, n.NS)
	}
	peer := fmt.Sprintf("x%d", peerCounter.Add(1))
	mustIP(t, "-n", n.peerNS, "link", "add", peer, "type", "veth", "peer", "name", iface, "netns", n.NS)
	mustIP(t, "-n", n.peerNS, "link", "set", peer, "up")
	mustIP(t, "-n", n.NS, "link", "set", iface, "up")
	n.peers[iface] = peer
}

// SetPeerLink sets the far end of an AddLink (or NewHost) interface up or down.
func (n *Node) SetPeerLink(t testing.TB, iface string, up bool) {
	t.Helper()
	peer, ok := n.peers[iface]
	if !ok {
		t.Fatalf("lab: SetPeerLink %q in %s: not an interface made by AddLink or NewHost", iface, n.NS)
	}
	mustIP(t, "-n", n.peerNS, "link", "set", peer, upDown(up))
}

// Neighbor returns the MAC address n's neighbour table holds for ip, or "" when
// there is no entry with a link-layer address or the entry is INCOMPLETE or FAILED.
func (n *Node) Neighbor(t testing.TB, ip netip.Addr) string {
	t.Helper()
	out := mustIP(t, "-n", n.NS, "-j", "neigh", "show", "to", ip.String())
	var entries []struct {
		Dst    string   `json:"dst"`
		LLAddr string   `json:"lladdr"`
		State  []string `json:"state"`
	}
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("lab: decoding `ip -n %s -j neigh show to %s`: %v\n%s", n.NS, ip, err, out)
	}
	for _, e := range entries {
		if e.LLAddr == "" || e.Dst != ip.String() {
			continue
		}
		usable := true
		for _, s := range e.State {
			if s == "INCOMPLETE" || s == "FAILED" {
				usable = false
			}
		}
		if usable {
			return strings.ToLower(e.LLAddr)
		}
	}
	return ""
}

// HardwareAddr returns iface's MAC address in n, lower case with colons.
func (n *Node) HardwareAddr(t testing.TB, iface string) string {
	t.Helper()
	links, err := n.addrs(iface)
	if err != nil {
		t.Fatalf("lab: namespace %s: %v", n.NS, err)
	}
	if len(links) != 1 || links[0].Address == "" {
		t.Fatalf("lab: namespace %s: no hardware address for %s", n.NS, iface)
	}
	return strings.ToLower(links[0].Address)
}

// HasAddr reports whether iface in n holds exactly the address and prefix length p.
func (n *Node) HasAddr(t testing.TB, iface string, p netip.Prefix) bool {
	t.Helper()
	links, err := n.addrs(iface)
	if err != nil {
		t.Fatalf("lab: namespace %s: %v", n.NS, err)
	}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			addr, err := netip.ParseAddr(a.Local)
			if err == nil && addr == p.Addr() && a.PrefixLen == p.Bits() {
				return true
			}
		}
	}
	return false
}

// LinkState reports iface's flags in n: up is IFF_UP (administratively up), lowerUp
// is LOWER_UP (carrier).
func (n *Node) LinkState(t testing.TB, iface string) (up, lowerUp bool) {
	t.Helper()
	out := mustIP(t, "-n", n.NS, "-j", "link", "show", "dev", iface)
	var links []struct {
		Flags []string `json:"flags"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		t.Fatalf("lab: decoding `ip -n %s -j link show dev %s` (%v):\n%s", n.NS, iface, err, out)
	}
	for _, f := range links[0].Flags {
		switch f {
		case "UP":
			up = true
		case "LOWER_UP":
			lowerUp = true
		}
	}
	return up, lowerUp
}
