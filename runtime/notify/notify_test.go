package notify

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/internal/testlog"

	"github.com/havip/havip/runtime/script"
	"golang.org/x/sys/unix"
)

const deadline = 20 * time.Second

func TestEventFormatting(t *testing.T) {
	tests := []struct {
		ev   Event
		line string
		args []string
	}{
		{Event{Instance, "VI_1", Master, 100}, "INSTANCE \"VI_1\" MASTER 100\n", []string{"INSTANCE", "VI_1", "MASTER", "100"}},
		{Event{Instance, "VI_1", Backup, 90}, "INSTANCE \"VI_1\" BACKUP 90\n", []string{"INSTANCE", "VI_1", "BACKUP", "90"}},
		{Event{Instance, "web", Fault, 0}, "INSTANCE \"web\" FAULT 0\n", []string{"INSTANCE", "web", "FAULT", "0"}},
		{Event{Instance, "web", Stop, 254}, "INSTANCE \"web\" STOP 254\n", []string{"INSTANCE", "web", "STOP", "254"}},
		{Event{Group, "G", Backup, 77}, "GROUP \"G\" BACKUP 0\n", []string{"GROUP", "G", "BACKUP", "0"}},
		{Event{Instance, "VI_1", Deleted, 100}, "INSTANCE \"VI_1\" DELETED 100\n", []string{"INSTANCE", "VI_1", "DELETED", "100"}},
		{Event{Instance, "VI_1", MasterRxLowerPri, 120}, "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 120\n", []string{"INSTANCE", "VI_1", "MASTER_RX_LOWER_PRI", "120"}},
		{Event{Instance, "VI_1", MasterPriority, 130}, "INSTANCE \"VI_1\" MASTER_PRIORITY 130\n", []string{"INSTANCE", "VI_1", "MASTER_PRIORITY", "130"}},
		{Event{Instance, "VI_1", BackupPriority, 90}, "INSTANCE \"VI_1\" BACKUP_PRIORITY 90\n", []string{"INSTANCE", "VI_1", "BACKUP_PRIORITY", "90"}},
	}
	for _, tt := range tests {
		if got := tt.ev.FIFOLine(); got != tt.line {
			t.Errorf("FIFOLine(%+v) = %q, want %q", tt.ev, got, tt.line)
		}
		if got := tt.ev.Args(); !reflect.DeepEqual(got, tt.args) {
			t.Errorf("Args(%+v) = %q, want %q", tt.ev, got, tt.args)
		}
	}
}

// appendScript returns a command that appends its label and arguments as one line to out.
func appendScript(t *testing.T, out, label string) script.Command {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sh")
	body := fmt.Sprintf("#!/bin/sh\necho %s \"$@\" >> %s\n", label, out)
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script.Command{Args: []string{path}}
}

// waitLines polls out until it has n lines.
func waitLines(t *testing.T, out string, n int) []string {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		data, _ := os.ReadFile(out)
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(data) == 0 {
			lines = nil
		}
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(end) {
			t.Fatalf("only %d of %d lines after %s:\n%s", len(lines), n, deadline, data)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newNotifier(t *testing.T, opts Options, targets ...Target) *Notifier {
	t.Helper()
	n, err := New(opts, targets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		_ = n.Close(ctx)
	})
	return n
}

func TestScriptsRunInTransitionOrder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	scripts := Scripts{
		Master: Action{Command: appendScript(t, out, "master")},
		Backup: Action{Command: appendScript(t, out, "backup")},
		Notify: Action{Command: appendScript(t, out, "notify")},
	}
	n := newNotifier(t, Options{QueueLen: 128}, Target{Kind: Instance, Name: "VI_1", Scripts: scripts})
	var want []string
	states := []State{Master, Backup, Fault}
	for i := range 100 {
		st := states[i%3]
		n.Notify(Event{Instance, "VI_1", st, i})
		switch st {
		case Master:
			want = append(want, "master")
		case Backup:
			want = append(want, "backup")
		}
		want = append(want, fmt.Sprintf("notify INSTANCE VI_1 %s %d", st, i))
	}
	got := waitLines(t, out, len(want))
	if !reflect.DeepEqual(got, want) {
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				t.Fatalf("line %d: got %q, want %q", i, got[min(i, len(got)-1)], want[i])
			}
		}
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	if n.Dropped() != 0 {
		t.Fatalf("dropped %d events with a queue large enough", n.Dropped())
	}
}

