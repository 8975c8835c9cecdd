package check

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/havip/havip/config"
	"github.com/havip/havip/internal/testenv"
)

func addrOf(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// rsAt returns a real server at ap.
func rsAt(ap netip.AddrPort) *config.RealServer {
	return &config.RealServer{Addr: ap.Addr(), Port: ap.Port(), Weight: 1}
}

func probe(t *testing.T, ck *config.Checker, rs *config.RealServer) Result {
	t.Helper()
	if ck.ConnectTimeout == 0 && ck.Type != config.CheckMisc {
		ck.ConnectTimeout = 2 * time.Second
	}
	if ck.DelayLoop == 0 {
		ck.DelayLoop = 5 * time.Second
	}
	p, err := New(ck, rs, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return p.Probe(context.Background())
}

func TestTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := addrOf(t, ln.Addr())
	closedLn, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := addrOf(t, closedLn.Addr())
	closedLn.Close()
	if r := probe(t, &config.Checker{Type: config.CheckTCP}, rsAt(open)); !r.OK {
		t.Fatalf("open port: %+v", r)
	}
	if r := probe(t, &config.Checker{Type: config.CheckTCP}, rsAt(closed)); r.OK {
		t.Fatalf("closed port: %+v", r)
	}
	// connect_port overrides the real server's port.
	if r := probe(t, &config.Checker{Type: config.CheckTCP, ConnectPort: open.Port()}, rsAt(closed)); !r.OK {
		t.Fatalf("connect_port: %+v", r)
	}
}

func TestHTTPProbe(t *testing.T) {
	hosts := make(chan string, 20)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
		fmt.Fprint(w, "all good\n")
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
		http.Error(w, "nope", http.StatusNotFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ap := addrOf(t, srv.Listener.Addr())
	sum := md5.Sum([]byte("all good\n"))
	digest := hex.EncodeToString(sum[:])
	url := func(path string, mod func(*config.URL)) config.URL {
		u := config.URL{Path: path, StatusCodes: []config.CodeRange{{Lo: 200, Hi: 299}}}
		if mod != nil {
			mod(&u)
		}
		return u
	}
	tests := []struct {
		name  string
		vhost string
		urls  []config.URL
		ok    bool
		host  string
	}{
		{"status", "", []config.URL{url("/ok", nil)}, true, ap.String()},
		{"status 404 fails", "", []config.URL{url("/missing", nil)}, false, ap.String()},
		{"404 allowed", "", []config.URL{url("/missing", func(u *config.URL) { u.StatusCodes = []config.CodeRange{{Lo: 400, Hi: 404}} })}, true, ap.String()},
		{"digest", "", []config.URL{url("/ok", func(u *config.URL) { u.Digest = digest })}, true, ap.String()},
		{"wrong digest", "", []config.URL{url("/ok", func(u *config.URL) { u.Digest = strings.Repeat("0", 32) })}, false, ap.String()},
		{"regex", "", []config.URL{url("/ok", func(u *config.URL) { u.Regex = "go+d" })}, true, ap.String()},
		{"regex no match", "", []config.URL{url("/ok", func(u *config.URL) { u.Regex = "bad" })}, false, ap.String()},
		{"regex_no_match", "", []config.URL{url("/ok", func(u *config.URL) { u.Regex = "good"; u.RegexNoMatch = true })}, false, ap.String()},
		{"virtualhost", "www.example.org", []config.URL{url("/ok", nil)}, true, "www.example.org"},
		{"url virtualhost wins", "www.example.org", []config.URL{url("/ok", func(u *config.URL) { u.Virtualhost = "u.example.org" })}, true, "u.example.org"},
		{"every url must pass", "", []config.URL{url("/ok", nil), url("/missing", nil)}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for len(hosts) > 0 {
				<-hosts
			}
			ck := &config.Checker{Type: config.CheckHTTP, HTTP: &config.HTTPCheck{Protocol: "1.0", Virtualhost: tc.vhost, URLs: tc.urls}}
			r := probe(t, ck, rsAt(ap))
			if r.OK != tc.ok {
				t.Fatalf("ok=%v, want %v: %s", r.OK, tc.ok, r.Detail)
			}
			if tc.host != "" {
				if h := <-hosts; h != tc.host {
					t.Fatalf("Host header %q, want %q", h, tc.host)
				}
			}
		})
	}
}

func TestSSLProbe(t *testing.T) {
	sni := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sni <- r.TLS.ServerName
		fmt.Fprint(w, "secure")
	}))
	srv.StartTLS()
	defer srv.Close()
	ap := addrOf(t, srv.Listener.Addr())
	sum := md5.Sum([]byte("secure"))
	ck := &config.Checker{Type: config.CheckSSL, HTTP: &config.HTTPCheck{Protocol: "1.1", EnableSNI: true, Virtualhost: "sni.example", URLs: []config.URL{{Path: "/", Digest: hex.EncodeToString(sum[:]), StatusCodes: []config.CodeRange{{Lo: 200, Hi: 299}}}}}}
	if r := probe(t, ck, rsAt(ap)); !r.OK {
		t.Fatalf("SSL_GET: %s", r.Detail)
	}
	if s := <-sni; s != "sni.example" {
		t.Fatalf("SNI %q, want sni.example", s)
	}
}

