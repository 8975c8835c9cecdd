package firewall

import (
	"fmt"
	"strings"

	"github.com/google/nftables"
)

// Chain names a chain of the host's firewall.
type Chain struct {
	Family nftables.TableFamily
	Table  string
	Name   string
}

// String returns the chain as nft names it: "ip filter INPUT".
func (c Chain) String() string {
	return fmt.Sprintf("%s %s %s", familyNames[c.Family], c.Table, c.Name)
}

var familyNames = map[nftables.TableFamily]string{
	nftables.TableFamilyIPv4:   "ip",
	nftables.TableFamilyIPv6:   "ip6",
	nftables.TableFamilyINet:   "inet",
	nftables.TableFamilyBridge: "bridge",
	nftables.TableFamilyNetdev: "netdev",
	nftables.TableFamilyARP:    "arp",
}

// ParseChain reads a chain as nft names it, "FAMILY TABLE CHAIN" with
// FAMILY ip, ip6 or inet, or a bare chain name, which is iptables' filter
// table (iptables-nft's "ip filter CHAIN"), as OPENSHIFT_HA_IPTABLES_CHAIN
// names it.
func ParseChain(s string) (Chain, error) {
	f := strings.Fields(s)
	switch len(f) {
	case 1:
		return Chain{Family: nftables.TableFamilyIPv4, Table: "filter", Name: f[0]}, nil
	case 3:
		for fam, name := range familyNames {
			if name == f[0] && (fam == nftables.TableFamilyIPv4 || fam == nftables.TableFamilyIPv6 || fam == nftables.TableFamilyINet) {
				return Chain{Family: fam, Table: f[1], Name: f[2]}, nil
			}
		}
		return Chain{}, fmt.Errorf("chain %q: family %q must be ip, ip6 or inet", s, f[0])
	}
	return Chain{}, fmt.Errorf("chain %q: want CHAIN (of iptables' filter table) or FAMILY TABLE CHAIN, as in \"inet filter input\"", s)
}
