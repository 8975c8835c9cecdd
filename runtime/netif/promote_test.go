package netif

import (
	"strings"
	"testing"
)

// TestSetPromoteSecondaries turns the sysctl on and off in a namespace and
// checks each call returns the value before it, and that with it on,
// removing the primary address keeps a secondary of its subnet.
func TestSetPromoteSecondaries(t *testing.T) {
	a, _ := newPair(t)
	steps := []struct {
		on, was bool
		sysctl  string
	}{
		{true, false, "1"},
		{true, true, "1"},
		{false, true, "0"},
		{false, false, "0"},
		{true, false, "1"},
	}
	for i, s := range steps {
		var was bool
		var err error
		a.do(t, func() { was, err = SetPromoteSecondaries("eth0", s.on) })
		if err != nil || was != s.was {
			t.Fatalf("step %d: SetPromoteSecondaries(eth0, %v) = %v, %v; want %v", i, s.on, was, err, s.was)
		}
		if got := a.sysctl(t, "net/ipv4/conf/eth0/promote_secondaries"); got != s.sysctl {
			t.Fatalf("step %d: sysctl %q, want %q", i, got, s.sysctl)
		}
	}
	run(t, "ip", "-n", a.ns, "addr", "del", "192.0.2.1/24", "dev", "eth0")
	if out := run(t, "ip", "-n", a.ns, "-4", "-o", "addr", "show", "dev", "eth0"); !strings.Contains(out, "192.0.2.11/24") {
		t.Fatalf("with promote_secondaries the secondary went with the primary:\n%s", out)
	}
	var err error
	a.do(t, func() { _, err = SetPromoteSecondaries("nosuch0", true) })
	if err == nil {
		t.Fatal("SetPromoteSecondaries on a missing interface: no error")
	}
}
