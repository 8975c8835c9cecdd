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
	// Type is the checker's keyword (config.CheckTCP, ...): keepalived's
	// checkers each decide their next probe in their own code, and they
	// differ while the real server is down (see Machine).
	Type             string
	DelayLoop        time.Duration
	Retry            int
	DelayBeforeRetry time.Duration
	Warmup           time.Duration
	Alpha            bool
	// LogAllFailures logs every failed attempt, not only state changes.
	LogAllFailures bool
	// FastRecovery is HTTP_GET/SSL_GET's fast_recovery: while the checker
	// has not run, or is down with no url known to fail, the next url is
	// checked at once rather than after delay_loop.
	FastRecovery bool
}

// ScheduleOf returns a checker's schedule.
func ScheduleOf(ck *config.Checker) Schedule {
	s := Schedule{Type: ck.Type, DelayLoop: ck.DelayLoop, Retry: ck.Retry, DelayBeforeRetry: ck.DelayBeforeRetry, Warmup: ck.Warmup, Alpha: ck.Alpha, LogAllFailures: ck.LogAllFailures}
	if ck.HTTP != nil {
		s.FastRecovery = ck.HTTP.FastRecovery
	}
	return s
}

// fromStart reports whether the wait before the next probe counts from
// the start of the last probe rather than from its end: MISC_CHECK times
// its next run from the script's start (check_misc.c's last_ran), the
// other checkers arm their timer when the probe has finished.
func (s Schedule) fromStart() bool { return s.Type == config.CheckMisc }

// Machine is keepalived 2.2.7's checker state: up unless alpha at start.
// A success always brings the checker up, clears the retries (retry_it)
// and waits DelayLoop. What a failure does is decided per checker, as in
// each checker's epilog in keepalived/check, "retries left" meaning that
// retry_it is below Retry:
//
//   - TCP_CHECK (tcp_epilog) and SMTP_CHECK (smtp_final): up or down, a
//     failure with retries left counts one and waits DelayBeforeRetry;
//     the failure with none left takes the checker down, clears the count
//     and waits DelayLoop. A down real server is thus probed Retry+1
//     times DelayBeforeRetry apart, then after DelayLoop again. (SMTP_CHECK
//     counts that final failure, Retry+1, until its next DelayLoop probe
//     starts; and it marks the checker as run only when it goes down.)
//   - UDP_CHECK (udp_epilog) and PING_CHECK (icmp_epilog): while up (or
//     not yet run) a failure with retries left counts one and waits
//     DelayBeforeRetry, with none left takes the checker down; while down
//     (alpha before the first run included) a failure waits DelayLoop and
//     counts nothing.
//   - DNS_CHECK (dns_final): while up or not yet run, as TCP_CHECK; once
//     down and run, a failure waits DelayLoop and counts nothing. (An
//     alpha checker thus retries once, then waits DelayLoop.)
//   - MISC_CHECK (misc_check_child_thread): while up or not yet run, as
//     TCP_CHECK; once down and run, a failure leaves the count as it is,
//     and the wait is DelayBeforeRetry while the count is not 0, else
//     DelayLoop. (An alpha checker whose script fails from the start
//     thus runs it DelayBeforeRetry apart until it passes.) MISC_CHECK's
//     waits count from the start of the script's run.
//
// HTTP_GET and SSL_GET walk their urls one per probe, delay_loop apart, as
// keepalived 2.2.7's check_http.c epilog: a url failing Retry+1 times in a
// row (DelayBeforeRetry apart) takes the checker down and becomes the
// failed url, probed every max(delay_loop, delay_before_retry) until it
// passes; then the walk starts again from the first url, and the checker
// comes up when every url has passed in one walk. Before the checker has
// run, one success of a url leaves no retries for the next: a failure
// after it takes the checker down at once.
type Machine struct {
	s      Schedule
	up     bool
	hasRun bool
	// retries is keepalived's retry_it: failures counted toward Retry.
	retries int
	urls    int // urls walked, one per probe; 0 probes as a whole
	url     int // the url the next probe checks
	failed  int // the failed url, -1 for none
}

