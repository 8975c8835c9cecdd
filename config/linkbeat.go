package config

import "slices"

// linkBeatMethods are the polling types a linkbeat_interfaces entry may
// prefer (keepalived matches them case-sensitively).
var linkBeatMethods = []string{"MII", "ETHTOOL", "IOCTL"}

// parseLinkBeat reads linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] ... }.
// keepalived 2.2.7 polls an interface given with an unknown type or extra
// words all the same, with the default order (or the type, when one is
// given before the extra words), and lets a later entry of an interface
// replace an earlier one.
func (p *parser) parseLinkBeat(n *node) {
	if !p.needBlock(n) {
		return
	}
	if len(n.args()) > 0 {
		p.rep.warnf(n.pos, "linkbeat_interfaces takes no arguments; %v ignored", n.args())
	}
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "linkbeat_interfaces entry %s does not take a '{' block", c.keyword())
			continue
		}
		e := LinkBeatInterface{Pos: c.pos, Name: c.toks[0]}
		if args := c.args(); len(args) > 0 {
			if slices.Contains(linkBeatMethods, args[0]) {
				e.Method = args[0]
			} else {
				p.rep.warnf(c.pos, "linkbeat_interfaces: %s: unknown polling type %q (MII, ETHTOOL or IOCTL); MII, else ETHTOOL, else IOCTL is used, as keepalived does", e.Name, args[0])
			}
			if len(args) > 1 {
				p.rep.warnf(c.pos, "linkbeat_interfaces: %s: extra words %v ignored, as keepalived does", e.Name, args[1:])
			}
		}
		if i := slices.IndexFunc(p.cfg.LinkBeat, func(o LinkBeatInterface) bool { return o.Name == e.Name }); i >= 0 {
			p.rep.warnf(c.pos, "linkbeat_interfaces: %s is also given at %s; this entry replaces it, as in keepalived", e.Name, p.cfg.LinkBeat[i].Pos)
			p.cfg.LinkBeat[i] = e
			continue
		}
		p.cfg.LinkBeat = append(p.cfg.LinkBeat, e)
	}
}

// parseLinkBeatUsePolling reads the top-level linkbeat_use_polling:
// polling of the interface of every vrrp_instance. keepalived ignores
// words after it.
func (p *parser) parseLinkBeatUsePolling(n *node) {
	if !p.noBlock(n) {
		return
	}
	if len(n.args()) > 0 {
		p.rep.warnf(n.pos, "linkbeat_use_polling takes no arguments; %v ignored, as keepalived does", n.args())
	}
	p.cfg.LinkBeatUsePolling = true
}

// globalDefsLinkBeat reports linkbeat_use_polling inside global_defs,
// where keepalived's man page lists it but its parser does not know it.
func (p *parser) globalDefsLinkBeat(n *node) {
	p.rep.warnf(n.pos, "linkbeat_use_polling is a top-level keyword, unknown in global_defs: ignored, as keepalived does; write it outside global_defs to poll the links")
}

// instanceLinkBeat reads a vrrp_instance's linkbeat_use_polling: polling
// of the instance's interface, deprecated in keepalived for
// linkbeat_interfaces.
func instanceLinkBeat(p *parser, s *instanceState, n *node) {
	if !p.noBlock(n) {
		return
	}
	p.rep.warnf(n.pos, "(%s) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block", s.in.Name)
	if len(n.args()) > 0 {
		p.rep.warnf(n.pos, "linkbeat_use_polling takes no arguments; %v ignored, as keepalived does", n.args())
	}
	s.in.LinkBeatUsePolling = true
}
