package fault

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/havip/havip/test/lab"
)

// The invariants of the clock-step test.
const (
	invClockNoChange = "wall_clock_step_changes_no_state"
	invClockInterval = "master_keeps_advert_interval_across_clock_steps"
)

// clockSteps are the steps of the wall clock (CLOCK_REALTIME), in order: an
// hour forward, two back, one forward. They add up to zero, so the machine's
// clock ends where it would have been.
var clockSteps = []time.Duration{time.Hour, -2 * time.Hour, time.Hour}

// clockWindow is how long the cluster is watched before the first step and
// after each one.
const clockWindow = 3 * time.Second

// TestClockSteps steps the machine's wall clock an hour forward and back
// while a cluster runs, and checks that nothing changes state and that the
// master keeps its advert interval: VRRP timers must run on the monotonic
// clock. CLOCK_REALTIME belongs to the whole machine, so the test runs alone
// (eachSpeakerAlone; `make test` runs the namespace packages one at a time).
// Each step is undone by the next ones, and by the cleanup if the test stops
// early.
func TestClockSteps(t *testing.T) {
	eachSpeakerAlone(t, func(t *testing.T, _ knobs, kind string) {
		c := newCluster(t, kind, clusterOpts{nodes: 3})
		v := newVerdicts(kind)
		n1 := c.members[0]
		filter := "ip proto 112 and ether src " + n1.node.HardwareAddr(t, "eth0")
		var stepped time.Duration
		t.Cleanup(func() {
			if stepped != 0 {
				stepClock(t, -stepped)
			}
		})
		before := c.transitions()
		wrong := 0
		// watch captures n1's adverts and polls the cluster for
		// clockWindow. Each window has its own capture, started after
		// the step and stopped before the next: dumpcap flushes on a
		// timer that a wall clock stepped back would hold off.
		watch := func(what string) {
			capture := c.client.Capture(t, "eth0", filter)
			from := time.Now()
			for time.Since(from) < clockWindow {
				if !c.correct(t, true) {
					wrong++
				}
				time.Sleep(100 * time.Millisecond)
			}
			pkts := lab.DecodeVRRP(t, capture.Stop(t))
			gaps := advertGaps(pkts, anyPriority, from.Add(-time.Minute), time.Now().Add(time.Minute))
			jitter, short := gapFigures(gaps, c.advert)
			v.max("advert jitter across clock steps", jitter)
			v.note("%-26s %d adverts of n1, %d short, max |gap-advert_int| %v", what+":", len(gaps)+1, short, jitter.Round(time.Millisecond))
			v.check(invClockInterval, len(gaps) >= int(clockWindow/c.advert)-1 && jitter <= jitterTolerance && short == 0,
				"%s: n1's adverts: %d gaps in %v, max |gap-%v| = %v (tolerance %v), %d short",
				what, len(gaps), clockWindow, c.advert, jitter.Round(time.Millisecond), jitterTolerance, short)
		}
		watch("before the first step")
		for _, d := range clockSteps {
			stepClock(t, d)
			stepped += d
			watch(fmt.Sprintf("after the step of %v", d))
		}
		changes := c.transitions() - before
		v.check(invClockNoChange, changes == 0 && wrong == 0,
			"wall clock stepped by %v: %d state changes, %d polls saw the VIP elsewhere than on n1:\n%s", clockSteps, changes, wrong, c.describe(t))
		v.report(t, fmt.Sprintf("wall clock steps %v, %v watched after each", clockSteps, clockWindow), []string{invClockNoChange, invClockInterval})
	})
}

// stepClock moves CLOCK_REALTIME by d.
func stepClock(t *testing.T, d time.Duration) {
	t.Helper()
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &now); err != nil {
		t.Fatalf("reading the wall clock: %v", err)
	}
	next := unix.NsecToTimespec(now.Nano() + d.Nanoseconds())
	if err := unix.ClockSettime(unix.CLOCK_REALTIME, &next); err != nil {
		t.Fatalf("stepping the wall clock by %v: %v", d, err)
	}
}
