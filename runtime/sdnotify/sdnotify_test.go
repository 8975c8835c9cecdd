package sdnotify

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen opens a fake systemd notify socket.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// receive reads one datagram into its assignments.
func receive(t *testing.T, conn *net.UnixConn) map[string]string {
	t.Helper()
	buf := make([]byte, 4096)
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(string(buf[:n]), "\n"), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("datagram line %q is not KEY=VALUE", line)
		}
		m[k] = v
	}
	return m
}

func TestNotifier(t *testing.T) {
	for _, name := range []string{filepath.Join(t.TempDir(), "notify"), "@havip-sdnotify-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)} {
		t.Run(name, func(t *testing.T) {
			conn := listen(t, name)
			n, err := New(name)
			if err != nil || !n.Enabled() {
				t.Fatalf("New(%q) = %v, %v", name, n, err)
			}
			if err := n.Ready("running"); err != nil {
				t.Fatal(err)
			}
			if m := receive(t, conn); m["READY"] != "1" || m["STATUS"] != "running" {
				t.Errorf("ready datagram = %v", m)
			}
			if err := n.Reloading(); err != nil {
				t.Fatal(err)
			}
			m := receive(t, conn)
			usec, err := strconv.ParseInt(m["MONOTONIC_USEC"], 10, 64)
			if m["RELOADING"] != "1" || err != nil || usec <= 0 {
				t.Errorf("reloading datagram = %v", m)
			}
			if err := n.Stopping(); err != nil {
				t.Fatal(err)
			}
			if m := receive(t, conn); m["STOPPING"] != "1" {
				t.Errorf("stopping datagram = %v", m)
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		socket  string
		enabled bool
		err     string
	}{
		{"", false, ""},
		{"/run/systemd/notify", true, ""},
		{"@abstract", true, ""},
		{"relative/path", false, `$NOTIFY_SOCKET "relative/path": want an absolute path or an @abstract socket name`},
	} {
		n, err := New(tc.socket)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("New(%q) error = %v, want %q", tc.socket, err, tc.err)
			}
			continue
		}
		if err != nil || n.Enabled() != tc.enabled {
			t.Errorf("New(%q) = enabled %v, %v; want %v", tc.socket, n.Enabled(), err, tc.enabled)
		}
	}
	var zero Notifier
	if err := zero.Ready("x"); err != nil {
		t.Errorf("the zero Notifier sent: %v", err)
	}
}

func TestSendToAMissingSocketFails(t *testing.T) {
	n, err := New(filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ready("x"); err == nil || !strings.Contains(err.Error(), "notifying systemd") {
		t.Errorf("Ready to a missing socket = %v, want an error", err)
	}
}
