package check

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/havip/havip/config"
)

// Schedule is when a checker probes.
type Schedule struct {
	DelayLoop        time.Duration
	Retry            int
	DelayBeforeRetry time.Duration
	Warmup           time.Duration
	Alpha            bool
	// LogAllFailures logs every failed attempt, not only state changes.
	LogAllFailures bool
}

// ScheduleOf returns a checker's schedule.
func ScheduleOf(ck *config.Checker) Schedule {
	return Schedule{DelayLoop: ck.DelayLoop, Retry: ck.Retry, DelayBeforeRetry: ck.DelayBeforeRetry, Warmup: ck.Warmup, Alpha: ck.Alpha, LogAllFailures: ck.LogAllFailures}
}

// Machine is keepalived's checker state: up unless alpha at start; an up
// checker goes down after Retry+1 consecutive failures, the attempts
// DelayBeforeRetry apart; a down checker comes up on one success.
type Machine struct {
	s        Schedule
	up       bool
	failures int
}

// NewMachine returns the machine in its initial state.
func NewMachine(s Schedule) *Machine { return &Machine{s: s, up: !s.Alpha} }

// Up reports the current state.
func (m *Machine) Up() bool { return m.up }

// Observe records a probe result and returns whether the state changed
// and how long to wait before the next probe.
func (m *Machine) Observe(ok bool) (changed bool, next time.Duration) {
	if ok {
		m.failures = 0
		changed = !m.up
		m.up = true
		return changed, m.s.DelayLoop
	}
	if !m.up {
		return false, m.s.DelayLoop
	}
	m.failures++
	if m.failures > m.s.Retry {
		m.failures = 0
		m.up = false
		return true, m.s.DelayLoop
	}
	return false, m.s.DelayBeforeRetry
}

// Clock is the time source of a Runner.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Status is a checker's published state.
type Status struct {
	Up bool
	// Weight is the misc_dynamic weight (valid when HasWeight).
	Weight    int
	HasWeight bool
	// Since is when Up last changed (or the runner started).
	Since  time.Time
	Detail string
	Probes uint64
}

// Runner runs one checker on its schedule and publishes its Status.
type Runner struct {
	Name     string
	Prober   Prober
	Schedule Schedule
	Clock    Clock
	// Jitter returns a random duration in [0, max]; nil uses math/rand.
	Jitter func(max time.Duration) time.Duration
	// Changed is called (without locks held) after every state or
	// weight change; it must not block.
	Changed func()
	Log     *slog.Logger

	mu     sync.Mutex
	status Status
	m      *Machine
}

// Init sets the initial status; a runner whose status was carried over
// from a previous config (Carry) keeps it.
func (r *Runner) Init() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = NewMachine(r.Schedule)
		r.status = Status{Up: r.m.Up(), Since: r.clock().Now(), Detail: "initial state"}
	}
}

// Carry takes over the state of a runner of the same checker from the
// previous config, so that a reload does not flap the real server.
func (r *Runner) Carry(old *Runner) {
	old.mu.Lock()
	st := old.status
	up := old.m != nil && old.m.up
	old.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m = NewMachine(r.Schedule)
	r.m.up = up
	r.status = st
}

// Status returns the published state.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *Runner) clock() Clock {
	if r.Clock == nil {
		return SystemClock{}
	}
	return r.Clock
}

func (r *Runner) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

// Run probes until ctx ends: a random warmup first (none for a carried
// runner), then on the machine's schedule. Each probe is bounded by its
// own timeout and by ctx.
func (r *Runner) Run(ctx context.Context, carried bool) {
	r.Init()
	clk := r.clock()
	var wait time.Duration
	if !carried && r.Schedule.Warmup > 0 {
		jitter := r.Jitter
		if jitter == nil {
			jitter = func(max time.Duration) time.Duration { return rand.N(max + 1) }
		}
		wait = jitter(r.Schedule.Warmup)
	} else if carried {
		wait = r.Schedule.DelayLoop
	}
	for {
		if wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-clk.After(wait):
			}
		} else if ctx.Err() != nil {
			return
		}
		res := r.Prober.Probe(ctx)
		if ctx.Err() != nil {
			return
		}
		wait = r.record(res, clk.Now())
	}
}

// record applies a result and returns the wait before the next probe.
func (r *Runner) record(res Result, now time.Time) time.Duration {
	r.mu.Lock()
	changed, next := r.m.Observe(res.OK)
	st := &r.status
	st.Probes++
	st.Detail = res.Detail
	weightChanged := res.OK && (res.HasWeight != st.HasWeight || res.Weight != st.Weight)
	if res.OK {
		st.HasWeight, st.Weight = res.HasWeight, res.Weight
	}
	if changed {
		st.Up = r.m.Up()
		st.Since = now
	}
	up := st.Up
	r.mu.Unlock()
	if changed {
		r.log().Info("checker state", "checker", r.Name, "up", up, "detail", res.Detail)
	} else if !res.OK {
		level := slog.LevelDebug
		if r.Schedule.LogAllFailures {
			level = slog.LevelInfo
		}
		r.log().Log(context.Background(), level, "checker failed", "checker", r.Name, "detail", res.Detail)
	}
	if (changed || weightChanged) && r.Changed != nil {
		r.Changed()
	}
	return next
}
