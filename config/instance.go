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
	"native_ipv6": "it is deprecated and has no effect; IPv6 is chosen from the addresses",
}

// globalOnly drops a keyword keepalived 2.2.7 does not know in a
// vrrp_instance but in global_defs, as global (or in a garp_group).
func (p *parser) globalOnly(n *node, global string) {
	p.rep.dropf(n.pos, "the keyword is ignored", "%s is not a vrrp_instance keyword (gratuitous ARPs and NAs are paced per interface: %s in global_defs)",
		n.keyword(), global)
}

// instanceState is a vrrp_instance being read: the instance and the
// keywords completeInstance resolves once the block is read.
type instanceState struct {
	in                      *Instance
	priority, vrid, version int
	accept, noAccept        bool
	ipvlanSource            bool // use_ipvlan's address is the source address
	vrfPos                  Pos
}

// mark records that n's keyword is given, for the settings whose default
// completeInstance tells from a given value.
func (s *instanceState) mark(n *node) { s.in.set[n.keyword()] = true }

// instanceKeywords is the keyword table of vrrp_instance.
var instanceKeywords = func() keywords[*instanceState] {
	t := keywords[*instanceState]{
		"state": func(p *parser, s *instanceState, n *node) {
			if !p.nargs(n, 1, 1) {
				return
			}
			switch n.args()[0] {
			case "MASTER":
				s.in.State = StateMaster
			case "BACKUP":
				s.in.State = StateBackup
			default:
				p.rep.dropf(n.pos, "BACKUP is used", "vrrp_instance %s: state %q must be MASTER or BACKUP (upper case)", s.in.Name, n.args()[0])
				s.in.State = StateBackup
			}
		},
		"interface": func(p *parser, s *instanceState, n *node) { p.setString(n, &s.in.Interface) },
		"lvs_sync_daemon_interface": func(p *parser, s *instanceState, n *node) {
			p.lvsSyncDaemonInterfaceKw(s.in, n)
		},
		"linkbeat_use_polling": instanceLinkBeat,
		"virtual_router_id": func(p *parser, s *instanceState, n *node) {
			s.mark(n)
			p.setInt(n, &s.vrid, 1, 255)
		},
		"priority": func(p *parser, s *instanceState, n *node) {
			s.mark(n)
			if !p.nargs(n, 1, 1) {
				return
			}
			v, err := strconv.Atoi(n.args()[0])
			if err != nil || v < 1 || v > 255 {
				p.rep.dropf(n.pos, "the default priority 100 is used", "priority: %q is not an integer in 1..255", n.args()[0])
				v = 100
			}
			s.priority = v
		},
		"advert_int": func(p *parser, s *instanceState, n *node) {
			s.mark(n)
			p.setTimer(n, &s.in.AdvertInt, 10*time.Millisecond, 255*time.Second)
		},
		"version": func(p *parser, s *instanceState, n *node) {
			s.mark(n)
			p.setInt(n, &s.version, 2, 3)
		},
		"nopreempt":     func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.Nopreempt, true) },
		"preempt_delay": func(p *parser, s *instanceState, n *node) { p.setTimer(n, &s.in.PreemptDelay, 0, 1000*time.Second) },
		"timer_expired_backup": func(p *parser, s *instanceState, n *node) {
			if !p.nargs(n, 0, 1) {
				return
			}
			s.in.TimerExpiredBackup = 254
			if len(n.args()) == 1 {
				if v, ok := p.intArg(n, n.args()[0], 1, 254); ok {
					s.in.TimerExpiredBackup = uint8(v)
				}
			}
		},
		"mcast_src_ip": func(p *parser, s *instanceState, n *node) {
			if a, ok := p.addrKw(n); ok {
				s.in.MulticastSource = a
			}
		},
		"unicast_src_ip": func(p *parser, s *instanceState, n *node) {
			if a, ok := p.addrKw(n); ok {
				s.in.UnicastSource = a
			}
		},
		"mcast_dst_ip": func(p *parser, s *instanceState, n *node) {
			if a, ok := p.addrKw(n); ok {
				if !a.IsMulticast() {
					p.rep.errorf(n.pos, "mcast_dst_ip: %s is not a multicast address", a)
					return
				}
				s.in.MulticastGroup = a
			}
		},
		"unicast_peer": func(p *parser, s *instanceState, n *node) {
			s.in.UnicastPeers = append(s.in.UnicastPeers, p.unicastPeers(n)...)
		},
		"unicast_ttl":           func(p *parser, s *instanceState, n *node) { p.setInt(n, &s.in.UnicastTTL, 0, 255) },
		"unicast_fault_no_peer": func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.UnicastFaultNoPeer, true) },
		"check_unicast_src":     func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.CheckUnicastSrc, true) },
		"track_src_ip":          func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.TrackSrcIP, true) },
		"authentication":        func(p *parser, s *instanceState, n *node) { p.authentication(s.in, n) },
		"old_unicast_checksum": func(p *parser, s *instanceState, n *node) {
			if !p.nargs(n, 0, 1) {
				return
			}
			if len(n.args()) == 0 {
				s.in.OldUnicastChecksum = UnicastChecksumOld
				return
			}
			if n.args()[0] != "never" {
				p.rep.dropf(n.pos, "the keyword is ignored", "vrrp_instance %s: old_unicast_checksum %q: the only mode is never", s.in.Name, n.args()[0])
				return
			}
			s.in.OldUnicastChecksum = UnicastChecksumNever
		},
		"virtual_ipaddress": func(p *parser, s *instanceState, n *node) {
			if p.needBlock(n) {
				s.in.VirtualAddresses = append(s.in.VirtualAddresses, p.addresses(n, "virtual_ipaddress")...)
			}
		},
		"virtual_ipaddress_excluded": func(p *parser, s *instanceState, n *node) {
			if p.needBlock(n) {
				s.in.ExcludedAddresses = append(s.in.ExcludedAddresses, p.addresses(n, "virtual_ipaddress_excluded")...)
			}
		},
		"no_virtual_ipaddress": func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.NoVirtualAddresses, true) },
		"virtual_routes": func(p *parser, s *instanceState, n *node) {
			if p.needBlock(n) {
				s.in.VirtualRoutes = append(s.in.VirtualRoutes, p.routes(n)...)
			}
		},
		"virtual_rules": func(p *parser, s *instanceState, n *node) {
			if p.needBlock(n) {
				s.in.VirtualRules = append(s.in.VirtualRules, p.rules(n)...)
			}
		},
		"dont_track_primary": func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.DontTrackPrimary, true) },
		"notify_deleted":     func(p *parser, s *instanceState, n *node) { p.notifyDeleted(n, &s.in.Notify) },
		"garp_master_delay": func(p *parser, s *instanceState, n *node) {
			p.setTimer(n, &s.in.GARP.MasterDelay, 0, 1000*time.Second)
		},
		"garp_master_repeat": func(p *parser, s *instanceState, n *node) { p.setInt(n, &s.in.GARP.MasterRepeat, 0, 10000) },
		"garp_lower_prio_delay": func(p *parser, s *instanceState, n *node) {
			s.mark(n)
			p.setTimer(n, &s.in.GARP.LowerPrioDelay, 0, 1000*time.Second)
		},
		"garp_lower_prio_repeat": func(p *parser, s *instanceState, n *node) {
			s.mark(n)
			p.setInt(n, &s.in.GARP.LowerPrioRepeat, 0, 10000)
		},
		"garp_master_refresh": func(p *parser, s *instanceState, n *node) {
			p.setTimer(n, &s.in.GARP.MasterRefresh, 0, 1000*time.Second)
		},
		"garp_master_refresh_repeat": func(p *parser, s *instanceState, n *node) {
			p.setInt(n, &s.in.GARP.MasterRefreshRepeat, 0, 10000)
		},
		"garp_extra_if": func(p *parser, s *instanceState, n *node) {
			if d, all, ok := p.garpExtraIf(n, 0); ok {
				s.in.GARP.ExtraIf, s.in.GARP.ExtraIfAll = d, all
			}
		},
		"vmac_garp_intvl": func(p *parser, s *instanceState, n *node) {
			p.rep.warnf(n.pos, "vmac_garp_intvl is deprecated: use garp_extra_if")
			if d, all, ok := p.garpExtraIf(n, 0); ok {
				s.in.GARP.ExtraIf, s.in.GARP.ExtraIfAll = d, all
			}
		},
		"garp_interval":           func(p *parser, s *instanceState, n *node) { p.globalOnly(n, "vrrp_garp_interval") },
		"gna_interval":            func(p *parser, s *instanceState, n *node) { p.globalOnly(n, "vrrp_gna_interval") },
		"accept":                  func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.accept, true) },
		"no_accept":               func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.noAccept, true) },
		"strict_mode":             func(p *parser, s *instanceState, n *node) { p.setBool(n, &s.in.Strict) },
		"skip_check_adv_addr":     func(p *parser, s *instanceState, n *node) { p.setBool(n, &s.in.SkipCheckAdvAddr) },
		"lower_prio_no_advert":    func(p *parser, s *instanceState, n *node) { p.setBool(n, &s.in.LowerPrioNoAdvert) },
		"higher_prio_send_advert": func(p *parser, s *instanceState, n *node) { p.setBool(n, &s.in.HigherPrioSendAdvert) },
		"owner_ignore_adverts": func(p *parser, s *instanceState, n *node) {
			s.mark(n)
			p.setBool(n, &s.in.OwnerIgnoreAdverts)
		},
		"down_timer_adverts": func(p *parser, s *instanceState, n *node) { p.setInt(n, &s.in.DownTimerAdverts, 1, 100) },
		"use_vmac": func(p *parser, s *instanceState, n *node) {
			if p.nargs(n, 0, 3) {
				s.in.VMAC = &VMAC{Pos: n.pos}
				for _, a := range n.args() {
					if strings.Contains(a, ":") {
						s.in.VMAC.MAC = a
					} else if a != "netlink_notify_msg" {
						s.in.VMAC.Name = a
					}
				}
			}
		},
		"vmac_xmit_base":      func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.VMACXmitBase, true) },
		"use_vmac_addr":       func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.UseVMACAddr, true) },
		"use_ipvlan":          func(p *parser, s *instanceState, n *node) { p.ipvlanKw(s, n) },
		"vrf":                 func(p *parser, s *instanceState, n *node) { p.vrfKw(s, n) },
		"promote_secondaries": func(p *parser, s *instanceState, n *node) { p.setFlag(n, &s.in.PromoteSecondaries, true) },
		"smtp_alert": func(p *parser, s *instanceState, n *node) {
			if p.setSMTPAlert(n, &s.in.SMTPAlert) {
				s.mark(n)
			}
		},
	}
	trackingKeywords(t, func(s *instanceState) *Tracking { return &s.in.Track })
	notifyKeywords(t, func(s *instanceState) *Notify { return &s.in.Notify })
	for _, kw := range instanceSettings {
		t[kw] = func(p *parser, s *instanceState, n *node) { p.addSetting(n, &s.in.Settings) }
	}
	for kw, what := range instanceDeprecated {
		t[kw] = func(p *parser, s *instanceState, n *node) { p.addUnsupported(n, &s.in.Settings, what) }
	}
	return t
}()

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
	s := &instanceState{in: in}
	dispatchTo(p, "vrrp_instance "+name, n.children, instanceKeywords, s)
	if s.accept && s.noAccept {
		p.rep.errorf(n.pos, "vrrp_instance %s: both accept and no_accept are set; keep one", name)
	}
	if !p.completeInstance(in, s.priority, s.vrid, s.version, s.accept, s.noAccept) {
		return
	}
	p.completeIPVLANVRF(s, "vrrp_instance "+name)
	key := "vrrp_instance " + name
	if _, dup := p.users[key]; dup {
		p.rep.dropf(n.pos, "this definition is ignored", "vrrp_instance %s is defined twice (first at %s)", name, p.cfg.Instance(name).Pos)
		return
	}
	p.users[key] = p.top
	p.cfg.Instances = append(p.cfg.Instances, in)
}

