package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/havip/havip/runtime/track"
)

// cmdProbe runs one health probe and reports it through its exit code, so
// that a rendered vrrp_script works under real keepalived too. `havip run`
// recognises the same command line and probes in-process instead of forking.
func cmdProbe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("probe", "tcp HOST:PORT | http URL [--timeout DURATION]", stderr)
	timeout := fs.Duration("timeout", 2*time.Second, "give up connecting after this long")
	if len(args) > 0 && args[0] == "http" {
		return cmdProbeHTTP(fs, args[1:], timeout, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "tcp" {
		if code := parseFlags(fs, args); code >= 0 {
			return code
		}
		fmt.Fprintln(stderr, "havip probe: want 'tcp HOST:PORT' or 'http URL' (the only probes there are)")
		return 2
	}
	// The timeout may come before or after the address, as ParseProbe accepts.
	positional, code := parseInterleaved(fs, args[1:])
	if code >= 0 {
		return code
	}
	if len(positional) != 1 {
		fmt.Fprintln(stderr, "havip probe tcp: want exactly one HOST:PORT, e.g. 127.0.0.1:80 or [::1]:80")
		return 2
	}
	return probeTCP(positional[0], *timeout, stdout, stderr)
}

// probeTCP connects to target once.
func probeTCP(target string, timeout time.Duration, stdout, stderr io.Writer) int {
	addr, err := netip.ParseAddrPort(target)
	if err != nil {
		fmt.Fprintf(stderr, "havip probe tcp: %q is not an IP:PORT (e.g. 127.0.0.1:80 or [::1]:80): %v\n", target, err)
		return 2
	}
	if err := track.Probe(context.Background(), addr, timeout); err != nil {
		fmt.Fprintf(stderr, "havip probe tcp %s: down: %v\n", addr, err)
		return 1
	}
	fmt.Fprintf(stdout, "havip probe tcp %s: up\n", addr)
	return 0
}
