package config

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/havip/havip/config/iproute2"
)

// Format prints the config as canonical keepalived.conf text: fully
// expanded, defaults written out, one statement per line, tab-indented.
// Parsing the output yields a model Equal to c.
func Format(c *Config) []byte {
	w := &printer{}
	w.global(&c.Global)
	valueBlock(w, "interface_up_down_delays", c.InterfaceDelays, func(d InterfaceDelay) string {
		return d.Interface + " " + formatDelay(d.Down) + " " + formatDelay(d.Up)
	})
	w.flag("linkbeat_use_polling", c.LinkBeatUsePolling)
	valueBlock(w, "linkbeat_interfaces", c.LinkBeat, func(l LinkBeatInterface) string {
		return strings.TrimSpace(l.Name + " " + l.Method)
	})
	for _, g := range c.TrackGroups { // before the static entries naming them
		w.open("track_group " + g.Name)
		valueBlock(w, "group", g.Members, func(s string) string { return s })
		w.close()
	}
	valueBlock(w, "static_ipaddress", c.StaticAddresses, formatAddress)
	valueBlock(w, "static_routes", c.StaticRoutes, formatRoute)
	valueBlock(w, "static_rules", c.StaticRules, formatRule)
	for _, g := range c.GARPGroups {
		w.open("garp_group")
		w.line("garp_interval " + formatTimer(g.Interval)) // a zero interval keeps the group
		w.line("gna_interval " + formatTimer(g.NAInterval))
		valueBlock(w, "interfaces", g.Interfaces, func(s string) string { return s })
		w.close()
	}
	for _, s := range c.Scripts {
		w.open("vrrp_script " + s.Name)
		w.line("script " + quoteCommand(s.Command))
		w.line("interval " + formatTimer(s.Interval))
		w.line("timeout " + formatTimer(s.Timeout))
		w.line("weight " + weightText(s.Weight, s.Reverse))
		w.line("rise " + strconv.Itoa(s.Rise))
		w.line("fall " + strconv.Itoa(s.Fall))
		if s.User != "" {
			w.line(strings.TrimSpace("user " + s.User + " " + s.Group))
		}
		w.flag("init_fail", s.InitFail)
		w.close()
	}
	for _, t := range c.TrackProcesses {
		w.open("vrrp_track_process " + t.Name)
		w.line(strings.Join(append([]string{"process", quote(t.Process)}, quoteAll(t.Params)...), " "))
		if t.ParamMatch != "" {
			w.line("param_match " + t.ParamMatch)
		}
		w.flag("full_command", t.FullCommand)
		w.line("weight " + weightText(t.Weight, t.Reverse))
		w.line("quorum " + strconv.Itoa(t.Quorum))
		if t.QuorumMax != 0 {
			w.line("quorum_max " + strconv.Itoa(t.QuorumMax))
		}
		w.timer("fork_delay", t.ForkDelay)
		w.timer("terminate_delay", t.TerminateDelay)
		w.close()
	}
	for _, f := range c.TrackFiles {
		w.open("track_file " + f.Name)
		w.line("file " + quote(f.File))
		w.line("weight " + weightText(f.Weight, f.Reverse))
		if f.InitFile {
			s := "init_file " + strconv.Itoa(f.InitValue)
			if f.Overwrite {
				s += " overwrite"
			}
			w.line(s)
		}
		w.close()
	}
	for _, in := range c.Instances {
		w.instance(in)
	}
	w.lvs(c)
	for _, g := range c.SyncGroups {
		w.open("vrrp_sync_group " + g.Name)
		w.open("group")
		for _, m := range g.Members {
			w.line(m)
		}
		w.close()
		w.tracking(&g.Track)
		w.notify(&g.Notify)
		w.flag("sync_group_tracking_weight", g.SyncGroupTrackingWeight)
		w.line("smtp_alert " + strconv.FormatBool(g.SMTPAlert))
		w.settings(g.Settings)
		w.close()
	}
	for _, b := range c.Unsupported {
		w.block(b)
	}
	return w.buf.Bytes()
}

type printer struct {
	buf    bytes.Buffer
	indent int
	// garp is global_defs' GARP settings, which an instance inherits.
	garp GARP
}

func (w *printer) line(s string) {
	w.buf.WriteString(strings.Repeat("\t", w.indent))
	w.buf.WriteString(s)
	w.buf.WriteByte('\n')
}

func (w *printer) open(s string) {
	if strings.Count(s, `"`)%2 == 1 {
		// An odd quote would hide a '{' on the same line.
		w.line(s)
		w.line("{")
	} else {
		w.line(s + " {")
	}
	w.indent++
}

