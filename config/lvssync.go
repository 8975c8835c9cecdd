package config

import (
	"fmt"
	"strconv"
	"strings"
)

// lvsSyncIfnameMax is IP_VS_IFNAME_MAXLEN: an interface name has fewer bytes.
const lvsSyncIfnameMax = 16

// lvsSyncDaemonKw parses global_defs' "lvs_sync_daemon INTERFACE [[inst]
// VRRP_INSTANCE] [id SYNC_ID] [maxlen LEN] [port PORT] [ttl TTL] [group IP]"
// as keepalived 2.2.7 does: a bad option is reported and dropped, the rest
// kept; the old positional form "INTERFACE VRRP_INSTANCE [SYNC_ID]" is read
// too. The instance and the default sync id are resolved once every
// instance is read (resolveLVSSyncDaemon).
func (p *parser) lvsSyncDaemonKw(n *node) {
	if !p.noBlock(n) {
		return
	}
	g := &p.cfg.Global
	if d := g.LVSSyncDaemon; d != nil {
		p.rep.dropf(n.pos, "this one is ignored", "lvs_sync_daemon is already set (interface %s at %s)", d.Interface, d.Pos)
		return
	}
	args := n.args()
	if len(args) == 0 {
		p.rep.dropf(n.pos, "the LVS sync daemon is not started", "lvs_sync_daemon needs an interface")
		return
	}
	if len(args[0]) >= lvsSyncIfnameMax {
		p.rep.dropf(n.pos, "the LVS sync daemon is not started", "lvs_sync_daemon: interface name %q is longer than %d bytes", args[0], lvsSyncIfnameMax-1)
		return
	}
	d := &LVSSyncDaemon{Pos: n.pos, Interface: args[0], SyncID: -1}
	// number reads the value of option args[i] in lo..hi; ok is false when
	// it is missing or out of range (reported, with what is used instead).
	number := func(i, lo, hi int, instead string) (int, bool) {
		if i+1 >= len(args) {
			p.rep.dropf(n.pos, instead, "lvs_sync_daemon: %s has no value", args[i])
			return 0, false
		}
		v, err := strconv.Atoi(args[i+1])
		if err != nil || v < lo || v > hi {
			p.rep.dropf(n.pos, instead, "lvs_sync_daemon: %s %q is not an integer in %d..%d", args[i], args[i+1], lo, hi)
			return 0, false
		}
		return v, true
	}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "inst":
			switch {
			case i+1 >= len(args):
				p.rep.dropf(n.pos, "the option is ignored", "lvs_sync_daemon: inst has no value")
			case d.Instance != "":
				p.rep.dropf(n.pos, "the option is ignored", "lvs_sync_daemon: the vrrp_instance is already %s", d.Instance)
			default:
				d.Instance = args[i+1]
			}
			i++
		case "id":
			if v, ok := number(i, 0, 255, "the instance's virtual_router_id is the sync id"); ok {
				d.SyncID = v
			}
			i++
		case "maxlen":
			// The largest UDP payload of an IPv4 datagram.
			if v, ok := number(i, 1, 65535-20-8, "the kernel's default (from the interface MTU) is used"); ok {
				d.MaxLen = v
			}
			i++
		case "port":
			if v, ok := number(i, 1, 65535, "the kernel's default 8848 is used"); ok {
				d.Port = v
			}
			i++
		case "ttl":
			if v, ok := number(i, 1, 255, "the kernel's default 1 is used"); ok {
				d.TTL = v
			}
			i++
		case "group":
			const instead = "the kernel's default 224.0.0.81 is used"
			switch a, err := parseAddr(valueAt(args, i+1)); {
			case i+1 >= len(args):
				p.rep.dropf(n.pos, instead, "lvs_sync_daemon: group has no value")
			case err != nil:
				p.rep.dropf(n.pos, instead, "lvs_sync_daemon: group: %v", err)
			case !a.IsMulticast():
				p.rep.dropf(n.pos, instead, "lvs_sync_daemon: group %s is not a multicast address", a)
			default:
				d.Group = a
			}
			i++
		default:
			switch i {
			case 1: // lvs_sync_daemon INTERFACE VRRP_INSTANCE
				d.Instance = args[1]
			case 2: // lvs_sync_daemon INTERFACE VRRP_INSTANCE SYNC_ID
				v, err := strconv.Atoi(args[2])
				if err != nil || v < 0 || v > 255 {
					p.rep.dropf(n.pos, "the instance's virtual_router_id is the sync id", "lvs_sync_daemon: sync id %q is not an integer in 0..255", args[2])
					break
				}
				p.rep.warnf(n.pos, "lvs_sync_daemon: write the sync id as \"id %d\"", v)
				d.SyncID = v
			default:
				p.rep.dropf(n.pos, "the option is ignored", "lvs_sync_daemon: unknown option %q", args[i])
			}
		}
	}
	g.LVSSyncDaemon = d
}

