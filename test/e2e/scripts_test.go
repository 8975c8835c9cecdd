package e2e

import (
	"fmt"
	"os"
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

// TestUnusableScriptLikeKeepalived runs keepalived 2.2.7 and havip side by side on a tracked
// vrrp_script that is missing, not executable, unsafe under enable_script_security, or usable
// but failing. keepalived is the oracle twice: `keepalived -t` passes exactly when `havip check
// --strict` does (but for a script that is not executable, which keepalived -t does not look at
// and havip warns about), `havip check` passes every case as keepalived runs every case, and the
// daemons end in the same state — MASTER when the script is disabled (the instance ignores it),
// FAULT when it runs and fails.
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
		reported  bool   // havip check warns about the script at line 5
		reason    string
		kaChecked bool // keepalived -t looks at it: it exits 0 exactly when havip check --strict does
	}{
		{"missing", "/nonexistent/havip-chk.sh", "MASTER", true, "is not found: /nonexistent/havip-chk.sh does not exist", true},
		{"missing bare name", "havip-no-such-check -0 haproxy", "MASTER", true, "is not found: havip-no-such-check is not an executable file in any directory of PATH", true},
		{"not executable", fixture("noexec.sh", "#!/bin/sh\nexit 1\n", 0o644), "MASTER", true, "is not executable", false},
		{"unsafe", fixture("unsafe.sh", "#!/bin/sh\nexit 1\n", 0o777), "MASTER", true, "is unsafe under enable_script_security", true},
		{"usable and failing", fixture("fails.sh", "#!/bin/sh\nexit 1\n", 0o755), "FAULT", false, "", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := lab.New(t, lab.Options{Nodes: 2})
			confPath := filepath.Join(t.TempDir(), "keepalived.conf")
			if err := os.WriteFile(confPath, []byte(scriptConf(tt.script, 60+i)), 0o644); err != nil {
				t.Fatal(err)
			}
			kaExit, kaOut := exitCode(t, l.Nodes[0], "keepalived", "--config-test", "--use-file", confPath, "--log-console", "--dont-fork")
			hvExit, hvOut := exitCode(t, l.Nodes[0], havipBin, "check", "-f", confPath)
			strictExit, strictOut := exitCode(t, l.Nodes[0], havipBin, "check", "--strict", "-f", confPath)
			if hvExit != 0 {
				t.Errorf("havip check exit %d, want 0: keepalived runs it\n%s", hvExit, hvOut)
			}
			if wantStrict := map[bool]int{false: 0, true: 5}[tt.reported]; strictExit != wantStrict {
				t.Errorf("havip check --strict exit %d, want %d\n%s", strictExit, wantStrict, strictOut)
			}
			if tt.kaChecked && (kaExit == 0) != (strictExit == 0) {
				t.Errorf("keepalived -t exit %d, havip check --strict exit %d\nkeepalived:\n%s\nhavip:\n%s", kaExit, strictExit, kaOut, strictOut)
			}
			switch {
			case !tt.reported && strings.Contains(hvOut, "vrrp_script chk"):
				t.Errorf("havip check reports a usable script:\n%s", hvOut)
			case tt.reported && (!strings.Contains(hvOut, confPath+":5: warning: vrrp_script chk: script ") || !strings.Contains(hvOut, tt.reason)):
				t.Errorf("havip check does not warn about the script at %s:5 with %q:\n%s", confPath, tt.reason, hvOut)
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
