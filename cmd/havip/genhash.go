package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/havip/havip/runtime/check"
)

// genhashFlags are genhash's options.
type genhashFlags struct {
	server, path, vhost, proto string
	port, fwmark, timeout      int
	ssl, sni, verbose          bool
}

func newGenhashCmd(a *app) *cobra.Command {
	var f genhashFlags
	cmd := &cobra.Command{
		Use:   "genhash -s ADDRESS -u PATH [-p PORT] [-S] [-I] [-V HOST] [-P 1.0|1.0C|1.1] [-m FWMARK] [-t SECONDS] [-v]",
		Short: "print the MD5 digest of a URL's body, as keepalived's genhash (for HTTP_GET/SSL_GET digest)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return exit(runGenhash(f, a.stdout, a.stderr))
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.server, "server", "s", "", "server `ADDRESS`")
	fs.StringVarP(&f.path, "url", "u", "", "url `PATH`")
	fs.StringVarP(&f.vhost, "use-virtualhost", "V", "", "virtualhost `HOST`: the Host header, and the TLS SNI with --use-sni")
	fs.StringVarP(&f.proto, "protocol", "P", "1.0", "HTTP `PROTOCOL`: 1.0, 1.0C (with Connection: close) or 1.1")
	fs.IntVarP(&f.port, "port", "p", 0, "server `PORT` (default 80, 443 with --use-ssl)")
	fs.IntVarP(&f.fwmark, "fwmark", "m", 0, "firewall `MARK` for the connection")
	fs.IntVarP(&f.timeout, "timeout", "t", 5, "timeout in `SECONDS`")
	fs.BoolVarP(&f.ssl, "use-ssl", "S", false, "connect with TLS")
	fs.BoolVarP(&f.sni, "use-sni", "I", false, "send the virtualhost as TLS SNI")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "print the response header and body too")
	return cmd
}

// runGenhash prints the MD5 digest of a URL's body as keepalived's genhash
// does, for the digest of an HTTP_GET/SSL_GET url block.
func runGenhash(f genhashFlags, stdout, stderr io.Writer) int {
	server, path, vhost, proto := f.server, f.path, f.vhost, f.proto
	port, fwmark, timeout := f.port, f.fwmark, f.timeout
	ssl, sni, verbose := f.ssl, f.sni, f.verbose
	addr, err := netip.ParseAddr(server)
	switch {
	case server == "" || path == "":
		fmt.Fprintln(stderr, "havip genhash: -s ADDRESS and -u PATH are required")
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "havip genhash: -s %q is not an IP address\n", server)
		return 2
	case proto != "1.0" && proto != "1.0C" && proto != "1.0c" && proto != "1.1":
		fmt.Fprintf(stderr, "havip genhash: -P %q is not 1.0, 1.0C or 1.1\n", proto)
		return 2
	case port < 0 || port > 65535 || fwmark < 0 || timeout <= 0:
		fmt.Fprintln(stderr, "havip genhash: -p must be a port, -m a non-negative mark and -t a positive number of seconds")
		return 2
	}
	if proto == "1.0c" {
		proto = "1.0C"
	}
	if port == 0 {
		port = 80
		if ssl {
			port = 443
		}
	}
	req := check.HTTPRequest{
		Target:      check.Target{Addr: netip.AddrPortFrom(addr, uint16(port)), Fwmark: uint32(fwmark), Timeout: time.Duration(timeout) * time.Second},
		Path:        path,
		Virtualhost: vhost,
		Protocol:    proto,
		SNI:         sni,
	}
	if ssl {
		if req.TLS, err = check.TLSConfig(nil); err != nil {
			fmt.Fprintf(stderr, "havip genhash: %v\n", err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), req.Target.Timeout)
	defer cancel()
	resp, err := check.Get(ctx, req)
	if err != nil {
		fmt.Fprintf(stderr, "havip genhash: %v\n", err)
		return 1
	}
	if verbose {
		fmt.Fprintf(stdout, "%s%s\n", resp.Header, resp.Body)
		fmt.Fprintln(stdout, "status "+strconv.Itoa(resp.Status))
	}
	fmt.Fprintln(stdout, resp.Digest)
	return 0
}
