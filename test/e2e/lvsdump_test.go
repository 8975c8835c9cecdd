package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// dumpCheckData sends SIGUSR1 to s and waits for keepalived_check.data in
// dir to hold every one of want; it returns the file.
func dumpCheckData(t *testing.T, s *speaker, dir string, want []string) string {
	t.Helper()
	path := filepath.Join(dir, "keepalived_check.data")
	if err := s.proc.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	var text string
	ok := lab.Poll(reloadTimeout, 20*time.Millisecond, func() bool {
		b, err := os.ReadFile(path)
		text = string(b)
		for _, w := range want {
			if !strings.Contains(text, w+"\n") {
				return false
			}
		}
		return err == nil
	})
	if !ok {
		t.Fatalf("%s after SIGUSR1 lacks some of\n%s\nfile:\n%s\nlog:\n%s", path, strings.Join(want, "\n"), text, s.proc.Output())
	}
	return text
}

// TestLVSCheckDataDump: SIGUSR1 writes keepalived_check.data beside
// keepalived.data, mode 0600, with the virtual server, its real servers'
// state and their HTTP_GET checkers, as keepalived's checker process does;
// a real server that fails shows in the next dump: the first real server
// has a MISC_CHECK that keeps passing beside its HTTP_GET, so when its web
// server stops it shows one failed checker of two, the HTTP_GET down with
// its retries spent and its failed url. `havip status` shows the traffic
// each real server took.
func TestLVSCheckDataDump(t *testing.T) {
	ll := newLVSLab(t)
	rs1, rs2 := ll.l.Nodes[1].IPv4.String(), ll.l.Nodes[2].IPv4.String()
	dir := t.TempDir()
	// ll.conf() writes the first real server first.
	conf := strings.Replace(ll.conf(), "\t\tHTTP_GET {", "\t\tMISC_CHECK {\n\t\t\tmisc_path /bin/true\n\t\t}\n\t\tHTTP_GET {", 1)
	s := startHavip(t, ll.director, conf, "--dump-dir", dir)
	s.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitPool(t, s, rs1+":8080=1 "+rs2+":8080=1", 10*time.Second)

	vs := "[" + lvsVIP + "]:tcp:80"
	realServer := func(rs, alive string) []string {
		return []string{
			"   RIP = " + rs + ", RPORT = 8080, WEIGHT = 1 EFF WEIGHT = 1",
			"   alive = " + alive + "\n   num failed checkers = " + map[string]string{"1": "0", "0": "1"}[alive],
			" " + vs + " -> [" + rs + "]:tcp:8080\n   Enabled = yes\n   Up = " + map[string]string{"1": "yes", "0": "no"}[alive],
		}
	}
	// The MISC_CHECK of the first real server, up all along.
	misc := " " + vs + " -> [" + rs1 + "]:tcp:8080\n   Enabled = yes\n   Up = yes\n   Has run = yes\n   Current weight = 0"
	want := []string{
		"------< LVS Topology >------",
		" VS VIP = " + lvsVIP + ", VPORT = 80",
		"   lvs_sched = rr",
		"   protocol = TCP",
		"   quorum_state_up = 1",
		"------< Health checkers >------",
		"   Keepalive method = HTTP_GET, http protocol 1.0",
		"   Checked url = /id.txt",
	}
	dumpCheckData(t, s, dir, append(append(want, realServer(rs1, "1")...), realServer(rs2, "1")...))
	for _, f := range []string{"keepalived_check.data", "keepalived.data"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600 as keepalived's", f, st.Mode().Perm())
		}
	}

	ll.rs[rs1].Signal(os.Kill)
	ll.rs[rs1].Wait(5 * time.Second)
	waitPool(t, s, rs2+":8080=1", 10*time.Second)
	failed := []string{
		misc,
		" " + vs + " -> [" + rs1 + "]:tcp:8080\n   Enabled = yes\n   Up = no\n   Has run = yes\n   Current weight = 0",
		"   Retries iterations = " + strconv.Itoa(lvsRetry+1),
		"   Failed URL = /id.txt",
	}
	text := dumpCheckData(t, s, dir, append(append(append(want, realServer(rs1, "0")...), realServer(rs2, "1")...), failed...))
	t.Logf("keepalived_check.data after %s failed:\n%s", rs1, text[strings.Index(text, "------< LVS Topology >------"):])

	if got := ll.hits(t, 10); got[rs2] != 10 {
		t.Fatalf("10 requests with only %s healthy: %v", rs2, got)
	}
	// VIRTUAL SERVER, QUORUM, REAL SERVER, HEALTH, WEIGHT, CONNS, PKTS IN/OUT, BYTES IN/OUT.
	var table string
	lab.Eventually(t, reloadTimeout, "havip status with "+rs2+"'s 10 connections", func() bool {
		out, err := exec.Command(havipBin, "status", "--socket", s.status).Output()
		table = string(out)
		if err != nil || !strings.Contains(table, "CONNS  PKTS IN/OUT  BYTES IN/OUT") {
			return false
		}
		for _, line := range strings.Split(table, "\n") {
			if f := strings.Fields(line); len(f) == 8 && f[2] == rs2+":8080" {
				conns, err := strconv.Atoi(f[5])
				return err == nil && conns >= 10 && f[6] != "0/0"
			}
		}
		return false
	})
	t.Logf("havip status:\n%s", table)
}
