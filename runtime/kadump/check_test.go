package kadump

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
)

// checkCase is a config, the snapshot's virtual servers, and the file in
// testdata that holds the keepalived_check.data that follows the global
// definitions; UID:GID there stands for this process's ids (the scripts
// that name no user run as havip).
type checkCase struct {
	name   string
	conf   string
	vss    []engine.VirtualServerStatus
	golden string
}

// seven is a misc_dynamic checker's reported weight.
var seven = 7

var checkCases = []checkCase{{
	name: "NAT with HTTP_GET and TCP_CHECK, one real server alive, one inhibited",
	conf: `virtual_server 192.0.2.100 80 {
  protocol TCP
  lb_algo sh
  sh-port
  lb_kind NAT
  persistence_timeout 600
  persistence_granularity 24
  quorum 2
  hysteresis 1
  quorum_up "/usr/local/bin/quorum up"
  quorum_down "/usr/local/bin/quorum down" root root
  sorry_server 198.51.100.9 8080
  real_server 198.51.100.1 8080 {
    weight 3
    uthreshold 100
    lthreshold 10
    notify_up "/bin/echo up"
    HTTP_GET {
      url {
        path /health
        status_code 200 201-204 302
        digest 9b3a0c85a887a256d6939da88aabd8cd
        virtualhost www.example
      }
      http_protocol 1.1
      connect_timeout 2
      retry 2
      delay_before_retry 1.5
      delay_loop 10
      warmup 3
    }
  }
  real_server 198.51.100.2 8080 {
    inhibit_on_failure
    notify_down "/bin/echo down"
    TCP_CHECK {
      connect_ip 198.51.100.20
      connect_port 9000
      bindto 192.0.2.1
      bind_port 4000
      bind_if eth0
      fwmark 3
      alpha
      log_all_failures true
    }
  }
}
`,
	vss: []engine.VirtualServerStatus{{Name: "[192.0.2.100]:tcp:80", Quorum: true, RealServers: []engine.RealServerStatus{
		{Address: "198.51.100.1:8080", Alive: true, Weight: 3, Checkers: []engine.CheckerStatus{{Kind: "HTTP_GET", Up: true, HasRun: true, RetryIterations: 1}}},
		{Address: "198.51.100.2:8080", Alive: false, Weight: 0, Checkers: []engine.CheckerStatus{{Kind: "TCP_CHECK"}}},
	}}},
	golden: "nat-http-tcp.golden",
}, {
	name: "fwmark over a GUE tunnel: several checkers of a failed real server, a misc_dynamic weight",
	conf: `virtual_server fwmark 5 {
  lvs_sched rr
  lvs_method TUN type gue port 6080 csum
  ops
  omega
  ha_suspend
  real_server 198.51.100.3 {
    UDP_CHECK {
      connect_port 53
      payload 0102
      require_reply 01xx
      max_reply_length 40
    }
    DNS_CHECK {
      connect_port 53
      type A
      name example.org
    }
    SMTP_CHECK {
      connect_port 25
      helo_name mx.example
    }
    PING_CHECK {
    }
  }
  real_server 198.51.100.4 {
    weight 2
    lvs_method DR
    MISC_CHECK {
      misc_path "/usr/local/bin/check -v"
      misc_timeout 4
      misc_dynamic
      user root
    }
  }
}
`,
	vss: []engine.VirtualServerStatus{{Name: "fwmark 5", Quorum: true, RealServers: []engine.RealServerStatus{
		{Address: "198.51.100.3:0", Alive: false, Weight: -1, Checkers: []engine.CheckerStatus{
			{Kind: "UDP_CHECK", Up: true, HasRun: true},
			{Kind: "DNS_CHECK", HasRun: true, LastFailure: "DNS_CHECK: no answer"},
			{Kind: "SMTP_CHECK", Up: true, HasRun: true, RetryIterations: 1},
			{Kind: "PING_CHECK", Up: true, HasRun: true},
		}},
		{Address: "198.51.100.4:0", Alive: true, Weight: 7, Checkers: []engine.CheckerStatus{{Kind: "MISC_CHECK", Up: true, HasRun: true, Weight: &seven}}},
	}}},
	golden: "fwmark-gue.golden",
}, {
	name: "a group with an SSL_GET checker, not yet in the snapshot",
	conf: `virtual_server_group G {
  192.0.2.10-20 443
  2001:db8::10 443
  fwmark 7 inet6
  192.0.2.30 443
}
virtual_server group G {
  protocol TCP
  real_server 198.51.100.5 443 {
    SSL_GET {
      url {
        path /
      }
      enable_sni
      fast_recovery
    }
  }
}
`,
	golden: "group-ssl.golden",
}, {
	name: "IPv6, quorum lost: the sorry server duplicating a real server stands in",
	conf: `SSL {
  password secret
  ca /etc/havip/ca.pem
  certificate /etc/havip/cert.pem
  key /etc/havip/key.pem
}
virtual_server 2001:db8::100 443 {
  protocol SCTP
  lb_kind TUN type gre
  persistence_timeout
  persistence_granularity 64
  sorry_server 2001:db8::1 443
  sorry_server_inhibit
  sorry_server_lvs_method NAT
  real_server 2001:db8::1 443 {
    weight 5
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 0.5
    }
  }
}
`,
	vss: []engine.VirtualServerStatus{{Name: "[2001:db8::100]:sctp:443", SorryServer: true, RealServers: []engine.RealServerStatus{
		{Address: "[2001:db8::1]:443", Alive: false, Weight: -1, Checkers: []engine.CheckerStatus{{Kind: "TCP_CHECK", HasRun: true}}},
	}}},
	golden: "ipv6-sorry-server.golden",
}, {
	name: "HTTP_GET with two urls, the second failing, beside an up TCP_CHECK",
	conf: `virtual_server 192.0.2.110 80 {
  protocol TCP
  real_server 198.51.100.5 80 {
    HTTP_GET {
      url {
        path /a
      }
      url {
        path /b
      }
      retry 1
      fast_recovery
    }
    TCP_CHECK {
      retry 0
    }
  }
}
`,
	vss: []engine.VirtualServerStatus{{Name: "[192.0.2.110]:tcp:80", Quorum: true, RealServers: []engine.RealServerStatus{
		{Address: "198.51.100.5:80", Alive: false, Weight: -1, Checkers: []engine.CheckerStatus{
			{Kind: "HTTP_GET", HasRun: true, RetryIterations: 2, FailedURL: "/b", LastFailure: "GET /b from 198.51.100.5:80: status 500 is not in status_code"},
			{Kind: "TCP_CHECK", Up: true, HasRun: true},
		}},
	}}},
	golden: "http-two-urls.golden",
}, {
	name:   "no virtual servers",
	conf:   "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n",
	golden: "no-virtual-servers.golden",
}}

