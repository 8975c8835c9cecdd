package config

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/havip/havip/config/iproute2"
)

// Options controls how a config is read.
type Options struct {
	// ConfigID selects @ID / @^ID lines and is the value of ${_INSTANCE};
	// "" means the short host name (up to the first '.').
	ConfigID string
	// LookupEnv resolves ${_ENV VAR}; nil means os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// InterfaceExists reports whether a network interface exists; nil means
	// interfaces are not checked, otherwise unknown interfaces are warnings.
	InterfaceExists func(name string) bool
}

// Config is the typed model of a keepalived.conf. Every default is resolved.
type Config struct {
	Global          GlobalDefs       `json:"global"`
	StaticAddresses []VirtualAddress `json:"static_ipaddress,omitempty"`
	StaticRoutes    []Route          `json:"static_routes,omitempty"`
	StaticRules     []Rule           `json:"static_rules,omitempty"`
	// GARPGroups pace the gratuitous ARPs / NAs of the interfaces they name,
	// instead of global_defs.
	GARPGroups     []GARPGroup     `json:"garp_group,omitempty"`
	Scripts        []*Script       `json:"vrrp_scripts,omitempty"`
	TrackProcesses []*TrackProcess `json:"vrrp_track_processes,omitempty"`
	TrackFiles     []*TrackFile    `json:"track_files,omitempty"`
	SyncGroups     []*SyncGroup    `json:"vrrp_sync_groups,omitempty"`
	Instances      []*Instance     `json:"vrrp_instances,omitempty"`
	// LVS: virtual_server_group, virtual_server and SSL (lvs_model.go).
	VirtualServerGroups []*VirtualServerGroup `json:"virtual_server_groups,omitempty"`
	VirtualServers      []*VirtualServer      `json:"virtual_servers,omitempty"`
	SSL                 *SSLContext           `json:"ssl,omitempty"`
	// InterfaceDelays are the interface_up_down_delays entries, one per interface.
	InterfaceDelays []InterfaceDelay `json:"interface_up_down_delays,omitempty"`
	// TrackGroups are the track_group blocks: the instances that track the
	// interfaces of the static addresses, routes and rules naming them.
	TrackGroups []*TrackGroup `json:"track_groups,omitempty"`
	// LinkBeat are the linkbeat_interfaces entries, one per interface: links
	// polled every second instead of followed by netlink.
	LinkBeat []LinkBeatInterface `json:"linkbeat_interfaces,omitempty"`
	// LinkBeatUsePolling is the top-level linkbeat_use_polling: the
	// interface of every vrrp_instance is polled.
	LinkBeatUsePolling bool     `json:"linkbeat_use_polling,omitempty"`
	Unsupported        []*Block `json:"unsupported,omitempty"`

	inputs Inputs // not part of the model: Equal ignores it
}

// Inputs are what a config was read from: a watcher reloads the config when
// one of the Files changes or a file appears that matches one of the Patterns.
type Inputs struct {
	// Files are the absolute paths of the config file and of every file it
	// includes, in the order they were first read.
	Files []string
	// Patterns are the absolute include patterns after brace expansion, as
	// filepath.Match understands them, including those that matched nothing.
	Patterns []string
}

// Inputs returns what the config was read from.
func (c *Config) Inputs() Inputs { return c.inputs }

// Block is a statement kept verbatim: a keyword line with its arguments and
// optional sub-block. It holds sections havip does not model (BFD,
// linkbeat_interfaces, ...) so that Format can print them back.
type Block struct {
	Pos      Pos      `json:"pos"`
	Keyword  string   `json:"keyword"`
	Args     []string `json:"args,omitempty"`
	Children []*Block `json:"children,omitempty"`
	// HasBlock is true when the statement was followed by '{' ... '}'.
	HasBlock bool `json:"has_block,omitempty"`
}

// Setting is a recognised keyword the model keeps as text only: havip
// accepts it for compatibility but does not act on it.
type Setting struct {
	Pos     Pos      `json:"pos"`
	Keyword string   `json:"keyword"`
	Args    []string `json:"args,omitempty"`
}

// Command is a script keyword's value: the raw text as written (after
// definition expansion) and the argv keepalived's quoted/escaped tokeniser
// produces from it. User and Group are the optional run-as identity.
type Command struct {
	Text  string   `json:"text"`
	Args  []string `json:"args"`
	User  string   `json:"user,omitempty"`
	Group string   `json:"group,omitempty"`
}

