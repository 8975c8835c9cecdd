// Package control is havip's local status socket: a running `havip run` or
// `havip supervise` answers every connection on a unix socket with a JSON
// snapshot of its instances, and `havip status` reads it. It never affects
// the VRRP engine: a socket that cannot be served is logged and skipped.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"
)

// DefaultSocket is where havip serves its status unless told otherwise.
const DefaultSocket = "/run/havip/havip.sock"

// writeTimeout bounds one answer, so a client that does not read cannot hold
// the server.
const writeTimeout = 2 * time.Second

// Listen opens the status socket at path, creating its directory. A socket
// left by a process that is gone is replaced; one that answers belongs to a
// running havip and is an error.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("status socket %s: %w", path, err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("status socket %s is served by another running havip; give this one --status-socket", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("status socket %s: removing a stale socket: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("status socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("status socket %s: %w", path, err)
	}
	return ln, nil
}

// Serve answers every connection on ln with the JSON of report() until ctx
// is done, then closes ln (which removes the socket file).
func Serve(ctx context.Context, ln net.Listener, report func() (any, error), log *slog.Logger) {
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("status socket stopped", "err", err)
			}
			return
		}
		answer(conn, report, log)
	}
}

// answer writes one snapshot to conn and closes it.
func answer(conn net.Conn, report func() (any, error), log *slog.Logger) {
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	v, err := report()
	if err != nil {
		v = map[string]string{"error": err.Error()}
	}
	if err := json.NewEncoder(conn).Encode(v); err != nil {
		log.Debug("status client went away", "err", err)
	}
}

// Query reads one snapshot from the status socket at path.
func Query(path string, timeout time.Duration) ([]byte, error) {
	conn, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, fmt.Errorf("no havip answers on %s (is it running, and is this its --status-socket?): %w", path, err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(conn)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var failed struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &failed) == nil && failed.Error != "" {
		return nil, fmt.Errorf("havip on %s: %s", path, failed.Error)
	}
	return b, nil
}
