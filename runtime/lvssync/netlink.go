package lvssync

import (
	"errors"
	"fmt"
	"os"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// Values of linux/ip_vs.h.
const (
	genlName    = "IPVS"
	genlVersion = 1 // IPVS_GENL_VERSION

	cmdNewDaemon = 9  // IPVS_CMD_NEW_DAEMON
	cmdDelDaemon = 10 // IPVS_CMD_DEL_DAEMON

	cmdAttrDaemon = 3 // IPVS_CMD_ATTR_DAEMON, nested

	daemonAttrState       = 1 // IPVS_DAEMON_ATTR_STATE, u32
	daemonAttrMcastIfn    = 2 // IPVS_DAEMON_ATTR_MCAST_IFN, NUL-terminated string
	daemonAttrSyncID      = 3 // IPVS_DAEMON_ATTR_SYNC_ID, u32
	daemonAttrSyncMaxlen  = 4 // IPVS_DAEMON_ATTR_SYNC_MAXLEN, u16
	daemonAttrMcastGroup  = 5 // IPVS_DAEMON_ATTR_MCAST_GROUP, struct in_addr
	daemonAttrMcastGroup6 = 6 // IPVS_DAEMON_ATTR_MCAST_GROUP6, struct in6_addr
	daemonAttrMcastPort   = 7 // IPVS_DAEMON_ATTR_MCAST_PORT, u16 (host order, as the kernel reads it)
	daemonAttrMcastTTL    = 8 // IPVS_DAEMON_ATTR_MCAST_TTL, u8
)

// Netlink is the kernel's IPVS over generic netlink. Each call opens its
// own socket: the daemons change state only on VRRP transitions.
type Netlink struct{}

// Start starts the daemon of state with c (IPVS_CMD_NEW_DAEMON).
func (Netlink) Start(state State, c Config) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("starting the %s sync daemon: %w", state, err)
	}
	attrs, err := encodeStart(state, c)
	if err != nil {
		return fmt.Errorf("starting the %s sync daemon: %w", state, err)
	}
	if err := execute(cmdNewDaemon, attrs); err != nil {
		return fmt.Errorf("starting the %s sync daemon on %s (sync id %d): %w", state, c.Interface, c.SyncID, err)
	}
	return nil
}

// Stop stops the daemon of state (IPVS_CMD_DEL_DAEMON).
func (Netlink) Stop(state State, syncID uint8) error {
	attrs, err := encodeStop(state, syncID)
	if err != nil {
		return fmt.Errorf("stopping the %s sync daemon: %w", state, err)
	}
	if err := execute(cmdDelDaemon, attrs); err != nil {
		return fmt.Errorf("stopping the %s sync daemon (sync id %d): %w", state, syncID, err)
	}
	return nil
}

// encodeStart returns the attributes of IPVS_CMD_NEW_DAEMON, in
// keepalived's order: state, interface, sync id, then the options set.
func encodeStart(state State, c Config) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrDaemon, func(d *netlink.AttributeEncoder) error {
		d.Uint32(daemonAttrState, uint32(state))
		d.String(daemonAttrMcastIfn, c.Interface)
		d.Uint32(daemonAttrSyncID, uint32(c.SyncID))
		if c.MaxLen != 0 {
			d.Uint16(daemonAttrSyncMaxlen, c.MaxLen)
		}
		if c.Port != 0 {
			d.Uint16(daemonAttrMcastPort, c.Port)
		}
		if c.TTL != 0 {
			d.Uint8(daemonAttrMcastTTL, c.TTL)
		}
		switch {
		case c.Group.Is4():
			b := c.Group.As4()
			d.Bytes(daemonAttrMcastGroup, b[:])
		case c.Group.Is6():
			b := c.Group.As16()
			d.Bytes(daemonAttrMcastGroup6, b[:])
		}
		return nil
	})
	return ae.Encode()
}

// encodeStop returns the attributes of IPVS_CMD_DEL_DAEMON: the state and,
// as keepalived sends it, the sync id (the kernel reads only the state).
func encodeStop(state State, syncID uint8) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrDaemon, func(d *netlink.AttributeEncoder) error {
		d.Uint32(daemonAttrState, uint32(state))
		d.Uint32(daemonAttrSyncID, uint32(syncID))
		return nil
	})
	return ae.Encode()
}

// execute sends one IPVS command with attrs and waits for the kernel's
// acknowledgement.
func execute(cmd uint8, attrs []byte) error {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return fmt.Errorf("opening a generic netlink socket: %w", err)
	}
	defer c.Close()
	f, err := c.GetFamily(genlName)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return ErrUnavailable
		}
		return fmt.Errorf("resolving the generic netlink family %q: %w", genlName, err)
	}
	msg := genetlink.Message{Header: genetlink.Header{Command: cmd, Version: genlVersion}, Data: attrs}
	if _, err := c.Execute(msg, f.ID, netlink.Request|netlink.Acknowledge); err != nil {
		return err
	}
	return nil
}
