package track

import (
	"context"
	"fmt"
	"log/slog"
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
//
// A script that cannot run at all (script.Inspect: not found, not executable, unsafe under
// enable_script_security) is disabled as keepalived 2.2.7 disables it: the tracker logs a warning,
// reports a Disabled result, which Effective ignores, instead of failing every interval (which
// would hold every node in FAULT or at a lower priority), and looks again every interval;
// once the script is usable it logs that and tracks it from then on.
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
	poll := &pollTracker{
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
	return &inspectedScript{
		poll:     poll,
		interval: interval,
		inspect:  func() error { return script.Inspect(spec.Command, runner.As, runner.Security) },
		log:      log,
	}
}

// inspectedScript runs a script tracker once its script is usable, and reports it disabled
// until then.
type inspectedScript struct {
	poll     *pollTracker
	interval time.Duration
	inspect  func() error
	log      *slog.Logger
}

func (s *inspectedScript) Key() Key { return s.poll.key }

// RunStats are the script's runs, none while it is disabled.
func (s *inspectedScript) RunStats() RunStats { return s.poll.RunStats() }

func (s *inspectedScript) Run(ctx context.Context, report func(Result)) {
	err := s.inspect()
	if err != nil {
		s.log.Warn("vrrp_script disabled: its script cannot run, so the instances tracking it ignore it (keepalived 2.2.7 disables it too); fix the script and havip starts tracking it within one interval",
			"tracker", s.poll.key.String(), "error", err)
		report(Result{Key: s.poll.key, Disabled: true, Detail: "disabled: " + err.Error()})
		ticker := time.NewTicker(s.interval)
		defer ticker.Stop()
		for err != nil {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				err = s.inspect()
			}
		}
		s.log.Warn("vrrp_script enabled: its script can run now; tracking it", "tracker", s.poll.key.String())
	}
	s.poll.Run(ctx, report)
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
