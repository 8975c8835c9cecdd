package config

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// lvsHandlers adds the LVS top-level sections to the top-level table.
func (p *parser) lvsHandlers(table map[string]handler) {
	table["virtual_server_group"] = p.parseVirtualServerGroup
	table["virtual_server"] = p.parseVirtualServer
	table["SSL"] = p.parseSSL
}

// schedulers are the IPVS schedulers keepalived 2.2.7 accepts.
var schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"}

// schedFlags are the scheduler flag keywords of a virtual_server.
var schedFlags = []string{"flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback", "mh-port", "mh-fallback"}

// dnsTypes are the DNS_CHECK query types.
var dnsTypes = []string{"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"}

// checkDefaults are the health-check settings a virtual server passes to
// its real servers and a real server to its checkers; nil = not given.
type checkDefaults struct {
	connectTimeout, delayLoop, delayBeforeRetry, warmup *time.Duration
	retry                                               *int
	alpha, inhibit                                      *bool
	virtualhost                                         *string
}

// under fills the settings d leaves unset from parent.
func (d checkDefaults) under(parent checkDefaults) checkDefaults {
	pick := func(a, b *time.Duration) *time.Duration {
		if a != nil {
			return a
		}
		return b
	}
	out := d
	out.connectTimeout = pick(d.connectTimeout, parent.connectTimeout)
	out.delayLoop = pick(d.delayLoop, parent.delayLoop)
	out.delayBeforeRetry = pick(d.delayBeforeRetry, parent.delayBeforeRetry)
	out.warmup = pick(d.warmup, parent.warmup)
	if out.retry == nil {
		out.retry = parent.retry
	}
	if out.alpha == nil {
		out.alpha = parent.alpha
	}
	if out.inhibit == nil {
		out.inhibit = parent.inhibit
	}
	if out.virtualhost == nil {
		out.virtualhost = parent.virtualhost
	}
	return out
}

func (p *parser) optTimer(dst **time.Duration, lo time.Duration) handler {
	return func(n *node) {
		if p.nargs(n, 1, 1) {
			if v, ok := p.timerArg(n, n.args()[0], lo, 1e9*time.Second); ok {
				*dst = &v
			}
		}
	}
}

func (p *parser) optInt(dst **int, lo, hi int) handler {
	return func(n *node) {
		if p.nargs(n, 1, 1) {
			if v, ok := p.intArg(n, n.args()[0], lo, hi); ok {
				*dst = &v
			}
		}
	}
}

// optBool parses "KEYWORD [BOOL]" into an optional bool.
func (p *parser) optBool(dst **bool) handler {
	return func(n *node) {
		if !p.nargs(n, 0, 1) {
			return
		}
		v := true
		if len(n.args()) == 1 {
			var ok bool
			if v, ok = parseBool(n.args()[0]); !ok {
				p.rep.errorf(n.pos, "%s: %q is not a boolean (on|off|true|false|yes|no)", n.keyword(), n.args()[0])
				return
			}
		}
		*dst = &v
	}
}

func (p *parser) optString(dst **string) handler {
	return func(n *node) {
		if p.nargs(n, 1, 1) {
			v := n.args()[0]
			*dst = &v
		}
	}
}

// timingHandlers are the keywords every level (virtual server, real
// server, checker) accepts; connect selects connect_timeout, which
// MISC_CHECK lacks.
func (p *parser) timingHandlers(d *checkDefaults, table map[string]handler, connect bool) {
	if connect {
		table["connect_timeout"] = p.optTimer(&d.connectTimeout, time.Microsecond)
	}
	table["delay_loop"] = p.optTimer(&d.delayLoop, time.Microsecond)
	table["delay_before_retry"] = p.optTimer(&d.delayBeforeRetry, 0)
	table["warmup"] = p.optTimer(&d.warmup, 0)
	table["retry"] = p.optInt(&d.retry, 0, 1<<30)
	table["nb_get_retry"] = table["retry"]
}

// parsePort parses a port number.
func (p *parser) portArg(n *node, s string) (uint16, bool) {
	v, ok := p.intArg(n, s, 0, 65535)
	return uint16(v), ok
}

// addrPort parses the "ADDR [PORT]" arguments of a section header or
// keyword.
func (p *parser) addrPort(n *node, args []string) (netip.Addr, uint16, bool) {
	if len(args) < 1 || len(args) > 2 {
		p.rep.errorf(n.pos, "%s takes ADDRESS [PORT], have %d word(s)", n.keyword(), len(args))
		return netip.Addr{}, 0, false
	}
	a, err := parseAddr(args[0])
	if err != nil {
		p.rep.errorf(n.pos, "%s: %v", n.keyword(), err)
		return netip.Addr{}, 0, false
	}
	var port uint16
	if len(args) == 2 {
		var ok bool
		if port, ok = p.portArg(n, args[1]); !ok {
			return netip.Addr{}, 0, false
		}
	}
	return a, port, true
}