// NewMachine returns the machine, in its initial state, of a checker that
// probes as a whole.
func NewMachine(s Schedule) *Machine { return &Machine{s: s, up: !s.Alpha, failed: -1} }

// NewURLMachine returns the machine, in its initial state, of an HTTP_GET
// or SSL_GET checker with urls urls (at least one).
func NewURLMachine(s Schedule, urls int) *Machine {
	m := NewMachine(s)
	m.urls = urls
	return m
}

// Up reports the current state.
func (m *Machine) Up() bool { return m.up }

// HasRun reports keepalived's has_run: the checker has probed (for a url
// walk: a url has failed, or every url has passed) since it started.
func (m *Machine) HasRun() bool { return m.hasRun }

// Retries is keepalived's retry_it, the failures counted toward Retry.
func (m *Machine) Retries() int { return m.retries }

// URL returns the index of the url the next probe checks.
func (m *Machine) URL() int { return m.url }

// FailedURL returns the index of the failed url, -1 for none.
func (m *Machine) FailedURL() int { return m.failed }

// Observe records a probe result and returns whether the state changed
// and how long to wait before the next probe.
func (m *Machine) Observe(ok bool) (changed bool, next time.Duration) {
	if m.urls > 0 {
		return m.observeURL(ok)
	}
	if m.s.Type == config.CheckSMTP && m.retries > m.s.Retry {
		m.retries = 0 // smtp_start_check_thread: a DelayLoop probe starts afresh
	}
	if ok {
		m.hasRun = true
		m.retries = 0
		changed = !m.up
		m.up = true
		return changed, m.s.DelayLoop
	}
	left := m.retries < m.s.Retry
	switch m.s.Type {
	case config.CheckUDP, config.CheckPing:
		run := m.hasRun
		m.hasRun = true
		switch {
		case (m.up || !run) && !left:
			m.retries = 0
			return m.down(), m.s.DelayLoop
		case m.up:
			m.retries++
			return false, m.s.DelayBeforeRetry
		}
		return false, m.s.DelayLoop
	case config.CheckDNS:
		if m.up || !m.hasRun {
			m.hasRun = true
			if left {
				m.retries++
				return false, m.s.DelayBeforeRetry
			}
			changed = m.down()
		}
		m.retries = 0
		return changed, m.s.DelayLoop
	case config.CheckMisc:
		if m.up || !m.hasRun {
			if left {
				m.retries++
			} else {
				m.retries = 0
				changed = m.down()
			}
		}
		m.hasRun = true
		if m.retries > 0 {
			return changed, m.s.DelayBeforeRetry
		}
		return changed, m.s.DelayLoop
	case config.CheckSMTP:
		m.retries++
		if m.retries <= m.s.Retry {
			return false, m.s.DelayBeforeRetry
		}
		m.hasRun = true
		return m.down(), m.s.DelayLoop
	}
	m.hasRun = true // TCP_CHECK
	if left {
		m.retries++
		return false, m.s.DelayBeforeRetry
	}
	m.retries = 0
	return m.down(), m.s.DelayLoop
}

// down takes the checker down and reports whether it was up.
func (m *Machine) down() bool {
	was := m.up
	m.up = false
	return was
}

