package config

import (
	"net/netip"
	"strconv"
	"time"
)

// defaultGlobal returns global_defs with keepalived's defaults.
func defaultGlobal() GlobalDefs {
	return GlobalDefs{
		VRRPVersion:     2,
		MulticastGroup4: netip.MustParseAddr("224.0.0.18"),
		MulticastGroup6: netip.MustParseAddr("ff02::12"),
		GARP: GARP{
			MasterDelay:         5 * time.Second,
			MasterRepeat:        5,
			LowerPrioDelay:      5 * time.Second,
			LowerPrioRepeat:     5,
			MasterRefreshRepeat: 1,
		},
		DownTimerAdverts: 3,
		// keepalived's default is off; havip's is on so that the winner of
		// a healed split brain hears the loser and re-announces
		// (docs/compatibility.md). vrrp_strict turns it off.
		HigherPrioSendAdvert: true,
	}
}

// globalSettings are global_defs keywords havip accepts without acting on
// them (process tuning, reload control, output files).
var globalSettings = []string{
	"vrrp_priority", "vrrp_rt_priority", "vrrp_no_swap", "vrrp_cpu_affinity", "vrrp_rlimit_rttime",
	"checker_priority", "checker_rt_priority", "checker_no_swap", "checker_cpu_affinity", "checker_rlimit_rttime",
	"bfd_priority", "bfd_rt_priority", "bfd_no_swap", "bfd_cpu_affinity", "bfd_rlimit_rttime",
	"vrrp_process_name", "checker_process_name", "bfd_process_name", "process_names", "process_name",
	"max_auto_priority", "min_auto_priority_delay", "vrrp_delay_after_boot",
	"vrrp_rx_bufs_policy", "vrrp_rx_bufs_multiplier",
	"vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
	"vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force",
	"process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force",
	"log_unknown_vrids", "reload_check_config", "reload_time_file", "reload_repeat",
	"reload_file", "config_save_dir", "tmp_config_directory", "state_file_location", "stats_file_location",
	"json_file_location", "state_dump_file", "stats_dump_file", "json_dump_file", "data_use_instance",
	"json_version", "set_supplementary_groups", "random_seed",
	// havip always enforces no_accept with nftables, in its own table.
	"nftables",
	"include_check", "umask", "rs_init_notifies", "checker_log_all_failures", "no_checker_emails",
	"local_address_notify",
}

// globalUnsupported are global_defs keywords for features havip does not
// have, with what will not happen.
var globalUnsupported = map[string]string{
	"vrrp_iptables":                      "no iptables chains are used: no_accept is enforced in the nftables table inet havip",
	"vrrp_ipsets":                        "no ipsets are used: no_accept is enforced in the nftables table inet havip",
	"nftables_priority":                  "havip's chains are at priority filter - 1",
	"nftables_counters":                  "havip's rules have no counters",
	"nftables_ifindex":                   "havip's sets hold addresses, not interfaces",
	"smtp_alert_checker":                 "no email alerts are sent for real servers or virtual servers",
	"enable_snmp_vrrp":                   "there is no SNMP agent",
	"enable_snmp_checker":                "there is no SNMP agent",
	"enable_snmp_rfc":                    "there is no SNMP agent",
	"enable_snmp_rfcv2":                  "there is no SNMP agent",
	"enable_snmp_rfcv3":                  "there is no SNMP agent",
	"enable_snmp_keepalived":             "there is no SNMP agent",
	"enable_traps":                       "there is no SNMP agent",
	"snmp_socket":                        "there is no SNMP agent",
	"enable_dbus":                        "there is no DBus service",
	"dbus_service_name":                  "there is no DBus service",
	"lvs_id":                             "the LVS router ID is only used by real server and virtual server email alerts, which havip does not send",
	"lvs_timeouts":                       "the kernel's IPVS connection timeouts are left as they are",
	"lvs_flush":                          "IPVS is not flushed at start; havip replaces only the virtual servers it runs",
	"lvs_flush_on_stop":                  "havip removes the virtual servers it ran at exit, and nothing else",
	"lvs_netlink_cmd_rcv_bufs":           "havip's IPVS netlink sockets keep the default buffer sizes",
	"lvs_netlink_cmd_rcv_bufs_force":     "havip's IPVS netlink sockets keep the default buffer sizes",
	"lvs_netlink_monitor_rcv_bufs":       "havip's IPVS netlink sockets keep the default buffer sizes",
	"lvs_netlink_monitor_rcv_bufs_force": "havip's IPVS netlink sockets keep the default buffer sizes",
	"nftables_ipvs":                      "havip marks no packets for IPVS with nftables",
	"nftables_ipvs_priority":             "havip's LVS nftables chains keep their own priorities",
	"nftables_ipvs_start_fwmark":         "havip marks no packets for IPVS with nftables",
}

