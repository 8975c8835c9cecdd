package track

import (
	"context"
	"testing"
	"time"
)

// waitDeadline bounds every wait for a tracker result.
const waitDeadline = 10 * time.Second

// reports collects what a running tracker reports.
type reports struct {
	ch chan Result
}

// start runs tr until the test ends and returns its reports.
func start(t *testing.T, tr Tracker) *reports {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &reports{ch: make(chan Result, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.Run(ctx, func(res Result) {
			if res.Key != tr.Key() {
				t.Errorf("tracker %v reported key %v", tr.Key(), res.Key)
			}
			r.ch <- res
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(waitDeadline):
			t.Errorf("tracker %v did not stop after cancellation", tr.Key())
		}
	})
	return r
}

// next returns the next report, failing the test after waitDeadline.
func (r *reports) next(t *testing.T, what string) Result {
	t.Helper()
	select {
	case res := <-r.ch:
		return res
	case <-time.After(waitDeadline):
		t.Fatalf("no report within %s while waiting for %s", waitDeadline, what)
		return Result{}
	}
}

// expect returns the next report and checks its Up state.
func (r *reports) expect(t *testing.T, up bool, what string) Result {
	t.Helper()
	res := r.next(t, what)
	if res.Up != up {
		t.Fatalf("%s: got up=%v (%s), want up=%v", what, res.Up, res.Detail, up)
	}
	return res
}

// none checks that nothing was reported so far.
func (r *reports) none(t *testing.T, what string) {
	t.Helper()
	select {
	case res := <-r.ch:
		t.Fatalf("%s: unexpected report up=%v value=%d (%s)", what, res.Up, res.Value, res.Detail)
	default:
	}
}

// noneWithin checks that nothing is reported during the observation window d.
func (r *reports) noneWithin(t *testing.T, d time.Duration, what string) {
	t.Helper()
	window := time.NewTimer(d)
	defer window.Stop()
	select {
	case res := <-r.ch:
		t.Fatalf("%s: unexpected report up=%v value=%d (%s)", what, res.Up, res.Value, res.Detail)
	case <-window.C:
	}
}
