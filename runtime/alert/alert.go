// Package alert sends keepalived 2.2.7's SMTP alerts for VRRP instance and
// sync group transitions: the same dialogue (HELO, MAIL FROM, one RCPT TO
// per notification_email, DATA) and the same message (Date, From,
// Subject, X-Mailer, To headers, then the body) as keepalived's smtp.c.
//
// Alerts are sent off the caller's goroutine, one connection each, every
// read and write bounded by smtp_connect_timeout. A failure is logged
// once until an alert goes through again, and counted (Totals).
package alert

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/notify"
)

// DefaultTimeout is keepalived's smtp_connect_timeout default.
const DefaultTimeout = 30 * time.Second

// Config is what an alert needs from global_defs.
type Config struct {
	Server   string   // HOST:PORT; "" = no alerts
	HeloName string   // the HELO argument
	From     string   // MAIL FROM and the From header
	To       []string // RCPT TO, in order, and the To header
	Timeout  time.Duration
	RouterID string // the [ROUTER_ID] of the subject
	// NoEmailFaults sends no alert for entering FAULT.
	NoEmailFaults bool
}

// unknownName is keepalived's local name when the host has none.
const unknownName = "[unknown]"

// FromGlobal resolves global_defs as keepalived does: the router ID, the
// HELO name and the sender's domain default to hostname, the host's
// canonical name; the sender is root@HOSTNAME (keepalived's user is root).
// Without a host name the router ID is "[unknown]", the HELO name
// "localhost" and the sender must be given.
func FromGlobal(g *config.GlobalDefs, hostname string) Config {
	c := Config{
		Server: g.SMTPServer, HeloName: g.SMTPHeloName, From: g.NotificationEmailFrom,
		To: g.NotificationEmail, Timeout: g.SMTPConnectTimeout, RouterID: g.RouterID, NoEmailFaults: g.NoEmailFaults,
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if hostname == "" {
		hostname = unknownName
	}
	if c.RouterID == "" {
		c.RouterID = hostname
	}
	if hostname != unknownName {
		if c.HeloName == "" {
			c.HeloName = hostname
		}
		if c.From == "" {
			c.From = "root@" + hostname
		}
	}
	if c.HeloName == "" {
		c.HeloName = "localhost"
	}
	return c
}

// Message is an alert's subject and body.
type Message struct {
	Subject, Body string
}

// Transition is the alert keepalived sends when an instance (Instance) or
// a sync group (Group) enters st; false for the states it sends none for.
func Transition(routerID string, kind notify.Kind, name string, st notify.State) (Message, bool) {
	var what, subject, body string
	switch kind {
	case notify.Instance:
		what = "VRRP Instance"
		switch st {
		case notify.Master:
			subject, body = "Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="
		case notify.Backup:
			subject, body = "Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="
		case notify.Fault:
			subject, body = "Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="
		case notify.Stop:
			subject, body = "Stopping", "=> VRRP Instance stopping <="
		case notify.Deleted:
			subject, body = "Deleted", "=> VRRP Deleted at reload <="
		}
	case notify.Group:
		what = "VRRP Group"
		switch st {
		case notify.Master:
			subject, body = "Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="
		case notify.Backup:
			subject, body = "Entering BACKUP state", "=> All VRRP group instances are now in BACKUP state <="
		case notify.Fault:
			subject, body = "Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="
		case notify.Stop:
			subject, body = "Stopping", "=> All VRRP group instances are now stopping <="
		}
	}
	if subject == "" {
		return Message{}, false
	}
	return Message{Subject: fmt.Sprintf("[%s] %s %s - %s", routerID, what, name, subject), Body: body}, true
}

// Data is the DATA text of m sent at now, with the terminating ".".
func (c *Config) Data(m Message, now time.Time) string {
	return "Date: " + now.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n" +
		"From: " + c.From + "\r\n" +
		"Subject: " + m.Subject + "\r\n" +
		"X-Mailer: Keepalived\r\n" +
		"To: " + strings.Join(c.To, ", ") + "\r\n\r\n" +
		m.Body + "\r\n" +
		"\r\n.\r\n"
}

// ReplyError is a reply other than the one expected at a step.
type ReplyError struct {
	Step string
	Code int
	Line string
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("%s: the SMTP server replied %q", e.Step, e.Line)
}

// Send delivers m to c.Server, every step bounded by c.Timeout.
func Send(ctx context.Context, c *Config, m Message, now time.Time) error {
	d := net.Dialer{Timeout: c.Timeout}
	conn, err := d.DialContext(ctx, "tcp", c.Server)
	if err != nil {
		return fmt.Errorf("connecting to the SMTP server %s: %w", c.Server, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	r := bufio.NewReader(conn)
	step := func(name, cmd string, want int) error {
		if err := conn.SetDeadline(time.Now().Add(c.Timeout)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if cmd != "" {
			if _, err := conn.Write([]byte(cmd)); err != nil {
				return fmt.Errorf("%s: sending to the SMTP server %s: %w", name, c.Server, err)
			}
		}
		code, line, err := readReply(r)
		if err != nil {
			return fmt.Errorf("%s: reading from the SMTP server %s: %w", name, c.Server, err)
		}
		if code != want {
			return &ReplyError{Step: name, Code: code, Line: line}
		}
		return nil
	}
	if err := step("greeting", "", 220); err != nil {
		return err
	}
	if err := step("HELO", "HELO "+c.HeloName+"\r\n", 250); err != nil {
		return err
	}
	if err := step("MAIL", "MAIL FROM:<"+c.From+">\r\n", 250); err != nil {
		return err
	}
	for _, to := range c.To {
		if err := step("RCPT", "RCPT TO:<"+to+">\r\n", 250); err != nil {
			return err
		}
	}
	if err := step("DATA", "DATA\r\n", 354); err != nil {
		return err
	}
	if err := step("BODY", c.Data(m, now), 250); err != nil {
		return err
	}
	return step("QUIT", "QUIT\r\n", 221)
}

// readReply reads one reply, skipping the lines of a multi-line reply
// ("250-..."), and returns the code of its last line.
func readReply(r *bufio.Reader) (int, string, error) {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return 0, "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			return 0, line, fmt.Errorf("malformed reply %q", line)
		}
		if len(line) > 3 && line[3] == '-' {
			continue
		}
		code := 0
		for _, d := range []byte(line[:3]) {
			if d < '0' || d > '9' {
				return 0, line, fmt.Errorf("malformed reply %q", line)
			}
			code = code*10 + int(d-'0')
		}
		return code, line, nil
	}
}

var sentTotal, failedTotal atomic.Uint64

// Totals are the alerts sent and those that failed since the start.
func Totals() (sent, failed uint64) { return sentTotal.Load(), failedTotal.Load() }

// target is an instance or a sync group.
type target struct {
	kind notify.Kind
	name string
}

// Alerter sends the alerts of the targets that have smtp_alert, once per
// state entered (keepalived's last_email_state).
type Alerter struct {
	cfg     Config
	log     *slog.Logger
	enabled map[target]bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	last    map[target]notify.State
	failing bool
}

// New returns an alerter for cfg's instances and sync groups, keeping
// prev's last states (prev may be nil); nil when cfg sends no alerts.
// hostname is called only when alerts are sent.
func New(cfg *config.Config, hostname func() string, log *slog.Logger, prev *Alerter) *Alerter {
	if cfg.Global.SMTPServer == "" || len(cfg.Global.NotificationEmail) == 0 {
		return nil
	}
	c := FromGlobal(&cfg.Global, hostname())
	a := &Alerter{cfg: c, log: log, enabled: map[target]bool{}, last: map[target]notify.State{}}
	for _, in := range cfg.Instances {
		a.enabled[target{notify.Instance, in.Name}] = in.SMTPAlert
	}
	for _, g := range cfg.SyncGroups {
		a.enabled[target{notify.Group, g.Name}] = g.SMTPAlert
	}
	if prev != nil {
		prev.mu.Lock()
		for t, st := range prev.last {
			a.last[t] = st
		}
		prev.mu.Unlock()
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	return a
}

// Hostname is keepalived's local name: the canonical name of the host's
// name ("" when it has none or it does not resolve), looked up once.
var Hostname = sync.OnceValue(hostname)

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cname, err := net.DefaultResolver.LookupCNAME(ctx, h)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(cname, ".")
}

// Notify sends the alert of ev, if its target has smtp_alert and the
// state differs from the last one alerted. It never blocks. A nil
// Alerter sends nothing.
func (a *Alerter) Notify(ev notify.Event) {
	if a == nil {
		return
	}
	t := target{ev.Kind, ev.Name}
	if !a.enabled[t] || (a.cfg.NoEmailFaults && ev.State == notify.Fault) {
		return
	}
	m, ok := Transition(a.cfg.RouterID, ev.Kind, ev.Name, ev.State)
	if !ok {
		return
	}
	a.mu.Lock()
	if a.last[t] == ev.State {
		a.mu.Unlock()
		return
	}
	a.last[t] = ev.State
	a.mu.Unlock()
	now := time.Now()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.report(Send(a.ctx, &a.cfg, m, now), m)
	}()
}

// report counts a result and logs the first failure of a burst.
func (a *Alerter) report(err error, m Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err == nil {
		sentTotal.Add(1)
		if a.failing {
			a.log.Info("SMTP alerts are sent again", "server", a.cfg.Server)
		}
		a.failing = false
		return
	}
	failedTotal.Add(1)
	if !a.failing && !errors.Is(err, context.Canceled) {
		a.log.Warn("SMTP alert not sent; further failures are counted in havip_smtp_alerts_total until one is sent",
			"server", a.cfg.Server, "subject", m.Subject, "err", err)
	}
	a.failing = true
}

// Close waits for the alerts under way, up to their timeout, then
// abandons the rest. A nil Alerter has nothing to wait for.
func (a *Alerter) Close(wait time.Duration) {
	if a == nil {
		return
	}
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		a.cancel()
		<-done
	}
	a.cancel()
}
