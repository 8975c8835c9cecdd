// Package vrrp is havip's VRRP protocol core: the advertisement codec
// (VRRPv2 RFC 3768, VRRPv3 RFC 5798/9568, IPv4 and IPv6) and the per-instance
// state machine, wire- and behaviour-compatible with keepalived 2.2.7. It is
// pure: it never opens a socket or reads the clock. The socket layer
// (runtime/netif) and the driver (runtime/engine) feed it bytes, events and
// the current time, and carry out the actions it returns.
//
// # Receiving
//
// The receive ladder of keepalived's vrrp_check_packet is split in two.
// Parse runs the packet-level checks once per packet in the socket reader
// (length, version 2|3, type, checksum in any accepted form, v3 interval ≠ 0,
// v3 count > 0, IPv6 first address link-local) and fills a reusable
// Received without allocating. Count the outcome in a Counters, demultiplex
// by (family, rx.VRID) — and, where instances share a VRID, by multicast
// group (rx.Dst) or unicast peer (rx.Src) — then hand the Received to
// Machine.Receive, which runs
// the instance checks (TTL or unicast min/max TTL, configured version, VRID,
// v2 PASS or AH and interval, multicast/unicast destination, unicast source, own
// address), counts drops per DropReason in the machine's Counters, and
// returns a Discard action for a dropped advert. As in keepalived, an advert
// whose address list differs from ours is dropped (DropAddrList: another
// router uses the VRID), except by a backup with SkipCheckAdvAddr from the
// master it follows.
//
// # Sending
//
// SendAdvert{Priority} asks the driver to call Machine.AppendAdvert once for
// each of Machine.Destinations (the multicast group or each unicast peer) and
// send the bytes with TTL 255 and TOS 0xc0. The checksum, including the IPv6
// or IPv4 pseudo-header, is already in place (ChecksumRFC5798 by default,
// ChecksumRFC9568 for keepalived's v3_checksum_as_v2); do not use
// IPV6_CHECKSUM.
//
// # IPsec-AH authentication
//
// An instance with AuthType AuthAH (VRRPv2, IPv4) speaks keepalived's
// auth_type AH: its adverts are IPv4 protocol 51 datagrams with a 24-byte
// Authentication Header whose ICV is HMAC-MD5-96 keyed by the 8-byte
// auth_pass (ah.go). The driver sends the whole datagram that
// Machine.AppendAHDatagram builds (IP_HDRINCL) and reads protocol 51 with
// ParseAH, which keeps the datagram in the Received; Machine.Receive checks
// the ICV, the SPI and a sequence number above the instance's counter, which
// it shares with sending as keepalived's ipsecah_counter does. Refusals count
// as DropAuthPass (keepalived's auth_failure), AH on one side only as
// DropAuthType.
//
// # Driving the machine
//
//	m, err := vrrp.New(cfg, primary)   // StateInit
//	acts := m.Start(now)               // BACKUP, or MASTER at once for the owner
//	// loop: on packet -> m.Receive(now, rx); at m.NextDeadline() -> m.Expire(now);
//	// on tracker change -> m.SetPriority / m.SetFault; on exit -> m.Stop(now)
//	// on reload -> m.Reconfigure(now, newCfg): same state, new settings
//
// Config.Validate checks an instance's settings without a source address
// (what a config checker needs); New and Reconfigure check the source
// address on top.
//
// Actions are returned in the order to perform them. Becoming master yields
// SendAdvert, AddVIPs, Announce (the GARP/NA burst), then Transition; leaving
// master yields RemoveVIPs (preceded by a priority-0 SendAdvert when entering
// FAULT or stopping), then Transition. Transition is always emitted after the
// actions that establish the new state, so notifications can run on it.
//
// Timers follow keepalived exactly, in time.Duration precision:
// Skew_Time = (256−priority)×Master_Adver_Interval/256 (v3) or
// (256−priority)/256 s (v2), and Master_Down_Interval = DownTimerAdverts ×
// Master_Adver_Interval + Skew_Time. A v3 backup learns the master's interval
// and recomputes both (RFC 9568). A priority-0 advert makes a backup time out
// after Skew_Time; a master answers a lower-priority advert with an advert
// (RFC 9568; LowerPrioNoAdvert restores RFC 5798) and a GarpLowerPrio burst,
// once per Master_Down_Interval, and restarts Adver_Timer from the answer. A
// master yielding to a higher priority sends one advert at its own priority
// first when HigherPrioSendAdvert is set (havip's default outside strict
// mode): the winner of a healed split brain hears it and re-announces.
// Equal priorities are broken by the unsigned big-endian comparison of the
// source address with ours.
//
// # Sync groups
//
// A member created with Config.SyncGroup never takes mastership by itself:
// when its down timer expires it emits RequestMaster and WantsMaster turns
// true (until it accepts a master's advert). A coordinator outside calls
// ForceMaster on every member once all of them WantsMaster, ForceBackup on
// the others when one member leaves MASTER, and SetFault on all of them when
// one faults.
//
// # Address owners
//
// Two owners (priority 255) on one VRID are resolved by the address
// tie-break, as keepalived 2.3 does (2.2.7 lowers the one that hears the
// other to 254); Config.OwnerIgnoreAdverts makes an owner drop every advert
// instead (RFC 9568).
//
// # Not implemented
//
// auth_hmac, keepalived 2.3's rogue-owner timer (an owner at the higher
// address that keeps hearing the other lowers itself), and an "auto"
// checksum mode.
package vrrp