func TestCheckDataGolden(t *testing.T) {
	ids := fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	for _, tc := range checkCases {
		t.Run(tc.name, func(t *testing.T) {
			golden, err := os.ReadFile(filepath.Join("testdata", tc.golden))
			if err != nil {
				t.Fatal(err)
			}
			cfg, diags := config.ParseBytes("keepalived.conf", []byte(tc.conf), config.Options{})
			if diags.HasErrors() {
				t.Fatalf("config: %v", diags)
			}
			var out bytes.Buffer
			if err := WriteCheckData(&out, Dump{Snapshot: engine.Snapshot{VirtualServers: tc.vss}, Config: cfg}); err != nil {
				t.Fatal(err)
			}
			var global bytes.Buffer
			gw := bufio.NewWriter(&global)
			writeGlobal(gw, cfg)
			gw.Flush()
			rest, ok := strings.CutPrefix(out.String(), global.String())
			if !ok {
				t.Fatalf("the dump does not start with the global definitions:\n%s", out.String())
			}
			if want := strings.ReplaceAll(string(golden), "UID:GID", ids); rest != want {
				t.Errorf("keepalived_check.data after the global definitions:\n%s\nwant:\n%s\ndiff at line %d", rest, want, firstDiff(rest, want))
			}
			if got, want := HasCheckData(cfg), len(golden) > 0; got != want {
				t.Errorf("HasCheckData = %v, want %v", got, want)
			}
		})
	}
}

// firstDiff is the 1-based number of the first line where a and b differ.
func firstDiff(a, b string) int {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(x), len(y)) {
		if x[i] != y[i] {
			return i + 1
		}
	}
	return min(len(x), len(y)) + 1
}

