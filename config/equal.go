package config

import "slices"

// The Equal methods report whether two parts of a model are the same
// ignoring source positions (Pos fields) and unexported bookkeeping (an
// instance's set keywords, a config's inputs, a garp_group's interface
// positions). Slices compare by length and elements, so a nil slice equals
// an empty one; pointers are equal when both are nil or their values are.
// Types with no Pos and only comparable fields (GARP, Authentication,
// CodeRange, SMTPCheck, DNSCheck, UDPCheck) compare with ==.
//
// Every exported field must be compared: equal_test.go changes each one in
// turn and fails when Equal does not notice.

// Equal reports whether two instances are the same ignoring source
// positions: the supervisor's "did this instance change" test.
func (in *Instance) Equal(o *Instance) bool {
	if in == o {
		return true
	}
	if in == nil || o == nil {
		return false
	}
	return in.Name == o.Name && in.State == o.State && in.Interface == o.Interface && in.VRID == o.VRID &&
		in.Priority == o.Priority && in.AdvertInt == o.AdvertInt && in.Version == o.Version && in.Family == o.Family &&
		in.Nopreempt == o.Nopreempt && in.PreemptDelay == o.PreemptDelay && in.TimerExpiredBackup == o.TimerExpiredBackup &&
		in.MulticastSource == o.MulticastSource && in.UnicastSource == o.UnicastSource && in.MulticastGroup == o.MulticastGroup &&
		slices.EqualFunc(in.UnicastPeers, o.UnicastPeers, UnicastPeer.Equal) &&
		in.UnicastTTL == o.UnicastTTL && in.UnicastFaultNoPeer == o.UnicastFaultNoPeer &&
		in.CheckUnicastSrc == o.CheckUnicastSrc && in.TrackSrcIP == o.TrackSrcIP &&
		equalPtr(in.Auth, o.Auth) &&
		slices.EqualFunc(in.VirtualAddresses, o.VirtualAddresses, VirtualAddress.Equal) &&
		slices.EqualFunc(in.ExcludedAddresses, o.ExcludedAddresses, VirtualAddress.Equal) &&
		in.NoVirtualAddresses == o.NoVirtualAddresses &&
		slices.EqualFunc(in.VirtualRoutes, o.VirtualRoutes, Route.Equal) &&
		slices.EqualFunc(in.VirtualRules, o.VirtualRules, Rule.Equal) &&
		in.Track.Equal(&o.Track) && in.DontTrackPrimary == o.DontTrackPrimary &&
		in.Notify.Equal(&o.Notify) && in.SMTPAlert == o.SMTPAlert && in.GARP == o.GARP &&
		in.Accept == o.Accept && in.Strict == o.Strict && in.SkipCheckAdvAddr == o.SkipCheckAdvAddr &&
		in.LowerPrioNoAdvert == o.LowerPrioNoAdvert && in.HigherPrioSendAdvert == o.HigherPrioSendAdvert &&
		in.OwnerIgnoreAdverts == o.OwnerIgnoreAdverts && in.DownTimerAdverts == o.DownTimerAdverts &&
		in.OldUnicastChecksum == o.OldUnicastChecksum && in.Checksum == o.Checksum && in.VMAC.Equal(o.VMAC) && in.VMACXmitBase == o.VMACXmitBase && in.UseVMACAddr == o.UseVMACAddr &&
		in.IPVLAN.Equal(o.IPVLAN) && in.VRF == o.VRF && in.VRFCleared == o.VRFCleared && slices.Equal(in.ConfigFaults, o.ConfigFaults) &&
		in.PromoteSecondaries == o.PromoteSecondaries && in.LinkBeatUsePolling == o.LinkBeatUsePolling && in.SyncGroup == o.SyncGroup &&
		slices.EqualFunc(in.Settings, o.Settings, Setting.Equal)
}

