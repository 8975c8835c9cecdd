// Package notify delivers VRRP state transitions to notify scripts and the notify FIFO, in order
// and without ever blocking the VRRP loop.
//
// For every transition the engine calls Notifier.Notify, which returns at once:
//
//   - the FIFO line (`INSTANCE "VI_1" MASTER 100`, `GROUP "G" BACKUP 0`, exactly as keepalived
//     writes them) is written immediately with a non-blocking write to every FIFO (notify_fifo
//     and vrrp_notify_fifo), so lines are in transition order across all instances and groups.
//     A FIFO is created when missing and opened read-write, like keepalived, so a FIFO without a
//     reader never blocks: once its buffer is full further lines are dropped and counted. A
//     FIFO's reader script (notify_fifo_script) is started with the FIFO's path as its last
//     argument and runs until Close, which lets it read the last lines, then terminates it.
//   - the scripts are queued per instance/group and run by one worker per target, so a later
//     transition never overtakes an earlier one (keepalived runs them concurrently, which is why
//     its users see notify scripts out of order). The state's own script (notify_master, _backup,
//     _fault, _stop) runs first, then the generic `notify` script with the four arguments
//     INSTANCE|GROUP, name, MASTER|BACKUP|FAULT|STOP, priority (0 for groups). Each run is bounded
//     by the runner's timeout. When a target's queue is full the oldest pending event is dropped
//     and counted, rather than blocking the caller.
//   - keepalived's other events take the same paths: DELETED (an instance removed by a reload,
//     with notify_deleted) runs its own script and the generic one; MASTER_RX_LOWER_PRI runs
//     notify_master_rx_lower_pri without arguments; MASTER_PRIORITY and BACKUP_PRIORITY
//     (notify_priority_changes) are FIFO lines only.
//
// Targets are independent: a hung script of one instance delays only that instance's later
// notifications, and only until its timeout.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/havip/havip/runtime/script"
)

// DefaultQueueLen is the number of pending events kept per target.
const DefaultQueueLen = 64

// Kind says whether an event concerns a vrrp_instance or a vrrp_sync_group.
type Kind int

// Event kinds.
const (
	Instance Kind = iota + 1
	Group
)

func (k Kind) String() string {
	switch k {
	case Instance:
		return "INSTANCE"
	case Group:
		return "GROUP"
	}
	return "KIND" + strconv.Itoa(int(k))
}

// State is the state entered, or for the last three an event of keepalived's FIFO.
type State int

// States reported to notify scripts and the FIFO.
const (
	Master State = iota + 1
	Backup
	Fault
	Stop
	// Deleted replaces Stop for an instance removed by a reload when it has notify_deleted.
	Deleted
	// MasterRxLowerPri: the master received an advert of lower priority
	// (notify_master_rx_lower_pri, and a FIFO line).
	MasterRxLowerPri
	// MasterPriority and BackupPriority: the effective priority changed in that state
	// (notify_priority_changes: a FIFO line only).
	MasterPriority
	BackupPriority
)

func (s State) String() string {
	switch s {
	case Master:
		return "MASTER"
	case Backup:
		return "BACKUP"
	case Fault:
		return "FAULT"
	case Stop:
		return "STOP"
	case Deleted:
		return "DELETED"
	case MasterRxLowerPri:
		return "MASTER_RX_LOWER_PRI"
	case MasterPriority:
		return "MASTER_PRIORITY"
	case BackupPriority:
		return "BACKUP_PRIORITY"
	}
	return "STATE" + strconv.Itoa(int(s))
}

// isTransition reports whether s is a state change, which the generic notify script is told of;
// the other events reach only their own script and the FIFO, as in keepalived.
func (s State) isTransition() bool { return s <= Deleted }

// Event is one transition of an instance or sync group.
type Event struct {
	Kind     Kind
	Name     string
	State    State
	Priority int // the instance's effective priority; ignored (reported as 0) for groups
}

func (e Event) priority() int {
	if e.Kind == Group {
		return 0
	}
	return e.Priority
}

// Args returns the four arguments keepalived passes to a generic `notify` script.
func (e Event) Args() []string {
	return []string{e.Kind.String(), e.Name, e.State.String(), strconv.Itoa(e.priority())}
}

// FIFOLine returns the line keepalived writes to notify_fifo for e, with its newline.
func (e Event) FIFOLine() string {
	return fmt.Sprintf("%s %q %s %d\n", e.Kind, e.Name, e.State, e.priority())
}

