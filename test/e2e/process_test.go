package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// keepalived's process contract, with havip in keepalived's place: the
// keepalived symlink, signals, pid files, state dumps and systemd
// notifications, checked against the real keepalived where it has an
// answer.

// keepalivedLink makes a keepalived symlink to the havip binary, as the
// Debian-style layout installs it.
func keepalivedLink(t *testing.T) string {
	t.Helper()
	link := filepath.Join(t.TempDir(), "keepalived")
	if err := os.Symlink(havipBin, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// shortDir is a directory for unix sockets, whose paths have at most 107
// bytes (t.TempDir() can be longer).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// notifySocket is a fake systemd notify socket recording what it receives.
type notifySocket struct {
	path string
	mu   sync.Mutex
	msgs []string // each datagram's first line (READY=1, RELOADING=1…)
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	n := &notifySocket{path: filepath.Join(shortDir(t), "notify")}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			first, _, _ := strings.Cut(string(buf[:k]), "\n")
			n.mu.Lock()
			n.msgs = append(n.msgs, first)
			n.mu.Unlock()
		}
	}()
	return n
}

func (n *notifySocket) received() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.msgs)
}

// waitFor waits until the datagrams received are want, in order.
func (n *notifySocket) waitFor(t *testing.T, want ...string) {
	t.Helper()
	lab.Eventually(t, reloadTimeout, fmt.Sprintf("notifications %v", want), func() bool {
		return slices.Equal(n.received(), want)
	})
}

func writeConf(t *testing.T, path, conf string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readPid reads a pid file.
func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %q", path, b)
	}
	return pid
}

func TestKeepalivedSymlinkAsDebianUnit(t *testing.T) {
	l := lab.New(t, lab.Options{Nodes: 1})
	n := l.Nodes[0]
	dir := t.TempDir()
	confPath, pidPath, vrrpPidPath := filepath.Join(dir, "keepalived.conf"), filepath.Join(dir, "keepalived.pid"), filepath.Join(dir, "vrrp.pid")
	conf := instanceConf{Priority: 150, VIPs: []string{vipA.String()}}
	writeConf(t, confPath, noSecondBurst+conf.conf())
	// A stale pid file from a crash: a pid that is not keepalived's.
	writeConf(t, pidPath, "1\n")
	notify := listenNotify(t)
	sockDir := shortDir(t)

	// ExecStart=/usr/sbin/keepalived --dont-fork $DAEMON_ARGS, Type=notify.
	p := n.Start(t, "keepalived-symlink", "env", "NOTIFY_SOCKET="+notify.path,
		"HAVIP_STATUS_SOCKET="+filepath.Join(sockDir, "status.sock"), "HAVIP_DUMP_DIR="+dir,
		keepalivedLink(t), "--dont-fork", "-D", "-f", confPath, "-p", pidPath, "-r", vrrpPidPath)
	s := &speaker{node: n, proc: p}
	s.WaitState(t, "VI_1", "MASTER", electionTimeout)
	lab.Eventually(t, reloadTimeout, "the VIP on the master", func() bool { return n.HasAddr(t, "eth0", vipA) })
	notify.waitFor(t, "READY=1")
	for _, f := range []string{pidPath, vrrpPidPath} {
		if pid := readPid(t, f); pid != p.Pid() {
			t.Errorf("%s holds %d, want the daemon's pid %d", f, pid, p.Pid())
		}
	}

	// ExecReload=/bin/kill -HUP $MAINPID, after an edit.
	before := s.transitions("VI_1")
	conf.VIPs = append(conf.VIPs, vipAdded.String())
	writeConf(t, confPath, noSecondBurst+conf.conf())
	n.Exec(t, "sh", "-c", "kill -HUP $(cat "+pidPath+")")
	s.waitLog(t, "config applied", "changed=1", reloadTimeout)
	lab.Eventually(t, reloadTimeout, "the added VIP", func() bool { return n.HasAddr(t, "eth0", vipAdded) })
	if !n.HasAddr(t, "eth0", vipA) {
		t.Error("the held VIP was dropped by the reload")
	}
	if after := s.transitions("VI_1"); after != before {
		t.Errorf("VI_1 logged %d transitions during the reload, want none\n%s", after-before, p.Output())
	}
	notify.waitFor(t, "READY=1", "RELOADING=1", "READY=1")

	// systemctl stop: SIGTERM.
	n.Exec(t, "sh", "-c", "kill -TERM $(cat "+pidPath+")")
	if err := p.Wait(10 * time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, p.Output())
	}
	if n.HasAddr(t, "eth0", vipA) || n.HasAddr(t, "eth0", vipAdded) {
		t.Error("VIPs left behind after SIGTERM")
	}
	for _, f := range []string{pidPath, vrrpPidPath} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("pid file %s still there after stop (%v)", f, err)
		}
	}
	notify.waitFor(t, "READY=1", "RELOADING=1", "READY=1", "STOPPING=1")
}

