package vrrp

import "fmt"

// DropReason says why a received packet was discarded. DropNone means it
// was accepted.
type DropReason int

// Drop reasons, packet-level (reported by Parse/Decode) first, then
// instance-level (reported by Machine.Receive as a Discard action).
const (
	DropNone DropReason = iota
	// Packet-level.
	DropTooShort     // shorter than the 8-byte header
	DropBadVersion   // version not 2 or 3, or v2 over IPv6
	DropType         // type is not 1 (ADVERTISEMENT)
	DropLength       // length disagrees with the address count
	DropChecksum     // no acceptable checksum form matched
	DropZeroInterval // v3 Max Adver Int is 0 (RFC 9568 erratum 8301)
	DropNoAddrs      // v3 count is 0 (RFC 9568 erratum 8299)
	DropNotVRRP      // an IPsec-AH datagram that does not carry VRRP (not protocol 51, or next header not 112)
	// Instance-level.
	DropTTL              // TTL/hop limit not 255 (multicast) or outside the peer's min/max (unicast)
	DropFamily           // address family differs from the instance's
	DropVersionMismatch  // version differs from the configured one
	DropVRID             // VRID differs from the instance's
	DropAuthInvalid      // v2 auth type is none of 0, 1, 2 (keepalived invalid_authtype)
	DropAuthType         // v2 auth type differs from the configured one, or an AH header arrived where none is expected or the reverse
	DropAuthPass         // v2 authentication failure: PASS data differs, or the AH ICV, SPI or sequence number is refused
	DropIntervalMismatch // v2 advert interval differs from ours
	DropDestination      // multicast destination in unicast mode or vice versa
	DropAddrList         // address list differs from ours (keepalived addr_list_err)
	DropUnknownPeer      // unicast source is not a configured peer (check_unicast_src)
	DropOwnAddress       // equal priority advert carrying our own address
	DropNotLinkLocal     // strict mode: IPv6 first address not link-local (erratum 8300)
	DropOwnerIgnores     // owner_ignore_adverts: the address owner ignores every advert
	dropReasonCount
)

var dropReasonNames = [dropReasonCount]string{
	DropNone:             "accepted",
	DropTooShort:         "too short",
	DropBadVersion:       "bad version",
	DropType:             "not an advertisement",
	DropLength:           "bad length",
	DropChecksum:         "bad checksum",
	DropZeroInterval:     "zero advert interval",
	DropNoAddrs:          "no addresses",
	DropNotVRRP:          "AH datagram not carrying VRRP",
	DropNotLinkLocal:     "first IPv6 address not link-local",
	DropTTL:              "bad TTL",
	DropFamily:           "address family mismatch",
	DropVersionMismatch:  "version mismatch",
	DropVRID:             "VRID mismatch",
	DropAuthInvalid:      "invalid auth type",
	DropAuthType:         "auth type mismatch",
	DropAuthPass:         "authentication failure",
	DropIntervalMismatch: "advert interval mismatch",
	DropDestination:      "destination mode mismatch",
	DropAddrList:         "address list mismatch",
	DropUnknownPeer:      "source is not a unicast peer",
	DropOwnAddress:       "equal priority advert from our own address",
	DropOwnerIgnores:     "address owner ignores adverts",
}

func (r DropReason) String() string {
	if r >= 0 && r < dropReasonCount {
		return dropReasonNames[r]
	}
	return fmt.Sprintf("drop-reason-%d", int(r))
}

// DropReasons lists every drop reason (DropNone excluded), for exporting
// counters.
func DropReasons() []DropReason {
	rs := make([]DropReason, 0, dropReasonCount-1)
	for r := DropNone + 1; r < dropReasonCount; r++ {
		rs = append(rs, r)
	}
	return rs
}

// Counters counts received packets. The socket reader keeps one for the
// packet-level checks; each Machine keeps one for its instance-level checks.
// The zero value is ready to use; it is not safe for concurrent use.
type Counters struct {
	Accepted  uint64                    // packets that passed this stage
	Drops     [dropReasonCount]uint64   // indexed by DropReason
	Checksums [checksumFormCount]uint64 // accepted packets per checksum form that matched
}

// Count records the outcome of one Parse call.
func (c *Counters) Count(reason DropReason, form ChecksumForm) {
	if reason == DropNone {
		c.Accepted++
		if form < checksumFormCount {
			c.Checksums[form]++
		}
		return
	}
	c.Drop(reason)
}

// Drop counts one discarded packet.
func (c *Counters) Drop(reason DropReason) {
	if reason > DropNone && reason < dropReasonCount {
		c.Drops[reason]++
	}
}

// Dropped returns the count for one reason.
func (c *Counters) Dropped(reason DropReason) uint64 {
	if reason > DropNone && reason < dropReasonCount {
		return c.Drops[reason]
	}
	return 0
}

// MarshalText names the reason, so that maps keyed by DropReason encode with
// readable keys.
func (r DropReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a name MarshalText wrote, so that the snapshot's JSON
// reads back.
func (r *DropReason) UnmarshalText(b []byte) error {
	for i, name := range dropReasonNames {
		if name == string(b) {
			*r = DropReason(i)
			return nil
		}
	}
	return fmt.Errorf("vrrp: unknown drop reason %q", b)
}

// Stats counts one instance's activity as keepalived's statistics dump
// (SIGUSR2) reports it. The driver feeds it every action a Machine returns
// (Tally) and every advert it hands to Machine.Receive (Received); the
// machine's own Counters hold the receive-side drops. The zero value is
// ready to use; it is not safe for concurrent use.
type Stats struct {
	AdvertsReceived      uint64 `json:"advert_rcvd"`
	AdvertsSent          uint64 `json:"advert_sent"`
	BecameMaster         uint64 `json:"become_master"`
	ReleasedMaster       uint64 `json:"release_master"`
	PriorityZeroReceived uint64 `json:"pri_zero_rcvd"`
	PriorityZeroSent     uint64 `json:"pri_zero_sent"`
}

// Tally counts the adverts acts send and the transitions into and out of
// MASTER they report.
func (s *Stats) Tally(acts []Action) {
	for _, act := range acts {
		switch a := act.(type) {
		case SendAdvert:
			s.AdvertsSent++
			if a.Priority == PriorityStop {
				s.PriorityZeroSent++
			}
		case Transition:
			if a.To == StateMaster && a.From != StateMaster {
				s.BecameMaster++
			}
			if a.From == StateMaster && a.To != StateMaster {
				s.ReleasedMaster++
			}
		}
	}
}

// Received counts one advert handed to Machine.Receive.
func (s *Stats) Received(rx *Received) {
	s.AdvertsReceived++
	if rx.Priority == PriorityStop {
		s.PriorityZeroReceived++
	}
}