func TestMiscProbe(t *testing.T) {
	tests := []struct {
		name      string
		script    string
		dynamic   bool
		timeout   time.Duration
		ok        bool
		hasWeight bool
		weight    int
	}{
		{"exit 0", "exit 0", false, 0, true, false, 0},
		{"exit 1", "exit 1", false, 0, false, false, 0},
		{"exit 12 without misc_dynamic", "exit 12", false, 0, false, false, 0},
		{"exit 12 dynamic", "exit 12", true, 0, true, true, 10},
		{"exit 2 dynamic is weight 0", "exit 2", true, 0, true, true, 0},
		{"exit 1 dynamic fails", "exit 1", true, 0, false, false, 0},
		{"timeout", "sleep 5", false, time.Second, false, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := "/bin/sh -c '" + tc.script + "'"
			ck := &config.Checker{Type: config.CheckMisc, DelayLoop: 3 * time.Second, Misc: &config.MiscCheck{Path: config.Command{Text: text, Args: []string{"/bin/sh", "-c", tc.script}}, Dynamic: tc.dynamic, Timeout: tc.timeout}}
			start := time.Now()
			r := probe(t, ck, rsAt(netip.MustParseAddrPort("192.0.2.1:80")))
			if r.OK != tc.ok || r.HasWeight != tc.hasWeight || r.Weight != tc.weight {
				t.Fatalf("%+v", r)
			}
			if tc.timeout != 0 && time.Since(start) > 4*time.Second {
				t.Fatalf("misc_timeout %v not enforced: %v", tc.timeout, time.Since(start))
			}
		})
	}
}

// smtpServer answers one greeting and HELO per connection.
func smtpServer(t *testing.T, greeting string) (netip.AddrPort, chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	helos := make(chan string, 5)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprintf(c, "%s\r\n", greeting)
				line, _ := bufio.NewReader(c).ReadString('\n')
				helos <- strings.TrimSpace(line)
				fmt.Fprintf(c, "250-hello\r\n250 ok\r\n")
			}()
		}
	}()
	return addrOf(t, ln.Addr()), helos
}

func TestSMTPProbe(t *testing.T) {
	ap, helos := smtpServer(t, "220-mx ESMTP\r\n220 ready")
	r := probe(t, &config.Checker{Type: config.CheckSMTP, SMTP: &config.SMTPCheck{HeloName: "check.example"}}, rsAt(ap))
	if !r.OK {
		t.Fatalf("SMTP: %s", r.Detail)
	}
	if h := <-helos; h != "HELO check.example" {
		t.Fatalf("got %q", h)
	}
	bad, _ := smtpServer(t, "554 go away")
	if r := probe(t, &config.Checker{Type: config.CheckSMTP, SMTP: &config.SMTPCheck{HeloName: "x"}}, rsAt(bad)); r.OK {
		t.Fatal("554 greeting passed")
	}
}

