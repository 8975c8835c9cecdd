package track

import (
	"testing"
	"time"

	"github.com/havip/havip/runtime/script"
)

// runStatsBecome waits until tr's RunStats satisfy ok.
func runStatsBecome(t *testing.T, tr Tracker, what string, ok func(RunStats) bool) RunStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := tr.(RunReporter).RunStats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("run stats %+v: not %s within 10s", st, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestScriptRunStats(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		timeout  time.Duration
		exit     int
		failures bool
	}{
		{"success", []string{"true"}, 0, 0, false},
		{"exit status 3", []string{"sh", "-c", "exit 3"}, 0, 3, true},
		{"timeout", []string{"sleep", "30"}, 50 * time.Millisecond, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewScript(ScriptSpec{Name: "chk", Command: script.Command{Args: tt.args}, Interval: 30 * time.Millisecond, Timeout: tt.timeout},
				script.Runner{KillGrace: 50 * time.Millisecond})
			start(t, tr)
			st := runStatsBecome(t, tr, "two runs", func(s RunStats) bool { return s.Runs >= 2 })
			if st.LastExit != tt.exit || (st.Failures > 0) != tt.failures || st.LastDuration <= 0 || st.TotalDuration < st.LastDuration {
				t.Fatalf("run stats %+v: want last exit %d, failures %v, durations counted", st, tt.exit, tt.failures)
			}
			if tt.timeout > 0 && st.LastDuration < tt.timeout {
				t.Fatalf("a run killed on its %v timeout took %v", tt.timeout, st.LastDuration)
			}
		})
	}
}

func TestScriptRunStatsShowRunning(t *testing.T) {
	tr := NewScript(ScriptSpec{Name: "chk", Command: script.Command{Args: []string{"sleep", "30"}}, Interval: time.Hour, Timeout: time.Minute}, script.Runner{})
	start(t, tr)
	runStatsBecome(t, tr, "running", func(s RunStats) bool { return s.Running && s.Runs == 0 })
}

func TestTCPRunStats(t *testing.T) {
	ln, addr := listen(t)
	tr := NewTCP(TCPSpec{Name: "chk_port", Addr: addr, Interval: 30 * time.Millisecond, Timeout: time.Second}, nil)
	start(t, tr)
	runStatsBecome(t, tr, "a successful probe", func(s RunStats) bool { return s.Runs > 0 && s.LastExit == 0 })
	ln.Close()
	runStatsBecome(t, tr, "a failed probe", func(s RunStats) bool { return s.Failures > 0 && s.LastExit == 1 })
}
