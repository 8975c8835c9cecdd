package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/internal/testlog"
	"github.com/havip/havip/render"
	"github.com/havip/havip/templates"
)

// testDebounce keeps the tests fast; bursts below are microseconds apart.
const testDebounce = 50 * time.Millisecond

// waitFor bounds every wait of these tests.
const waitFor = 5 * time.Second

// conf is a one-instance keepalived.conf whose priority tells versions apart.
func conf(priority int) string {
	return fmt.Sprintf("vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority %d\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n", priority)
}

// fakeEngine records the configs applied to it.
type fakeEngine struct {
	applied chan *config.Config
	failing bool // set before Run: every Apply fails
}

func (f *fakeEngine) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

func (f *fakeEngine) Apply(cfg *config.Config) error {
	if f.failing {
		return errors.New("port eth9/IPv4: no such interface")
	}
	f.applied <- cfg
	return nil
}

// harness is a running supervisor over a fake engine.
type harness struct {
	engine *fakeEngine
	sup    *Supervisor
	log    *testlog.Buffer
	output string
}

// start runs a supervisor on src until the test ends.
func start(t *testing.T, src Source, failing bool) *harness {
	t.Helper()
	h := &harness{engine: &fakeEngine{applied: make(chan *config.Config, 16), failing: failing}, log: &testlog.Buffer{},
		output: filepath.Join(t.TempDir(), "out")}
	h.sup = New(Options{
		Source:    src,
		NewEngine: func(*config.Config, *slog.Logger) (Engine, error) { return h.engine, nil },
		OutputDir: h.output,
		Debounce:  testDebounce,
		Log:       slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.sup.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	h.waitLog(t, "msg=supervising")
	return h
}

// waitLog waits until the log has a line containing every one of want.
func (h *harness) waitLog(t *testing.T, want ...string) {
	t.Helper()
	h.waitLogFrom(t, 0, want...)
}

// waitLogFrom is waitLog over the log from byte offset from on.
func (h *harness) waitLogFrom(t *testing.T, from int, want ...string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		for _, line := range strings.Split(h.log.String()[from:], "\n") {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(line, w)
			}
			if ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q; log:\n%s", want, h.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// applied waits for the next applied config and returns its priority.
func (h *harness) applied(t *testing.T) int {
	t.Helper()
	select {
	case cfg := <-h.engine.applied:
		return int(cfg.Instances[0].Priority)
	case <-time.After(waitFor):
		t.Fatalf("nothing applied within %v; log:\n%s", waitFor, h.log.String())
		return 0
	}
}

// quiet fails if anything is applied within window (several debounces).
func (h *harness) quiet(t *testing.T, window time.Duration) {
	t.Helper()
	select {
	case cfg := <-h.engine.applied:
		t.Fatalf("unexpected apply of priority %d; log:\n%s", cfg.Instances[0].Priority, h.log.String())
	case <-time.After(window):
	}
}

// outputIs checks the operators' copy of the running config.
func (h *harness) outputIs(t *testing.T, want string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(h.output, render.ConfigFile))
	if err != nil || string(got) != want {
		t.Fatalf("output %s = %q (%v), want %q", render.ConfigFile, got, err, want)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// kubeletSwap replays the kubelet's atomic writer: a new timestamped
// directory, ..data_tmp pointing at it, renamed over ..data, the old one
// removed. dir/keepalived.conf is a symlink to ..data/keepalived.conf.
func kubeletSwap(t *testing.T, dir, stamp, text string) {
	t.Helper()
	newDir := filepath.Join(dir, "..2026_11_22_"+stamp)
	if err := os.Mkdir(newDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(newDir, "keepalived.conf"), text)
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	if err := os.Symlink(filepath.Base(newDir), filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReloadOnChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, dir string) string // writes conf(100), returns the config path
		update func(t *testing.T, dir, path, text string)
	}{
		{
			name: "write in place",
			update: func(t *testing.T, _, path, text string) {
				writeFile(t, path, text)
			},
		},
		{
			name: "atomic rename",
			update: func(t *testing.T, dir, path, text string) {
				tmp := filepath.Join(dir, ".keepalived.conf.tmp")
				writeFile(t, tmp, text)
				if err := os.Rename(tmp, path); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "editor removes and recreates",
			update: func(t *testing.T, _, path, text string) {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				writeFile(t, path, text)
			},
		},
		{
			name: "kubelet ..data swap",
			setup: func(t *testing.T, dir string) string {
				kubeletSwap(t, dir, "10_00_00.1", conf(100))
				path := filepath.Join(dir, "keepalived.conf")
				if err := os.Symlink("..data/keepalived.conf", path); err != nil {
					t.Fatal(err)
				}
				return path
			},
			update: func(t *testing.T, dir, _, text string) {
				kubeletSwap(t, dir, "10_05_00.2", text)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "keepalived.conf")
			if tc.setup != nil {
				path = tc.setup(t, dir)
			} else {
				writeFile(t, path, conf(100))
			}
			h := start(t, File{Path: path}, false)
			h.outputIs(t, conf(100))

			tc.update(t, dir, path, conf(150))
			if got := h.applied(t); got != 150 {
				t.Fatalf("applied priority %d, want 150", got)
			}
			h.quiet(t, 4*testDebounce)
			h.outputIs(t, conf(150))
		})
	}
}

func TestBurstIsDebouncedIntoOneReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	writeFile(t, path, conf(100))
	h := start(t, File{Path: path}, false)
	for p := 101; p <= 105; p++ {
		writeFile(t, path, conf(p))
	}
	if got := h.applied(t); got != 105 {
		t.Fatalf("applied priority %d, want the last write's 105", got)
	}
	h.quiet(t, 4*testDebounce)
}

func TestBadConfigKeepsTheRunningOne(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	writeFile(t, path, conf(100))
	h := start(t, File{Path: path}, false)

	writeFile(t, path, strings.Replace(conf(100), "virtual_router_id 51", "virtual_router_id 300", 1))
	h.waitLog(t, "new config rejected", path+":3:")
	h.quiet(t, 4*testDebounce)
	h.outputIs(t, conf(100))

	writeFile(t, path, conf(120))
	if got := h.applied(t); got != 120 {
		t.Fatalf("applied priority %d after the fix, want 120", got)
	}
}

func TestIdenticalConfigIsANoOpUnlessForced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	writeFile(t, path, conf(100))
	h := start(t, File{Path: path}, false)

	writeFile(t, path, conf(100))
	h.waitLog(t, "config unchanged")
	h.quiet(t, 4*testDebounce)

	h.sup.Reload()
	if got := h.applied(t); got != 100 {
		t.Fatalf("forced reload applied priority %d, want 100", got)
	}
}

func TestApplyErrorKeepsTheRunningOne(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	writeFile(t, path, conf(100))
	h := start(t, File{Path: path}, true)

	writeFile(t, path, conf(150))
	h.waitLog(t, "new config rejected", "no such interface")
	h.outputIs(t, conf(100))
}

func TestWatchedDirectoryRecreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "keepalived.conf")
	writeFile(t, path, conf(100))
	h := start(t, File{Path: path}, false)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	h.waitLog(t, "new config rejected", "no such file or directory")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, conf(130))
	if got := h.applied(t); got != 130 {
		t.Fatalf("applied priority %d, want 130", got)
	}
}