func (w *printer) close() {
	w.indent--
	w.line("}")
	if w.indent == 0 {
		w.buf.WriteByte('\n')
	}
}

// valueBlock prints a block of one value per line (virtual_ipaddress,
// static_routes, ...); an empty list prints nothing.
func valueBlock[T any](w *printer, keyword string, items []T, format func(T) string) {
	if len(items) == 0 {
		return
	}
	w.open(keyword)
	for _, item := range items {
		w.line(format(item))
	}
	w.close()
}

func (w *printer) flag(kw string, on bool) {
	if on {
		w.line(kw)
	}
}

func (w *printer) timer(kw string, d time.Duration) {
	if d != 0 {
		w.line(kw + " " + formatTimer(d))
	}
}

// garpExtraIf prints kw with g's extra-interface delay.
func (w *printer) garpExtraIf(kw string, g GARP) {
	if g.ExtraIfAll {
		kw += " all"
	}
	w.line(kw + " " + strconv.Itoa(int(g.ExtraIf/time.Second)))
}

func (w *printer) command(kw string, c *Command) {
	if c != nil {
		w.line(kw + " " + quoteCommand(*c))
	}
}

func (w *printer) settings(ss []Setting) {
	for _, s := range ss {
		w.line(strings.Join(append([]string{s.Keyword}, quoteAll(s.Args)...), " "))
	}
}

func (w *printer) block(b *Block) {
	head := strings.Join(append([]string{b.Keyword}, quoteAll(b.Args)...), " ")
	if !b.HasBlock {
		w.line(head)
		return
	}
	w.open(head)
	for _, c := range b.Children {
		w.block(c)
	}
	w.close()
}

func (w *printer) global(g *GlobalDefs) {
	w.open("global_defs")
	if g.RouterID != "" {
		w.line("router_id " + quote(g.RouterID))
	}
	w.line("vrrp_version " + strconv.Itoa(g.VRRPVersion))
	w.line("vrrp_mcast_group4 " + g.MulticastGroup4.String())
	w.line("vrrp_mcast_group6 " + g.MulticastGroup6.String())
	// vrrp_min_garp first: it sets the values printed after it, which may differ.
	w.flag("vrrp_min_garp", g.MinGARP)
	w.line("vrrp_garp_master_delay " + formatTimer(g.GARP.MasterDelay))
	w.line("vrrp_garp_master_repeat " + strconv.Itoa(g.GARP.MasterRepeat))
	w.line("vrrp_garp_lower_prio_delay " + formatTimer(g.GARP.LowerPrioDelay))
	w.line("vrrp_garp_lower_prio_repeat " + strconv.Itoa(g.GARP.LowerPrioRepeat))
	w.timer("vrrp_garp_master_refresh", g.GARP.MasterRefresh)
	w.line("vrrp_garp_master_refresh_repeat " + strconv.Itoa(g.GARP.MasterRefreshRepeat))
	w.timer("vrrp_garp_interval", g.GARP.Interval)
	w.timer("vrrp_gna_interval", g.GARP.NAInterval)
	if g.GARP.ExtraIf > 0 {
		w.garpExtraIf("vrrp_garp_extra_if", g.GARP)
	}
	w.garp = g.GARP
	w.line("vrrp_down_timer_adverts " + strconv.Itoa(g.DownTimerAdverts))
	w.flag("vrrp_lower_prio_no_advert", g.LowerPrioNoAdvert)
	w.flag("vrrp_higher_prio_send_advert", g.HigherPrioSendAdvert)
	w.flag("vrrp_owner_ignore_adverts", g.OwnerIgnoreAdverts && !g.Strict)
	w.flag("v3_checksum_as_v2", g.V3ChecksumAsV2)
	w.flag("vrrp_strict", g.Strict)
	w.flag("vrrp_skip_check_adv_addr", g.SkipCheckAdvAddr)
	w.flag("vrrp_check_unicast_src", g.CheckUnicastSrc)
	w.flag("enable_script_security", g.EnableScriptSecurity)
	if g.ScriptUser != "" {
		w.line(strings.TrimSpace("script_user " + g.ScriptUser + " " + g.ScriptGroup))
	}
	w.command("notify_fifo", g.NotifyFIFO)
	w.command("notify_fifo_script", g.NotifyFIFOScript)
	w.command("vrrp_notify_fifo", g.VRRPNotifyFIFO)
	w.command("vrrp_notify_fifo_script", g.VRRPNotifyFIFOScript)
	w.command("lvs_notify_fifo", g.LVSNotifyFIFO)
	w.command("lvs_notify_fifo_script", g.LVSNotifyFIFOScript)
	w.flag("vrrp_notify_priority_changes", g.NotifyPriorityChanges)
	w.flag("dynamic_interfaces", g.DynamicInterfaces)
	w.timer("vrrp_startup_delay", g.StartupDelay)
	w.flag("fifo_write_vrrp_states_on_reload", g.FIFOWriteStatesOnReload)
	w.command("startup_script", g.StartupScript)
	w.timer("startup_script_timeout", g.StartupScriptTimeout)
	w.command("shutdown_script", g.ShutdownScript)
	w.timer("shutdown_script_timeout", g.ShutdownScriptTimeout)
	w.flag("disable_local_igmp", g.DisableLocalIGMP)
	if g.VMACPrefix != "" {
		w.line("vmac_prefix " + g.VMACPrefix)
	}
	if g.VMACAddrPrefix != "" {
		w.line("vmac_addr_prefix " + g.VMACAddrPrefix)
	}
	if g.DefaultInterface != "" {
		w.line("default_interface " + g.DefaultInterface)
	}
	if g.LVSSyncDaemon != nil {
		w.line(formatLVSSyncDaemon(g.LVSSyncDaemon))
	}
	w.smtp(g)
	w.settings(g.Settings)
	w.close()
}

