package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
)

// TestLinkBeatConfig: the interfaces a config polls, with their method.
func TestLinkBeatConfig(t *testing.T) {
	tests := []struct {
		name string
		conf string
		want string // "IFNAME/METHOD" sorted
	}{
		{"none", vi("VI_1", 51, 100, "192.0.2.100"), ""},
		{"linkbeat_interfaces", "linkbeat_interfaces {\n eth0\n eth1 MII\n eth2 ETHTOOL\n eth3 IOCTL\n}\n" + vi("VI_1", 51, 100, "192.0.2.100"),
			"eth0/ eth1/MII eth2/ETHTOOL eth3/IOCTL"},
		{"top-level linkbeat_use_polling", "linkbeat_use_polling\n" + vi("VI_1", 51, 100, "192.0.2.100") +
			strings.Replace(vi("VI_2", 52, 100, "192.0.2.101"), "eth0", "eth1", 1), "eth0/ eth1/"},
		{"instance linkbeat_use_polling", vi("VI_1", 51, 100, "192.0.2.100", "linkbeat_use_polling") +
			strings.Replace(vi("VI_2", 52, 100, "192.0.2.101"), "eth0", "eth1", 1), "eth0/"},
		{"linkbeat_interfaces keeps its method", "linkbeat_use_polling\nlinkbeat_interfaces {\n eth0 IOCTL\n}\n" + vi("VI_1", 51, 100, "192.0.2.100"), "eth0/IOCTL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for name, m := range linkBeatConfig(parseConfig(t, tc.conf)) {
				got = append(got, name+"/"+m.String())
			}
			slices.Sort(got)
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("polled %q, want %q", g, tc.want)
			}
		})
	}
}

// TestRunLinkBeat runs a lone instance on a polled eth0: netlink is not
// watched for it, a poll reading the link down puts it in FAULT although
// netlink says up, a poll reading it up takes it out; an unused
// interface is not polled, and a reload without polling watches eth0 with
// netlink again.
func TestRunLinkBeat(t *testing.T) {
	host, clock := newFakeHost(), newFakeClock()
	conf := "linkbeat_interfaces {\n  eth0\n  eth9 MII\n}\n" + vi("VI_1", 51, 100, "192.0.2.100")
	e := runPolled(t, conf, host, clock, nil)
	waitFor(t, e, "BACKUP at start", stateIs("BACKUP"))
	clock.set(clock.Now().Add(4 * time.Second))
	waitFor(t, e, "MASTER", stateIs("MASTER"))
	polls := func() (eth0, eth9 int, watching []string) {
		host.mu.Lock()
		defer host.mu.Unlock()
		return host.polls["eth0"], host.polls["eth9"], slices.Clone(host.watching)
	}
	deadline := time.Now().Add(10 * time.Second)
	for eth0, _, _ := polls(); eth0 < 2; eth0, _, _ = polls() {
		if time.Now().After(deadline) {
			t.Fatal("eth0 not polled twice")
		}
		time.Sleep(time.Millisecond)
	}
	if _, eth9, watching := polls(); eth9 != 0 || len(watching) != 0 {
		t.Fatalf("polls of the unused eth9 %d, netlink watching %q; want eth0 polled only", eth9, watching)
	}

	host.mu.Lock()
	host.linkBeat["eth0"] = netif.LinkEvent{Name: "eth0", Index: 1}
	host.mu.Unlock()
	host.links <- netif.LinkEvent{Name: "eth0", Index: 1, Up: true} // netlink is not listened to for eth0
	waitFor(t, e, "FAULT when the poll reads eth0 down", stateIs("FAULT"))
	host.mu.Lock()
	host.linkBeat["eth0"] = netif.LinkEvent{Name: "eth0", Index: 1, Up: true}
	host.mu.Unlock()
	waitFor(t, e, "BACKUP when the poll reads eth0 up", stateIs("BACKUP"))

	// A failing poll keeps the state; a missing interface is down.
	setErr := func(err error) int {
		host.mu.Lock()
		defer host.mu.Unlock()
		host.linkBeatErr["eth0"] = err
		return host.polls["eth0"]
	}
	failedAt := setErr(errors.New("ioctl: input/output error"))
	deadline = time.Now().Add(10 * time.Second)
	for eth0, _, _ := polls(); eth0 < failedAt+3; eth0, _, _ = polls() {
		if time.Now().After(deadline) {
			t.Fatal("eth0 not polled 3 times more")
		}
		time.Sleep(time.Millisecond)
	}
	waitFor(t, e, "BACKUP still after failed polls", stateIs("BACKUP"))
	setErr(fmt.Errorf("link beat: interface %q: %w", "eth0", netif.ErrNoInterface))
	waitFor(t, e, "FAULT when eth0 is gone", stateIs("FAULT"))
	setErr(nil)
	waitFor(t, e, "BACKUP when eth0 is back", stateIs("BACKUP"))

	if err := e.Apply(parseConfig(t, vi("VI_1", 51, 100, "192.0.2.100"))); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for _, _, watching := polls(); !slices.Equal(watching, []string{"eth0"}); _, _, watching = polls() {
		if time.Now().After(deadline) {
			t.Fatalf("netlink watching %q after a reload without linkbeat, want eth0", watching)
		}
		time.Sleep(time.Millisecond)
	}
	host.links <- netif.LinkEvent{Name: "eth0", Index: 1}
	waitFor(t, e, "FAULT when netlink reports eth0 down", stateIs("FAULT"))
}

// runPolled runs an engine on conf, the fake host and clock, polling
// linkbeat interfaces every 5 ms, until the test ends; log nil discards.
func runPolled(t *testing.T, conf string, host *fakeHost, clock *fakeClock, log slog.Handler) *Engine {
	t.Helper()
	if log == nil {
		log = slog.DiscardHandler
	}
	e, err := NewWithOptions(parseConfig(t, conf), Options{Log: slog.New(log), Host: host, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	e.linkBeatEvery = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return e
}