// observeURL is check_http.c's epilog: ok is REGISTER_CHECKER_NEW, a
// failure REGISTER_CHECKER_RETRY while up or before the first run, else
// REGISTER_CHECKER_FAILED.
func (m *Machine) observeURL(ok bool) (changed bool, next time.Duration) {
	switch {
	case ok:
		m.url++
		m.retries = 0
		switch {
		case m.url == m.urls && m.failed < 0:
			if !m.up || !m.hasRun {
				changed = !m.up
				m.up, m.hasRun = true, true
			}
			m.url = 0
		case m.failed >= 0:
			m.failed, m.url = -1, 0
		}
		if !m.hasRun {
			m.retries = m.s.Retry
		}
	case m.up || !m.hasRun:
		m.hasRun = true
		m.retries++
		if m.retries > m.s.Retry {
			if m.up {
				m.up, changed = false, true
			}
			m.failed = m.url
		}
	}
	switch {
	case ok:
		next = m.s.DelayLoop
	case m.failed >= 0:
		next = max(m.s.DelayBeforeRetry, m.s.DelayLoop)
	default:
		next = m.s.DelayBeforeRetry
	}
	if m.s.FastRecovery && (!m.hasRun || !m.up && m.failed < 0) {
		next = 0
	}
	return changed, next
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
	// HasRun is keepalived's has_run (see Machine.HasRun).
	HasRun bool
	// Retries is keepalived's retry_it: the failures counted toward the
	// schedule's Retry.
	Retries int
	// FailedURL is the path of an HTTP_GET/SSL_GET checker's failed url;
	// "" for none.
	FailedURL string
	// Since is when Up last changed (or the runner started).
	Since  time.Time
	Detail string
	// LastFailure is the Detail of the last failed probe; "" before one.
	LastFailure string
	Probes      uint64
}

// URLProber is a Prober that checks one of its urls per probe (HTTP_GET,
// SSL_GET); a Runner walks them as keepalived does (see Machine).
type URLProber interface {
	Prober
	// URLs returns the paths of the urls, in order.
	URLs() []string
	// ProbeURL checks url i.
	ProbeURL(ctx context.Context, i int) Result
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
		r.m = r.newMachine()
		r.status = Status{Up: r.m.Up(), Since: r.clock().Now(), Detail: "initial state"}
	}
}

// newMachine returns the machine of the prober: a url walk for a
// URLProber with urls.
func (r *Runner) newMachine() *Machine {
	if up, ok := r.Prober.(URLProber); ok && len(up.URLs()) > 0 {
		return NewURLMachine(r.Schedule, len(up.URLs()))
	}
	return NewMachine(r.Schedule)
}

// Carry takes over the state of a runner of the same checker from the
// previous config, so that a reload does not flap the real server.
func (r *Runner) Carry(old *Runner) {
	old.mu.Lock()
	st := old.status
	var m *Machine
	if old.m != nil {
		c := *old.m
		m = &c
	}
	old.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if m == nil {
		m = r.newMachine()
		m.up = false
	}
	m.s = r.Schedule
	r.m = m
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
// runner), then on the machine's schedule, the wait counted from the end
// of the last probe (from its start for MISC_CHECK). Each probe is bounded
// by its own timeout and by ctx.
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
		start := clk.Now()
		res := r.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		now := clk.Now()
		wait = r.record(res, now)
		if r.Schedule.fromStart() {
			wait = max(wait-now.Sub(start), 0)
		}
	}
}

// probe checks the url the machine is at, or the whole checker.
func (r *Runner) probe(ctx context.Context) Result {
	r.mu.Lock()
	url, walk := r.m.URL(), r.m.urls > 0
	r.mu.Unlock()
	if up, ok := r.Prober.(URLProber); ok && walk {
		return up.ProbeURL(ctx, url)
	}
	return r.Prober.Probe(ctx)
}

// record applies a result and returns the wait before the next probe.
func (r *Runner) record(res Result, now time.Time) time.Duration {
	r.mu.Lock()
	changed, next := r.m.Observe(res.OK)
	st := &r.status
	st.Probes++
	st.Detail = res.Detail
	if !res.OK {
		st.LastFailure = res.Detail
	}
	st.HasRun, st.Retries, st.FailedURL = r.m.HasRun(), r.m.Retries(), ""
	if up, ok := r.Prober.(URLProber); ok && r.m.FailedURL() >= 0 {
		st.FailedURL = up.URLs()[r.m.FailedURL()]
	}
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
