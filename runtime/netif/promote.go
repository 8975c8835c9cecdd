package netif

import "fmt"

// SetPromoteSecondaries sets net.ipv4.conf.IFNAME.promote_secondaries of this network namespace
// (1 for on: removing an interface's primary IPv4 address promotes a secondary of the same
// subnet instead of deleting them all) and returns the value it had.
func SetPromoteSecondaries(ifname string, on bool) (was bool, err error) {
	path := "ipv4/conf/" + ifname + "/promote_secondaries"
	cur, err := readNetSysctl(path)
	if err != nil {
		return false, fmt.Errorf("promote_secondaries of %s: %w", ifname, err)
	}
	value := "0"
	if on {
		value = "1"
	}
	if cur != value {
		if err := writeNetSysctl(path, value); err != nil {
			return cur != "0", fmt.Errorf("promote_secondaries of %s: %w", ifname, err)
		}
	}
	return cur != "0", nil
}
