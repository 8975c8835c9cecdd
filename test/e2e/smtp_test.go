package e2e

import (
	"bufio"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// mailSink is an SMTP server recording every session: the client's
// command lines, and the DATA text as one entry.
type mailSink struct {
	mu       sync.Mutex
	sessions [][]string
}

func (s *mailSink) serve(c net.Conn) {
	defer c.Close()
	var lines []string
	defer func() {
		s.mu.Lock()
		s.sessions = append(s.sessions, lines)
		s.mu.Unlock()
	}()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	reply := func(l string) bool { _, err := c.Write([]byte(l + "\r\n")); return err == nil }
	if !reply("220 sink.example ESMTP") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		lines = append(lines, line)
		switch strings.ToUpper(strings.TrimSpace(line)) {
		case "DATA":
			reply("354 go ahead")
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
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 ok")
		}
	}
}

// withSubject returns the first session whose message has subject, and
// the number of sessions so far.
func (s *mailSink) withSubject(subject string) ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.sessions {
		for _, l := range sess {
			if strings.Contains(l, "\r\nSubject: "+subject+"\r\n") {
				return slices.Clone(sess), len(s.sessions)
			}
		}
	}
	return nil, len(s.sessions)
}

func (s *mailSink) reset() {
	s.mu.Lock()
	s.sessions = nil
	s.mu.Unlock()
}

// subjects are the Subject headers received, in the order the sessions ended.
func (s *mailSink) subjects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, sess := range s.sessions {
		for _, l := range sess {
			if _, rest, ok := strings.Cut(l, "\r\nSubject: "); ok {
				subj, _, _ := strings.Cut(rest, "\r\n")
				out = append(out, subj)
			}
		}
	}
	return out
}

// withoutDate drops the Date header, which differs between any two messages.
func withoutDate(sess []string) []string {
	out := make([]string, 0, len(sess))
	for _, l := range sess {
		var kept []string
		for _, h := range strings.Split(l, "\r\n") {
			if !strings.HasPrefix(h, "Date: ") {
				kept = append(kept, h)
			}
		}
		out = append(out, strings.Join(kept, "\r\n"))
	}
	return out
}

// TestSMTPAlertsLikeKeepalived: keepalived 2.2.7, then havip, on the same
// config mail the same alerts from start to exit (BACKUP, MASTER, and no
// STOP alert), with the same dialogue and message for entering MASTER
// (only the Date header differs).
func TestSMTPAlertsLikeKeepalived(t *testing.T) {
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	sink := &mailSink{}
	server := netip.AddrPortFrom(node.IPv4, 2525)
	var ln net.Listener
	if err := node.Do(func() (err error) { ln, err = net.Listen("tcp", server.String()); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go sink.serve(c)
		}
	}()
	conf := "global_defs {\n  router_id lab1\n  notification_email {\n    ops@example.com\n    oncall@example.net\n  }\n" +
		"  notification_email_from havip@example.com\n  smtp_server " + server.Addr().String() + " 2525\n  smtp_helo_name lab1.example.com\n  smtp_connect_timeout 5\n}\n" +
		instanceConf{Priority: 100, VIPs: []string{"192.0.2.100/24"}, Extra: "  smtp_alert\n"}.conf()
	const subject = "[lab1] VRRP Instance VI_1 - Entering MASTER state"

	ka := node.StartKeepalived(t, conf)
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	var kaSess []string
	lab.Eventually(t, 10*time.Second, "keepalived's MASTER alert", func() bool { kaSess, _ = sink.withSubject(subject); return kaSess != nil })
	ka.Stop(t)
	// A STOP alert would arrive within smtp_connect_timeout of the exit.
	lab.Poll(2*time.Second, 50*time.Millisecond, func() bool { return len(sink.subjects()) > 2 })
	kaSubjects := sink.subjects()
	sink.reset()

	hv := startHavip(t, node, conf)
	hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
	var hvSess []string
	lab.Eventually(t, 10*time.Second, "havip's MASTER alert", func() bool { hvSess, _ = sink.withSubject(subject); return hvSess != nil })
	hv.Stop(t)
	lab.Poll(2*time.Second, 50*time.Millisecond, func() bool { return len(sink.subjects()) > 2 })
	hvSubjects := sink.subjects()

	wantSubjects := []string{"[lab1] VRRP Instance VI_1 - Entering BACKUP state", subject}
	if !slices.Equal(kaSubjects, wantSubjects) || !slices.Equal(hvSubjects, wantSubjects) {
		t.Errorf("alerts from start to exit: keepalived %q, havip %q, want %q", kaSubjects, hvSubjects, wantSubjects)
	}
	t.Logf("keepalived: %q", kaSess)
	t.Logf("havip:      %q", hvSess)
	want := []string{"HELO lab1.example.com\r\n", "MAIL FROM:<havip@example.com>\r\n", "RCPT TO:<ops@example.com>\r\n", "RCPT TO:<oncall@example.net>\r\n", "DATA\r\n"}
	if !slices.Equal(kaSess[:len(want)], want) {
		t.Errorf("keepalived's dialogue %q, want %q", kaSess, want)
	}
	if k, h := withoutDate(kaSess), withoutDate(hvSess); !slices.Equal(k, h) {
		t.Fatalf("havip's alert differs from keepalived's:\nkeepalived %q\nhavip      %q", k, h)
	}
	if !strings.Contains(hvSess[len(want)], "\r\nTo: ops@example.com, oncall@example.net\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n") {
		t.Fatalf("havip's message %q", hvSess[len(want)])
	}
}