// startRun runs `havip run` on conf in node, its dumps into a directory of
// the test's.
func startRun(t *testing.T, node *lab.Node, conf string) (*speaker, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	writeConf(t, path, conf)
	sock := filepath.Join(shortDir(t), "status.sock")
	p := node.Start(t, "havip-run-"+node.NS, havipBin, "run", "-f", path, "--status-socket", sock, "--dump-dir", dir)
	return &speaker{node: node, proc: p, status: sock}, dir
}

// Before the fix, SIGHUP ended `havip run` (exit 129) with the VIP left on
// the interface.
func TestRunSurvivesSIGHUP(t *testing.T) {
	l := lab.New(t, lab.Options{Nodes: 1})
	n := l.Nodes[0]
	s, dir := startRun(t, n, noSecondBurst+instanceConf{Priority: 150, VIPs: []string{vipA.String()}}.conf())
	s.WaitState(t, "VI_1", "MASTER", electionTimeout)
	before := s.transitions("VI_1")
	if err := s.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, "config reloaded", "sha256=", reloadTimeout)
	holdsFor(t, time.Second, "havip running with the VIP after SIGHUP", func() bool {
		return s.proc.Wait(0) != nil && n.HasAddr(t, "eth0", vipA)
	})
	if after := s.transitions("VI_1"); after != before {
		t.Errorf("SIGHUP caused %d transitions", after-before)
	}

	// A broken edit: logged with file:line, the running config kept.
	path := filepath.Join(dir, "keepalived.conf")
	writeConf(t, path, "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n}\n")
	if err := s.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, "new config rejected; the running config keeps running", path+":3:", reloadTimeout)
	holdsFor(t, time.Second, "havip running with the VIP after a rejected reload", func() bool {
		return s.proc.Wait(0) != nil && n.HasAddr(t, "eth0", vipA)
	})
	if after := s.transitions("VI_1"); after != before {
		t.Errorf("the rejected reload caused %d transitions", after-before)
	}
	s.Stop(t)
	if n.HasAddr(t, "eth0", vipA) {
		t.Error("VIP left after SIGTERM")
	}
}

func TestNoSignalLeavesAVIPBehind(t *testing.T) {
	l := lab.New(t, lab.Options{Nodes: 1})
	n := l.Nodes[0]
	conf := noSecondBurst + instanceConf{Priority: 150, VIPs: []string{vipA.String()}}.conf()

	// Signals a Go program would ignore or die on (32 and 34 even when caught: havip ignores
	// them at the kernel), that havip takes as keepalived does or ignores.
	s, dir := startRun(t, n, conf)
	s.WaitState(t, "VI_1", "MASTER", electionTimeout)
	stops := []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGILL, syscall.SIGTRAP, syscall.SIGABRT, syscall.SIGBUS,
		syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGTERM, syscall.SIGSTKFLT, syscall.SIGSYS}
	// Every other signal but HUP (reload), KILL, and those that stop or continue a process.
	skip := append([]syscall.Signal{syscall.SIGHUP, syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN,
		syscall.SIGTTOU, syscall.SIGCONT}, stops...)
	for sig := syscall.Signal(1); sig <= 64; sig++ {
		if slices.Contains(skip, sig) {
			continue
		}
		if err := s.proc.Signal(sig); err != nil {
			t.Fatalf("%v: %v", sig, err)
		}
	}
	for _, f := range []string{"keepalived.data", "keepalived.stats", "keepalived.json"} {
		s.waitLog(t, "state dumped", f, reloadTimeout)
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	s.waitLog(t, "statistics cleared", "", reloadTimeout)
	holdsFor(t, time.Second, "havip running with the VIP", func() bool {
		return s.proc.Wait(0) != nil && n.HasAddr(t, "eth0", vipA)
	})
	s.Stop(t)

	// Signals that end a Go program by default: each releases first.
	for _, sig := range stops {
		t.Run(sig.String(), func(t *testing.T) {
			s, _ := startRun(t, n, conf)
			s.WaitState(t, "VI_1", "MASTER", electionTimeout)
			lab.Eventually(t, reloadTimeout, "the VIP", func() bool { return n.HasAddr(t, "eth0", vipA) })
			if err := s.proc.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := s.proc.Wait(10 * time.Second); err != nil {
				t.Fatalf("after %v: %v\n%s", sig, err, s.proc.Output())
			}
			if !strings.Contains(s.proc.Output(), "instances released") || n.HasAddr(t, "eth0", vipA) {
				t.Fatalf("%v did not release the VIP:\n%s", sig, s.proc.Output())
			}
		})
	}
}

