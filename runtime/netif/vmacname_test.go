package netif

import "testing"

// TestVMACNameCandidate: the names keepalived 2.2.7's create_vmac_name tries, in its order.
func TestVMACNameCandidate(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		vrid   uint8
		family int
		want   []string // candidates 0, 1, 2, …
	}{
		{"IPv4 default prefix", "", 51, 4, []string{"vrrp.51", "vrrp1.51", "vrrp2.51", "vrrp3.51", "vrrp4.51", "vrrp5.51", "vrrp6.51", "vrrp7.51"}},
		{"IPv6 tries 6 second", "", 51, 6, []string{"vrrp.51", "vrrp6.51", "vrrp1.51", "vrrp2.51", "vrrp3.51", "vrrp4.51", "vrrp5.51", "vrrp7.51", "vrrp8.51"}},
		{"own prefix", "vm", 7, 4, []string{"vm.7", "vm1.7", "vm2.7"}},
		{"a long prefix is cut to 15 bytes", "averyverylongpfx", 255, 4, []string{"averyverylo.255", "averyveryl1.255"}},
		{"the cut grows with the number", "abcdefghijkl", 200, 4, []string{"abcdefghijk.200", "abcdefghij1.200"}},
		{"fits exactly", "abcdefghijk", 200, 6, []string{"abcdefghijk.200", "abcdefghij6.200"}},
		{"two-digit numbers", "vrrp", 9, 4, []string{"vrrp.9", "vrrp1.9", "vrrp2.9", "vrrp3.9", "vrrp4.9", "vrrp5.9", "vrrp6.9", "vrrp7.9", "vrrp8.9", "vrrp9.9", "vrrp10.9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, want := range tt.want {
				if got := VMACNameCandidate(tt.prefix, tt.vrid, tt.family, i); got != want {
					t.Errorf("candidate %d = %q, want %q", i, got, want)
				}
			}
		})
	}
}
