package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestProbeTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().String()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	t.Cleanup(func() { ln.Close() })

	for _, tc := range []struct {
		args     []string
		code     int
		inOutput string
	}{
		{[]string{"tcp", open}, 0, "up"},
		{[]string{"tcp", "localhost:" + open[strings.LastIndex(open, ":")+1:]}, 0, "up"},
		{[]string{"tcp", "--timeout", "1s", open}, 0, "up"},
		{[]string{"tcp", open, "--timeout", "1s"}, 0, "up"},
		{[]string{"tcp", "--timeout=1.5", open}, 0, "up"},
		{[]string{"tcp", open, "--timeout", "0"}, 2, "want a positive duration"},
		{[]string{"tcp", refused}, 1, "down"},
		{[]string{"tcp", "localhost:" + refused[strings.LastIndex(refused, ":")+1:]}, 1, "down"},
		{[]string{"tcp", "localhost"}, 2, "is not a HOST:PORT"},
		{[]string{"tcp", "localhost:http"}, 2, "is not a HOST:PORT"},
		{[]string{"tcp"}, 2, "exactly one HOST:PORT"},
		{[]string{"udp", open}, 2, "want 'tcp HOST:PORT' or 'http URL'"},
		{[]string{"tcp", open, "--timeout", "soon"}, 2, `invalid argument "soon" for "--timeout" flag`},
	} {
		var stdout, stderr bytes.Buffer
		code := execute(append([]string{"probe"}, tc.args...), nil, &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if code != tc.code || !strings.Contains(out, tc.inOutput) {
			t.Errorf("havip probe %v = %d %q, want %d and output containing %q", tc.args, code, out, tc.code, tc.inOutput)
		}
	}
}
