package config

import (
	"strconv"
	"strings"
	"time"
)

// instanceSettings are vrrp_instance keywords havip accepts without acting
// on them.
var instanceSettings = []string{"kernel_rx_buf_size", "debug", "preempt"}

// instanceDeprecated are keywords kept for compatibility with a warning.
var instanceDeprecated = map[string]string{
	"native_ipv6":               "it is deprecated and has no effect; IPv6 is chosen from the addresses",
	"linkbeat_use_polling":      "link beat polling is not used",
	"lvs_sync_daemon_interface": "the LVS sync daemon is not started",
	"smtp_alert":                "no email alerts are sent",
	"vrf":                       "the instance is not bound to a VRF; its sockets and VIPs use the main routing table",
	"use_ipvlan":                "no ipvlan interface is created; the VIPs go on the instance's interface",
	"use_vmac_addr":             "the VIPs are announced as use_vmac does, or with the interface's MAC without it",
	"garp_extra_if":             "no gratuitous ARPs are sent on other interfaces",
	"old_unicast_checksum":      "unicast VRRPv3 adverts use the current checksum; keepalived before 1.3.6 peers expecting the old one will drop them",
}

// globalOnlyKw drops a keyword keepalived 2.2.7 does not know in a
// vrrp_instance but in global_defs, as global (or in a garp_group).
func (p *parser) globalOnlyKw(global string) handler {
	return func(n *node) {
		p.rep.dropf(n.pos, "the keyword is ignored", "%s is not a vrrp_instance keyword (gratuitous ARPs and NAs are paced per interface: %s in global_defs)",
			n.keyword(), global)
	}
}