func (p *parser) parseGlobal(n *node) {
	if !p.needBlock(n) || !p.nargs0Header(n) {
		return
	}
	g := &p.cfg.Global
	g.Pos = n.pos
	table := map[string]handler{
		"router_id":               p.stringKw(&g.RouterID),
		"notification_email":      p.notificationEmail,
		"notification_email_from": p.stringKw(&g.NotificationEmailFrom),
		"smtp_server":             p.smtpServer,
		"smtp_helo_name":          p.stringKw(&g.SMTPHeloName),
		"smtp_connect_timeout":    p.smtpConnectTimeout,
		"smtp_alert":              p.optBoolKw(&g.SMTPAlert),
		"smtp_alert_vrrp":         p.optBoolKw(&g.SMTPAlertVRRP),
		"no_email_faults":         p.flagKw(&g.NoEmailFaults, true),
		"vrrp_version":            p.intKw(&g.VRRPVersion, 2, 3),
		"vrrp_mcast_group4": func(n *node) {
			if a, ok := p.addrKw(n); ok {
				if !a.Is4() || !a.IsMulticast() {
					p.rep.errorf(n.pos, "vrrp_mcast_group4: %s is not an IPv4 multicast address", a)
					return
				}
				g.MulticastGroup4 = a
			}
		},
		"linkbeat_use_polling": p.globalDefsLinkBeat,
		"vrrp_mcast_group6": func(n *node) {
			if a, ok := p.addrKw(n); ok {
				if !a.Is6() || !a.IsMulticast() {
					p.rep.errorf(n.pos, "vrrp_mcast_group6: %s is not an IPv6 multicast address", a)
					return
				}
				g.MulticastGroup6 = a
			}
		},
		"vrrp_garp_master_delay":          p.timerKw(&g.GARP.MasterDelay, 0, 1000*time.Second),
		"vrrp_garp_master_repeat":         p.intKw(&g.GARP.MasterRepeat, 0, 10000),
		"vrrp_garp_lower_prio_delay":      p.timerKw(&g.GARP.LowerPrioDelay, 0, 1000*time.Second),
		"vrrp_garp_lower_prio_repeat":     p.intKw(&g.GARP.LowerPrioRepeat, 0, 10000),
		"vrrp_garp_master_refresh":        p.timerKw(&g.GARP.MasterRefresh, 0, 1000*time.Second),
		"vrrp_garp_master_refresh_repeat": p.intKw(&g.GARP.MasterRefreshRepeat, 0, 10000),
		"vrrp_garp_interval":              p.timerKw(&g.GARP.Interval, 0, maxGARPInterval),
		"vrrp_gna_interval":               p.timerKw(&g.GARP.NAInterval, 0, maxGARPInterval),
		"vrrp_min_garp": func(n *node) {
			// keepalived applies it where it stands: later keywords override it.
			p.boolKw(&g.MinGARP)(n)
			if g.MinGARP {
				g.GARP.MasterDelay, g.GARP.MasterRepeat = 0, 1
				g.GARP.MasterRefresh, g.GARP.MasterRefreshRepeat = 0, 1
				g.GARP.LowerPrioDelay, g.GARP.LowerPrioRepeat = 0, 1
			}
		},
		"vrrp_garp_extra_if": func(n *node) {
			if d, all, ok := p.garpExtraIf(n, time.Second); ok {
				g.GARP.ExtraIf, g.GARP.ExtraIfAll = d, all
			}
		},
		// keepalived 2.2.7 still reads the name it had before 2.2.3.
		"vrrp_vmac_garp_intvl": func(n *node) {
			p.rep.warnf(n.pos, "vrrp_vmac_garp_intvl is deprecated: use vrrp_garp_extra_if")
			if d, all, ok := p.garpExtraIf(n, time.Second); ok {
				g.GARP.ExtraIf, g.GARP.ExtraIfAll = d, all
			}
		},
		"vrrp_down_timer_adverts":      p.intKw(&g.DownTimerAdverts, 1, 100),
		"vrrp_lower_prio_no_advert":    p.boolKw(&g.LowerPrioNoAdvert),
		"vrrp_higher_prio_send_advert": p.boolKw(&g.HigherPrioSendAdvert),
		"vrrp_owner_ignore_adverts":    p.boolKw(&g.OwnerIgnoreAdverts),
		"v3_checksum_as_v2":            p.boolKw(&g.V3ChecksumAsV2),
		"vrrp_strict":                  p.flagKw(&g.Strict, true),
		"vrrp_skip_check_adv_addr":     p.boolKw(&g.SkipCheckAdvAddr),
		"vrrp_check_unicast_src":       p.flagKw(&g.CheckUnicastSrc, true),
		"enable_script_security":       p.flagKw(&g.EnableScriptSecurity, true),
		"script_user": func(n *node) {
			if p.nargs(n, 1, 2) {
				g.ScriptUser = n.args()[0]
				if len(n.args()) == 2 {
					g.ScriptGroup = n.args()[1]
				}
			}
		},
		"notify_fifo":                      p.commandKw(&g.NotifyFIFO),
		"notify_fifo_script":               p.commandKw(&g.NotifyFIFOScript),
		"vrrp_notify_fifo":                 p.commandKw(&g.VRRPNotifyFIFO),
		"vrrp_notify_fifo_script":          p.commandKw(&g.VRRPNotifyFIFOScript),
		"vrrp_notify_priority_changes":     p.boolKw(&g.NotifyPriorityChanges),
		"fifo_write_vrrp_states_on_reload": p.flagKw(&g.FIFOWriteStatesOnReload, true),
		"startup_script":                   p.onceCommandKw(&g.StartupScript),
		"shutdown_script":                  p.onceCommandKw(&g.ShutdownScript),
		"startup_script_timeout":           p.scriptTimeoutKw(&g.StartupScriptTimeout),
		"shutdown_script_timeout":          p.scriptTimeoutKw(&g.ShutdownScriptTimeout),
		"lvs_notify_fifo":                  p.commandKw(&g.LVSNotifyFIFO),
		"lvs_notify_fifo_script":           p.commandKw(&g.LVSNotifyFIFOScript),
		"dynamic_interfaces": func(n *node) {
			if p.nargs(n, 0, 1) {
				g.DynamicInterfaces = true
				p.rep.warnf(n.pos, "dynamic_interfaces is not supported by havip: an instance's interface must exist when havip starts")
			}
		},
		"vrrp_startup_delay": p.timerKw(&g.StartupDelay, 0, 3600*time.Second),
		"disable_local_igmp": p.flagKw(&g.DisableLocalIGMP, true),
		"default_interface":  p.stringKw(&g.DefaultInterface),
		"vmac_prefix":        p.stringKw(&g.VMACPrefix),
		"vmac_addr_prefix":   p.stringKw(&g.VMACAddrPrefix),
		"lvs_sync_daemon":    p.lvsSyncDaemonKw,
	}
	for _, kw := range globalSettings {
		table[kw] = p.settingKw(&g.Settings)
	}
	for kw, what := range globalUnsupported {
		table[kw] = p.unsupportedKw(&g.Settings, what)
	}
	g.GARP.LowerPrioDelay, g.GARP.LowerPrioRepeat = -1, -1
	p.dispatch("global_defs", n.children, table)
	if g.GARP.LowerPrioDelay < 0 {
		g.GARP.LowerPrioDelay = g.GARP.MasterDelay
	}
	if g.GARP.LowerPrioRepeat < 0 {
		g.GARP.LowerPrioRepeat = g.GARP.MasterRepeat
	}
	for _, f := range []struct {
		keyword      string
		path, reader *Command
	}{{"notify_fifo", g.NotifyFIFO, g.NotifyFIFOScript}, {"vrrp_notify_fifo", g.VRRPNotifyFIFO, g.VRRPNotifyFIFOScript}, {"lvs_notify_fifo", g.LVSNotifyFIFO, g.LVSNotifyFIFOScript}} {
		if f.reader != nil && f.path == nil {
			p.rep.warnf(n.pos, "%s_script %q is not started: it reads %s, which is not set", f.keyword, f.reader.Text, f.keyword)
		}
	}
	// keepalived's timeout of a startup or shutdown script is 10 s unless given.
	for _, s := range []struct {
		script  *Command
		timeout *time.Duration
	}{{g.StartupScript, &g.StartupScriptTimeout}, {g.ShutdownScript, &g.ShutdownScriptTimeout}} {
		if s.script != nil && *s.timeout == 0 {
			*s.timeout = 10 * time.Second
		}
	}
	if g.Strict {
		g.GARP.LowerPrioRepeat = 0
		g.GARP.LowerPrioDelay = 0
		g.LowerPrioNoAdvert = true
		g.HigherPrioSendAdvert = false
		g.OwnerIgnoreAdverts = true
	}
}

