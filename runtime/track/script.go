package track

import (
	"context"
	"fmt"
	"time"

	"github.com/havip/havip/runtime/script"
)

// ScriptSpec is a vrrp_script block.
type ScriptSpec struct {
	Name    string
	Command script.Command
	// Interval between runs (default 1 s); Timeout per run (default Interval).
	Interval, Timeout time.Duration
	// Rise and Fall (default 1 each): consecutive successes/failures needed to change state.
	Rise, Fall int
	// InitFail starts the script failed instead of in the init state.
	InitFail bool
	// As overrides the runner's identity (the script's `user U [G]`).
	As *script.Identity
}

// NewScript returns a tracker for a vrrp_script. runner carries the global policy (script
// security, default script_user, output bound, logger); its Timeout is replaced by the script's.
// A command recognised by ParseProbe runs in-process as a TCP probe instead of forking havip.
func NewScript(spec ScriptSpec, runner script.Runner) Tracker {
	interval := durationOr(spec.Interval, DefaultInterval)
	timeout := durationOr(spec.Timeout, interval)
	log := loggerOr(runner.Log)
	if argv, shell := script.Argv(spec.Command); !shell {
		if probe, ok := ParseProbe(argv); ok {
			probe.Name, probe.Interval, probe.Rise, probe.Fall, probe.InitFail = spec.Name, interval, spec.Rise, spec.Fall, spec.InitFail
			if probe.Timeout == 0 {
				probe.Timeout = timeout
			}
			return NewTCP(probe, log)
		}
	}
	runner.Timeout = timeout
	if spec.As != nil {
		runner.As = spec.As
	}
	return &pollTracker{
		key:      Key{KindScript, spec.Name},
		interval: interval,
		h:        newHysteresis(spec.Rise, spec.Fall, spec.InitFail),
		log:      log,
		check: func(ctx context.Context) checkOutcome {
			res := runner.Run(ctx, spec.Command)
			out := checkOutcome{ok: res.Err == nil, exit: res.ExitCode, duration: res.Duration}
			if res.Err != nil {
				out.detail = res.Err.Error()
			} else {
				out.detail = fmt.Sprintf("exit status 0 in %s", res.Duration.Round(time.Millisecond))
			}
			return out
		},
	}
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
