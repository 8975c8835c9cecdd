package kadump

import (
	"bufio"
	"fmt"
	"io"
)

// WriteStats writes keepalived.stats: every instance's counters.
func WriteStats(w io.Writer, d Dump) error {
	b := bufio.NewWriter(w)
	for _, inst := range d.Snapshot.Instances {
		c := CountersOf(inst.Stats)
		fmt.Fprintf(b, "VRRP Instance: %s\n", inst.Name)
		fmt.Fprintf(b, "  Advertisements:\n    Received: %d\n    Sent: %d\n", c.AdvertRcvd, c.AdvertSent)
		fmt.Fprintf(b, "  Became master: %d\n  Released master: %d\n", c.BecomeMaster, c.ReleaseMaster)
		fmt.Fprintf(b, "  Packet Errors:\n    Length: %d\n    TTL: %d\n    Invalid Type: %d\n    Advertisement Interval: %d\n    Address List: %d\n",
			c.PacketLenErr, c.IPTTLErr, c.InvalidTypeRcvd, c.AdvertIntervalErr, c.AddrListErr)
		fmt.Fprintf(b, "  Authentication Errors:\n    Invalid Type: %d\n    Type Mismatch: %d\n    Failure: %d\n",
			c.InvalidAuthtype, c.AuthtypeMismatch, c.AuthFailure)
		fmt.Fprintf(b, "  Priority Zero:\n    Received: %d\n    Sent: %d\n", c.PriZeroRcvd, c.PriZeroSent)
	}
	return b.Flush()
}
