package check

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/havip/havip/config"
)

// TestURLMachine follows keepalived 2.2.7's check_http.c epilog over two
// urls: one url per probe, delay_loop apart; a url failing retry+1 times
// takes the checker down and is probed until it passes; then every url
// must pass in one walk for the checker to come up.
func TestURLMachine(t *testing.T) {
	const loop, dbr = 10 * time.Second, 2 * time.Second
	type step struct {
		ok      bool
		url     int // the url probed
		up      bool
		changed bool
		next    time.Duration
		hasRun  bool
		retries int
		failed  int
	}
	tests := []struct {
		name  string
		alpha bool
		fast  bool
		steps []step
	}{
		{"all urls ok", false, false, []step{
			{true, 0, true, false, loop, false, 1, -1},
			{true, 1, true, false, loop, true, 0, -1},
			{true, 0, true, false, loop, true, 0, -1},
			{true, 1, true, false, loop, true, 0, -1},
		}},
		{"second url failing, then recovery", false, false, []step{
			{true, 0, true, false, loop, false, 1, -1},
			{true, 1, true, false, loop, true, 0, -1},
			{true, 0, true, false, loop, true, 0, -1},
			{false, 1, true, false, dbr, true, 1, -1},
			{false, 1, false, true, loop, true, 2, 1},
			{false, 1, false, false, loop, true, 2, 1},
			{true, 1, false, false, loop, true, 0, -1},
			{true, 0, false, false, loop, true, 0, -1},
			{true, 1, true, true, loop, true, 0, -1},
		}},
		{"a url passing resets the retries", false, false, []step{
			{true, 0, true, false, loop, false, 1, -1},
			{true, 1, true, false, loop, true, 0, -1},
			{false, 0, true, false, dbr, true, 1, -1},
			{true, 0, true, false, loop, true, 0, -1},
			{false, 1, true, false, dbr, true, 1, -1},
			{true, 1, true, false, loop, true, 0, -1},
		}},
		{"first url failing from the start uses the retries", false, false, []step{
			{false, 0, true, false, dbr, true, 1, -1},
			{false, 0, false, true, loop, true, 2, 0},
		}},
		{"before the first run a failure after a success is final", false, false, []step{
			{true, 0, true, false, loop, false, 1, -1},
			{false, 1, false, true, loop, true, 2, 1},
		}},
		{"a url failing while down after the failed url passed", false, false, []step{
			{false, 0, true, false, dbr, true, 1, -1},
			{false, 0, false, true, loop, true, 2, 0},
			{true, 0, false, false, loop, true, 0, -1},
			{false, 0, false, false, dbr, true, 0, -1},
			{true, 0, false, false, loop, true, 0, -1},
			{true, 1, true, true, loop, true, 0, -1},
		}},
		{"alpha comes up after one walk", true, false, []step{
			{true, 0, false, false, loop, false, 1, -1},
			{true, 1, true, true, loop, true, 0, -1},
		}},
		{"fast_recovery walks at once until the first run", true, true, []step{
			{true, 0, false, false, 0, false, 1, -1},
			{true, 1, true, true, loop, true, 0, -1},
		}},
		{"fast_recovery: no delay while down with no failed url", false, true, []step{
			{false, 0, true, false, dbr, true, 1, -1},
			{false, 0, false, true, loop, true, 2, 0},
			{true, 0, false, false, 0, true, 0, -1},
			{false, 0, false, false, 0, true, 0, -1},
			{true, 0, false, false, 0, true, 0, -1},
			{true, 1, true, true, loop, true, 0, -1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewURLMachine(Schedule{DelayLoop: loop, Retry: 1, DelayBeforeRetry: dbr, Alpha: tc.alpha, FastRecovery: tc.fast}, 2)
			for i, st := range tc.steps {
				if m.URL() != st.url {
					t.Fatalf("step %d probes url %d, want %d", i, m.URL(), st.url)
				}
				changed, next := m.Observe(st.ok)
				if changed != st.changed || next != st.next || m.Up() != st.up || m.HasRun() != st.hasRun || m.Retries() != st.retries || m.FailedURL() != st.failed {
					t.Fatalf("step %d (ok=%v): changed=%v next=%v up=%v has_run=%v retries=%d failed=%d, want %v %v %v %v %d %d",
						i, st.ok, changed, next, m.Up(), m.HasRun(), m.Retries(), m.FailedURL(), st.changed, st.next, st.up, st.hasRun, st.retries, st.failed)
				}
			}
		})
	}
}

// webServer answers /a and /b with the status codes set by set.
type webServer struct {
	mu    sync.Mutex
	codes map[string]int
	paths chan string
}

func (s *webServer) set(codes map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, c := range codes {
		s.codes[p] = c
	}
}

func (s *webServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	code := s.codes[r.URL.Path]
	s.mu.Unlock()
	s.paths <- r.URL.Path
	w.WriteHeader(code)
}

// TestHTTPURLWalk runs an HTTP_GET runner with two urls against a local
// web server on a fake clock: the urls are requested one per probe, and
// the published status follows keepalived's (Up, has_run, retry
// iterations, failed url).
func TestHTTPURLWalk(t *testing.T) {
	const loop, dbr = 10 * time.Second, 2 * time.Second
	type step struct {
		set     map[string]int // status codes changed before the probe
		path    string         // the url requested
		up      bool
		hasRun  bool
		retries int
		failed  string
		wait    time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"all urls ok", []step{
			{nil, "/a", true, false, 1, "", loop},
			{nil, "/b", true, true, 0, "", loop},
			{nil, "/a", true, true, 0, "", loop},
			{nil, "/b", true, true, 0, "", loop},
		}},
		{"second url failing", []step{
			{nil, "/a", true, false, 1, "", loop},
			{nil, "/b", true, true, 0, "", loop},
			{nil, "/a", true, true, 0, "", loop},
			{map[string]int{"/b": 500}, "/b", true, true, 1, "", dbr},
			{nil, "/b", false, true, 2, "/b", loop},
			{nil, "/b", false, true, 2, "/b", loop},
		}},
		{"recovery walks every url again", []step{
			{nil, "/a", true, false, 1, "", loop},
			{map[string]int{"/b": 500}, "/b", false, true, 2, "/b", loop},
			{map[string]int{"/b": 200}, "/b", false, true, 0, "", loop},
			{nil, "/a", false, true, 0, "", loop},
			{nil, "/b", true, true, 0, "", loop},
		}},
		{"retry counting resets on a passing url", []step{
			{nil, "/a", true, false, 1, "", loop},
			{nil, "/b", true, true, 0, "", loop},
			{map[string]int{"/a": 503}, "/a", true, true, 1, "", dbr},
			{map[string]int{"/a": 200}, "/a", true, true, 0, "", loop},
			{map[string]int{"/b": 503}, "/b", true, true, 1, "", dbr},
			{nil, "/b", false, true, 2, "/b", loop},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := &webServer{codes: map[string]int{"/a": 200, "/b": 200}, paths: make(chan string, 10)}
			srv := httptest.NewServer(ws)
			defer srv.Close()
			ap := addrOf(t, srv.Listener.Addr())
			ok := []config.CodeRange{{Lo: 200, Hi: 299}}
			ck := &config.Checker{Type: config.CheckHTTP, ConnectTimeout: 2 * time.Second, DelayLoop: loop, Retry: 1, DelayBeforeRetry: dbr,
				HTTP: &config.HTTPCheck{Protocol: "1.0", URLs: []config.URL{{Path: "/a", StatusCodes: ok}, {Path: "/b", StatusCodes: ok}}}}
			p, err := New(ck, rsAt(ap), Options{Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			clk := newFakeClock()
			r := &Runner{Name: "web", Prober: p, Schedule: ScheduleOf(ck), Clock: clk, Log: quiet}
			if tc.steps[0].set != nil {
				ws.set(tc.steps[0].set)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			defer func() { cancel(); <-done }()
			go func() { r.Run(ctx, false); close(done) }()
			for i, st := range tc.steps {
				wait := clk.await(t)
				if path := <-ws.paths; path != st.path {
					t.Fatalf("step %d requested %s, want %s", i, path, st.path)
				}
				s := r.Status()
				if s.Up != st.up || s.HasRun != st.hasRun || s.Retries != st.retries || s.FailedURL != st.failed || wait != st.wait {
					t.Fatalf("step %d: up=%v has_run=%v retries=%d failed=%q wait=%v, want %v %v %d %q %v (%s)",
						i, s.Up, s.HasRun, s.Retries, s.FailedURL, wait, st.up, st.hasRun, st.retries, st.failed, st.wait, s.Detail)
				}
				if i+1 < len(tc.steps) && tc.steps[i+1].set != nil {
					ws.set(tc.steps[i+1].set)
				}
				clk.release()
			}
			if s := r.Status(); !s.Up && s.LastFailure == "" {
				t.Fatal("a down checker has no last failure")
			}
		})
	}
}
