package check

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/havip/havip/config"
)

type udpProber struct {
	t       Target
	payload []byte
	u       *config.UDPCheck
}

func newUDPProber(t Target, u *config.UDPCheck) (Prober, error) {
	p := &udpProber{t: t, u: u, payload: config.HexBytes(u.Payload)}
	if u.Payload != "" && len(p.payload) == 0 {
		return nil, fmt.Errorf("UDP_CHECK payload %q is not hex", u.Payload)
	}
	return p, nil
}

// Probe sends the payload (16 random bytes without one). An ICMP error
// (port or host unreachable) fails; with require_reply a reply of the
// right length matching the pattern must come within the timeout,
// without it silence is success.
func (p *udpProber) Probe(ctx context.Context) Result {
	ctx, cancel := bounded(ctx, p.t.Timeout)
	defer cancel()
	conn, err := p.t.dialer("udp").DialContext(ctx, "udp", p.t.Addr.String())
	if err != nil {
		return fail("udp to %s: %v", p.t.Addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	payload := p.payload
	if len(payload) == 0 {
		payload = make([]byte, 16)
		rand.Read(payload)
	}
	if _, err := conn.Write(payload); err != nil {
		return fail("udp send to %s: %v", p.t.Addr, err)
	}
	buf := make([]byte, 65536)
	n, err := conn.Read(buf)
	switch {
	case err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed)):
		if p.u.RequireReply {
			return fail("udp %s: no reply within %s", p.t.Addr, p.t.Timeout)
		}
		return Result{OK: true, Detail: "udp " + p.t.Addr.String() + ": no ICMP error"}
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fail("udp %s: %v", p.t.Addr, err)
	case err != nil:
		return fail("udp receive from %s: %v", p.t.Addr, err)
	}
	if msg := checkReply(buf[:n], p.u); msg != "" {
		return fail("udp %s: %s", p.t.Addr, msg)
	}
	return Result{OK: true, Detail: fmt.Sprintf("udp %s replied %d bytes", p.t.Addr, n)}
}

// checkReply returns "" when reply satisfies require_reply's length
// bounds and pattern (compared over the shorter of the two; x matches any
// nibble), else what did not.
func checkReply(reply []byte, u *config.UDPCheck) string {
	if !u.RequireReply {
		return ""
	}
	if len(reply) < u.MinReplyLength || len(reply) > u.MaxReplyLength {
		return fmt.Sprintf("reply of %d bytes is outside %d..%d", len(reply), u.MinReplyLength, u.MaxReplyLength)
	}
	pat := u.ReplyPattern
	for i := 0; i < len(reply) && 2*i+1 < len(pat); i++ {
		for half, c := range []byte{pat[2*i], pat[2*i+1]} {
			if c == 'x' {
				continue
			}
			want := hexNibble(c)
			got := reply[i] >> 4
			if half == 1 {
				got = reply[i] & 0xf
			}
			if got != want {
				return fmt.Sprintf("reply byte %d is %02x, want %s", i, reply[i], pat[2*i:2*i+2])
			}
		}
	}
	return ""
}

func hexNibble(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}
