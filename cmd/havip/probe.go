package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/havip/havip/runtime/track"
)

func newProbeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "probe (tcp HOST:PORT | http URL) [--timeout DURATION]",
		Short: "probe a TCP port (the catalogs' native health check)",
		Long: "Runs one health probe and reports it through its exit code (0 up, 1 down, 2 misuse), so that a\n" +
			"rendered vrrp_script works under real keepalived too. `havip run` recognises the same command\n" +
			"line and probes in-process instead of forking.",
		RunE: func(*cobra.Command, []string) error {
			return usagef("want 'tcp HOST:PORT' or 'http URL'")
		},
	}
	timeout := probeTimeout(2 * time.Second)
	tcp := &cobra.Command{
		Use:   "tcp HOST:PORT [--timeout DURATION]",
		Short: "connect to HOST:PORT once; HOST is an IP address or a host name",
		Args:  exactArgs(1, "exactly one HOST:PORT, e.g. 127.0.0.1:80, [::1]:80 or db.example.com:5432"),
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(probeTCP(args[0], time.Duration(timeout), a.stdout, a.stderr))
		},
	}
	tcp.Flags().Var(&timeout, "timeout", "give up connecting after this `DURATION` (2s, 500ms, or a number of seconds)")
	http := &cobra.Command{
		Use:   "http URL [--timeout DURATION]",
		Short: "GET URL once; up on a 2xx answer (the container healthcheck of /healthz and /readyz)",
		Args:  exactArgs(1, "exactly one URL, e.g. http://127.0.0.1:9165/healthz"),
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(probeHTTP(args[0], time.Duration(timeout), a.stdout, a.stderr))
		},
	}
	http.Flags().Var(&timeout, "timeout", "give up after this `DURATION` (2s, 500ms, or a number of seconds)")
	cmd.AddCommand(tcp, http)
	return cmd
}

// probeTimeout is --timeout: a Go duration or a number of seconds, as the
// in-process probe (track.ParseProbe) reads the same command line.
type probeTimeout time.Duration

func (d *probeTimeout) String() string { return time.Duration(*d).String() }
func (d *probeTimeout) Type() string   { return "duration" }
func (d *probeTimeout) Set(s string) error {
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs > 0 {
		*d = probeTimeout(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("want a positive duration such as 2s or 500ms, or a number of seconds")
	}
	*d = probeTimeout(v)
	return nil
}

// probeTCP connects to target once; a host name is resolved and its
// addresses tried in turn until one answers, within timeout in all.
func probeTCP(target string, timeout time.Duration, stdout, stderr io.Writer) int {
	host, portText, err := net.SplitHostPort(target)
	port, perr := strconv.ParseUint(portText, 10, 16)
	if err != nil || perr != nil || host == "" {
		fmt.Fprintf(stderr, "havip probe tcp: %q is not a HOST:PORT (e.g. 127.0.0.1:80, [::1]:80 or db.example.com:5432)\n", target)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	addrs, err := resolve(ctx, host)
	if err != nil {
		fmt.Fprintf(stderr, "havip probe tcp %s: down: %v\n", target, err)
		return 1
	}
	var errs []error
	for _, a := range addrs {
		ap := netip.AddrPortFrom(a, uint16(port))
		if err := track.Probe(ctx, ap, timeout); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(stdout, "havip probe tcp %s: up\n", target)
		return 0
	}
	fmt.Fprintf(stderr, "havip probe tcp %s: down: %v\n", target, errors.Join(errs...))
	return 1
}

// resolve returns host as an address, or the addresses it resolves to.
func resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", host, err)
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	return addrs, nil
}
