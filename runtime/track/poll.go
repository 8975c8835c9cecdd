package track

import (
	"context"
	"log/slog"
	"time"
)

// Defaults for periodic checks (keepalived vrrp_script).
const (
	DefaultInterval = time.Second
	DefaultRise     = 1
	DefaultFall     = 1
)

// hysteresis applies rise/fall to a stream of check outcomes. Before the first outcome the state
// is unknown (keepalived's init state); the first outcome decides it directly. Afterwards an up
// state needs fall consecutive failures to go down and a down state rise consecutive successes to
// go up.
type hysteresis struct {
	rise, fall int
	known, up  bool
	streak     int
}

func newHysteresis(rise, fall int, initFail bool) hysteresis {
	return hysteresis{rise: max(rise, 1), fall: max(fall, 1), known: initFail}
}

// observe records one outcome and reports whether the state became known or changed.
func (h *hysteresis) observe(ok bool) bool {
	if !h.known {
		h.known, h.up, h.streak = true, ok, 0
		return true
	}
	if ok == h.up {
		h.streak = 0
		return false
	}
	h.streak++
	need := h.fall
	if !h.up {
		need = h.rise
	}
	if h.streak < need {
		return false
	}
	h.up, h.streak = ok, 0
	return true
}

// checkFunc performs one health check.
type checkFunc func(ctx context.Context) checkOutcome

// pollTracker runs a check every interval with rise/fall, skipping a tick while the previous
// check still runs.
type pollTracker struct {
	key      Key
	interval time.Duration
	h        hysteresis
	check    checkFunc
	log      *slog.Logger
	runs     runCounter
}

// checkOutcome is the result of one check: its verdict and, for RunStats, its exit status and
// duration.
type checkOutcome struct {
	ok       bool
	detail   string
	exit     int
	duration time.Duration
}

func (p *pollTracker) Key() Key { return p.key }

// RunStats returns the runs of the check so far.
func (p *pollTracker) RunStats() RunStats { return p.runs.get() }

func (p *pollTracker) Run(ctx context.Context, report func(Result)) {
	h := p.h
	if h.known {
		report(Result{Key: p.key, Up: false, Detail: "init_fail: failed until the first successful check"})
	}
	results := make(chan checkOutcome, 1)
	running := false
	start := func() {
		running = true
		p.runs.started()
		go func() { results <- p.check(ctx) }()
	}
	start()
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			if running {
				p.runs.finished(<-results) // the check honours ctx, so this is bounded
			}
			return
		case <-ticker.C:
			if running {
				p.log.Debug("previous check still running; skipping this interval", "tracker", p.key.String())
				continue
			}
			start()
		case out := <-results:
			running = false
			p.runs.finished(out)
			if ctx.Err() != nil {
				return
			}
			if h.observe(out.ok) {
				report(Result{Key: p.key, Up: h.up, Detail: out.detail})
			}
		}
	}
}

func loggerOr(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}