// Equal reports whether two configs are the same ignoring source positions
// and what they were read from.
func (c *Config) Equal(o *Config) bool {
	if c == o {
		return true
	}
	if c == nil || o == nil {
		return false
	}
	return c.Global.Equal(&o.Global) &&
		slices.EqualFunc(c.StaticAddresses, o.StaticAddresses, VirtualAddress.Equal) &&
		slices.EqualFunc(c.StaticRoutes, o.StaticRoutes, Route.Equal) &&
		slices.EqualFunc(c.StaticRules, o.StaticRules, Rule.Equal) &&
		slices.EqualFunc(c.GARPGroups, o.GARPGroups, GARPGroup.Equal) &&
		slices.EqualFunc(c.Scripts, o.Scripts, (*Script).Equal) &&
		slices.EqualFunc(c.TrackProcesses, o.TrackProcesses, (*TrackProcess).Equal) &&
		slices.EqualFunc(c.TrackFiles, o.TrackFiles, (*TrackFile).Equal) &&
		slices.EqualFunc(c.SyncGroups, o.SyncGroups, (*SyncGroup).Equal) &&
		slices.EqualFunc(c.Instances, o.Instances, (*Instance).Equal) &&
		slices.EqualFunc(c.VirtualServerGroups, o.VirtualServerGroups, (*VirtualServerGroup).Equal) &&
		slices.EqualFunc(c.VirtualServers, o.VirtualServers, (*VirtualServer).Equal) &&
		c.SSL.Equal(o.SSL) &&
		slices.EqualFunc(c.InterfaceDelays, o.InterfaceDelays, InterfaceDelay.Equal) &&
		slices.EqualFunc(c.TrackGroups, o.TrackGroups, (*TrackGroup).Equal) &&
		slices.EqualFunc(c.LinkBeat, o.LinkBeat, LinkBeatInterface.Equal) && c.LinkBeatUsePolling == o.LinkBeatUsePolling &&
		slices.EqualFunc(c.Unsupported, o.Unsupported, (*Block).Equal)
}

// Equal reports whether two interface_up_down_delays entries are the same
// ignoring positions.
func (d InterfaceDelay) Equal(o InterfaceDelay) bool {
	return d.Interface == o.Interface && d.Down == o.Down && d.Up == o.Up
}

// Equal reports whether two linkbeat_interfaces entries are the same
// ignoring positions.
func (l LinkBeatInterface) Equal(o LinkBeatInterface) bool {
	return l.Name == o.Name && l.Method == o.Method
}

// Equal reports whether two track_groups are the same ignoring positions.
func (g *TrackGroup) Equal(o *TrackGroup) bool {
	if g == nil || o == nil {
		return g == o
	}
	return g.Name == o.Name && slices.Equal(g.Members, o.Members)
}

// equalPtr reports whether a and b are both nil or point to equal values.
func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Equal reports whether two global_defs are the same ignoring positions.
func (g *GlobalDefs) Equal(o *GlobalDefs) bool {
	return g.RouterID == o.RouterID && g.VRRPVersion == o.VRRPVersion &&
		g.MulticastGroup4 == o.MulticastGroup4 && g.MulticastGroup6 == o.MulticastGroup6 && g.GARP == o.GARP &&
		g.MinGARP == o.MinGARP && g.DownTimerAdverts == o.DownTimerAdverts && g.LowerPrioNoAdvert == o.LowerPrioNoAdvert &&
		g.HigherPrioSendAdvert == o.HigherPrioSendAdvert && g.OwnerIgnoreAdverts == o.OwnerIgnoreAdverts &&
		g.V3ChecksumAsV2 == o.V3ChecksumAsV2 && g.Strict == o.Strict && g.SkipCheckAdvAddr == o.SkipCheckAdvAddr &&
		g.CheckUnicastSrc == o.CheckUnicastSrc && g.EnableScriptSecurity == o.EnableScriptSecurity &&
		g.ScriptUser == o.ScriptUser && g.ScriptGroup == o.ScriptGroup &&
		g.NotifyFIFO.Equal(o.NotifyFIFO) && g.NotifyFIFOScript.Equal(o.NotifyFIFOScript) &&
		g.VRRPNotifyFIFO.Equal(o.VRRPNotifyFIFO) && g.VRRPNotifyFIFOScript.Equal(o.VRRPNotifyFIFOScript) &&
		g.LVSNotifyFIFO.Equal(o.LVSNotifyFIFO) && g.LVSNotifyFIFOScript.Equal(o.LVSNotifyFIFOScript) &&
		g.DisableLocalIGMP == o.DisableLocalIGMP && g.LVSSyncDaemon.Equal(o.LVSSyncDaemon) &&
		g.StartupScript.Equal(o.StartupScript) && g.StartupScriptTimeout == o.StartupScriptTimeout &&
		g.ShutdownScript.Equal(o.ShutdownScript) && g.ShutdownScriptTimeout == o.ShutdownScriptTimeout &&
		g.FIFOWriteStatesOnReload == o.FIFOWriteStatesOnReload &&
		g.NotifyPriorityChanges == o.NotifyPriorityChanges && g.DynamicInterfaces == o.DynamicInterfaces &&
		g.StartupDelay == o.StartupDelay && g.DefaultInterface == o.DefaultInterface && g.VMACPrefix == o.VMACPrefix && g.VMACAddrPrefix == o.VMACAddrPrefix &&
		slices.Equal(g.NotificationEmail, o.NotificationEmail) && g.NotificationEmailFrom == o.NotificationEmailFrom &&
		g.SMTPServer == o.SMTPServer && g.SMTPHeloName == o.SMTPHeloName && g.SMTPConnectTimeout == o.SMTPConnectTimeout &&
		equalPtr(g.SMTPAlert, o.SMTPAlert) && equalPtr(g.SMTPAlertVRRP, o.SMTPAlertVRRP) && g.NoEmailFaults == o.NoEmailFaults &&
		slices.EqualFunc(g.Settings, o.Settings, Setting.Equal)
}

