package check

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
)

type smtpProber struct {
	t    Target
	helo string
}

// Probe reads the 220 greeting, says HELO and wants 250, then QUITs.
func (p smtpProber) Probe(ctx context.Context) Result {
	ctx, cancel := bounded(ctx, p.t.Timeout)
	defer cancel()
	conn, err := p.t.dialer("tcp").DialContext(ctx, "tcp", p.t.Addr.String())
	if err != nil {
		return fail("smtp connect to %s: %v", p.t.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	helo := p.helo
	if helo == "" {
		helo, _ = os.Hostname()
	}
	if err := smtpDialogue(conn, helo); err != nil {
		return fail("smtp %s: %v", p.t.Addr, err)
	}
	return Result{OK: true, Detail: "smtp " + p.t.Addr.String() + " answered HELO"}
}

func smtpDialogue(conn net.Conn, helo string) error {
	rd := bufio.NewReader(conn)
	if err := smtpExpect(rd, "220"); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if _, err := fmt.Fprintf(conn, "HELO %s\r\n", helo); err != nil {
		return err
	}
	if err := smtpExpect(rd, "250"); err != nil {
		return fmt.Errorf("HELO: %w", err)
	}
	fmt.Fprintf(conn, "QUIT\r\n")
	return nil
}

// smtpExpect reads one (possibly multi-line) reply and checks its code.
func smtpExpect(rd *bufio.Reader, code string) error {
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 || line[:3] != code {
			return fmt.Errorf("reply %q, want %s", strings.TrimSpace(line), code)
		}
		if line[3] != '-' {
			return nil
		}
	}
}