// TestEventsReachTheirScripts: DELETED runs notify_deleted's script and the
// generic script; MASTER_RX_LOWER_PRI runs only its own script; priority
// events run no script (they are FIFO lines), as in keepalived.
func TestEventsReachTheirScripts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	scripts := Scripts{
		Deleted:          Action{Command: appendScript(t, out, "deleted")},
		MasterRxLowerPri: Action{Command: appendScript(t, out, "rx_lower_pri")},
		Notify:           Action{Command: appendScript(t, out, "notify")},
	}
	n := newNotifier(t, Options{}, Target{Kind: Instance, Name: "VI_1", Scripts: scripts})
	for _, ev := range []Event{
		{Instance, "VI_1", MasterPriority, 130},
		{Instance, "VI_1", MasterRxLowerPri, 130},
		{Instance, "VI_1", BackupPriority, 90},
		{Instance, "VI_1", Deleted, 90},
		{Instance, "VI_1", Master, 90}, // a marker: everything before it has run
	} {
		n.Notify(ev)
	}
	want := []string{"rx_lower_pri", "deleted", "notify INSTANCE VI_1 DELETED 90", "notify INSTANCE VI_1 MASTER 90"}
	if got := waitLines(t, out, len(want)); !reflect.DeepEqual(got, want) {
		t.Fatalf("scripts ran %q, want %q", got, want)
	}
}

func TestScriptsRunFor(t *testing.T) {
	generic := Action{Command: script.Command{Args: []string{"/bin/true"}}}
	tests := []struct {
		scripts Scripts
		state   State
		want    bool
	}{
		{Scripts{}, Master, false},
		{Scripts{Notify: generic}, Master, true},
		{Scripts{Notify: generic}, Deleted, true},
		{Scripts{Notify: generic}, MasterRxLowerPri, false},
		{Scripts{Notify: generic}, MasterPriority, false},
		{Scripts{MasterRxLowerPri: generic}, MasterRxLowerPri, true},
		{Scripts{Master: generic}, Backup, false},
		{Scripts{Deleted: generic}, Deleted, true},
	}
	for _, tt := range tests {
		if got := tt.scripts.runFor(tt.state); got != tt.want {
			t.Errorf("runFor(%s) with %+v = %v, want %v", tt.state, tt.scripts, got, tt.want)
		}
	}
}

// blockingScript returns a command that records that it started (appending its arguments to
// started), then waits until release exists.
func blockingScript(t *testing.T, started, release string) script.Command {
	t.Helper()
	path := filepath.Join(t.TempDir(), "block.sh")
	body := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %s\nwhile [ ! -e %s ]; do sleep 0.01; done\n", started, release)
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script.Command{Args: []string{path}}
}

