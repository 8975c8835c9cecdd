package main

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
)

func TestHTTPListenFailsTheStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name, addr, env, bound, boundEnv, want string
	}{
		{"port in use", busy.Addr().String(), "", "", "", "address already in use"},
		{"not an address", "9165", "", "", "", `--http-listen (or HAVIP_HTTP_LISTEN): "9165" is not HOST:PORT`},
		{"from the environment", "", "nohost:1", "", "", `host "nohost" is not an IP address`},
		{"heartbeat bound not a duration", "127.0.0.1:0", "", "10", "", `--healthz-heartbeat-bound (or HAVIP_HEALTHZ_HEARTBEAT_BOUND) "10": want a duration of at least 2s`},
		{"heartbeat bound under two beats", "127.0.0.1:0", "", "1500ms", "", `"1500ms": want a duration of at least 2s`},
		{"heartbeat bound from the environment", "127.0.0.1:0", "", "", "-3s", `"-3s": want a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"-f", "/nonexistent/keepalived.conf", "--status-socket", "", "--output", t.TempDir()}
			if tt.addr != "" {
				args = append(args, "--http-listen", tt.addr)
			}
			if tt.bound != "" {
				args = append(args, "--healthz-heartbeat-bound", tt.bound)
			}
			var stderr bytes.Buffer
			env := map[string]string{"HAVIP_HTTP_LISTEN": tt.env, "HAVIP_HEALTHZ_HEARTBEAT_BOUND": tt.boundEnv}
			code := execute(append([]string{"supervise"}, args...), env, io.Discard, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), tt.want)
			}
		})
	}
}
