package check

import (
	"context"
	"fmt"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/script"
)

type miscProber struct {
	cmd     script.Command
	runner  *script.Runner
	dynamic bool
}

func newMiscProber(ck *config.Checker, opts Options) (Prober, error) {
	m := ck.Misc
	timeout := m.Timeout
	if timeout == 0 {
		timeout = ck.DelayLoop
	}
	r := &script.Runner{Timeout: timeout, Security: opts.ScriptSecurity, Log: opts.Log}
	if m.User != "" {
		id, err := script.LookupIdentity(m.User, m.Group)
		if err != nil {
			return nil, fmt.Errorf("MISC_CHECK %s: %w", m.Path.Text, err)
		}
		r.As = &id
	}
	return &miscProber{cmd: script.Command{Text: m.Path.Text, Args: m.Path.Args}, runner: r, dynamic: m.Dynamic}, nil
}

// Probe runs the script: exit 0 is success, 1 failure; with misc_dynamic
// 2..255 is success with weight status-2, as keepalived; without it any
// non-zero status fails.
func (p *miscProber) Probe(ctx context.Context) Result {
	res := p.runner.Run(ctx, p.cmd)
	return miscResult(res.ExitCode, res.TimedOut, p.dynamic, p.cmd.String())
}

func miscResult(code int, timedOut, dynamic bool, name string) Result {
	switch {
	case timedOut:
		return fail("MISC_CHECK %s timed out", name)
	case code == 0:
		return Result{OK: true, Detail: "MISC_CHECK " + name + " exited 0"}
	case dynamic && code >= 2 && code <= 255:
		return Result{OK: true, Weight: code - 2, HasWeight: true, Detail: fmt.Sprintf("MISC_CHECK %s exited %d: weight %d", name, code, code-2)}
	case code < 0:
		return fail("MISC_CHECK %s did not exit normally", name)
	}
	return fail("MISC_CHECK %s exited %d", name, code)
}
