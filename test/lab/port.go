package lab

import "testing"

// SetPort sets n's bridge port (the peer of its eth0 in the bridge
// namespace) up or down: n sees carrier loss on eth0 while eth0 stays
// administratively up, as when a cable is pulled or a switch port fails.
func (l *Lab) SetPort(t testing.TB, n *Node, up bool) {
	t.Helper()
	l.checkMember(t, n)
	mustIP(t, "-n", l.bridgeNS, "link", "set", n.bridgePort, upDown(up))
}
