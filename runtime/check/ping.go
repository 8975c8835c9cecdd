package check

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

type pingProber struct{ t Target }

// Probe sends one ICMP echo request (raw socket: needs CAP_NET_RAW) and
// waits for the matching reply from the target.
func (p pingProber) Probe(ctx context.Context) Result {
	ctx, cancel := bounded(ctx, p.t.Timeout)
	defer cancel()
	dst := p.t.Addr.Addr()
	network, src := "ip4:icmp", "0.0.0.0"
	var reqType, replyType icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	proto := 1
	if dst.Is6() {
		network, src = "ip6:ipv6-icmp", "::"
		reqType, replyType, proto = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply, 58
	}
	if p.t.BindTo.IsValid() {
		src = p.t.BindTo.String()
	}
	conn, err := icmp.ListenPacket(network, src)
	if err != nil {
		return fail("ping %s: %v", dst, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	var idb [4]byte
	rand.Read(idb[:])
	id, seq := int(binary.BigEndian.Uint16(idb[:2])), int(binary.BigEndian.Uint16(idb[2:]))
	msg := icmp.Message{Type: reqType, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("havip PING_CHECK")}}
	wb, err := msg.Marshal(nil)
	if err != nil {
		return fail("ping %s: %v", dst, err)
	}
	start := time.Now()
	if _, err := conn.WriteTo(wb, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return fail("ping %s: %v", dst, err)
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return fail("ping %s: no reply: %v", dst, err)
		}
		ip, ok := from.(*net.IPAddr)
		if !ok || !ip.IP.Equal(dst.AsSlice()) {
			continue
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != replyType {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id && e.Seq == seq {
			return Result{OK: true, Detail: fmt.Sprintf("ping %s: reply in %s", dst, time.Since(start).Round(time.Microsecond))}
		}
	}
}