// notifyDeleted parses "notify_deleted [SCRIPT]".
func (p *parser) notifyDeleted(n *node, nt *Notify) {
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

// authState is an authentication block being read.
type authState struct {
	in   *Instance
	auth *Authentication
	// unknown is an auth_type keepalived does not know: warned, no
	// authentication.
	unknown bool
}

// authKeywords is the keyword table of a vrrp_instance's authentication.
var authKeywords = keywords[*authState]{
	"auth_type": func(p *parser, s *authState, n *node) {
		if !p.nargs(n, 1, 1) {
			return
		}
		switch n.args()[0] {
		case "PASS":
			s.auth.Type = AuthPass
		case "AH":
			s.auth.Type = AuthAH
		default:
			s.unknown = true
			p.rep.dropf(n.pos, "the instance runs without authentication", "vrrp_instance %s: auth_type %q must be PASS or AH", s.in.Name, n.args()[0])
		}
	},
	"auth_pass": func(p *parser, s *authState, n *node) {
		if !p.nargs(n, 1, 1) {
			return
		}
		pw := n.args()[0]
		if len(pw) > 8 {
			p.rep.warnf(n.pos, "vrrp_instance %s: auth_pass is longer than 8 characters; truncated to %q", s.in.Name, pw[:8])
			pw = pw[:8]
		}
		s.auth.Password = pw
	},
}

func (p *parser) authentication(in *Instance, n *node) {
	if !p.needBlock(n) {
		return
	}
	s := &authState{in: in, auth: &Authentication{}}
	dispatchTo(p, "authentication", n.children, authKeywords, s)
	auth := s.auth
	if auth.Type == AuthNone {
		if !s.unknown {
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
