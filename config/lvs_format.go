package config

import (
	"net/netip"
	"strconv"
	"strings"
)

// lvs prints the SSL block, the virtual server groups and the virtual
// servers, every inherited health-check setting written on its checker.
func (w *printer) lvs(c *Config) {
	if s := c.SSL; s != nil {
		w.open("SSL")
		for _, kv := range [][2]string{{"password", s.Password}, {"ca", s.CA}, {"certificate", s.Certificate}, {"key", s.Key}} {
			if kv[1] != "" {
				w.line(kv[0] + " " + quote(kv[1]))
			}
		}
		w.close()
	}
	for _, g := range c.VirtualServerGroups {
		w.open("virtual_server_group " + g.Name)
		for _, e := range g.Entries {
			w.line(formatVSGEntry(e))
		}
		w.close()
	}
	for _, vs := range c.VirtualServers {
		w.virtualServer(vs)
	}
}

func formatVSGEntry(e VSGEntry) string {
	if e.Fwmark != 0 {
		s := "fwmark " + strconv.FormatUint(uint64(e.Fwmark), 10)
		switch e.Family {
		case IPv4:
			s += " inet"
		case IPv6:
			s += " inet6"
		}
		return s
	}
	s := formatAddrRange(e.First, e.Last)
	if e.Port != 0 {
		s += " " + strconv.Itoa(int(e.Port))
	}
	return s
}

// formatAddrRange prints a range as keepalived reads it: one address,
// FIRST-LASTPART when only the last IPv4 octet or IPv6 group differs, else
// FIRST-LAST.
func formatAddrRange(first, last netip.Addr) string {
	if first == last {
		return first.String()
	}
	a, b := first.AsSlice(), last.AsSlice()
	if first.Is4() && string(a[:3]) == string(b[:3]) {
		return first.String() + "-" + strconv.Itoa(int(b[3]))
	}
	if first.Is6() && string(a[:14]) == string(b[:14]) {
		return first.String() + "-" + strconv.FormatUint(uint64(b[14])<<8|uint64(b[15]), 16)
	}
	return first.String() + "-" + last.String()
}

func formatMethod(m Method) string {
	return strings.Join(append([]string{m.Kind}, m.Tunnel...), " ")
}

func addrPortText(a netip.Addr, port uint16) string {
	if port == 0 {
		return a.String()
	}
	return a.String() + " " + strconv.Itoa(int(port))
}

func (w *printer) virtualServer(vs *VirtualServer) {
	switch {
	case vs.Group != "":
		w.open("virtual_server group " + vs.Group)
	case vs.Fwmark != 0:
		w.open("virtual_server fwmark " + strconv.FormatUint(uint64(vs.Fwmark), 10))
	default:
		w.open("virtual_server " + addrPortText(vs.Addr, vs.Port))
	}
	if vs.IPFamily == IPv4 {
		w.line("ip_family inet")
	} else if vs.IPFamily == IPv6 {
		w.line("ip_family inet6")
	}
	if vs.Protocol != "" {
		w.line("protocol " + vs.Protocol)
	}
	w.line("lvs_sched " + vs.Scheduler)
	for _, f := range vs.SchedFlags {
		w.line(f)
	}
	w.flag("ops", vs.OnePacket)
	w.line("lvs_method " + formatMethod(vs.Method))
	if vs.PersistenceTimeout != 0 {
		w.line("persistence_timeout " + strconv.Itoa(vs.PersistenceTimeout))
	}
	if vs.PersistenceGranularity != "" {
		w.line("persistence_granularity " + vs.PersistenceGranularity)
	}
	if vs.PersistenceEngine != "" {
		w.line("persistence_engine " + quote(vs.PersistenceEngine))
	}
	w.flag("ha_suspend", vs.HASuspend)
	w.flag("omega", vs.Omega)
	w.line("quorum " + strconv.Itoa(vs.Quorum))
	w.line("hysteresis " + strconv.Itoa(vs.Hysteresis))
	w.command("quorum_up", vs.QuorumUp)
	w.command("quorum_down", vs.QuorumDown)
	if s := vs.Sorry; s != nil {
		w.line("sorry_server " + addrPortText(s.Addr, s.Port))
		w.flag("sorry_server_inhibit", s.Inhibit)
		w.line("sorry_server_lvs_method " + formatMethod(s.Method))
	}
	w.settings(vs.Settings)
	for _, rs := range vs.RealServers {
		w.realServer(rs)
	}
	w.close()
}

