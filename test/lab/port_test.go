package lab

import (
	"testing"
	"time"
)

// TestSetPort: a node's eth0 loses carrier, staying up, while its bridge
// port is down, and has it again once the port is up.
func TestSetPort(t *testing.T) {
	l := New(t, Options{Nodes: 1})
	n := l.Nodes[0]
	for _, up := range []bool{false, true} {
		l.SetPort(t, n, up)
		Eventually(t, 5*time.Second, "eth0's carrier follows its bridge port", func() bool {
			admin, carrier := n.LinkState(t, "eth0")
			return admin && carrier == up
		})
	}
}