func TestFirstConfigMustBeValid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	writeFile(t, path, "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 999\n}\n")
	started := false
	s := New(Options{
		Source:    File{Path: path},
		NewEngine: func(*config.Config, *slog.Logger) (Engine, error) { started = true; return nil, nil },
		Log:       slog.New(slog.DiscardHandler),
	})
	err := s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), path+":3:") || started {
		t.Fatalf("Run = %v (engine started %v), want an error naming %s:3 and no engine", err, started, path)
	}
}

func TestTemplateSource(t *testing.T) {
	c, err := templates.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := c.Template("keepalived")
	if err != nil {
		t.Fatal(err)
	}
	v, err := tpl.Version("0")
	if err != nil {
		t.Fatal(err)
	}
	answers := filepath.Join(t.TempDir(), "answers.txt")
	writeFile(t, answers, "virtual_ip=192.0.2.20\ncheck_port=0\nvrid=60\n")
	facts := render.StaticFacts(render.Facts{Hostname: "n1", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1")}})
	for _, tc := range []struct {
		name    string
		env     map[string]string
		answers string
		want    string // in the keepalived.conf, or in the error
	}{
		{"answers file", nil, "", "192.0.2.20/24 dev eth0"},
		{"environment wins over answers", map[string]string{"VIRTUAL_IP": "192.0.2.30"}, "", "192.0.2.30/24 dev eth0"},
		{"answers re-read on every render", nil, "virtual_ip=192.0.2.40\ncheck_port=0\n", "192.0.2.40/24 dev eth0"},
		{"bad answer named", nil, "virtual_ip=192.0.2.999\n", "virtual_ip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.answers != "" {
				writeFile(t, answers, tc.answers)
			}
			src := Template{Request: render.Request{Template: "keepalived", Version: v, AnswersFile: answers, Env: tc.env, Facts: facts}}
			if got := src.Files(); len(got) != 1 || got[0] != answers {
				t.Fatalf("Files() = %v, want the answers file", got)
			}
			r, err := src.Render()
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = string(r.Text)
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("render: %q does not contain %q", got, tc.want)
			}
		})
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	writeFile(t, notDir, "x")
	for _, tc := range []struct {
		name, dir, want string // want: the error, or "" for success
	}{
		{"creates the directory", filepath.Join(dir, "a", "b"), ""},
		{"replaces the file", filepath.Join(dir, "a", "b"), ""},
		{"output is not a directory", notDir, "output directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := writeAtomic(tc.dir, "keepalived.conf", []byte(tc.name))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			got, rerr := os.ReadFile(filepath.Join(tc.dir, "keepalived.conf"))
			if err != nil || rerr != nil || string(got) != tc.name {
				t.Fatalf("err %v, read %q (%v), want %q", err, got, rerr, tc.name)
			}
			if left, _ := filepath.Glob(filepath.Join(tc.dir, ".keepalived.conf.tmp-*")); len(left) != 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}

// instance is a vrrp_instance block with its own VRID.
func instance(name string, vrid, priority int) string {
	return fmt.Sprintf("vrrp_instance %s {\n  interface eth0\n  virtual_router_id %d\n  priority %d\n  virtual_ipaddress {\n    192.0.2.%d/24\n  }\n}\n", name, vrid, priority, vrid)
}

// nextConfig waits for the next applied config and describes its instances as "NAME:PRIORITY ...".
func (h *harness) nextConfig(t *testing.T) string {
	t.Helper()
	select {
	case cfg := <-h.engine.applied:
		var parts []string
		for _, in := range cfg.Instances {
			parts = append(parts, fmt.Sprintf("%s:%d", in.Name, in.Priority))
		}
		return strings.Join(parts, " ")
	case <-time.After(waitFor):
		t.Fatalf("nothing applied within %v; log:\n%s", waitFor, h.log.String())
		return ""
	}
}

// TestReloadOnIncludedFiles: an included file's edit, a new file matching an
// include pattern, a broken one (rejected, then fixed) and a removed one all
// reload; an edit that changes no setting does not.
func TestReloadOnIncludedFiles(t *testing.T) {
	dir := t.TempDir()
	confD := filepath.Join(dir, "conf.d")
	if err := os.Mkdir(confD, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "keepalived.conf")
	writeFile(t, path, "include conf.d/*.conf\n"+instance("VI_1", 51, 100))
	writeFile(t, filepath.Join(confD, "a.conf"), instance("VI_2", 52, 50))
	h := start(t, File{Path: path}, false)

	steps := []struct {
		name   string
		change func()
		want   string // "" = rejected or unchanged: nothing applied
		log    string // a log line the step must produce
	}{
		{"edit an included file", func() { writeFile(t, filepath.Join(confD, "a.conf"), instance("VI_2", 52, 60)) }, "VI_2:60 VI_1:100", ""},
		{"a new file matches the pattern", func() { writeFile(t, filepath.Join(confD, "b.conf"), instance("VI_3", 53, 70)) }, "VI_2:60 VI_3:70 VI_1:100", ""},
		{"a broken new file is rejected", func() {
			writeFile(t, filepath.Join(confD, "c.conf"), strings.Replace(instance("VI_4", 54, 80), "virtual_router_id 54", "virtual_router_id 300", 1))
		}, "", "c.conf:3: error: virtual_router_id: "},
		{"fixing it applies", func() { writeFile(t, filepath.Join(confD, "c.conf"), instance("VI_4", 54, 80)) }, "VI_2:60 VI_3:70 VI_4:80 VI_1:100", ""},
		{"removing a file applies", func() {
			if err := os.Remove(filepath.Join(confD, "b.conf")); err != nil {
				t.Fatal(err)
			}
		}, "VI_2:60 VI_4:80 VI_1:100", ""},
		{"a comment changes no setting", func() {
			writeFile(t, filepath.Join(confD, "a.conf"), "# owned by the web team\n"+instance("VI_2", 52, 60))
		}, "", "msg=\"config unchanged\""},
	}
	for _, step := range steps {
		mark := len(h.log.String())
		step.change()
		if step.want != "" {
			if got := h.nextConfig(t); got != step.want {
				t.Fatalf("%s: applied %q, want %q", step.name, got, step.want)
			}
		}
		if step.log != "" {
			h.waitLogFrom(t, mark, step.log)
		}
		h.quiet(t, 4*testDebounce)
	}
	out, err := os.ReadFile(filepath.Join(h.output, render.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("# "+path+" with its 2 included files, expanded by havip\n")) || !bytes.Contains(out, []byte("vrrp_instance VI_4")) {
		t.Errorf("operators' copy is not the expanded config:\n%s", out)
	}
}