// Family is an address family.
type Family uint8

const (
	// IPv4 is AF_INET.
	IPv4 Family = 4
	// IPv6 is AF_INET6.
	IPv6 Family = 6
)

// State is an instance's configured initial state.
type State string

const (
	// StateMaster is "state MASTER".
	StateMaster State = "MASTER"
	// StateBackup is "state BACKUP" (and the default).
	StateBackup State = "BACKUP"
)

// AuthType is the VRRPv2 authentication type.
type AuthType string

const (
	// AuthNone means no authentication.
	AuthNone AuthType = ""
	// AuthPass is simple password authentication.
	AuthPass AuthType = "PASS"
	// AuthAH is IPsec-AH authentication.
	AuthAH AuthType = "AH"
)

// ChecksumMode is how the VRRPv3 IPv4 checksum is computed.
type ChecksumMode string

const (
	// ChecksumPseudoHeader includes the IPv4 pseudo-header (RFC 5798).
	ChecksumPseudoHeader ChecksumMode = "pseudo-header"
	// ChecksumAsV2 omits the pseudo-header (v3_checksum_as_v2).
	ChecksumAsV2 ChecksumMode = "as-v2"
	// ChecksumOldUnicast is keepalived before 1.3.6's unicast form
	// (old_unicast_checksum): the pseudo-header's destination is the
	// multicast group 224.0.0.18, not the unicast peer.
	ChecksumOldUnicast ChecksumMode = "old-unicast"
)

// UnicastChecksumCompat is old_unicast_checksum's setting.
type UnicastChecksumCompat string

const (
	// UnicastChecksumAuto is keepalived's default (no old_unicast_checksum).
	UnicastChecksumAuto UnicastChecksumCompat = ""
	// UnicastChecksumOld is a bare old_unicast_checksum: unicast VRRPv3
	// IPv4 adverts are sent with the old checksum.
	UnicastChecksumOld UnicastChecksumCompat = "old"
	// UnicastChecksumNever is "old_unicast_checksum never": the instance
	// never switches to the old checksum.
	UnicastChecksumNever UnicastChecksumCompat = "never"
)

// GARP holds the gratuitous ARP / unsolicited NA settings. Instances inherit
// them from global_defs and may override each field.
type GARP struct {
	MasterDelay         time.Duration `json:"master_delay"`
	MasterRepeat        int           `json:"master_repeat"`
	LowerPrioDelay      time.Duration `json:"lower_prio_delay"`
	LowerPrioRepeat     int           `json:"lower_prio_repeat"`
	MasterRefresh       time.Duration `json:"master_refresh"`
	MasterRefreshRepeat int           `json:"master_refresh_repeat"`
	// Interval and NAInterval are the least time between two GARPs / NAs
	// sent on one interface, by any instance (global_defs only: an
	// instance's copy is the global value).
	Interval   time.Duration `json:"interval"`
	NAInterval time.Duration `json:"na_interval"`
	// ExtraIf is vrrp_garp_extra_if / garp_extra_if: a master sends a
	// gratuitous ARP or unsolicited NA this often (whole seconds; 0 none) for
	// the first VIP on each of its other VMAC interfaces, or with ExtraIfAll
	// its other interfaces, so that switches keep its MAC.
	ExtraIf    time.Duration `json:"extra_if,omitempty"`
	ExtraIfAll bool          `json:"extra_if_all,omitempty"`
}

// GARPGroup is one garp_group: the least time between two gratuitous ARPs
// (Interval) or unsolicited NAs (NAInterval) sent on each of Interfaces;
// zero for one it does not give is no pacing, whatever global_defs says.
type GARPGroup struct {
	Pos        Pos           `json:"pos"`
	Interval   time.Duration `json:"garp_interval"`
	NAInterval time.Duration `json:"gna_interval"`
	Interfaces []string      `json:"interfaces"`

	ifPos []Pos // where each of Interfaces is named, for diagnostics
}

