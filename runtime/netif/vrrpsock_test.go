package netif

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

var (
	groupV4 = netip.MustParseAddr("224.0.0.18")
	groupV6 = netip.MustParseAddr("ff02::12")
)

// readWithin reads one packet, failing the test (and closing r) if none arrives in time.
func readWithin(t *testing.T, r *Receiver, limit time.Duration) Packet {
	t.Helper()
	type result struct {
		p   Packet
		err error
	}
	ch := make(chan result, 1)
	go func() {
		p, err := r.Read(make([]byte, 1500))
		ch <- result{p, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("Read: %v", res.err)
		}
		return res.p
	case <-time.After(limit):
		r.Close()
		t.Fatalf("no VRRP packet within %v", limit)
		return Packet{}
	}
}

// observer reads the IP header fields the Receiver does not report (TOS / traffic class), from
// a separate raw socket in the receiving namespace.
type observer struct {
	v4 *ipv4.RawConn
	v6 *ipv6.PacketConn
}

func openObserver(t *testing.T, family int) *observer {
	t.Helper()
	o := &observer{}
	if family == 4 {
		c, err := net.ListenPacket("ip4:112", "0.0.0.0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if o.v4, err = ipv4.NewRawConn(c); err != nil {
			t.Fatal(err)
		}
		return o
	}
	c, err := net.ListenPacket("ip6:112", "::")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	o.v6 = ipv6.NewPacketConn(c)
	if err := o.v6.SetControlMessage(ipv6.FlagTrafficClass, true); err != nil {
		t.Fatal(err)
	}
	return o
}

// trafficClass returns the TOS / traffic class of the next packet carrying payload.
func (o *observer) trafficClass(t *testing.T, payload []byte) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 1500)
	for {
		if o.v4 != nil {
			o.v4.SetReadDeadline(deadline)
			h, p, _, err := o.v4.ReadFrom(buf)
			if err != nil {
				t.Fatalf("observer read: %v", err)
			}
			if bytes.Equal(p, payload) {
				return h.TOS
			}
			continue
		}
		o.v6.SetReadDeadline(deadline)
		n, cm, _, err := o.v6.ReadFrom(buf)
		if err != nil {
			t.Fatalf("observer read: %v", err)
		}
		if bytes.Equal(buf[:n], payload) && cm != nil {
			return cm.TrafficClass
		}
	}
}

func TestSendReceive(t *testing.T) {
	a, b := newPair(t)
	run(t, "ip", "-n", a.ns, "addr", "add", "2001:db8::1/64", "nodad", "dev", "eth0")
	run(t, "ip", "-n", b.ns, "addr", "add", "2001:db8::2/64", "nodad", "dev", "eth0")
	llA, llB := a.linkLocal(t), b.linkLocal(t)
	var bIndex int
	b.do(t, func() {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			t.Fatal(err)
		}
		bIndex = ifi.Index
	})

	tests := []struct {
		name     string
		family   int
		src, dst netip.Addr
		ttl      int
	}{
		{"IPv4 multicast", 4, a.ipv4, groupV4, 255},
		{"IPv4 multicast TTL 64 arrives as 64", 4, a.ipv4, groupV4, 64},
		{"IPv4 unicast", 4, a.ipv4, b.ipv4, 255},
		{"IPv4 unicast TTL 64 arrives as 64", 4, a.ipv4, b.ipv4, 64},
		{"IPv4 source pinned to a secondary", 4, netip.MustParseAddr("192.0.2.11"), groupV4, 255},
		{"IPv6 multicast", 6, llA, groupV6, 255},
		{"IPv6 multicast hop limit 64 arrives as 64", 6, llA, groupV6, 64},
		{"IPv6 unicast link-local", 6, llA, llB, 255},
		{"IPv6 unicast global", 6, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), 255},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			group := groupV4
			if tt.family == 6 {
				group = groupV6
			}
			var (
				r   *Receiver
				obs *observer
				s   *Sender
				err error
			)
			b.do(t, func() {
				r, err = ListenVRRP("eth0", tt.family, []netip.Addr{group})
				obs = openObserver(t, tt.family)
			})
			if err != nil {
				t.Fatalf("ListenVRRP: %v", err)
			}
			defer r.Close()
			a.do(t, func() { s, err = DialVRRP("eth0", tt.family) })
			if err != nil {
				t.Fatalf("DialVRRP: %v", err)
			}
			defer s.Close()

			payload := []byte{0x31, byte(i + 1), 100, 1, 0, 100, 0, 0, 192, 0, 2, 100}
			if err := s.Send(payload, tt.src, tt.dst, tt.ttl); err != nil {
				t.Fatalf("Send: %v", err)
			}
			p := readWithin(t, r, 5*time.Second)
			want := Packet{Payload: payload, Src: tt.src, Dst: tt.dst, TTL: tt.ttl, IfIndex: bIndex}
			if !bytes.Equal(p.Payload, want.Payload) || p.Src != want.Src || p.Dst != want.Dst || p.TTL != want.TTL || p.IfIndex != want.IfIndex {
				t.Errorf("received %+v\nwant     %+v", p, want)
			}
			if tc := obs.trafficClass(t, payload); tc != trafficClassVRRP {
				t.Errorf("TOS/traffic class on the wire = %#x, want %#x", tc, trafficClassVRRP)
			}
		})
	}
}