func TestCheckDataWithoutConfig(t *testing.T) {
	var out bytes.Buffer
	if err := WriteCheckData(&out, Dump{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "------< Global definitions >------\n") || strings.Contains(out.String(), "LVS Topology") {
		t.Errorf("dump without a config:\n%s", out.String())
	}
	if HasCheckData(nil) {
		t.Error("HasCheckData(nil) = true")
	}
}

func TestForwarding(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		m      config.Method
		want   string
	}{
		{"default ", config.Method{Kind: "NAT"}, "   default forwarding method = NAT"},
		{"", config.Method{Kind: "DR"}, "   forwarding method = DR"},
		{"  ", config.Method{Kind: "TUN"}, "     forwarding method = TUN, type = IPIP"},
		{"", config.Method{Kind: "TUN", Tunnel: []string{"type", "ipip", "csum"}}, "   forwarding method = TUN, type = IPIP"},
		// keepalived's GUE and GRE lines leave the prefix out.
		{"default ", config.Method{Kind: "TUN", Tunnel: []string{"type", "gue", "port", "6080"}}, "   forwarding method = TUN, type = GUE, port = 6080, no checksum"},
		{"default ", config.Method{Kind: "TUN", Tunnel: []string{"type", "gue", "port", "6080", "remcsum"}}, "   forwarding method = TUN, type = GUE, port = 6080, remote checksum"},
		{"", config.Method{Kind: "TUN", Tunnel: []string{"type", "gre", "csum"}}, "   forwarding method = TUN, type = GRE, checksum"},
	} {
		if got := forwarding(tc.prefix, tc.m); got != tc.want {
			t.Errorf("forwarding(%q, %v) = %q, want %q", tc.prefix, tc.m, got, tc.want)
		}
	}
}

func TestGranularity(t *testing.T) {
	for _, tc := range []struct {
		family config.Family
		given  string
		want   string
	}{
		{config.IPv4, "", ""},
		{config.IPv4, "24", "255.255.255.0"},
		{config.IPv4, "0", "0.0.0.0"},
		{config.IPv4, "255.255.240.0", "255.255.240.0"},
		{config.IPv6, "64", "64"},
		{config.IPv6, "ffff:ffff:ffff:ff00::", "56"},
	} {
		if got := granularity(&config.VirtualServer{Family: tc.family, PersistenceGranularity: tc.given}); got != tc.want {
			t.Errorf("granularity(IPv%d, %q) = %q, want %q", tc.family, tc.given, got, tc.want)
		}
	}
}

