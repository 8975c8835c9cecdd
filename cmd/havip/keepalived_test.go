package main

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestKeepalivedCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   string // must appear on stdout
		inStderr string // must appear on stderr
	}{
		{"signum DATA", []string{"--signum=DATA"}, 0, "10\n", ""},
		{"signum STATS", []string{"--signum", "STATS"}, 0, "12\n", ""},
		{"signum JSON", []string{"--signum=JSON"}, 0, "36\n", ""},
		{"signum STATS_CLEAR", []string{"--signum=STATS_CLEAR"}, 0, "63\n", ""},
		{"signum RELOAD", []string{"--signum=RELOAD"}, 0, "1\n", ""},
		{"signum STOP", []string{"--signum=STOP"}, 0, "15\n", ""},
		{"signum unknown", []string{"--signum=BOGUS"}, 1, "", "Unknown sigfunc BOGUS"},
		{"version", []string{"-v"}, 0, "", "Keepalived v2.2.7 (havip "},
		{"help", []string{"--help"}, 0, "", "Usage: keepalived [OPTION...]"},
		{"unknown option", []string{"--bogus"}, 1, "", "unknown flag: --bogus"},
		{"unknown short option", []string{"-Q"}, 1, "", "unknown shorthand flag: 'Q' in -Q"},
		{"stray argument", []string{"-n", "extra"}, 1, "", `unexpected argument "extra"`},
		{"checkers only", []string{"-C", "-n"}, 3, "", "cannot run the checkers alone"},
		{"keep VIPs at stop", []string{"--dont-release-vrrp", "-n"}, 3, "", "havip always removes its VIPs at stop"},
		{"namespace", []string{"-s", "blue", "-n"}, 3, "", "ip netns exec blue keepalived"},
		{"genhash not first", []string{"-n", "-T"}, 3, "", "-T/--genhash must come first"},
		{"genhash mode", []string{"-T", "-u", "/"}, 2, "", "-s ADDRESS and -u PATH are required"},
		{"genhash mode, long", []string{"--genhash", "-s", "example.org", "-u", "/"}, 2, "", "is not an IP address"},
		{"bad umask", []string{"-n", "-u", "0999"}, 1, "", `-u/--umask "0999"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runKeepalived(tc.args, nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.inStderr) {
				t.Fatalf("keepalived %v = %d, stdout %q, stderr %q; want %d, %q, %q",
					tc.args, code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.inStderr)
			}
		})
	}
}

// keepalived 2.2.7's -t exit codes (verified against it in test/e2e).
func TestKeepalivedConfigTest(t *testing.T) {
	instance := "vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n%s}\n"
	script := "vrrp_script chk {\n  script \"/bin/true\"\n}\n"
	track := "  track_script {\n    chk\n  }\n"
	for _, tc := range []struct {
		name, conf string
		code       int
		out        string
	}{
		{"clean", strings.Replace(instance, "%s", "", 1), 0, ""},
		{"unknown keyword", strings.Replace(instance, "%s", "  priorty 5\n", 1), 5, ": Line 7) unknown keyword 'priorty'"},
		{"script without security", script + strings.Replace(instance, "%s", track, 1), 6,
			"SECURITY VIOLATION - scripts are being executed but script_security not enabled."},
		{"script security wins", script + strings.Replace(instance, "%s", track+"  priorty 5\n", 1), 6, "SECURITY VIOLATION"},
		{"script security enabled", "global_defs {\n  enable_script_security\n  script_user root\n}\n" + script +
			strings.Replace(instance, "%s", track, 1), 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keepalived.conf")
			if err := os.WriteFile(path, []byte(tc.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := runKeepalived([]string{"-t", "-f", path}, nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.out) || (tc.out == "" && stderr.Len() > 0) {
				t.Fatalf("keepalived -t = %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.out)
			}
			// -t=LOG_FILE: the same lines into the file.
			log := filepath.Join(t.TempDir(), "test.log")
			stderr.Reset()
			if code := runKeepalived([]string{"--config-test=" + log, "-f", path}, nil, &stdout, &stderr); code != tc.code {
				t.Fatalf("keepalived --config-test=FILE = %d, want %d", code, tc.code)
			}
			b, _ := os.ReadFile(log)
			if !strings.Contains(string(b), tc.out) || stderr.Len() > 0 {
				t.Errorf("log file %q, stderr %q; want %q in the file", b, stderr.String(), tc.out)
			}
		})
	}
	var stderr bytes.Buffer
	if code := runKeepalived([]string{"-t", "-f", "/nonexistent/keepalived.conf"}, nil, &stderr, &stderr); code != 5 ||
		!strings.Contains(stderr.String(), "/nonexistent/keepalived.conf") {
		t.Errorf("-t on a missing file = %d, %q; want 5 naming it", code, stderr.String())
	}
}

func TestKeepalivedRefusesABadFirstConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte("vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 300\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pid, vrrpPid := filepath.Join(dir, "keepalived.pid"), filepath.Join(dir, "vrrp.pid")
	var stderr bytes.Buffer
	code := runKeepalived([]string{"-n", "-f", path, "-p", pid, "-r", vrrpPid, "--status-socket", ""}, nil, &stderr, &stderr)
	if code != 6 || !strings.Contains(stderr.String(), "("+path+": Line 3) ") || !strings.Contains(stderr.String(), "nothing was started") {
		t.Fatalf("bad first config = %d, %q; want 6 with file:line", code, stderr.String())
	}
	for _, f := range []string{pid, vrrpPid} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("pid file %s left behind (%v)", f, err)
		}
	}
}

func TestPidFiles(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, content string
		ok            bool
	}{
		{"absent", "", true},
		{"crash leftover, pid gone", "2147483646\n", true},
		{"pid now another program", "1\n", true},
		{"garbage", "not a pid\n", true},
		{"ourselves", strconv.Itoa(os.Getpid()) + "\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".pid")
			if tc.content != "" {
				if err := os.WriteFile(f, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := writePidFiles([]string{f})
			if (err == nil) != tc.ok {
				t.Fatalf("writePidFiles = %v, want ok %v", err, tc.ok)
			}
			b, _ := os.ReadFile(f)
			if strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
				t.Fatalf("pid file holds %q", b)
			}
			removePidFiles([]string{f}, slog.New(slog.DiscardHandler))
			if _, err := os.Stat(f); !os.IsNotExist(err) {
				t.Errorf("pid file still there after removePidFiles: %v", err)
			}
		})
	}

	// A live process of this same executable: already running.
	live := filepath.Join(dir, "live.pid")
	cmd := startSelf(t, self)
	if err := os.WriteFile(live, []byte(strconv.Itoa(cmd)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writePidFiles([]string{live}); err == nil || !strings.Contains(err.Error(), "already running as process "+strconv.Itoa(cmd)) {
		t.Errorf("writePidFiles over a live instance = %v, want already running", err)
	}
	// Not ours to remove.
	removePidFiles([]string{live}, slog.New(slog.DiscardHandler))
	if _, err := os.Stat(live); err != nil {
		t.Errorf("removePidFiles removed another process's pid file: %v", err)
	}
}

// envSleeper makes the test binary a process that only waits to be killed.
const envSleeper = "HAVIP_TEST_SLEEPER"

func TestMain(m *testing.M) {
	if os.Getenv(envSleeper) != "" {
		select {} // a live process of this executable, for TestPidFiles
	}
	os.Exit(m.Run())
}

// startSelf runs this executable as a sleeper and returns its pid.
func startSelf(t *testing.T, self string) int {
	t.Helper()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envSleeper+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

// The shipped units run command lines this binary accepts.
func TestSystemdUnitsCommandLines(t *testing.T) {
	for _, tc := range []struct {
		unit, program string
		parse         func(args []string) error
	}{
		{"keepalived.service", "/usr/sbin/keepalived", func(args []string) error {
			var f keepalivedFlags
			fs := keepalivedFlagSet(nil, &f)
			if err := fs.Parse(args); err != nil {
				return err
			}
			if !f.dontFork {
				t.Errorf("keepalived.service runs keepalived without --dont-fork under Type=notify")
			}
			return nil
		}},
		{"havip.service", "/usr/local/bin/havip", func(args []string) error {
			root := newRoot(&app{environ: map[string]string{}, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
			cmd, rest, err := root.Find(args)
			if err != nil {
				return err
			}
			return cmd.ParseFlags(rest)
		}},
	} {
		b, err := os.ReadFile(filepath.Join("../../deploy/systemd", tc.unit))
		if err != nil {
			t.Fatal(err)
		}
		units := string(b)
		if !strings.Contains(units, "\nType=notify\n") {
			t.Errorf("%s: not Type=notify", tc.unit)
		}
		var exec []string
		for _, line := range strings.Split(units, "\n") {
			if rest, ok := strings.CutPrefix(line, "ExecStart="); ok {
				exec = strings.Fields(strings.ReplaceAll(rest, "$DAEMON_ARGS", ""))
			}
		}
		if len(exec) == 0 || exec[0] != tc.program {
			t.Errorf("%s: ExecStart %v, want %s", tc.unit, exec, tc.program)
			continue
		}
		if err := tc.parse(exec[1:]); err != nil {
			t.Errorf("%s: ExecStart %v: %v", tc.unit, exec, err)
		}
	}
}

// Signals 32 and 34 end a Go program and os/signal cannot catch them: the
// daemon sets them to be ignored.
func TestReservedSignalsIgnored(t *testing.T) {
	if err := ignoreReserved(); err != nil {
		t.Fatal(err)
	}
	for _, sig := range reservedSignals {
		var old kernelSigaction
		_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		if errno != 0 || old.handler != sigIgn {
			t.Errorf("signal %d: handler %#x (%v), want SIG_IGN", int(sig), old.handler, errno)
		}
		// Sent anyway, it must not end this test binary.
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
	}
}
