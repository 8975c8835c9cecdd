package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// DefaultDownTimerAdverts is the RFC's 3 in Master_Down_Interval =
// 3 × Master_Adver_Interval + Skew_Time (keepalived vrrp_down_timer_adverts).
const DefaultDownTimerAdverts = 3

// GarpConfig is the gratuitous ARP / unsolicited NA cadence. Its zero value
// announces nothing; DefaultGarpConfig returns keepalived's defaults.
type GarpConfig struct {
	MasterRepeat    int           // burst size on becoming master (vrrp_garp_master_repeat, default 5)
	MasterDelay     time.Duration // second burst this long after becoming master; 0 = none (default 5 s)
	MasterRefresh   time.Duration // periodic burst while master; 0 = off (default)
	RefreshRepeat   int           // burst size of a periodic refresh (default 1)
	LowerPrioRepeat int           // burst when the master sees a lower-priority advert (default = MasterRepeat)
	LowerPrioDelay  time.Duration // second lower-priority burst after this; 0 = none (default = MasterDelay)
}

// DefaultGarpConfig returns keepalived's global defaults.
func DefaultGarpConfig() GarpConfig {
	return GarpConfig{
		MasterRepeat:    5,
		MasterDelay:     5 * time.Second,
		RefreshRepeat:   1,
		LowerPrioRepeat: 5,
		LowerPrioDelay:  5 * time.Second,
	}
}

// Peer is a unicast peer (keepalived unicast_peer). MinTTL/MaxTTL of zero
// mean "not checked"; setting either implies the source check.
type Peer struct {
	Addr           netip.Addr
	MinTTL, MaxTTL uint8
}

// Config is one VRRP instance. Field defaults follow keepalived where the
// zero value allows it (NoPreempt rather than Preempt, for instance).
type Config struct {
	Name     string
	VRID     uint8 // 1..255
	Version  uint8 // 2 (IPv4 only) or 3
	Priority uint8 // 1..255; 255 = address owner, never adjusted
	// AdvertInterval is Advertisement_Interval: whole seconds 1..255 s for
	// v2, a multiple of 10 ms in 10 ms..40.95 s for v3.
	AdvertInterval time.Duration
	NoPreempt      bool          // keepalived nopreempt
	PreemptDelay   time.Duration // keepalived preempt_delay; 0 = none
	// WantMaster is keepalived "state MASTER". It does not shorten the wait
	// of a non-owner (which still waits Master_Down_Interval); as in
	// keepalived it cancels NoPreempt and PreemptDelay.
	WantMaster bool
	Addrs      []netip.Addr // advertised VIPs, all of the instance's family
	AuthType   AuthType     // v2 only: AuthNone, AuthPass or AuthAH
	AuthPass   string       // v2 PASS password or AH key; truncated to 8 bytes, zero-padded
	// Checksum is the v3/IPv4 transmit checksum form: ChecksumRFC5798
	// (default, keepalived default), ChecksumRFC9568 (v3_checksum_as_v2) or,
	// with unicast peers only, ChecksumLegacyUnicast (old_unicast_checksum).
	// Every form is accepted on receive.
	Checksum             ChecksumForm
	LowerPrioNoAdvert    bool // vrrp_lower_prio_no_advert: RFC 5798 behaviour
	HigherPrioSendAdvert bool // vrrp_higher_prio_send_advert
	DownTimerAdverts     int  // 1..100; 0 means DefaultDownTimerAdverts
	Garp                 GarpConfig
	Peers                []Peer // unicast peers; empty = multicast
	CheckUnicastSrc      bool   // drop unicast adverts from non-peers
	// SkipCheckAdvAddr (skip_check_adv_addr) lets a backup accept an advert
	// whose address list differs from ours when it comes from the master it
	// already follows; any other such advert is dropped (DropAddrList).
	SkipCheckAdvAddr bool
	// Strict is keepalived's vrrp_strict / strict_mode receive rule of RFC
	// 9568 erratum 8300: an IPv6 advert's first address must be link-local.
	// Off by default because keepalived 2.2.7 sends its configured VIPs only.
	Strict bool
	// OwnerIgnoreAdverts (keepalived 2.3 owner_ignore_adverts, implied by
	// vrrp_strict for an owner, as RFC 9568 has it): while its priority is
	// 255 the instance drops every advert that reaches this check
	// (DropOwnerIgnores), so another owner can never make it yield.
	OwnerIgnoreAdverts bool
	// TimerExpiredBackup (keepalived 2.3 timer_expired_backup, with
	// nopreempt) is the highest priority of the other routers; 0 = off.
	// A MASTER that finds, at its next timer or advert, that it has not
	// advertised for 3 × Advertisement_Interval plus the Skew_Time of that
	// priority (havip was frozen or starved of CPU) assumes another router
	// took over and goes BACKUP without a priority-0 advert.
	TimerExpiredBackup uint8
	// SyncGroup makes the instance a sync-group member: instead of taking
	// mastership by itself it emits RequestMaster and waits for the group
	// coordinator's ForceMaster.
	SyncGroup bool
}

