package netif

import "testing"

func TestVMACAddr(t *testing.T) {
	tests := []struct {
		family int
		vrid   uint8
		want   string
	}{
		{4, 1, "00:00:5e:00:01:01"},
		{4, 51, "00:00:5e:00:01:33"},
		{4, 255, "00:00:5e:00:01:ff"},
		{6, 1, "00:00:5e:00:02:01"},
		{6, 51, "00:00:5e:00:02:33"},
		{6, 255, "00:00:5e:00:02:ff"},
	}
	for _, tt := range tests {
		if got := VMACAddr(tt.family, tt.vrid).String(); got != tt.want {
			t.Errorf("VMACAddr(%d, %d) = %s, want %s", tt.family, tt.vrid, got, tt.want)
		}
	}
}

func TestVMACName(t *testing.T) {
	tests := []struct {
		prefix string
		vrid   uint8
		want   string
	}{
		{"", 1, "vrrp.1"},
		{"", 51, "vrrp.51"},
		{"", 255, "vrrp.255"},
		{"vrrp", 51, "vrrp.51"},
		{"vm", 51, "vm.51"},
		{"kv", 255, "kv.255"},
	}
	for _, tt := range tests {
		if got := VMACName(tt.prefix, tt.vrid); got != tt.want {
			t.Errorf("VMACName(%q, %d) = %q, want %q", tt.prefix, tt.vrid, got, tt.want)
		}
	}
}
