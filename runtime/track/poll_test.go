package track

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/script"
)

func TestHysteresis(t *testing.T) {
	tests := []struct {
		name       string
		rise, fall int
		initFail   bool
		outcomes   string // s = success, f = failure
		reports    string // for each outcome: U = reported up, D = reported down, . = no change
	}{
		{"first result decides (success)", 1, 1, false, "s", "U"},
		{"first result decides (failure)", 1, 1, false, "f", "D"},
		{"rise/fall 1 follows every change", 1, 1, false, "sfsf", "UDUD"},
		{"fall 3 needs three failures", 1, 3, false, "sffsfff", "U.....D"},
		{"rise 2 needs two successes", 2, 1, false, "fsfss", "D...U"},
		{"init_fail needs rise successes", 3, 1, true, "sss", "..U"},
		{"init_fail then failure is no change", 1, 1, true, "fs", ".U"},
		{"zero rise/fall mean 1", 0, 0, false, "sf", "UD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHysteresis(tt.rise, tt.fall, tt.initFail)
			var got strings.Builder
			for _, o := range tt.outcomes {
				switch {
				case !h.observe(o == 's'):
					got.WriteByte('.')
				case h.up:
					got.WriteByte('U')
				default:
					got.WriteByte('D')
				}
			}
			if got.String() != tt.reports {
				t.Fatalf("outcomes %s reported %s, want %s", tt.outcomes, got.String(), tt.reports)
			}
		})
	}
}

func TestParseProbe(t *testing.T) {
	v4 := netip.MustParseAddrPort("192.0.2.10:8080")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:443")
	tests := []struct {
		args []string
		want TCPSpec
		ok   bool
	}{
		{[]string{"/usr/local/bin/havip", "probe", "tcp", "192.0.2.10:8080"}, TCPSpec{Addr: v4}, true},
		{[]string{"havip", "probe", "tcp", "[2001:db8::1]:443"}, TCPSpec{Addr: v6}, true},
		{[]string{"havip", "probe", "tcp", "--timeout", "2s", "192.0.2.10:8080"}, TCPSpec{Addr: v4, Timeout: 2 * time.Second}, true},
		{[]string{"havip", "probe", "tcp", "192.0.2.10:8080", "--timeout=1.5"}, TCPSpec{Addr: v4, Timeout: 1500 * time.Millisecond}, true},
		{[]string{"havip", "probe", "tcp", "-timeout", "500ms", "192.0.2.10:8080"}, TCPSpec{Addr: v4, Timeout: 500 * time.Millisecond}, true},
		{[]string{"havip", "probe", "tcp"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "--timeout", "2s"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "192.0.2.10:8080", "--timeout"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "192.0.2.10:8080", "--timeout", "0s"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "192.0.2.10:8080", "--timeout", "-1"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "192.0.2.10:8080", "--timeout", "1s", "--timeout", "2s"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "192.0.2.10:8080", "192.0.2.11:80"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "192.0.2.10:0"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "example.com:80"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "tcp", "192.0.2.10"}, TCPSpec{}, false},
		{[]string{"havip", "probe", "udp", "192.0.2.10:53"}, TCPSpec{}, false},
		{[]string{"/usr/bin/havipx", "probe", "tcp", "192.0.2.10:80"}, TCPSpec{}, false},
		{[]string{"/bin/bash", "-c", "</dev/tcp/192.0.2.10/80"}, TCPSpec{}, false},
		{nil, TCPSpec{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseProbe(tt.args)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseProbe(%q) = %+v, %v; want %+v, %v", tt.args, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseProbe(f *testing.F) {
	f.Add("havip probe tcp 192.0.2.1:80")
	f.Add("/x/havip probe tcp --timeout 2s [2001:db8::1]:443")
	f.Add("havip probe tcp 192.0.2.1:80 --timeout=1")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		spec, ok := ParseProbe(args)
		if !ok {
			if spec != (TCPSpec{}) {
				t.Fatalf("rejected %q but returned %+v", args, spec)
			}
			return
		}
		if !spec.Addr.IsValid() || spec.Addr.Port() == 0 || spec.Timeout < 0 {
			t.Fatalf("accepted %q with invalid result %+v", args, spec)
		}
		if filepath.Base(args[0]) != "havip" || args[1] != "probe" || args[2] != "tcp" {
			t.Fatalf("accepted a non-probe argv %q", args)
		}
	})
}

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	return addr
}

