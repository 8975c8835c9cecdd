package track

import (
	"sync"
	"time"
)

// RunStats describes the runs of a periodic check (a vrrp_script or a native TCP probe) so far.
type RunStats struct {
	Runs     uint64 // finished runs
	Failures uint64 // runs that failed (non-zero exit, timeout, TCP connect error)
	// Running is true while a run is in progress.
	Running bool
	// LastExit is the exit status of the last run: -1 when it did not exit normally (killed on
	// timeout, by a signal, or could not start); a TCP probe reports 0 or 1.
	LastExit int
	// LastDuration is how long the last run took; TotalDuration the sum over every run.
	LastDuration, TotalDuration time.Duration
}

// RunReporter is implemented by trackers that run checks: script and TCP trackers.
type RunReporter interface {
	RunStats() RunStats
}

// runCounter is a RunStats updated by the tracker's goroutines and read by anyone.
type runCounter struct {
	mu sync.Mutex
	s  RunStats
}

func (c *runCounter) started() {
	c.mu.Lock()
	c.s.Running = true
	c.mu.Unlock()
}

func (c *runCounter) finished(out checkOutcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Running = false
	c.s.Runs++
	if !out.ok {
		c.s.Failures++
	}
	c.s.LastExit, c.s.LastDuration = out.exit, out.duration
	c.s.TotalDuration += out.duration
}

func (c *runCounter) get() RunStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}
