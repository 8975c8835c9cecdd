// Package fault is havip's seeded fault suite. Three or more speakers share one L2
// segment (a bridge namespace built by test/lab) with a client namespace that
// observes them; a seeded random walk injects faults one at a time — silent node
// loss, SIGKILL, graceful stop, link down, interface deleted, one-way VRRP loss,
// partition, config deleted/truncated/corrupted — heals each, and checks what must
// always hold: exactly one holder of the VIP after every settle, the highest-priority
// live and connected node; convergence after a heal within one Master_Down_Interval;
// after a split-brain heal a gratuitous ARP and a master notify from the winner and
// the client's neighbour entry on it; nothing left behind by a stopped node. Other
// tests flood the segment with hostile VRRP, abuse check scripts and reload a
// running supervisor a thousand times, measuring advert jitter and leaks.
//
// Every test runs with havip and, as the control, with keepalived 2.2.7 in the same
// roles: a violation by havip fails the invariant's named sub-test, one by
// keepalived is reported as a figure. The knobs are environment variables:
//
//	HAVIP_FAULT_SEED     seed of the random walk (default 1); printed by every run
//	HAVIP_FAULT_STEPS    faults per speaker (default 8: each fault once; `make chaos` runs 200)
//	HAVIP_FAULT_SPEAKER  havip or keepalived to run only one (default both)
//
// Clock steps cannot be confined to a lab node: CLOCK_REALTIME is global to the
// machine (a time namespace offsets only CLOCK_MONOTONIC and CLOCK_BOOTTIME).
// TestClockSteps therefore steps the machine's wall clock, alone, and puts it back.
package fault

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/havip/havip/test/lab"
)

// havipBin is the havip binary built once by TestMain (only when root).
var havipBin string

// parallelSubtests is how many of the suite's speaker sub-tests run at once
// unless -test.parallel is given: they mostly wait on protocol timers, so more
// than GOMAXPROCS of them share two CPUs well (floods run one at a time).
const parallelSubtests = 4

func TestMain(m *testing.M) {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		if err := flag.Set("test.parallel", strconv.Itoa(parallelSubtests)); err != nil {
			fmt.Fprintln(os.Stderr, "fault:", err)
			os.Exit(1)
		}
	}
	dir, err := os.MkdirTemp("", "havip-fault-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fault:", err)
		os.Exit(1)
	}
	if os.Geteuid() == 0 {
		havipBin = filepath.Join(dir, "havip")
		// `go test` puts its own Go's bin directory first in the PATH of tests.
		out, err := exec.Command("go", "build", "-o", havipBin, "github.com/havip/havip/cmd/havip").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "fault: building havip: %v\n%s", err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	if os.Geteuid() == 0 {
		// Every lab removes its namespaces in t.Cleanup: none may survive.
		out, err := exec.Command("ip", "netns", "list").Output()
		prefix := fmt.Sprintf("hv%d-", os.Getpid())
		for _, line := range strings.Split(string(out), "\n") {
			if err == nil && strings.HasPrefix(line, prefix) {
				fmt.Fprintf(os.Stderr, "fault: namespace left behind after the tests: %s\n", line)
				code = 1
			}
		}
	}
	os.Exit(code)
}

// The environment variables of the suite.
const (
	seedEnv    = "HAVIP_FAULT_SEED"
	stepsEnv   = "HAVIP_FAULT_STEPS"
	speakerEnv = "HAVIP_FAULT_SPEAKER"
)

// defaultSteps is the length of the walk in `make test`: every fault once, short
// enough that the package stays under three minutes on an idle 2-core machine.
const defaultSteps = 8

// longRun is the step count from which the other tests run their long variants
// (longer floods, a thousand reloads of keepalived too).
const longRun = 50

// knobs are the suite's settings from the environment.
type knobs struct {
	seed     uint64
	steps    int
	speakers []string
}

// readKnobs parses the environment; a bad value fails the test naming it.
func readKnobs(t *testing.T) knobs {
	t.Helper()
	k, err := parseKnobs(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// parseKnobs reads the suite's settings through getenv.
func parseKnobs(getenv func(string) string) (knobs, error) {
	k := knobs{seed: 1, steps: defaultSteps, speakers: []string{havipKind, keepalivedKind}}
	if v := getenv(seedEnv); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return k, fmt.Errorf("%s=%q: want a decimal unsigned integer", seedEnv, v)
		}
		k.seed = seed
	}
	if v := getenv(stepsEnv); v != "" {
		steps, err := strconv.Atoi(v)
		if err != nil || steps < 1 || steps > 100000 {
			return k, fmt.Errorf("%s=%q: want a number of steps from 1 to 100000", stepsEnv, v)
		}
		k.steps = steps
	}
	switch v := getenv(speakerEnv); v {
	case "":
	case havipKind, keepalivedKind:
		k.speakers = []string{v}
	default:
		return k, fmt.Errorf("%s=%q: want havip or keepalived (unset runs both)", speakerEnv, v)
	}
	return k, nil
}

// long reports whether this is a long (chaos) run.
func (k knobs) long() bool { return k.steps >= longRun }

// eachSpeaker runs f as a parallel sub-test per speaker kind, skipping
// keepalived's when it is not installed (a failure under HAVIP_TEST_STRICT=1).
// The tests of the package run in parallel with one another.
func eachSpeaker(t *testing.T, f func(t *testing.T, k knobs, kind string)) {
	t.Helper()
	t.Parallel()
	forEachSpeaker(t, true, f)
}

// eachSpeakerAlone runs f as a sub-test per speaker kind, one after the
// other, while every parallel test of the package waits: for a test that
// loads or changes the whole machine (a flood that saturates the CPUs, a
// wall-clock step), so that it never becomes another test's fault.
func eachSpeakerAlone(t *testing.T, f func(t *testing.T, k knobs, kind string)) {
	t.Helper()
	forEachSpeaker(t, false, f)
}

func forEachSpeaker(t *testing.T, parallel bool, f func(t *testing.T, k knobs, kind string)) {
	t.Helper()
	lab.RequireRoot(t)
	k := readKnobs(t)
	for _, kind := range k.speakers {
		t.Run(kind, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			requireTools(t, kind)
			f(t, k, kind)
		})
	}
}