// A Receiver gets only the groups it joined itself (IP_MULTICAST_ALL=0), even when another
// socket on the host joined 224.0.0.18.
func TestReceiverGetsOnlyItsGroups(t *testing.T) {
	requireRoot(t)
	for _, family := range []int{4, 6} {
		t.Run(map[int]string{4: "IPv4", 6: "IPv6"}[family], func(t *testing.T) {
			a, b := newPair(t)
			group, src, unicastDst := groupV4, a.ipv4, b.ipv4
			if family == 6 {
				group, src, unicastDst = groupV6, a.linkLocal(t), b.linkLocal(t)
			}
			var (
				unicastOnly, joined *Receiver
				s                   *Sender
				err1, err2, err3    error
			)
			b.do(t, func() {
				unicastOnly, err1 = ListenVRRP("eth0", family, nil)
				joined, err2 = ListenVRRP("eth0", family, []netip.Addr{group})
			})
			a.do(t, func() { s, err3 = DialVRRP("eth0", family) })
			if err := errors.Join(err1, err2, err3); err != nil {
				t.Fatal(err)
			}
			defer unicastOnly.Close()
			defer joined.Close()
			defer s.Close()

			multicast, unicast := []byte("multicast advert"), []byte("unicast advert")
			if err := s.Send(multicast, src, group, 255); err != nil {
				t.Fatal(err)
			}
			if err := s.Send(unicast, src, unicastDst, 255); err != nil {
				t.Fatal(err)
			}
			if p := readWithin(t, joined, 5*time.Second); !bytes.Equal(p.Payload, multicast) {
				t.Errorf("group member first read %q, want %q", p.Payload, multicast)
			}
			// The veth keeps order, so had the multicast been delivered it would come first.
			if p := readWithin(t, unicastOnly, 5*time.Second); !bytes.Equal(p.Payload, unicast) {
				t.Errorf("unicast-only receiver first read %q, want %q (it must not see the group)", p.Payload, unicast)
			}
		})
	}
}

func TestReceiverCloseUnblocksRead(t *testing.T) {
	a, _ := newPair(t)
	var (
		r   *Receiver
		err error
	)
	a.do(t, func() { r, err = ListenVRRP("eth0", 4, []netip.Addr{groupV4}) })
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 1500))
		errc <- err
	}()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked 5s after Close")
	}
}

// TestReceiverSetReadBuffer: as root the buffer may exceed net.core.rmem_max
// (SO_RCVBUFFORCE); the kernel reports twice the size set.
func TestReceiverSetReadBuffer(t *testing.T) {
	a, _ := newPair(t)
	var (
		r   *Receiver
		err error
	)
	a.do(t, func() { r, err = ListenVRRP("eth0", 4, []netip.Addr{groupV4}) })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const size = 8 << 20
	if err := r.SetReadBuffer(size); err != nil {
		t.Fatal(err)
	}
	if got, err := r.readBuffer(); err != nil || got != 2*size {
		t.Fatalf("receive buffer %d, %v; want %d", got, err, 2*size)
	}
}