func TestHungScriptNeitherBlocksCallerNorOtherTargets(t *testing.T) {
	dir := t.TempDir()
	started, release, other := filepath.Join(dir, "started"), filepath.Join(dir, "release"), filepath.Join(dir, "other")
	n := newNotifier(t, Options{QueueLen: 3, Runner: script.Runner{Timeout: time.Minute}},
		Target{Kind: Instance, Name: "slow", Scripts: Scripts{Notify: Action{Command: blockingScript(t, started, release)}}},
		Target{Kind: Group, Name: "G", Scripts: Scripts{Notify: Action{Command: appendScript(t, other, "g")}}},
	)
	n.Notify(Event{Instance, "slow", Master, 0})
	waitLines(t, started, 1) // the first script is now running and blocked
	for i := 1; i <= 9; i++ {
		n.Notify(Event{Instance, "slow", Backup, i})
	}
	// All ten calls returned while the first script is still blocked.
	if n.Dropped() != 6 {
		t.Fatalf("dropped %d, want 6 (9 queued behind a running script, queue of 3)", n.Dropped())
	}
	if n.Pending() != 3 {
		t.Fatalf("pending %d, want the 3 queued behind the running script", n.Pending())
	}
	n.Notify(Event{Group, "G", Fault, 0})
	if got := waitLines(t, other, 1); got[0] != "g GROUP G FAULT 0" {
		t.Fatalf("other target got %q", got)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got := waitLines(t, started, 4)
	want := []string{"INSTANCE slow MASTER 0", "INSTANCE slow BACKUP 7", "INSTANCE slow BACKUP 8", "INSTANCE slow BACKUP 9"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ran %q, want the first and the newest three %q", got, want)
	}
	if n.Pending() != 0 {
		t.Fatalf("pending %d once every script started, want 0", n.Pending())
	}
}

func TestScriptTimeoutLetsQueueMoveOn(t *testing.T) {
	dir := t.TempDir()
	started, out := filepath.Join(dir, "started"), filepath.Join(dir, "out")
	never := filepath.Join(dir, "never")
	scripts := Scripts{Master: Action{Command: blockingScript(t, started, never)}, Notify: Action{Command: appendScript(t, out, "n")}}
	n := newNotifier(t, Options{Runner: script.Runner{Timeout: 200 * time.Millisecond, KillGrace: 100 * time.Millisecond}},
		Target{Kind: Instance, Name: "VI_1", Scripts: scripts})
	n.Notify(Event{Instance, "VI_1", Master, 100})
	n.Notify(Event{Instance, "VI_1", Backup, 50})
	got := waitLines(t, out, 2)
	want := []string{"n INSTANCE VI_1 MASTER 100", "n INSTANCE VI_1 BACKUP 50"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	n, err := New(Options{}, []Target{{Kind: Instance, Name: "VI_1", Scripts: Scripts{Stop: Action{Command: appendScript(t, out, "stop")}}}})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(Event{Instance, "VI_1", Stop, 100})
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(out); string(data) != "stop\n" {
		t.Fatalf("stop script output %q, want it run before Close returned", data)
	}
	n.Notify(Event{Instance, "VI_1", Master, 100}) // ignored, must not panic or run
}

func TestCloseKillsHungScriptsAtDeadline(t *testing.T) {
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	n, err := New(Options{Runner: script.Runner{Timeout: time.Minute, KillGrace: 100 * time.Millisecond}},
		[]Target{{Kind: Instance, Name: "VI_1", Scripts: Scripts{Stop: Action{Command: blockingScript(t, started, filepath.Join(dir, "never"))}}}})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(Event{Instance, "VI_1", Stop, 100})
	waitLines(t, started, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- n.Close(ctx) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Close reported success although a script had to be killed")
		}
	case <-time.After(deadline):
		t.Fatal("Close did not return after its context expired")
	}
}

func TestFIFOLinesInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.fifo")
	n := newNotifier(t, Options{FIFOs: []FIFO{{Path: path}}})
	info, err := os.Stat(path)
	if err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("FIFO not created: %v %v", info, err)
	}
	reader, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var want []string
	for i := range 200 {
		ev := Event{Instance, "VI_1", []State{Master, Backup}[i%2], i}
		if i%10 == 0 {
			ev = Event{Group, "G", Fault, i}
		}
		n.Notify(ev)
		want = append(want, strings.TrimSuffix(ev.FIFOLine(), "\n"))
	}
	if err := reader.SetReadDeadline(time.Now().Add(deadline)); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(reader)
	for i, w := range want {
		if !sc.Scan() {
			t.Fatalf("line %d: %v", i, sc.Err())
		}
		if sc.Text() != w {
			t.Fatalf("line %d = %q, want %q", i, sc.Text(), w)
		}
	}
}

func TestFIFOWithoutReaderNeverBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.fifo")
	n := newNotifier(t, Options{FIFOs: []FIFO{{Path: path}}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10000 { // ~270 kB: far beyond the pipe buffer
			n.Notify(Event{Instance, "VI_1", Master, i % 255})
		}
	}()
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatal("Notify blocked on a FIFO without a reader")
	}
	if n.FIFODropped() == 0 {
		t.Fatal("expected dropped FIFO lines once the pipe buffer was full")
	}
}

func TestFIFOPathMustBeAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regular")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{FIFOs: []FIFO{{Path: path}}}, nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want error naming %s, got %v", path, err)
	}
	existing := filepath.Join(t.TempDir(), "existing.fifo")
	if err := unix.Mkfifo(existing, 0o600); err != nil {
		t.Fatal(err)
	}
	n := newNotifier(t, Options{FIFOs: []FIFO{{Path: existing}}})
	n.Notify(Event{Instance, "VI_1", Master, 1})
}

func TestNotifyScriptAsUser(t *testing.T) {
	testenv.RequireRoot(t, "running notify scripts as another user")
	nobody, err := script.LookupIdentity("nobody", "")
	if err != nil {
		testenv.Missing(t, "no nobody user: %v", err)
	}
	// t.TempDir's parent is private to root; nobody needs a directory it can reach and write.
	dir, err := os.MkdirTemp("", "havip-notify-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := script.Command{Text: "id -u > " + out}
	n := newNotifier(t, Options{}, Target{Kind: Instance, Name: "VI_1", Scripts: Scripts{Master: Action{Command: cmd, As: &nobody}}})
	n.Notify(Event{Instance, "VI_1", Master, 100})
	if got := waitLines(t, out, 1); got[0] != fmt.Sprint(nobody.UID) {
		t.Fatalf("script ran as uid %s, want %d", got[0], nobody.UID)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(out, &st); err != nil || st.Uid != nobody.UID {
		t.Fatalf("output owned by %d, want %d (%v)", st.Uid, nobody.UID, err)
	}
}

// readerScript writes an executable shell script into dir and returns its path.
func readerScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFileLines waits until path holds want (lines, in order) and nothing else.
func waitFileLines(t *testing.T, path string, want []string) {
	t.Helper()
	var got string
	for end := time.Now().Add(deadline); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		data, _ := os.ReadFile(path)
		if got = string(data); got == strings.Join(want, "\n")+"\n" {
			return
		}
	}
	t.Fatalf("%s = %q, want lines %q", filepath.Base(path), got, want)
}

// TestFIFOReaderScripts: notify_fifo and vrrp_notify_fifo each start their
// notify_fifo_script with the FIFO as last argument; both get every line in
// order; Close lets a reader that reads to end of file finish with the last
// line, and terminates one that never sees end of file.
func TestFIFOReaderScripts(t *testing.T) {
	dir := t.TempDir()
	// Reads until end of file, which it sees once havip closes its end.
	eofReader := readerScript(t, dir, "eof-reader", `out=$1.log
echo "args $#" >> "$out"
while IFS= read -r line; do printf '%s\n' "$line" >> "$out"; done < "$2"
echo EOF >> "$out"
`)
	// Holds the FIFO read-write, so it never sees end of file: only SIGTERM ends it.
	termReader := readerScript(t, dir, "term-reader", `out=$1.log
trap 'echo TERM >> "$out"; exit 0' TERM
echo "args $#" >> "$out"
exec 3<>"$2"
while IFS= read -r line <&3; do printf '%s\n' "$line" >> "$out"; done
`)
	notifyFIFO, vrrpFIFO := filepath.Join(dir, "notify.fifo"), filepath.Join(dir, "vrrp.fifo")
	eofLog, termLog := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	n, err := New(Options{FIFOs: []FIFO{
		{Path: notifyFIFO, Reader: Action{Command: script.Command{Args: []string{eofReader, filepath.Join(dir, "a")}}}},
		{Path: vrrpFIFO, Reader: Action{Command: script.Command{Text: termReader + " " + filepath.Join(dir, "b")}}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	events := []Event{{Instance, "VI_1", Backup, 100}, {Instance, "VI_1", Master, 100}, {Group, "G", Master, 0}}
	want := []string{"args 2"}
	for _, ev := range events {
		n.Notify(ev)
		want = append(want, strings.TrimSuffix(ev.FIFOLine(), "\n"))
	}
	waitFileLines(t, eofLog, want)
	waitFileLines(t, termLog, want)

	last := Event{Instance, "VI_1", Stop, 0}
	n.Notify(last)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	want = append(want, strings.TrimSuffix(last.FIFOLine(), "\n"))
	waitFileLines(t, eofLog, append(want, "EOF"))
	data, _ := os.ReadFile(termLog)
	if !strings.HasSuffix(string(data), "TERM\n") {
		t.Errorf("the read-write reader was not terminated by SIGTERM: %q", data)
	}
	for _, p := range []string{notifyFIFO, vrrpFIFO} {
		if info, err := os.Stat(p); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%s: want the FIFO kept for the next start: %v %v", p, info, err)
		}
	}
}

// TestFIFOReaderScriptExitIsLogged: a reader that exits on its own is an
// error in the log naming the FIFO and the exit code, and notifications go on.
func TestFIFOReaderScriptExitIsLogged(t *testing.T) {
	dir := t.TempDir()
	var logBuf testlog.Buffer
	reader := readerScript(t, dir, "quits", "exit 7\n")
	path := filepath.Join(dir, "notify.fifo")
	n, err := New(Options{FIFOs: []FIFO{{Path: path, Reader: Action{Command: script.Command{Args: []string{reader}}}}},
		Log: slog.New(slog.NewTextHandler(&logBuf, nil))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	for end := time.Now().Add(deadline); !strings.Contains(logBuf.String(), "notify_fifo_script exited"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no log of the reader's exit:\n%s", logBuf.String())
		}
	}
	if line := logBuf.String(); !strings.Contains(line, "fifo="+path) || !strings.Contains(line, "exit_code=7") {
		t.Errorf("log does not name the FIFO and exit code 7: %s", line)
	}
	n.Notify(Event{Instance, "VI_1", Master, 100})
}

// TestUnusableScriptIsNotRun: a notify script that cannot run is left out with a warning naming
// it (keepalived disables it), the other scripts still run, and once fixed it runs.
func TestUnusableScriptIsNotRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	missing := filepath.Join(dir, "missing.sh")
	var logBuf testlog.Buffer
	n := newNotifier(t, Options{Log: slog.New(slog.NewTextHandler(&logBuf, nil))}, Target{Kind: Instance, Name: "VI_1", Scripts: Scripts{
		Master: Action{Command: script.Command{Args: []string{missing}}},
		Notify: Action{Command: appendScript(t, out, "notify")},
	}})
	n.Notify(Event{Instance, "VI_1", Master, 100})
	if got, want := waitLines(t, out, 1), []string{"notify INSTANCE VI_1 MASTER 100"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("scripts ran %q, want %q", got, want)
	}
	if log := logBuf.String(); !strings.Contains(log, "notify script not run") || !strings.Contains(log, missing+" does not exist") {
		t.Fatalf("no warning naming %s:\n%s", missing, log)
	}
	if err := os.WriteFile(missing, []byte("#!/bin/sh\necho fixed >> "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	n.Notify(Event{Instance, "VI_1", Master, 100})
	if got, want := waitLines(t, out, 3), []string{"notify INSTANCE VI_1 MASTER 100", "fixed", "notify INSTANCE VI_1 MASTER 100"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("scripts ran %q, want %q", got, want)
	}
}

// TestWriteFIFORunsNoScript: WriteFIFO (fifo_write_vrrp_states_on_reload)
// writes the event's FIFO line in order with Notify's, and runs no script;
// after Close it writes nothing.
func TestWriteFIFORunsNoScript(t *testing.T) {
	dir := t.TempDir()
	path, out := filepath.Join(dir, "notify.fifo"), filepath.Join(dir, "out")
	n := newNotifier(t, Options{FIFOs: []FIFO{{Path: path}}}, Target{Kind: Instance, Name: "VI_1", Scripts: Scripts{
		Backup: Action{Command: appendScript(t, out, "backup")},
		Notify: Action{Command: appendScript(t, out, "notify")},
	}})
	reader, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	events := []struct {
		ev     Event
		notify bool
	}{
		{Event{Group, "G", Master, 0}, false},
		{Event{Instance, "VI_1", Backup, 90}, false},
		{Event{Instance, "VI_1", Backup, 100}, true},
	}
	var want []string
	for _, e := range events {
		if e.notify {
			n.Notify(e.ev)
		} else {
			n.WriteFIFO(e.ev)
		}
		want = append(want, strings.TrimSuffix(e.ev.FIFOLine(), "\n"))
	}
	if err := reader.SetReadDeadline(time.Now().Add(deadline)); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(reader)
	for i, w := range want {
		if !sc.Scan() || sc.Text() != w {
			t.Fatalf("FIFO line %d = %q (%v), want %q", i, sc.Text(), sc.Err(), w)
		}
	}
	if got := waitLines(t, out, 2); !reflect.DeepEqual(got, []string{"backup", "notify INSTANCE VI_1 BACKUP 100"}) {
		t.Fatalf("scripts ran %q, want only those of the Notify", got)
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	n.WriteFIFO(Event{Instance, "VI_1", Fault, 1}) // closed: nothing, no panic
}

// TestFIFOsTakeTheirLines: notify_fifo takes the VRRP and the LVS lines in
// the order they come, vrrp_notify_fifo the VRRP lines only, lvs_notify_fifo
// the LVS lines only.
func TestFIFOsTakeTheirLines(t *testing.T) {
	dir := t.TempDir()
	all, vrrpOnly, lvsOnly := filepath.Join(dir, "notify.fifo"), filepath.Join(dir, "vrrp.fifo"), filepath.Join(dir, "lvs.fifo")
	n := newNotifier(t, Options{FIFOs: []FIFO{{Path: all}, {Path: vrrpOnly, NoLVS: true}, {Path: lvsOnly, NoVRRP: true}}})
	readers := map[string]*bufio.Scanner{}
	for _, p := range []string{all, vrrpOnly, lvsOnly} {
		r, err := os.OpenFile(p, os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.SetReadDeadline(time.Now().Add(deadline)); err != nil {
			t.Fatal(err)
		}
		readers[p] = bufio.NewScanner(r)
	}
	ev := Event{Instance, "VI_1", Master, 100}
	n.Notify(ev)
	n.NotifyLVS("RS [192.0.2.20]:tcp:80 [192.0.2.10]:tcp:80 DOWN")
	n.NotifyLVS("VS [192.0.2.10]:tcp:80 DOWN")
	vrrpLine := strings.TrimSuffix(ev.FIFOLine(), "\n")
	for path, want := range map[string][]string{
		all:      {vrrpLine, "RS [192.0.2.20]:tcp:80 [192.0.2.10]:tcp:80 DOWN", "VS [192.0.2.10]:tcp:80 DOWN"},
		vrrpOnly: {vrrpLine},
		lvsOnly:  {"RS [192.0.2.20]:tcp:80 [192.0.2.10]:tcp:80 DOWN", "VS [192.0.2.10]:tcp:80 DOWN"},
	} {
		for i, w := range want {
			if !readers[path].Scan() {
				t.Fatalf("%s line %d: %v", filepath.Base(path), i, readers[path].Err())
			}
			if got := readers[path].Text(); got != w {
				t.Fatalf("%s line %d = %q, want %q", filepath.Base(path), i, got, w)
			}
		}
	}
	// The VRRP-only FIFO got nothing more: a sentinel VRRP line comes next.
	sentinel := Event{Instance, "VI_2", Backup, 90}
	n.Notify(sentinel)
	if !readers[vrrpOnly].Scan() || readers[vrrpOnly].Text() != strings.TrimSuffix(sentinel.FIFOLine(), "\n") {
		t.Fatalf("vrrp_notify_fifo after the LVS lines: %q, want the sentinel", readers[vrrpOnly].Text())
	}
}