// GlobalDefs is the global_defs section (VRRP-relevant keywords modelled,
// others kept in Settings).
type GlobalDefs struct {
	Pos                  Pos        `json:"pos"`
	RouterID             string     `json:"router_id,omitempty"`
	VRRPVersion          int        `json:"vrrp_version"`
	MulticastGroup4      netip.Addr `json:"vrrp_mcast_group4"`
	MulticastGroup6      netip.Addr `json:"vrrp_mcast_group6"`
	GARP                 GARP       `json:"garp"`
	MinGARP              bool       `json:"vrrp_min_garp,omitempty"`
	DownTimerAdverts     int        `json:"vrrp_down_timer_adverts"`
	LowerPrioNoAdvert    bool       `json:"vrrp_lower_prio_no_advert,omitempty"`
	HigherPrioSendAdvert bool       `json:"vrrp_higher_prio_send_advert,omitempty"`
	OwnerIgnoreAdverts   bool       `json:"vrrp_owner_ignore_adverts,omitempty"`
	V3ChecksumAsV2       bool       `json:"v3_checksum_as_v2,omitempty"`
	Strict               bool       `json:"vrrp_strict,omitempty"`
	SkipCheckAdvAddr     bool       `json:"vrrp_skip_check_adv_addr,omitempty"`
	CheckUnicastSrc      bool       `json:"vrrp_check_unicast_src,omitempty"`
	EnableScriptSecurity bool       `json:"enable_script_security,omitempty"`
	ScriptUser           string     `json:"script_user,omitempty"`
	ScriptGroup          string     `json:"script_group,omitempty"`
	NotifyFIFO           *Command   `json:"notify_fifo,omitempty"`
	NotifyFIFOScript     *Command   `json:"notify_fifo_script,omitempty"`
	VRRPNotifyFIFO       *Command   `json:"vrrp_notify_fifo,omitempty"`
	VRRPNotifyFIFOScript *Command   `json:"vrrp_notify_fifo_script,omitempty"`
	// LVSNotifyFIFO takes the LVS lines only ("VS ... UP", "RS ... DOWN"),
	// which notify_fifo takes too.
	LVSNotifyFIFO         *Command      `json:"lvs_notify_fifo,omitempty"`
	LVSNotifyFIFOScript   *Command      `json:"lvs_notify_fifo_script,omitempty"`
	NotifyPriorityChanges bool          `json:"vrrp_notify_priority_changes,omitempty"`
	DynamicInterfaces     bool          `json:"dynamic_interfaces,omitempty"`
	StartupDelay          time.Duration `json:"vrrp_startup_delay,omitempty"`
	DefaultInterface      string        `json:"default_interface,omitempty"`
	// DisableLocalIGMP turns net.ipv4.igmp_link_local_mcast_reports off while
	// havip runs: no IGMP reports for 224.0.0.x groups, VRRP's 224.0.0.18
	// included (switches that snoop IGMP flood link-local groups anyway).
	DisableLocalIGMP bool `json:"disable_local_igmp,omitempty"`
	// StartupScript runs before the instances start, ShutdownScript after
	// they are released, each bounded by its timeout (10 s unless given).
	StartupScript         *Command      `json:"startup_script,omitempty"`
	StartupScriptTimeout  time.Duration `json:"startup_script_timeout,omitempty"`
	ShutdownScript        *Command      `json:"shutdown_script,omitempty"`
	ShutdownScriptTimeout time.Duration `json:"shutdown_script_timeout,omitempty"`
	// FIFOWriteStatesOnReload is fifo_write_vrrp_states_on_reload: a reload
	// writes the states it kept to the notify FIFOs again.
	FIFOWriteStatesOnReload bool   `json:"fifo_write_vrrp_states_on_reload,omitempty"`
	VMACPrefix              string `json:"vmac_prefix,omitempty"` // use_vmac device names: PREFIX.VRID; "" = vrrp
	// VMACAddrPrefix is vmac_addr_prefix: the prefix of the per-address VMACs' names ("" =
	// VMACPrefix).
	VMACAddrPrefix string `json:"vmac_addr_prefix,omitempty"`
	// LVSSyncDaemon is lvs_sync_daemon, or an instance's deprecated
	// lvs_sync_daemon_interface; nil without.
	LVSSyncDaemon *LVSSyncDaemon `json:"lvs_sync_daemon,omitempty"`
	// NotificationEmail are the recipients of the VRRP email alerts, in
	// order; none: no alerts are sent.
	NotificationEmail []string `json:"notification_email,omitempty"`
	// NotificationEmailFrom is the sender; "" = root@HOSTNAME as keepalived.
	NotificationEmailFrom string `json:"notification_email_from,omitempty"`
	// SMTPServer is HOST:PORT ("" = no alerts are sent).
	SMTPServer string `json:"smtp_server,omitempty"`
	// SMTPHeloName is the HELO name; "" = the host name.
	SMTPHeloName string `json:"smtp_helo_name,omitempty"`
	// SMTPConnectTimeout bounds each step of the SMTP dialogue; 0 = 30 s.
	SMTPConnectTimeout time.Duration `json:"smtp_connect_timeout,omitempty"`
	// SMTPAlert and SMTPAlertVRRP are the defaults of the instances' and
	// sync groups' smtp_alert (smtp_alert_vrrp first); nil = not given.
	SMTPAlert     *bool `json:"smtp_alert,omitempty"`
	SMTPAlertVRRP *bool `json:"smtp_alert_vrrp,omitempty"`
	// NoEmailFaults sends no alert for entering FAULT.
	NoEmailFaults bool `json:"no_email_faults,omitempty"`
	// Settings are accepted global_defs keywords havip does not act on.
	Settings []Setting `json:"settings,omitempty"`
}

