package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/havip/havip/runtime/check"
)

// cmdGenhash prints the MD5 digest of a URL's body as keepalived's genhash
// does, for the digest of an HTTP_GET/SSL_GET url block. It takes
// genhash's options, short or long.
func cmdGenhash(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("genhash", "-s ADDRESS -p PORT -u PATH [-S] [-I] [-V HOST] [-P 1.0|1.0C|1.1] [-m FWMARK] [-t SECONDS] [-v]", stderr)
	var (
		server, path, vhost, proto string
		port, fwmark, timeout      int
		ssl, sni, verbose          bool
	)
	// Each option has genhash's short and long name.
	str := func(dst *string, short, long, def, usage string) {
		fs.StringVar(dst, long, def, usage)
		fs.StringVar(dst, short, def, "same as --"+long)
	}
	num := func(dst *int, short, long string, def int, usage string) {
		fs.IntVar(dst, long, def, usage)
		fs.IntVar(dst, short, def, "same as --"+long)
	}
	flag := func(dst *bool, short, long, usage string) {
		fs.BoolVar(dst, long, false, usage)
		fs.BoolVar(dst, short, false, "same as --"+long)
	}
	str(&server, "s", "server", "", "server address")
	str(&path, "u", "url", "", "url path")
	str(&vhost, "V", "use-virtualhost", "", "virtualhost: the Host header, and the TLS SNI with --use-sni")
	str(&proto, "P", "protocol", "1.0", "HTTP protocol: 1.0, 1.0C (with Connection: close) or 1.1")
	num(&port, "p", "port", 0, "server port (default 80, 443 with --use-ssl)")
	num(&fwmark, "m", "fwmark", 0, "firewall mark for the connection")
	num(&timeout, "t", "timeout", 5, "timeout in seconds")
	flag(&ssl, "S", "use-ssl", "connect with TLS")
	flag(&sni, "I", "use-sni", "send the virtualhost as TLS SNI")
	flag(&verbose, "v", "verbose", "print the response header and body too")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
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
