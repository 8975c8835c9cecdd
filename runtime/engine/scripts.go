package engine

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/script"
	"github.com/havip/havip/runtime/track"
)

// CheckScripts reports, each at its position, the scripts of cfg that keepalived 2.2.7 and havip
// disable at start because they cannot run on this machine (script.Inspect: not found, not
// executable for the script user, or unsafe under enable_script_security), so that `havip check`
// says what `havip run` will ignore. Run it where the config runs (inside the container).
//
// A tracked vrrp_script that is not found or unsafe is an error, as keepalived -t reports it (exit
// 5, "Disabling track script ... since not found/accessible" / "due to insecure"); a tracked one that
// is not executable, and every notify script, are warnings: keepalived -t passes them although the
// daemon disables them too. havip's native TCP probe (`havip probe tcp`) runs in-process and is
// never checked. A script found by PATH search is a warning, as keepalived warns; so is one whose
// #! interpreter is missing (a shell script in an image without a shell): it is not disabled, each
// run fails.
func CheckScripts(cfg *config.Config) config.Diagnostics {
	g := &cfg.Global
	var defaultID *script.Identity
	if id, err := script.DefaultIdentity(g.ScriptUser, g.ScriptGroup, g.EnableScriptSecurity); err == nil {
		defaultID = &id
	}
	identity := func(user, group string) *script.Identity {
		if user == "" {
			return defaultID
		}
		if id, err := script.LookupIdentity(user, group); err == nil {
			return &id
		}
		return defaultID
	}
	var diags config.Diagnostics
	inspect := func(pos config.Pos, what string, cmd script.Command, as *script.Identity, tracked bool) {
		if argv, shell := script.Argv(cmd); !shell {
			if _, probe := track.ParseProbe(argv); probe {
				return
			}
		}
		err := script.Inspect(cmd, as, g.EnableScriptSecurity)
		var u *script.Unusable
		if !errors.As(err, &u) {
			if argv, shell := script.Argv(cmd); !shell && len(argv) > 0 && !strings.Contains(argv[0], "/") {
				if found, err := exec.LookPath(argv[0]); err == nil {
					diags = append(diags, config.Diagnostic{Pos: pos, Severity: config.Warning,
						Msg: fmt.Sprintf("%s: script %q is found by PATH search at %s; give the full path (keepalived warns too)", what, cmd.String(), found)})
				}
			}
			if err := script.Interpreter(cmd); err != nil {
				diags = append(diags, config.Diagnostic{Pos: pos, Severity: config.Warning, Msg: fmt.Sprintf("%s: script %q: %v", what, cmd.String(), err)})
			}
			return
		}
		effect := "keepalived disables it at start; havip leaves it out with a warning until it can run"
		if tracked {
			effect = "keepalived and havip disable it at start, and the instances tracking it ignore it"
		}
		diags = append(diags, config.Diagnostic{Pos: pos, Severity: config.Warning, Msg: fmt.Sprintf("%s: %v; %s", what, err, effect)})
	}

	used := map[string]bool{}
	for _, in := range cfg.Instances {
		for _, r := range in.Track.Scripts {
			used[r.Name] = true
		}
	}
	for _, sg := range cfg.SyncGroups {
		for _, r := range sg.Track.Scripts {
			used[r.Name] = true
		}
	}
	for _, s := range cfg.Scripts {
		if used[s.Name] {
			inspect(s.Pos, "vrrp_script "+s.Name, script.Command{Text: s.Command.Text, Args: s.Command.Args}, identity(s.User, s.Group), true)
		}
	}
	notify := func(pos config.Pos, owner string, n config.Notify) {
		for _, c := range []struct {
			keyword string
			cmd     *config.Command
		}{{"notify_master", n.Master}, {"notify_backup", n.Backup}, {"notify_fault", n.Fault}, {"notify_stop", n.Stop},
			{"notify_deleted", n.Deleted}, {"notify_master_rx_lower_pri", n.MasterRxLowerPrio}, {"notify", n.All}} {
			if c.cmd != nil && !(script.Command{Text: c.cmd.Text, Args: c.cmd.Args}).IsZero() {
				inspect(pos, owner+" "+c.keyword, script.Command{Text: c.cmd.Text, Args: c.cmd.Args}, identity(c.cmd.User, c.cmd.Group), false)
			}
		}
	}
	for _, in := range cfg.Instances {
		notify(in.Pos, "vrrp_instance "+in.Name, in.Notify)
	}
	for _, sg := range cfg.SyncGroups {
		notify(sg.Pos, "vrrp_sync_group "+sg.Name, sg.Notify)
	}
	for _, f := range []struct {
		keyword string
		cmd     *config.Command
	}{{"notify_fifo_script", g.NotifyFIFOScript}, {"vrrp_notify_fifo_script", g.VRRPNotifyFIFOScript}, {"lvs_notify_fifo_script", g.LVSNotifyFIFOScript}} {
		if f.cmd != nil {
			inspect(g.Pos, "global_defs "+f.keyword, script.Command{Text: f.cmd.Text, Args: f.cmd.Args}, identity(f.cmd.User, f.cmd.Group), false)
		}
	}
	return diags
}
