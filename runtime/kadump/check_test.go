package kadump

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
)

// checkCase is a config, the snapshot's virtual servers, and the
// keepalived_check.data that follows the global definitions; UID:GID
// stands for this process's ids (the scripts that name no user run as
// havip).
type checkCase struct {
	name string
	conf string
	vss  []engine.VirtualServerStatus
	want string
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
	want: `------< LVS Topology >------
 ------< Virtual server >------
 VS VIP = 192.0.2.100, VPORT = 80
   Address family = inet
   lvs_sched = sh
   Hashed = disabled
   sh-port = enabled
   sh-fallback = disabled
   One packet scheduling = disabled
   persistence timeout = 600
   persistence granularity = 255.255.255.0
   protocol = TCP
   omega is OFF
   quorum = 2, hysteresis = 1
   Quorum up notify script = '/usr/local/bin/quorum' 'up', uid:gid UID:GID
   Quorum down notify script = '/usr/local/bin/quorum' 'down', uid:gid 0:0
   Using smtp notification = no
   default forwarding method = NAT
   sorry server = [198.51.100.9]:tcp:8080
     forwarding method = NAT
     Inhibit on failure is OFF
   alive = 0
   quorum_state_up = 1
   ------< Real server >------
   RIP = 198.51.100.1, RPORT = 8080, WEIGHT = 3 EFF WEIGHT = 3
   forwarding method = NAT
   connection limit range = 10 -> 100
   Inhibit on failure is OFF
     RS up notify script = '/bin/echo' 'up', uid:gid UID:GID
   Using smtp notification = no
   initial weight = 3
   effective weight = 3
   alive = 1
   num failed checkers = 0
   RS set = 1
   ------< Real server >------
   RIP = 198.51.100.2, RPORT = 8080, WEIGHT = 1 EFF WEIGHT = 1
   forwarding method = NAT
   connection limit range = 0 -> 0
   Inhibit on failure is ON
     RS down notify script = '/bin/echo' 'down', uid:gid UID:GID
   Using smtp notification = no
   initial weight = 1
   effective weight = 1
   alive = 0
   num failed checkers = 1
   RS set = 1
------< Health checkers >------
 [192.0.2.100]:tcp:80 -> [198.51.100.1]:tcp:8080
   Enabled = yes
   Up = yes
   Has run = yes
   Current weight = 0
   Alpha = no
   Delay loop = 10000000 us
   Warmup = 3000000 us
   Retries = 2
   Delay before retry = 1500000 us
   Retries iterations = 1
   Default delay before retry = 3000000 us
   Log all failures = no
   Connection
     Dest = [198.51.100.1]:8080
     Timeout = 2.000000
   Keepalive method = HTTP_GET, http protocol 1.1
   Enable SNI unset
   Fast recovery unset
   Checked url = /health
     digest = 9b3a0c85a887a256d6939da88aabd8cd
     HTTP Status Code(s)
       200-204
       302
     Virtual host = www.example
 [192.0.2.100]:tcp:80 -> [198.51.100.2]:tcp:8080
   Enabled = yes
   Up = no
   Has run = no
   Current weight = 0
   Alpha = yes
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 1
   Delay before retry = 1000000 us
   Retries iterations = 0
   Default delay before retry = 1000000 us
   Log all failures = yes
   Connection
     Dest = [198.51.100.20]:9000
     Bind to = [192.0.2.1]:4000
     Bind i/f = eth0
     Mark = 3
     Timeout = 5.000000
   Keepalive method = TCP_CHECK
`,
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
	want: `------< LVS Topology >------
 ------< Virtual server >------
 VS FWMARK = 5
   Address family = inet
   lvs_sched = rr
   Hashed = disabled
   flag-1 = disabled
   flag-2 = disabled
   flag-3 = disabled
   One packet scheduling = enabled (inactive due to not UDP)
   protocol = none
   omega is ON
   quorum = 1, hysteresis = 0
   Using HA suspend
   Using smtp notification = no
   forwarding method = TUN, type = GUE, port = 6080, checksum
   alive = 0
   quorum_state_up = 1
   ------< Real server >------
   RIP = 198.51.100.3, RPORT = 0, WEIGHT = 1 EFF WEIGHT = 1
   forwarding method = TUN, type = GUE, port = 6080, checksum
   connection limit range = 0 -> 0
   Inhibit on failure is OFF
   Using smtp notification = no
   initial weight = 1
   effective weight = 1
   alive = 0
   num failed checkers = 1
   RS set = 0
   ------< Real server >------
   RIP = 198.51.100.4, RPORT = 0, WEIGHT = 7 EFF WEIGHT = 7
   forwarding method = DR
   connection limit range = 0 -> 0
   Inhibit on failure is OFF
   Using smtp notification = no
   initial weight = 2
   effective weight = 7
   alive = 1
   num failed checkers = 0
   RS set = 1
------< Health checkers >------
 FWM 5 -> [198.51.100.3]:none:0
   Enabled = yes
   Up = yes
   Has run = yes
   Current weight = 0
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 1
   Delay before retry = 1000000 us
   Retries iterations = 0
   Default delay before retry = 1000000 us
   Log all failures = no
   Connection
     Dest = [198.51.100.3]:53
     Timeout = 5.000000
   Keepalive method = UDP_CHECK
   Payload len = 2
   Require reply = yes
     Min reply length = 0
     Max reply length = 40
     Reply data len = 2
     Reply data mask = yes
 FWM 5 -> [198.51.100.3]:none:0
   Enabled = yes
   Up = no
   Has run = yes
   Current weight = 0
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 3
   Delay before retry = 60000000 us
   Retries iterations = 0
   Default delay before retry = 0 us
   Log all failures = no
   Connection
     Dest = [198.51.100.3]:53
     Timeout = 5.000000
   Keepalive method = DNS_CHECK
   Type = A
   Name = example.org
 FWM 5 -> [198.51.100.3]:none:0
   Enabled = yes
   Up = yes
   Has run = yes
   Current weight = 0
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 1
   Delay before retry = 1000000 us
   Retries iterations = 1
   Default delay before retry = 1000000 us
   Log all failures = no
   Connection
     Dest = [198.51.100.3]:25
     Timeout = 5.000000
   Keepalive method = SMTP_CHECK
   helo = mx.example
 FWM 5 -> [198.51.100.3]:none:0
   Enabled = yes
   Up = yes
   Has run = yes
   Current weight = 0
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 1
   Delay before retry = 1000000 us
   Retries iterations = 0
   Default delay before retry = 1000000 us
   Log all failures = no
   Connection
     Dest = [198.51.100.3]:0
     Timeout = 5.000000
   Keepalive method = PING_CHECK
 FWM 5 -> [198.51.100.4]:none:0
   Enabled = yes
   Up = yes
   Has run = yes
   Current weight = 5
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 0
   Default delay before retry = 1000000 us
   Log all failures = no
   Keepalive method = MISC_CHECK
   script = '/usr/local/bin/check' '-v'
   timeout = 4
   dynamic = YES
   uid:gid = 0:0
`,
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
	want: `------< SSL definitions >------
 Using autogen SSL context
------< LVS Topology >------
 ------< Virtual server group >------
 Virtual Server Group = G, IPv4 = yes, IPv6 = yes
   VIP Range = 192.0.2.10-192.0.2.20, VPORT = 443
   VIP = 2001:db8::10, VPORT = 443
   VIP = 192.0.2.30, VPORT = 443
   FWMARK = 7 IPv6
 ------< Virtual server >------
 VS GROUP = [G]:0
   Address family = IPv4 & IPv6
   lvs_sched = wlc
   Hashed = disabled
   flag-1 = disabled
   flag-2 = disabled
   flag-3 = disabled
   One packet scheduling = disabled
   protocol = TCP
   omega is OFF
   quorum = 1, hysteresis = 0
   Using smtp notification = no
   default forwarding method = NAT
   alive = 0
   ------< Real server >------
   RIP = 198.51.100.5, RPORT = 443, WEIGHT = 1 EFF WEIGHT = 1
   forwarding method = NAT
   connection limit range = 0 -> 0
   Inhibit on failure is OFF
   Using smtp notification = no
   initial weight = 1
   effective weight = 1
------< Health checkers >------
 [G]:0 -> [198.51.100.5]:tcp:443
   Enabled = yes
   Current weight = 0
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 1
   Delay before retry = 3000000 us
   Default delay before retry = 3000000 us
   Log all failures = no
   Connection
     Dest = [198.51.100.5]:443
     Timeout = 5.000000
   Keepalive method = SSL_GET, http protocol 1.0
   Enable SNI set
   Fast recovery set
   Checked url = /
     HTTP Status Code(s)
       200-299
`,
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
	want: `------< SSL definitions >------
 Password : secret
 CA-file : /etc/havip/ca.pem
 Certificate file : /etc/havip/cert.pem
 Key file : /etc/havip/key.pem
------< LVS Topology >------
 ------< Virtual server >------
 VS VIP = 2001:db8::100, VPORT = 443
   Address family = inet6
   lvs_sched = wlc
   Hashed = disabled
   flag-1 = disabled
   flag-2 = disabled
   flag-3 = disabled
   One packet scheduling = disabled
   persistence timeout = 360
   persistence granularity = 64
   protocol = SCTP
   omega is OFF
   quorum = 1, hysteresis = 0
   Using smtp notification = no
   forwarding method = TUN, type = GRE, no checksum
   sorry server (duplicates rs) = [2001:db8::1]:sctp:443
     forwarding method = NAT
     Inhibit on failure is ON
   alive = 0
   quorum_state_up = 0
   ------< Real server >------
   RIP = 2001:db8::1, RPORT = 443, WEIGHT = 5 EFF WEIGHT = 5
   forwarding method = TUN, type = GRE, no checksum
   connection limit range = 0 -> 0
   Inhibit on failure is ON
   Using smtp notification = no
   initial weight = 5
   effective weight = 5
   alive = 0
   num failed checkers = 1
   RS set = 0
------< Health checkers >------
 [2001:db8::100]:sctp:443 -> [2001:db8::1]:sctp:443
   Enabled = yes
   Up = no
   Has run = yes
   Current weight = 0
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 1
   Delay before retry = 1000000 us
   Retries iterations = 0
   Default delay before retry = 1000000 us
   Log all failures = no
   Connection
     Dest = [2001:db8::1]:443
     Timeout = 0.500000
   Keepalive method = TCP_CHECK
`,
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
	want: `------< LVS Topology >------
 ------< Virtual server >------
 VS VIP = 192.0.2.110, VPORT = 80
   Address family = inet
   lvs_sched = wlc
   Hashed = disabled
   flag-1 = disabled
   flag-2 = disabled
   flag-3 = disabled
   One packet scheduling = disabled
   protocol = TCP
   omega is OFF
   quorum = 1, hysteresis = 0
   Using smtp notification = no
   default forwarding method = NAT
   alive = 0
   quorum_state_up = 1
   ------< Real server >------
   RIP = 198.51.100.5, RPORT = 80, WEIGHT = 1 EFF WEIGHT = 1
   forwarding method = NAT
   connection limit range = 0 -> 0
   Inhibit on failure is OFF
   Using smtp notification = no
   initial weight = 1
   effective weight = 1
   alive = 0
   num failed checkers = 1
   RS set = 0
------< Health checkers >------
 [192.0.2.110]:tcp:80 -> [198.51.100.5]:tcp:80
   Enabled = yes
   Up = no
   Has run = yes
   Current weight = 0
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 1
   Delay before retry = 3000000 us
   Retries iterations = 2
   Default delay before retry = 3000000 us
   Log all failures = no
   Connection
     Dest = [198.51.100.5]:80
     Timeout = 5.000000
   Keepalive method = HTTP_GET, http protocol 1.0
   Enable SNI unset
   Fast recovery set
   Checked url = /a
     HTTP Status Code(s)
       200-299
   Checked url = /b
     HTTP Status Code(s)
       200-299
   Failed URL = /b
 [192.0.2.110]:tcp:80 -> [198.51.100.5]:tcp:80
   Enabled = yes
   Up = yes
   Has run = yes
   Current weight = 0
   Alpha = no
   Delay loop = 60000000 us
   Warmup = 60000000 us
   Retries = 0
   Default delay before retry = 1000000 us
   Log all failures = no
   Connection
     Dest = [198.51.100.5]:80
     Timeout = 5.000000
   Keepalive method = TCP_CHECK
`,
}, {
	name: "no virtual servers",
	conf: "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n",
	want: "",
}}

func TestCheckDataGolden(t *testing.T) {
	ids := fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	for _, tc := range checkCases {
		t.Run(tc.name, func(t *testing.T) {
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
			if want := strings.ReplaceAll(tc.want, "UID:GID", ids); rest != want {
				t.Errorf("keepalived_check.data after the global definitions:\n%s\nwant:\n%s\ndiff at line %d", rest, want, firstDiff(rest, want))
			}
			if got, want := HasCheckData(cfg), tc.want != ""; got != want {
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
