package alert

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/notify"
)

// smtpServer is a minimal SMTP server recording each session's dialogue.
type smtpServer struct {
	ln       net.Listener
	replies  map[string]string // command verb -> reply line, overriding the default
	silent   bool              // accept and never reply
	mu       sync.Mutex
	sessions [][]string // the client's lines, DATA content as one entry
	got      chan struct{}
}

func startServer(t *testing.T, replies map[string]string, silent bool) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, replies: replies, silent: silent, got: make(chan struct{}, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	if s.silent {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	var lines []string
	defer func() {
		s.mu.Lock()
		s.sessions = append(s.sessions, lines)
		s.mu.Unlock()
		s.got <- struct{}{}
	}()
	r := bufio.NewReader(c)
	reply := func(verb, def string) bool {
		if r, ok := s.replies[verb]; ok {
			def = r
		}
		_, err := io.WriteString(c, def+"\r\n")
		return err == nil && def[0] != '5'
	}
	if !reply("", "220-test.example ESMTP\r\n220 ready") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		lines = append(lines, line)
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "DATA":
			if !reply(verb, "354 go ahead") {
				return
			}
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				data.WriteString(l)
				if l == ".\r\n" {
					break
				}
			}
			lines = append(lines, data.String())
			if !reply("BODY", "250 queued") {
				return
			}
		case "QUIT":
			reply(verb, "221 bye")
			return
		default:
			if !reply(verb, "250 ok") {
				return
			}
		}
	}
}

