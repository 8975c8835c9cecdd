package netif

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// watch runs a netlink watch in the node's namespace until the returned stop
// is called, which checks that it returns nil within 5 s of its context's
// end. The watch may subscribe after watch returns: callers repeat what they
// wait for.
func (n *testNode) watch(t *testing.T, name string, run func(ctx context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		n.do(t, func() {
			close(started)
			done <- run(ctx)
		})
	}()
	<-started
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s returned %v after cancel, want nil", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s did not return within 5s of cancel", name)
		}
	}
}

func TestWatchAddrRemovals(t *testing.T) {
	a, _ := newPair(t)
	events := make(chan AddrRemoved, 16)
	defer a.watch(t, "WatchAddrRemovals", func(ctx context.Context) error {
		return WatchAddrRemovals(ctx, func(ev AddrRemoved) { events <- ev })
	})()
	v4 := netip.MustParseAddr("192.0.2.100")
	v6 := netip.MustParseAddr("2001:db8::100")
	// The subscription may start after the first add: add and remove until a removal is seen.
	var got AddrRemoved
	deadline := time.After(10 * time.Second)
	for got.Addr != v4 {
		run(t, "ip", "-n", a.ns, "addr", "add", "192.0.2.100/24", "dev", "eth0")
		run(t, "ip", "-n", a.ns, "addr", "del", "192.0.2.100/24", "dev", "eth0")
		select {
		case got = <-events:
		case <-deadline:
			t.Fatal("no removal of 192.0.2.100 reported within 10s")
		}
	}
	if got.Dev != "eth0" {
		t.Fatalf("removal %+v, want device eth0", got)
	}
	run(t, "ip", "-n", a.ns, "addr", "add", "2001:db8::100/64", "dev", "eth0", "nodad")
	run(t, "ip", "-n", a.ns, "addr", "del", "2001:db8::100/64", "dev", "eth0")
	for {
		select {
		case ev := <-events:
			if ev.Addr == v4 {
				continue // a repeat of the IPv4 loop above
			}
			if ev != (AddrRemoved{Dev: "eth0", Addr: v6}) {
				t.Fatalf("removal %+v, want 2001:db8::100 on eth0 (additions are not reported)", ev)
			}
			return
		case <-time.After(5 * time.Second):
			t.Fatal("no removal of 2001:db8::100 reported within 5s")
		}
	}
}

func TestLinkUp(t *testing.T) {
	a, b := newPair(t)
	linkUp := func() bool {
		var up bool
		var err error
		a.do(t, func() { up, err = LinkUp("eth0") })
		if err != nil {
			t.Fatal(err)
		}
		return up
	}
	if !linkUp() {
		t.Fatal("eth0 up with carrier reported down")
	}
	run(t, "ip", "-n", b.ns, "link", "set", "eth0", "down") // a's eth0 loses carrier
	waitFor(t, 5*time.Second, "eth0 without carrier reported down", func() bool { return !linkUp() })
	run(t, "ip", "-n", b.ns, "link", "set", "eth0", "up")
	waitFor(t, 5*time.Second, "eth0 with carrier again reported up", linkUp)
	var err error
	a.do(t, func() { _, err = LinkUp("missing0") })
	if err == nil {
		t.Fatal("LinkUp of a missing interface succeeded")
	}
}
