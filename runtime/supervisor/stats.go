package supervisor

import (
	"encoding/hex"
	"sync"
	"time"
)

// Stats counts the supervisor's reloads, for the metrics.
type Stats struct {
	// Reloads counts attempts to apply a changed (or forced) config; Failed
	// those that left the running config running.
	Reloads, Failed uint64
	// LastSuccess is when the running config was applied (the first start
	// included); ConfigHash its content's sha256, hex.
	LastSuccess time.Time
	ConfigHash  string
	// LastFailure is when a reload last left the running config running,
	// and LastError why.
	LastFailure time.Time
	LastError   string
}

// stats is Stats behind a lock: Run writes it, Stats reads it from anywhere.
type stats struct {
	mu sync.Mutex
	s  Stats
}

func (st *stats) update(f func(*Stats)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f(&st.s)
}

// Stats returns the reload counters.
func (s *Supervisor) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.s
}

// applied records that the config with content hash sum runs; reload says
// whether it was a reload (not the first start).
func (s *Supervisor) applied(sum [32]byte, reload bool) {
	s.stats.update(func(st *Stats) {
		if reload {
			st.Reloads++
		}
		st.LastSuccess, st.ConfigHash = time.Now(), hex.EncodeToString(sum[:])
	})
}

// reloadFailed records a reload that left the running config running.
func (s *Supervisor) reloadFailed(err error) {
	s.stats.update(func(st *Stats) {
		st.Reloads++
		st.Failed++
		st.LastFailure, st.LastError = time.Now(), err.Error()
	})
}