func (p *parser) parseInstance(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	g := &p.cfg.Global
	in := &Instance{Pos: n.pos, Name: name, set: map[string]bool{}}
	in.GARP = g.GARP
	in.LowerPrioNoAdvert = g.LowerPrioNoAdvert
	in.HigherPrioSendAdvert = g.HigherPrioSendAdvert
	in.OwnerIgnoreAdverts = g.OwnerIgnoreAdverts
	in.SkipCheckAdvAddr = g.SkipCheckAdvAddr
	in.CheckUnicastSrc = g.CheckUnicastSrc
	in.DownTimerAdverts = g.DownTimerAdverts
	in.Strict = g.Strict
	in.UnicastTTL = 255
	in.AdvertInt = time.Second
	var (
		priority, vrid, version int
		accept, noAccept        bool
	)
	mark := func(kw string, h handler) handler {
		return func(n *node) {
			in.set[kw] = true
			h(n)
		}
	}
	table := map[string]handler{
		"state": func(n *node) {
			if !p.nargs(n, 1, 1) {
				return
			}
			switch n.args()[0] {
			case "MASTER":
				in.State = StateMaster
			case "BACKUP":
				in.State = StateBackup
			default:
				p.rep.dropf(n.pos, "BACKUP is used", "vrrp_instance %s: state %q must be MASTER or BACKUP (upper case)", name, n.args()[0])
				in.State = StateBackup
			}
		},
		"interface":         p.stringKw(&in.Interface),
		"virtual_router_id": mark("virtual_router_id", p.intKw(&vrid, 1, 255)),
		"priority": mark("priority", func(n *node) {
			if !p.nargs(n, 1, 1) {
				return
			}
			v, err := strconv.Atoi(n.args()[0])
			if err != nil || v < 1 || v > 255 {
				p.rep.dropf(n.pos, "the default priority 100 is used", "priority: %q is not an integer in 1..255", n.args()[0])
				v = 100
			}
			priority = v
		}),
		"advert_int":    mark("advert_int", p.timerKw(&in.AdvertInt, 10*time.Millisecond, 255*time.Second)),
		"version":       mark("version", p.intKw(&version, 2, 3)),
		"nopreempt":     p.flagKw(&in.Nopreempt, true),
		"preempt_delay": p.timerKw(&in.PreemptDelay, 0, 1000*time.Second),
		"timer_expired_backup": func(n *node) {
			if !p.nargs(n, 0, 1) {
				return
			}
			in.TimerExpiredBackup = 254
			if len(n.args()) == 1 {
				if v, ok := p.intArg(n, n.args()[0], 1, 254); ok {
					in.TimerExpiredBackup = uint8(v)
				}
			}
		},
		"mcast_src_ip": func(n *node) {
			if a, ok := p.addrKw(n); ok {
				in.MulticastSource = a
			}
		},
		"unicast_src_ip": func(n *node) {
			if a, ok := p.addrKw(n); ok {
				in.UnicastSource = a
			}
		},
		"mcast_dst_ip": func(n *node) {
			if a, ok := p.addrKw(n); ok {
				if !a.IsMulticast() {
					p.rep.errorf(n.pos, "mcast_dst_ip: %s is not a multicast address", a)
					return
				}
				in.MulticastGroup = a
			}
		},
		"unicast_peer":          func(n *node) { in.UnicastPeers = append(in.UnicastPeers, p.unicastPeers(n)...) },
		"unicast_ttl":           p.intKw(&in.UnicastTTL, 0, 255),
		"unicast_fault_no_peer": p.flagKw(&in.UnicastFaultNoPeer, true),
		"check_unicast_src":     p.flagKw(&in.CheckUnicastSrc, true),
		"track_src_ip":          p.flagKw(&in.TrackSrcIP, true),
		"authentication":        func(n *node) { p.authentication(in, n) },
		"virtual_ipaddress": func(n *node) {
			if p.needBlock(n) {
				in.VirtualAddresses = append(in.VirtualAddresses, p.addresses(n, "virtual_ipaddress")...)
			}
		},
		"virtual_ipaddress_excluded": func(n *node) {
			if p.needBlock(n) {
				in.ExcludedAddresses = append(in.ExcludedAddresses, p.addresses(n, "virtual_ipaddress_excluded")...)
			}
		},
		"no_virtual_ipaddress": p.flagKw(&in.NoVirtualAddresses, true),
		"virtual_routes": func(n *node) {
			if p.needBlock(n) {
				in.VirtualRoutes = append(in.VirtualRoutes, p.routes(n)...)
			}
		},
		"virtual_rules": func(n *node) {
			if p.needBlock(n) {
				in.VirtualRules = append(in.VirtualRules, p.rules(n)...)
			}
		},
		"dont_track_primary":         p.flagKw(&in.DontTrackPrimary, true),
		"notify_deleted":             p.notifyDeleted(&in.Notify),
		"garp_master_delay":          p.timerKw(&in.GARP.MasterDelay, 0, 1000*time.Second),
		"garp_master_repeat":         p.intKw(&in.GARP.MasterRepeat, 0, 10000),
		"garp_lower_prio_delay":      mark("garp_lower_prio_delay", p.timerKw(&in.GARP.LowerPrioDelay, 0, 1000*time.Second)),
		"garp_lower_prio_repeat":     mark("garp_lower_prio_repeat", p.intKw(&in.GARP.LowerPrioRepeat, 0, 10000)),
		"garp_master_refresh":        p.timerKw(&in.GARP.MasterRefresh, 0, 1000*time.Second),
		"garp_master_refresh_repeat": p.intKw(&in.GARP.MasterRefreshRepeat, 0, 10000),
		"garp_interval":              p.globalOnlyKw("vrrp_garp_interval"),
		"gna_interval":               p.globalOnlyKw("vrrp_gna_interval"),
		"accept":                     p.flagKw(&accept, true),
		"no_accept":                  p.flagKw(&noAccept, true),
		"strict_mode":                p.boolKw(&in.Strict),
		"skip_check_adv_addr":        p.boolKw(&in.SkipCheckAdvAddr),
		"lower_prio_no_advert":       p.boolKw(&in.LowerPrioNoAdvert),
		"higher_prio_send_advert":    p.boolKw(&in.HigherPrioSendAdvert),
		"owner_ignore_adverts":       mark("owner_ignore_adverts", p.boolKw(&in.OwnerIgnoreAdverts)),
		"down_timer_adverts":         p.intKw(&in.DownTimerAdverts, 1, 100),
		"use_vmac": func(n *node) {
			if p.nargs(n, 0, 3) {
				in.VMAC = &VMAC{Pos: n.pos}
				for _, a := range n.args() {
					if strings.Contains(a, ":") {
						in.VMAC.MAC = a
					} else if a != "netlink_notify_msg" {
						in.VMAC.Name = a
					}
				}
			}
		},
		"vmac_xmit_base":      p.flagKw(&in.VMACXmitBase, true),
		"promote_secondaries": p.flagKw(&in.PromoteSecondaries, true),
	}
	p.trackingHandlers(&in.Track, table)
	p.notifyHandlers(&in.Notify, table)
	for _, kw := range instanceSettings {
		table[kw] = p.settingKw(&in.Settings)
	}
	for kw, what := range instanceDeprecated {
		table[kw] = p.unsupportedKw(&in.Settings, what)
	}
	p.dispatch("vrrp_instance "+name, n.children, table)
	if accept && noAccept {
		p.rep.errorf(n.pos, "vrrp_instance %s: both accept and no_accept are set; keep one", name)
	}
	if !p.completeInstance(in, priority, vrid, version, accept, noAccept) {
		return
	}
	if first := p.cfg.Instance(name); first != nil {
		p.rep.dropf(n.pos, "this definition is ignored", "vrrp_instance %s is defined twice (first at %s)", name, first.Pos)
		return
	}
	p.users["vrrp_instance "+name] = p.top
	p.cfg.Instances = append(p.cfg.Instances, in)
}