// LVSSyncDaemon runs the kernel's IPVS connection sync daemon on
// Interface: the backup daemon while Instance is not MASTER, the master
// daemon while it is. Without Instance both run while havip runs, as
// keepalived's checker runs them.
type LVSSyncDaemon struct {
	Pos       Pos    `json:"pos"`
	Interface string `json:"interface"`
	Instance  string `json:"instance,omitempty"`
	// SyncID is the id given, else Instance's virtual_router_id, else 0
	// (-1 while parsing: not given).
	SyncID int `json:"id"`
	// MaxLen, Port, TTL and Group are 0 / invalid for the kernel's
	// default: the interface MTU, 8848, 1 and 224.0.0.81.
	MaxLen int        `json:"maxlen,omitempty"`
	Port   int        `json:"port,omitempty"`
	TTL    int        `json:"ttl,omitempty"`
	Group  netip.Addr `json:"group,omitzero"`
}

// Script is a vrrp_script block.
type Script struct {
	Pos      Pos           `json:"pos"`
	Name     string        `json:"name"`
	Command  Command       `json:"script"`
	Interval time.Duration `json:"interval"`
	Timeout  time.Duration `json:"timeout"`
	Weight   int           `json:"weight"`
	Reverse  bool          `json:"reverse,omitempty"`
	Rise     int           `json:"rise"`
	Fall     int           `json:"fall"`
	User     string        `json:"user,omitempty"`
	Group    string        `json:"group,omitempty"`
	InitFail bool          `json:"init_fail,omitempty"`
}

// TrackProcess is a vrrp_track_process block.
type TrackProcess struct {
	Pos            Pos           `json:"pos"`
	Name           string        `json:"name"`
	Process        string        `json:"process"`
	Params         []string      `json:"params,omitempty"`
	ParamMatch     string        `json:"param_match,omitempty"`
	FullCommand    bool          `json:"full_command,omitempty"`
	Weight         int           `json:"weight"`
	Reverse        bool          `json:"reverse,omitempty"`
	Quorum         int           `json:"quorum"`
	QuorumMax      int           `json:"quorum_max,omitempty"` // 0 = unlimited
	ForkDelay      time.Duration `json:"fork_delay,omitempty"`
	TerminateDelay time.Duration `json:"terminate_delay,omitempty"`
}

// TrackFile is a track_file (vrrp_track_file) block.
type TrackFile struct {
	Pos       Pos    `json:"pos"`
	Name      string `json:"name"`
	File      string `json:"file"`
	Weight    int    `json:"weight"`
	Reverse   bool   `json:"reverse,omitempty"`
	InitFile  bool   `json:"init_file,omitempty"`
	InitValue int    `json:"init_value,omitempty"`
	Overwrite bool   `json:"overwrite,omitempty"`
}

// TrackInterface is one track_interface entry.
type TrackInterface struct {
	Pos     Pos    `json:"pos"`
	Name    string `json:"name"`
	Weight  int    `json:"weight"`
	Reverse bool   `json:"reverse,omitempty"`
	// TrackGroup names the track_group that added the entry, with weight 0,
	// for a static address, route or rule on the interface; Format does not
	// print such entries, which the track_group gives again.
	TrackGroup string `json:"track_group,omitempty"`
}

