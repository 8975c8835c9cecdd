package check

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havip/havip/config"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestMachine follows each checker's epilog in keepalived 2.2.7
// (keepalived/check/check_*.c) through failures while up, while down, and
// from an alpha start.
func TestMachine(t *testing.T) {
	const loop, dbr = 6 * time.Second, time.Second
	type step struct {
		ok      bool
		up      bool
		changed bool
		next    time.Duration
		retries int
		hasRun  bool
	}
	tests := []struct {
		name  string
		typ   string
		retry int
		alpha bool
		steps []step
	}{
		{"tcp up stays up", config.CheckTCP, 2, false, []step{{true, true, false, loop, 0, true}, {true, true, false, loop, 0, true}}},
		{"tcp retries, goes down, and retries while down", config.CheckTCP, 2, false, []step{
			{false, true, false, dbr, 1, true},
			{false, true, false, dbr, 2, true},
			{false, false, true, loop, 0, true},
			{false, false, false, dbr, 1, true},
			{false, false, false, dbr, 2, true},
			{false, false, false, loop, 0, true},
			{false, false, false, dbr, 1, true},
			{true, true, true, loop, 0, true},
		}},
		{"tcp success resets the retries", config.CheckTCP, 2, false, []step{
			{false, true, false, dbr, 1, true},
			{false, true, false, dbr, 2, true},
			{true, true, false, loop, 0, true},
			{false, true, false, dbr, 1, true},
			{false, true, false, dbr, 2, true},
			{false, false, true, loop, 0, true},
			{false, false, false, dbr, 1, true},
			{true, true, true, loop, 0, true},
			{false, true, false, dbr, 1, true},
		}},
		{"tcp alpha retries from the start", config.CheckTCP, 2, true, []step{
			{false, false, false, dbr, 1, true},
			{false, false, false, dbr, 2, true},
			{false, false, false, loop, 0, true},
			{false, false, false, dbr, 1, true},
			{true, true, true, loop, 0, true},
		}},
		{"tcp retry 0 goes down on the first failure", config.CheckTCP, 0, false, []step{
			{false, false, true, loop, 0, true},
			{false, false, false, loop, 0, true},
			{true, true, true, loop, 0, true},
		}},
		{"smtp retries while down and holds the count until the next loop", config.CheckSMTP, 2, false, []step{
			{false, true, false, dbr, 1, false},
			{false, true, false, dbr, 2, false},
			{false, false, true, loop, 3, true},
			{false, false, false, dbr, 1, true},
			{false, false, false, dbr, 2, true},
			{false, false, false, loop, 3, true},
			{true, true, true, loop, 0, true},
		}},
		{"smtp alpha retries from the start", config.CheckSMTP, 1, true, []step{
			{false, false, false, dbr, 1, false},
			{false, false, false, loop, 2, true},
			{false, false, false, dbr, 1, true},
			{true, true, true, loop, 0, true},
		}},
		{"udp retries while up, not while down", config.CheckUDP, 2, false, []step{
			{false, true, false, dbr, 1, true},
			{false, true, false, dbr, 2, true},
			{false, false, true, loop, 0, true},
			{false, false, false, loop, 0, true},
			{false, false, false, loop, 0, true},
			{true, true, true, loop, 0, true},
			{false, true, false, dbr, 1, true},
		}},
		{"udp alpha does not retry", config.CheckUDP, 2, true, []step{
			{false, false, false, loop, 0, true},
			{false, false, false, loop, 0, true},
			{true, true, true, loop, 0, true},
		}},
		{"ping retries while up, not while down", config.CheckPing, 1, false, []step{
			{false, true, false, dbr, 1, true},
			{false, false, true, loop, 0, true},
			{false, false, false, loop, 0, true},
			{true, true, true, loop, 0, true},
		}},
		{"ping alpha retry 0", config.CheckPing, 0, true, []step{
			{false, false, false, loop, 0, true},
			{true, true, true, loop, 0, true},
		}},
		{"dns retries while up, not while down", config.CheckDNS, 2, false, []step{
			{false, true, false, dbr, 1, true},
			{false, true, false, dbr, 2, true},
			{false, false, true, loop, 0, true},
			{false, false, false, loop, 0, true},
			{true, true, true, loop, 0, true},
		}},
		{"dns alpha retries once", config.CheckDNS, 2, true, []step{
			{false, false, false, dbr, 1, true},
			{false, false, false, loop, 0, true},
			{false, false, false, loop, 0, true},
			{true, true, true, loop, 0, true},
		}},
		{"misc retries while up, not while down", config.CheckMisc, 2, false, []step{
			{false, true, false, dbr, 1, true},
			{false, true, false, dbr, 2, true},
			{false, false, true, loop, 0, true},
			{false, false, false, loop, 0, true},
			{true, true, true, loop, 0, true},
		}},
		{"misc alpha keeps its count and retries until it passes", config.CheckMisc, 2, true, []step{
			{false, false, false, dbr, 1, true},
			{false, false, false, dbr, 1, true},
			{false, false, false, dbr, 1, true},
			{true, true, true, loop, 0, true},
			{false, true, false, dbr, 1, true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMachine(Schedule{Type: tc.typ, DelayLoop: loop, Retry: tc.retry, DelayBeforeRetry: dbr, Alpha: tc.alpha})
			if m.Up() == tc.alpha || m.HasRun() || m.Retries() != 0 {
				t.Fatalf("initial up=%v hasRun=%v retries=%d with alpha=%v", m.Up(), m.HasRun(), m.Retries(), tc.alpha)
			}
			for i, st := range tc.steps {
				changed, next := m.Observe(st.ok)
				if changed != st.changed || next != st.next || m.Up() != st.up || m.Retries() != st.retries || m.HasRun() != st.hasRun {
					t.Fatalf("step %d (ok=%v): changed=%v next=%v up=%v retries=%d hasRun=%v, want %v %v %v %d %v",
						i, st.ok, changed, next, m.Up(), m.Retries(), m.HasRun(), st.changed, st.next, st.up, st.retries, st.hasRun)
				}
			}
		})
	}
}

// fakeClock is a Clock whose time moves only by Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	blocked chan struct{}
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1000, 0), blocked: make(chan struct{}, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	c.blocked <- struct{}{}
	return ch
}

