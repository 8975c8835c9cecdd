package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// vs wraps body in a TCP virtual server on 192.0.2.10:80.
func vs(body string) string {
	return "virtual_server 192.0.2.10 80 {\n protocol TCP\n" + body + "\n}\n"
}

func TestLVSDefaults(t *testing.T) {
	cfg, diags := parse(t, vs("real_server 192.0.2.20 80 {\n TCP_CHECK {\n }\n MISC_CHECK {\n misc_path /bin/true\n }\n DNS_CHECK {\n }\n HTTP_GET {\n url {\n path /\n }\n }\n UDP_CHECK {\n }\n}"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v := cfg.VirtualServers[0]
	if v.Scheduler != "wlc" || v.Method.Kind != "NAT" || v.Quorum != 1 || v.Hysteresis != 0 || v.PersistenceTimeout != 0 || v.Family != IPv4 {
		t.Errorf("virtual server defaults: %+v", v)
	}
	rs := v.RealServers[0]
	if rs.Weight != 1 || rs.Method.Kind != "NAT" || rs.InhibitOnFailure {
		t.Errorf("real server defaults: %+v", rs)
	}
	want := []struct {
		typ     string
		retry   int
		wait    time.Duration
		connect time.Duration
	}{
		{CheckTCP, 1, time.Second, 5 * time.Second},
		{CheckMisc, 0, time.Second, 0},
		{CheckDNS, 3, 60 * time.Second, 5 * time.Second},
		{CheckHTTP, 1, 3 * time.Second, 5 * time.Second},
		{CheckUDP, 1, time.Second, 5 * time.Second},
	}
	for i, w := range want {
		ck := rs.Checkers[i]
		if ck.Type != w.typ || ck.Retry != w.retry || ck.DelayBeforeRetry != w.wait || ck.ConnectTimeout != w.connect || ck.DelayLoop != 60*time.Second || ck.Warmup != 60*time.Second || ck.Alpha {
			t.Errorf("%s: %+v", w.typ, ck)
		}
	}
	if d := rs.Checkers[2].DNS; d.Type != "SOA" || d.Name != "." {
		t.Errorf("DNS defaults: %+v", d)
	}
	if h := rs.Checkers[3].HTTP; h.Protocol != "1.0" || len(h.URLs[0].StatusCodes) != 1 || h.URLs[0].StatusCodes[0] != (CodeRange{200, 299}) {
		t.Errorf("HTTP defaults: %+v", h)
	}
	if u := rs.Checkers[4].UDP; u.MaxReplyLength != 255 || u.MinReplyLength != 0 || u.RequireReply {
		t.Errorf("UDP defaults: %+v", u)
	}
}

// TestLVSInheritance checks that a checker takes a setting from itself,
// else its real server, else its virtual server, wherever the virtual
// server's keyword stands.
func TestLVSInheritance(t *testing.T) {
	cfg, diags := parse(t, vs(`real_server 192.0.2.20 80 {
 delay_loop 7
 virtualhost rs.example
 TCP_CHECK {
  retry 4
 }
 HTTP_GET {
  virtualhost ck.example
  url {
   path /
  }
 }
}
real_server 192.0.2.21 80 {
 inhibit_on_failure off
 alpha off
 HTTP_GET {
  url {
   path /
   virtualhost url.example
  }
 }
}
delay_loop 3
retry 2
delay_before_retry 4
warmup 0
connect_timeout 1.5
alpha
inhibit_on_failure
virtualhost vs.example`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	a, b := cfg.VirtualServers[0].RealServers[0], cfg.VirtualServers[0].RealServers[1]
	tcp, httpA, httpB := a.Checkers[0], a.Checkers[1], b.Checkers[0]
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"rs delay_loop over vs", tcp.DelayLoop, 7 * time.Second},
		{"checker retry over vs", tcp.Retry, 4},
		{"vs retry", httpA.Retry, 2},
		{"vs delay_before_retry", tcp.DelayBeforeRetry, 4 * time.Second},
		{"vs warmup 0", tcp.Warmup, time.Duration(0)},
		{"vs connect_timeout", tcp.ConnectTimeout, 1500 * time.Millisecond},
		{"vs alpha", tcp.Alpha, true},
		{"rs alpha off", httpB.Alpha, false},
		{"vs inhibit", a.InhibitOnFailure, true},
		{"rs inhibit off", b.InhibitOnFailure, false},
		{"checker virtualhost", httpA.HTTP.Virtualhost, "ck.example"},
		{"vs virtualhost", httpB.HTTP.Virtualhost, "vs.example"},
		{"url virtualhost kept", httpB.HTTP.URLs[0].Virtualhost, "url.example"},
		{"vs delay_loop", httpB.DelayLoop, 3 * time.Second},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLVSParse(t *testing.T) {
	cfg, diags := parse(t, `virtual_server_group G {
 192.0.2.1-3 80
 2001:db8::a-1f 80
 192.0.2.64/30
 fwmark 5 inet6
}
virtual_server group G {
 protocol UDP
 real_server 192.0.2.20 53 {
  UDP_CHECK {
   payload Ab12f 3 456 546443123
   require_reply 0x1
  }
  MISC_CHECK {
   misc_path "/bin/check 'a b'"
   misc_dynamic
   user nobody nogroup
  }
  SMTP_CHECK {
   helo_name "mx.example"
   host {
    connect_ip 192.0.2.50
    connect_port 25
   }
   host {
    connect_ip 192.0.2.51
    bindto 192.0.2.2
   }
  }
 }
}
virtual_server fwmark 9 {
 persistence_timeout
 lvs_method TUN type gue port 6080 csum
 sorry_server 2001:db8::99 80
 real_server 2001:db8::1 {
 }
}`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g := cfg.VirtualServerGroups[0]
	wantEntries := []VSGEntry{
		{First: netip.MustParseAddr("192.0.2.1"), Last: netip.MustParseAddr("192.0.2.3"), Port: 80},
		{First: netip.MustParseAddr("2001:db8::a"), Last: netip.MustParseAddr("2001:db8::1f"), Port: 80},
		{First: netip.MustParseAddr("192.0.2.64"), Last: netip.MustParseAddr("192.0.2.67")},
		{Fwmark: 5, Family: IPv6},
	}
	for i, w := range wantEntries {
		e := g.Entries[i]
		e.Pos = Pos{}
		if e != w {
			t.Errorf("entry %d: %+v, want %+v", i, e, w)
		}
	}
	rs := cfg.VirtualServers[0].RealServers[0]
	if u := rs.Checkers[0].UDP; u.Payload != "ab120f034506546443120"+"3" || u.ReplyPattern != "0x01" || !u.RequireReply {
		t.Errorf("UDP: %+v", u)
	}
	if m := rs.Checkers[1].Misc; strings.Join(m.Path.Args, "|") != "/bin/check|a b" || !m.Dynamic || m.User != "nobody" || m.Group != "nogroup" {
		t.Errorf("MISC: %+v", m)
	}
	if len(rs.Checkers) != 4 || rs.Checkers[2].ConnectIP != netip.MustParseAddr("192.0.2.50") || rs.Checkers[2].ConnectPort != 25 || rs.Checkers[3].BindTo != netip.MustParseAddr("192.0.2.2") || rs.Checkers[3].SMTP.HeloName != "mx.example" {
		t.Errorf("SMTP hosts: %d checkers", len(rs.Checkers))
	}
	f := cfg.VirtualServers[1]
	if f.Family != IPv6 || f.PersistenceTimeout != 360 || f.Method.Kind != "TUN" || strings.Join(f.Method.Tunnel, " ") != "type gue port 6080 csum" || f.Sorry.Method.Kind != "TUN" || f.Protocol != "" {
		t.Errorf("fwmark vs: %+v", f)
	}
}

func TestLVSDiagnostics(t *testing.T) {
	rs := func(body string) string { return vs("real_server 192.0.2.20 80 {\n" + body + "\n}") }
	tests := []struct {
		name, src, want string
		isErr           bool
	}{
		{"scheduler", vs("lb_algo wrrr\nreal_server 192.0.2.20 80 {\n}"), `"wrrr" is not an LVS scheduler`, false},
		{"method", vs("lb_kind MASQ\nreal_server 192.0.2.20 80 {\n}"), `"MASQ" is not NAT, DR or TUN`, true},
		{"protocol", vs("protocol ICMP\nreal_server 192.0.2.20 80 {\n}"), `"ICMP" is not TCP, UDP or SCTP`, true},
		{"no protocol", "virtual_server 192.0.2.10 80 {\n real_server 192.0.2.20 80 {\n }\n}\n", "no protocol; using UDP", false},
		{"family", vs("real_server 2001:db8::1 80 {\n}"), "is not IPv4 like the virtual server", false},
		{"duplicate rs", vs("real_server 192.0.2.20 80 {\n}\nreal_server 192.0.2.20 80 {\n}"), "given twice", true},
		{"no real servers", vs(""), "has no real servers; ignored", false},
		{"portless", "virtual_server 192.0.2.10 {\n protocol TCP\n real_server 192.0.2.20 80 {\n }\n}\n", "must be persistent", false},
		{"group undefined", "virtual_server group X {\n real_server 192.0.2.20 80 {\n }\n}\n", "no virtual_server_group X", true},
		{"group range", "virtual_server_group G {\n 192.0.2.9-3 80\n}\n", "range end", true},
		{"quorum 0", vs("quorum 0\nreal_server 192.0.2.20 80 {\n}"), "not an integer in 1..", true},
		{"delay_loop 0", vs("delay_loop 0\nreal_server 192.0.2.20 80 {\n}"), "out of range", false},
		{"http no url", rs("HTTP_GET {\n}"), "no url block", false},
		{"url no path", rs("HTTP_GET {\n url {\n digest 0123456789abcdef0123456789abcdef\n }\n}"), "path is missing", true},
		{"digest", rs("HTTP_GET {\n url {\n path /\n digest xyz\n }\n}"), "not an MD5 digest", true},
		{"status", rs("HTTP_GET {\n url {\n path /\n status_code 299-200\n }\n}"), `"299-200" is not a code or range`, false},
		{"regex", rs("HTTP_GET {\n url {\n path /\n regex \"a(?=b)\"\n }\n}"), "Go RE2 syntax", true},
		{"misc no path", rs("MISC_CHECK {\n misc_timeout 3\n}"), "misc_path is missing", true},
		{"misc unquoted args", rs("MISC_CHECK {\n misc_path /bin/x arg\n}"), "quote a script that has arguments", true},
		{"misc connect_timeout", rs("MISC_CHECK {\n misc_path /bin/true\n connect_timeout 3\n}"), "unknown keyword 'connect_timeout'", false},
		{"dns type", rs("DNS_CHECK {\n type PTR\n}"), "not a DNS_CHECK query type", true},
		{"udp hex", rs("UDP_CHECK {\n payload 0g\n}"), "is not hexadecimal", true},
		{"udp lengths", rs("UDP_CHECK {\n min_reply_length 9\n max_reply_length 3\n}"), "above max_reply_length", true},
		{"checker typo", rs("TCP_CHECK {\n conect_port 80\n}"), "did you mean 'connect_port'", false},
		{"fwmark rs port", "virtual_server fwmark 1 {\n real_server 192.0.2.20 80 {\n }\n}\n", "real_server port 80 ignored", false},
		{"fwmark no port to check", "virtual_server fwmark 1 {\n real_server 192.0.2.20 {\n TCP_CHECK {\n }\n }\n}\n", "add connect_port", true},
		{"bfd check", rs("BFD_CHECK {\n name b\n}"), "BFD_CHECK is not supported", false},
		{"smtp alert", vs("smtp_alert\nreal_server 192.0.2.20 80 {\n}"), "no email alerts", false},
		{"sorry family", vs("sorry_server 2001:db8::1 80\nreal_server 192.0.2.20 80 {\n}"), "sorry_server 2001:db8::1 is not IPv4", true},
		{"inhibit alone", vs("sorry_server_inhibit\nreal_server 192.0.2.20 80 {\n}"), "sorry_server_inhibit without sorry_server", true},
		{"tunnel", vs("lb_kind TUN type gue\nreal_server 192.0.2.20 80 {\n}"), "type gue needs port N", true},
		{"script security", vs("real_server 192.0.2.20 80 {\n notify_up /bin/true\n}"), "enable_script_security is not set", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := parse(t, tc.src)
			found := false
			for _, d := range diags {
				if strings.Contains(d.Msg, tc.want) {
					found = true
					if (d.Severity == Error) != tc.isErr {
						t.Errorf("%q: severity %v, want error=%v", d.Msg, d.Severity, tc.isErr)
					}
				}
			}
			if !found {
				t.Errorf("no diagnostic containing %q in %v", tc.want, diags)
			}
		})
	}
}

// TestLVSFormatRoundTrip prints every LVS keyword and parses it back.
func TestLVSFormatRoundTrip(t *testing.T) {
	src := `global_defs {
 enable_script_security
}
SSL {
 ca /etc/ca.pem
 key "/etc/my key.pem"
}
virtual_server_group G {
 192.0.2.1-192.0.3.2 80
 fwmark 3 inet
}
virtual_server group G {
 protocol SCTP
 lvs_sched mh
 mh-port
 ops
 persistence_timeout 30
 persistence_granularity 255.255.255.0
 omega
 quorum 3
 hysteresis 1
 quorum_up "/bin/echo up" nobody
 sorry_server 192.0.2.99
 real_server 192.0.2.20 80 {
  weight 0
  lvs_method DR
  uthreshold 10
  lthreshold 2
  notify_down "/bin/echo 'down now'"
  snmp_name rs1
  SSL_GET {
   enable_sni
   http_protocol 1.0C
   url {
    path "/a b"
    regex "^ok$"
    regex_no_match
    status_code 200 301-302
   }
  }
  UDP_CHECK {
   require_reply
  }
 }
}
`
	first, diags := parse(t, src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	text := Format(first)
	second, diags := ParseBytes("formatted.conf", text, testOpts)
	if diags.HasErrors() {
		t.Fatalf("%v\n%s", diags, text)
	}
	if !first.Equal(second) {
		t.Fatalf("model changed through Format:\n%s", text)
	}
	for _, want := range []string{"192.0.2.1-192.0.3.2 80", "fwmark 3 inet", "mh-port", "quorum_up \"/bin/echo up\" \"nobody\"", "regex \"^ok$\"", "status_code 200 301-302", "require_reply\n", "snmp_name rs1", `key "/etc/my key.pem"`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("formatted text lacks %q:\n%s", want, text)
		}
	}
}

// TestLVSDroppedParts: what keepalived 2.2.7 drops or corrects in a virtual
// server and runs without, havip drops or corrects the same way.
func TestLVSDroppedParts(t *testing.T) {
	rs := func(body string) string { return vs("real_server 192.0.2.20 80 {\n" + body + "\n}") }
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, v *VirtualServer)
	}{
		{"unknown scheduler: the default", vs("lb_algo bogus\nreal_server 192.0.2.20 80 {\n}"), func(t *testing.T, v *VirtualServer) {
			if v.Scheduler != DefaultScheduler {
				t.Fatalf("scheduler %q, want %q", v.Scheduler, DefaultScheduler)
			}
		}},
		{"real server of the other family: dropped", vs("real_server 2001:db8::1 80 {\n}\nreal_server 192.0.2.21 80 {\n}"), func(t *testing.T, v *VirtualServer) {
			if len(v.RealServers) != 1 || v.RealServers[0].Addr.String() != "192.0.2.21" {
				t.Fatalf("real servers %v, want 192.0.2.21 only", v.RealServers)
			}
		}},
		{"port 0 without persistence: persistent", "virtual_server 192.0.2.10 {\n protocol TCP\n real_server 192.0.2.20 80 {\n }\n}\n", func(t *testing.T, v *VirtualServer) {
			if v.PersistenceTimeout != DefaultPersistenceTimeout {
				t.Fatalf("persistence_timeout %d, want %d", v.PersistenceTimeout, DefaultPersistenceTimeout)
			}
		}},
		{"delay_loop 0: the default", vs("delay_loop 0\nreal_server 192.0.2.20 80 {\nTCP_CHECK {\n}\n}"), func(t *testing.T, v *VirtualServer) {
			if got := v.RealServers[0].Checkers[0].DelayLoop; got != DefaultDelayLoop {
				t.Fatalf("delay_loop %v, want the default %v", got, DefaultDelayLoop)
			}
		}},
		{"HTTP_GET without url: dropped", rs("HTTP_GET {\n}\nTCP_CHECK {\n}"), func(t *testing.T, v *VirtualServer) {
			if cks := v.RealServers[0].Checkers; len(cks) != 1 || cks[0].Type != CheckTCP {
				t.Fatalf("checkers %+v, want the TCP_CHECK only", cks)
			}
		}},
		{"bad status code: dropped, the good one kept", rs("HTTP_GET {\n url {\n path /\n status_code 2000 204\n }\n}"), func(t *testing.T, v *VirtualServer) {
			codes := v.RealServers[0].Checkers[0].HTTP.URLs[0].StatusCodes
			if len(codes) != 1 || codes[0].Lo != 204 || codes[0].Hi != 204 {
				t.Fatalf("status codes %+v, want 204 only", codes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := parse(t, tt.src)
			if diags.HasErrors() || !hasDiag(diags, "as keepalived does") {
				t.Fatalf("want warnings saying what is dropped, only:\n%v", diags)
			}
			if len(c.VirtualServers) != 1 {
				t.Fatalf("virtual servers %+v", c.VirtualServers)
			}
			tt.check(t, c.VirtualServers[0])
		})
	}
}