func (w *printer) realServer(rs *RealServer) {
	w.open("real_server " + addrPortText(rs.Addr, rs.Port))
	w.line("weight " + strconv.Itoa(rs.Weight))
	w.line("lvs_method " + formatMethod(rs.Method))
	w.line("inhibit_on_failure " + onOff(rs.InhibitOnFailure))
	w.command("notify_up", rs.NotifyUp)
	w.command("notify_down", rs.NotifyDown)
	if rs.UThreshold != 0 {
		w.line("uthreshold " + strconv.Itoa(rs.UThreshold))
	}
	if rs.LThreshold != 0 {
		w.line("lthreshold " + strconv.Itoa(rs.LThreshold))
	}
	w.settings(rs.Settings)
	for _, ck := range rs.Checkers {
		w.checker(ck)
	}
	w.close()
}

func (w *printer) checker(ck *Checker) {
	w.open(ck.Type)
	if ck.ConnectIP.IsValid() {
		w.line("connect_ip " + ck.ConnectIP.String())
	}
	if ck.ConnectPort != 0 {
		w.line("connect_port " + strconv.Itoa(int(ck.ConnectPort)))
	}
	if ck.BindTo.IsValid() {
		w.line("bindto " + ck.BindTo.String())
	}
	if ck.BindIf != "" {
		w.line("bind_if " + ck.BindIf)
	}
	if ck.BindPort != 0 {
		w.line("bind_port " + strconv.Itoa(int(ck.BindPort)))
	}
	if ck.Fwmark != 0 {
		w.line("fwmark " + strconv.FormatUint(uint64(ck.Fwmark), 10))
	}
	w.line("alpha " + onOff(ck.Alpha))
	if ck.Type != CheckMisc {
		w.line("connect_timeout " + formatTimer(ck.ConnectTimeout))
	}
	w.line("delay_loop " + formatTimer(ck.DelayLoop))
	w.line("retry " + strconv.Itoa(ck.Retry))
	w.line("delay_before_retry " + formatTimer(ck.DelayBeforeRetry))
	w.line("warmup " + formatTimer(ck.Warmup))
	w.flag("log_all_failures", ck.LogAllFailures)
	if h := ck.HTTP; h != nil {
		w.line("http_protocol " + h.Protocol)
		w.flag("fast_recovery", h.FastRecovery)
		w.flag("enable_sni", h.EnableSNI)
		if h.Virtualhost != "" {
			w.line("virtualhost " + quote(h.Virtualhost))
		}
		for _, u := range h.URLs {
			w.open("url")
			w.line("path " + quote(u.Path))
			if u.Digest != "" {
				w.line("digest " + u.Digest)
			}
			codes := make([]string, len(u.StatusCodes))
			for i, r := range u.StatusCodes {
				codes[i] = strconv.Itoa(r.Lo)
				if r.Hi != r.Lo {
					codes[i] += "-" + strconv.Itoa(r.Hi)
				}
			}
			w.line("status_code " + strings.Join(codes, " "))
			if u.Virtualhost != "" {
				w.line("virtualhost " + quote(u.Virtualhost))
			}
			if u.Regex != "" {
				w.line("regex " + quoteEscaped(u.Regex))
			}
			w.flag("regex_no_match", u.RegexNoMatch)
			w.close()
		}
	}
	if s := ck.SMTP; s != nil && s.HeloName != "" {
		w.line("helo_name " + quoteEscaped(s.HeloName))
	}
	if d := ck.DNS; d != nil {
		w.line("type " + d.Type)
		w.line("name " + quote(d.Name))
	}
	if m := ck.Misc; m != nil {
		w.line("misc_path " + quoteEscaped(m.Path.Text))
		if m.Timeout != 0 {
			w.line("misc_timeout " + strconv.Itoa(int(m.Timeout.Seconds())))
		}
		w.flag("misc_dynamic", m.Dynamic)
		if m.User != "" {
			w.line(strings.TrimSpace("user " + m.User + " " + m.Group))
		}
	}
	if u := ck.UDP; u != nil {
		if u.Payload != "" {
			w.line("payload " + u.Payload)
		}
		if u.RequireReply {
			w.line(strings.TrimSpace("require_reply " + u.ReplyPattern))
		}
		w.line("min_reply_length " + strconv.Itoa(u.MinReplyLength))
		w.line("max_reply_length " + strconv.Itoa(u.MaxReplyLength))
	}
	w.close()
}
