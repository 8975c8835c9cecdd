package lvs

import (
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/test/lab"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var nat = config.Method{Kind: "NAT"}

func TestWeightedBuckets(t *testing.T) {
	d := func(last byte, w int) Dest {
		return Dest{Addr: netip.AddrFrom4([4]byte{192, 0, 2, last}), Port: 80, Weight: w}
	}
	count := func(bs []Dest) map[byte]int {
		m := map[byte]int{}
		for _, b := range bs {
			m[b.Addr.As4()[3]]++
		}
		return m
	}
	tests := []struct {
		name  string
		dests []Dest
		want  map[byte]int
	}{
		{"equal weights", []Dest{d(1, 1), d(2, 1)}, map[byte]int{1: 1, 2: 1}},
		{"gcd", []Dest{d(1, 10), d(2, 30)}, map[byte]int{1: 1, 2: 3}},
		{"weight 0 gets no slot", []Dest{d(1, 0), d(2, 5)}, map[byte]int{2: 1}},
		{"all 0", []Dest{d(1, 0)}, map[byte]int{}},
		{"scaled", []Dest{d(1, 1), d(2, 4000)}, map[byte]int{1: 1, 2: 1023}},
	}
	for _, tc := range tests {
		got := count(weightedBuckets(tc.dests))
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

// nftIn returns an nftables backend working in a fresh namespace.
func nftIn(t *testing.T) (*NFT, *lab.Node) {
	t.Helper()
	host := lab.NewHost(t, "lo")
	f, err := os.Open("/run/netns/" + host.NS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	b, err := NewNFTAt(quiet, int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return b, host
}

func TestNFTSyncAndClose(t *testing.T) {
	b, host := nftIn(t)
	services := []Service{
		{Family: config.IPv4, Protocol: "TCP", Addr: netip.MustParseAddr("192.0.2.10"), Port: 80, Dests: []Dest{
			{Addr: netip.MustParseAddr("192.0.2.20"), Port: 8080, Weight: 1, Method: nat},
			{Addr: netip.MustParseAddr("192.0.2.21"), Port: 8081, Weight: 2, Method: nat},
			{Addr: netip.MustParseAddr("192.0.2.22"), Port: 8082, Weight: 0, Method: nat},
		}},
		{Family: config.IPv4, Fwmark: 7, Dests: []Dest{{Addr: netip.MustParseAddr("192.0.2.30"), Weight: 1, Method: nat}}},
		{Family: config.IPv6, Protocol: "UDP", Addr: netip.MustParseAddr("2001:db8::10"), Port: 53, Dests: []Dest{{Addr: netip.MustParseAddr("2001:db8::20"), Port: 5353, Weight: 1, Method: nat}}},
	}
	if err := b.Sync(services); err != nil {
		t.Fatal(err)
	}
	v4 := host.Exec(t, "nft", "list", "table", "ip", NFTTable)
	for _, want := range []string{
		"type nat hook prerouting priority dstnat",
		"type nat hook output priority -100",
		`ip daddr 192.0.2.10 tcp dport 80 counter name "tcp_192.0.2.10_80_conn" dnat ip to numgen random mod 3 map { 0 : 192.0.2.20 . 8080, 1 : 192.0.2.21 . 8081, 2 : 192.0.2.21 . 8081 }`,
		`meta mark 0x00000007 counter name "fwm_7_conn" dnat to numgen random mod 1 map { 0 : 192.0.2.30 }`,
		// Chain traffic counts each service's flows both ways, and each real
		// server's, weight 0 included (its flows go on).
		"type filter hook prerouting priority filter",
		"type filter hook output priority filter",
		`meta l4proto tcp ct original ip daddr 192.0.2.10 ct original proto-dst 80 ct direction original counter name "tcp_192.0.2.10_80_in"`,
		`meta l4proto tcp ct original ip daddr 192.0.2.10 ct original proto-dst 80 ct direction reply counter name "tcp_192.0.2.10_80_out"`,
		`meta l4proto tcp ct original ip daddr 192.0.2.10 ct original proto-dst 80 ct reply ip saddr 192.0.2.22 ct reply proto-src 8082 ct state new counter name "tcp_192.0.2.10_80_rs_192.0.2.22_8082_conn"`,
		`meta l4proto tcp ct original ip daddr 192.0.2.10 ct original proto-dst 80 ct reply ip saddr 192.0.2.21 ct reply proto-src 8081 ct direction reply counter name "tcp_192.0.2.10_80_rs_192.0.2.21_8081_out"`,
		`meta mark 0x00000007 ct reply ip saddr 192.0.2.30 ct direction original counter name "fwm_7_rs_192.0.2.30_0_in"`,
	} {
		if !strings.Contains(v4, want) {
			t.Errorf("table ip %s lacks %q:\n%s", NFTTable, want, v4)
		}
	}
	if strings.Contains(v4, "192.0.2.22 . 8082") {
		t.Errorf("weight 0 destination is in the map:\n%s", v4)
	}
	if strings.Contains(v4, "fwm_7_out") || strings.Contains(v4, "fwm_7_rs_192.0.2.30_0_out") {
		t.Errorf("a fwmark service's replies carry no mark, yet they are counted:\n%s", v4)
	}
	v6 := host.Exec(t, "nft", "list", "table", "ip6", NFTTable)
	if want := `ip6 daddr 2001:db8::10 udp dport 53 counter name "udp_2001-db8--10_53_conn" dnat ip6 to numgen random mod 1 map { 0 : 2001:db8::20 . 5353 }`; !strings.Contains(v6, want) {
		t.Errorf("table ip6 %s lacks %q:\n%s", NFTTable, want, v6)
	}
	// A second Sync replaces the rules; the IPv6 table goes when empty.
	if err := b.Sync(services[:1]); err != nil {
		t.Fatal(err)
	}
	if v4 := host.Exec(t, "nft", "list", "table", "ip", NFTTable); strings.Contains(v4, "mark") || strings.Contains(v4, "fwm_7") || strings.Count(v4, "dnat") != 2 {
		t.Errorf("after the second Sync (the fwmark service and its counters gone):\n%s", v4)
	}
	if out, err := host.Try("nft", "list", "table", "ip6", NFTTable); err == nil {
		t.Errorf("ip6 table still there:\n%s", out)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if out := host.Exec(t, "nft", "list", "ruleset"); strings.Contains(out, NFTTable) {
		t.Errorf("tables left after Close:\n%s", out)
	}
}

func TestNFTRefusesTunnelsAndMixes(t *testing.T) {
	b, _ := nftIn(t)
	vip := netip.MustParseAddr("192.0.2.10")
	dest := func(last byte, kind string) Dest {
		return Dest{Addr: netip.AddrFrom4([4]byte{192, 0, 2, last}), Port: 80, Weight: 1, Method: config.Method{Kind: kind}}
	}
	for _, tc := range []struct {
		dests []Dest
		want  string
	}{
		{[]Dest{dest(20, "TUN")}, "does NAT and DR forwarding, not TUN"},
		{[]Dest{dest(20, "NAT"), dest(21, "DR")}, "cannot mix NAT and DR"},
	} {
		err := b.Sync([]Service{{Family: config.IPv4, Protocol: "TCP", Addr: vip, Port: 80, Dests: tc.dests}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// TestNFTDirectRouting: a DR service becomes an ingress rule of table
// netdev havip_lvs that sets the real server's MAC and sends the frame
// back out; a real server whose MAC is unknown makes Sync report it
// pending; Close removes the table.
func TestNFTDirectRouting(t *testing.T) {
	host := lab.NewHost(t, "eth0")
	host.Exec(t, "ip", "addr", "add", "192.0.2.1/24", "dev", "eth0")
	host.Exec(t, "ip", "neigh", "replace", "192.0.2.20", "lladdr", "02:00:00:00:00:20", "dev", "eth0", "nud", "permanent")
	f, err := os.Open("/run/netns/" + host.NS)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := NewNFTAt(quiet, int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	dr := config.Method{Kind: "DR"}
	svc := Service{Family: config.IPv4, Protocol: "TCP", Addr: netip.MustParseAddr("192.0.2.10"), Port: 80, Dests: []Dest{{Addr: netip.MustParseAddr("192.0.2.20"), Port: 80, Weight: 2, Method: dr}}}
	if err := b.Sync([]Service{svc}); err != nil {
		t.Fatal(err)
	}
	out := host.Exec(t, "nft", "list", "table", "netdev", NFTTable)
	for _, want := range []string{`type filter hook ingress device "eth0" priority filter`, "ip daddr 192.0.2.10 tcp dport 80", "map { 0 : 02:00:00:00:00:20 }", "ether daddr set jhash ip saddr . tcp sport mod 1 seed 0x", `dup to "eth0"`, "drop",
		`counter name "tcp_192.0.2.10_80_in" ether saddr set`,
		`tcp flags syn / syn,ack counter name "tcp_192.0.2.10_80_conn"`,
		`jhash ip saddr . tcp sport mod 1 seed 0x`, `counter name "tcp_192.0.2.10_80_rs_192.0.2.20_80_in"`,
		`counter name "tcp_192.0.2.10_80_rs_192.0.2.20_80_conn"`} {
		if !strings.Contains(out, want) {
			t.Errorf("table netdev %s lacks %q:\n%s", NFTTable, want, out)
		}
	}
	unknown := svc
	unknown.Dests = append(unknown.Dests, Dest{Addr: netip.MustParseAddr("192.0.2.21"), Port: 80, Weight: 1, Method: dr})
	if err := b.Sync([]Service{unknown}); !errors.Is(err, errNeighbourPending) {
		t.Fatalf("Sync with an unresolved real server: %v", err)
	}
	if out := host.Exec(t, "nft", "list", "table", "netdev", NFTTable); !strings.Contains(out, "mod 1 seed") {
		t.Fatalf("the resolved real server must stay in the pool while the other resolves:\n%s", out)
	}
	moved := svc
	moved.Dests = []Dest{{Addr: netip.MustParseAddr("192.0.2.20"), Port: 8080, Weight: 1, Method: dr}}
	if err := b.Sync([]Service{moved}); err == nil || !strings.Contains(err.Error(), "DR cannot change the port") {
		t.Fatalf("DR to another port: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if out := host.Exec(t, "nft", "list", "ruleset"); strings.Contains(out, NFTTable) {
		t.Fatalf("left after Close:\n%s", out)
	}
}

// TestNFTWarnsOncePerService: what the backend does not apply is logged
// once per service; persistence is applied to NAT services, not DR.
func TestNFTWarnsOncePerService(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want string
	}{
		{"NAT", "not applied: lb_algo lc, uthreshold/lthreshold"},
		{"DR", "not applied: persistence_timeout, lb_algo lc, uthreshold/lthreshold"},
	} {
		var buf strings.Builder
		b := &NFT{log: slog.New(slog.NewTextHandler(&buf, nil)), warned: map[ServiceKey]bool{}}
		s := Service{Family: config.IPv4, Protocol: "TCP", Addr: netip.MustParseAddr("192.0.2.10"), Port: 80, Scheduler: "lc", Persistence: 60, Dests: []Dest{{UThreshold: 5}}}
		b.warnUnsupported(s, tc.kind)
		b.warnUnsupported(s, tc.kind)
		b.warnUnsupported(Service{Family: config.IPv4, Protocol: "TCP", Addr: netip.MustParseAddr("192.0.2.11"), Port: 80, Scheduler: "wrr", Persistence: 60}, "NAT")
		if out := buf.String(); strings.Count(out, "not applied") != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: log:\n%s", tc.kind, out)
		}
	}
}

// TestNFTPersistenceRules: persistent NAT services (IPv4 with a port
// change, fwmark with a netmask granularity, IPv6 with a prefix length)
// get a set of clients per real server, a rule per real server for its
// known clients and a verdict map for new ones, all listed by nft. Later
// Syncs keep a set, and its clients, while its real server stays with the
// same timeout and granularity, drop it with its real server, start it
// afresh on a change, and drop them all with the service's persistence.
func TestNFTPersistenceRules(t *testing.T) {
	b, host := nftIn(t)
	rs := func(addr string, port uint16, w int) Dest {
		return Dest{Addr: netip.MustParseAddr(addr), Port: port, Weight: w, Method: nat}
	}
	v4 := Service{Family: config.IPv4, Protocol: "TCP", Addr: netip.MustParseAddr("192.0.2.10"), Port: 80, Scheduler: "rr", Persistence: 300,
		Dests: []Dest{rs("192.0.2.20", 8080, 1), rs("192.0.2.21", 8081, 0)}}
	fwm := Service{Family: config.IPv4, Fwmark: 7, Persistence: 60, Granularity: "255.255.255.0", Dests: []Dest{rs("192.0.2.30", 0, 1)}}
	v6 := Service{Family: config.IPv6, Protocol: "UDP", Addr: netip.MustParseAddr("2001:db8::10"), Port: 53, Scheduler: "sh", Persistence: 30, Granularity: "64",
		Dests: []Dest{rs("2001:db8::20", 5353, 1)}}
	const set20, set21 = "tcp_192.0.2.10_80_rs_192.0.2.20_8080_persist", "tcp_192.0.2.10_80_rs_192.0.2.21_8081_persist"
	with := func(s Service, change func(*Service)) Service {
		s.Dests = slices.Clone(s.Dests)
		change(&s)
		return s
	}
	for _, step := range []struct {
		name     string
		services []Service
		add      string // a client added to set20 before the Sync
		want     []string
		absent   []string
	}{
		{"install", []Service{v4, fwm, v6}, "", []string{
			"set " + set20 + " {", "set " + set21 + " {", "flags dynamic,timeout", "timeout 5m", "size 65535",
			`ip daddr 192.0.2.10 tcp dport 80 ip saddr @` + set20 + ` update @` + set20 + ` { ip saddr timeout 5m } counter name "tcp_192.0.2.10_80_conn" dnat to 192.0.2.20:8080`,
			// The real server of weight 0 keeps its clients.
			`ip saddr @` + set21 + ` update @` + set21 + ` { ip saddr timeout 5m } counter name "tcp_192.0.2.10_80_conn" dnat to 192.0.2.21:8081`,
			`ip daddr 192.0.2.10 tcp dport 80 numgen inc mod 1 vmap { 0 : goto tcp_192.0.2.10_80_rs_192.0.2.20_8080_new }`,
			"chain tcp_192.0.2.10_80_rs_192.0.2.20_8080_new {",
			"add @" + set20 + " { ip saddr timeout 5m }",
			// Each packet of a client refreshes its element.
			`ct reply ip saddr 192.0.2.20 ct reply proto-src 8080 ct direction original ip saddr @` + set20 + ` update @` + set20 + ` { ip saddr timeout 5m }`,
			`meta mark 0x00000007 ip saddr & 255.255.255.0 == @fwm_7_rs_192.0.2.30_0_persist update @fwm_7_rs_192.0.2.30_0_persist { ip saddr & 255.255.255.0 timeout 1m } counter name "fwm_7_conn" dnat to 192.0.2.30`,
			"add @fwm_7_rs_192.0.2.30_0_persist { ip saddr & 255.255.255.0 timeout 1m }",
			`ip6 saddr & ffff:ffff:ffff:ffff:: == @udp_2001-db8--10_53_rs_2001-db8--20_5353_persist update @udp_2001-db8--10_53_rs_2001-db8--20_5353_persist { ip6 saddr & ffff:ffff:ffff:ffff:: timeout 30s } counter name "udp_2001-db8--10_53_conn" dnat to [2001:db8::20]:5353`,
			"jhash ip6 saddr mod 1 vmap { 0 : goto udp_2001-db8--10_53_rs_2001-db8--20_5353_new }",
		}, []string{"chain tcp_192.0.2.10_80_rs_192.0.2.21_8081_new"}},
		{"weights change, the clients stay", []Service{with(v4, func(s *Service) { s.Dests[0].Weight = 3 }), fwm, v6}, "203.0.113.7",
			[]string{"elements = { 203.0.113.7 ", "numgen inc mod 1 vmap"}, nil},
		{"a real server leaves with its clients", []Service{with(v4, func(s *Service) { s.Dests = s.Dests[:1] }), fwm, v6}, "",
			[]string{"elements = { 203.0.113.7 "}, []string{set21}},
		{"a new timeout starts afresh", []Service{with(v4, func(s *Service) { s.Dests, s.Persistence = s.Dests[:1], 120 }), fwm, v6}, "",
			[]string{"set " + set20 + " {", "timeout 2m"}, []string{"203.0.113.7"}},
		{"persistence off", []Service{with(v4, func(s *Service) { s.Persistence = 0 }), fwm}, "",
			[]string{`counter name "tcp_192.0.2.10_80_conn" dnat ip to numgen inc mod 1 map { 0 : 192.0.2.20 . 8080 }`, "fwm_7_rs_192.0.2.30_0_persist"},
			[]string{set20, set21, "tcp_192.0.2.10_80_rs_192.0.2.20_8080_new"}},
	} {
		if step.add != "" {
			host.Exec(t, "nft", "add", "element", "ip", NFTTable, set20, "{ "+step.add+" }")
		}
		if err := b.Sync(step.services); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		// nft decodes every rule: it exits 0.
		out := host.Exec(t, "nft", "list", "ruleset")
		for _, want := range step.want {
			if !strings.Contains(out, want) {
				t.Errorf("%s: ruleset lacks %q", step.name, want)
			}
		}
		for _, absent := range step.absent {
			if strings.Contains(out, absent) {
				t.Errorf("%s: ruleset has %q", step.name, absent)
			}
		}
		if t.Failed() {
			t.Fatalf("%s: ruleset:\n%s", step.name, out)
		}
	}
	// A backend taking over the table of one that did not stop starts its
	// sets afresh (their real servers' ids and specs are unknown) and
	// drops the stale ones.
	f, err := os.Open("/run/netns/" + host.NS)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	next, err := NewNFTAt(quiet, int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	host.Exec(t, "nft", "add", "element", "ip", NFTTable, "fwm_7_rs_192.0.2.30_0_persist", "{ 203.0.113.0 }")
	if err := next.Sync([]Service{fwm}); err != nil {
		t.Fatal(err)
	}
	if out := host.Exec(t, "nft", "list", "ruleset"); strings.Contains(out, "203.0.113.0") || !strings.Contains(out, "chain fwm_7_rs_192.0.2.30_0_new {") {
		t.Fatalf("taking over: the set must be new, the chain kept:\n%s", out)
	}
	if err := next.Sync([]Service{v4}); err != nil {
		t.Fatal(err)
	}
	if out := host.Exec(t, "nft", "list", "ruleset"); strings.Contains(out, "fwm_7_rs") || !strings.Contains(out, "set "+set20+" {") {
		t.Fatalf("the fwmark service gone, its set and chain must go:\n%s", out)
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	if out := host.Exec(t, "nft", "list", "ruleset"); strings.Contains(out, NFTTable) {
		t.Fatalf("left after Close:\n%s", out)
	}
}

// natRS1 and natRS2 are natLab's real servers, serving HTTP on port 8080.
var natRS1, natRS2 = netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")

// natClients are addresses the client of natLab may add to stand for
// other clients: the real servers route them through the director too.
var natClients = netip.MustParsePrefix("192.0.2.240/29")

// natLab is a director with the VIP 192.0.2.100 and the nftables backend
// in its namespace, two real servers (natRS1, natRS2) routing the client
// (and natClients) through the director, and the client.
func natLab(t *testing.T) (director, client *lab.Node, b *NFT, vip netip.Addr) {
	t.Helper()
	testenv.RequireCommand(t, "python3", "python3")
	testenv.RequireCommand(t, "curl", "curl")
	l := lab.New(t, lab.Options{Nodes: 3, Client: true})
	director, client = l.Nodes[0], l.Client
	if l.Nodes[1].IPv4 != natRS1 || l.Nodes[2].IPv4 != natRS2 {
		t.Fatalf("lab addresses %v, %v; want %v, %v", l.Nodes[1].IPv4, l.Nodes[2].IPv4, natRS1, natRS2)
	}
	director.Exec(t, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.eth0.send_redirects=0")
	vip = netip.MustParseAddr("192.0.2.100")
	director.Exec(t, "ip", "addr", "add", vip.String()+"/32", "dev", "eth0")
	for _, rs := range l.Nodes[1:] {
		rs.Exec(t, "ip", "route", "add", client.IPv4.String()+"/32", "via", director.IPv4.String())
		rs.Exec(t, "ip", "route", "add", natClients.String(), "via", director.IPv4.String())
		rs.Start(t, "http-"+rs.NS, "python3", "-m", "http.server", "8080", "--bind", rs.IPv4.String(), "--directory", t.TempDir())
	}
	f, err := os.Open("/run/netns/" + director.NS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if b, err = NewNFTAt(quiet, int(f.Fd())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return director, client, b, vip
}

// TestNFTCountsTraffic: requests from a client through a NAT service move
// the service's and the chosen real server's counters — connections,
// packets and bytes both ways — and a Sync that keeps the service keeps
// its counts, while a real server leaving the pool loses its own.
func TestNFTCountsTraffic(t *testing.T) {
	director, cl, b, vip := natLab(t)
	rs1, rs2 := natRS1, natRS2
	svc := Service{Family: config.IPv4, Protocol: "TCP", Addr: vip, Port: 80, Dests: []Dest{
		{Addr: rs1, Port: 8080, Weight: 1, Method: nat},
		{Addr: rs2, Port: 8080, Weight: 0, Method: nat},
	}}
	if err := b.Sync([]Service{svc}); err != nil {
		t.Fatal(err)
	}
	get := func(n int) {
		t.Helper()
		for range n {
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, err := cl.Try("curl", "-sf", "-o", "/dev/null", "--max-time", "2", "http://"+vip.String()+"/")
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("GET through the VIP: %v", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	stats := func() ServiceStats {
		t.Helper()
		st, err := b.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return st[svc.Key()]
	}
	get(1)
	base := stats() // the first request may have waited for the server
	const n = 5
	get(n)
	st := stats()
	t.Logf("after %d requests: service %+v (before: %+v)", n, st.Traffic, base.Traffic)
	k1, k2 := DestKey{rs1, 8080}, DestKey{rs2, 8080}
	conns := st.Traffic.Connections - base.Traffic.Connections
	if conns != n {
		t.Errorf("service connections went %d → %d; want %d more", base.Traffic.Connections, st.Traffic.Connections, n)
	}
	if got := st.Dests[k1].Connections - base.Dests[k1].Connections; got != conns {
		t.Errorf("real server %s connections +%d, service +%d: all went to it", rs1, got, conns)
	}
	// A TCP request is at least SYN, ACK, request, FIN one way and
	// SYN-ACK, response, FIN the other.
	in, out := st.Traffic.InPackets-base.Traffic.InPackets, st.Traffic.OutPackets-base.Traffic.OutPackets
	if in < 4*n || out < 3*n || st.Traffic.InBytes <= base.Traffic.InBytes || st.Traffic.OutBytes-base.Traffic.OutBytes <= st.Traffic.InBytes-base.Traffic.InBytes {
		t.Errorf("service traffic %+v after %+v: want ≥ %d packets in, ≥ %d out, more bytes out (the responses) than in", st.Traffic, base.Traffic, 4*n, 3*n)
	}
	if st.Dests[k1] != st.Traffic {
		t.Errorf("real server %s counted %+v, service %+v: it served every flow", rs1, st.Dests[k1], st.Traffic)
	}
	if st.Dests[k2] != (Traffic{}) {
		t.Errorf("real server %s at weight 0 counted %+v", rs2, st.Dests[k2])
	}
	// The same service again (as a reload that does not touch it, or a
	// health change elsewhere) keeps the counts; rs2 leaving the pool and
	// rs1 taking weight 0 keep rs1's.
	svc.Dests = []Dest{{Addr: rs1, Port: 8080, Weight: 0, Method: nat}}
	if err := b.Sync([]Service{svc}); err != nil {
		t.Fatal(err)
	}
	if after := stats(); after.Traffic != st.Traffic || after.Dests[k1] != st.Dests[k1] || len(after.Dests) != 1 {
		t.Errorf("after a Sync keeping the service: %+v, want %+v with only %s", after, st, rs1)
	}
	if out := director.Exec(t, "nft", "list", "counters"); strings.Contains(out, rs2.String()) {
		t.Errorf("the counters of %s, out of the pool, are left:\n%s", rs2, out)
	}
}

// waitServing waits until natLab's real servers serve, seen from the
// director: a connection refused through the VIP would count too.
func waitServing(t *testing.T, director *lab.Node) {
	t.Helper()
	for _, rs := range []netip.Addr{natRS1, natRS2} {
		if !lab.Poll(10*time.Second, 50*time.Millisecond, func() bool {
			_, err := director.Try("curl", "-sf", "-o", "/dev/null", "--max-time", "1", "http://"+rs.String()+":8080/")
			return err == nil
		}) {
			t.Fatalf("%s:8080 did not start serving", rs)
		}
	}
}

// TestNFTPersistence: with persistence_timeout, every connection of a
// client goes to the real server of its first while other clients are
// still spread by the scheduler; once the client's element has expired,
// its next connection is scheduled anew (rr: to the other real server),
// but not while a connection of the client goes on sending; with a
// granularity the clients of one network share a real server; a
// real server leaving the pool lets its clients go to another. nft lists
// the ruleset, clients included, throughout.
func TestNFTPersistence(t *testing.T) {
	director, cl, b, vip := natLab(t)
	waitServing(t, director)
	others := []netip.Addr{natClients.Addr().Next(), natClients.Addr().Next().Next(), natClients.Addr().Next().Next().Next(), natClients.Addr().Next().Next().Next().Next()}
	for _, a := range others {
		cl.Exec(t, "ip", "addr", "add", a.String()+"/32", "dev", "eth0")
	}
	svc := Service{Family: config.IPv4, Protocol: "TCP", Addr: vip, Port: 80, Scheduler: "rr", Persistence: 4, Dests: []Dest{
		{Addr: natRS1, Port: 8080, Weight: 1, Method: nat},
		{Addr: natRS2, Port: 8080, Weight: 1, Method: nat},
	}}
	if err := b.Sync([]Service{svc}); err != nil {
		t.Fatal(err)
	}
	// connect runs a command on the client that makes one connection
	// through the VIP and returns the real server that took it.
	connect := func(args ...string) netip.Addr {
		t.Helper()
		before, err := b.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Try(args...); err != nil {
			t.Fatal(err)
		}
		after, err := b.Stats()
		if err != nil {
			t.Fatal(err)
		}
		var served []netip.Addr
		for _, rs := range []netip.Addr{natRS1, natRS2} {
			k := DestKey{rs, 8080}
			if after[svc.Key()].Dests[k].Connections > before[svc.Key()].Dests[k].Connections {
				served = append(served, rs)
			}
		}
		if len(served) != 1 {
			t.Fatalf("%q: served by %v, want one real server", args, served)
		}
		return served[0]
	}
	// get makes a request from src and returns the real server that
	// served it.
	get := func(src netip.Addr) netip.Addr {
		t.Helper()
		return connect("curl", "-sf", "-o", "/dev/null", "--max-time", "2", "--interface", src.String(), "http://"+vip.String()+"/")
	}
	const n = 6
	home := get(cl.IPv4)
	for i := 1; i < n; i++ {
		if got := get(cl.IPv4); got != home {
			t.Fatalf("request %d of %s went to %s, the first to %s", i+1, cl.IPv4, got, home)
		}
	}
	spread := map[netip.Addr]bool{}
	for _, src := range others {
		first := get(src)
		spread[first] = true
		if again := get(src); again != first {
			t.Errorf("client %s went to %s, then %s", src, first, again)
		}
	}
	if !spread[natRS1] || !spread[natRS2] {
		t.Errorf("the other clients all went to %v; rr spreads them", spread)
	}
	set := func(rs netip.Addr) string { return destCounter(svc.Key(), DestKey{rs, 8080}, "persist") }
	if out := director.Exec(t, "nft", "list", "ruleset"); !strings.Contains(out, cl.IPv4.String()+" expires") {
		t.Errorf("the ruleset does not list client %s:\n%s", cl.IPv4, out)
	}
	// The client's element expires persistence_timeout after its last
	// connection; its next connection is scheduled anew, rr's turn being
	// the other real server's.
	if !lab.Poll(10*time.Second, 200*time.Millisecond, func() bool {
		out := director.Exec(t, "nft", "list", "set", "ip", NFTTable, set(home))
		return !strings.Contains(out, cl.IPv4.String()+" ")
	}) {
		t.Fatalf("client %s still in %s after 10 s", cl.IPv4, set(home))
	}
	// That next connection sends for longer than the timeout, which keeps
	// the client's element (IPVS keeps its template while a connection
	// lasts): the connection after it goes to the same real server, not
	// to rr's next.
	const hold = `import socket, sys, time
s = socket.create_connection((sys.argv[1], 80), source_address=(sys.argv[2], 0))
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    s.send(b"G")
    time.sleep(0.3)
s.close()
`
	moved := connect("python3", "-c", hold, vip.String(), cl.IPv4.String(), strconv.Itoa(svc.Persistence+2))
	if moved == home {
		t.Errorf("after the timeout, client %s went to %s again; rr's next is the other", cl.IPv4, moved)
	}
	if got := get(cl.IPv4); got != moved {
		t.Errorf("after a connection of %d s, client %s went to %s, not %s: its element expired while the connection sent", svc.Persistence+2, cl.IPv4, got, moved)
	}
	// A /29 granularity: the other clients share one real server.
	svc.Granularity = "255.255.255.248"
	if err := b.Sync([]Service{svc}); err != nil {
		t.Fatal(err)
	}
	group := get(others[0])
	for _, src := range others[1:] {
		if got := get(src); got != group {
			t.Errorf("client %s of %s went to %s, %s to %s", src, natClients, got, others[0], group)
		}
	}
	// The group's real server leaves the pool: its clients go to the
	// other.
	svc.Dests = slices.DeleteFunc(slices.Clone(svc.Dests), func(d Dest) bool { return d.Addr == group })
	if err := b.Sync([]Service{svc}); err != nil {
		t.Fatal(err)
	}
	if got := get(others[0]); got == group || got != svc.Dests[0].Addr {
		t.Errorf("with %s out of the pool, client %s went to %s", group, others[0], got)
	}
	director.Exec(t, "nft", "list", "ruleset")
}

// TestNFTSchedulers: with rr and wrr the NAT rule picks real servers in
// turn (rr ignoring weights, wrr by weight), with sh by the client's
// address (one client: always one real server); requests through the VIP
// are counted per real server.
func TestNFTSchedulers(t *testing.T) {
	director, cl, b, vip := natLab(t)
	rs1, rs2 := natRS1, natRS2
	k1, k2 := DestKey{rs1, 8080}, DestKey{rs2, 8080}
	waitServing(t, director)
	get := func() {
		t.Helper()
		if !lab.Poll(10*time.Second, 100*time.Millisecond, func() bool {
			_, err := cl.Try("curl", "-sf", "-o", "/dev/null", "--max-time", "2", "http://"+vip.String()+"/")
			return err == nil
		}) {
			t.Fatal("GET through the VIP failed for 10 s")
		}
	}
	for _, tt := range []struct {
		scheduler string
		w1, w2    int
		requests  int
		check     func(c1, c2 uint64) bool
		want      string
	}{
		{"rr", 1, 5, 10, func(c1, c2 uint64) bool { return c1 == 5 && c2 == 5 }, "5 and 5: in turn, weights ignored"},
		{"wrr", 1, 3, 12, func(c1, c2 uint64) bool { return c1 == 3 && c2 == 9 }, "3 and 9: in turn by weight"},
		{"sh", 1, 1, 10, func(c1, c2 uint64) bool { return c1 == 10 && c2 == 0 || c1 == 0 && c2 == 10 }, "all 10 to one: one client"},
	} {
		t.Run(tt.scheduler, func(t *testing.T) {
			svc := Service{Family: config.IPv4, Protocol: "TCP", Addr: vip, Port: 80, Scheduler: tt.scheduler, Dests: []Dest{
				{Addr: rs1, Port: 8080, Weight: tt.w1, Method: nat},
				{Addr: rs2, Port: 8080, Weight: tt.w2, Method: nat},
			}}
			if err := b.Sync(nil); err != nil { // a fresh rule: numgen inc starts at 0
				t.Fatal(err)
			}
			if err := b.Sync([]Service{svc}); err != nil {
				t.Fatal(err)
			}
			for range tt.requests {
				get()
			}
			st, err := b.Stats()
			if err != nil {
				t.Fatal(err)
			}
			c1, c2 := st[svc.Key()].Dests[k1].Connections, st[svc.Key()].Dests[k2].Connections
			t.Logf("%s: %d requests: %s %d, %s %d", tt.scheduler, tt.requests, rs1, c1, rs2, c2)
			if !tt.check(c1, c2) {
				t.Fatalf("%s: connections %d and %d, want %s", tt.scheduler, c1, c2, tt.want)
			}
		})
	}
}