// privateTmpDaemon runs a keepalived command line (the real keepalived, or
// havip through the symlink) in node with a private /tmp, where it writes
// its dumps; pid files go to dir, which must be outside /tmp.
type privateTmpDaemon struct {
	proc    *lab.Process
	pidFile string
}

func startPrivateTmp(t *testing.T, node *lab.Node, name, binary, confPath, dir string) *privateTmpDaemon {
	t.Helper()
	pidFile := filepath.Join(dir, name+".pid")
	script := fmt.Sprintf("mount -t tmpfs tmpfs /tmp && exec %s --dont-fork -l -D -f %s -p %s -r %s",
		binary, confPath, pidFile, filepath.Join(dir, name+"-vrrp.pid"))
	p := node.Start(t, name, "unshare", "--mount", "--propagation", "private", "env", "HAVIP_STATUS_SOCKET="+filepath.Join(dir, name+".sock"), "sh", "-c", script)
	return &privateTmpDaemon{proc: p, pidFile: pidFile}
}

// dump signals the daemon and reads the file it writes into its /tmp.
func (d *privateTmpDaemon) dump(t *testing.T, sig syscall.Signal, file string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(d.pidFile)
	if err != nil {
		return "", false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return "", false
	}
	path := fmt.Sprintf("/proc/%d/root/tmp/%s", pid, file)
	old, _ := os.Stat(path)
	if err := syscall.Kill(pid, sig); err != nil {
		return "", false
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := os.Stat(path); err == nil && (old == nil || !os.SameFile(st, old) || st.ModTime() != old.ModTime()) {
			if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
				return string(b), true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", false
}

// dumps is one daemon's three dumps, parsed.
type dumps struct {
	data  map[string]*lab.DataInstance
	stats map[string]map[string]uint64
	json  []struct {
		Data  map[string]any `json:"data"`
		Stats map[string]any `json:"stats"`
	}
}

// takeDumps waits until the daemon's data dump shows states, then takes
// its stats and JSON dumps.
func (d *privateTmpDaemon) takeDumps(t *testing.T, states map[string]string) dumps {
	t.Helper()
	var out dumps
	last := "no dump"
	deadline := time.Now().Add(2 * electionTimeout)
	for {
		text, ok := d.dump(t, syscall.SIGUSR1, "keepalived.data")
		if ok {
			data, err := lab.ParseData(text)
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			last = text
			if hasStates(data, states) {
				out.data = data
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no data dump with %v after %v; last:\n%s\nlog:\n%s", states, 2*electionTimeout, last, d.proc.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	text, ok := d.dump(t, syscall.SIGUSR2, "keepalived.stats")
	if !ok {
		t.Fatalf("no stats dump\n%s", d.proc.Output())
	}
	var err error
	if out.stats, err = lab.ParseStats(text); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if text, ok = d.dump(t, 36, "keepalived.json"); !ok {
		t.Fatalf("no JSON dump\n%s", d.proc.Output())
	}
	if err := json.Unmarshal([]byte(text), &out.json); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return out
}

// hasStates reports whether every instance of states is in its state.
func hasStates(data map[string]*lab.DataInstance, states map[string]string) bool {
	for name, state := range states {
		if data[name] == nil || data[name].Fields["State"] != state {
			return false
		}
	}
	return true
}

func (d *privateTmpDaemon) stop(t *testing.T) {
	t.Helper()
	if err := d.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.proc.Wait(15 * time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, d.proc.Output())
	}
}

func TestDumpsParseLikeKeepalived(t *testing.T) {
	l := lab.New(t, lab.Options{Nodes: 2})
	n1, n2 := l.Nodes[0], l.Nodes[1]
	// n2 is VI_2's master, so that n1 has a BACKUP.
	peer := instanceConf{Name: "VI_2", VRID: 52, Priority: 200, VIPs: []string{vipB.String()}}
	n2.StartKeepalived(t, peer.conf())

	dir, err := os.MkdirTemp("/run", "havip-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	conf := "global_defs {\n  router_id dumps\n}\n" +
		"vrrp_script bad {\n  script \"/bin/false\"\n  interval 1\n}\n" +
		instanceConf{Priority: 150, VIPs: []string{vipA.String()}}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: 100, VIPs: []string{vipB.String()}}.conf() +
		instanceConf{Name: "VI_3", VRID: 53, Priority: 90, VIPs: []string{"192.0.2.103/24"}, AuthPass: "secret",
			Extra: "  track_script {\n    bad\n  }\n"}.conf()
	confPath := filepath.Join(dir, "keepalived.conf")
	writeConf(t, confPath, conf)
	states := map[string]string{"VI_1": "MASTER", "VI_2": "BACKUP", "VI_3": "FAULT"}

	ka := startPrivateTmp(t, n1, "keepalived", "keepalived", confPath, dir)
	want := ka.takeDumps(t, states)
	ka.stop(t)
	// The binary outside /tmp too, which the private tmpfs hides.
	bin := filepath.Join(dir, "havip")
	copyFile(t, havipBin, bin)
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "keepalived")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	hv := startPrivateTmp(t, n1, "havip", link, confPath, dir)
	got := hv.takeDumps(t, states)
	hv.stop(t)

	if !slices.Equal(slices.Sorted(maps.Keys(got.data)), slices.Sorted(maps.Keys(want.data))) {
		t.Fatalf("data instances %v, keepalived %v", slices.Sorted(maps.Keys(got.data)), slices.Sorted(maps.Keys(want.data)))
	}
	kernelOnly := []string{"Read timeout", "Master down timer", "Last transition"}
	for name, w := range want.data {
		g := got.data[name]
		for k, wv := range w.Fields {
			if slices.Contains(kernelOnly, k) {
				continue
			}
			if v, ok := lab.DeliberateData[k]; ok {
				wv = v
			}
			if gv, ok := g.Fields[k]; !ok || gv != wv {
				t.Errorf("data %s: %q = %q (present %v), keepalived %q", name, k, gv, ok, wv)
			}
		}
		if !slices.Equal(g.VIPs, w.VIPs) {
			t.Errorf("data %s: VIPs %q, keepalived %q", name, g.VIPs, w.VIPs)
		}
	}
	for name, w := range want.stats {
		if !slices.Equal(slices.Sorted(maps.Keys(got.stats[name])), slices.Sorted(maps.Keys(w))) {
			t.Errorf("stats %s: counters %v, keepalived %v", name, slices.Sorted(maps.Keys(got.stats[name])), slices.Sorted(maps.Keys(w)))
		}
	}
	if len(got.json) != len(want.json) {
		t.Fatalf("JSON: %d instances, keepalived %d", len(got.json), len(want.json))
	}
	for i, w := range want.json {
		g := got.json[i]
		if !slices.Equal(slices.Sorted(maps.Keys(g.Data)), slices.Sorted(maps.Keys(w.Data))) ||
			!slices.Equal(slices.Sorted(maps.Keys(g.Stats)), slices.Sorted(maps.Keys(w.Stats))) {
			t.Errorf("JSON %v keys:\n%v %v\nkeepalived:\n%v %v", w.Data["iname"], slices.Sorted(maps.Keys(g.Data)), slices.Sorted(maps.Keys(g.Stats)),
				slices.Sorted(maps.Keys(w.Data)), slices.Sorted(maps.Keys(w.Stats)))
		}
		for _, k := range []string{"iname", "state", "wantstate", "vrid", "ifp_ifname", "base_priority", "effective_priority", "vips", "vipset", "auth_type", "version"} {
			if gj, wj := fmt.Sprint(g.Data[k]), fmt.Sprint(w.Data[k]); gj != wj {
				t.Errorf("JSON %v %s = %s, keepalived %s", w.Data["iname"], k, gj, wj)
			}
		}
	}
}

// exitCode runs args in node and returns the exit code.
func exitCode(t *testing.T, node *lab.Node, args ...string) (int, string) {
	t.Helper()
	out, err := node.Try(args...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out
	case errors.As(err, &ee):
		return ee.ExitCode(), out
	}
	t.Fatalf("%v\n%s", err, out)
	return 0, ""
}

func TestKeepalivedConfigTestExitCodes(t *testing.T) {
	l := lab.New(t, lab.Options{Nodes: 1})
	n := l.Nodes[0]
	dir := t.TempDir()
	link := keepalivedLink(t)
	good := instanceConf{Priority: 100, VIPs: []string{vipA.String()}}.conf()
	for _, tc := range []struct {
		name, conf string
		code       int
	}{
		{"good", good, 0},
		{"unknown keyword", strings.Replace(good, "  priority 100\n", "  priorty 100\n", 1), 5},
		{"script without script security", "vrrp_script chk {\n  script \"/bin/true\"\n}\n" +
			instanceConf{Priority: 100, VIPs: []string{vipA.String()}, Extra: "  track_script {\n    chk\n  }\n"}.conf(), 6},
		{"script without script security and an unknown keyword", "vrrp_script chk {\n  script \"/bin/true\"\n}\n" +
			instanceConf{Priority: 100, VIPs: []string{vipA.String()}, Extra: "  track_script {\n    chk\n  }\n  priorty 5\n"}.conf(), 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".conf")
			writeConf(t, path, tc.conf)
			kaCode, kaOut := exitCode(t, n, "keepalived", "-t", "-f", path)
			hvCode, hvOut := exitCode(t, n, link, "-t", "-f", path)
			t.Logf("keepalived -t: %d %q; havip as keepalived -t: %d %q", kaCode, kaOut, hvCode, hvOut)
			if kaCode != tc.code {
				t.Fatalf("the reference moved: keepalived -t exits %d, want %d:\n%s", kaCode, tc.code, kaOut)
			}
			if hvCode != kaCode {
				t.Errorf("havip as keepalived -t exits %d, keepalived %d\nhavip:\n%s\nkeepalived:\n%s", hvCode, kaCode, hvOut, kaOut)
			}
		})
	}
}

// Without --dont-fork the symlink daemonizes as keepalived: the command
// returns once the daemon runs its config, and the daemon lives on.
func TestKeepalivedSymlinkDaemonizes(t *testing.T) {
	l := lab.New(t, lab.Options{Nodes: 1})
	n := l.Nodes[0]
	dir := t.TempDir()
	confPath, pidPath := filepath.Join(dir, "keepalived.conf"), filepath.Join(dir, "keepalived.pid")
	writeConf(t, confPath, noSecondBurst+instanceConf{Priority: 150, VIPs: []string{vipA.String()}}.conf())
	link := keepalivedLink(t)
	env := []string{"env", "HAVIP_STATUS_SOCKET=" + filepath.Join(shortDir(t), "status.sock"), "HAVIP_DUMP_DIR=" + dir}

	out := n.Exec(t, append(env, link, "-f", confPath, "-p", pidPath, "-r", filepath.Join(dir, "vrrp.pid"))...)
	pid := readPid(t, pidPath)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if out != "" {
		t.Errorf("the parent printed %q", out)
	}
	lab.Eventually(t, electionTimeout, "the daemon's VIP", func() bool { return n.HasAddr(t, "eth0", vipA) })
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("the daemon (pid %d): %v", pid, err)
	}
	lab.Eventually(t, 10*time.Second, "the daemon gone and its pid file removed", func() bool {
		_, err := os.Stat(pidPath)
		return syscall.Kill(pid, 0) != nil && errors.Is(err, os.ErrNotExist)
	})
	if n.HasAddr(t, "eth0", vipA) {
		t.Error("VIP left after SIGTERM")
	}

	// A config that cannot run: the parent says so with the daemon's exit code.
	bad := filepath.Join(dir, "bad.conf")
	writeConf(t, bad, "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n}\n")
	code, out := exitCode(t, n, append(env, link, "-f", bad, "-p", pidPath, "-r", filepath.Join(dir, "vrrp.pid"))...)
	if code != 6 || !strings.Contains(out, "exited with code 6") {
		t.Errorf("daemonizing a bad config = %d %q; want 6", code, out)
	}
}
