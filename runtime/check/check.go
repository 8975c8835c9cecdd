// Package check runs keepalived's real-server health checkers (TCP_CHECK,
// HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK, SMTP_CHECK, UDP_CHECK,
// PING_CHECK): one probe per attempt (HTTP_GET and SSL_GET: one url per
// attempt, as keepalived walks them), each bounded by its connect_timeout
// (misc_timeout for MISC_CHECK), on keepalived's schedule — delay_loop
// between checks, retry further attempts delay_before_retry apart before a
// real server is declared down (and, for TCP_CHECK and SMTP_CHECK, again
// while it is down: each checker type keeps keepalived's own rule, see
// Machine), a random warmup before the first check, and alpha to start
// down.
//
// The schedule is a pure state machine (Machine) driven by a Runner on an
// injected Clock; results are published as state, never through a channel
// that could block the caller.
package check

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/havip/havip/config"
)

// Result is the outcome of one probe.
type Result struct {
	OK bool
	// Weight is the real server weight set by a misc_dynamic exit status
	// (valid when HasWeight).
	Weight    int
	HasWeight bool
	// Detail says what happened, for logs.
	Detail string
}

// Prober performs one check attempt; it returns when ctx ends at the
// latest.
type Prober interface {
	Probe(ctx context.Context) Result
}

// Target is where a checker connects: the checker's connect_ip/port, else
// the real server's address and port, with the source settings.
type Target struct {
	Addr     netip.AddrPort
	BindTo   netip.Addr
	BindPort uint16
	BindIf   string
	Fwmark   uint32
	Timeout  time.Duration
}

// TargetOf resolves a checker's target.
func TargetOf(ck *config.Checker, rs *config.RealServer) Target {
	addr, port := rs.Addr, rs.Port
	if ck.ConnectIP.IsValid() {
		addr = ck.ConnectIP
	}
	if ck.ConnectPort != 0 {
		port = ck.ConnectPort
	}
	return Target{
		Addr:     netip.AddrPortFrom(addr, port),
		BindTo:   ck.BindTo,
		BindPort: ck.BindPort,
		BindIf:   ck.BindIf,
		Fwmark:   ck.Fwmark,
		Timeout:  ck.ConnectTimeout,
	}
}

// dialer returns a net.Dialer honouring bindto, bind_port, bind_if and
// fwmark.
func (t Target) dialer(network string) *net.Dialer {
	d := &net.Dialer{Timeout: t.Timeout}
	if t.BindTo.IsValid() || t.BindPort != 0 {
		src := t.BindTo
		if src.Is6() && src.IsLinkLocalUnicast() && t.BindIf != "" {
			src = src.WithZone(t.BindIf) // a link-local source needs its interface
		}
		ap := netip.AddrPortFrom(src, t.BindPort)
		if network == "udp" {
			d.LocalAddr = net.UDPAddrFromAddrPort(ap)
		} else {
			d.LocalAddr = net.TCPAddrFromAddrPort(ap)
		}
	}
	if t.Fwmark != 0 || t.BindIf != "" {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				if t.Fwmark != 0 {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(t.Fwmark))
				}
				if serr == nil && t.BindIf != "" {
					serr = unix.BindToDevice(int(fd), t.BindIf)
				}
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return d
}

// Options are the settings from outside the checker.
type Options struct {
	// SSL is the top-level SSL block (nil for none).
	SSL *config.SSLContext
	// ScriptSecurity is global_defs enable_script_security.
	ScriptSecurity bool
	Log            *slog.Logger
}

// New returns the prober for a checker of real server rs.
func New(ck *config.Checker, rs *config.RealServer, opts Options) (Prober, error) {
	t := TargetOf(ck, rs)
	switch ck.Type {
	case config.CheckTCP:
		return tcpProber{t}, nil
	case config.CheckHTTP, config.CheckSSL:
		return newHTTPProber(t, ck, opts.SSL)
	case config.CheckMisc:
		return newMiscProber(ck, opts)
	case config.CheckDNS:
		return dnsProber{t: t, qtype: ck.DNS.Type, name: ck.DNS.Name}, nil
	case config.CheckSMTP:
		return smtpProber{t: t, helo: ck.SMTP.HeloName}, nil
	case config.CheckUDP:
		return newUDPProber(t, ck.UDP)
	case config.CheckPing:
		return pingProber{t: t}, nil
	}
	return nil, fmt.Errorf("checker %s of real server %s: unknown type", ck.Type, rs.Name())
}

// bounded returns ctx limited to the target's timeout.
func bounded(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = config.DefaultConnectTimeout
	}
	return context.WithTimeout(ctx, timeout)
}

func fail(format string, args ...any) Result {
	return Result{Detail: fmt.Sprintf(format, args...)}
}

type tcpProber struct{ t Target }

func (p tcpProber) Probe(ctx context.Context) Result {
	ctx, cancel := bounded(ctx, p.t.Timeout)
	defer cancel()
	conn, err := p.t.dialer("tcp").DialContext(ctx, "tcp", p.t.Addr.String())
	if err != nil {
		return fail("tcp connect to %s: %v", p.t.Addr, err)
	}
	conn.Close()
	return Result{OK: true, Detail: "tcp connect to " + p.t.Addr.String() + " succeeded"}
}
