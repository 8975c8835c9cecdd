package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// TestLVSNotifyFIFO runs the LVS lab's director with notify_fifo and
// lvs_notify_fifo, each read by its notify_fifo_script, and stops a real
// server: both FIFOs get keepalived's "RS [ADDR]:tcp:PORT [VIP]:tcp:PORT
// DOWN" line, notify_fifo the VRRP lines too, lvs_notify_fifo none of them.
// (keepalived 2.2.7 cannot run its checker here, the kernel has no IPVS: the
// line format is its format_rs/format_vs, checked in runtime/lvs.)
func TestLVSNotifyFIFO(t *testing.T) {
	t.Parallel()
	ll := newLVSLab(t)
	dir := t.TempDir()
	reader := filepath.Join(dir, "reader.sh")
	// keepalived passes the FIFO's path as the reader's last argument.
	if err := os.WriteFile(reader, []byte("#!/bin/sh\nwhile IFS= read -r line; do printf '%s\\n' \"$line\" >> \"$1\"; done < \"$2\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	allLog, lvsLog := filepath.Join(dir, "all.log"), filepath.Join(dir, "lvs.log")
	global := "global_defs {\n" +
		"\tnotify_fifo " + filepath.Join(dir, "notify.fifo") + "\n" +
		"\tnotify_fifo_script \"" + reader + " " + allLog + "\"\n" +
		"\tlvs_notify_fifo " + filepath.Join(dir, "lvs.fifo") + "\n" +
		"\tlvs_notify_fifo_script \"" + reader + " " + lvsLog + "\"\n"
	conf := strings.Replace(ll.conf(), "global_defs {\n", global, 1)
	s := startHavip(t, ll.director, conf)
	s.WaitState(t, "VI_1", "MASTER", electionTimeout)
	rs1, rs2 := ll.l.Nodes[1].IPv4.String(), ll.l.Nodes[2].IPv4.String()
	waitPool(t, s, rs1+":8080=1 "+rs2+":8080=1", 10*time.Second)
	ll.rs[rs1].Signal(os.Kill)
	down := "RS [" + rs1 + "]:tcp:8080 [" + lvsVIP + "]:tcp:80 DOWN"
	lines := func(path string) []string {
		data, _ := os.ReadFile(path)
		return strings.Split(strings.TrimSpace(string(data)), "\n")
	}
	if !lab.Poll(10*time.Second, 20*time.Millisecond, func() bool {
		return slices.Contains(lines(allLog), down) && slices.Contains(lines(lvsLog), down)
	}) {
		t.Fatalf("no %q in both FIFOs:\nnotify_fifo: %q\nlvs_notify_fifo: %q\n%s", down, lines(allLog), lines(lvsLog), s.proc.Output())
	}
	if got := lines(allLog); !slices.Contains(got, `INSTANCE "VI_1" MASTER 255`) {
		t.Errorf("notify_fifo lacks the VRRP line: %q", got)
	}
	if got := lines(lvsLog); !slices.Equal(got, []string{down}) {
		t.Errorf("lvs_notify_fifo: %q, want the LVS line only", got)
	}
	s.Stop(t)
}