// method parses "lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]".
func (p *parser) method(n *node, dst *Method) {
	if !p.noBlock(n) {
		return
	}
	args := n.args()
	if len(args) == 0 {
		p.rep.errorf(n.pos, "%s needs NAT, DR or TUN", n.keyword())
		return
	}
	kind := strings.ToUpper(args[0])
	switch kind {
	case "NAT", "DR":
		if len(args) > 1 {
			p.rep.errorf(n.pos, "%s %s takes no options, have %q", n.keyword(), args[0], args[1:])
			return
		}
	case "TUN":
		if !p.tunnelOptions(n, args[1:]) {
			return
		}
	default:
		p.rep.errorf(n.pos, "%s: %q is not NAT, DR or TUN", n.keyword(), args[0])
		return
	}
	*dst = Method{Kind: kind, Tunnel: slices.Clone(args[1:])}
}

func (p *parser) tunnelOptions(n *node, args []string) bool {
	i := 0
	if i < len(args) && args[i] == "type" {
		if i+1 >= len(args) {
			p.rep.errorf(n.pos, "%s TUN type needs ipip, gue port N or gre", n.keyword())
			return false
		}
		switch args[i+1] {
		case "ipip", "gre":
			i += 2
		case "gue":
			if i+3 >= len(args) || args[i+2] != "port" {
				p.rep.errorf(n.pos, "%s TUN type gue needs port N", n.keyword())
				return false
			}
			if _, ok := p.portArg(n, args[i+3]); !ok {
				return false
			}
			i += 4
		default:
			p.rep.errorf(n.pos, "%s TUN type %q is not ipip, gue or gre", n.keyword(), args[i+1])
			return false
		}
	}
	if i < len(args) {
		switch args[i] {
		case "nocsum", "csum", "remcsum":
			i++
		}
	}
	if i != len(args) {
		p.rep.errorf(n.pos, "%s TUN: unexpected %q (want [type ipip|gue port N|gre] [nocsum|csum|remcsum])", n.keyword(), args[i:])
		return false
	}
	return true
}

func (p *parser) parseSSL(n *node) {
	if !p.needBlock(n) || !p.nargs0Header(n) {
		return
	}
	s := &SSLContext{Pos: n.pos}
	p.dispatch("SSL", n.children, map[string]handler{
		"password":    p.stringKw(&s.Password),
		"ca":          p.stringKw(&s.CA),
		"certificate": p.stringKw(&s.Certificate),
		"key":         p.stringKw(&s.Key),
	})
	p.cfg.SSL = s
}

func (p *parser) parseVirtualServerGroup(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	if p.cfg.VirtualServerGroup(name) != nil {
		p.rep.errorf(n.pos, "virtual_server_group %s is defined twice", name)
		return
	}
	g := &VirtualServerGroup{Pos: n.pos, Name: name}
	for _, c := range n.children {
		if e, ok := p.vsgEntry(c, name); ok {
			g.Entries = append(g.Entries, e)
		}
	}
	if len(g.Entries) == 0 {
		p.rep.errorf(n.pos, "virtual_server_group %s has no entries", name)
		return
	}
	p.cfg.VirtualServerGroups = append(p.cfg.VirtualServerGroups, g)
}

// vsgEntry parses "ADDR|RANGE [PORT]" or "fwmark N [inet|inet6]".
func (p *parser) vsgEntry(c *node, group string) (VSGEntry, bool) {
	where := "virtual_server_group " + group
	if c.hasBlock {
		p.rep.errorf(c.pos, "%s: %s does not take a '{' block", where, c.keyword())
		return VSGEntry{}, false
	}
	toks := c.toks
	e := VSGEntry{Pos: c.pos}
	if toks[0] == "fwmark" {
		if len(toks) < 2 || len(toks) > 3 {
			p.rep.errorf(c.pos, "%s: want fwmark N [inet|inet6]", where)
			return e, false
		}
		v, err := strconv.ParseUint(toks[1], 0, 32)
		if err != nil || v == 0 {
			p.rep.errorf(c.pos, "%s: fwmark %q is not an integer in 1..4294967295", where, toks[1])
			return e, false
		}
		e.Fwmark = uint32(v)
		if len(toks) == 3 {
			f, ok := parseFamilyWord(toks[2])
			if !ok {
				p.rep.errorf(c.pos, "%s: fwmark family %q is not inet or inet6", where, toks[2])
				return e, false
			}
			e.Family = f
		}
		return e, true
	}
	if len(toks) > 2 {
		p.rep.errorf(c.pos, "%s: want ADDRESS[-END|/LEN] [PORT] or fwmark N, have %q", where, toks)
		return e, false
	}
	first, last, err := parseAddrRange(toks[0])
	if err != nil {
		p.rep.errorf(c.pos, "%s: %v", where, err)
		return e, false
	}
	e.First, e.Last = first, last
	if len(toks) == 2 {
		port, ok := p.portArg(c, toks[1])
		if !ok {
			return e, false
		}
		e.Port = port
	}
	return e, true
}

