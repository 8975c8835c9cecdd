package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// probeHTTP is `havip probe http URL`: one GET, up on a 2xx answer. The
// image may have no shell or curl, so this is the container healthcheck of
// havip's own /healthz and /readyz.
func probeHTTP(target string, timeout time.Duration, stdout, stderr io.Writer) int {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "havip probe http: %q is not an http:// or https:// URL with a host, e.g. http://127.0.0.1:9165/healthz\n", target)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "havip probe http %s: %v\n", target, err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "havip probe http %s: down: %v\n", target, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(stderr, "havip probe http %s: down: %s %s\n", target, resp.Status, body)
		return 1
	}
	fmt.Fprintf(stdout, "havip probe http %s: up\n", target)
	return 0
}