// valueAt is args[i], or "" past the end.
func valueAt(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// lvsSyncDaemonInterfaceKw parses vrrp_instance's deprecated
// "lvs_sync_daemon_interface INTERFACE": keepalived runs the sync daemon on
// INTERFACE following that instance, with sync id 0.
func (p *parser) lvsSyncDaemonInterfaceKw(in *Instance, n *node) {
	if !p.nargs(n, 1, -1) {
		return
	}
	g := &p.cfg.Global
	ifname := n.args()[0]
	p.rep.warnf(n.pos, "vrrp_instance %s: lvs_sync_daemon_interface is deprecated; write \"lvs_sync_daemon %s inst %s id 0\" in global_defs", in.Name, ifname, in.Name)
	switch {
	case g.LVSSyncDaemon != nil:
		p.rep.dropf(n.pos, "this one is ignored", "vrrp_instance %s: the LVS sync daemon is already set (interface %s at %s)", in.Name, g.LVSSyncDaemon.Interface, g.LVSSyncDaemon.Pos)
		return
	case len(ifname) >= lvsSyncIfnameMax:
		p.rep.dropf(n.pos, "the LVS sync daemon is not started", "vrrp_instance %s: lvs_sync_daemon_interface: interface name %q is longer than %d bytes", in.Name, ifname, lvsSyncIfnameMax-1)
		return
	}
	if len(n.args()) > 1 {
		p.rep.dropf(n.pos, "they are ignored", "vrrp_instance %s: lvs_sync_daemon_interface takes one interface, have extra arguments %q", in.Name, n.args()[1:])
	}
	g.LVSSyncDaemon = &LVSSyncDaemon{Pos: n.pos, Interface: ifname, Instance: in.Name, SyncID: 0}
}

// resolveLVSSyncDaemon finds the instance lvs_sync_daemon follows, which
// must run (keepalived clears the sync daemon otherwise), and sets the
// default sync id: the instance's virtual_router_id, or 0 without instance.
func (p *parser) resolveLVSSyncDaemon() {
	c := p.cfg
	d := c.Global.LVSSyncDaemon
	if d == nil {
		return
	}
	if d.Instance == "" {
		d.SyncID = max(d.SyncID, 0)
		return
	}
	in := c.Instance(d.Instance)
	if in == nil {
		names := make([]string, 0, len(c.Instances))
		for _, i := range c.Instances {
			names = append(names, i.Name)
		}
		p.rep.dropf(d.Pos, "the LVS sync daemon is not started", "lvs_sync_daemon: vrrp_instance %s is not defined%s", d.Instance, suggest(d.Instance, names))
		c.Global.LVSSyncDaemon = nil
		return
	}
	if d.SyncID < 0 {
		d.SyncID = int(in.VRID)
	}
}

// Equal reports whether d and o start the same daemons, positions aside.
func (d *LVSSyncDaemon) Equal(o *LVSSyncDaemon) bool {
	if d == nil || o == nil {
		return d == o
	}
	a, b := *d, *o
	a.Pos, b.Pos = Pos{}, Pos{}
	return a == b
}

// formatLVSSyncDaemon prints d as global_defs' lvs_sync_daemon, with its
// resolved sync id.
func formatLVSSyncDaemon(d *LVSSyncDaemon) string {
	var b strings.Builder
	b.WriteString("lvs_sync_daemon " + d.Interface)
	if d.Instance != "" {
		b.WriteString(" inst " + d.Instance)
	}
	fmt.Fprintf(&b, " id %d", d.SyncID)
	for _, o := range []struct {
		kw string
		v  int
	}{{"maxlen", d.MaxLen}, {"port", d.Port}, {"ttl", d.TTL}} {
		if o.v != 0 {
			fmt.Fprintf(&b, " %s %d", o.kw, o.v)
		}
	}
	if d.Group.IsValid() {
		b.WriteString(" group " + d.Group.String())
	}
	return b.String()
}
