package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/test/lab"
)

// lvsLab is a director (n1, running havip with the VIP 192.0.2.100 and a
// virtual server on it), two real servers (n2, n3) running python3's
// http.server on port 8080, and a client. The nftables backend is used:
// the kernel here has no IPVS. The real servers route the client through
// the director, as LVS-NAT needs.
type lvsLab struct {
	l        *lab.Lab
	director *lab.Node
	rs       map[string]*lab.Process // by real server address
	scripts  string                  // the notify scripts' log
}

const (
	lvsVIP       = "192.0.2.100"
	lvsDelayLoop = 1 * time.Second
	lvsRetry     = 1
	lvsRetryWait = 500 * time.Millisecond
)

func newLVSLab(t *testing.T) *lvsLab {
	t.Helper()
	testenv.RequireCommand(t, "python3", "python3")
	testenv.RequireCommand(t, "curl", "curl")
	testenv.RequireCommand(t, "nft", "nftables")
	l := lab.New(t, lab.Options{Nodes: 3, Client: true})
	ll := &lvsLab{l: l, director: l.Nodes[0], rs: map[string]*lab.Process{}, scripts: filepath.Join(t.TempDir(), "scripts.log")}
	ll.director.Exec(t, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.eth0.send_redirects=0")
	for _, n := range l.Nodes[1:] {
		n.Exec(t, "ip", "route", "add", l.Client.IPv4.String()+"/32", "via", ll.director.IPv4.String())
		ll.startRS(t, n)
	}
	return ll
}

// startRS serves /id.txt holding the node's address on ADDR:8080.
func (ll *lvsLab) startRS(t *testing.T, n *lab.Node) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "id.txt"), []byte(n.IPv4.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ll.rs[n.IPv4.String()] = n.Start(t, "http-"+n.NS, "python3", "-m", "http.server", "8080", "--bind", n.IPv4.String(), "--directory", dir)
	waitTCP(t, n, n.IPv4.String(), "8080")
}