// notifyDeleted parses "notify_deleted [SCRIPT]".
func (p *parser) notifyDeleted(nt *Notify) handler {
	return func(n *node) {
		if len(n.args()) == 0 {
			if p.noBlock(n) {
				nt.Deleted = &Command{}
			}
			return
		}
		if c := p.command(n); c != nil {
			nt.Deleted = c
		}
	}
}

func (p *parser) unicastPeers(n *node) []UnicastPeer {
	if !p.needBlock(n) {
		return nil
	}
	var out []UnicastPeer
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "unicast_peer entry %s does not take a '{' block", c.keyword())
			continue
		}
		a, err := parseAddr(c.keyword())
		if err != nil {
			p.rep.dropf(c.pos, "the peer is ignored", "unicast_peer: %v", err)
			continue
		}
		peer := UnicastPeer{Pos: c.pos, Addr: a}
		args := c.args()
		good := true
		for i := 0; i < len(args) && good; i += 2 {
			if i+1 >= len(args) || (args[i] != "min_ttl" && args[i] != "max_ttl") {
				p.rep.errorf(c.pos, "unicast_peer %s: want [min_ttl N] [max_ttl N], have %q", a, args[i:])
				good = false
				break
			}
			v, ok := p.intArg(c, args[i+1], 0, 255)
			if !ok {
				good = false
				break
			}
			if args[i] == "min_ttl" {
				peer.MinTTL = v
			} else {
				peer.MaxTTL = v
			}
		}
		if good && peer.MaxTTL != 0 && peer.MinTTL > peer.MaxTTL {
			p.rep.errorf(c.pos, "unicast_peer %s: min_ttl %d is above max_ttl %d", a, peer.MinTTL, peer.MaxTTL)
			good = false
		}
		if good {
			out = append(out, peer)
		}
	}
	return out
}

func (p *parser) authentication(in *Instance, n *node) {
	if !p.needBlock(n) {
		return
	}
	auth := &Authentication{}
	unknown := false // an auth_type keepalived does not know: warned, no authentication
	table := map[string]handler{
		"auth_type": func(n *node) {
			if !p.nargs(n, 1, 1) {
				return
			}
			switch n.args()[0] {
			case "PASS":
				auth.Type = AuthPass
			case "AH":
				auth.Type = AuthAH
			default:
				unknown = true
				p.rep.dropf(n.pos, "the instance runs without authentication", "vrrp_instance %s: auth_type %q must be PASS or AH", in.Name, n.args()[0])
			}
		},
		"auth_pass": func(n *node) {
			if !p.nargs(n, 1, 1) {
				return
			}
			pw := n.args()[0]
			if len(pw) > 8 {
				p.rep.warnf(n.pos, "vrrp_instance %s: auth_pass is longer than 8 characters; truncated to %q", in.Name, pw[:8])
				pw = pw[:8]
			}
			auth.Password = pw
		},
	}
	p.dispatch("authentication", n.children, table)
	if auth.Type == AuthNone {
		if !unknown {
			p.rep.errorf(n.pos, "vrrp_instance %s: authentication needs auth_type PASS or AH", in.Name)
		}
		return
	}
	if auth.Type == AuthPass && auth.Password == "" {
		p.rep.errorf(n.pos, "vrrp_instance %s: auth_type PASS needs an auth_pass", in.Name)
		return
	}
	in.Auth = auth
}
