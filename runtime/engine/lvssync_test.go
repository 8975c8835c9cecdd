package engine

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/lvssync"
)

// newSyncRig is newRig with a recording sync daemon, and the engine's log
// in a buffer.
func newSyncRig(t *testing.T, text string, rec *lvssync.Recorder) (*rig, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	r := &rig{t: t, host: newFakeHost(), clock: newFakeClock()}
	e, err := NewWithOptions(parseConfig(t, text), Options{Log: slog.New(slog.NewTextHandler(&log, nil)), Host: r.host, Clock: r.clock, SyncDaemon: rec})
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	return r, &log
}

func syncGlobal(line string) string { return "global_defs {\n  " + line + "\n}\n" }

// TestSyncDaemonFollowsInstance drives the instance lvs_sync_daemon names
// through MASTER and back, with another instance beside it.
func TestSyncDaemonFollowsInstance(t *testing.T) {
	const (
		backup = "start backup eth1 id 5 port 8849"
		master = "start master eth1 id 5 port 8849"
	)
	rec := &lvssync.Recorder{}
	r, _ := newSyncRig(t, syncGlobal("lvs_sync_daemon eth1 inst VI_1 id 5 port 8849")+
		vi("VI_1", 51, 100, "192.0.2.100")+vi("VI_2", 52, 100, "192.0.2.101"), rec)
	steps := []struct {
		name   string
		do     func()
		states string
		calls  []string
	}{
		{"start", func() { r.start() }, "VI_1=BACKUP VI_2=BACKUP", []string{backup}},
		{"no master heard", func() { r.advance(4 * time.Second) }, "VI_1=MASTER VI_2=MASTER", []string{"stop backup id 5", master}},
		{"a higher priority master", func() { r.advert("eth0", ip(peer), group4, 51, 200, "192.0.2.100") }, "VI_1=BACKUP VI_2=MASTER", []string{"stop master id 5", backup}},
		{"the other instance yields", func() { r.advert("eth0", ip(peer), group4, 52, 200, "192.0.2.101") }, "VI_1=BACKUP VI_2=BACKUP", nil},
		{"the peer falls silent", func() { r.advance(4 * time.Second) }, "VI_1=MASTER VI_2=MASTER", []string{"stop backup id 5", master}},
		{"link down", func() { r.link("eth0", false) }, "VI_1=FAULT VI_2=FAULT", []string{"stop master id 5", backup}},
		{"link up", func() { r.link("eth0", true) }, "VI_1=BACKUP VI_2=BACKUP", nil},
		{"master again", func() { r.advance(4 * time.Second) }, "VI_1=MASTER VI_2=MASTER", []string{"stop backup id 5", master}},
		{"exit", func() { r.stop() }, "VI_1=STOP VI_2=STOP", []string{"stop master id 5"}},
	}
	for _, s := range steps {
		s.do()
		if got := r.states(); got != s.states {
			t.Fatalf("%s: states %s, want %s", s.name, got, s.states)
		}
		if got := rec.Calls(); !slices.Equal(got, s.calls) {
			t.Fatalf("%s: sync daemon calls %q, want %q", s.name, got, s.calls)
		}
	}
	if rec.Running(lvssync.Master) || rec.Running(lvssync.Backup) {
		t.Fatal("a sync daemon runs after exit")
	}
}