func waitTCP(t *testing.T, n *lab.Node, addr, port string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := n.Try("curl", "-s", "-o", "/dev/null", "--max-time", "1", "http://"+addr+":"+port+"/id.txt"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:%s did not start serving", addr, port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (ll *lvsLab) conf() string {
	sh := func(word string) string { return fmt.Sprintf(`"/bin/sh -c 'echo %s >> %s'"`, word, ll.scripts) }
	rs := func(n *lab.Node, extra string) string {
		a := n.IPv4.String()
		return fmt.Sprintf(`	real_server %s 8080 {
		weight 1
		notify_up %s
		notify_down %s
%s		HTTP_GET {
			url {
				path /id.txt
				status_code 200
			}
			connect_timeout 1
		}
	}
`, a, sh("up-"+a), sh("down-"+a), extra)
	}
	return fmt.Sprintf(`global_defs {
	enable_script_security
	script_user root
}
vrrp_instance VI_1 {
	state MASTER
	interface eth0
	virtual_router_id 51
	priority 255
	advert_int 1
	virtual_ipaddress {
		%s/24
	}
}
virtual_server %s 80 {
	protocol TCP
	lb_algo rr
	lb_kind NAT
	delay_loop %g
	retry %d
	delay_before_retry %g
	warmup 0
	quorum 1
	quorum_up %s
	quorum_down %s
%s%s}
`, lvsVIP, lvsVIP, lvsDelayLoop.Seconds(), lvsRetry, lvsRetryWait.Seconds(), sh("quorum-up"), sh("quorum-down"),
		rs(ll.l.Nodes[1], ""), rs(ll.l.Nodes[2], "\t\tinhibit_on_failure\n"))
}

var poolLine = regexp.MustCompile(`msg="virtual server pool" virtual_server=\S+ pool="([^"]*)"`)

// pool returns the last pool havip logged.
func pool(s *speaker) string {
	m := poolLine.FindAllStringSubmatch(s.proc.Output(), -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

// waitPool waits for havip to log pool and returns when it did.
func waitPool(t *testing.T, s *speaker, want string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for pool(s) != want {
		if time.Now().After(deadline) {
			t.Fatalf("pool %q, want %q after %v; log:\n%s", pool(s), want, timeout, s.proc.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Now()
}

// hits fetches the VIP n times from the client and counts the answers by
// real server.
func (ll *lvsLab) hits(t *testing.T, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		out, err := ll.l.Client.Try("curl", "-s", "--max-time", "2", "http://"+lvsVIP+":80/id.txt")
		if err != nil {
			got["error"]++
			continue
		}
		got[strings.TrimSpace(out)]++
	}
	return got
}

// oneVirtualServer returns the one virtual server of s's status snapshot.
func oneVirtualServer(t *testing.T, s *speaker) engine.VirtualServerStatus {
	t.Helper()
	snap := s.snapshot(t)
	if len(snap.VirtualServers) != 1 {
		t.Fatalf("havip status --json: virtual servers %+v, want one", snap.VirtualServers)
	}
	return snap.VirtualServers[0]
}

// wantRealServers checks that `havip status` shows the virtual server with
// its quorum and each real server as "ADDR:PORT up|down WEIGHT", in the JSON
// snapshot and in the table.
func wantRealServers(t *testing.T, s *speaker, quorum bool, want ...string) {
	t.Helper()
	vs := oneVirtualServer(t, s)
	var got []string
	for _, r := range vs.RealServers {
		got = append(got, fmt.Sprintf("%s %s %d", r.Address, map[bool]string{true: "up", false: "down"}[r.Alive], r.Weight))
	}
	if vs.Quorum != quorum || strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("havip status: %s quorum %v, real servers %v; want quorum %v, %v", vs.Name, vs.Quorum, got, quorum, want)
	}
	table, err := exec.Command(havipBin, "status", "--socket", s.status).Output()
	if err != nil || !strings.Contains(string(table), "VIRTUAL SERVER") || !strings.Contains(string(table), strings.Fields(want[0])[0]) {
		t.Fatalf("havip status (table): %v\n%s", err, table)
	}
}

// wantConns checks, in s's /metrics, that keepalived_lvs_vip_conn of the
// VIP is at least vip and keepalived_lvs_rs_conn of each real server at
// least the given count, and that the real servers' in packets add up to
// at most the VIP's.
func wantConns(t *testing.T, s *speaker, vip int, rss map[string]int) {
	t.Helper()
	vipLabels := labels("addr", lvsVIP+":80", "proto", "6")
	got := s.waitMetric(t, "keepalived_lvs_vip_conn", vipLabels, fmt.Sprintf("≥ %d", vip), func(v float64) bool { return v >= float64(vip) })
	t.Logf("keepalived_lvs_vip_conn = %v after %d requests", got, vip)
	for rs, n := range rss {
		l := labels("vip", lvsVIP+":80", "addr", rs+":8080", "proto", "6")
		v := s.waitMetric(t, "keepalived_lvs_rs_conn", l, fmt.Sprintf("≥ %d", n), func(v float64) bool { return v >= float64(n) })
		t.Logf("keepalived_lvs_rs_conn{addr=%s:8080} = %v after %d requests it answered", rs, v, n)
	}
	in, _ := s.metric(t, "keepalived_lvs_vip_in_packets", vipLabels)
	out, _ := s.metric(t, "keepalived_lvs_vip_out_bytes", vipLabels)
	if in < 4*float64(vip) || out == 0 {
		t.Errorf("keepalived_lvs_vip_in_packets = %v, keepalived_lvs_vip_out_bytes = %v after %d requests: want ≥ 4 packets in each and some bytes out", in, out, vip)
	}
	// havip status --json carries the same counts.
	vs := oneVirtualServer(t, s)
	if vs.Traffic == nil || vs.Traffic.Connections < uint64(vip) || len(vs.Services) != 1 || vs.Services[0].Address != lvsVIP || vs.Services[0].Port != 80 {
		t.Errorf("havip status --json: virtual server traffic %+v, services %+v; want ≥ %d connections on %s:80", vs.Traffic, vs.Services, vip, lvsVIP)
	}
	for _, r := range vs.RealServers {
		host, _, _ := strings.Cut(r.Address, ":")
		if n, ok := rss[host]; ok && (r.Traffic == nil || r.Traffic.Connections < uint64(n)) {
			t.Errorf("havip status --json: real server %s traffic %+v, want ≥ %d connections", r.Address, r.Traffic, n)
		}
	}
}

var nftPackets = regexp.MustCompile(`packets (\d+) bytes \d+`)

// nftCounter returns the packets of the named counter of table FAMILY
// havip_lvs (family "ip" unless name is "ip6 NAME") in n's namespace.
func nftCounter(t *testing.T, n *lab.Node, name string) int {
	t.Helper()
	family := "ip"
	if f, rest, ok := strings.Cut(name, " "); ok {
		family, name = f, rest
	}
	out := n.Exec(t, "nft", "list", "counter", family, "havip_lvs", name)
	m := nftPackets.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("nft list counter %s:\n%s", name, out)
	}
	v, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (ll *lvsLab) nftTables(t *testing.T) string {
	return ll.director.Exec(t, "nft", "list", "tables")
}

// TestLVSPoolFollowsHealth: clients reaching the VIP are spread over the
// healthy real servers only; a failed real server leaves the pool within
// delay_loop + retry × delay_before_retry plus a small bound, an inhibited
// one stays at weight 0, notify and quorum scripts run in order, and the
// nftables tables are gone after havip exits.
func TestLVSPoolFollowsHealth(t *testing.T) {
	ll := newLVSLab(t)
	rs1, rs2 := ll.l.Nodes[1].IPv4.String(), ll.l.Nodes[2].IPv4.String()
	s := startHavip(t, ll.director, ll.conf(), "--http-listen", httpAddr)
	s.WaitState(t, "VI_1", "MASTER", electionTimeout)
	both := rs1 + ":8080=1 " + rs2 + ":8080=1"
	waitPool(t, s, both, 10*time.Second)
	if tables := ll.nftTables(t); !strings.Contains(tables, "table ip havip_lvs") {
		t.Fatalf("no havip_lvs table:\n%s", tables)
	}
	first := ll.hits(t, 30)
	if first[rs1] == 0 || first[rs2] == 0 || first[rs1]+first[rs2] != 30 {
		t.Fatalf("30 requests with both real servers healthy: %v", first)
	}
	// Each request is one connection, counted for the VIP and for the real
	// server that answered it (the health checks do not pass the VIP).
	wantConns(t, s, 30, map[string]int{rs1: first[rs1], rs2: first[rs2]})

	// The bound: the next check comes within delay_loop, the retries take
	// retry × delay_before_retry; connections are refused at once.
	bound := lvsDelayLoop + time.Duration(lvsRetry)*lvsRetryWait + time.Second
	stopped := time.Now()
	ll.rs[rs1].Signal(os.Kill)
	ll.rs[rs1].Wait(5 * time.Second)
	left := waitPool(t, s, rs2+":8080=1", bound+5*time.Second).Sub(stopped)
	t.Logf("real server %s left the pool %v after its server stopped (bound %v)", rs1, left.Round(time.Millisecond), bound)
	if left > bound {
		t.Errorf("real server left the pool after %v, more than delay_loop + retry × delay_before_retry + 1 s = %v", left, bound)
	}
	if got := ll.hits(t, 20); got[rs2] != 20 {
		t.Fatalf("20 requests with only %s healthy: %v", rs2, got)
	}
	// The pool changed: the VIP's and rs2's counts go on from where they
	// were; rs1, out of the pool, has no series.
	wantConns(t, s, 50, map[string]int{rs2: first[rs2] + 20})
	if v, ok := s.metric(t, "keepalived_lvs_rs_conn", labels("vip", lvsVIP+":80", "addr", rs1+":8080", "proto", "6")); ok {
		t.Errorf("keepalived_lvs_rs_conn of %s = %v while it is out of the pool", rs1, v)
	}
	wantRealServers(t, s, true, rs1+":8080 down -1", rs2+":8080 up 1")

	// The inhibited real server stays in the pool at weight 0; with no
	// weight left the quorum (1) is lost.
	stopped = time.Now()
	ll.rs[rs2].Signal(os.Kill)
	ll.rs[rs2].Wait(5 * time.Second)
	left = waitPool(t, s, rs2+":8080=0", bound+5*time.Second).Sub(stopped)
	t.Logf("inhibited real server %s at weight 0 after %v", rs2, left.Round(time.Millisecond))
	wantRealServers(t, s, false, rs1+":8080 down -1", rs2+":8080 down 0")

	// Both come back.
	ll.startRS(t, ll.l.Nodes[1])
	ll.startRS(t, ll.l.Nodes[2])
	waitPool(t, s, both, lvsDelayLoop+10*time.Second)
	if got := ll.hits(t, 30); got[rs1] == 0 || got[rs2] == 0 || got[rs1]+got[rs2] != 30 {
		t.Fatalf("30 requests after recovery: %v", got)
	}

	s.Stop(t)
	if tables := ll.nftTables(t); strings.Contains(tables, "havip_lvs") {
		t.Fatalf("havip_lvs tables left after exit:\n%s", tables)
	}
	data, err := os.ReadFile(ll.scripts)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(data))
	// rs1 and rs2 may come back in either order; quorum-up follows the
	// first of them.
	wantA := []string{"down-" + rs1, "down-" + rs2, "quorum-down", "up-" + rs1, "quorum-up", "up-" + rs2}
	wantB := []string{"down-" + rs1, "down-" + rs2, "quorum-down", "up-" + rs2, "quorum-up", "up-" + rs1}
	if j := strings.Join(got, " "); j != strings.Join(wantA, " ") && j != strings.Join(wantB, " ") {
		t.Errorf("scripts ran in the order %v, want %v (or with the real servers swapped)", got, wantA)
	}
}

// TestLVSReloadKeepsCheckerState: `havip supervise` reloading a config
// whose real servers did not change keeps a failed real server out of the
// pool (no flap, no notify script) and applies the changed scheduler.
func TestLVSReloadKeepsCheckerState(t *testing.T) {
	ll := newLVSLab(t)
	rs1, rs2 := ll.l.Nodes[1].IPv4.String(), ll.l.Nodes[2].IPv4.String()
	conf := ll.conf()
	sup := startSupervise(t, ll.director, conf)
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitPool(t, sup.speaker, rs1+":8080=1 "+rs2+":8080=1", 10*time.Second)
	ll.rs[rs1].Signal(os.Kill)
	ll.rs[rs1].Wait(5 * time.Second)
	waitPool(t, sup.speaker, rs2+":8080=1", 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for data, _ := os.ReadFile(ll.scripts); string(data) != "down-"+rs1+"\n"; data, _ = os.ReadFile(ll.scripts) {
		if time.Now().After(deadline) {
			t.Fatalf("notify_down of %s did not run; scripts log %q", rs1, data)
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := strings.Count(sup.proc.Output(), `msg="virtual server pool"`)
	if got := ll.hits(t, 10); got[rs2] != 10 {
		t.Fatalf("10 requests with only %s healthy: %v", rs2, got)
	}
	vipConn := "tcp_" + lvsVIP + "_80_conn"
	rs2Conn := "tcp_" + lvsVIP + "_80_rs_" + rs2 + "_8080_conn"
	conns := map[string]int{vipConn: nftCounter(t, ll.director, vipConn), rs2Conn: nftCounter(t, ll.director, rs2Conn)}
	if conns[vipConn] < 10 || conns[rs2Conn] < 10 {
		t.Fatalf("connection counters %v after 10 requests", conns)
	}

	sup.edit(t, strings.Replace(conf, "lb_algo rr", "lb_algo wrr", 1))
	deadline = time.Now().Add(reloadTimeout)
	for !strings.Contains(sup.proc.Output(), "config reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload logged:\n%s", sup.proc.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Three delay_loops after the reload, the pool was never logged again
	// (it did not change) and rs1 is still out.
	time.Sleep(3 * lvsDelayLoop)
	if after := strings.Count(sup.proc.Output(), `msg="virtual server pool"`); after != before || pool(sup.speaker) != rs2+":8080=1" {
		t.Fatalf("the pool moved on reload (%d pool lines before, %d after; now %q):\n%s", before, after, pool(sup.speaker), sup.proc.Output())
	}
	if tables := ll.director.Exec(t, "nft", "list", "table", "ip", "havip_lvs"); strings.Contains(tables, rs1) || !strings.Contains(tables, rs2) {
		t.Fatalf("nftables after reload:\n%s", tables)
	}
	// The reload kept the service and rs2 in it: their counters go on.
	for name, n := range conns {
		if got := nftCounter(t, ll.director, name); got < n {
			t.Errorf("counter %s went from %d to %d on reload", name, n, got)
		}
	}
	data, _ := os.ReadFile(ll.scripts)
	if got := strings.Fields(string(data)); strings.Join(got, " ") != "down-"+rs1 {
		t.Fatalf("scripts %v, want only down-%s", got, rs1)
	}
	// The reloaded checkers still work: rs1 comes back.
	ll.startRS(t, ll.l.Nodes[1])
	waitPool(t, sup.speaker, rs1+":8080=1 "+rs2+":8080=1", lvsDelayLoop+10*time.Second)
}

// TestLVSIPv6WithoutVRRP: `havip supervise` runs a config with an IPv6
// virtual server and no vrrp_instance; the client is spread over both
// real servers through ip6 havip_lvs, and the table is removed at exit.
func TestLVSIPv6WithoutVRRP(t *testing.T) {
	testenv.RequireCommand(t, "python3", "python3")
	testenv.RequireCommand(t, "curl", "curl")
	testenv.RequireCommand(t, "nft", "nftables")
	l := lab.New(t, lab.Options{Nodes: 3, Client: true})
	director := l.Nodes[0]
	const vip = "2001:db8::100"
	director.Exec(t, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1")
	director.Exec(t, "ip", "-6", "addr", "add", vip+"/64", "dev", "eth0", "nodad")
	var rss []string
	for _, n := range l.Nodes[1:] {
		n.Exec(t, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_redirects=0", "net.ipv6.conf.eth0.accept_redirects=0")
		n.Exec(t, "ip", "-6", "route", "add", l.Client.IPv6.String()+"/128", "via", director.IPv6.String())
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "id.txt"), []byte(n.IPv6.String()+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		n.Start(t, "http6-"+n.NS, "python3", "-m", "http.server", "8080", "--bind", n.IPv6.String(), "--directory", dir)
		waitTCP(t, n, "["+n.IPv6.String()+"]", "8080")
		rss = append(rss, n.IPv6.String())
	}
	conf := fmt.Sprintf(`virtual_server %s 80 {
	protocol TCP
	lb_algo wrr
	lb_kind NAT
	delay_loop 1
	warmup 0
	real_server %s 8080 {
		weight 1
		TCP_CHECK {
		}
	}
	real_server %s 8080 {
		weight 3
		TCP_CHECK {
		}
	}
}
`, vip, rss[0], rss[1])
	sup := startSupervise(t, director, conf)
	want := fmt.Sprintf("[%s]:8080=1 [%s]:8080=3", rss[0], rss[1])
	waitPool(t, sup.speaker, want, 10*time.Second)
	got := map[string]int{}
	for range 40 {
		out, err := l.Client.Try("curl", "-s", "--max-time", "2", "http://["+vip+"]:80/id.txt")
		if err != nil {
			got["error"]++
			continue
		}
		got[strings.TrimSpace(out)]++
	}
	t.Logf("40 requests over weights 1 and 3: %v", got)
	if got[rss[0]] != 10 || got[rss[1]] != 30 {
		t.Fatalf("40 requests: %v; want 10 and 30: wrr takes the real servers in turn by weight", got)
	}
	// The IPv6 table counts each connection for the VIP and for the real
	// server that answered.
	counterVIP := strings.ReplaceAll(vip, ":", "-") // as nft's command line takes names
	if n := nftCounter(t, director, "ip6 tcp_"+counterVIP+"_80_conn"); n < 40 {
		t.Errorf("VIP connection counter %d after 40 requests", n)
	}
	for _, rs := range rss {
		if n := nftCounter(t, director, "ip6 tcp_"+counterVIP+"_80_rs_"+strings.ReplaceAll(rs, ":", "-")+"_8080_conn"); n < got[rs] {
			t.Errorf("real server %s connection counter %d after %d requests it answered", rs, n, got[rs])
		}
	}
	if err := sup.proc.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := sup.proc.Wait(10 * time.Second); err != nil {
		t.Fatalf("supervise did not exit: %v\n%s", err, sup.proc.Output())
	}
	if tables := director.Exec(t, "nft", "list", "tables"); strings.Contains(tables, "havip_lvs") {
		t.Fatalf("havip_lvs left after exit:\n%s", tables)
	}
}

// TestLVSDirectRouting: lb_kind DR on the nftables backend: the director
// rewrites the destination MAC at ingress (table netdev havip_lvs), the
// real servers, which hold the VIP on lo without answering ARP for it,
// answer the client directly; a failed real server leaves the map.
func TestLVSDirectRouting(t *testing.T) {
	testenv.RequireCommand(t, "python3", "python3")
	testenv.RequireCommand(t, "curl", "curl")
	testenv.RequireCommand(t, "nft", "nftables")
	l := lab.New(t, lab.Options{Nodes: 3, Client: true})
	director := l.Nodes[0]
	servers := map[string]*lab.Process{}
	var rss []string
	for _, n := range l.Nodes[1:] {
		n.Exec(t, "sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2", "net.ipv4.conf.eth0.arp_ignore=1", "net.ipv4.conf.eth0.arp_announce=2")
		n.Exec(t, "ip", "addr", "add", lvsVIP+"/32", "dev", "lo")
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "id.txt"), []byte(n.IPv4.String()+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		servers[n.IPv4.String()] = n.Start(t, "http-dr-"+n.NS, "python3", "-m", "http.server", "8080", "--bind", "0.0.0.0", "--directory", dir)
		waitTCP(t, n, n.IPv4.String(), "8080")
		rss = append(rss, n.IPv4.String())
	}
	conf := fmt.Sprintf(`vrrp_instance VI_1 {
	state MASTER
	interface eth0
	virtual_router_id 51
	priority 255
	advert_int 1
	virtual_ipaddress {
		%s/24
	}
}
virtual_server %s 8080 {
	protocol TCP
	lb_algo wrr
	lb_kind DR
	delay_loop 1
	retry 0
	warmup 0
	real_server %s 8080 {
		weight 1
		TCP_CHECK {
			connect_timeout 1
		}
	}
	real_server %s 8080 {
		weight 1
		TCP_CHECK {
			connect_timeout 1
		}
	}
}
`, lvsVIP, lvsVIP, rss[0], rss[1])
	s := startHavip(t, director, conf, "--http-listen", httpAddr)
	s.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitPool(t, s, rss[0]+":8080=1 "+rss[1]+":8080=1", 10*time.Second)
	hits := func(n int) map[string]int {
		got := map[string]int{}
		for range n {
			out, err := l.Client.Try("curl", "-s", "--max-time", "2", "http://"+lvsVIP+":8080/id.txt")
			if err != nil {
				got["error"]++
				continue
			}
			got[strings.TrimSpace(out)]++
		}
		return got
	}
	// The MAC addresses resolve with the first health checks.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out, err := director.Try("nft", "list", "table", "netdev", "havip_lvs"); err == nil && strings.Contains(out, "mod 2 seed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no DR rule with both real servers:\n%s\n%s", director.Exec(t, "nft", "list", "ruleset"), s.proc.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := hits(30)
	if got[rss[0]] == 0 || got[rss[1]] == 0 || got[rss[0]]+got[rss[1]] != 30 {
		t.Fatalf("30 requests over DR: %v\n%s", got, director.Exec(t, "nft", "list", "ruleset"))
	}
	// DR counts the clients' SYNs as connections, per real server too, and
	// the packets in; the replies bypass the director: nothing out.
	vip := labels("addr", lvsVIP+":8080", "proto", "6")
	conns := s.waitMetric(t, "keepalived_lvs_vip_conn", vip, "≥ 30", func(v float64) bool { return v >= 30 })
	for _, rs := range rss {
		n := got[rs]
		s.waitMetric(t, "keepalived_lvs_rs_conn", labels("vip", lvsVIP+":8080", "addr", rs+":8080", "proto", "6"), fmt.Sprintf("≥ %d", n), func(v float64) bool { return v >= float64(n) })
	}
	in, _ := s.metric(t, "keepalived_lvs_vip_in_packets", vip)
	out, ok := s.metric(t, "keepalived_lvs_vip_out_packets", vip)
	t.Logf("DR after 30 requests: keepalived_lvs_vip_conn = %v, in_packets = %v, out_packets = %v", conns, in, out)
	if in < 4*30 || !ok || out != 0 {
		t.Errorf("DR: keepalived_lvs_vip_in_packets = %v, keepalived_lvs_vip_out_packets = %v (present %v) after 30 requests; want ≥ 120 in, 0 out", in, out, ok)
	}
	servers[rss[0]].Signal(os.Kill)
	servers[rss[0]].Wait(5 * time.Second)
	waitPool(t, s, rss[1]+":8080=1", 5*time.Second)
	if got := hits(20); got[rss[1]] != 20 {
		t.Fatalf("20 requests with one DR real server: %v", got)
	}
	s.Stop(t)
	if tables := director.Exec(t, "nft", "list", "tables"); strings.Contains(tables, "havip_lvs") {
		t.Fatalf("havip_lvs left after exit:\n%s", tables)
	}
}
