package notify

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// fifo writes notify lines to a named pipe without ever blocking. The descriptor is used with raw
// system calls: an *os.File would hand a FIFO to the runtime poller and wait for room.
type fifo struct {
	path    string
	fd      int
	dropped atomic.Uint64
	log     *slog.Logger
}

// openFIFO creates path as a FIFO (mode 0600) when it does not exist and opens it read-write and
// non-blocking: holding the read side ourselves means opening never waits for a reader and writes
// never fail with EPIPE, exactly as keepalived does.
func openFIFO(path string, log *slog.Logger) (*fifo, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := unix.Mkfifo(path, 0o600); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("notify_fifo %s: create: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("notify_fifo %s: %w", path, err)
	case info.Mode()&fs.ModeNamedPipe == 0:
		return nil, fmt.Errorf("notify_fifo %s exists and is not a FIFO (%s); remove it or choose another path", path, info.Mode().Type())
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("notify_fifo %s: open: %w", path, err)
	}
	return &fifo{path: path, fd: fd, log: log}, nil
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

func (f *fifo) close() error {
	if err := unix.Close(f.fd); err != nil {
		return fmt.Errorf("notify_fifo %s: close: %w", f.path, err)
	}
	return nil
}