func (s *smtpServer) wait(t *testing.T) []string {
	t.Helper()
	select {
	case <-s.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no SMTP session ended within 10s")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[len(s.sessions)-1]
}

func TestTransitionMessages(t *testing.T) {
	tests := []struct {
		kind    notify.Kind
		st      notify.State
		subject string
		body    string
	}{
		{notify.Instance, notify.Master, "[lb1] VRRP Instance N - Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="},
		{notify.Instance, notify.Backup, "[lb1] VRRP Instance N - Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="},
		{notify.Instance, notify.Fault, "[lb1] VRRP Instance N - Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="},
		{notify.Instance, notify.Stop, "[lb1] VRRP Instance N - Stopping", "=> VRRP Instance stopping <="},
		{notify.Instance, notify.Deleted, "[lb1] VRRP Instance N - Deleted", "=> VRRP Deleted at reload <="},
		{notify.Group, notify.Master, "[lb1] VRRP Group N - Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="},
		{notify.Group, notify.Backup, "[lb1] VRRP Group N - Entering BACKUP state", "=> All VRRP group instances are now in BACKUP state <="},
		{notify.Group, notify.Fault, "[lb1] VRRP Group N - Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="},
		{notify.Group, notify.Stop, "[lb1] VRRP Group N - Stopping", "=> All VRRP group instances are now stopping <="},
		{notify.Instance, notify.MasterRxLowerPri, "", ""},
		{notify.Instance, notify.MasterPriority, "", ""},
		{notify.Group, notify.Deleted, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String()+" "+tc.st.String(), func(t *testing.T) {
			m, ok := Transition("lb1", tc.kind, "N", tc.st)
			if ok != (tc.subject != "") || m.Subject != tc.subject || m.Body != tc.body {
				t.Fatalf("got %+v %v, want %q %q", m, ok, tc.subject, tc.body)
			}
		})
	}
}

func TestData(t *testing.T) {
	c := Config{From: "root@lb1", To: []string{"a@example.com", "b@example.com"}}
	now := time.Date(2026, 3, 1, 9, 44, 8, 0, time.FixedZone("", 3600))
	got := c.Data(Message{Subject: "[lb1] VRRP Instance VI_1 - Entering MASTER state", Body: "=> VRRP Instance is now owning VRRP VIPs <="}, now)
	want := "Date: Sun, 01 Mar 2026 09:44:08 +0100\r\nFrom: root@lb1\r\nSubject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n" +
		"X-Mailer: Keepalived\r\nTo: a@example.com, b@example.com\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestFromGlobal(t *testing.T) {
	tests := []struct {
		name string
		g    config.GlobalDefs
		host string
		want Config
	}{
		{"defaults", config.GlobalDefs{SMTPServer: "192.0.2.1:25", NotificationEmail: []string{"a@x"}}, "lb1",
			Config{Server: "192.0.2.1:25", HeloName: "lb1", From: "root@lb1", To: []string{"a@x"}, Timeout: 30 * time.Second, RouterID: "lb1"}},
		{"given", config.GlobalDefs{SMTPServer: "192.0.2.1:25", SMTPHeloName: "h", NotificationEmailFrom: "f@x", SMTPConnectTimeout: time.Second, RouterID: "r", NoEmailFaults: true}, "lb1",
			Config{Server: "192.0.2.1:25", HeloName: "h", From: "f@x", Timeout: time.Second, RouterID: "r", NoEmailFaults: true}},
		{"no hostname", config.GlobalDefs{}, "", Config{HeloName: "localhost", Timeout: 30 * time.Second, RouterID: "[unknown]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FromGlobal(&tc.g, tc.host)
			if got.Server != tc.want.Server || got.HeloName != tc.want.HeloName || got.From != tc.want.From || strings.Join(got.To, ",") != strings.Join(tc.want.To, ",") ||
				got.Timeout != tc.want.Timeout || got.RouterID != tc.want.RouterID || got.NoEmailFaults != tc.want.NoEmailFaults {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSendDialogue(t *testing.T) {
	s := startServer(t, nil, false)
	c := Config{Server: s.ln.Addr().String(), HeloName: "lb1", From: "root@lb1", To: []string{"a@example.com", "b@example.com"}, Timeout: 5 * time.Second}
	m := Message{Subject: "[lb1] VRRP Instance VI_1 - Entering MASTER state", Body: "=> VRRP Instance is now owning VRRP VIPs <="}
	now := time.Now()
	if err := Send(context.Background(), &c, m, now); err != nil {
		t.Fatal(err)
	}
	got := s.wait(t)
	want := []string{"HELO lb1\r\n", "MAIL FROM:<root@lb1>\r\n", "RCPT TO:<a@example.com>\r\n", "RCPT TO:<b@example.com>\r\n", "DATA\r\n",
		strings.TrimSuffix(c.Data(m, now), ".\r\n") + ".\r\n", "QUIT\r\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("dialogue\n%q\nwant\n%q", got, want)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name    string
		replies map[string]string
		silent  bool
		want    string
	}{
		{"5xx to RCPT", map[string]string{"RCPT": "550 no such user"}, false, `RCPT: the SMTP server replied "550 no such user"`},
		{"5xx greeting", map[string]string{"": "554 go away"}, false, `greeting: the SMTP server replied "554 go away"`},
		{"5xx to DATA body", map[string]string{"BODY": "552 too big"}, false, `BODY: the SMTP server replied "552 too big"`},
		{"timeout", nil, true, "i/o timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.replies, tc.silent)
			c := Config{Server: s.ln.Addr().String(), HeloName: "h", From: "f@x", To: []string{"a@x"}, Timeout: 300 * time.Millisecond}
			start := time.Now()
			err := Send(context.Background(), &c, Message{Subject: "s", Body: "b"}, time.Now())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("took %s, beyond the timeout", time.Since(start))
			}
			var re *ReplyError
			if tc.silent == errors.As(err, &re) {
				t.Fatalf("ReplyError %v for %v", errors.As(err, &re), err)
			}
		})
	}
}

func TestSendRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := Config{Server: addr, HeloName: "h", From: "f@x", To: []string{"a@x"}, Timeout: time.Second}
	if err := Send(context.Background(), &c, Message{}, time.Now()); err == nil || !strings.Contains(err.Error(), "connecting to the SMTP server") {
		t.Fatalf("err %v", err)
	}
}

func TestAlerter(t *testing.T) {
	s := startServer(t, nil, false)
	src := "global_defs {\nrouter_id lb1\nnotification_email {\nops@example.com\n}\nsmtp_server " + strings.Replace(s.ln.Addr().String(), ":", " ", 1) +
		"\nno_email_faults\n}\n" +
		"vrrp_instance ON {\ninterface eth0\nvirtual_router_id 1\nsmtp_alert\nvirtual_ipaddress {\n192.0.2.1\n}\n}\n" +
		"vrrp_instance OFF {\ninterface eth0\nvirtual_router_id 2\nvirtual_ipaddress {\n192.0.2.2\n}\n}\n"
	cfg, diags := config.ParseBytes("/cfg/a.conf", []byte(src), config.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	a := New(cfg, func() string { return "host1" }, slog.New(slog.DiscardHandler), nil)
	if a == nil {
		t.Fatal("no alerter")
	}
	sent0, _ := Totals()
	a.Notify(notify.Event{Kind: notify.Instance, Name: "OFF", State: notify.Master})
	a.Notify(notify.Event{Kind: notify.Instance, Name: "ON", State: notify.Fault})
	a.Notify(notify.Event{Kind: notify.Instance, Name: "ON", State: notify.Master})
	a.Notify(notify.Event{Kind: notify.Instance, Name: "ON", State: notify.Master}) // same state: none
	a.Close(5 * time.Second)
	s.mu.Lock()
	n := len(s.sessions)
	sess := s.sessions
	s.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d sessions, want 1: %q", n, sess)
	}
	if !strings.Contains(sess[0][4], "Subject: [lb1] VRRP Instance ON - Entering MASTER state\r\n") {
		t.Fatalf("message %q", sess[0][4])
	}
	if sent, _ := Totals(); sent != sent0+1 {
		t.Fatalf("sent total %d, want %d", sent, sent0+1)
	}
	// A reload keeps the last state alerted.
	b := New(cfg, func() string { return "host1" }, slog.New(slog.DiscardHandler), a)
	b.Notify(notify.Event{Kind: notify.Instance, Name: "ON", State: notify.Master})
	b.Close(5 * time.Second)
	if sent, _ := Totals(); sent != sent0+1 {
		t.Fatalf("an alert for a state already alerted")
	}
	if New(&config.Config{}, func() string { return "h" }, nil, nil) != nil {
		t.Fatal("an alerter without smtp_server")
	}
}

func TestAlerterFailureCounted(t *testing.T) {
	s := startServer(t, map[string]string{"MAIL": "451 later"}, false)
	cfg := &config.Config{Global: config.GlobalDefs{SMTPServer: s.ln.Addr().String(), NotificationEmail: []string{"a@x"}, SMTPConnectTimeout: time.Second},
		Instances: []*config.Instance{{Name: "I", SMTPAlert: true}}}
	a := New(cfg, func() string { return "h" }, slog.New(slog.DiscardHandler), nil)
	_, failed0 := Totals()
	a.Notify(notify.Event{Kind: notify.Instance, Name: "I", State: notify.Backup})
	a.Notify(notify.Event{Kind: notify.Instance, Name: "I", State: notify.Master})
	a.Close(5 * time.Second)
	if _, failed := Totals(); failed != failed0+2 {
		t.Fatalf("failed total %d, want %d", failed, failed0+2)
	}
}