// InterfaceDelay is one interface_up_down_delays entry: how long a change
// of the interface's link state waits before the instances using or
// tracking it go to FAULT (Down) or leave it (Up). A state that returns
// within the delay changes nothing.
type InterfaceDelay struct {
	Pos       Pos           `json:"pos"`
	Interface string        `json:"interface"`
	Down      time.Duration `json:"down_delay"`
	Up        time.Duration `json:"up_delay"`
}

// LinkBeatInterface is one linkbeat_interfaces entry: an interface whose
// link is polled (keepalived's linkbeat) instead of followed by netlink,
// when an instance uses or tracks it.
type LinkBeatInterface struct {
	Pos  Pos    `json:"pos"`
	Name string `json:"interface"`
	// Method is the preferred polling, MII, ETHTOOL or IOCTL, used when the
	// interface supports it; "" is MII, else ETHTOOL, else IOCTL.
	Method string `json:"method,omitempty"`
}

// TrackGroup is a track_group block: its instances go to FAULT while the
// interface of a static address, route or rule naming the group is down.
type TrackGroup struct {
	Pos     Pos      `json:"pos"`
	Name    string   `json:"name"`
	Members []string `json:"group"`
}

// TrackRef is a reference to a vrrp_script, track_file or
// vrrp_track_process by name, with the weight and reverse flag in force:
// the reference's override, else the tracker's own.
type TrackRef struct {
	Pos     Pos    `json:"pos"`
	Name    string `json:"name"`
	Weight  int    `json:"weight"`
	Reverse bool   `json:"reverse,omitempty"`
}

// Notify holds the notify scripts of an instance or sync group.
type Notify struct {
	Master            *Command `json:"notify_master,omitempty"`
	Backup            *Command `json:"notify_backup,omitempty"`
	Fault             *Command `json:"notify_fault,omitempty"`
	Stop              *Command `json:"notify_stop,omitempty"`
	Deleted           *Command `json:"notify_deleted,omitempty"`
	MasterRxLowerPrio *Command `json:"notify_master_rx_lower_pri,omitempty"`
	All               *Command `json:"notify,omitempty"`
	PriorityChanges   bool     `json:"notify_priority_changes,omitempty"`
}

// Tracking holds the trackers of an instance or sync group.
type Tracking struct {
	Interfaces []TrackInterface `json:"track_interface,omitempty"`
	Scripts    []TrackRef       `json:"track_script,omitempty"`
	Files      []TrackRef       `json:"track_file,omitempty"`
	Processes  []TrackRef       `json:"track_process,omitempty"`
}

// SyncGroup is a vrrp_sync_group block.
type SyncGroup struct {
	Pos                     Pos      `json:"pos"`
	Name                    string   `json:"name"`
	Members                 []string `json:"group"`
	Track                   Tracking `json:"track"`
	Notify                  Notify   `json:"notify"`
	SyncGroupTrackingWeight bool     `json:"sync_group_tracking_weight,omitempty"`
	// SMTPAlert sends email alerts on the group's transitions (smtp_alert,
	// or the global default).
	SMTPAlert bool      `json:"smtp_alert,omitempty"`
	Settings  []Setting `json:"settings,omitempty"`
	// smtpAlertSet records that smtp_alert is given in the block.
	smtpAlertSet bool
}

// UnicastPeer is one unicast_peer entry.
type UnicastPeer struct {
	Pos    Pos        `json:"pos"`
	Addr   netip.Addr `json:"addr"`
	MinTTL int        `json:"min_ttl,omitempty"` // 0 = unset
	MaxTTL int        `json:"max_ttl,omitempty"` // 0 = unset
}

