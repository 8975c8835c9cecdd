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

// setOptTimer parses "KEYWORD SECONDS" into an optional duration.
func (p *parser) setOptTimer(n *node, dst **time.Duration, lo time.Duration) {
	if !p.nargs(n, 1, 1) {
		return
	}
	// keepalived's checker timers ignore an invalid value (the default, or
	// the inherited one, stays).
	p.dropping("the value is ignored", func() {
		if v, ok := p.timerArg(n, n.args()[0], lo, 1e9*time.Second); ok {
			*dst = &v
		}
	})
}

// setOptInt parses "KEYWORD N" into an optional int.
func (p *parser) setOptInt(n *node, dst **int, lo, hi int) {
	if p.nargs(n, 1, 1) {
		if v, ok := p.intArg(n, n.args()[0], lo, hi); ok {
			*dst = &v
		}
	}
}

// setOptBool parses "KEYWORD [BOOL]" into an optional bool.
func (p *parser) setOptBool(n *node, dst **bool) {
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

// setOptString parses "KEYWORD WORD" into an optional string.
func (p *parser) setOptString(n *node, dst **string) {
	if p.nargs(n, 1, 1) {
		v := n.args()[0]
		*dst = &v
	}
}

// timingKeywords adds to t the keywords every level (virtual server, real
// server, checker) accepts; defaults is the block's checkDefaults, and
// connect selects connect_timeout, which MISC_CHECK lacks.
func timingKeywords[S any](t keywords[S], defaults func(S) *checkDefaults, connect bool) {
	if connect {
		t["connect_timeout"] = func(p *parser, s S, n *node) {
			p.setOptTimer(n, &defaults(s).connectTimeout, time.Microsecond)
		}
	}
	t["delay_loop"] = func(p *parser, s S, n *node) { p.setOptTimer(n, &defaults(s).delayLoop, time.Microsecond) }
	t["delay_before_retry"] = func(p *parser, s S, n *node) { p.setOptTimer(n, &defaults(s).delayBeforeRetry, 0) }
	t["warmup"] = func(p *parser, s S, n *node) { p.setOptTimer(n, &defaults(s).warmup, 0) }
	t["retry"] = func(p *parser, s S, n *node) { p.setOptInt(n, &defaults(s).retry, 0, 1<<30) }
	t["nb_get_retry"] = t["retry"]
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

// virtualServerState is a virtual_server being read.
type virtualServerState struct {
	vs          *VirtualServer
	where       string
	defaults    checkDefaults
	pending     []*pendingRS
	sorryMethod *Method
}

// virtualServerKeywords is the keyword table of virtual_server.
var virtualServerKeywords = func() keywords[*virtualServerState] {
	t := keywords[*virtualServerState]{
		"protocol": func(p *parser, s *virtualServerState, n *node) {
			if p.nargs(n, 1, 1) {
				switch v := strings.ToUpper(n.args()[0]); v {
				case "TCP", "UDP", "SCTP":
					s.vs.Protocol = v
				default:
					p.rep.errorf(n.pos, "protocol: %q is not TCP, UDP or SCTP", n.args()[0])
				}
			}
		},
		"lb_algo": func(p *parser, s *virtualServerState, n *node) { p.scheduler(n, &s.vs.Scheduler) },
		"lb_kind": func(p *parser, s *virtualServerState, n *node) { p.method(n, &s.vs.Method) },
		"ops":     func(p *parser, s *virtualServerState, n *node) { p.setFlag(n, &s.vs.OnePacket, true) },
		"persistence_timeout": func(p *parser, s *virtualServerState, n *node) {
			if !p.nargs(n, 0, 1) {
				return
			}
			s.vs.PersistenceTimeout = DefaultPersistenceTimeout
			if len(n.args()) == 1 {
				if v, ok := p.intArg(n, n.args()[0], 1, 1<<31-1); ok {
					s.vs.PersistenceTimeout = v
				}
			}
		},
		"persistence_granularity": func(p *parser, s *virtualServerState, n *node) {
			if p.nargs(n, 1, 1) {
				if _, err := parseAddr(n.args()[0]); err != nil {
					if _, err := strconv.ParseUint(n.args()[0], 10, 8); err != nil {
						p.rep.errorf(n.pos, "persistence_granularity: %q is not a netmask or prefix length", n.args()[0])
						return
					}
				}
				s.vs.PersistenceGranularity = n.args()[0]
			}
		},
		"persistence_engine": func(p *parser, s *virtualServerState, n *node) { p.setString(n, &s.vs.PersistenceEngine) },
		"ha_suspend":         func(p *parser, s *virtualServerState, n *node) { p.setFlag(n, &s.vs.HASuspend, true) },
		"alpha": func(p *parser, s *virtualServerState, n *node) {
			if p.nargs(n, 0, 0) {
				on := true
				s.defaults.alpha = &on
			}
		},
		"omega":       func(p *parser, s *virtualServerState, n *node) { p.setFlag(n, &s.vs.Omega, true) },
		"quorum":      func(p *parser, s *virtualServerState, n *node) { p.setInt(n, &s.vs.Quorum, 1, 1<<31-1) },
		"hysteresis":  func(p *parser, s *virtualServerState, n *node) { p.setInt(n, &s.vs.Hysteresis, 0, 1<<31-1) },
		"quorum_up":   func(p *parser, s *virtualServerState, n *node) { p.setCommand(n, &s.vs.QuorumUp) },
		"quorum_down": func(p *parser, s *virtualServerState, n *node) { p.setCommand(n, &s.vs.QuorumDown) },
		"ip_family": func(p *parser, s *virtualServerState, n *node) {
			if p.nargs(n, 1, 1) {
				f, ok := parseFamilyWord(n.args()[0])
				if !ok {
					p.rep.errorf(n.pos, "ip_family: %q is not inet or inet6", n.args()[0])
					return
				}
				s.vs.IPFamily = f
			}
		},
		"virtualhost": func(p *parser, s *virtualServerState, n *node) { p.setOptString(n, &s.defaults.virtualhost) },
		"inhibit_on_failure": func(p *parser, s *virtualServerState, n *node) {
			if p.nargs(n, 0, 0) {
				on := true
				s.defaults.inhibit = &on
			}
		},
		"sorry_server": func(p *parser, s *virtualServerState, n *node) {
			if !p.noBlock(n) {
				return
			}
			if a, port, ok := p.addrPort(n, n.args()); ok {
				inhibit := s.vs.Sorry != nil && s.vs.Sorry.Inhibit
				s.vs.Sorry = &SorryServer{Pos: n.pos, Addr: a, Port: port, Inhibit: inhibit}
			}
		},
		"sorry_server_inhibit": func(p *parser, s *virtualServerState, n *node) {
			if p.nargs(n, 0, 0) {
				if s.vs.Sorry == nil {
					s.vs.Sorry = &SorryServer{Pos: n.pos}
				}
				s.vs.Sorry.Inhibit = true
			}
		},
		"sorry_server_lvs_method": func(p *parser, s *virtualServerState, n *node) {
			m := Method{}
			p.method(n, &m)
			if m.Kind != "" {
				s.sorryMethod = &m
			}
		},
		"real_server": func(p *parser, s *virtualServerState, n *node) {
			if prs := p.parseRealServer(n, s.where); prs != nil {
				s.pending = append(s.pending, prs)
			}
		},
		"smtp_alert": func(p *parser, s *virtualServerState, n *node) {
			p.addUnsupported(n, &s.vs.Settings, "no email alerts are sent")
		},
		"snmp_name": func(p *parser, s *virtualServerState, n *node) { p.addSetting(n, &s.vs.Settings) },
	}
	t["lvs_sched"] = t["lb_algo"]
	t["lvs_method"] = t["lb_kind"]
	for _, f := range schedFlags {
		t[f] = func(p *parser, s *virtualServerState, n *node) {
			if p.nargs(n, 0, 0) && !slices.Contains(s.vs.SchedFlags, n.keyword()) {
				s.vs.SchedFlags = append(s.vs.SchedFlags, n.keyword())
			}
		}
	}
	timingKeywords(t, func(s *virtualServerState) *checkDefaults { return &s.defaults }, true)
	return t
}()

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
	s := &virtualServerState{vs: vs, where: "virtual_server " + strings.Join(args, " ")}
	dispatchTo(p, s.where, n.children, virtualServerKeywords, s)
	p.completeVirtualServer(vs, s.where, s.defaults, s.pending, s.sorryMethod)
}

// scheduler parses "lb_algo|lvs_sched SCHEDULER".
func (p *parser) scheduler(n *node, dst *string) {
	if !p.nargs(n, 1, 1) {
		return
	}
	v := n.args()[0]
	if !slices.Contains(schedulers, v) {
		p.rep.dropf(n.pos, "the scheduler is ignored", "%s: %q is not an LVS scheduler (%s)%s", n.keyword(), v, strings.Join(schedulers, ", "), suggest(v, schedulers))
		return
	}
	*dst = v
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
		p.rep.dropf(vs.Pos, "persistence_timeout "+strconv.Itoa(DefaultPersistenceTimeout)+" is set", "%s: a virtual server without a port must be persistent (add a port or persistence_timeout)", where)
		vs.PersistenceTimeout = DefaultPersistenceTimeout
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
			p.rep.dropf(rs.Pos, "the real server is ignored", "%s: real_server %s is not %s like the virtual server", where, rs.Addr, familyName(vs.Family))
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

// realServerState is a real_server being read.
type realServerState struct {
	prs   *pendingRS
	where string
}

// realServerKeywords is the keyword table of real_server.
var realServerKeywords = func() keywords[*realServerState] {
	t := keywords[*realServerState]{
		"weight":      func(p *parser, s *realServerState, n *node) { p.setInt(n, &s.prs.rs.Weight, 0, 1<<31-1) },
		"lvs_method":  func(p *parser, s *realServerState, n *node) { p.method(n, &s.prs.rs.Method) },
		"notify_up":   func(p *parser, s *realServerState, n *node) { p.setCommand(n, &s.prs.rs.NotifyUp) },
		"notify_down": func(p *parser, s *realServerState, n *node) { p.setCommand(n, &s.prs.rs.NotifyDown) },
		"uthreshold":  func(p *parser, s *realServerState, n *node) { p.setInt(n, &s.prs.rs.UThreshold, 0, 1<<31-1) },
		"lthreshold":  func(p *parser, s *realServerState, n *node) { p.setInt(n, &s.prs.rs.LThreshold, 0, 1<<31-1) },
		"virtualhost": func(p *parser, s *realServerState, n *node) {
			p.setOptString(n, &s.prs.defaults.virtualhost)
		},
		"alpha":              func(p *parser, s *realServerState, n *node) { p.setOptBool(n, &s.prs.defaults.alpha) },
		"inhibit_on_failure": func(p *parser, s *realServerState, n *node) { p.setOptBool(n, &s.prs.defaults.inhibit) },
		"smtp_alert": func(p *parser, s *realServerState, n *node) {
			p.addUnsupported(n, &s.prs.rs.Settings, "no email alerts are sent")
		},
		"snmp_name": func(p *parser, s *realServerState, n *node) { p.addSetting(n, &s.prs.rs.Settings) },
		"BFD_CHECK": func(p *parser, s *realServerState, n *node) {
			p.rep.warnf(n.pos, "BFD_CHECK is not supported by havip: BFD sessions are not run, so this checker never marks %s down", s.prs.rs.Name())
		},
		"FILE_CHECK": func(p *parser, s *realServerState, n *node) {
			p.rep.warnf(n.pos, "FILE_CHECK is not supported by havip: the file does not change %s's state or weight", s.prs.rs.Name())
		},
	}
	t["lb_kind"] = t["lvs_method"]
	timingKeywords(t, func(s *realServerState) *checkDefaults { return &s.prs.defaults }, true)
	for _, typ := range checkerTypes {
		t[typ] = func(p *parser, s *realServerState, n *node) {
			s.prs.checkers = append(s.prs.checkers, p.parseChecker(n, typ, s.where)...)
		}
	}
	return t
}()

// checkerTypes are the checker keywords of a real_server havip runs.
var checkerTypes = []string{CheckTCP, CheckHTTP, CheckSSL, CheckMisc, CheckDNS, CheckSMTP, CheckPing, CheckUDP}

func (p *parser) parseRealServer(n *node, vsWhere string) *pendingRS {
	if !p.needBlock(n) {
		return nil
	}
	a, port, ok := p.addrPort(n, n.args())
	if !ok {
		return nil
	}
	prs := &pendingRS{rs: &RealServer{Pos: n.pos, Addr: a, Port: port, Weight: 1}}
	s := &realServerState{prs: prs, where: vsWhere + " real_server " + strings.Join(n.args(), " ")}
	dispatchTo(p, s.where, n.children, realServerKeywords, s)
	return prs
}

// checkerState is a checker being read.
type checkerState struct {
	pendingChecker
	hosts []*node // the host blocks of an SMTP_CHECK
	where string
}

// checkerKeywords are the keyword tables of the checkers, by type.
var checkerKeywords = func() map[string]keywords[*checkerState] {
	out := map[string]keywords[*checkerState]{}
	for _, typ := range checkerTypes {
		out[typ] = checkerTypeKeywords(typ)
	}
	return out
}()

// checkerTypeKeywords builds the keyword table of the checker typ.
func checkerTypeKeywords(typ string) keywords[*checkerState] {
	t := keywords[*checkerState]{
		"alpha":            func(p *parser, s *checkerState, n *node) { p.setOptBool(n, &s.defaults.alpha) },
		"log_all_failures": func(p *parser, s *checkerState, n *node) { p.setBool(n, &s.ck.LogAllFailures) },
	}
	timingKeywords(t, func(s *checkerState) *checkDefaults { return &s.defaults }, typ != CheckMisc)
	if typ != CheckMisc {
		connectKeywords(t, func(s *checkerState) *Checker { return s.ck })
	}
	switch typ {
	case CheckHTTP, CheckSSL:
		t["http_protocol"] = func(p *parser, s *checkerState, n *node) {
			if p.nargs(n, 1, 1) {
				switch v := n.args()[0]; v {
				case "1.0", "1.1":
					s.ck.HTTP.Protocol = v
				case "1.0C", "1.0c":
					s.ck.HTTP.Protocol = "1.0C"
				default:
					p.rep.errorf(n.pos, "http_protocol: %q is not 1.0, 1.0C or 1.1", v)
				}
			}
		}
		t["fast_recovery"] = func(p *parser, s *checkerState, n *node) { p.setBool(n, &s.ck.HTTP.FastRecovery) }
		t["virtualhost"] = func(p *parser, s *checkerState, n *node) { p.setOptString(n, &s.defaults.virtualhost) }
		t["url"] = func(p *parser, s *checkerState, n *node) {
			if u, ok := p.parseURL(n, s.where); ok {
				s.ck.HTTP.URLs = append(s.ck.HTTP.URLs, u)
			} else {
				s.badURL = true
			}
		}
		if typ == CheckSSL {
			t["enable_sni"] = func(p *parser, s *checkerState, n *node) { p.setBool(n, &s.ck.HTTP.EnableSNI) }
		}
	case CheckSMTP:
		t["helo_name"] = func(p *parser, s *checkerState, n *node) {
			if !p.noBlock(n) {
				return
			}
			toks, err := splitQuotedEscaped(n.raw)
			if err != nil || len(toks) != 2 {
				p.rep.errorf(n.pos, "helo_name takes one name")
				return
			}
			s.ck.SMTP.HeloName = toks[1]
		}
		t["host"] = func(p *parser, s *checkerState, n *node) {
			if p.needBlock(n) {
				s.hosts = append(s.hosts, n)
			}
		}
	case CheckDNS:
		t["type"] = func(p *parser, s *checkerState, n *node) {
			if p.nargs(n, 1, 1) {
				v := strings.ToUpper(n.args()[0])
				if !slices.Contains(dnsTypes, v) {
					p.rep.errorf(n.pos, "type: %q is not a DNS_CHECK query type (%s)", n.args()[0], strings.Join(dnsTypes, ", "))
					return
				}
				s.ck.DNS.Type = v
			}
		}
		t["name"] = func(p *parser, s *checkerState, n *node) { p.setString(n, &s.ck.DNS.Name) }
	case CheckMisc:
		t["misc_path"] = func(p *parser, s *checkerState, n *node) {
			if c, ok := p.miscPath(n); ok {
				s.ck.Misc.Path = c
			}
		}
		t["misc_timeout"] = func(p *parser, s *checkerState, n *node) {
			if p.nargs(n, 1, 1) {
				if v, ok := p.intArg(n, n.args()[0], 1, 1<<31-1); ok {
					s.ck.Misc.Timeout = time.Duration(v) * time.Second
				}
			}
		}
		t["misc_dynamic"] = func(p *parser, s *checkerState, n *node) { p.setFlag(n, &s.ck.Misc.Dynamic, true) }
		t["user"] = func(p *parser, s *checkerState, n *node) {
			if p.nargs(n, 1, 2) {
				m := s.ck.Misc
				m.User = n.args()[0]
				m.Group = ""
				if len(n.args()) == 2 {
					m.Group = n.args()[1]
				}
			}
		}
	case CheckUDP:
		t["payload"] = func(p *parser, s *checkerState, n *node) {
			if v, ok := p.hexArg(n, false); ok {
				s.ck.UDP.Payload = v
			}
		}
		t["require_reply"] = func(p *parser, s *checkerState, n *node) {
			if v, ok := p.hexArg(n, true); ok {
				s.ck.UDP.RequireReply, s.ck.UDP.ReplyPattern = true, v
			}
		}
		t["min_reply_length"] = func(p *parser, s *checkerState, n *node) { p.setInt(n, &s.ck.UDP.MinReplyLength, 0, 65535) }
		t["max_reply_length"] = func(p *parser, s *checkerState, n *node) { p.setInt(n, &s.ck.UDP.MaxReplyLength, 0, 65535) }
	}
	return t
}

// smtpHostKeywords is the keyword table of an SMTP_CHECK's host block.
var smtpHostKeywords = func() keywords[*Checker] {
	t := keywords[*Checker]{}
	connectKeywords(t, func(ck *Checker) *Checker { return ck })
	return t
}()

// connectKeywords adds to t the keywords that say where a checker
// connects from and to; checker is the block's Checker.
func connectKeywords[S any](t keywords[S], checker func(S) *Checker) {
	t["connect_ip"] = func(p *parser, s S, n *node) {
		if a, ok := p.addrKw(n); ok {
			checker(s).ConnectIP = a
		}
	}
	t["connect_port"] = func(p *parser, s S, n *node) {
		if p.nargs(n, 1, 1) {
			if v, ok := p.portArg(n, n.args()[0]); ok {
				checker(s).ConnectPort = v
			}
		}
	}
	t["bindto"] = func(p *parser, s S, n *node) {
		if a, ok := p.addrKw(n); ok {
			checker(s).BindTo = a
		}
	}
	t["bind_if"] = func(p *parser, s S, n *node) { p.setString(n, &checker(s).BindIf) }
	t["bind_port"] = func(p *parser, s S, n *node) {
		if p.nargs(n, 1, 1) {
			if v, ok := p.portArg(n, n.args()[0]); ok {
				checker(s).BindPort = v
			}
		}
	}
	t["fwmark"] = func(p *parser, s S, n *node) {
		if p.nargs(n, 1, 1) {
			v, err := strconv.ParseUint(n.args()[0], 0, 32)
			if err != nil {
				p.rep.errorf(n.pos, "fwmark: %q is not an integer in 0..4294967295", n.args()[0])
				return
			}
			checker(s).Fwmark = uint32(v)
		}
	}
}

// parseChecker parses one checker block; an SMTP_CHECK with host blocks
// yields one checker per host, as keepalived 2.x does.
func (p *parser) parseChecker(n *node, typ, rsWhere string) []pendingChecker {
	if !p.needBlock(n) || !p.nargs0Header(n) {
		return nil
	}
	ck := &Checker{Pos: n.pos, Type: typ}
	switch typ {
	case CheckHTTP, CheckSSL:
		ck.HTTP = &HTTPCheck{Protocol: DefaultHTTPProtocol}
	case CheckSMTP:
		ck.SMTP = &SMTPCheck{}
	case CheckDNS:
		ck.DNS = &DNSCheck{Type: DefaultDNSType, Name: DefaultDNSName}
	case CheckMisc:
		ck.Misc = &MiscCheck{}
	case CheckUDP:
		ck.UDP = &UDPCheck{MaxReplyLength: DefaultUDPMaxReply}
	}
	where := rsWhere + " " + typ
	s := &checkerState{pendingChecker: pendingChecker{ck: ck}, where: where}
	dispatchTo(p, where, n.children, checkerKeywords[typ], s)
	if typ == CheckMisc && ck.Misc.Path.Text == "" {
		p.rep.errorf(n.pos, "%s: misc_path is missing", where)
		return nil
	}
	if ck.HTTP != nil && len(ck.HTTP.URLs) == 0 {
		if !s.badURL {
			p.rep.dropf(n.pos, "the checker is ignored", "%s: no url block (add url { path /... })", where)
		}
		return nil
	}
	if ck.UDP != nil && ck.UDP.MinReplyLength > ck.UDP.MaxReplyLength {
		p.rep.errorf(n.pos, "%s: min_reply_length %d is above max_reply_length %d", where, ck.UDP.MinReplyLength, ck.UDP.MaxReplyLength)
		return nil
	}
	if len(s.hosts) == 0 {
		return []pendingChecker{s.pendingChecker}
	}
	var out []pendingChecker
	for _, h := range s.hosts {
		c := *ck
		c.Pos = h.pos
		smtp := *ck.SMTP
		c.SMTP = &smtp
		dispatchTo(p, where+" host", h.children, smtpHostKeywords, &c)
		out = append(out, pendingChecker{ck: &c, defaults: s.defaults})
	}
	return out
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

// urlState is a url block of an HTTP_GET or SSL_GET being read.
type urlState struct {
	url URL
	bad bool // a keyword in error
}

// urlKeywords is the keyword table of a url block.
var urlKeywords = func() keywords[*urlState] {
	t := keywords[*urlState]{
		"path": func(p *parser, s *urlState, n *node) { p.setString(n, &s.url.Path) },
		"digest": func(p *parser, s *urlState, n *node) {
			if p.nargs(n, 1, 1) {
				v := strings.ToLower(n.args()[0])
				if _, err := hex.DecodeString(v); err != nil || len(v) != 32 {
					p.rep.errorf(n.pos, "digest: %q is not an MD5 digest (32 hex digits, as genhash prints)", n.args()[0])
					s.bad = true
					return
				}
				s.url.Digest = v
			}
		},
		"status_code": func(p *parser, s *urlState, n *node) {
			if !p.nargs(n, 1, -1) {
				s.bad = true
				return
			}
			for _, a := range n.args() {
				r, ok := parseCodeRange(a)
				if !ok {
					p.rep.dropf(n.pos, "the code is ignored", "status_code: %q is not a code or range in 100..999 (like 200 or 200-299)", a)
					continue
				}
				s.url.StatusCodes = append(s.url.StatusCodes, r)
			}
		},
		"virtualhost": func(p *parser, s *urlState, n *node) { p.setString(n, &s.url.Virtualhost) },
		"regex": func(p *parser, s *urlState, n *node) {
			if !p.noBlock(n) {
				return
			}
			toks, err := splitQuotedEscaped(n.raw)
			if err != nil || len(toks) != 2 {
				p.rep.errorf(n.pos, "regex takes one (quoted) expression")
				s.bad = true
				return
			}
			if _, err := regexp.Compile(toks[1]); err != nil {
				p.rep.errorf(n.pos, "regex %q: %v (havip uses Go RE2 syntax, a subset of PCRE2 without back-references or look-around)", toks[1], err)
				s.bad = true
				return
			}
			s.url.Regex = toks[1]
		},
		"regex_no_match": func(p *parser, s *urlState, n *node) { p.setFlag(n, &s.url.RegexNoMatch, true) },
	}
	for _, kw := range []string{"regex_options", "regex_stack", "regex_min_offset", "regex_max_offset"} {
		t[kw] = func(p *parser, _ *urlState, n *node) {
			p.rep.warnf(n.pos, "%s is not supported by havip: the regex is matched against the whole body with Go RE2", n.keyword())
		}
	}
	return t
}()

func (p *parser) parseURL(n *node, where string) (URL, bool) {
	s := &urlState{url: URL{Pos: n.pos}}
	if !p.needBlock(n) || !p.nargs0Header(n) {
		return s.url, false
	}
	dispatchTo(p, where+" url", n.children, urlKeywords, s)
	u := s.url
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
	return u, !s.bad
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
