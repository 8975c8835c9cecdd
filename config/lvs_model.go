package config

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// LVS defaults of keepalived 2.2.7 (keepalived.conf(5) and keepalived -t).
const (
	DefaultDelayLoop          = 60 * time.Second
	DefaultConnectTimeout     = 5 * time.Second
	DefaultPersistenceTimeout = 360 // seconds, for a bare persistence_timeout
	DefaultScheduler          = "wlc"
	DefaultMethod             = "NAT"
	// DefaultProtocol is what keepalived 2.2.7 uses, with a warning, when
	// a virtual_server has no protocol.
	DefaultProtocol      = "UDP"
	DefaultUDPMaxReply   = 255
	DefaultDNSType       = "SOA"
	DefaultDNSName       = "."
	DefaultHTTPProtocol  = "1.0"
	defaultHTTPRetryWait = 3 * time.Second
	defaultRetryWait     = time.Second
)

// Checker types.
const (
	CheckTCP  = "TCP_CHECK"
	CheckHTTP = "HTTP_GET"
	CheckSSL  = "SSL_GET"
	CheckMisc = "MISC_CHECK"
	CheckDNS  = "DNS_CHECK"
	CheckSMTP = "SMTP_CHECK"
	CheckPing = "PING_CHECK"
	CheckUDP  = "UDP_CHECK"
)

// VirtualServerGroup is a virtual_server_group block.
type VirtualServerGroup struct {
	Pos     Pos        `json:"pos"`
	Name    string     `json:"name"`
	Entries []VSGEntry `json:"entries"`
}

// VSGEntry is one line of a virtual_server_group: an address range with an
// optional port, or a firewall mark.
type VSGEntry struct {
	Pos Pos `json:"pos"`
	// First and Last are the address range (equal for one address).
	First netip.Addr `json:"first,omitzero"`
	Last  netip.Addr `json:"last,omitzero"`
	Port  uint16     `json:"port,omitempty"`
	// Fwmark is set for "fwmark N [inet|inet6]"; Family is 0 when not given.
	Fwmark uint32 `json:"fwmark,omitempty"`
	Family Family `json:"family,omitempty"`
}

// VirtualServer is a virtual_server block with every default resolved: the
// health-check settings given on the virtual or real server are resolved
// into each Checker.
type VirtualServer struct {
	Pos Pos `json:"pos"`
	// Exactly one of Addr, Fwmark and Group identifies the service.
	Addr   netip.Addr `json:"addr,omitzero"`
	Port   uint16     `json:"port,omitempty"`
	Fwmark uint32     `json:"fwmark,omitempty"`
	Group  string     `json:"group,omitempty"`
	Family Family     `json:"family"`
	// IPFamily is ip_family as written (0 = not given).
	IPFamily Family `json:"ip_family,omitempty"`

	Protocol   string   `json:"protocol,omitempty"` // TCP, UDP or SCTP; "" for fwmark
	Scheduler  string   `json:"lvs_sched"`          // lb_algo
	Method     Method   `json:"lvs_method"`
	SchedFlags []string `json:"sched_flags,omitempty"` // flag-1..3, sh-port, sh-fallback, mh-port, mh-fallback
	OnePacket  bool     `json:"ops,omitempty"`

	// PersistenceTimeout is in seconds; 0 = not persistent.
	PersistenceTimeout     int    `json:"persistence_timeout,omitempty"`
	PersistenceGranularity string `json:"persistence_granularity,omitempty"`
	PersistenceEngine      string `json:"persistence_engine,omitempty"`

	HASuspend  bool     `json:"ha_suspend,omitempty"`
	Omega      bool     `json:"omega,omitempty"`
	Quorum     int      `json:"quorum"`
	Hysteresis int      `json:"hysteresis,omitempty"`
	QuorumUp   *Command `json:"quorum_up,omitempty"`
	QuorumDown *Command `json:"quorum_down,omitempty"`

	Sorry       *SorryServer  `json:"sorry_server,omitempty"`
	RealServers []*RealServer `json:"real_servers"`
	// Settings are accepted keywords havip does not act on.
	Settings []Setting `json:"settings,omitempty"`
}

// Method is an LVS forwarding method: NAT, DR or TUN with its tunnel
// options as written.
type Method struct {
	Kind   string   `json:"kind"`
	Tunnel []string `json:"tunnel,omitempty"`
}

// SorryServer is the sorry_server of a virtual server.
type SorryServer struct {
	Pos     Pos        `json:"pos"`
	Addr    netip.Addr `json:"addr"`
	Port    uint16     `json:"port,omitempty"`
	Inhibit bool       `json:"sorry_server_inhibit,omitempty"`
	Method  Method     `json:"lvs_method"`
}

// RealServer is a real_server block.
type RealServer struct {
	Pos              Pos        `json:"pos"`
	Addr             netip.Addr `json:"addr"`
	Port             uint16     `json:"port,omitempty"`
	Weight           int        `json:"weight"`
	Method           Method     `json:"lvs_method"`
	InhibitOnFailure bool       `json:"inhibit_on_failure,omitempty"`
	NotifyUp         *Command   `json:"notify_up,omitempty"`
	NotifyDown       *Command   `json:"notify_down,omitempty"`
	UThreshold       int        `json:"uthreshold,omitempty"`
	LThreshold       int        `json:"lthreshold,omitempty"`
	Checkers         []*Checker `json:"checkers,omitempty"`
	Settings         []Setting  `json:"settings,omitempty"`
}