// next waits for the runner to block on a timer, then jumps to it and
// returns how far the clock moved.
func (c *fakeClock) next(t *testing.T) time.Duration {
	t.Helper()
	d := c.await(t)
	c.release()
	return d
}

// await waits for the runner to block on a timer and returns its wait.
func (c *fakeClock) await(t *testing.T) time.Duration {
	t.Helper()
	select {
	case <-c.blocked:
	case <-time.After(5 * time.Second):
		t.Fatal("runner did not wait on the clock")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiters[0].at.Sub(c.now)
}

// release jumps to the first timer and fires it.
func (c *fakeClock) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.waiters[0]
	c.waiters = c.waiters[1:]
	c.now = w.at
	w.ch <- c.now
}

// advance moves the clock by d, as a probe taking d would.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type scriptedProber struct {
	mu      sync.Mutex
	results []bool
	calls   int
	done    chan struct{}
	// clk, when set, moves by took during each probe.
	clk  *fakeClock
	took time.Duration
}

func (p *scriptedProber) Probe(context.Context) Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.clk != nil {
		p.clk.advance(p.took)
	}
	ok := p.results[p.calls%len(p.results)]
	p.calls++
	if p.calls == len(p.results) {
		close(p.done)
	}
	return Result{OK: ok, Detail: "scripted"}
}