// Equal reports whether two garp_groups are the same ignoring positions.
func (g GARPGroup) Equal(o GARPGroup) bool {
	return g.Interval == o.Interval && g.NAInterval == o.NAInterval && slices.Equal(g.Interfaces, o.Interfaces)
}

// Equal reports whether two blocks are the same ignoring positions.
func (b *Block) Equal(o *Block) bool {
	if b == nil || o == nil {
		return b == o
	}
	return b.Keyword == o.Keyword && slices.Equal(b.Args, o.Args) &&
		slices.EqualFunc(b.Children, o.Children, (*Block).Equal) && b.HasBlock == o.HasBlock
}

// Equal reports whether two settings are the same ignoring positions.
func (s Setting) Equal(o Setting) bool {
	return s.Keyword == o.Keyword && slices.Equal(s.Args, o.Args)
}

// Equal reports whether a and b are both nil or the same command.
func (c *Command) Equal(o *Command) bool {
	if c == nil || o == nil {
		return c == o
	}
	return c.Text == o.Text && slices.Equal(c.Args, o.Args) && c.User == o.User && c.Group == o.Group
}

// Equal reports whether two vrrp_scripts are the same ignoring positions.
func (s *Script) Equal(o *Script) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Name == o.Name && s.Command.Equal(&o.Command) && s.Interval == o.Interval && s.Timeout == o.Timeout &&
		s.Weight == o.Weight && s.Reverse == o.Reverse && s.Rise == o.Rise && s.Fall == o.Fall &&
		s.User == o.User && s.Group == o.Group && s.InitFail == o.InitFail
}

// Equal reports whether two vrrp_track_processes are the same ignoring
// positions.
func (p *TrackProcess) Equal(o *TrackProcess) bool {
	if p == nil || o == nil {
		return p == o
	}
	return p.Name == o.Name && p.Process == o.Process && slices.Equal(p.Params, o.Params) &&
		p.ParamMatch == o.ParamMatch && p.FullCommand == o.FullCommand && p.Weight == o.Weight &&
		p.Reverse == o.Reverse && p.Quorum == o.Quorum && p.QuorumMax == o.QuorumMax &&
		p.ForkDelay == o.ForkDelay && p.TerminateDelay == o.TerminateDelay
}

// Equal reports whether two track_files are the same ignoring positions.
func (f *TrackFile) Equal(o *TrackFile) bool {
	if f == nil || o == nil {
		return f == o
	}
	return f.Name == o.Name && f.File == o.File && f.Weight == o.Weight && f.Reverse == o.Reverse &&
		f.InitFile == o.InitFile && f.InitValue == o.InitValue && f.Overwrite == o.Overwrite
}

// Equal reports whether two track_interface entries are the same ignoring
// positions.
func (t TrackInterface) Equal(o TrackInterface) bool {
	return t.Name == o.Name && t.Weight == o.Weight && t.Reverse == o.Reverse && t.TrackGroup == o.TrackGroup
}

// Equal reports whether two tracker references are the same ignoring
// positions.
func (r TrackRef) Equal(o TrackRef) bool {
	return r.Name == o.Name && r.Weight == o.Weight && r.Reverse == o.Reverse
}

// Equal reports whether two sets of notify scripts are the same.
func (n *Notify) Equal(o *Notify) bool {
	return n.Master.Equal(o.Master) && n.Backup.Equal(o.Backup) && n.Fault.Equal(o.Fault) && n.Stop.Equal(o.Stop) &&
		n.Deleted.Equal(o.Deleted) && n.MasterRxLowerPrio.Equal(o.MasterRxLowerPrio) && n.All.Equal(o.All) &&
		n.PriorityChanges == o.PriorityChanges
}

