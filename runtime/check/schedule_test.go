package check

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMachine(t *testing.T) {
	s := Schedule{DelayLoop: 6 * time.Second, Retry: 2, DelayBeforeRetry: time.Second}
	type step struct {
		ok      bool
		up      bool
		changed bool
		next    time.Duration
	}
	tests := []struct {
		name  string
		alpha bool
		steps []step
	}{
		{"up stays up", false, []step{{true, true, false, 6 * time.Second}, {true, true, false, 6 * time.Second}}},
		{"retry then down", false, []step{
			{false, true, false, time.Second},
			{false, true, false, time.Second},
			{false, false, true, 6 * time.Second},
			{false, false, false, 6 * time.Second},
			{true, true, true, 6 * time.Second},
		}},
		{"success resets the retries", false, []step{
			{false, true, false, time.Second},
			{false, true, false, time.Second},
			{true, true, false, 6 * time.Second},
			{false, true, false, time.Second},
			{false, true, false, time.Second},
			{false, false, true, 6 * time.Second},
		}},
		{"alpha starts down", true, []step{{false, false, false, 6 * time.Second}, {true, true, true, 6 * time.Second}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := s
			sc.Alpha = tc.alpha
			m := NewMachine(sc)
			if m.Up() == tc.alpha {
				t.Fatalf("initial up=%v with alpha=%v", m.Up(), tc.alpha)
			}
			for i, st := range tc.steps {
				changed, next := m.Observe(st.ok)
				if changed != st.changed || next != st.next || m.Up() != st.up {
					t.Fatalf("step %d (ok=%v): changed=%v next=%v up=%v, want %v %v %v", i, st.ok, changed, next, m.Up(), st.changed, st.next, st.up)
				}
			}
		})
	}
	t.Run("retry 0 goes down on the first failure", func(t *testing.T) {
		m := NewMachine(Schedule{DelayLoop: time.Second})
		if changed, _ := m.Observe(false); !changed || m.Up() {
			t.Fatal("retry 0: one failure should take the checker down")
		}
	})
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

type scriptedProber struct {
	mu      sync.Mutex
	results []bool
	calls   int
	done    chan struct{}
}

func (p *scriptedProber) Probe(context.Context) Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	ok := p.results[p.calls%len(p.results)]
	p.calls++
	if p.calls == len(p.results) {
		close(p.done)
	}
	return Result{OK: ok, Detail: "scripted"}
}

// TestRunnerSchedule drives a runner on a fake clock: warmup, delay_loop
// between successes, delay_before_retry between retries, down after
// retry+1 failures, and Changed on each transition.
func TestRunnerSchedule(t *testing.T) {
	clk := newFakeClock()
	pr := &scriptedProber{results: []bool{true, false, false, false, false, true}, done: make(chan struct{})}
	changes := make(chan bool, 10)
	var r *Runner
	r = &Runner{
		Name:     "test",
		Prober:   pr,
		Schedule: Schedule{DelayLoop: 10 * time.Second, Retry: 2, DelayBeforeRetry: 2 * time.Second, Warmup: 5 * time.Second},
		Clock:    clk,
		Jitter:   func(max time.Duration) time.Duration { return max / 2 },
		Changed:  func() { changes <- r.Status().Up },
		Log:      quiet,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx, false); close(done) }()
	want := []time.Duration{2500 * time.Millisecond, 10 * time.Second, 2 * time.Second, 2 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if d := clk.next(t); d != w {
			t.Fatalf("wait %d: %v, want %v", i, d, w)
		}
	}
	<-pr.done
	clk.next(t) // the runner waits again after the last probe
	cancel()
	<-done
	close(changes)
	var got []bool
	for c := range changes {
		got = append(got, c)
	}
	if len(got) != 2 || got[0] || !got[1] {
		t.Fatalf("Changed saw %v, want [false true]", got)
	}
	if st := r.Status(); !st.Up || st.Probes != 6 || !st.Since.Equal(time.Unix(1000, 0).Add(36500*time.Millisecond)) {
		t.Fatalf("status %+v", st)
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