// onceCommandKw parses a command that keepalived takes once: a second one
// is dropped.
func (p *parser) onceCommandKw(dst **Command) handler {
	return func(n *node) {
		if *dst != nil {
			p.rep.dropf(n.pos, "this one is ignored", "%s is already given", n.keyword())
			return
		}
		p.setCommand(n, dst)
	}
}

// scriptTimeoutKw parses startup_script_timeout and shutdown_script_timeout
// as keepalived 2.2.7 does: whole seconds 1..1000, anything else dropped.
func (p *parser) scriptTimeoutKw(dst *time.Duration) handler {
	return func(n *node) {
		if !p.nargs(n, 1, 1) {
			return
		}
		v, err := strconv.ParseUint(n.args()[0], 10, 32)
		if err != nil || v < 1 || v > 1000 {
			p.rep.dropf(n.pos, "the keyword is ignored", "%s: %q is not whole seconds 1..1000", n.keyword(), n.args()[0])
			return
		}
		*dst = time.Duration(v) * time.Second
	}
}

// garpExtraIf parses "vrrp_garp_extra_if|garp_extra_if [all] DELAY" as
// keepalived 2.2.7 does: whole seconds from lo to a day, "all" anywhere,
// the last delay counts; a bad word or no delay drops the keyword.
func (p *parser) garpExtraIf(n *node, lo time.Duration) (time.Duration, bool, bool) {
	if !p.nargs(n, 1, 2) {
		return 0, false, false
	}
	var all, have bool
	var d time.Duration
	for _, a := range n.args() {
		if a == "all" {
			all = true
			continue
		}
		v, err := strconv.ParseUint(a, 10, 32)
		if err != nil || time.Duration(v)*time.Second < lo || v > 86400 {
			p.rep.dropf(n.pos, "the keyword is ignored", "%s: %q is not all or whole seconds %d..86400", n.keyword(), a, lo/time.Second)
			return 0, false, false
		}
		d, have = time.Duration(v)*time.Second, true
	}
	if !have {
		p.rep.dropf(n.pos, "the keyword is ignored", "%s: no delay (seconds) given", n.keyword())
		return 0, false, false
	}
	return d, all, true
}

// nargs0Header checks a section header takes no arguments.
func (p *parser) nargs0Header(n *node) bool {
	if len(n.args()) != 0 {
		p.rep.errorf(n.pos, "%s takes no arguments before '{', have %q", n.keyword(), n.args())
		return false
	}
	return true
}

// addrKw parses "KEYWORD ADDRESS".
func (p *parser) addrKw(n *node) (netip.Addr, bool) {
	if !p.nargs(n, 1, 1) {
		return netip.Addr{}, false
	}
	a, err := parseAddr(n.args()[0])
	if err != nil {
		p.rep.errorf(n.pos, "%s: %v", n.keyword(), err)
		return netip.Addr{}, false
	}
	return a, true
}
