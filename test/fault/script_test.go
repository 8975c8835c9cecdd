package fault

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// The invariants of the script-abuse test.
const (
	invScriptNoChange = "script_abuse_changes_no_state"
	invScriptInterval = "master_keeps_advert_interval_under_script_abuse"
	invScriptBounded  = "script_processes_and_memory_bounded"
)

// forkChildren is how many children the fork-bomb script starts per run: a
// bounded bomb, so that a daemon that does not kill a timed-out script's process
// group leaves at most forkChildren × runs behind, never an unbounded number.
const forkChildren = 40

// maxScriptRSSGrowthKiB bounds what a 100 MB burst of script output may add to
// the daemon's resident set: output must be drained, not kept.
const maxScriptRSSGrowthKiB = 8192

// abuseScript is the check script of n1: what it does is read from modeFile at
// every run. Every process it starts has marker in its command line.
func abuseScript(modeFile, marker string) string {
	return fmt.Sprintf(`#!/bin/sh
case "$(cat %[1]s)" in
hang) exec sleep %[2]s ;;
flood) head -c 50000000 /dev/zero; head -c 50000000 /dev/zero >&2; exit 0 ;;
fork) i=0; while [ $i -lt %[3]d ]; do sleep %[2]s & i=$((i+1)); done; exec sleep %[2]s ;;
*) exit 0 ;;
esac
`, modeFile, marker, forkChildren)
}

// countProcesses counts the processes whose command line contains pattern.
func countProcesses(t *testing.T, pattern string) int {
	t.Helper()
	out, err := exec.Command("pgrep", "-f", "-c", pattern).Output()
	if err != nil && len(out) == 0 {
		return 0 // pgrep exits 1 when nothing matches
	}
	n := 0
	fmt.Sscan(string(out), &n)
	return n
}

// TestScriptAbuse makes n1's tracked check script hang, flood its output and fork
// a bounded bomb, each for a while, and checks that nothing changes state, that
// n1 keeps its advert interval, and that the script's processes and the daemon's
// memory stay bounded; once the daemon stops, no script process may be left.
func TestScriptAbuse(t *testing.T) {
	eachSpeaker(t, func(t *testing.T, k knobs, kind string) {
		phase := 4 * time.Second
		if k.long() {
			phase = 15 * time.Second
		}
		dir := t.TempDir()
		modeFile, script := filepath.Join(dir, "mode"), filepath.Join(dir, "abuse.sh")
		// A fractional sleep unique to this test: the marker of its processes.
		marker := fmt.Sprintf("%d.%d", 5000+os.Getpid()%1000, time.Now().UnixNano()%1e6)
		writeFile(t, modeFile, "ok\n", 0o644)
		writeFile(t, script, abuseScript(modeFile, marker), 0o755)
		c := newCluster(t, kind, clusterOpts{nodes: 3,
			extraTop: func(i int) string {
				if i != 0 {
					return ""
				}
				return fmt.Sprintf("vrrp_script abuse {\n  script %s\n  interval 1\n  timeout 2\n  weight 2\n  rise 1\n  fall 1\n}\n", script)
			},
			extraInstance: func(i int) string {
				if i != 0 {
					return ""
				}
				return "  track_script {\n    abuse\n  }\n"
			}})
		v := newVerdicts(kind)
		n1 := c.members[0]
		pid := n1.vrrpPid(t)
		capture := c.client.Capture(t, "eth0", "ip proto 112 and ether src "+n1.node.HardwareAddr(t, "eth0"))
		for _, mode := range []string{"hang", "flood", "fork"} {
			before := c.transitions()
			rss := measure(t, pid).rssKiB
			writeFile(t, modeFile, mode+"\n", 0o644)
			began := time.Now()
			wrong, most := 0, 0
			for time.Since(began) < phase {
				if !c.correct(t, true) {
					wrong++
				}
				most = max(most, countProcesses(t, marker))
				time.Sleep(100 * time.Millisecond)
			}
			ended := time.Now()
			grew := measure(t, pid).rssKiB - rss
			writeFile(t, modeFile, "ok\n", 0o644)
			changes := c.transitions() - before
			v.check(invScriptNoChange, changes == 0 && wrong == 0,
				"script %s for %v: %d state changes, %d polls saw the VIP elsewhere than on n1:\n%s", mode, phase, changes, wrong, c.describe(t))
			gaps := advertGaps(lab.DecodeVRRP(t, capture.Path()), anyPriority, began, ended)
			jitter, short := gapFigures(gaps, c.advert)
			v.max("advert jitter under script abuse: "+mode, jitter)
			v.note("script %-5s for %v: %d adverts of n1, %d short, max |gap-advert_int| %v; at most %d script processes; RSS %+d KiB",
				mode, phase, len(gaps)+1, short, jitter.Round(time.Millisecond), most, grew)
			v.check(invScriptInterval, len(gaps) > 0 && jitter <= jitterTolerance && short == 0,
				"script %s: n1's adverts: %d gaps, max |gap-%v| = %v (tolerance %v), %d short", mode, len(gaps), c.advert, jitter.Round(time.Millisecond), jitterTolerance, short)
			v.check(invScriptBounded, most <= forkChildren+1 && grew <= maxScriptRSSGrowthKiB,
				"script %s: up to %d script processes at once (bound %d: one run and its children), RSS grew %d KiB (bound %d)",
				mode, most, forkChildren+1, grew, maxScriptRSSGrowthKiB)
			// Let the last abusive run end (its 2 s timeout) before the next phase.
			time.Sleep(2 * time.Second)
		}
		for _, m := range c.members {
			m.stop(t)
		}
		left := 0
		ok := lab.Poll(5*time.Second, pollEvery, func() bool { left = countProcesses(t, marker); return left == 0 })
		v.check(invScriptBounded, ok, "%d script processes left 5s after every speaker stopped", left)
		v.report(t, fmt.Sprintf("check script abuse, %v per mode", phase), []string{invScriptNoChange, invScriptInterval, invScriptBounded})
		if t.Failed() {
			t.Log(strings.TrimSpace(n1.log()))
		}
	})
}
