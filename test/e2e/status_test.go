package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/test/lab"
)

// TestStatusShowsWhoHoldsTheVIPAndWhy asks two running nodes with
// `havip status`: the master and the backup agree on who is master, each
// says since when and why, and a node in FAULT says what holds it there.
func TestStatusShowsWhoHoldsTheVIPAndWhy(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	hi, lo := startPair(t, l, instanceConf{})

	master := status(t, hi)
	backup := status(t, lo)
	if master.State != "MASTER" || master.Priority != 120 || master.Master != "192.0.2.1" ||
		master.Reason != "master down timer expired" || master.Since.IsZero() || strings.Join(master.VIPs, ",") != vip4.String() {
		t.Errorf("master's status: %+v", master)
	}
	if backup.State != "BACKUP" || backup.Priority != 110 || backup.Master != "192.0.2.1" {
		t.Errorf("backup's status: %+v, want BACKUP at 110 following 192.0.2.1", backup)
	}

	table, err := exec.Command(havipBin, "status", "--socket", hi.status).CombinedOutput()
	if err != nil || !strings.Contains(string(table), "VI_1") || !strings.Contains(string(table), "MASTER") ||
		!strings.Contains(string(table), "master down timer expired") {
		t.Errorf("havip status table (%v):\n%s", err, table)
	}

	l.Nodes[0].SetLink(t, "eth0", false)
	hi.WaitState(t, "VI_1", "FAULT", electionTimeout)
	lab.Eventually(t, 5*time.Second, "status to say the link holds VI_1 in FAULT", func() bool {
		s := status(t, hi)
		return s.State == "FAULT" && strings.Join(s.Faults, ";") == "interface eth0 down"
	})
}

// status asks s's havip for VI_1's status.
func status(t *testing.T, s *speaker) engine.InstanceStatus {
	t.Helper()
	snap := s.snapshot(t)
	if len(snap.Instances) != 1 || snap.Instances[0].Name != "VI_1" {
		t.Fatalf("havip status --json: instances %+v, want VI_1 only", snap.Instances)
	}
	return snap.Instances[0]
}

// snapshot is `havip status --json` of s's havip.
func (s *speaker) snapshot(t *testing.T) engine.Snapshot {
	t.Helper()
	out, err := exec.Command(havipBin, "status", "--socket", s.status, "--json").Output()
	if err != nil {
		t.Fatalf("havip status --socket %s: %v\n%s", s.status, err, out)
	}
	var snap engine.Snapshot
	if err := json.Unmarshal(out, &snap); err != nil {
		t.Fatalf("havip status --json = %s: %v", out, err)
	}
	return snap
}
