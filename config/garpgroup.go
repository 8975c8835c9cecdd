package config

import "time"

// maxGARPInterval is the longest garp/gna interval keepalived 2.2.7 reads:
// an unsigned count of microseconds.
const maxGARPInterval = 4294967295 * time.Microsecond

// parseGARPGroup reads a garp_group block as keepalived 2.2.7 does: an
// interface named in an earlier group, and a group without any interval,
// are dropped with a warning.
func (p *parser) parseGARPGroup(n *node) {
	if !p.nargs0Header(n) || !p.needBlock(n) {
		return
	}
	g := GARPGroup{Pos: n.pos}
	var set bool
	add := func(c *node, name string) {
		for _, other := range p.cfg.GARPGroups {
			for _, have := range other.Interfaces {
				if have == name {
					p.rep.dropf(c.pos, "the interface is ignored", "garp_group: %s is already in the garp_group at %s", name, other.Pos)
					return
				}
			}
		}
		for _, have := range g.Interfaces {
			if have == name {
				p.rep.dropf(c.pos, "the interface is ignored", "garp_group: %s is named twice", name)
				return
			}
		}
		g.Interfaces = append(g.Interfaces, name)
		g.ifPos = append(g.ifPos, c.pos)
	}
	p.dispatch("garp_group", n.children, map[string]handler{
		"garp_interval": func(c *node) {
			p.timerKw(&g.Interval, 0, maxGARPInterval)(c)
			set = true
		},
		"gna_interval": func(c *node) {
			p.timerKw(&g.NAInterval, 0, maxGARPInterval)(c)
			set = true
		},
		"interface": func(c *node) {
			if p.nargs(c, 1, 1) {
				add(c, c.args()[0])
			}
		},
		"interfaces": func(c *node) {
			if !p.needBlock(c) {
				return
			}
			if len(c.children) == 0 {
				p.rep.warnf(c.pos, "garp_group: the interfaces block is empty")
			}
			for _, i := range c.children {
				if p.nargs(i, 0, 0) {
					add(i, i.keyword())
				}
			}
		},
	})
	if !set {
		p.rep.dropf(n.pos, "the garp_group is ignored", "garp_group has no garp_interval or gna_interval")
		return
	}
	p.cfg.GARPGroups = append(p.cfg.GARPGroups, g)
}