func TestSocketArgumentErrors(t *testing.T) {
	a, _ := newPair(t)
	var s4, s6 *Sender
	var err4, err6 error
	a.do(t, func() {
		s4, err4 = DialVRRP("eth0", 4)
		s6, err6 = DialVRRP("eth0", 6)
	})
	if err := errors.Join(err4, err6); err != nil {
		t.Fatal(err)
	}
	defer s4.Close()
	defer s6.Close()
	ll := a.linkLocal(t)
	tests := []struct {
		name    string
		call    func() error
		wantErr string
	}{
		{"listen family 5", func() error { _, err := ListenVRRP("eth0", 5, nil); return err }, "valid values are 4 (IPv4) and 6 (IPv6)"},
		{"listen unicast group", func() error { _, err := ListenVRRP("eth0", 4, []netip.Addr{a.ipv4}); return err }, "not an IPv4 multicast address"},
		{"listen IPv6 group on IPv4", func() error { _, err := ListenVRRP("eth0", 4, []netip.Addr{groupV6}); return err }, "not an IPv4 multicast address"},
		{"listen missing interface", func() error { _, err := ListenVRRP("nosuch0", 4, nil); return err }, `interface "nosuch0"`},
		{"dial missing interface", func() error { _, err := DialVRRP("nosuch0", 6); return err }, `interface "nosuch0"`},
		{"TTL 0", func() error { return s4.Send([]byte{1}, a.ipv4, groupV4, 0) }, "TTL 0 out of range 1-255"},
		{"TTL 256", func() error { return s4.Send([]byte{1}, a.ipv4, groupV4, 256) }, "TTL 256 out of range"},
		{"IPv6 source on IPv4", func() error { return s4.Send([]byte{1}, ll, groupV4, 255) }, "not an IPv4 address"},
		{"IPv4 destination on IPv6", func() error { return s6.Send([]byte{1}, ll, groupV4, 255) }, "not an IPv6 address"},
		{"IPv4 source not local", func() error { return s4.Send([]byte{1}, netip.MustParseAddr("192.0.2.99"), groupV4, 255) }, "the source must be an address of this host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			a.do(t, func() { err = tt.call() })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// A tentative link-local is reported as such by PrimaryAddr and by Send.
func TestTentativeLinkLocal(t *testing.T) {
	requireRoot(t)
	n := newNS(t, newID(), "t")
	run(t, "ip", "-n", n.ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
	// 300 DAD probes one second apart keep the address tentative for the whole test.
	run(t, "ip", "netns", "exec", n.ns, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=1", "net.ipv6.conf.eth0.dad_transmits=300")
	run(t, "ip", "-n", n.ns, "link", "set", "eth1", "up")
	run(t, "ip", "-n", n.ns, "link", "set", "eth0", "up")

	var tentativeLL netip.Addr
	waitFor(t, 5*time.Second, "a tentative link-local on eth0", func() bool {
		out := run(t, "ip", "-n", n.ns, "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link", "tentative")
		fields := strings.Fields(out)
		for i, f := range fields {
			if f == "inet6" && i+1 < len(fields) {
				tentativeLL = netip.MustParsePrefix(fields[i+1]).Addr()
				return true
			}
		}
		return false
	})
	var primaryErr, sendErr error
	n.do(t, func() {
		_, primaryErr = PrimaryAddr("eth0", 6)
		s, err := DialVRRP("eth0", 6)
		if err != nil {
			t.Fatalf("DialVRRP: %v", err)
		}
		defer s.Close()
		sendErr = s.Send([]byte{0x31, 1, 100, 1}, tentativeLL, groupV6, 255)
	})
	if !errors.Is(primaryErr, ErrTentative) {
		t.Errorf("PrimaryAddr = %v, want ErrTentative", primaryErr)
	}
	if !errors.Is(sendErr, ErrTentative) {
		t.Errorf("Send from tentative %v = %v, want ErrTentative", tentativeLL, sendErr)
	}
}