// VirtualAddress is one virtual_ipaddress / virtual_ipaddress_excluded /
// static_ipaddress entry.
type VirtualAddress struct {
	Pos    Pos          `json:"pos"`
	Prefix netip.Prefix `json:"prefix"`
	// Broadcast is "" (none), "+", "-" or an address.
	Broadcast     string       `json:"brd,omitempty"`
	Dev           string       `json:"dev,omitempty"` // "" = the instance interface
	Scope         string       `json:"scope,omitempty"`
	Label         string       `json:"label,omitempty"`
	Peer          netip.Prefix `json:"peer,omitzero"`
	Home          bool         `json:"home,omitempty"`
	NoDAD         bool         `json:"nodad,omitempty"`
	MngTmpAddr    bool         `json:"mngtmpaddr,omitempty"`
	NoPrefixRoute bool         `json:"noprefixroute,omitempty"`
	AutoJoin      bool         `json:"autojoin,omitempty"`
	NoTrack       bool         `json:"no_track,omitempty"`
	UseVMAC       bool         `json:"use_vmac,omitempty"`
	// PreferredLft is "" (kernel default), "forever" or seconds.
	PreferredLft string `json:"preferred_lft,omitempty"`
	// TrackGroup is the track_group of a static address.
	TrackGroup string `json:"track_group,omitempty"`
}

// Broadcast4 is the IPv4 broadcast address the address is installed with:
// brd + sets the host bits of the address (of the peer when it has one),
// brd - clears them, as keepalived 2.2.7 does; false without one.
func (a VirtualAddress) Broadcast4() (netip.Addr, bool) {
	switch a.Broadcast {
	case "":
		return netip.Addr{}, false
	case "+", "-":
		base := a.Prefix.Addr()
		if a.Peer.IsValid() {
			base = a.Peer.Addr()
		}
		bits := a.Prefix.Bits()
		if !base.Is4() || bits > 30 {
			return netip.Addr{}, false
		}
		b := base.As4()
		host := ^uint32(0) >> bits
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if a.Broadcast == "+" {
			v |= host
		} else {
			v &^= host
		}
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
	}
	b, err := netip.ParseAddr(a.Broadcast)
	return b, err == nil && b.Is4()
}

// PreferredLifetime is the preferred lifetime an IPv6 address is installed
// with, as keepalived 2.2.7: preferred_lft's seconds (0: deprecated, so
// never picked as a source address), else 0 for a /128 and forever for a
// shorter prefix; forever reports false. IPv4 addresses have none.
func (a VirtualAddress) PreferredLifetime() (uint32, bool) {
	if !a.Prefix.Addr().Is6() {
		return 0, false
	}
	switch a.PreferredLft {
	case "forever":
		return 0, false
	case "":
		return 0, a.Prefix.Bits() == 128
	}
	n, err := strconv.ParseUint(a.PreferredLft, 10, 32)
	return uint32(n), err == nil && n != infiniteLifetime
}

// infiniteLifetime is the kernel's INFINITY_LIFE_TIME: a preferred_lft of
// 4294967295 is forever.
const infiniteLifetime = 0xffffffff

// Route is one virtual_routes / static_routes entry (ip route syntax), its names and options
// resolved to numbers when parsed.
type Route struct {
	Pos Pos `json:"pos"`
	// Type is the route type (RTN_*); 0 = unicast, written or not.
	Type   uint8                  `json:"type,omitempty"`
	Dst    netip.Prefix           `json:"dst"`
	Src    netip.Addr             `json:"src,omitzero"`
	Via    netip.Addr             `json:"via,omitzero"`
	Or     netip.Addr             `json:"or,omitzero"`
	Dev    string                 `json:"dev,omitempty"`
	Table  iproute2.Named[uint32] `json:"table,omitzero"` // unset: ID is main
	Metric int                    `json:"metric,omitempty"`
	// Scope unset has the default for the type: global, host for local, link for broadcast and
	// anycast routes.
	Scope iproute2.Named[uint8] `json:"scope,omitzero"`
	// Protocol unset is keepalived's (RTPROT_KEEPALIVED).
	Protocol iproute2.Named[uint8] `json:"protocol,omitzero"`
	NoTrack  bool                  `json:"no_track,omitempty"`
	// Options are the further ip-route options; OptionWords are they as written, in order.
	Options     iproute2.RouteOptions `json:"-"`
	OptionWords []string              `json:"options,omitempty"`
	// TrackGroup is the track_group of a static route.
	TrackGroup string `json:"track_group,omitempty"`
}