func parseFamilyWord(s string) (Family, bool) {
	switch s {
	case "inet":
		return IPv4, true
	case "inet6":
		return IPv6, true
	}
	return 0, false
}

// parseAddrRange parses ADDR, ADDR-LAST (the last IPv4 octet or IPv6 group,
// or a full address) or ADDR/LEN (the addresses of the prefix).
func parseAddrRange(s string) (netip.Addr, netip.Addr, error) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		pfx, err := netip.ParsePrefix(s)
		if err != nil || pfx.Addr().Zone() != "" {
			return netip.Addr{}, netip.Addr{}, fmt.Errorf("%q is not an address range", s)
		}
		first := pfx.Masked().Addr()
		return first, lastOf(pfx.Masked()), nil
	}
	i := strings.IndexByte(s, '-')
	if i < 0 {
		a, err := parseAddr(s)
		return a, a, err
	}
	first, err := parseAddr(s[:i])
	if err != nil {
		return first, first, err
	}
	end := s[i+1:]
	if last, err := parseAddr(end); err == nil {
		if last.BitLen() != first.BitLen() || last.Less(first) {
			return first, first, fmt.Errorf("%q: the range end is before its start or of another family", s)
		}
		return first, last, nil
	}
	b := first.AsSlice()
	if first.Is4() {
		v, err := strconv.ParseUint(end, 10, 8)
		if err != nil || byte(v) < b[3] {
			return first, first, fmt.Errorf("%q: the range end %q is not a last octet in %d..255", s, end, b[3])
		}
		b[3] = byte(v)
	} else {
		v, err := strconv.ParseUint(end, 16, 16)
		cur := uint64(b[14])<<8 | uint64(b[15])
		if err != nil || v < cur {
			return first, first, fmt.Errorf("%q: the range end %q is not a last hex group from %x", s, end, cur)
		}
		b[14], b[15] = byte(v>>8), byte(v)
	}
	last, _ := netip.AddrFromSlice(b)
	return first, last, nil
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for bit := p.Bits(); bit < len(b)*8; bit++ {
		b[bit/8] |= 0x80 >> (bit % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// pendingRS is a real server whose checkers are resolved once the whole
// virtual server has been read.
type pendingRS struct {
	rs       *RealServer
	defaults checkDefaults
	checkers []pendingChecker
}

type pendingChecker struct {
	ck       *Checker
	defaults checkDefaults
	badURL   bool // an HTTP checker with a url block in error
}

func (p *parser) parseVirtualServer(n *node) {
	if !p.needBlock(n) {
		return
	}
	vs := &VirtualServer{Pos: n.pos, Quorum: 1}
	args := n.args()
	switch {
	case len(args) == 2 && args[0] == "fwmark":
		v, err := strconv.ParseUint(args[1], 0, 32)
		if err != nil || v == 0 {
			p.rep.errorf(n.pos, "virtual_server fwmark %q is not an integer in 1..4294967295", args[1])
			return
		}
		vs.Fwmark = uint32(v)
	case len(args) == 2 && args[0] == "group":
		if p.cfg.VirtualServerGroup(args[1]) == nil {
			names := make([]string, 0, len(p.cfg.VirtualServerGroups))
			for _, g := range p.cfg.VirtualServerGroups {
				names = append(names, g.Name)
			}
			p.rep.errorf(n.pos, "virtual_server group %s: no virtual_server_group %s is defined before it%s", args[1], args[1], suggest(args[1], names))
			return
		}
		vs.Group = args[1]
	default:
		a, port, ok := p.addrPort(n, args)
		if !ok {
			return
		}
		vs.Addr, vs.Port = a, port
	}
	where := "virtual_server " + strings.Join(args, " ")
	var d checkDefaults
	var pending []*pendingRS
	var sorryMethod *Method
	table := map[string]handler{
		"protocol": func(n *node) {
			if p.nargs(n, 1, 1) {
				switch v := strings.ToUpper(n.args()[0]); v {
				case "TCP", "UDP", "SCTP":
					vs.Protocol = v
				default:
					p.rep.errorf(n.pos, "protocol: %q is not TCP, UDP or SCTP", n.args()[0])
				}
			}
		},
		"lb_algo": p.schedulerKw(&vs.Scheduler),
		"lb_kind": func(n *node) { p.method(n, &vs.Method) },
		"ops":     p.flagKw(&vs.OnePacket, true),
		"persistence_timeout": func(n *node) {
			if !p.nargs(n, 0, 1) {
				return
			}
			vs.PersistenceTimeout = DefaultPersistenceTimeout
			if len(n.args()) == 1 {
				if v, ok := p.intArg(n, n.args()[0], 1, 1<<31-1); ok {
					vs.PersistenceTimeout = v
				}
			}
		},
		"persistence_granularity": func(n *node) {
			if p.nargs(n, 1, 1) {
				if _, err := parseAddr(n.args()[0]); err != nil {
					if _, err := strconv.ParseUint(n.args()[0], 10, 8); err != nil {
						p.rep.errorf(n.pos, "persistence_granularity: %q is not a netmask or prefix length", n.args()[0])
						return
					}
				}
				vs.PersistenceGranularity = n.args()[0]
			}
		},
		"persistence_engine": p.stringKw(&vs.PersistenceEngine),
		"ha_suspend":         p.flagKw(&vs.HASuspend, true),
		"alpha": func(n *node) {
			if p.nargs(n, 0, 0) {
				t := true
				d.alpha = &t
			}
		},
		"omega":       p.flagKw(&vs.Omega, true),
		"quorum":      p.intKw(&vs.Quorum, 1, 1<<31-1),
		"hysteresis":  p.intKw(&vs.Hysteresis, 0, 1<<31-1),
		"quorum_up":   p.commandKw(&vs.QuorumUp),
		"quorum_down": p.commandKw(&vs.QuorumDown),
		"ip_family": func(n *node) {
			if p.nargs(n, 1, 1) {
				f, ok := parseFamilyWord(n.args()[0])
				if !ok {
					p.rep.errorf(n.pos, "ip_family: %q is not inet or inet6", n.args()[0])
					return
				}
				vs.IPFamily = f
			}
		},
		"virtualhost": p.optString(&d.virtualhost),
		"inhibit_on_failure": func(n *node) {
			if p.nargs(n, 0, 0) {
				t := true
				d.inhibit = &t
			}
		},
		"sorry_server": func(n *node) {
			if !p.noBlock(n) {
				return
			}
			if a, port, ok := p.addrPort(n, n.args()); ok {
				inhibit := vs.Sorry != nil && vs.Sorry.Inhibit
				vs.Sorry = &SorryServer{Pos: n.pos, Addr: a, Port: port, Inhibit: inhibit}
			}
		},
		"sorry_server_inhibit": func(n *node) {
			if p.nargs(n, 0, 0) {
				if vs.Sorry == nil {
					vs.Sorry = &SorryServer{Pos: n.pos}
				}
				vs.Sorry.Inhibit = true
			}
		},
		"sorry_server_lvs_method": func(n *node) {
			m := Method{}
			p.method(n, &m)
			if m.Kind != "" {
				sorryMethod = &m
			}
		},
		"real_server": func(n *node) {
			if prs := p.parseRealServer(n, where); prs != nil {
				pending = append(pending, prs)
			}
		},
		"smtp_alert": p.unsupportedKw(&vs.Settings, "no email alerts are sent"),
		"snmp_name":  p.settingKw(&vs.Settings),
	}
	table["lvs_sched"] = table["lb_algo"]
	table["lvs_method"] = table["lb_kind"]
	for _, f := range schedFlags {
		table[f] = func(n *node) {
			if p.nargs(n, 0, 0) && !slices.Contains(vs.SchedFlags, n.keyword()) {
				vs.SchedFlags = append(vs.SchedFlags, n.keyword())
			}
		}
	}
	p.timingHandlers(&d, table, true)
	p.dispatch(where, n.children, table)
	p.completeVirtualServer(vs, where, d, pending, sorryMethod)
}

func (p *parser) schedulerKw(dst *string) handler {
	return func(n *node) {
		if !p.nargs(n, 1, 1) {
			return
		}
		v := n.args()[0]
		if !slices.Contains(schedulers, v) {
			p.rep.errorf(n.pos, "%s: %q is not an LVS scheduler (%s)%s", n.keyword(), v, strings.Join(schedulers, ", "), suggest(v, schedulers))
			return
		}
		*dst = v
	}
}

// completeVirtualServer resolves defaults and inheritance and checks the
// rules concerning one virtual server.
func (p *parser) completeVirtualServer(vs *VirtualServer, where string, d checkDefaults, pending []*pendingRS, sorryMethod *Method) {
	if vs.Fwmark != 0 && vs.Protocol != "" {
		p.rep.warnf(vs.Pos, "%s: a fwmark virtual server has no protocol; protocol %s ignored as keepalived does", where, vs.Protocol)
		vs.Protocol = ""
	}
	if vs.Protocol == "" && vs.Fwmark == 0 {
		p.rep.warnf(vs.Pos, "%s: no protocol; using %s as keepalived 2.2.7 does", where, DefaultProtocol)
		vs.Protocol = DefaultProtocol
	}
	if vs.Scheduler == "" {
		vs.Scheduler = DefaultScheduler
	}
	if vs.Method.Kind == "" {
		vs.Method = Method{Kind: DefaultMethod}
	}
	vs.Family = p.vsFamily(vs, pending, sorryMethod)
	if vs.Addr.IsValid() && vs.Port == 0 && vs.PersistenceTimeout == 0 {
		p.rep.errorf(vs.Pos, "%s: a virtual server without a port must be persistent; add a port or persistence_timeout", where)
	}
	if vs.Sorry != nil {
		if !vs.Sorry.Addr.IsValid() {
			p.rep.errorf(vs.Sorry.Pos, "%s: sorry_server_inhibit without sorry_server", where)
			vs.Sorry = nil
		} else {
			vs.Sorry.Method = vs.Method
			if sorryMethod != nil {
				vs.Sorry.Method = *sorryMethod
			}
			if vs.Sorry.Method.Kind != "TUN" && familyOf(vs.Sorry.Addr) != vs.Family {
				p.rep.errorf(vs.Sorry.Pos, "%s: sorry_server %s is not %s like the virtual server", where, vs.Sorry.Addr, familyName(vs.Family))
				vs.Sorry = nil
			}
		}
	}
	for _, prs := range pending {
		rs := prs.rs
		if rs.Method.Kind == "" {
			rs.Method = vs.Method
		}
		if rs.Method.Kind != "TUN" && familyOf(rs.Addr) != vs.Family {
			p.rep.errorf(rs.Pos, "%s: real_server %s is not %s like the virtual server", where, rs.Addr, familyName(vs.Family))
			continue
		}
		if vs.Fwmark != 0 && rs.Port != 0 {
			p.rep.warnf(rs.Pos, "%s: a fwmark virtual server forwards to the packet's port; real_server port %d ignored", where, rs.Port)
			rs.Port = 0
		}
		if vs.Addr.IsValid() && vs.Port != 0 && rs.Port == 0 {
			rs.Port = vs.Port
		}
		if slices.ContainsFunc(vs.RealServers, func(o *RealServer) bool { return o.Addr == rs.Addr && o.Port == rs.Port }) {
			p.rep.errorf(rs.Pos, "%s: real_server %s is given twice", where, rs.Name())
			continue
		}
		rd := prs.defaults.under(d)
		if rd.inhibit != nil {
			rs.InhibitOnFailure = *rd.inhibit
		}
		for _, pc := range prs.checkers {
			if p.completeChecker(pc.ck, rs, pc.defaults.under(rd), where) {
				rs.Checkers = append(rs.Checkers, pc.ck)
			}
		}
		vs.RealServers = append(vs.RealServers, rs)
	}
	if len(vs.RealServers) == 0 && vs.Sorry == nil {
		p.rep.warnf(vs.Pos, "%s has no real servers; ignored as keepalived does", where)
		return
	}
	p.cfg.VirtualServers = append(p.cfg.VirtualServers, vs)
}

// vsFamily is the address family of a virtual server: its address's,
// else ip_family, else the group's first address's, else the real
// servers', else IPv4.
func (p *parser) vsFamily(vs *VirtualServer, pending []*pendingRS, sorryMethod *Method) Family {
	switch {
	case vs.Addr.IsValid():
		return familyOf(vs.Addr)
	case vs.IPFamily != 0:
		return vs.IPFamily
	}
	if vs.Group != "" {
		for _, e := range p.cfg.VirtualServerGroup(vs.Group).Entries {
			if e.First.IsValid() {
				return familyOf(e.First)
			}
			if e.Family != 0 {
				return e.Family
			}
		}
	}
	for _, prs := range pending {
		return familyOf(prs.rs.Addr)
	}
	if vs.Sorry != nil && vs.Sorry.Addr.IsValid() {
		return familyOf(vs.Sorry.Addr)
	}
	return IPv4
}

func (p *parser) parseRealServer(n *node, vsWhere string) *pendingRS {
	if !p.needBlock(n) {
		return nil
	}
	a, port, ok := p.addrPort(n, n.args())
	if !ok {
		return nil
	}
	rs := &RealServer{Pos: n.pos, Addr: a, Port: port, Weight: 1}
	prs := &pendingRS{rs: rs}
	where := vsWhere + " real_server " + strings.Join(n.args(), " ")
	d := &prs.defaults
	table := map[string]handler{
		"weight":             p.intKw(&rs.Weight, 0, 1<<31-1),
		"lvs_method":         func(n *node) { p.method(n, &rs.Method) },
		"notify_up":          p.commandKw(&rs.NotifyUp),
		"notify_down":        p.commandKw(&rs.NotifyDown),
		"uthreshold":         p.intKw(&rs.UThreshold, 0, 1<<31-1),
		"lthreshold":         p.intKw(&rs.LThreshold, 0, 1<<31-1),
		"virtualhost":        p.optString(&d.virtualhost),
		"alpha":              p.optBool(&d.alpha),
		"inhibit_on_failure": p.optBool(&d.inhibit),
		"smtp_alert":         p.unsupportedKw(&rs.Settings, "no email alerts are sent"),
		"snmp_name":          p.settingKw(&rs.Settings),
		"BFD_CHECK": func(n *node) {
			p.rep.warnf(n.pos, "BFD_CHECK is not supported by havip: BFD sessions are not run, so this checker never marks %s down", rs.Name())
		},
		"FILE_CHECK": func(n *node) {
			p.rep.warnf(n.pos, "FILE_CHECK is not supported by havip: the file does not change %s's state or weight", rs.Name())
		},
	}
	table["lb_kind"] = table["lvs_method"]
	p.timingHandlers(d, table, true)
	for _, typ := range []string{CheckTCP, CheckHTTP, CheckSSL, CheckMisc, CheckDNS, CheckSMTP, CheckPing, CheckUDP} {
		table[typ] = func(n *node) {
			prs.checkers = append(prs.checkers, p.parseChecker(n, typ, where)...)
		}
	}
	p.dispatch(where, n.children, table)
	return prs
}

// parseChecker parses one checker block; an SMTP_CHECK with host blocks
// yields one checker per host, as keepalived 2.x does.
func (p *parser) parseChecker(n *node, typ, rsWhere string) []pendingChecker {
	if !p.needBlock(n) || !p.nargs0Header(n) {
		return nil
	}
	where := rsWhere + " " + typ
	ck := &Checker{Pos: n.pos, Type: typ}
	pc := pendingChecker{ck: ck}
	d := &pc.defaults
	table := map[string]handler{
		"alpha":            p.optBool(&d.alpha),
		"log_all_failures": p.boolKw(&ck.LogAllFailures),
	}
	p.timingHandlers(d, table, typ != CheckMisc)
	var hosts []*node
	if typ != CheckMisc {
		connectHandlers(p, ck, table)
	}
	switch typ {
	case CheckHTTP, CheckSSL:
		h := &HTTPCheck{Protocol: DefaultHTTPProtocol}
		ck.HTTP = h
		table["http_protocol"] = func(n *node) {
			if p.nargs(n, 1, 1) {
				switch v := n.args()[0]; v {
				case "1.0", "1.1":
					h.Protocol = v
				case "1.0C", "1.0c":
					h.Protocol = "1.0C"
				default:
					p.rep.errorf(n.pos, "http_protocol: %q is not 1.0, 1.0C or 1.1", v)
				}
			}
		}
		table["fast_recovery"] = p.boolKw(&h.FastRecovery)
		table["virtualhost"] = p.optString(&d.virtualhost)
		table["url"] = func(n *node) {
			if u, ok := p.parseURL(n, where); ok {
				h.URLs = append(h.URLs, u)
			} else {
				pc.badURL = true
			}
		}
		if typ == CheckSSL {
			table["enable_sni"] = p.boolKw(&h.EnableSNI)
		}
	case CheckSMTP:
		ck.SMTP = &SMTPCheck{}
		table["helo_name"] = func(n *node) {
			if !p.noBlock(n) {
				return
			}
			toks, err := splitQuotedEscaped(n.raw)
			if err != nil || len(toks) != 2 {
				p.rep.errorf(n.pos, "helo_name takes one name")
				return
			}
			ck.SMTP.HeloName = toks[1]
		}
		table["host"] = func(n *node) {
			if p.needBlock(n) {
				hosts = append(hosts, n)
			}
		}
	case CheckDNS:
		ck.DNS = &DNSCheck{Type: DefaultDNSType, Name: DefaultDNSName}
		table["type"] = func(n *node) {
			if p.nargs(n, 1, 1) {
				v := strings.ToUpper(n.args()[0])
				if !slices.Contains(dnsTypes, v) {
					p.rep.errorf(n.pos, "type: %q is not a DNS_CHECK query type (%s)", n.args()[0], strings.Join(dnsTypes, ", "))
					return
				}
				ck.DNS.Type = v
			}
		}
		table["name"] = p.stringKw(&ck.DNS.Name)
	case CheckMisc:
		m := &MiscCheck{}
		ck.Misc = m
		table["misc_path"] = func(n *node) {
			if c, ok := p.miscPath(n); ok {
				m.Path = c
			}
		}
		table["misc_timeout"] = func(n *node) {
			if p.nargs(n, 1, 1) {
				if v, ok := p.intArg(n, n.args()[0], 1, 1<<31-1); ok {
					m.Timeout = time.Duration(v) * time.Second
				}
			}
		}
		table["misc_dynamic"] = p.flagKw(&m.Dynamic, true)
		table["user"] = func(n *node) {
			if p.nargs(n, 1, 2) {
				m.User = n.args()[0]
				m.Group = ""
				if len(n.args()) == 2 {
					m.Group = n.args()[1]
				}
			}
		}
	case CheckUDP:
		u := &UDPCheck{MaxReplyLength: DefaultUDPMaxReply}
		ck.UDP = u
		table["payload"] = func(n *node) {
			if s, ok := p.hexArg(n, false); ok {
				u.Payload = s
			}
		}
		table["require_reply"] = func(n *node) {
			if s, ok := p.hexArg(n, true); ok {
				u.RequireReply, u.ReplyPattern = true, s
			}
		}
		table["min_reply_length"] = p.intKw(&u.MinReplyLength, 0, 65535)
		table["max_reply_length"] = p.intKw(&u.MaxReplyLength, 0, 65535)
	}
	p.dispatch(where, n.children, table)
	if typ == CheckMisc && ck.Misc.Path.Text == "" {
		p.rep.errorf(n.pos, "%s: misc_path is missing", where)
		return nil
	}
	if ck.HTTP != nil && len(ck.HTTP.URLs) == 0 {
		if !pc.badURL {
			p.rep.errorf(n.pos, "%s: no url block; add url { path /... }", where)
		}
		return nil
	}
	if ck.UDP != nil && ck.UDP.MinReplyLength > ck.UDP.MaxReplyLength {
		p.rep.errorf(n.pos, "%s: min_reply_length %d is above max_reply_length %d", where, ck.UDP.MinReplyLength, ck.UDP.MaxReplyLength)
		return nil
	}
	if len(hosts) == 0 {
		return []pendingChecker{pc}
	}
	var out []pendingChecker
	for _, h := range hosts {
		c := *ck
		c.Pos = h.pos
		smtp := *ck.SMTP
		c.SMTP = &smtp
		ht := map[string]handler{}
		connectHandlers(p, &c, ht)
		p.dispatch(where+" host", h.children, ht)
		out = append(out, pendingChecker{ck: &c, defaults: pc.defaults})
	}
	return out
}

func connectHandlers(p *parser, ck *Checker, table map[string]handler) {
	table["connect_ip"] = func(n *node) {
		if a, ok := p.addrKw(n); ok {
			ck.ConnectIP = a
		}
	}
	table["connect_port"] = func(n *node) {
		if p.nargs(n, 1, 1) {
			if v, ok := p.portArg(n, n.args()[0]); ok {
				ck.ConnectPort = v
			}
		}
	}
	table["bindto"] = func(n *node) {
		if a, ok := p.addrKw(n); ok {
			ck.BindTo = a
		}
	}
	table["bind_if"] = p.stringKw(&ck.BindIf)
	table["bind_port"] = func(n *node) {
		if p.nargs(n, 1, 1) {
			if v, ok := p.portArg(n, n.args()[0]); ok {
				ck.BindPort = v
			}
		}
	}
	table["fwmark"] = func(n *node) {
		if p.nargs(n, 1, 1) {
			v, err := strconv.ParseUint(n.args()[0], 0, 32)
			if err != nil {
				p.rep.errorf(n.pos, "fwmark: %q is not an integer in 0..4294967295", n.args()[0])
				return
			}
			ck.Fwmark = uint32(v)
		}
	}
}

// miscPath parses misc_path with keepalived's quoted/escaped tokeniser:
// one script text, which is then split into its arguments.
func (p *parser) miscPath(n *node) (Command, bool) {
	if !p.noBlock(n) {
		return Command{}, false
	}
	toks, err := splitQuotedEscaped(n.raw)
	if err != nil {
		p.rep.errorf(n.pos, "misc_path: %v", err)
		return Command{}, false
	}
	if len(toks) != 2 || strings.TrimSpace(toks[1]) == "" {
		p.rep.errorf(n.pos, "misc_path takes one script; quote a script that has arguments (misc_path \"/path/script arg\")")
		return Command{}, false
	}
	args, err := splitQuotedEscaped(toks[1])
	if err != nil || len(args) == 0 {
		p.rep.errorf(n.pos, "misc_path: the script %q cannot be split into arguments", toks[1])
		return Command{}, false
	}
	return Command{Text: toks[1], Args: args}, true
}

// hexArg parses keepalived's free-form hex: each word is read as byte
// pairs, a trailing single digit being the low nibble of a last byte;
// with wild, x stands for a nibble that is not checked. The result is
// lower-case pairs.
func (p *parser) hexArg(n *node, wild bool) (string, bool) {
	if !p.noBlock(n) {
		return "", false
	}
	var b strings.Builder
	for _, w := range n.args() {
		w = strings.ToLower(w)
		for _, c := range w {
			if !strings.ContainsRune("0123456789abcdef", c) && !(wild && c == 'x') {
				p.rep.errorf(n.pos, "%s: %q is not hexadecimal", n.keyword(), w)
				return "", false
			}
		}
		if len(w)%2 == 1 {
			w = w[:len(w)-1] + "0" + w[len(w)-1:]
		}
		b.WriteString(w)
	}
	if !wild && b.Len() == 0 {
		p.rep.errorf(n.pos, "%s needs hex bytes", n.keyword())
		return "", false
	}
	return b.String(), true
}

// HexBytes decodes a UDPCheck payload.
func HexBytes(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func (p *parser) parseURL(n *node, where string) (URL, bool) {
	u := URL{Pos: n.pos}
	if !p.needBlock(n) || !p.nargs0Header(n) {
		return u, false
	}
	bad := false
	table := map[string]handler{
		"path": p.stringKw(&u.Path),
		"digest": func(n *node) {
			if p.nargs(n, 1, 1) {
				v := strings.ToLower(n.args()[0])
				if _, err := hex.DecodeString(v); err != nil || len(v) != 32 {
					p.rep.errorf(n.pos, "digest: %q is not an MD5 digest (32 hex digits, as genhash prints)", n.args()[0])
					bad = true
					return
				}
				u.Digest = v
			}
		},
		"status_code": func(n *node) {
			if !p.nargs(n, 1, -1) {
				bad = true
				return
			}
			for _, a := range n.args() {
				r, ok := parseCodeRange(a)
				if !ok {
					p.rep.errorf(n.pos, "status_code: %q is not a code or range in 100..999 (like 200 or 200-299)", a)
					bad = true
					return
				}
				u.StatusCodes = append(u.StatusCodes, r)
			}
		},
		"virtualhost": p.stringKw(&u.Virtualhost),
		"regex": func(n *node) {
			if !p.noBlock(n) {
				return
			}
			toks, err := splitQuotedEscaped(n.raw)
			if err != nil || len(toks) != 2 {
				p.rep.errorf(n.pos, "regex takes one (quoted) expression")
				bad = true
				return
			}
			if _, err := regexp.Compile(toks[1]); err != nil {
				p.rep.errorf(n.pos, "regex %q: %v (havip uses Go RE2 syntax, a subset of PCRE2 without back-references or look-around)", toks[1], err)
				bad = true
				return
			}
			u.Regex = toks[1]
		},
		"regex_no_match": p.flagKw(&u.RegexNoMatch, true),
	}
	for _, kw := range []string{"regex_options", "regex_stack", "regex_min_offset", "regex_max_offset"} {
		table[kw] = func(n *node) {
			p.rep.warnf(n.pos, "%s is not supported by havip: the regex is matched against the whole body with Go RE2", n.keyword())
		}
	}
	p.dispatch(where+" url", n.children, table)
	if u.Path == "" {
		p.rep.errorf(n.pos, "%s url: path is missing", where)
		return u, false
	}
	if u.RegexNoMatch && u.Regex == "" {
		p.rep.errorf(n.pos, "%s url: regex_no_match without regex", where)
		return u, false
	}
	if len(u.StatusCodes) == 0 {
		u.StatusCodes = []CodeRange{{200, 299}}
	}
	return u, !bad
}

func parseCodeRange(s string) (CodeRange, bool) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(lo)
	if err != nil || a < 100 || a > 999 {
		return CodeRange{}, false
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(hi); err != nil || b < a || b > 999 {
			return CodeRange{}, false
		}
	}
	return CodeRange{a, b}, true
}

// completeChecker resolves a checker's inherited settings and type
// defaults.
func (p *parser) completeChecker(ck *Checker, rs *RealServer, d checkDefaults, where string) bool {
	val := func(v *time.Duration, def time.Duration) time.Duration {
		if v != nil {
			return *v
		}
		return def
	}
	ck.DelayLoop = val(d.delayLoop, DefaultDelayLoop)
	ck.ConnectTimeout = val(d.connectTimeout, DefaultConnectTimeout)
	retry, wait := 1, defaultRetryWait
	switch ck.Type {
	case CheckDNS:
		retry, wait = 3, ck.DelayLoop
	case CheckMisc:
		retry = 0
		ck.ConnectTimeout = 0
	case CheckHTTP, CheckSSL:
		wait = defaultHTTPRetryWait
	}
	ck.Retry = retry
	if d.retry != nil {
		ck.Retry = *d.retry
	}
	ck.DelayBeforeRetry = val(d.delayBeforeRetry, wait)
	ck.Warmup = val(d.warmup, ck.DelayLoop)
	if d.alpha != nil {
		ck.Alpha = *d.alpha
	}
	if ck.HTTP != nil && d.virtualhost != nil {
		ck.HTTP.Virtualhost = *d.virtualhost
	}
	switch ck.Type {
	case CheckTCP, CheckHTTP, CheckSSL, CheckSMTP, CheckDNS, CheckUDP:
		if ck.ConnectPort == 0 && rs.Port == 0 {
			p.rep.errorf(ck.Pos, "%s real_server %s %s: no port to check; add connect_port (the real server has none)", where, rs.Addr, ck.Type)
			return false
		}
	}
	if ck.ConnectIP.IsValid() && ck.BindTo.IsValid() && familyOf(ck.ConnectIP) != familyOf(ck.BindTo) {
		p.rep.errorf(ck.Pos, "%s real_server %s %s: bindto %s is not the family of connect_ip %s", where, rs.Addr, ck.Type, ck.BindTo, ck.ConnectIP)
		return false
	}
	return true
}

// firstLVSScript returns the position of the first LVS script keyword.
func (p *parser) firstLVSScript() (Pos, bool) {
	for _, vs := range p.cfg.VirtualServers {
		if vs.QuorumUp != nil || vs.QuorumDown != nil {
			return vs.Pos, true
		}
		for _, rs := range vs.RealServers {
			if rs.NotifyUp != nil || rs.NotifyDown != nil {
				return rs.Pos, true
			}
			for _, ck := range rs.Checkers {
				if ck.Misc != nil {
					return ck.Pos, true
				}
			}
		}
	}
	return Pos{}, false
}