// Equal reports whether two sets of trackers are the same ignoring
// positions.
func (t *Tracking) Equal(o *Tracking) bool {
	return slices.EqualFunc(t.Interfaces, o.Interfaces, TrackInterface.Equal) &&
		slices.EqualFunc(t.Scripts, o.Scripts, TrackRef.Equal) &&
		slices.EqualFunc(t.Files, o.Files, TrackRef.Equal) &&
		slices.EqualFunc(t.Processes, o.Processes, TrackRef.Equal)
}

// Equal reports whether two vrrp_sync_groups are the same ignoring
// positions.
func (g *SyncGroup) Equal(o *SyncGroup) bool {
	if g == nil || o == nil {
		return g == o
	}
	return g.Name == o.Name && slices.Equal(g.Members, o.Members) && g.Track.Equal(&o.Track) &&
		g.Notify.Equal(&o.Notify) && g.SyncGroupTrackingWeight == o.SyncGroupTrackingWeight &&
		g.SMTPAlert == o.SMTPAlert && slices.EqualFunc(g.Settings, o.Settings, Setting.Equal)
}

// Equal reports whether two unicast peers are the same ignoring positions.
func (p UnicastPeer) Equal(o UnicastPeer) bool {
	return p.Addr == o.Addr && p.MinTTL == o.MinTTL && p.MaxTTL == o.MaxTTL
}

// Equal reports whether two addresses are the same ignoring positions.
func (v VirtualAddress) Equal(o VirtualAddress) bool {
	return v.Prefix == o.Prefix && v.Broadcast == o.Broadcast && v.Dev == o.Dev && v.Scope == o.Scope &&
		v.Label == o.Label && v.Peer == o.Peer && v.Home == o.Home && v.NoDAD == o.NoDAD &&
		v.MngTmpAddr == o.MngTmpAddr && v.NoPrefixRoute == o.NoPrefixRoute && v.AutoJoin == o.AutoJoin &&
		v.NoTrack == o.NoTrack && v.UseVMAC == o.UseVMAC && v.PreferredLft == o.PreferredLft && v.TrackGroup == o.TrackGroup
}

// Equal reports whether two routes are the same ignoring positions.
func (r Route) Equal(o Route) bool {
	return r.Type == o.Type && r.Dst == o.Dst && r.Src == o.Src && r.Via == o.Via && r.Or == o.Or &&
		r.Dev == o.Dev && r.Table == o.Table && r.Metric == o.Metric && r.Scope == o.Scope &&
		r.Protocol == o.Protocol && r.NoTrack == o.NoTrack && r.Options == o.Options && slices.Equal(r.OptionWords, o.OptionWords) &&
		r.TrackGroup == o.TrackGroup
}

// Equal reports whether two rules are the same ignoring positions.
func (r Rule) Equal(o Rule) bool {
	return r.Family == o.Family && r.Not == o.Not && r.From == o.From && r.To == o.To && r.Table == o.Table &&
		r.Preference == o.Preference && r.Fwmark == o.Fwmark && r.Iif == o.Iif && r.Oif == o.Oif &&
		r.NoTrack == o.NoTrack && r.Options == o.Options && slices.Equal(r.OptionWords, o.OptionWords) && r.TrackGroup == o.TrackGroup
}

// Equal reports whether a and b are both nil or the same use_vmac ignoring
// positions.
func (v *VMAC) Equal(o *VMAC) bool {
	if v == nil || o == nil {
		return v == o
	}
	return v.Name == o.Name && v.MAC == o.MAC
}

// Equal reports whether two virtual_server_groups are the same ignoring
// positions.
func (g *VirtualServerGroup) Equal(o *VirtualServerGroup) bool {
	if g == nil || o == nil {
		return g == o
	}
	return g.Name == o.Name && slices.EqualFunc(g.Entries, o.Entries, VSGEntry.Equal)
}

// Equal reports whether two virtual_server_group entries are the same
// ignoring positions.
func (e VSGEntry) Equal(o VSGEntry) bool {
	return e.First == o.First && e.Last == o.Last && e.Port == o.Port && e.Fwmark == o.Fwmark && e.Family == o.Family
}

