package engine

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/vrrp"
)

// waitFor polls the running engine's status until cond holds, failing after
// a deadline.
func waitFor(t *testing.T, e *Engine, what string, cond func([]InstanceStatus) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap, err := e.Snapshot()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if cond(snap.Instances) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %+v", what, snap.Instances)
		}
		time.Sleep(time.Millisecond)
	}
}

func stateIs(states ...string) func([]InstanceStatus) bool {
	return func(st []InstanceStatus) bool {
		if len(st) != len(states) {
			return false
		}
		for i, s := range st {
			if s.State != states[i] {
				return false
			}
		}
		return true
	}
}

// TestRunLoop drives Run through its channels: the timer of the fake
// clock, packets through the socket reader, link events through the
// watcher, a tracker, Apply and Status, and shutdown.
func TestRunLoop(t *testing.T) {
	host, clock := newFakeHost(), newFakeClock()
	trackFile := filepath.Join(t.TempDir(), "weight")
	if err := os.WriteFile(trackFile, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := "track_file tf {\n  file " + trackFile + "\n}\n" + vi("VI_1", 51, 100, "192.0.2.100", "track_file {", "  tf", "}")
	e, err := NewWithOptions(parseConfig(t, conf), Options{Log: slog.New(slog.DiscardHandler), Host: host, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	waitFor(t, e, "BACKUP once the track_file reported", stateIs("BACKUP"))

	clock.set(clock.Now().Add(4 * time.Second))
	waitFor(t, e, "MASTER when the fake clock passed Master_Down_Interval", stateIs("MASTER"))

	src, dst := ip(peer), group4
	a := vrrp.Advert{Version: 2, VRID: 51, Priority: 200, AdverInt: 1, Addrs: []netip.Addr{ip("192.0.2.100")}}
	payload, err := a.Append(nil, src, dst, vrrp.ChecksumRFC5798)
	if err != nil {
		t.Fatal(err)
	}
	host.deliver(t, "eth0", netif.Packet{Payload: []byte{1, 2, 3}, Src: src, Dst: dst, TTL: 255}) // dropped by Parse
	host.deliver(t, "eth0", netif.Packet{Payload: payload, Src: src, Dst: dst, TTL: 255})
	waitFor(t, e, "BACKUP after a higher-priority advert", stateIs("BACKUP"))

	host.links <- netif.LinkEvent{Name: "eth0", Up: false}
	waitFor(t, e, "FAULT after the link went down", stateIs("FAULT"))
	host.links <- netif.LinkEvent{Name: "eth0", Up: true}
	waitFor(t, e, "BACKUP after the link came up", stateIs("BACKUP"))

	if err := e.Apply(parseConfig(t, vi("VI_1", 51, 255, "192.0.2.100")+vi("VI_2", 52, 100, "192.0.2.101"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "the applied config", stateIs("MASTER", "BACKUP"))
	if err := e.Apply(parseConfig(t, vi("VI_1", 51, 255, "192.0.2.100")+strings.Replace(vi("VI_2", 52, 100, ""), "eth0", "eth1", 1))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "VI_2 on eth1, the links of eth0 and eth1 watched", func(st []InstanceStatus) bool {
		host.mu.Lock()
		defer host.mu.Unlock()
		return len(st) == 2 && st[1].Interface == "eth1" && strings.Join(host.watching, " ") == "eth0 eth1"
	})

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := host.leftovers(); got != "" {
		t.Fatalf("left after Run: %s", got)
	}
	if err := e.Apply(parseConfig(t, conf)); err == nil {
		t.Fatal("Apply after Run succeeded")
	}
	if _, err := e.Snapshot(); err == nil {
		t.Fatal("Snapshot after Run succeeded")
	}
}

// TestSystemHostReachesNetif: the real host passes every call to netif;
// on an interface that does not exist each one fails naming it, and
// nothing on this host is touched.
func TestSystemHostReachesNetif(t *testing.T) {
	const missing = "havip-none0"
	h := SystemHost{}
	vip := netif.VIP{Prefix: netip.MustParsePrefix("192.0.2.200/32"), Dev: missing}
	route := netif.Route{Dst: netip.MustParsePrefix("203.0.113.0/24"), Dev: missing}
	rule := netif.Rule{From: netip.MustParsePrefix("203.0.113.0/24")} // no action: refused before the kernel
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"AddVIP", h.AddVIP(vip)},
		{"DelVIP", h.DelVIP(vip)},
		{"RemoveStale", second(h.RemoveStale([]netif.VIP{vip}))},
		{"PrimaryAddr", second(h.PrimaryAddr(missing, 4))},
		{"AddRoute", h.AddRoute(route)},
		{"DelRoute", h.DelRoute(route)},
		{"AddRule", h.AddRule(rule)},
		{"DelRule", h.DelRule(rule)},
		{"EnsureVMAC", second(h.EnsureVMAC(netif.VMAC{Name: "havip-vm0", Parent: missing, MAC: netif.VMACAddr(4, 1), Family: 4}))},
		{"SetVMACUp", h.SetVMACUp(missing, true)},
		{"ListenVRRP", second(h.ListenVRRP(missing, 4, nil))},
		{"DialVRRP", second(h.DialVRRP(missing, 4))},
		{"NewAnnouncer", second(h.NewAnnouncer(missing))},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), missing) && !strings.Contains(tc.err.Error(), "no action") {
			t.Errorf("%s: %v, want an error naming %s", tc.name, tc.err, missing)
		}
	}
	if err := h.DeleteVMAC(missing); err != nil {
		t.Errorf("DeleteVMAC of an absent device: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.WatchLinks(ctx, []string{missing}, func(netif.LinkEvent) {}); err != nil {
		t.Errorf("WatchLinks with a done context: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestSystemClock(t *testing.T) {
	c := SystemClock{}
	start := c.Now()
	tm := c.NewTimer(time.Hour)
	tm.Reset(time.Millisecond)
	select {
	case fired := <-tm.C():
		if fired.Before(start) {
			t.Fatalf("fired at %v, before %v", fired, start)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a 1 ms timer did not fire")
	}
	tm.Stop()
}
