package netif

import (
	"errors"
	"net"
	"testing"
)

// TestLinkBeat polls a veth, which has no MII registers but answers
// ETHTOOL_GLINK, and an ifb, which answers neither, through carrier loss
// and admin down.
func TestLinkBeat(t *testing.T) {
	a, b := newPair(t)
	run(t, "ip", "-n", a.ns, "link", "add", "ifb0", "type", "ifb")
	run(t, "ip", "-n", a.ns, "link", "set", "ifb0", "up")
	type probe struct {
		ifname string
		prefer LinkBeatMethod
		up     bool
		used   LinkBeatMethod
	}
	check := func(step string, probes []probe) {
		t.Helper()
		for _, p := range probes {
			var up bool
			var used LinkBeatMethod
			var err error
			a.do(t, func() { up, used, err = LinkBeat(p.ifname, p.prefer) })
			if err != nil || up != p.up || used != p.used {
				t.Errorf("%s: LinkBeat(%s, %q) = %v, %q, %v; want %v, %q", step, p.ifname, p.prefer, up, used, err, p.up, p.used)
			}
		}
	}
	check("links up", []probe{
		{"eth0", LinkBeatDefault, true, LinkBeatEthtool},
		{"eth0", LinkBeatMII, true, LinkBeatEthtool},
		{"eth0", LinkBeatEthtool, true, LinkBeatEthtool},
		{"eth0", LinkBeatIoctl, true, LinkBeatIoctl},
		{"ifb0", LinkBeatDefault, true, LinkBeatIoctl},
		{"ifb0", LinkBeatEthtool, true, LinkBeatIoctl},
	})
	run(t, "ip", "-n", b.ns, "link", "set", "eth0", "down")
	check("carrier lost", []probe{
		{"eth0", LinkBeatDefault, false, LinkBeatEthtool},
		{"eth0", LinkBeatIoctl, false, LinkBeatIoctl},
	})
	run(t, "ip", "-n", b.ns, "link", "set", "eth0", "up")
	check("carrier back", []probe{
		{"eth0", LinkBeatDefault, true, LinkBeatEthtool},
		{"eth0", LinkBeatIoctl, true, LinkBeatIoctl},
	})
	run(t, "ip", "-n", a.ns, "link", "set", "eth0", "down")
	run(t, "ip", "-n", a.ns, "link", "set", "ifb0", "down")
	check("admin down", []probe{
		{"eth0", LinkBeatDefault, false, LinkBeatEthtool},
		{"eth0", LinkBeatIoctl, false, LinkBeatIoctl},
		{"ifb0", LinkBeatDefault, false, LinkBeatIoctl},
	})

	a.do(t, func() {
		_, _, err := LinkBeat("nosuch0", LinkBeatDefault)
		if !errors.Is(err, ErrNoInterface) {
			t.Errorf("LinkBeat(nosuch0): error %v, want ErrNoInterface", err)
		}
		ev, _, err := PollLink("nosuch0", LinkBeatDefault)
		if !errors.Is(err, ErrNoInterface) || ev != (LinkEvent{Name: "nosuch0"}) {
			t.Errorf("PollLink(nosuch0) = %+v, %v; want the name only and ErrNoInterface", ev, err)
		}
		_, _, err = LinkBeat("a-name-too-long-for-linux", LinkBeatDefault)
		if err == nil {
			t.Error("LinkBeat of a name longer than IFNAMSIZ: no error")
		}
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			t.Fatal(err)
		}
		ev, used, err := PollLink("eth0", LinkBeatDefault)
		if want := (LinkEvent{Name: "eth0", Index: ifi.Index}); err != nil || ev != want || used != LinkBeatEthtool {
			t.Errorf("PollLink(eth0) = %+v, %q, %v; want %+v, ETHTOOL", ev, used, err, want)
		}
	})
}

func TestLinkBeatMethodString(t *testing.T) {
	for m, want := range map[LinkBeatMethod]string{LinkBeatDefault: "", LinkBeatMII: "MII", LinkBeatEthtool: "ETHTOOL", LinkBeatIoctl: "IOCTL"} {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(m), got, want)
		}
	}
}