// TestRunnerSchedule drives runners on a fake clock through each
// checker's schedule: a warmup first, then the waits Machine decides
// (delay_loop, delay_before_retry, and, while a real server is down, what
// each checker type does), counted from the end of a probe or, for
// MISC_CHECK, from its start; Changed fires on each transition.
func TestRunnerSchedule(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name    string
		typ     string
		alpha   bool
		took    time.Duration // each probe's duration
		results []bool
		waits   []time.Duration // before each probe, the warmup first
		after   time.Duration   // after the last probe
		changes []bool
		since   time.Duration // when Up last changed, from the start
	}{
		{"tcp retries a down server delay_before_retry apart", config.CheckTCP, false, s / 2,
			[]bool{true, false, false, false, false, false, false, true},
			[]time.Duration{2500 * time.Millisecond, 10 * s, 2 * s, 2 * s, 10 * s, 2 * s, 2 * s, 10 * s}, 10 * s,
			[]bool{false, true}, 44500 * time.Millisecond},
		{"smtp retries a down server delay_before_retry apart", config.CheckSMTP, false, 0,
			[]bool{false, false, false, false, false, false, true},
			[]time.Duration{2500 * time.Millisecond, 2 * s, 2 * s, 10 * s, 2 * s, 2 * s, 10 * s}, 10 * s,
			[]bool{false, true}, 30500 * time.Millisecond},
		{"udp probes a down server every delay_loop", config.CheckUDP, false, 0,
			[]bool{true, false, false, false, false, false, false, true},
			[]time.Duration{2500 * time.Millisecond, 10 * s, 2 * s, 2 * s, 10 * s, 10 * s, 10 * s, 10 * s}, 10 * s,
			[]bool{false, true}, 56500 * time.Millisecond},
		{"ping probes a down server every delay_loop", config.CheckPing, false, 0,
			[]bool{false, false, false, false, true},
			[]time.Duration{2500 * time.Millisecond, 2 * s, 2 * s, 10 * s, 10 * s}, 10 * s,
			[]bool{false, true}, 26500 * time.Millisecond},
		{"dns alpha retries once, then every delay_loop", config.CheckDNS, true, 0,
			[]bool{false, false, false, true},
			[]time.Duration{2500 * time.Millisecond, 2 * s, 10 * s, 10 * s}, 10 * s,
			[]bool{true}, 24500 * time.Millisecond},
		{"misc counts its waits from the start of the script", config.CheckMisc, false, s,
			[]bool{true, false, false, false, false, true},
			[]time.Duration{2500 * time.Millisecond, 9 * s, s, s, 9 * s, 9 * s}, 9 * s,
			[]bool{false, true}, 37500 * time.Millisecond},
		{"misc alpha reruns a failing script delay_before_retry apart", config.CheckMisc, true, s,
			[]bool{false, false, false, true},
			[]time.Duration{2500 * time.Millisecond, s, s, s}, 9 * s,
			[]bool{true}, 9500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			start := clk.Now()
			pr := &scriptedProber{results: tc.results, done: make(chan struct{}), clk: clk, took: tc.took}
			changes := make(chan bool, 10)
			var r *Runner
			r = &Runner{
				Name:     "test",
				Prober:   pr,
				Schedule: Schedule{Type: tc.typ, DelayLoop: 10 * s, Retry: 2, DelayBeforeRetry: 2 * s, Warmup: 5 * s, Alpha: tc.alpha},
				Clock:    clk,
				Jitter:   func(max time.Duration) time.Duration { return max / 2 },
				Changed:  func() { changes <- r.Status().Up },
				Log:      quiet,
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { r.Run(ctx, false); close(done) }()
			for i, w := range tc.waits {
				if d := clk.next(t); d != w {
					t.Fatalf("wait %d: %v, want %v", i, d, w)
				}
			}
			<-pr.done
			if d := clk.await(t); d != tc.after {
				t.Fatalf("wait after the last probe: %v, want %v", d, tc.after)
			}
			cancel()
			<-done
			close(changes)
			var got []bool
			for c := range changes {
				got = append(got, c)
			}
			if !slices.Equal(got, tc.changes) {
				t.Fatalf("Changed saw %v, want %v", got, tc.changes)
			}
			st := r.Status()
			if !st.Up || st.Probes != uint64(len(tc.results)) || st.Since.Sub(start) != tc.since {
				t.Fatalf("status up=%v probes=%d since=%v, want up after %d probes since %v", st.Up, st.Probes, st.Since.Sub(start), len(tc.results), tc.since)
			}
		})
	}
}

// TestRunnerCarry: a runner taking over a down checker stays down and
// waits a delay_loop, not a warmup, before its first probe.
func TestRunnerCarry(t *testing.T) {
	old := &Runner{Schedule: Schedule{DelayLoop: time.Second}, Log: quiet}
	old.Init()
	old.record(Result{OK: false}, time.Unix(5, 0))
	if old.Status().Up {
		t.Fatal("old runner should be down after one failure with retry 0")
	}
	clk := newFakeClock()
	pr := &scriptedProber{results: []bool{true}, done: make(chan struct{})}
	r := &Runner{Prober: pr, Schedule: Schedule{DelayLoop: 3 * time.Second, Warmup: 100 * time.Second}, Clock: clk, Log: quiet}
	r.Carry(old)
	if r.Status().Up {
		t.Fatal("carried runner lost the down state")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx, true)
	if d := clk.next(t); d != 3*time.Second {
		t.Fatalf("carried runner waited %v, want the delay_loop 3s", d)
	}
	<-pr.done
	clk.next(t)
	if !r.Status().Up {
		t.Fatal("carried runner did not come up on success")
	}
}

func TestLogAllFailures(t *testing.T) {
	for _, all := range []bool{false, true} {
		var buf strings.Builder
		r := &Runner{Name: "c", Schedule: Schedule{DelayLoop: time.Second, Retry: 3, LogAllFailures: all}, Log: slog.New(slog.NewTextHandler(&buf, nil))}
		r.Init()
		r.record(Result{Detail: "refused"}, time.Unix(1, 0))
		if got := strings.Contains(buf.String(), "checker failed"); got != all {
			t.Errorf("log_all_failures %v: failure logged at info = %v:\n%s", all, got, buf.String())
		}
	}
}
