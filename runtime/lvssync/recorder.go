package lvssync

import (
	"fmt"
	"sync"
)

// Call is one Start or Stop a Recorder saw.
type Call struct {
	Start  bool // false: Stop
	State  State
	Config Config // Stop: only SyncID
}

// String is "start master eth0 id 1" or "stop backup id 1", with the
// options Start was given.
func (c Call) String() string {
	if !c.Start {
		return fmt.Sprintf("stop %s id %d", c.State, c.Config.SyncID)
	}
	s := fmt.Sprintf("start %s %s id %d", c.State, c.Config.Interface, c.Config.SyncID)
	if c.Config.MaxLen != 0 {
		s += fmt.Sprintf(" maxlen %d", c.Config.MaxLen)
	}
	if c.Config.Port != 0 {
		s += fmt.Sprintf(" port %d", c.Config.Port)
	}
	if c.Config.TTL != 0 {
		s += fmt.Sprintf(" ttl %d", c.Config.TTL)
	}
	if c.Config.Group.IsValid() {
		s += " group " + c.Config.Group.String()
	}
	return s
}

// Recorder is a Daemon that records its calls and keeps the kernel's
// rules: one daemon per state, Start of a running one and Stop of a
// stopped one fail. Err, when set, fails every call with it, as the
// kernel without IPVS does.
type Recorder struct {
	Err error

	mu      sync.Mutex
	calls   []Call
	running map[State]bool
}

// Start records the call and starts the daemon of state.
func (r *Recorder) Start(state State, c Config) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, Call{Start: true, State: state, Config: c})
	if r.Err != nil {
		return r.Err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if r.running[state] {
		return fmt.Errorf("the %s sync daemon already runs", state)
	}
	if r.running == nil {
		r.running = map[State]bool{}
	}
	r.running[state] = true
	return nil
}

// Stop records the call and stops the daemon of state.
func (r *Recorder) Stop(state State, syncID uint8) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, Call{State: state, Config: Config{SyncID: syncID}})
	if r.Err != nil {
		return r.Err
	}
	if !r.running[state] {
		return fmt.Errorf("no %s sync daemon runs", state)
	}
	delete(r.running, state)
	return nil
}

// Calls returns the calls so far, as strings, and forgets them.
func (r *Recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.calls))
	for i, c := range r.calls {
		out[i] = c.String()
	}
	r.calls = nil
	return out
}

// Running reports whether the daemon of state runs.
func (r *Recorder) Running(state State) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[state]
}