// Rule is one virtual_rules / static_rules entry (ip rule syntax), its names and options resolved
// to numbers when parsed.
type Rule struct {
	Pos        Pos                    `json:"pos"`
	Family     Family                 `json:"family"`
	Not        bool                   `json:"not,omitempty"`
	From       netip.Prefix           `json:"from,omitzero"`
	To         netip.Prefix           `json:"to,omitzero"`
	Table      iproute2.Named[uint32] `json:"table,omitzero"`       // unset: ID 0, no table
	Preference int                    `json:"preference,omitempty"` // 0 = unset
	Fwmark     iproute2.Fwmark        `json:"fwmark,omitzero"`
	Iif        string                 `json:"iif,omitempty"`
	Oif        string                 `json:"oif,omitempty"`
	NoTrack    bool                   `json:"no_track,omitempty"`
	// Options are the further ip-rule options; OptionWords are they as written, in order.
	Options     iproute2.RuleOptions `json:"-"`
	OptionWords []string             `json:"options,omitempty"`
	// TrackGroup is the track_group of a static rule.
	TrackGroup string `json:"track_group,omitempty"`
}

// Authentication is the VRRPv2 authentication block.
type Authentication struct {
	Type AuthType `json:"auth_type"`
	// Password is truncated to 8 bytes.
	Password string `json:"auth_pass,omitempty"`
}

// VMAC is the use_vmac setting.
type VMAC struct {
	Pos  Pos    `json:"pos"`
	Name string `json:"name,omitempty"` // "" = vmac_prefix + VRID
	MAC  string `json:"mac,omitempty"`
}

// Instance is a vrrp_instance block with every default resolved.
type Instance struct {
	Pos   Pos    `json:"pos"`
	Name  string `json:"name"`
	State State  `json:"state"`
	// Interface is the instance interface ("" only for unicast without one).
	Interface string `json:"interface,omitempty"`
	VRID      uint8  `json:"virtual_router_id"`
	// Priority is final: 255 for state MASTER without priority, else 100.
	Priority uint8 `json:"priority"`
	// AdvertInt is rounded: whole seconds for v2, 10 ms for v3.
	AdvertInt time.Duration `json:"advert_int"`
	// Version is 2 or 3 (IPv6 forces 3).
	Version int    `json:"version"`
	Family  Family `json:"family"`

	Nopreempt    bool          `json:"nopreempt,omitempty"`
	PreemptDelay time.Duration `json:"preempt_delay,omitempty"`
	// TimerExpiredBackup is keepalived 2.3's timer_expired_backup: the
	// highest priority of the other routers (254 when not given), 0 when
	// off. With nopreempt, a master that could not advertise for as long as
	// such a router waits before taking over goes BACKUP.
	TimerExpiredBackup uint8 `json:"timer_expired_backup,omitempty"`

	MulticastSource netip.Addr `json:"mcast_src_ip,omitzero"`
	UnicastSource   netip.Addr `json:"unicast_src_ip,omitzero"`
	// MulticastGroup is the advert destination in multicast mode (resolved
	// from mcast_dst_ip, else global vrrp_mcast_group4/6).
	MulticastGroup     netip.Addr    `json:"mcast_dst_ip"`
	UnicastPeers       []UnicastPeer `json:"unicast_peer,omitempty"`
	UnicastTTL         int           `json:"unicast_ttl"`
	UnicastFaultNoPeer bool          `json:"unicast_fault_no_peer,omitempty"`
	CheckUnicastSrc    bool          `json:"check_unicast_src,omitempty"`
	TrackSrcIP         bool          `json:"track_src_ip,omitempty"`
	// OldUnicastChecksum is old_unicast_checksum; Checksum is the form it
	// resolves to.
	OldUnicastChecksum UnicastChecksumCompat `json:"old_unicast_checksum,omitempty"`

	Auth *Authentication `json:"authentication,omitempty"`

	VirtualAddresses   []VirtualAddress `json:"virtual_ipaddress,omitempty"`
	ExcludedAddresses  []VirtualAddress `json:"virtual_ipaddress_excluded,omitempty"`
	NoVirtualAddresses bool             `json:"no_virtual_ipaddress,omitempty"`
	VirtualRoutes      []Route          `json:"virtual_routes,omitempty"`
	VirtualRules       []Rule           `json:"virtual_rules,omitempty"`

	Track            Tracking `json:"track"`
	DontTrackPrimary bool     `json:"dont_track_primary,omitempty"`
	Notify           Notify   `json:"notify"`
	SMTPAlert        bool     `json:"smtp_alert,omitempty"`

	// GARP is the global_defs GARP settings with this instance's overrides.
	GARP GARP `json:"garp"`

	// Accept is the final accept mode (accept/no_accept, strict default).
	Accept               bool         `json:"accept"`
	Strict               bool         `json:"strict_mode,omitempty"`
	SkipCheckAdvAddr     bool         `json:"skip_check_adv_addr,omitempty"`
	LowerPrioNoAdvert    bool         `json:"lower_prio_no_advert,omitempty"`
	HigherPrioSendAdvert bool         `json:"higher_prio_send_advert,omitempty"`
	OwnerIgnoreAdverts   bool         `json:"owner_ignore_adverts,omitempty"`
	DownTimerAdverts     int          `json:"down_timer_adverts"`
	Checksum             ChecksumMode `json:"checksum"`
	VMAC                 *VMAC        `json:"use_vmac,omitempty"`
	VMACXmitBase         bool         `json:"vmac_xmit_base,omitempty"`
	// IPVLAN is use_ipvlan. VRF is vrf as given: keepalived 2.2.7 looks the device up (and
	// refuses to start when it is missing) but clears it (VRFCleared) unless the instance has
	// no interface and has unicast peers, which havip, needing an interface, refuses.
	IPVLAN     *IPVLAN `json:"use_ipvlan,omitempty"`
	VRF        string  `json:"vrf,omitempty"`
	VRFCleared bool    `json:"vrf_cleared,omitempty"`
	// ConfigFaults are the reasons keepalived 2.2.7 counts as config faults: the instance
	// runs but stays in FAULT.
	ConfigFaults []string `json:"config_faults,omitempty"`
	// UseVMACAddr is use_vmac_addr: every VIP/eVIP on another interface than Interface, or of the
	// other family, goes on a VMAC of its own, as if it had use_vmac.
	UseVMACAddr        bool `json:"use_vmac_addr,omitempty"`
	PromoteSecondaries bool `json:"promote_secondaries,omitempty"`
	// LinkBeatUsePolling is the instance's deprecated linkbeat_use_polling:
	// its interface is polled.
	LinkBeatUsePolling bool `json:"linkbeat_use_polling,omitempty"`

	// SyncGroup is the name of the vrrp_sync_group holding this instance.
	SyncGroup string `json:"sync_group,omitempty"`
	// Settings are accepted keywords havip does not act on.
	Settings []Setting `json:"settings,omitempty"`

	// set records which keywords were given, for defaults and printing.
	set map[string]bool
}

