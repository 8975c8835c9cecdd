package engine

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/internal/fieldtest"
	"github.com/havip/havip/runtime/script"
	"github.com/havip/havip/runtime/track"
)

// TestTrackerSpecEqual: a spec equals a copy of itself with its own
// pointers and slices, and differs from it once any part of the kind's
// spec (or a script's policy) changes, so that a reload replaces a tracker
// whatever setting of it changed.
func TestTrackerSpecEqual(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	identity := func() *script.Identity {
		return &script.Identity{User: "u", Group: "g", UID: 1, GID: 2, Groups: []uint32{3, 4}}
	}
	tests := []struct {
		name  string
		spec  func() trackerSpec
		parts func(s *trackerSpec) []any // pointers to the parts equal compares
	}{
		{"interface", func() trackerSpec {
			return trackerSpec{kind: track.KindInterface, iface: track.InterfaceSpec{Name: "eth0", NetNS: "/run/netns/a"}}
		}, func(s *trackerSpec) []any { return []any{&s.iface} }},
		{"script", func() trackerSpec {
			return trackerSpec{kind: track.KindScript,
				script: track.ScriptSpec{Name: "chk", Command: script.Command{Text: "/bin/chk a", Args: []string{"/bin/chk", "a"}},
					Interval: time.Second, Timeout: 2 * time.Second, Rise: 2, Fall: 3, InitFail: true, As: identity()},
				runner: script.Runner{As: identity(), Timeout: time.Second, KillGrace: time.Second, MaxOutput: 10,
					DrainGrace: time.Second, Security: true, Log: log}}
		}, func(s *trackerSpec) []any { return []any{&s.script, &s.runner} }},
		{"process", func() trackerSpec {
			quorumMax := 3
			return trackerSpec{kind: track.KindProcess, process: track.ProcessSpec{Name: "p", Process: "sshd", Args: []string{"-D", "-e"},
				FullCommand: true, ParamMatch: track.ParamPartial, Quorum: 2, QuorumMax: &quorumMax,
				ForkDelay: time.Second, TerminateDelay: 2 * time.Second, Rescan: 3 * time.Second}}
		}, func(s *trackerSpec) []any { return []any{&s.process} }},
		{"file", func() trackerSpec {
			v := int64(5)
			return trackerSpec{kind: track.KindFile, file: track.FileSpec{Name: "f", Path: "/run/f", InitValue: &v, InitOverwrite: true}}
		}, func(s *trackerSpec) []any { return []any{&s.file} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.spec().equal(tt.spec()) {
				t.Fatal("a spec differs from its copy")
			}
			other := tt.spec()
			other.kind++
			if tt.spec().equal(other) {
				t.Error("equal to a spec of another kind")
			}
			changes := 0
			for part := range len(tt.parts(&other)) {
				for n := 0; ; n++ {
					s := tt.spec()
					v := reflect.ValueOf(tt.parts(&s)[part]).Elem()
					if !fieldtest.Change(t, v, n) {
						break
					}
					changes++
					if tt.spec().equal(s) {
						t.Errorf("change %d of %s still equal: %+v", n, v.Type(), v.Interface())
					}
				}
			}
			if changes == 0 {
				t.Fatal("nothing changed")
			}
		})
	}
}

// TestReloadKeepsUnchangedTrackers: a reload keeps each tracker whose spec
// is unchanged, running as it is, and replaces the one whose spec changed.
func TestReloadKeepsUnchangedTrackers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tf")
	conf := func(edit func(string) string) string {
		text := "vrrp_script chk {\n  script /bin/true\n  interval 1\n}\n" +
			"vrrp_track_process proc {\n  process sshd\n  quorum 1\n}\n" +
			"track_file tf {\n  file " + file + "\n}\n" +
			vi("VI_1", 51, 100, "192.0.2.100", "track_script {", "  chk", "}", "track_process {", "  proc", "}",
				"track_file {", "  tf", "}", "track_interface {", "  eth1", "}")
		return edit(text)
	}
	same := func(s string) string { return s }
	keys := []track.Key{
		{Kind: track.KindScript, Name: "chk"},
		{Kind: track.KindProcess, Name: "proc"},
		{Kind: track.KindFile, Name: "tf"},
		{Kind: track.KindInterface, Name: "eth1"},
	}
	tests := []struct {
		name     string
		edit     func(string) string
		replaced []track.Key
	}{
		{"unchanged", same, nil},
		{"a weight of a reference", func(s string) string {
			return strings.Replace(s, "    chk\n", "    chk weight 10\n", 1)
		}, nil},
		{"script interval", func(s string) string {
			return strings.Replace(s, "interval 1\n", "interval 2\n", 1)
		}, keys[:1]},
		{"script security", func(s string) string {
			return "global_defs {\n  enable_script_security\n  script_user root\n}\n" + s
		}, keys[:1]},
		{"process quorum", func(s string) string {
			return strings.Replace(s, "quorum 1\n", "quorum 2\n", 1)
		}, keys[1:2]},
		{"process parameters", func(s string) string {
			return strings.Replace(s, "process sshd\n", "process sshd -D\n", 1)
		}, keys[1:2]},
		{"file init_file", func(s string) string {
			return strings.Replace(s, "file "+file+"\n", "file "+file+"\n  init_file 3\n", 1)
		}, keys[2:3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, conf(same))
			before := map[track.Key]*trackerRun{}
			for _, k := range keys {
				if before[k] = r.e.trackers[k]; before[k] == nil {
					t.Fatalf("no %s tracker", k)
				}
			}
			if err := r.apply(conf(tt.edit)); err != nil {
				t.Fatal(err)
			}
			var replaced []track.Key
			for _, k := range keys {
				if r.e.trackers[k] != before[k] {
					replaced = append(replaced, k)
				}
			}
			if fmt.Sprint(replaced) != fmt.Sprint(tt.replaced) {
				t.Errorf("replaced %v, want %v", replaced, tt.replaced)
			}
		})
	}
}