// Equal reports whether c and o configure the same instance.
func (c Config) Equal(o Config) bool {
	return c.Name == o.Name && c.VRID == o.VRID && c.Version == o.Version && c.Priority == o.Priority &&
		c.AdvertInterval == o.AdvertInterval && c.NoPreempt == o.NoPreempt && c.PreemptDelay == o.PreemptDelay &&
		c.WantMaster == o.WantMaster && slices.Equal(c.Addrs, o.Addrs) && c.AuthType == o.AuthType &&
		c.AuthPass == o.AuthPass && c.Checksum == o.Checksum && c.LowerPrioNoAdvert == o.LowerPrioNoAdvert &&
		c.HigherPrioSendAdvert == o.HigherPrioSendAdvert && c.DownTimerAdverts == o.DownTimerAdverts &&
		c.Garp == o.Garp && slices.Equal(c.Peers, o.Peers) && c.CheckUnicastSrc == o.CheckUnicastSrc &&
		c.SkipCheckAdvAddr == o.SkipCheckAdvAddr && c.Strict == o.Strict && c.SyncGroup == o.SyncGroup &&
		c.OwnerIgnoreAdverts == o.OwnerIgnoreAdverts && c.TimerExpiredBackup == o.TimerExpiredBackup
}

// ErrConfig is wrapped by every configuration error of Validate, New,
// Reconfigure and SetPrimary.
var ErrConfig = errors.New("vrrp: invalid instance configuration")

func configErr(name, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrConfig, name, fmt.Sprintf(format, args...))
}

// advertIntervalField validates the interval and returns its wire value.
func (c *Config) advertIntervalField() (uint16, error) {
	iv := c.AdvertInterval
	if c.Version == 2 {
		if iv%time.Second != 0 || iv < time.Second || iv > v2MaxAdverInt*time.Second {
			return 0, configErr(c.Name, "v2 advert interval %v must be whole seconds in 1s..255s", iv)
		}
		return uint16(iv / time.Second), nil
	}
	if iv%(10*time.Millisecond) != 0 || iv < 10*time.Millisecond || iv > v3MaxAdverInt*10*time.Millisecond {
		return 0, configErr(c.Name, "v3 advert interval %v must be a multiple of 10ms in 10ms..40.95s", iv)
	}
	return uint16(iv / (10 * time.Millisecond)), nil
}

