package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/test/lab"
)

// scriptConf tracks one vrrp_script with weight 0 (a failed check is FAULT) under
// enable_script_security; the vrrp_script block is on line 5.
func scriptConf(script string, vrid int) string {
	return fmt.Sprintf(`global_defs {
    enable_script_security
    script_user root
}
vrrp_script chk {
    script "%s"
    interval 1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id %d
    priority 100
    advert_int 1
    track_script {
        chk
    }
    virtual_ipaddress {
        %s
    }
}
`, script, vrid, vip4)
}

// exitCode runs cmd and returns its exit status and output.
func exitCode(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	case err != nil:
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	return 0, string(out)
}

// TestUnusableScriptLikeKeepalived runs keepalived 2.2.7 and havip side by side on a tracked
// vrrp_script that is missing, not executable, unsafe under enable_script_security, or usable
// but failing. keepalived is the oracle twice: `keepalived -t` passes exactly when `havip check`
// has no error, and the daemons end in the same state — MASTER when the script is disabled (the
// instance ignores it), FAULT when it runs and fails.
func TestUnusableScriptLikeKeepalived(t *testing.T) {
	testenv.RequireCommand(t, "keepalived", "keepalived")
	dir := t.TempDir() // root-owned 0700 under sticky /tmp: a safe chain
	fixture := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name      string
		script    string
		state     string // both daemons' final state
		severity  string // what havip check reports at line 5: "error", "warning" or "" (nothing)
		reason    string
		checkExit int // 0 exactly when keepalived -t exits 0
	}{
		{"missing", "/nonexistent/havip-chk.sh", "MASTER", "error", "is not found: /nonexistent/havip-chk.sh does not exist", 1},
		{"missing bare name", "havip-no-such-check -0 haproxy", "MASTER", "error", "is not found: havip-no-such-check is not an executable file in any directory of PATH", 1},
		{"not executable", fixture("noexec.sh", "#!/bin/sh\nexit 1\n", 0o644), "MASTER", "warning", "is not executable", 0},
		{"unsafe", fixture("unsafe.sh", "#!/bin/sh\nexit 1\n", 0o777), "MASTER", "error", "is unsafe under enable_script_security", 1},
		{"usable and failing", fixture("fails.sh", "#!/bin/sh\nexit 1\n", 0o755), "FAULT", "", "", 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := lab.New(t, lab.Options{Nodes: 2})
			confPath := filepath.Join(t.TempDir(), "keepalived.conf")
			if err := os.WriteFile(confPath, []byte(scriptConf(tt.script, 60+i)), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			kaExit, kaOut := exitCode(t, l.Nodes[0].Command(ctx, "keepalived", "--config-test", "--use-file", confPath, "--log-console", "--dont-fork"))
			hvExit, hvOut := exitCode(t, l.Nodes[0].Command(ctx, havipBin, "check", "-f", confPath))
			if (kaExit == 0) != (hvExit == 0) || hvExit != tt.checkExit {
				t.Errorf("keepalived -t exit %d, havip check exit %d (want %d)\nkeepalived:\n%s\nhavip:\n%s", kaExit, hvExit, tt.checkExit, kaOut, hvOut)
			}
			switch {
			case tt.severity == "" && strings.Contains(hvOut, "vrrp_script chk"):
				t.Errorf("havip check reports a usable script:\n%s", hvOut)
			case tt.severity != "" && (!strings.Contains(hvOut, confPath+":5: "+tt.severity+": vrrp_script chk: script ") || !strings.Contains(hvOut, tt.reason)):
				t.Errorf("havip check does not report the script at %s:5 as %s %q:\n%s", confPath, tt.severity, tt.reason, hvOut)
			}

			// Two lone routers, one per daemon, with different VRIDs.
			ka := l.Nodes[0].StartKeepalived(t, scriptConf(tt.script, 60+i))
			hv := startHavip(t, l.Nodes[1], scriptConf(tt.script, 70+i))
			hv.WaitState(t, "VI_1", tt.state, electionTimeout)
			if tt.state == "MASTER" {
				ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
			} else {
				// keepalived logs no state line for an instance that starts in FAULT: it must
				// report the failed script and never become MASTER (it would within 4 s).
				holdsFor(t, 5*time.Second, "keepalived stays out of MASTER", func() bool { return ka.State("VI_1") != "MASTER" })
				if !strings.Contains(ka.Log(), "VRRP_Script(chk) failed") {
					t.Errorf("keepalived did not run the failing script:\n%s", ka.Log())
				}
			}
			disabled := strings.Contains(hv.proc.Output(), "vrrp_script disabled")
			if disabled != (tt.state == "MASTER") {
				t.Errorf("havip logged the script disabled = %v, want %v:\n%s", disabled, tt.state == "MASTER", hv.proc.Output())
			}
		})
	}
}