func (w *printer) instance(in *Instance) {
	w.open("vrrp_instance " + in.Name)
	w.line("state " + string(in.State))
	if in.VRF != "" {
		w.line("vrf " + in.VRF) // before interface: keepalived 2.2.7 ignores a vrf after it
	}
	if in.Interface != "" {
		w.line("interface " + in.Interface)
	}
	w.line("virtual_router_id " + strconv.Itoa(int(in.VRID)))
	w.line("priority " + strconv.Itoa(int(in.Priority)))
	w.line("advert_int " + formatTimer(in.AdvertInt))
	w.line("version " + strconv.Itoa(in.Version))
	w.flag("nopreempt", in.Nopreempt)
	w.timer("preempt_delay", in.PreemptDelay)
	if in.TimerExpiredBackup != 0 {
		w.line("timer_expired_backup " + strconv.Itoa(int(in.TimerExpiredBackup)))
	}
	if in.MulticastSource.IsValid() {
		w.line("mcast_src_ip " + in.MulticastSource.String())
	}
	if in.UnicastSource.IsValid() {
		w.line("unicast_src_ip " + in.UnicastSource.String())
	}
	if !in.Unicast() {
		w.line("mcast_dst_ip " + in.MulticastGroup.String())
	}
	if len(in.UnicastPeers) > 0 {
		w.open("unicast_peer")
		for _, p := range in.UnicastPeers {
			s := p.Addr.String()
			if p.MinTTL != 0 {
				s += " min_ttl " + strconv.Itoa(p.MinTTL)
			}
			if p.MaxTTL != 0 {
				s += " max_ttl " + strconv.Itoa(p.MaxTTL)
			}
			w.line(s)
		}
		w.close()
	}
	if in.Unicast() {
		w.line("unicast_ttl " + strconv.Itoa(in.UnicastTTL))
	}
	w.flag("unicast_fault_no_peer", in.UnicastFaultNoPeer)
	w.flag("check_unicast_src", in.CheckUnicastSrc)
	w.flag("track_src_ip", in.TrackSrcIP)
	switch in.OldUnicastChecksum {
	case UnicastChecksumOld:
		w.line("old_unicast_checksum")
	case UnicastChecksumNever:
		w.line("old_unicast_checksum never")
	}
	if in.Auth != nil {
		w.open("authentication")
		w.line("auth_type " + string(in.Auth.Type))
		if in.Auth.Password != "" {
			w.line("auth_pass " + quote(in.Auth.Password))
		}
		w.close()
	}
	valueBlock(w, "virtual_ipaddress", in.VirtualAddresses, formatAddress)
	valueBlock(w, "virtual_ipaddress_excluded", in.ExcludedAddresses, formatAddress)
	w.flag("no_virtual_ipaddress", in.NoVirtualAddresses)
	valueBlock(w, "virtual_routes", in.VirtualRoutes, formatRoute)
	valueBlock(w, "virtual_rules", in.VirtualRules, formatRule)
	w.tracking(&in.Track)
	w.flag("dont_track_primary", in.DontTrackPrimary)
	w.notify(&in.Notify)
	w.line("smtp_alert " + strconv.FormatBool(in.SMTPAlert))
	w.line("garp_master_delay " + formatTimer(in.GARP.MasterDelay))
	w.line("garp_master_repeat " + strconv.Itoa(in.GARP.MasterRepeat))
	w.line("garp_lower_prio_delay " + formatTimer(in.GARP.LowerPrioDelay))
	w.line("garp_lower_prio_repeat " + strconv.Itoa(in.GARP.LowerPrioRepeat))
	w.timer("garp_master_refresh", in.GARP.MasterRefresh)
	w.line("garp_master_refresh_repeat " + strconv.Itoa(in.GARP.MasterRefreshRepeat))
	if in.GARP.ExtraIf != w.garp.ExtraIf || in.GARP.ExtraIfAll != w.garp.ExtraIfAll {
		w.garpExtraIf("garp_extra_if", in.GARP)
	}
	if in.Accept {
		w.line("accept")
	} else {
		w.line("no_accept")
	}
	w.line("strict_mode " + onOff(in.Strict))
	w.line("skip_check_adv_addr " + onOff(in.SkipCheckAdvAddr))
	w.line("lower_prio_no_advert " + onOff(in.LowerPrioNoAdvert))
	w.line("higher_prio_send_advert " + onOff(in.HigherPrioSendAdvert))
	// Strict mode implies it (and keepalived before 2.3.3 lacks the keyword).
	w.flag("owner_ignore_adverts", in.OwnerIgnoreAdverts && !in.Strict)
	w.line("down_timer_adverts " + strconv.Itoa(in.DownTimerAdverts))
	if in.VMAC != nil {
		w.line(strings.TrimSpace("use_vmac " + in.VMAC.Name + " " + in.VMAC.MAC))
	}
	if in.IPVLAN != nil {
		w.line("use_ipvlan " + in.IPVLAN.formatArgs())
	}
	w.flag("vmac_xmit_base", in.VMACXmitBase)
	w.flag("use_vmac_addr", in.UseVMACAddr)
	w.flag("promote_secondaries", in.PromoteSecondaries)
	w.flag("linkbeat_use_polling", in.LinkBeatUsePolling)
	w.settings(in.Settings)
	w.close()
}

