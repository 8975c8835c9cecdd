package fault

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// The invariant of the reload test.
const invReloadLeaks = "no_fd_thread_or_memory_growth_over_reloads"

// reloadCount is how many reloads the test applies (keepalived's short run does
// fewer: it reloads far slower than havip).
const (
	reloadCount           = 1000
	keepalivedShortReload = 200
)

// Growth the reloads may cause once warmed up: the same config has the same
// sockets and helper threads. The resident set is compared over the second half
// only: a Go heap (and keepalived's allocator) settles during the first hundreds
// of reloads, while a leak grows with every reload, so 500 reloads leaking as
// little as 2 KiB each exceed the bound.
const (
	maxFDGrowth     = 0
	maxThreadGrowth = 2
	maxRSSGrowthKiB = 1024
)

// footprint is what /proc says about a process.
type footprint struct {
	fds, threads, rssKiB int
}

func (f footprint) String() string {
	return fmt.Sprintf("%d fds, %d threads, %d KiB RSS", f.fds, f.threads, f.rssKiB)
}

// measure reads pid's open descriptors, threads and resident set from /proc.
func measure(t *testing.T, pid int) footprint {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("reading the descriptors of pid %d: %v", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("reading /proc/%d/status: %v", pid, err)
	}
	f, err := parseStatus(string(status))
	if err != nil {
		t.Fatalf("/proc/%d/status: %v", pid, err)
	}
	f.fds = len(ents)
	return f
}

// parseStatus reads Threads and VmRSS (KiB) from the text of /proc/PID/status.
func parseStatus(text string) (footprint, error) {
	var f footprint
	seen := 0
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(line, ":")
		var dst *int
		switch k {
		case "Threads":
			dst = &f.threads
		case "VmRSS":
			dst = &f.rssKiB
		default:
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			return f, fmt.Errorf("%s: no value in %q", k, line)
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil || n < 0 {
			return f, fmt.Errorf("%s: %q is not a count", k, fields[0])
		}
		*dst = n
		seen++
	}
	if seen != 2 {
		return f, fmt.Errorf("want the Threads and VmRSS lines, found %d of them", seen)
	}
	return f, nil
}

// logFollower counts a marker in a growing log file, reading only what is new.
type logFollower struct {
	path   string
	marker string
	offset int64
	carry  string
	count  int
}

func (l *logFollower) update() int {
	f, err := os.Open(l.path)
	if err != nil {
		return l.count
	}
	defer f.Close()
	if _, err := f.Seek(l.offset, io.SeekStart); err != nil {
		return l.count
	}
	b, _ := io.ReadAll(f)
	l.offset += int64(len(b))
	text := l.carry + string(b)
	l.count += strings.Count(text, l.marker)
	// Keep a tail that may hold the start of a marker split across reads.
	if keep := len(l.marker) - 1; len(text) > keep {
		l.carry = text[len(text)-keep:]
	} else {
		l.carry = text
	}
	return l.count
}

// instanceBrief is the part of havip's status answer the reload test reads.
type instanceBrief struct {
	Name         string `json:"name"`
	BasePriority int    `json:"base_priority"`
}

// havipStatus asks the status socket at path for the running instances.
func havipStatus(path string) ([]instanceBrief, error) {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	var snap struct {
		Instances []instanceBrief `json:"instances"`
	}
	if err := json.NewDecoder(conn).Decode(&snap); err != nil {
		return nil, err
	}
	return snap.Instances, nil
}

// TestReloadLeaks reloads a running master a thousand times, alternating between
// its config and one with another priority and a second instance, and compares
// the VRRP process's descriptors, threads and resident set along the way.
func TestReloadLeaks(t *testing.T) {
	eachSpeaker(t, func(t *testing.T, k knobs, kind string) {
		reloads := reloadCount
		if kind == keepalivedKind && !k.long() {
			reloads = keepalivedShortReload
		}
		c := newCluster(t, kind, clusterOpts{nodes: 1})
		v := newVerdicts(kind)
		m := c.members[0]
		confA := m.conf
		confB := strings.Replace(confA, "priority 150", "priority 151", 1) +
			"vrrp_instance VI_2 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 52\n  priority 100\n  advert_int 0.5\n" +
			"  virtual_ipaddress {\n    192.0.2.102/24\n  }\n}\n"
		pid := m.vrrpPid(t)
		done := &logFollower{path: m.proc.LogPath(), marker: "Reload complete"}
		reload := func(i int) {
			conf, prio, insts := confA, 150, 1
			if i%2 == 1 {
				conf, prio, insts = confB, 151, 2
			}
			writeFile(t, m.path, conf, 0o644)
			m.hangup(t)
			applied := lab.Poll(10*time.Second, pollEvery, func() bool {
				if kind == keepalivedKind {
					return done.update() >= i
				}
				st, err := havipStatus(m.status)
				return err == nil && len(st) == insts && st[0].Name == "VI_1" && st[0].BasePriority == prio
			})
			if !applied {
				t.Fatalf("reload %d was not applied within 10s:\n%s", i, m.log())
			}
		}
		// Warm up (heap, socket pools), then measure at the start, the middle and the end.
		warmup := reloads / 10
		for i := 1; i <= warmup; i++ {
			reload(i)
		}
		settleProcess()
		base := measure(t, pid)
		began := time.Now()
		var mid footprint
		for i := warmup + 1; i <= warmup+reloads; i++ {
			reload(i)
			if i == warmup+reloads/2 {
				settleProcess()
				mid = measure(t, pid)
			}
		}
		took := time.Since(began)
		settleProcess()
		end := measure(t, pid)
		if !m.running() || measure(t, pid).fds == 0 {
			t.Fatalf("the speaker died during the reloads:\n%s", m.log())
		}
		v.note("%d reloads in %v (%.0f/s), even reloads run the first config", reloads, took.Round(time.Millisecond), float64(reloads)/took.Seconds())
		v.note("after %4d warm-up reloads: %v", warmup, base)
		v.note("after %4d more:            %v", reloads/2, mid)
		v.note("after %4d more:            %v", reloads, end)
		v.note("growth over %d reloads: %+d fds, %+d threads, %+d KiB RSS (%+d KiB over the second half)",
			reloads, end.fds-base.fds, end.threads-base.threads, end.rssKiB-base.rssKiB, end.rssKiB-mid.rssKiB)
		v.check(invReloadLeaks, end.fds-base.fds <= maxFDGrowth && end.threads-base.threads <= maxThreadGrowth &&
			end.rssKiB-mid.rssKiB <= maxRSSGrowthKiB,
			"over %d reloads: %v → %v → %v (allowed: +%d fds, +%d threads over all, +%d KiB RSS over the second half)",
			reloads, base, mid, end, maxFDGrowth, maxThreadGrowth, maxRSSGrowthKiB)
		if !c.correct(t, true) {
			t.Errorf("after the reloads the node no longer holds the VIP:\n%s", c.describe(t))
		}
		v.report(t, fmt.Sprintf("%d reloads of a running master", reloads), []string{invReloadLeaks})
	})
}

// settleProcess gives a reloaded daemon time to finish what the last reload
// started (closing the removed instance's sockets, a garbage collection).
func settleProcess() { time.Sleep(2 * time.Second) }
