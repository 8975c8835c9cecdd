package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
)

// genhashHandler serves bodies of several shapes.
func genhashHandler() http.Handler {
	big := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/text", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello\n") })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("Content-Length", "0") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		w.Write(big)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "not here", http.StatusNotFound) })
	mux.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "host=%s proto=%s", r.Host, r.Proto) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "first part\n")
		w.(http.Flusher).Flush()
		fmt.Fprint(w, "second part\n")
	})
	return mux
}

// TestGenhashMatchesKeepalived compares havip genhash with keepalived's
// genhash on the same URLs.
func TestGenhashMatchesKeepalived(t *testing.T) {
	genhash := testenv.RequireCommand(t, "genhash", "keepalived")
	plain := httptest.NewServer(genhashHandler())
	defer plain.Close()
	secure := httptest.NewTLSServer(genhashHandler())
	defer secure.Close()
	hostPort := func(s *httptest.Server) (string, string) {
		ap := netip.MustParseAddrPort(s.Listener.Addr().String())
		return ap.Addr().String(), strconv.Itoa(int(ap.Port()))
	}
	ph, pp := hostPort(plain)
	sh, sp := hostPort(secure)
	cases := [][]string{
		{"-s", ph, "-p", pp, "-u", "/text"},
		{"-s", ph, "-p", pp, "-u", "/empty"},
		{"-s", ph, "-p", pp, "-u", "/big"},
		{"-s", ph, "-p", pp, "-u", "/missing"},
		{"-s", ph, "-p", pp, "-u", "/host"},
		{"-s", ph, "-p", pp, "-u", "/host", "-V", "www.example.org"},
		{"-s", ph, "-p", pp, "-u", "/host", "-P", "1.0C"},
		{"-s", ph, "-p", pp, "-u", "/host", "-P", "1.1"},
		{"-s", ph, "-p", pp, "-u", "/chunked", "-P", "1.1"},
		{"-S", "-s", sh, "-p", sp, "-u", "/text"},
		{"-S", "-s", sh, "-p", sp, "-u", "/host", "-V", "tls.example", "-I"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, genhash, args...).Output()
			if err != nil {
				t.Fatalf("genhash %v: %v", args, err)
			}
			want := lastLine(string(out))
			var stdout, stderr bytes.Buffer
			if code := execute(append([]string{"genhash"}, args...), nil, &stdout, &stderr); code != 0 {
				t.Fatalf("havip genhash exit %d: %s", code, stderr.String())
			}
			if got := lastLine(stdout.String()); got != want || len(got) != 32 {
				t.Fatalf("havip genhash %q, keepalived genhash %q", got, want)
			}
			t.Logf("digest %s", want)
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func TestGenhashUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-u", "/"}, "-s ADDRESS and -u PATH are required"},
		{[]string{"-s", "example.org", "-u", "/"}, "is not an IP address"},
		{[]string{"-s", "192.0.2.1", "-u", "/", "-P", "2"}, `-P "2" is not 1.0, 1.0C or 1.1`},
	} {
		var stdout, stderr bytes.Buffer
		if code := execute(append([]string{"genhash"}, tc.args...), nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
