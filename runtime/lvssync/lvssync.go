// Package lvssync starts and stops the kernel's IPVS connection
// synchronisation daemons (keepalived's lvs_sync_daemon): a master daemon
// sends the connections of this director to the backup daemons of the
// others, which install them so that a failover keeps established
// connections.
//
// Netlink talks to the kernel through the generic netlink family "IPVS"
// (IPVS_CMD_NEW_DAEMON / IPVS_CMD_DEL_DAEMON, as keepalived's libipvs does);
// Recorder is a fake for tests.
package lvssync

import (
	"errors"
	"fmt"
	"net/netip"
)

// State is the role of a sync daemon: IP_VS_STATE_MASTER or
// IP_VS_STATE_BACKUP of linux/ip_vs.h.
type State uint32

// The daemon roles.
const (
	Master State = 1
	Backup State = 2
)

// String returns "master" or "backup".
func (s State) String() string {
	switch s {
	case Master:
		return "master"
	case Backup:
		return "backup"
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// IfnameMaxLen is IP_VS_IFNAME_MAXLEN: an interface name has fewer bytes.
const IfnameMaxLen = 16

// Config is what a daemon is started with; a zero MaxLen, Port, TTL or an
// invalid Group leaves the kernel's default (the interface MTU, 8848, 1,
// 224.0.0.81).
type Config struct {
	Interface string
	SyncID    uint8
	MaxLen    uint16
	Port      uint16
	TTL       uint8
	Group     netip.Addr
}

// Validate reports a config the kernel would refuse for its shape.
func (c Config) Validate() error {
	switch {
	case c.Interface == "":
		return errors.New("no interface")
	case len(c.Interface) >= IfnameMaxLen:
		return fmt.Errorf("interface name %q is longer than %d bytes", c.Interface, IfnameMaxLen-1)
	case c.Group.IsValid() && !c.Group.IsMulticast():
		return fmt.Errorf("group %s is not a multicast address", c.Group)
	}
	return nil
}

// Daemon starts and stops sync daemons. Stopping one that does not run is
// an error, as starting one that runs is.
type Daemon interface {
	Start(State, Config) error
	Stop(state State, syncID uint8) error
}

// ErrUnavailable is returned (wrapped) when the kernel has no IPVS: the
// generic netlink family "IPVS" does not exist.
var ErrUnavailable = errors.New("the kernel has no IPVS (generic netlink family \"IPVS\" not found; is the ip_vs module available?)")