func TestDNSProbe(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if q.Question[0].Name != "ok.example." || q.Question[0].Qtype != dns.TypeA {
			m.Rcode = dns.RcodeNameError
		} else {
			rr, _ := dns.NewRR("ok.example. 60 IN A 192.0.2.7")
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	ap := addrOf(t, pc.LocalAddr())
	if r := probe(t, &config.Checker{Type: config.CheckDNS, DNS: &config.DNSCheck{Type: "A", Name: "ok.example"}}, rsAt(ap)); !r.OK {
		t.Fatalf("DNS: %s", r.Detail)
	}
	if r := probe(t, &config.Checker{Type: config.CheckDNS, DNS: &config.DNSCheck{Type: "A", Name: "bad.example"}}, rsAt(ap)); r.OK {
		t.Fatal("NXDOMAIN passed")
	}
}

func TestUDPProbe(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte{0xab, 0xcd}, buf[:n]...), from)
		}
	}()
	echo := addrOf(t, pc.LocalAddr())
	closedPC, _ := net.ListenPacket("udp", "127.0.0.1:0")
	closed := addrOf(t, closedPC.LocalAddr())
	closedPC.Close()
	udp := func(u config.UDPCheck) *config.Checker {
		if u.MaxReplyLength == 0 {
			u.MaxReplyLength = 255
		}
		return &config.Checker{Type: config.CheckUDP, ConnectTimeout: 500 * time.Millisecond, UDP: &u}
	}
	tests := []struct {
		name string
		u    config.UDPCheck
		at   netip.AddrPort
		ok   bool
	}{
		{"reply required and matching", config.UDPCheck{Payload: "0102", RequireReply: true, ReplyPattern: "abxd01"}, echo, true},
		{"pattern mismatch", config.UDPCheck{Payload: "0102", RequireReply: true, ReplyPattern: "ac"}, echo, false},
		{"reply too long", config.UDPCheck{Payload: "0102", RequireReply: true, MaxReplyLength: 3}, echo, false},
		{"port unreachable", config.UDPCheck{Payload: "01"}, closed, false},
		{"any reply without require_reply", config.UDPCheck{}, echo, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := probe(t, udp(tc.u), rsAt(tc.at)); r.OK != tc.ok {
				t.Fatalf("ok=%v, want %v: %s", r.OK, tc.ok, r.Detail)
			}
		})
	}
}

func TestPingProbe(t *testing.T) {
	testenv.RequireRoot(t, "PING_CHECK opens a raw ICMP socket")
	if r := probe(t, &config.Checker{Type: config.CheckPing}, rsAt(netip.MustParseAddrPort("127.0.0.1:0"))); !r.OK {
		t.Fatalf("ping 127.0.0.1: %s", r.Detail)
	}
}

func TestHTTPRequestMessage(t *testing.T) {
	tg := Target{Addr: netip.MustParseAddrPort("[2001:db8::1]:8080")}
	tests := []struct {
		r    HTTPRequest
		want string
	}{
		{HTTPRequest{Target: tg, Path: "/"}, "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: [2001:db8::1]:8080\r\n\r\n"},
		{HTTPRequest{Target: Target{Addr: netip.MustParseAddrPort("192.0.2.1:80")}, Path: "/x", Protocol: "1.0C"}, "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.1\r\nConnection: close\r\n\r\n"},
		{HTTPRequest{Target: tg, Path: "/", Protocol: "1.1", Virtualhost: "v.example"}, "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nHost: v.example\r\nConnection: close\r\n\r\n"},
	}
	for _, tc := range tests {
		if got := tc.r.Message(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestDialerSource(t *testing.T) {
	d := Target{BindTo: netip.MustParseAddr("fe80::1"), BindPort: 99, BindIf: "eth7"}.dialer("tcp")
	if got := d.LocalAddr.String(); got != "[fe80::1%eth7]:99" {
		t.Errorf("link-local bindto with bind_if: local address %s", got)
	}
	d = Target{BindTo: netip.MustParseAddr("192.0.2.1")}.dialer("udp")
	if got := d.LocalAddr.String(); got != "192.0.2.1:0" || d.Control != nil {
		t.Errorf("bindto: local address %s, control set %v", got, d.Control != nil)
	}
}