// Action is one configured notify script and the user it runs as (nil: the runner's default).
type Action struct {
	Command script.Command
	As      *script.Identity
}

// Scripts are the notify scripts of one instance or group; zero Actions are not configured.
type Scripts struct {
	Master, Backup, Fault, Stop Action
	// Deleted is notify_deleted's script, MasterRxLowerPri notify_master_rx_lower_pri.
	Deleted, MasterRxLowerPri Action
	// Notify is the generic `notify` script, called after the state's own script with Event.Args.
	Notify Action
}

// forState returns the state-specific action.
func (s Scripts) forState(st State) Action {
	switch st {
	case Master:
		return s.Master
	case Backup:
		return s.Backup
	case Fault:
		return s.Fault
	case Stop:
		return s.Stop
	case Deleted:
		return s.Deleted
	case MasterRxLowerPri:
		return s.MasterRxLowerPri
	}
	return Action{}
}

// runFor reports whether st makes any of the scripts run.
func (s Scripts) runFor(st State) bool {
	return !s.forState(st).Command.IsZero() || st.isTransition() && !s.Notify.Command.IsZero()
}

// Target is an instance or sync group with its notify scripts.
type Target struct {
	Kind    Kind
	Name    string
	Scripts Scripts
}

type targetKey struct {
	kind Kind
	name string
}

// Options configure a Notifier.
type Options struct {
	// Runner is the policy for every script (timeout, script security, default user, output
	// bound, logger).
	Runner script.Runner
	// QueueLen is the number of pending events per target (default DefaultQueueLen).
	QueueLen int
	// FIFOs are notify_fifo and vrrp_notify_fifo, with their reader scripts.
	FIFOs []FIFO
	Log   *slog.Logger
}

// FIFO is a notify FIFO and the reader script havip runs for it.
type FIFO struct {
	Path string
	// Reader is notify_fifo_script; a zero Action starts none (a reader runs on its own).
	Reader Action
	// NoVRRP and NoLVS leave out the lines of VRRP (Notify) and of LVS
	// (NotifyLVS): notify_fifo has both, vrrp_notify_fifo the VRRP lines,
	// lvs_notify_fifo the LVS lines.
	NoVRRP, NoLVS bool
}

// Notifier runs notify scripts and writes the notify FIFO.
type Notifier struct {
	runner   script.Runner
	queueLen int
	log      *slog.Logger
	fifos    []*fifo

	runCtx    context.Context
	cancelRun context.CancelFunc
	workers   sync.WaitGroup
	dropped   atomic.Uint64

	mu      sync.Mutex
	closed  bool
	targets map[targetKey]Scripts
	queues  map[targetKey]*queue
}

type queue struct {
	events  []Event
	running bool
}

// New returns a Notifier for targets; it creates and opens the FIFO when configured.
func New(opts Options, targets []Target) (*Notifier, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	n := &Notifier{
		runner:   opts.Runner,
		queueLen: opts.QueueLen,
		log:      log,
		queues:   map[targetKey]*queue{},
	}
	if n.queueLen <= 0 {
		n.queueLen = DefaultQueueLen
	}
	if n.runner.Log == nil {
		n.runner.Log = log
	}
	for _, spec := range opts.FIFOs {
		f, err := openFIFO(spec.Path, spec.Reader, n.runner, log)
		if err != nil {
			n.closeFIFOs()
			return nil, err
		}
		f.noVRRP, f.noLVS = spec.NoVRRP, spec.NoLVS
		n.fifos = append(n.fifos, f)
	}
	n.runCtx, n.cancelRun = context.WithCancel(context.Background())
	n.SetTargets(targets)
	return n, nil
}

// SetTargets replaces the configured scripts (on reload). Events already queued run with the
// scripts current when they start.
func (n *Notifier) SetTargets(targets []Target) {
	m := make(map[targetKey]Scripts, len(targets))
	for _, t := range targets {
		m[targetKey{t.Kind, t.Name}] = t.Scripts
	}
	n.mu.Lock()
	n.targets = m
	n.mu.Unlock()
}

// Dropped returns how many events were dropped from full script queues.
func (n *Notifier) Dropped() uint64 { return n.dropped.Load() }

// Pending returns how many events wait in the script queues.
func (n *Notifier) Pending() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	total := 0
	for _, q := range n.queues {
		total += len(q.events)
	}
	return total
}

// FIFODropped returns how many FIFO lines were dropped because a FIFO was full.
func (n *Notifier) FIFODropped() uint64 {
	var total uint64
	for _, f := range n.fifos {
		total += f.dropped.Load()
	}
	return total
}

