package engine

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
)

// logLines is a slog handler that keeps the messages and attributes it
// is handed, one line each.
type logLines struct {
	mu    *sync.Mutex
	lines *[]string
	attrs []slog.Attr
}

func newLogLines() logLines { return logLines{mu: &sync.Mutex{}, lines: &[]string{}} }

func (l logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l logLines) WithGroup(string) slog.Handler            { return l }
func (l logLines) WithAttrs(as []slog.Attr) slog.Handler {
	l.attrs = append(slices.Clone(l.attrs), as...)
	return l
}

func (l logLines) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	for _, a := range l.attrs {
		line += " " + a.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.lines = append(*l.lines, line)
	return nil
}

// all is the lines so far.
func (l logLines) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(*l.lines, "\n")
}

// count is how many lines hold s.
func (l logLines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range *l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// TestRunLinkPollShared: an interface that is both an instance's and a
// polled track_interface of another instance is read by one poller, which
// starts once (logged once) and whose reads reach both instances.
func TestRunLinkPollShared(t *testing.T) {
	host, clock, log := newFakeHost(), newFakeClock(), newLogLines()
	conf := "linkbeat_interfaces {\n  eth1\n}\n" +
		vi("VI_1", 51, 100, "192.0.2.100", "track_interface {", "  eth1", "}") +
		strings.Replace(vi("VI_2", 52, 100, "198.51.100.3/24"), "eth0", "eth1", 1)
	e := runPolled(t, conf, host, clock, log)
	waitFor(t, e, "BACKUP at start, eth1 read", func(st []InstanceStatus) bool {
		return stateIs("BACKUP", "BACKUP")(st) && len(st[0].Trackers) == 1 && st[0].Trackers[0].State == "up"
	})
	clock.set(clock.Now().Add(4 * time.Second))
	waitFor(t, e, "MASTER", stateIs("MASTER", "MASTER"))
	deadline := time.Now().Add(10 * time.Second)
	for host.pollCount("eth1") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("eth1 not polled; log:\n%s", log.all())
		}
		time.Sleep(time.Millisecond)
	}
	for _, up := range []bool{false, true} {
		host.mu.Lock()
		host.linkBeat["eth1"] = netif.LinkEvent{Name: "eth1", Index: 2, Up: up}
		host.mu.Unlock()
		if up {
			waitFor(t, e, "both BACKUP when the poll reads eth1 up", stateIs("BACKUP", "BACKUP"))
		} else {
			waitFor(t, e, "both in FAULT when the poll reads eth1 down", stateIs("FAULT", "FAULT"))
		}
	}
	host.mu.Lock()
	watching := slices.Clone(host.watching)
	host.mu.Unlock()
	if n := log.count("linkbeat: polling the link interface=eth1"); n != 1 || !slices.Equal(watching, []string{"eth0"}) {
		t.Errorf("eth1's poll started %d times, netlink watching %q; want once, eth0\n%s", n, watching, log.all())
	}
	for _, up := range []string{"false", "true"} {
		if n := log.count("linkbeat reports a change interface=eth1 up=" + up); n != 1 {
			t.Errorf("eth1 up=%s logged %d times, want once\n%s", up, n, log.all())
		}
	}
}