// Checker is one health checker of a real server, with the settings
// inherited from the real and virtual server resolved.
type Checker struct {
	Pos  Pos    `json:"pos"`
	Type string `json:"type"`

	ConnectIP   netip.Addr `json:"connect_ip,omitzero"`
	ConnectPort uint16     `json:"connect_port,omitempty"`
	BindTo      netip.Addr `json:"bindto,omitzero"`
	BindIf      string     `json:"bind_if,omitempty"`
	BindPort    uint16     `json:"bind_port,omitempty"`
	Fwmark      uint32     `json:"fwmark,omitempty"`

	Alpha            bool          `json:"alpha,omitempty"`
	ConnectTimeout   time.Duration `json:"connect_timeout"`
	DelayLoop        time.Duration `json:"delay_loop"`
	Retry            int           `json:"retry"`
	DelayBeforeRetry time.Duration `json:"delay_before_retry"`
	// Warmup is the upper bound of the random delay before the first check.
	Warmup         time.Duration `json:"warmup"`
	LogAllFailures bool          `json:"log_all_failures,omitempty"`

	HTTP *HTTPCheck `json:"http,omitempty"` // HTTP_GET, SSL_GET
	SMTP *SMTPCheck `json:"smtp,omitempty"`
	DNS  *DNSCheck  `json:"dns,omitempty"`
	Misc *MiscCheck `json:"misc,omitempty"`
	UDP  *UDPCheck  `json:"udp,omitempty"`
}

// HTTPCheck holds HTTP_GET / SSL_GET settings.
type HTTPCheck struct {
	Protocol     string `json:"http_protocol"` // 1.0, 1.0C or 1.1
	FastRecovery bool   `json:"fast_recovery,omitempty"`
	EnableSNI    bool   `json:"enable_sni,omitempty"`
	// Virtualhost is the Host header for URLs without their own: the
	// checker's, else the real server's, else the virtual server's.
	Virtualhost string `json:"virtualhost,omitempty"`
	URLs        []URL  `json:"url"`
}

// URL is one url block of an HTTP checker.
type URL struct {
	Pos  Pos    `json:"pos"`
	Path string `json:"path"`
	// Digest is the lower-case hex MD5 of the body ("" = not checked).
	Digest string `json:"digest,omitempty"`
	// StatusCodes are inclusive ranges; keepalived's default is 200-299.
	StatusCodes  []CodeRange `json:"status_code"`
	Virtualhost  string      `json:"virtualhost,omitempty"`
	Regex        string      `json:"regex,omitempty"`
	RegexNoMatch bool        `json:"regex_no_match,omitempty"`
}

// CodeRange is an inclusive range of HTTP status codes.
type CodeRange struct {
	Lo int `json:"lo"`
	Hi int `json:"hi"`
}

// SMTPCheck holds SMTP_CHECK settings.
type SMTPCheck struct {
	// HeloName is "" for the host name.
	HeloName string `json:"helo_name,omitempty"`
}

// DNSCheck holds DNS_CHECK settings.
type DNSCheck struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// MiscCheck holds MISC_CHECK settings.
type MiscCheck struct {
	Path Command `json:"misc_path"`
	// Timeout is 0 for the checker's delay_loop, as keepalived.
	Timeout time.Duration `json:"misc_timeout,omitempty"`
	Dynamic bool          `json:"misc_dynamic,omitempty"`
	User    string        `json:"user,omitempty"`
	Group   string        `json:"group,omitempty"`
}

// UDPCheck holds UDP_CHECK settings.
type UDPCheck struct {
	// Payload is sent as the datagram ("" = random bytes); hex as
	// written, normalised to lower case pairs.
	Payload string `json:"payload,omitempty"`
	// RequireReply means a reply must come; ReplyPattern (hex pairs, 'x'
	// for a nibble that is not checked) must then match its start.
	RequireReply   bool   `json:"require_reply,omitempty"`
	ReplyPattern   string `json:"reply_pattern,omitempty"`
	MinReplyLength int    `json:"min_reply_length,omitempty"`
	MaxReplyLength int    `json:"max_reply_length"`
}

// SSLContext is the top-level SSL block used by SSL_GET checkers.
type SSLContext struct {
	Pos         Pos    `json:"pos"`
	Password    string `json:"password,omitempty"`
	CA          string `json:"ca,omitempty"`
	Certificate string `json:"certificate,omitempty"`
	Key         string `json:"key,omitempty"`
}

// Name returns the virtual server as keepalived names it in logs:
// [ADDR]:PROTO:PORT, FWM N or GROUP NAME.
func (vs *VirtualServer) Name() string {
	switch {
	case vs.Group != "":
		return "group " + vs.Group
	case vs.Fwmark != 0:
		return "fwmark " + strconv.FormatUint(uint64(vs.Fwmark), 10)
	}
	return "[" + vs.Addr.String() + "]:" + strings.ToLower(vs.Protocol) + ":" + strconv.Itoa(int(vs.Port))
}

// Name returns "[ADDR]:PORT".
func (rs *RealServer) Name() string {
	return "[" + rs.Addr.String() + "]:" + strconv.Itoa(int(rs.Port))
}

// VirtualServerGroup returns the virtual_server_group called name, or nil.
func (c *Config) VirtualServerGroup(name string) *VirtualServerGroup {
	for _, g := range c.VirtualServerGroups {
		if g.Name == name {
			return g
		}
	}
	return nil
}