func TestSyncDaemonStartAndExit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		text       string
		start      []string
		afterElect []string
		exit       []string
	}{{
		name:       "no instance: both daemons from start to exit",
		text:       syncGlobal("lvs_sync_daemon eth1 maxlen 1400 ttl 2 group 239.0.0.81") + vi("VI_1", 51, 100, "192.0.2.100"),
		start:      []string{"start master eth1 id 0 maxlen 1400 ttl 2 group 239.0.0.81", "start backup eth1 id 0 maxlen 1400 ttl 2 group 239.0.0.81"},
		afterElect: nil,
		exit:       []string{"stop master id 0", "stop backup id 0"},
	}, {
		name:       "deprecated instance keyword: sync id 0",
		text:       vi("VI_1", 51, 100, "192.0.2.100", "lvs_sync_daemon_interface eth1"),
		start:      []string{"start backup eth1 id 0"},
		afterElect: []string{"stop backup id 0", "start master eth1 id 0"},
		exit:       []string{"stop master id 0"},
	}, {
		name:       "default sync id: the VRID",
		text:       syncGlobal("lvs_sync_daemon eth1 VI_1") + vi("VI_1", 51, 100, "192.0.2.100"),
		start:      []string{"start backup eth1 id 51"},
		afterElect: []string{"stop backup id 51", "start master eth1 id 51"},
		exit:       []string{"stop master id 51"},
	}, {
		name:       "address owner: MASTER at once",
		text:       syncGlobal("lvs_sync_daemon eth1 VI_1") + vi("VI_1", 51, 255, "192.0.2.100"),
		start:      []string{"start backup eth1 id 51", "stop backup id 51", "start master eth1 id 51"},
		afterElect: nil,
		exit:       []string{"stop master id 51"},
	}, {
		name:       "no lvs_sync_daemon",
		text:       vi("VI_1", 51, 100, "192.0.2.100"),
		start:      nil,
		afterElect: nil,
		exit:       nil,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &lvssync.Recorder{}
			r, _ := newSyncRig(t, tc.text, rec)
			for _, s := range []struct {
				name string
				do   func()
				want []string
			}{
				{"start", func() { r.start() }, tc.start},
				{"election", func() { r.advance(4 * time.Second) }, tc.afterElect},
				{"exit", func() { r.stop() }, tc.exit},
			} {
				s.do()
				if got := rec.Calls(); !slices.Equal(got, s.want) {
					t.Fatalf("%s: sync daemon calls %q, want %q", s.name, got, s.want)
				}
			}
		})
	}
}

// TestSyncDaemonWithoutIPVS: the kernel's refusal is logged once, the
// instances run.
func TestSyncDaemonWithoutIPVS(t *testing.T) {
	rec := &lvssync.Recorder{Err: fmt.Errorf("starting the backup sync daemon: %w", lvssync.ErrUnavailable)}
	r, log := newSyncRig(t, syncGlobal("lvs_sync_daemon eth1 inst VI_1")+vi("VI_1", 51, 100, "192.0.2.100"), rec)
	r.start()
	r.advance(4 * time.Second)
	r.advert("eth0", ip(peer), group4, 51, 200, "192.0.2.100")
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("states %s", got)
	}
	r.stop()
	if got := rec.Calls(); !slices.Equal(got, []string{"start backup eth1 id 51"}) {
		t.Fatalf("calls %q, want one start", got)
	}
	if n := strings.Count(log.String(), "the LVS sync daemon is not started"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, log)
	}
	if !strings.Contains(log.String(), "level=WARN") || strings.Contains(log.String(), "level=ERROR") {
		t.Fatalf("want a warning and no error:\n%s", log)
	}
}

// TestSyncDaemonReload: a reload that changes lvs_sync_daemon restarts the
// daemon in the instance's state; one that keeps it touches nothing.
func TestSyncDaemonReload(t *testing.T) {
	vis := vi("VI_1", 51, 100, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.101")
	rec := &lvssync.Recorder{}
	r, _ := newSyncRig(t, syncGlobal("lvs_sync_daemon eth1 inst VI_1 id 5")+vis, rec)
	r.start()
	r.advance(4 * time.Second)
	r.advert("eth0", ip(peer), group4, 52, 200, "192.0.2.101")
	if got := r.states(); got != "VI_1=MASTER VI_2=BACKUP" {
		t.Fatalf("states %s", got)
	}
	rec.Calls()
	for _, s := range []struct {
		name string
		text string
		want []string
	}{
		{"unchanged", syncGlobal("lvs_sync_daemon  eth1  inst VI_1 id 5") + vis, nil},
		{"new id", syncGlobal("lvs_sync_daemon eth1 inst VI_1 id 6") + vis, []string{"stop master id 5", "start master eth1 id 6"}},
		{"follows a BACKUP", syncGlobal("lvs_sync_daemon eth1 inst VI_2 id 6") + vis, []string{"stop master id 6", "start backup eth1 id 6"}},
		{"removed", vis, []string{"stop backup id 6"}},
		{"added, MASTER instance", syncGlobal("lvs_sync_daemon eth2 VI_1") + vis, []string{"start master eth2 id 51"}},
		{"no instance", syncGlobal("lvs_sync_daemon eth2") + vis, []string{"stop master id 51", "start master eth2 id 0", "start backup eth2 id 0"}},
	} {
		if err := r.e.reload(parseConfig(t, s.text)); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := rec.Calls(); !slices.Equal(got, s.want) {
			t.Fatalf("%s: sync daemon calls %q, want %q", s.name, got, s.want)
		}
	}
	r.stop()
	if got := rec.Calls(); !slices.Equal(got, []string{"stop master id 0", "stop backup id 0"}) {
		t.Fatalf("exit: %q", got)
	}
}