func listen(t testing.TB) (net.Listener, netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, netip.MustParseAddrPort(ln.Addr().String())
}

func TestProbe(t *testing.T) {
	_, open := listen(t)
	if err := Probe(context.Background(), open, 2*time.Second); err != nil {
		t.Fatalf("probe of listening %s: %v", open, err)
	}
	closed := closedPort(t)
	err := Probe(context.Background(), closed, 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), closed.String()) {
		t.Fatalf("probe of closed %s: want error naming it, got %v", closed, err)
	}
}

func TestTCPTrackerFollowsListener(t *testing.T) {
	ln, addr := listen(t)
	r := start(t, NewTCP(TCPSpec{Name: "chk_port", Addr: addr, Interval: 50 * time.Millisecond, Timeout: time.Second}, nil))
	r.expect(t, true, "listener up")
	ln.Close()
	r.expect(t, false, "listener closed")
}

func TestScriptWithProbeArgvRunsInProcess(t *testing.T) {
	_, addr := listen(t)
	// The executable does not exist: only an in-process probe can succeed.
	cmd := script.Command{Args: []string{"/nonexistent/havip", "probe", "tcp", addr.String()}}
	tr := NewScript(ScriptSpec{Name: "chk_port", Command: cmd, Interval: 50 * time.Millisecond}, script.Runner{})
	if tr.Key() != (Key{KindScript, "chk_port"}) {
		t.Fatalf("key %v", tr.Key())
	}
	start(t, tr).expect(t, true, "in-process probe of a listening port")
}

func TestScriptTrackerRiseFall(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "healthy")
	cmd := script.Command{Args: []string{"test", "-e", flag}}
	r := start(t, NewScript(ScriptSpec{Name: "chk", Command: cmd, Interval: 30 * time.Millisecond, Rise: 2, Fall: 2}, script.Runner{}))
	r.expect(t, false, "flag missing")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r.expect(t, true, "flag created")
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	r.expect(t, false, "flag removed")
}

func TestScriptTrackerInitFail(t *testing.T) {
	r := start(t, NewScript(ScriptSpec{Name: "chk", Command: script.Command{Args: []string{"true"}}, Interval: 30 * time.Millisecond, InitFail: true}, script.Runner{}))
	first := r.expect(t, false, "init_fail state")
	if !strings.Contains(first.Detail, "init_fail") {
		t.Fatalf("first report should explain init_fail, got %q", first.Detail)
	}
	r.expect(t, true, "first success")
}

func TestScriptTrackerTimeoutIsFailure(t *testing.T) {
	cmd := script.Command{Args: []string{"sleep", "30"}}
	spec := ScriptSpec{Name: "chk", Command: cmd, Interval: 100 * time.Millisecond, Timeout: 100 * time.Millisecond}
	res := start(t, NewScript(spec, script.Runner{KillGrace: 100 * time.Millisecond})).expect(t, false, "hung script")
	if !strings.Contains(res.Detail, "timed out") {
		t.Fatalf("detail should say timed out, got %q", res.Detail)
	}
}

func TestScriptTrackerSkipsWhileRunning(t *testing.T) {
	dir := t.TempDir()
	lock, logFile := filepath.Join(dir, "lock"), filepath.Join(dir, "log")
	body := fmt.Sprintf("mkdir %[1]s || echo overlap >> %[2]s; echo run >> %[2]s; sleep 0.3; rmdir %[1]s; exit 1", lock, logFile)
	spec := ScriptSpec{Name: "slow", Command: script.Command{Text: body}, Interval: 20 * time.Millisecond, Timeout: 5 * time.Second}
	r := start(t, NewScript(spec, script.Runner{}))
	r.expect(t, false, "slow failing script")
	deadline := time.Now().Add(waitDeadline)
	for {
		data, _ := os.ReadFile(logFile)
		if strings.Contains(string(data), "overlap") {
			t.Fatalf("a run started while the previous one was still running:\n%s", data)
		}
		if strings.Count(string(data), "run") >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("script did not run 3 times within %s:\n%s", waitDeadline, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