func TestCodeRanges(t *testing.T) {
	ranges := func(bounds ...int) []config.CodeRange {
		var out []config.CodeRange
		for i := 0; i < len(bounds); i += 2 {
			out = append(out, config.CodeRange{Lo: bounds[i], Hi: bounds[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		in, want []config.CodeRange
	}{
		{ranges(200, 299), ranges(200, 299)},
		{ranges(204, 204, 200, 201, 202, 203), ranges(200, 204)},
		{ranges(200, 210, 205, 220, 404, 404), ranges(200, 220, 404, 404)},
		{ranges(100, 100, 999, 999), ranges(100, 100, 999, 999)},
	} {
		if got := codeRanges(tc.in); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("codeRanges(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCmdStr(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"/bin/true"}, "'/bin/true'"},
		{[]string{"/bin/sh", "-c", "exit 1"}, "'/bin/sh' '-c' 'exit 1'"},
		// keepalived's special case: a first word that is a redirection.
		{[]string{"</etc/ready"}, "</etc/ready"},
		{[]string{">/tmp/x", "<y"}, ">/tmp/x '<y'"},
	} {
		if got := cmdStr(tc.args); got != tc.want {
			t.Errorf("cmdStr(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestScriptIDs(t *testing.T) {
	for _, tc := range []struct {
		user, group, want string
	}{
		{"", "", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())},
		{"root", "", "0:0"},
		{"0", "0", "0:0"},
		{"havip-no-such-user", "", "?:?"},
	} {
		if got := scriptIDs(tc.user, tc.group); got != tc.want {
			t.Errorf("scriptIDs(%q, %q) = %q, want %q", tc.user, tc.group, got, tc.want)
		}
	}
}

func TestHeloName(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		given, want string
	}{
		{"mx.example", "mx.example"},
		{"", host},
	} {
		if got := heloName(&config.SMTPCheck{HeloName: tc.given}); got != tc.want {
			t.Errorf("heloName(%q) = %q, want %q", tc.given, got, tc.want)
		}
	}
}

// TestCheckDataPairsStateByName: the snapshot's virtual servers are paired
// with the config's by name, each once, in order; a virtual or real server
// the snapshot lacks has no state.
func TestCheckDataPairsStateByName(t *testing.T) {
	a := &config.VirtualServer{Addr: netip.MustParseAddr("192.0.2.1"), Port: 80, Protocol: "TCP"}
	b := &config.VirtualServer{Fwmark: 9}
	snap := []engine.VirtualServerStatus{{Name: "fwmark 9"}, {Name: a.Name(), Quorum: true, RealServers: []engine.RealServerStatus{{Address: "198.51.100.1:80", Alive: true, Weight: 1}}}}
	got := vsStates([]*config.VirtualServer{a, b, a}, snap)
	if got[0] != &snap[1] || got[1] != &snap[0] || got[2] != nil {
		t.Errorf("vsStates = %v, want the second, the first, none", got)
	}
	if st := rsState(got[0], &config.RealServer{Addr: netip.MustParseAddr("198.51.100.1"), Port: 80}); st != &snap[1].RealServers[0] {
		t.Errorf("rsState of 198.51.100.1:80 = %v", st)
	}
	if st := rsState(got[0], &config.RealServer{Addr: netip.MustParseAddr("198.51.100.2"), Port: 80}); st != nil {
		t.Errorf("rsState of a real server the snapshot lacks = %v", st)
	}
	if st := rsState(nil, &config.RealServer{}); st != nil {
		t.Errorf("rsState without a virtual server state = %v", st)
	}
}

// TestFailedCheckers: the failed-checker count comes from the snapshot's
// checkers when they are the real server's configured ones, and is not
// told otherwise.
func TestFailedCheckers(t *testing.T) {
	rs := &config.RealServer{Checkers: []*config.Checker{{Type: config.CheckHTTP}, {Type: config.CheckTCP}}}
	tests := []struct {
		name   string
		st     *engine.RealServerStatus
		failed int
		ok     bool
	}{
		{"no state", nil, 0, false},
		{"all up", &engine.RealServerStatus{Alive: true, Checkers: []engine.CheckerStatus{{Kind: "HTTP_GET", Up: true}, {Kind: "TCP_CHECK", Up: true}}}, 0, true},
		{"one of two down", &engine.RealServerStatus{Checkers: []engine.CheckerStatus{{Kind: "HTTP_GET"}, {Kind: "TCP_CHECK", Up: true}}}, 1, true},
		{"both down", &engine.RealServerStatus{Checkers: []engine.CheckerStatus{{Kind: "HTTP_GET"}, {Kind: "TCP_CHECK"}}}, 2, true},
		{"fewer checkers (reload in between)", &engine.RealServerStatus{Checkers: []engine.CheckerStatus{{Kind: "HTTP_GET"}}}, 0, false},
		{"other kinds", &engine.RealServerStatus{Checkers: []engine.CheckerStatus{{Kind: "TCP_CHECK"}, {Kind: "HTTP_GET"}}}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n, ok := failedCheckers(rs, tc.st); n != tc.failed || ok != tc.ok {
				t.Fatalf("failedCheckers = %d, %v, want %d, %v", n, ok, tc.failed, tc.ok)
			}
		})
	}
	if n, ok := failedCheckers(&config.RealServer{}, &engine.RealServerStatus{Alive: true}); n != 0 || !ok {
		t.Fatalf("a real server without checkers: %d, %v, want 0, true", n, ok)
	}
}

// TestCurrentWeight: keepalived's cur_weight is 0 but for an up
// misc_dynamic checker, where it is the reported weight less the
// configured one.
func TestCurrentWeight(t *testing.T) {
	rs := &config.RealServer{Weight: 2}
	dyn := &config.Checker{Type: config.CheckMisc, Misc: &config.MiscCheck{Dynamic: true}}
	nine := 9
	tests := []struct {
		name string
		ck   *config.Checker
		c    *engine.CheckerStatus
		w    int
		ok   bool
	}{
		{"TCP_CHECK", &config.Checker{Type: config.CheckTCP}, nil, 0, true},
		{"MISC_CHECK without misc_dynamic", &config.Checker{Type: config.CheckMisc, Misc: &config.MiscCheck{}}, nil, 0, true},
		{"misc_dynamic without state", dyn, nil, 0, false},
		{"misc_dynamic up with weight 9", dyn, &engine.CheckerStatus{Up: true, Weight: &nine}, 7, true},
		{"misc_dynamic up, exit 0", dyn, &engine.CheckerStatus{Up: true}, 0, true},
		{"misc_dynamic down", dyn, &engine.CheckerStatus{Weight: &nine}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w, ok := currentWeight(rs, tc.ck, tc.c); w != tc.w || ok != tc.ok {
				t.Fatalf("currentWeight = %d, %v, want %d, %v", w, ok, tc.w, tc.ok)
			}
		})
	}
}
