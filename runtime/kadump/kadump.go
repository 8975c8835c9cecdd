// Package kadump writes the state dumps keepalived 2.2.7 writes on signals —
// /tmp/keepalived.data and, for a config with virtual servers,
// /tmp/keepalived_check.data (SIGUSR1), /tmp/keepalived.stats (SIGUSR2) and
// /tmp/keepalived.json (SIGRTMIN+2) — from an engine snapshot, in
// keepalived's layouts line for line, because exporters and monitoring
// plugins parse them with fixed patterns. Lines keepalived prints about
// kernel objects havip does not have (socket descriptors, the kernel's read
// timeout) are left out; every line that is printed means what it means in
// keepalived.
package kadump

import (
	"os"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/vrrp"
)

// The files keepalived writes, in its dump directory (/tmp).
const (
	DataFile  = "keepalived.data"
	StatsFile = "keepalived.stats"
	JSONFile  = "keepalived.json"
	// CheckDataFile is the checker process's SIGUSR1 dump.
	CheckDataFile = "keepalived_check.data"
)

// DefaultDir is where keepalived writes its dumps.
const DefaultDir = "/tmp"

// Counters are an instance's statistics under keepalived's names (the keys
// of keepalived.json's "stats").
type Counters struct {
	AdvertRcvd        uint64 `json:"advert_rcvd"`
	AdvertSent        uint64 `json:"advert_sent"`
	BecomeMaster      uint64 `json:"become_master"`
	ReleaseMaster     uint64 `json:"release_master"`
	PacketLenErr      uint64 `json:"packet_len_err"`
	AdvertIntervalErr uint64 `json:"advert_interval_err"`
	IPTTLErr          uint64 `json:"ip_ttl_err"`
	InvalidTypeRcvd   uint64 `json:"invalid_type_rcvd"`
	AddrListErr       uint64 `json:"addr_list_err"`
	InvalidAuthtype   uint64 `json:"invalid_authtype"`
	AuthtypeMismatch  uint64 `json:"authtype_mismatch"`
	AuthFailure       uint64 `json:"auth_failure"`
	PriZeroRcvd       uint64 `json:"pri_zero_rcvd"`
	PriZeroSent       uint64 `json:"pri_zero_sent"`
}

// CountersOf maps an instance's statistics onto keepalived's counters: a
// packet too short or whose length disagrees with its address count is a
// length error, an auth type none of 0, 1, 2 an invalid auth type, another
// known one than the configured one a type mismatch, a wrong password or
// AH ICV an authentication failure.
func CountersOf(s engine.InstanceStats) Counters {
	return Counters{
		AdvertRcvd:        s.AdvertsReceived,
		AdvertSent:        s.AdvertsSent,
		BecomeMaster:      s.BecameMaster,
		ReleaseMaster:     s.ReleasedMaster,
		PacketLenErr:      s.Dropped(vrrp.DropTooShort, vrrp.DropLength),
		AdvertIntervalErr: s.Dropped(vrrp.DropIntervalMismatch),
		IPTTLErr:          s.Dropped(vrrp.DropTTL),
		InvalidTypeRcvd:   s.Dropped(vrrp.DropType),
		AddrListErr:       s.AddrListErrors,
		InvalidAuthtype:   s.Dropped(vrrp.DropAuthInvalid),
		AuthtypeMismatch:  s.Dropped(vrrp.DropAuthType),
		AuthFailure:       s.Dropped(vrrp.DropAuthPass),
		PriZeroRcvd:       s.PriorityZeroReceived,
		PriZeroSent:       s.PriorityZeroSent,
	}
}

// Dump is what the dumps are written from: the engine's snapshot and the
// running config's global settings and scripts.
type Dump struct {
	Snapshot engine.Snapshot
	// Config is the running config; nil prints the defaults.
	Config *config.Config
}

// Mode is the permissions of the dump files: readable by their owner only,
// as keepalived's.
const Mode os.FileMode = 0o600
