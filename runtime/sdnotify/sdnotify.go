// Package sdnotify tells systemd about a service's state through the
// $NOTIFY_SOCKET datagram socket (sd_notify(3)): ready, reloading, stopping.
package sdnotify

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// EnvSocket is the environment variable systemd sets to its notify socket.
const EnvSocket = "NOTIFY_SOCKET"

// Notifier sends state changes to one notify socket. The zero Notifier
// (no socket) sends nothing.
type Notifier struct {
	addr *net.UnixAddr
}

// New returns a Notifier for socket, the value of $NOTIFY_SOCKET: a path,
// or an abstract socket name starting with @. An empty socket gives a
// Notifier that sends nothing; any other value must be a unix socket name.
func New(socket string) (*Notifier, error) {
	if socket == "" {
		return &Notifier{}, nil
	}
	if !strings.HasPrefix(socket, "/") && !strings.HasPrefix(socket, "@") {
		return nil, fmt.Errorf("$%s %q: want an absolute path or an @abstract socket name", EnvSocket, socket)
	}
	return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
}

// Enabled reports whether n sends anything.
func (n *Notifier) Enabled() bool { return n.addr != nil }

// Ready says that the service runs its configuration (READY=1).
func (n *Notifier) Ready(status string) error {
	return n.send("READY=1", "STATUS="+status)
}

// Reloading says that a reload starts (RELOADING=1 with the monotonic clock,
// as Type=notify-reload of systemd 253 and later wants); Ready ends it.
func (n *Notifier) Reloading() error {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return fmt.Errorf("reading the monotonic clock: %w", err)
	}
	usec := ts.Nano() / 1000
	return n.send("RELOADING=1", "MONOTONIC_USEC="+strconv.FormatInt(usec, 10), "STATUS=reloading")
}

// Stopping says that the service is stopping (STOPPING=1).
func (n *Notifier) Stopping() error {
	return n.send("STOPPING=1", "STATUS=stopping")
}

// send writes one datagram of newline-separated assignments.
func (n *Notifier) send(lines ...string) error {
	if n.addr == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("notifying systemd on %s: %w", n.addr.Name, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		return fmt.Errorf("notifying systemd on %s: %w", n.addr.Name, err)
	}
	return nil
}