func (w *printer) tracking(t *Tracking) {
	own := slices.DeleteFunc(slices.Clone(t.Interfaces), func(i TrackInterface) bool { return i.TrackGroup != "" })
	valueBlock(w, "track_interface", own, func(i TrackInterface) string {
		return i.Name + " weight " + weightText(i.Weight, i.Reverse)
	})
	ref := func(r TrackRef) string { return r.Name + " weight " + weightText(r.Weight, r.Reverse) }
	valueBlock(w, "track_script", t.Scripts, ref)
	valueBlock(w, "track_file", t.Files, ref)
	valueBlock(w, "track_process", t.Processes, ref)
}

func (w *printer) notify(n *Notify) {
	w.command("notify_master", n.Master)
	w.command("notify_backup", n.Backup)
	w.command("notify_fault", n.Fault)
	w.command("notify_stop", n.Stop)
	if n.Deleted != nil {
		if n.Deleted.Text == "" {
			w.line("notify_deleted")
		} else {
			w.command("notify_deleted", n.Deleted)
		}
	}
	w.command("notify_master_rx_lower_pri", n.MasterRxLowerPrio)
	w.command("notify", n.All)
	w.flag("notify_priority_changes", n.PriorityChanges)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func weightText(w int, reverse bool) string {
	s := strconv.Itoa(w)
	if reverse {
		s += " reverse"
	}
	return s
}

// quote writes a plain token so that splitPlain reads it back: as is when
// it has no blanks, braces, comment characters or leading quote, else in
// double quotes (a token holding both a '"' and such characters cannot be
// written for the plain tokeniser and is left as is).
func quote(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t{}#!") && s[0] != '"' {
		return s
	}
	if strings.Contains(s, `"`) {
		return s
	}
	return `"` + s + `"`
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quote(s)
	}
	return out
}

// quoteCommand prints a script value so that keepalived's quoted/escaped
// tokeniser reads back the same Text, User and Group.
func quoteCommand(c Command) string {
	s := quoteEscaped(c.Text)
	if c.User != "" {
		s += " " + quoteEscaped(c.User)
	}
	if c.Group != "" {
		s += " " + quoteEscaped(c.Group)
	}
	return s
}

