package track

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TCPSpec is a native TCP connect check: up when a TCP connection to Addr succeeds within Timeout.
type TCPSpec struct {
	Name              string
	Addr              netip.AddrPort
	Interval, Timeout time.Duration // defaults 1 s and Interval
	Rise, Fall        int           // defaults 1 and 1
	InitFail          bool
}

// NewTCP returns a KindScript tracker (it stands for a vrrp_script) that probes spec.Addr.
func NewTCP(spec TCPSpec, log *slog.Logger) Tracker {
	interval := durationOr(spec.Interval, DefaultInterval)
	timeout := durationOr(spec.Timeout, interval)
	return &pollTracker{
		key:      Key{KindScript, spec.Name},
		interval: interval,
		h:        newHysteresis(spec.Rise, spec.Fall, spec.InitFail),
		log:      loggerOr(log),
		check: func(ctx context.Context) checkOutcome {
			start := time.Now()
			err := Probe(ctx, spec.Addr, timeout)
			out := checkOutcome{ok: err == nil, duration: time.Since(start)}
			if err != nil {
				out.detail, out.exit = err.Error(), 1
			} else {
				out.detail = "tcp connect to " + spec.Addr.String() + " succeeded"
			}
			return out
		},
	}
}

// Probe connects to addr over TCP and closes the connection; nil means the port accepts
// connections. It replaces keepalived configs' `bash -c '</dev/tcp/HOST/PORT'`.
func Probe(ctx context.Context, addr netip.AddrPort, timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return fmt.Errorf("tcp probe %s: %w", addr, err)
	}
	return conn.Close()
}

// ParseProbe recognises the argv the renderer emits for the built-in TCP check,
//
//	[…/]havip probe tcp [--timeout D] HOST:PORT
//
// (the timeout may also follow the address; D is a Go duration such as 2s or a number of seconds;
// HOST is an IP literal, IPv6 in brackets). It returns the address and timeout, and false for any
// other argv, which is then executed as an ordinary script.
func ParseProbe(args []string) (TCPSpec, bool) {
	if len(args) < 4 || filepath.Base(args[0]) != "havip" || args[1] != "probe" || args[2] != "tcp" {
		return TCPSpec{}, false
	}
	var spec TCPSpec
	haveAddr, haveTimeout := false, false
	rest := args[3:]
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		name, value, hasValue := strings.Cut(arg, "=")
		if name == "--timeout" || name == "-timeout" {
			if haveTimeout {
				return TCPSpec{}, false
			}
			if !hasValue {
				if i+1 >= len(rest) {
					return TCPSpec{}, false
				}
				i++
				value = rest[i]
			}
			d, ok := parseProbeTimeout(value)
			if !ok {
				return TCPSpec{}, false
			}
			spec.Timeout, haveTimeout = d, true
			continue
		}
		if haveAddr {
			return TCPSpec{}, false
		}
		ap, err := netip.ParseAddrPort(arg)
		if err != nil || ap.Port() == 0 {
			return TCPSpec{}, false
		}
		spec.Addr, haveAddr = ap, true
	}
	if !haveAddr {
		return TCPSpec{}, false
	}
	return spec, true
}

func parseProbeTimeout(s string) (time.Duration, bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, d > 0
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || !(secs > 0) || secs > 3600 {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}
