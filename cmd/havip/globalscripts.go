package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/script"
)

// runGlobalScript runs global_defs' startup_script or shutdown_script (kind
// "startup" or "shutdown") as keepalived 2.2.7 does: without arguments, as
// its user or script_user, killed at its timeout, a failure logged and
// otherwise ignored. It returns when the script has ended.
func runGlobalScript(log *slog.Logger, kind string, g *config.GlobalDefs, cmd *config.Command, timeout time.Duration) {
	if cmd == nil {
		return
	}
	id, err := globalScriptIdentity(g, cmd)
	if err != nil {
		log.Error(kind+" script not run", "script", cmd.Text, "err", err)
		return
	}
	runner := script.Runner{As: &id, Timeout: timeout, Security: g.EnableScriptSecurity, Log: log}
	log.Info("running the "+kind+" script", "script", cmd.Text, "timeout", timeout.String())
	res := runner.Run(context.Background(), script.Command{Text: cmd.Text, Args: cmd.Args})
	switch {
	case res.TimedOut:
		log.Warn(kind+" script timed out and was killed", "script", cmd.Text, "timeout", timeout.String())
	case !res.OK():
		log.Warn(kind+" script failed", "script", cmd.Text, "status", res.ExitCode, "err", res.Err)
	default:
		log.Info(kind+" script succeeded", "script", cmd.Text, "duration", res.Duration.String())
	}
}

// globalScriptIdentity is the user a startup or shutdown script runs as:
// its own, else script_user (root without enable_script_security).
func globalScriptIdentity(g *config.GlobalDefs, cmd *config.Command) (script.Identity, error) {
	if cmd.User != "" {
		id, err := script.LookupIdentity(cmd.User, cmd.Group)
		if err != nil {
			return id, fmt.Errorf("user %q: %w", cmd.User, err)
		}
		return id, nil
	}
	id, err := script.DefaultIdentity(g.ScriptUser, g.ScriptGroup, g.EnableScriptSecurity)
	if err != nil {
		return id, fmt.Errorf("script_user: %w", err)
	}
	return id, nil
}