// quoteEscaped double-quotes s for the quoted/escaped tokeniser:
// backslash, double quote and every byte outside printable ASCII are
// written as escapes, so the value stays on one line and no '#' or '!'
// inside it is read as a comment.
func quoteEscaped(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func formatAddress(a VirtualAddress) string {
	s := []string{formatPrefix(a.Prefix)}
	if a.Broadcast != "" {
		s = append(s, "brd", a.Broadcast)
	}
	if a.Dev != "" {
		s = append(s, "dev", a.Dev)
	}
	if a.Scope != "" {
		s = append(s, "scope", a.Scope)
	}
	if a.Label != "" {
		s = append(s, "label", quote(a.Label))
	}
	if a.Peer.IsValid() {
		s = append(s, "peer", formatPrefix(a.Peer))
	}
	for _, f := range []struct {
		on bool
		kw string
	}{{a.Home, "home"}, {a.NoDAD, "-nodad"}, {a.MngTmpAddr, "mngtmpaddr"}, {a.NoPrefixRoute, "noprefixroute"}, {a.AutoJoin, "autojoin"}, {a.NoTrack, "no_track"}, {a.UseVMAC, "use_vmac"}} {
		if f.on {
			s = append(s, f.kw)
		}
	}
	if a.PreferredLft != "" {
		s = append(s, "preferred_lft", a.PreferredLft)
	}
	if a.TrackGroup != "" {
		s = append(s, "track_group", a.TrackGroup)
	}
	return strings.Join(s, " ")
}

func formatRoute(r Route) string {
	var s []string
	if r.Src.IsValid() {
		s = append(s, "src", r.Src.String())
	}
	if r.Type != 0 {
		s = append(s, iproute2.RouteTypeName(r.Type))
	}
	s = append(s, r.Dst.String())
	if r.Via.IsValid() {
		s = append(s, "via", r.Via.String())
	}
	if r.Or.IsValid() {
		s = append(s, "or", r.Or.String())
	}
	if r.Dev != "" {
		s = append(s, "dev", r.Dev)
	}
	if r.Scope.Set() {
		s = append(s, "scope", r.Scope.Word)
	}
	if r.Table.Set() {
		s = append(s, "table", r.Table.Word)
	}
	if r.Metric != 0 {
		s = append(s, "metric", strconv.Itoa(r.Metric))
	}
	if r.Protocol.Set() {
		s = append(s, "protocol", r.Protocol.Word)
	}
	s = append(s, r.OptionWords...)
	if r.NoTrack {
		s = append(s, "no_track")
	}
	if r.TrackGroup != "" {
		s = append(s, "track_group", r.TrackGroup)
	}
	return strings.Join(s, " ")
}

func formatRule(r Rule) string {
	var s []string
	if r.Family == IPv6 && !r.From.IsValid() && !r.To.IsValid() {
		s = append(s, "inet6")
	}
	if r.Not {
		s = append(s, "not")
	}
	if r.From.IsValid() {
		s = append(s, "from", formatPrefix(r.From))
	}
	if r.To.IsValid() {
		s = append(s, "to", formatPrefix(r.To))
	}
	if r.Table.Set() {
		s = append(s, "table", r.Table.Word)
	}
	if r.Preference != 0 {
		s = append(s, "preference", strconv.Itoa(r.Preference))
	}
	if r.Fwmark.Word != "" {
		s = append(s, "fwmark", r.Fwmark.Word)
	}
	if r.Iif != "" {
		s = append(s, "iif", r.Iif)
	}
	if r.Oif != "" {
		s = append(s, "oif", r.Oif)
	}
	s = append(s, r.OptionWords...)
	if r.NoTrack {
		s = append(s, "no_track")
	}
	if r.TrackGroup != "" {
		s = append(s, "track_group", r.TrackGroup)
	}
	return strings.Join(s, " ")
}

// smtp prints the email alert keywords of global_defs.
func (w *printer) smtp(g *GlobalDefs) {
	valueBlock(w, "notification_email", g.NotificationEmail, func(s string) string { return s })
	if g.NotificationEmailFrom != "" {
		w.line("notification_email_from " + quote(g.NotificationEmailFrom))
	}
	if g.SMTPServer != "" {
		host, port, _ := net.SplitHostPort(g.SMTPServer)
		w.line("smtp_server " + host + " " + port)
	}
	if g.SMTPHeloName != "" {
		w.line("smtp_helo_name " + quote(g.SMTPHeloName))
	}
	if g.SMTPConnectTimeout > 0 {
		w.line("smtp_connect_timeout " + strconv.Itoa(int(g.SMTPConnectTimeout/time.Second)))
	}
	if g.SMTPAlert != nil {
		w.line("smtp_alert " + strconv.FormatBool(*g.SMTPAlert))
	}
	if g.SMTPAlertVRRP != nil {
		w.line("smtp_alert_vrrp " + strconv.FormatBool(*g.SMTPAlertVRRP))
	}
	w.flag("no_email_faults", g.NoEmailFaults)
}
