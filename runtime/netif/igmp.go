package netif

import "fmt"

// SetIGMPLinkLocalReports sets net.ipv4.igmp_link_local_mcast_reports of this network namespace
// (0 for off: no IGMP membership reports for the 224.0.0.x groups the host joins, VRRP's
// 224.0.0.18 included) and returns whether it was on.
func SetIGMPLinkLocalReports(on bool) (was bool, err error) {
	const path = "ipv4/igmp_link_local_mcast_reports"
	cur, err := readNetSysctl(path)
	if err != nil {
		return false, fmt.Errorf("igmp_link_local_mcast_reports: %w", err)
	}
	value := "0"
	if on {
		value = "1"
	}
	if cur != value {
		if err := writeNetSysctl(path, value); err != nil {
			return cur != "0", fmt.Errorf("igmp_link_local_mcast_reports: %w", err)
		}
	}
	return cur != "0", nil
}
