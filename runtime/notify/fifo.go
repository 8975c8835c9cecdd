package notify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/havip/havip/runtime/script"

	"golang.org/x/sys/unix"
)

// fifo writes notify lines to a named pipe without ever blocking. The descriptor is used with raw
// system calls: an *os.File would hand a FIFO to the runtime poller and wait for room.
type fifo struct {
	path    string
	fd      int
	dropped atomic.Uint64
	log     *slog.Logger
	// noVRRP and noLVS: the lines this FIFO does not take (FIFO.NoVRRP, FIFO.NoLVS).
	noVRRP, noLVS bool

	// The notify_fifo_script reader, when configured: stopReader ends it, readerDone is closed
	// once it has exited.
	stopReader context.CancelFunc
	readerDone chan struct{}
}

// drainTimeout bounds how long Close lets a reader script consume the lines still in the FIFO
// (the final STOP lines) before it is terminated.
const drainTimeout = time.Second

// drainPoll is how often Close looks whether the reader has consumed them.
const drainPoll = 10 * time.Millisecond

// eofGrace is how long Close waits for a reader to exit on end of file before terminating it.
const eofGrace = 500 * time.Millisecond

// createFIFO makes path a FIFO (mode 0644, as keepalived: a reader script running as the
// unprivileged script user must be able to open it) unless it already is one.
func createFIFO(path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := unix.Mkfifo(path, 0o644); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("notify_fifo %s: create: %w", path, err)
		}
	case err != nil:
		return fmt.Errorf("notify_fifo %s: %w", path, err)
	case info.Mode()&fs.ModeNamedPipe == 0:
		return fmt.Errorf("notify_fifo %s exists and is not a FIFO (%s); remove it or choose another path", path, info.Mode().Type())
	}
	return nil
}

// openFIFO creates path as a FIFO when it does not exist, starts its reader script when one is
// configured (with the FIFO's path as its last argument, as keepalived does), and opens the FIFO
// read-write and non-blocking: holding the read side ourselves means opening never waits for a
// reader and writes never fail with EPIPE, exactly as keepalived does.
func openFIFO(path string, reader Action, runner script.Runner, log *slog.Logger) (*fifo, error) {
	if err := createFIFO(path); err != nil {
		return nil, err
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("notify_fifo %s: open: %w", path, err)
	}
	f := &fifo{path: path, fd: fd, log: log}
	if !reader.Command.IsZero() {
		f.startReader(reader, runner)
	}
	return f, nil
}

// startReader runs the notify_fifo_script until close. It runs without a timeout; if it exits on
// its own that is logged, and lines then accumulate in the FIFO until it is full and are dropped.
func (f *fifo) startReader(reader Action, runner script.Runner) {
	if reader.As != nil {
		runner.As = reader.As
	}
	runner.Timeout = -1
	ctx, cancel := context.WithCancel(context.Background())
	f.stopReader, f.readerDone = cancel, make(chan struct{})
	go func() {
		defer close(f.readerDone)
		res := runner.Run(ctx, reader.Command, f.path)
		if ctx.Err() == nil {
			f.log.Error("notify_fifo_script exited; FIFO lines are kept until the FIFO is full, then dropped",
				"fifo", f.path, "script", reader.Command.String(), "exit_code", res.ExitCode, "err", res.Err)
		}
	}()
}

// write writes one line atomically (lines are far shorter than PIPE_BUF) or drops it when the
// FIFO is full.
func (f *fifo) write(line string) {
	for {
		_, err := unix.Write(f.fd, []byte(line))
		switch {
		case err == nil:
			return
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			if total := f.dropped.Add(1); total == 1 || total%100 == 0 {
				f.log.Warn("notify_fifo full (no reader?); dropping lines", "fifo", f.path, "dropped_total", total)
			}
		default:
			f.dropped.Add(1)
			f.log.Warn("notify_fifo write failed; line dropped", "fifo", f.path, "error", err)
		}
		return
	}
}

// pending returns how many bytes are in the FIFO, not yet read by anyone.
func (f *fifo) pending() int {
	n, err := unix.IoctlGetInt(f.fd, unix.TIOCINQ) // FIONREAD
	if err != nil {
		return 0
	}
	return n
}

// close shuts the FIFO down gently when a reader script runs: it lets the reader consume what is
// in the FIFO (at most drainTimeout), closes havip's end so that a reader that opened the FIFO
// read-only sees end of file, waits up to eofGrace for it to exit on its own, and only then ends
// it (SIGTERM to its process group, SIGKILL after the runner's grace). The FIFO stays in the file
// system, as a later start or a reload reuses it.
func (f *fifo) close() error {
	if f.stopReader != nil {
		deadline := time.Now().Add(drainTimeout)
		for f.pending() > 0 && time.Now().Before(deadline) {
			if f.readerExited(drainPoll) {
				break
			}
		}
	}
	var err error
	if cerr := unix.Close(f.fd); cerr != nil {
		err = fmt.Errorf("notify_fifo %s: close: %w", f.path, cerr)
	}
	if f.stopReader != nil {
		f.readerExited(eofGrace)
		f.stopReader()
		<-f.readerDone
	}
	return err
}

// readerExited waits up to d for the reader script to exit and reports whether it has.
func (f *fifo) readerExited(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-f.readerDone:
		return true
	case <-t.C:
		return false
	}
}