// Equal reports whether two virtual_servers are the same ignoring
// positions.
func (vs *VirtualServer) Equal(o *VirtualServer) bool {
	if vs == nil || o == nil {
		return vs == o
	}
	return vs.Addr == o.Addr && vs.Port == o.Port && vs.Fwmark == o.Fwmark && vs.Group == o.Group &&
		vs.Family == o.Family && vs.IPFamily == o.IPFamily && vs.Protocol == o.Protocol &&
		vs.Scheduler == o.Scheduler && vs.Method.Equal(&o.Method) && slices.Equal(vs.SchedFlags, o.SchedFlags) &&
		vs.OnePacket == o.OnePacket && vs.PersistenceTimeout == o.PersistenceTimeout &&
		vs.PersistenceGranularity == o.PersistenceGranularity && vs.PersistenceEngine == o.PersistenceEngine &&
		vs.HASuspend == o.HASuspend && vs.Omega == o.Omega && vs.Quorum == o.Quorum && vs.Hysteresis == o.Hysteresis &&
		vs.QuorumUp.Equal(o.QuorumUp) && vs.QuorumDown.Equal(o.QuorumDown) && vs.Sorry.Equal(o.Sorry) &&
		slices.EqualFunc(vs.RealServers, o.RealServers, (*RealServer).Equal) &&
		slices.EqualFunc(vs.Settings, o.Settings, Setting.Equal)
}

// Equal reports whether two forwarding methods are the same.
func (m *Method) Equal(o *Method) bool {
	return m.Kind == o.Kind && slices.Equal(m.Tunnel, o.Tunnel)
}

// Equal reports whether a and b are both nil or the same sorry_server
// ignoring positions.
func (s *SorryServer) Equal(o *SorryServer) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Addr == o.Addr && s.Port == o.Port && s.Inhibit == o.Inhibit && s.Method.Equal(&o.Method)
}

// Equal reports whether two real_servers are the same ignoring positions.
func (rs *RealServer) Equal(o *RealServer) bool {
	if rs == nil || o == nil {
		return rs == o
	}
	return rs.Addr == o.Addr && rs.Port == o.Port && rs.Weight == o.Weight && rs.Method.Equal(&o.Method) &&
		rs.InhibitOnFailure == o.InhibitOnFailure && rs.NotifyUp.Equal(o.NotifyUp) &&
		rs.NotifyDown.Equal(o.NotifyDown) && rs.UThreshold == o.UThreshold && rs.LThreshold == o.LThreshold &&
		slices.EqualFunc(rs.Checkers, o.Checkers, (*Checker).Equal) &&
		slices.EqualFunc(rs.Settings, o.Settings, Setting.Equal)
}

// Equal reports whether two checkers are the same ignoring positions.
func (c *Checker) Equal(o *Checker) bool {
	if c == nil || o == nil {
		return c == o
	}
	return c.Type == o.Type && c.ConnectIP == o.ConnectIP && c.ConnectPort == o.ConnectPort &&
		c.BindTo == o.BindTo && c.BindIf == o.BindIf && c.BindPort == o.BindPort && c.Fwmark == o.Fwmark &&
		c.Alpha == o.Alpha && c.ConnectTimeout == o.ConnectTimeout && c.DelayLoop == o.DelayLoop &&
		c.Retry == o.Retry && c.DelayBeforeRetry == o.DelayBeforeRetry && c.Warmup == o.Warmup &&
		c.LogAllFailures == o.LogAllFailures && c.HTTP.Equal(o.HTTP) && equalPtr(c.SMTP, o.SMTP) &&
		equalPtr(c.DNS, o.DNS) && c.Misc.Equal(o.Misc) && equalPtr(c.UDP, o.UDP)
}

// Equal reports whether a and b are both nil or the same HTTP check
// ignoring positions.
func (h *HTTPCheck) Equal(o *HTTPCheck) bool {
	if h == nil || o == nil {
		return h == o
	}
	return h.Protocol == o.Protocol && h.FastRecovery == o.FastRecovery && h.EnableSNI == o.EnableSNI &&
		h.Virtualhost == o.Virtualhost && slices.EqualFunc(h.URLs, o.URLs, URL.Equal)
}

// Equal reports whether two url blocks are the same ignoring positions.
func (u URL) Equal(o URL) bool {
	return u.Path == o.Path && u.Digest == o.Digest && slices.Equal(u.StatusCodes, o.StatusCodes) &&
		u.Virtualhost == o.Virtualhost && u.Regex == o.Regex && u.RegexNoMatch == o.RegexNoMatch
}

// Equal reports whether a and b are both nil or the same MISC_CHECK.
func (m *MiscCheck) Equal(o *MiscCheck) bool {
	if m == nil || o == nil {
		return m == o
	}
	return m.Path.Equal(&o.Path) && m.Timeout == o.Timeout && m.Dynamic == o.Dynamic &&
		m.User == o.User && m.Group == o.Group
}

// Equal reports whether a and b are both nil or the same SSL block
// ignoring positions.
func (s *SSLContext) Equal(o *SSLContext) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Password == o.Password && s.CA == o.CA && s.Certificate == o.Certificate && s.Key == o.Key
}