// Unicast reports whether the instance sends unicast adverts.
func (in *Instance) Unicast() bool { return len(in.UnicastPeers) > 0 }

// InstanceKey is the identity keepalived uses to match an instance across
// reloads: not its name but VRID, family, interface and transport.
type InstanceKey struct {
	VRID      uint8      `json:"vrid"`
	Family    Family     `json:"family"`
	Interface string     `json:"interface"`
	Unicast   bool       `json:"unicast"`
	Address   netip.Addr `json:"address"` // unicast source or multicast group
	VMAC      bool       `json:"vmac"`
}

// Key returns the reload identity of the instance.
func (in *Instance) Key() InstanceKey {
	k := InstanceKey{VRID: in.VRID, Family: in.Family, Interface: in.Interface, Unicast: in.Unicast(), VMAC: in.VMAC != nil}
	if k.Unicast {
		k.Address = in.UnicastSource
	} else {
		k.Address = in.MulticastGroup
	}
	return k
}

// Script returns the vrrp_script called name, or nil.
func (c *Config) Script(name string) *Script {
	for _, s := range c.Scripts {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// TrackFile returns the track_file called name, or nil.
func (c *Config) TrackFile(name string) *TrackFile {
	for _, f := range c.TrackFiles {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// TrackProcess returns the vrrp_track_process called name, or nil.
func (c *Config) TrackProcess(name string) *TrackProcess {
	for _, p := range c.TrackProcesses {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Instance returns the vrrp_instance called name, or nil.
func (c *Config) Instance(name string) *Instance {
	for _, in := range c.Instances {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// SyncGroup returns the vrrp_sync_group called name, or nil.
func (c *Config) SyncGroup(name string) *SyncGroup {
	for _, g := range c.SyncGroups {
		if g.Name == name {
			return g
		}
	}
	return nil
}
