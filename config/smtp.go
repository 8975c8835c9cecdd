package config

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// defaultSMTPPort is keepalived's smtp_server port when none is given.
const defaultSMTPPort = "25"

// defaultSMTPAlert is the smtp_alert of an instance or sync group that
// does not give it: smtp_alert_vrrp, else smtp_alert, else off.
func (g *GlobalDefs) defaultSMTPAlert() bool {
	switch {
	case g.SMTPAlertVRRP != nil:
		return *g.SMTPAlertVRRP
	case g.SMTPAlert != nil:
		return *g.SMTPAlert
	}
	return false
}

// notificationEmail parses "notification_email { ADDR ... }": every word
// of the block is a recipient, in order, added to those already given.
func (p *parser) notificationEmail(n *node) {
	if !p.needBlock(n) {
		return
	}
	g := &p.cfg.Global
	added := false
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "notification_email: %s: a recipient takes no block", c.keyword())
			continue
		}
		g.NotificationEmail = append(g.NotificationEmail, c.toks...)
		added = true
	}
	if !added {
		p.rep.warnf(n.pos, "notification_email: the block is empty: no email alerts are sent")
	}
}

// smtpServer parses "smtp_server ADDR|NAME [PORT]" (port 25 unless given).
func (p *parser) smtpServer(n *node) {
	if !p.noBlock(n) || !p.nargs(n, 1, 2) {
		return
	}
	args := n.args()
	host, port := args[0], defaultSMTPPort
	if len(args) == 2 {
		port = args[1]
	}
	if v, err := strconv.Atoi(port); err != nil || v < 1 || v > 65535 {
		p.rep.errorf(n.pos, "smtp_server: invalid smtp server %s %s: the port is not in 1..65535", host, port)
		return
	}
	if host == "" || strings.ContainsAny(host, "/") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		p.rep.errorf(n.pos, "smtp_server: invalid smtp server %s %s", host, port)
		return
	}
	p.cfg.Global.SMTPServer = net.JoinHostPort(host, port)
}

// smtpConnectTimeout parses "smtp_connect_timeout SECONDS": 0 is taken as
// 1 with a warning, as keepalived does.
func (p *parser) smtpConnectTimeout(n *node) {
	if !p.nargs(n, 1, 1) {
		return
	}
	v, ok := p.intArg(n, n.args()[0], 0, int(^uint32(0)/1000000))
	if !ok {
		return
	}
	if v == 0 {
		p.rep.warnf(n.pos, "smtp_connect_timeout must be greater than 0, setting to 1")
		v = 1
	}
	p.cfg.Global.SMTPConnectTimeout = time.Duration(v) * time.Second
}

// setSMTPAlert parses "smtp_alert [BOOL]" into dst; it reports whether the
// keyword was valid.
func (p *parser) setSMTPAlert(n *node, dst *bool) bool {
	if !p.nargs(n, 0, 1) {
		return false
	}
	v := true
	if len(n.args()) == 1 {
		b, ok := parseBool(n.args()[0])
		if !ok {
			p.rep.errorf(n.pos, "%s: %q is not a boolean (on|off|true|false|yes|no)", n.keyword(), n.args()[0])
			return false
		}
		v = b
	}
	*dst = v
	return true
}

// optBoolKw parses "KEYWORD [BOOL]" into a tri-state: nil until given.
func (p *parser) optBoolKw(dst **bool) handler {
	return func(n *node) {
		var v bool
		if p.setSMTPAlert(n, &v) {
			*dst = &v
		}
	}
}