// Validate reports the first setting of c that no machine can run with.
// It checks everything that does not depend on the source address: New and
// Reconfigure also check that the source address is of the instance's
// family (that of its addresses and peers).
func (c *Config) Validate() error {
	ipv6, known := c.family()
	if c.VRID == 0 {
		return configErr(c.Name, "VRID must be 1..255")
	}
	if c.Version != 2 && c.Version != 3 {
		return configErr(c.Name, "version %d is not 2 or 3", c.Version)
	}
	if c.Version == 2 && known && ipv6 {
		return configErr(c.Name, "VRRPv2 is IPv4 only")
	}
	if c.Priority == 0 {
		return configErr(c.Name, "priority must be 1..255")
	}
	if c.TimerExpiredBackup == PriorityOwner {
		return configErr(c.Name, "timer_expired_backup priority must be 1..254")
	}
	if c.DownTimerAdverts < 0 || c.DownTimerAdverts > 100 {
		return configErr(c.Name, "down_timer_adverts %d outside 1..100", c.DownTimerAdverts)
	}
	if len(c.Addrs) > MaxAddrs {
		return configErr(c.Name, "%d addresses, at most %d", len(c.Addrs), MaxAddrs)
	}
	for _, a := range c.Addrs {
		if !a.IsValid() || a.Is6() != ipv6 || a.Is4In6() {
			return configErr(c.Name, "address %v is not of the instance's address family (IPv%d)", a, familyNumber(ipv6))
		}
	}
	for _, p := range c.Peers {
		if !p.Addr.IsValid() || p.Addr.Is6() != ipv6 || p.Addr.Is4In6() {
			return configErr(c.Name, "unicast peer %v is not of the instance's address family (IPv%d)", p.Addr, familyNumber(ipv6))
		}
		if p.MaxTTL != 0 && p.MinTTL > p.MaxTTL {
			return configErr(c.Name, "unicast peer %v min_ttl %d > max_ttl %d", p.Addr, p.MinTTL, p.MaxTTL)
		}
	}
	switch c.AuthType {
	case AuthNone:
	case AuthPass:
		if c.Version != 2 {
			return configErr(c.Name, "PASS authentication is VRRPv2 only")
		}
	case AuthAH:
		if c.Version != 2 {
			return configErr(c.Name, "AH authentication is VRRPv2 only")
		}
	default:
		return configErr(c.Name, "authentication type %v not supported", c.AuthType)
	}
	switch {
	case c.Checksum == ChecksumRFC5798 || c.Checksum == ChecksumRFC9568:
	case c.Checksum == ChecksumLegacyUnicast && len(c.Peers) > 0:
	default:
		return configErr(c.Name, "transmit checksum form %v not allowed (legacy form needs unicast peers)", c.Checksum)
	}
	g := c.Garp
	if g.MasterRepeat < 0 || g.RefreshRepeat < 0 || g.LowerPrioRepeat < 0 ||
		g.MasterDelay < 0 || g.MasterRefresh < 0 || g.LowerPrioDelay < 0 || c.PreemptDelay < 0 {
		return configErr(c.Name, "negative GARP or preempt_delay setting")
	}
	_, err := c.advertIntervalField()
	return err
}

// family returns whether the instance is IPv6, taken from its first address
// or else its first peer; known is false when it has neither.
func (c *Config) family() (ipv6, known bool) {
	switch {
	case len(c.Addrs) > 0:
		return c.Addrs[0].Is6(), true
	case len(c.Peers) > 0:
		return c.Peers[0].Addr.Is6(), true
	}
	return false, false
}

// checkSource reports a source address that cannot carry c's adverts: not an
// address, or not of the family of c's addresses and peers (VRRPv2 being
// IPv4 only).
func (c *Config) checkSource(primary netip.Addr) error {
	if !primary.IsValid() || primary.Is4In6() {
		return configErr(c.Name, "invalid primary (source) address %v", primary)
	}
	if ipv6, known := c.family(); known && ipv6 != primary.Is6() {
		return configErr(c.Name, "source address %v is not of the instance's address family (IPv%d)", primary, familyNumber(ipv6))
	}
	if c.Version == 2 && primary.Is6() {
		return configErr(c.Name, "VRRPv2 is IPv4 only")
	}
	return nil
}

func familyNumber(ipv6 bool) int {
	if ipv6 {
		return 6
	}
	return 4
}