// NotifyLVS writes a line of the LVS half (keepalived's "VS [192.0.2.10]:tcp:80 UP",
// "RS [192.0.2.20]:tcp:80 [192.0.2.10]:tcp:80 DOWN"; without its newline) to the FIFOs that
// take LVS lines, in order with the VRRP lines. It never waits for a FIFO reader.
func (n *Notifier) NotifyLVS(line string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.log.Warn("notification after shutdown ignored", "event", line)
		return
	}
	for _, f := range n.fifos {
		if !f.noLVS {
			f.write(line + "\n")
		}
	}
}

// Notify records a transition. It never waits for a script or a FIFO reader.
func (n *Notifier) Notify(ev Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.log.Warn("notification after shutdown ignored", "event", ev.FIFOLine())
		return
	}
	for _, f := range n.fifos {
		if !f.noVRRP {
			f.write(ev.FIFOLine())
		}
	}
	key := targetKey{ev.Kind, ev.Name}
	if scripts, ok := n.targets[key]; !ok || !scripts.runFor(ev.State) {
		return
	}
	q := n.queues[key]
	if q == nil {
		q = &queue{}
		n.queues[key] = q
	}
	if len(q.events) >= n.queueLen {
		oldest := q.events[0]
		q.events = q.events[1:]
		total := n.dropped.Add(1)
		n.log.Warn("notify queue full; dropped the oldest pending event", "target", key.kind.String()+" "+key.name,
			"dropped_event", oldest.State.String(), "dropped_total", total)
	}
	q.events = append(q.events, ev)
	if !q.running {
		q.running = true
		n.workers.Add(1)
		go n.work(key, q)
	}
}

// WriteFIFO writes ev's line to the FIFOs only, running no script:
// keepalived's fifo_write_vrrp_states_on_reload, which tells a FIFO reader
// the states a reload kept.
func (n *Notifier) WriteFIFO(ev Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	for _, f := range n.fifos {
		f.write(ev.FIFOLine())
	}
}

// work runs one target's queued events in order, then exits; Notify starts a new worker when
// events arrive again. At most one worker per target exists at any time.
func (n *Notifier) work(key targetKey, q *queue) {
	defer n.workers.Done()
	for {
		n.mu.Lock()
		if len(q.events) == 0 {
			q.running = false
			n.mu.Unlock()
			return
		}
		ev := q.events[0]
		q.events = q.events[1:]
		scripts := n.targets[key]
		n.mu.Unlock()
		n.deliver(ev, scripts)
	}
}

func (n *Notifier) deliver(ev Event, scripts Scripts) {
	if a := scripts.forState(ev.State); !a.Command.IsZero() {
		n.run(a)
	}
	if ev.State.isTransition() && !scripts.Notify.Command.IsZero() {
		n.run(scripts.Notify, ev.Args()...)
	}
}

// run runs a's command, unless it cannot run at all (script.Inspect: not found, not executable,
// unsafe under enable_script_security): keepalived 2.2.7 disables such a notify script at start,
// havip leaves it out with a warning each time it would run, so a fixed script runs next time.
func (n *Notifier) run(a Action, args ...string) {
	r := n.runner
	if a.As != nil {
		r.As = a.As
	}
	if err := script.Inspect(a.Command, r.As, r.Security); err != nil {
		n.log.Warn("notify script not run: it cannot run (keepalived 2.2.7 disables such a script)", "error", err)
		return
	}
	r.Run(n.runCtx, a.Command, args...)
}

// Close stops accepting events and waits for queued scripts to finish. When ctx ends first,
// running scripts are killed (their process groups) and pending events are discarded. The FIFOs
// are closed last, after their reader scripts have had up to a second to read the last lines.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	done := make(chan struct{})
	go func() {
		n.workers.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		n.mu.Lock()
		for _, q := range n.queues {
			q.events = nil
		}
		n.mu.Unlock()
		n.cancelRun()
		<-done
		err = fmt.Errorf("notify scripts still running at shutdown were killed: %w", ctx.Err())
	}
	n.cancelRun()
	if cerr := n.closeFIFOs(); err == nil {
		err = cerr
	}
	return err
}

// closeFIFOs closes every FIFO, returning the first error.
func (n *Notifier) closeFIFOs() error {
	var first error
	for _, f := range n.fifos {
		if err := f.close(); err != nil && first == nil {
			first = err
		}
	}
	n.fifos = nil
	return first
}
