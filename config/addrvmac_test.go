package config

import "testing"

// TestAddressVMAC: keepalived 2.2.7's rules for use_vmac on an address and use_vmac_addr
// (vrrp_complete_instance): which addresses get a per-address VMAC, and the two configuration
// errors it reports, with which it runs without the address's use_vmac.
func TestAddressVMAC(t *testing.T) {
	// v4 is an IPv4 instance on eth0 with a VIP on eth0 and body.
	v4 := func(body string) string {
		return "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n" + body + "\n}\n"
	}
	tests := []struct {
		name    string
		src     string
		warning string // in the only diagnostic; "" = none
		useVMAC []bool // each address's use_vmac after completion, VIPs then eVIPs
		vmac    []bool // AddressVMAC of each
	}{
		{"use_vmac on an address on another interface",
			v4("virtual_ipaddress {\n 192.0.2.10/24\n 198.51.100.10/24 dev eth1 use_vmac\n}"), "",
			[]bool{false, true}, []bool{false, true}},
		{"use_vmac on an eVIP on another interface",
			v4("virtual_ipaddress {\n 192.0.2.10/24\n}\nvirtual_ipaddress_excluded {\n 198.51.100.10/24 dev eth1 use_vmac\n}"), "",
			[]bool{false, true}, []bool{false, true}},
		{"an address on another interface without use_vmac",
			v4("virtual_ipaddress {\n 192.0.2.10/24\n 198.51.100.10/24 dev eth1\n}"), "",
			[]bool{false, false}, []bool{false, false}},
		{"use_vmac on the instance and on an address of its interface and family",
			v4("use_vmac\nvirtual_ipaddress {\n 192.0.2.10/24 use_vmac\n}"),
			"vrrp_instance VI_1: use_vmac specified for VIP/eVIP 192.0.2.10/24 and the instance: it goes on the instance's VMAC; the address's use_vmac is ignored, as keepalived does",
			[]bool{false}, []bool{false}},
		{"the same with dev naming the instance's interface",
			v4("use_vmac\nvirtual_ipaddress {\n 192.0.2.10/24\n 192.0.2.11/24 dev eth0 use_vmac\n}"),
			"use_vmac specified for VIP/eVIP 192.0.2.11/24 and the instance",
			[]bool{false, false}, []bool{false, false}},
		{"use_vmac on the instance and on an address of the other family",
			v4("use_vmac\nvirtual_ipaddress {\n 192.0.2.10/24\n}\nvirtual_ipaddress_excluded {\n 2001:db8::10/64 use_vmac\n}"), "",
			[]bool{false, true}, []bool{false, true}},
		{"use_vmac on an address of the instance's interface and family, without use_vmac on the instance",
			v4("virtual_ipaddress {\n 192.0.2.10/24 use_vmac\n}"), "",
			[]bool{true}, []bool{true}},
		{"use_vmac_addr and use_vmac on an address on another interface",
			v4("use_vmac_addr\nvirtual_ipaddress {\n 192.0.2.10/24\n 198.51.100.10/24 dev eth1 use_vmac\n}"),
			"vrrp_instance VI_1: use_vmac_addr specified and use_vmac specified for VIP/eVIP 198.51.100.10/24: use_vmac_addr gives it a VMAC already; the address's use_vmac is ignored, as keepalived does",
			[]bool{false, false}, []bool{false, true}},
		{"use_vmac_addr and use_vmac on an address of the other family",
			v4("use_vmac_addr\nvirtual_ipaddress {\n 192.0.2.10/24\n}\nvirtual_ipaddress_excluded {\n 2001:db8::10/64 use_vmac\n}"),
			"use_vmac_addr specified and use_vmac specified for VIP/eVIP 2001:db8::10/64",
			[]bool{false, false}, []bool{false, true}},
		{"use_vmac_addr: every address on another interface or of the other family",
			v4("use_vmac_addr\nvirtual_ipaddress {\n 192.0.2.10/24\n 192.0.2.11/24 dev eth0\n 198.51.100.10/24 dev eth1\n}\nvirtual_ipaddress_excluded {\n 2001:db8::10/64\n 203.0.113.10/24 dev eth2 no_track\n}"), "",
			[]bool{false, false, false, false, false}, []bool{false, false, true, true, true}},
		{"use_vmac_addr with use_vmac on the instance",
			v4("use_vmac\nuse_vmac_addr\nvirtual_ipaddress {\n 192.0.2.10/24\n 198.51.100.10/24 dev eth1\n}"), "",
			[]bool{false, false}, []bool{false, true}},
		{"an IPv6 instance's IPv4 eVIP with use_vmac",
			v4("virtual_ipaddress {\n 2001:db8::10/64\n}\nvirtual_ipaddress_excluded {\n 192.0.2.10/24 use_vmac\n}"), "",
			[]bool{false, true}, []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := parse(t, tt.src)
			switch {
			case tt.warning == "" && len(diags) != 0:
				t.Fatalf("diagnostics:\n%v", diags)
			case tt.warning != "" && (len(diags) != 1 || diags[0].Severity != Warning || !hasDiag(diags, tt.warning)):
				t.Fatalf("diagnostics:\n%v\nwant one warning with %q", diags, tt.warning)
			}
			in := c.Instances[0]
			addrs := append(append([]VirtualAddress{}, in.VirtualAddresses...), in.ExcludedAddresses...)
			if len(addrs) != len(tt.vmac) {
				t.Fatalf("%d addresses, want %d", len(addrs), len(tt.vmac))
			}
			for i, a := range addrs {
				if a.UseVMAC != tt.useVMAC[i] || in.AddressVMAC(a) != tt.vmac[i] {
					t.Errorf("%s: use_vmac %v, AddressVMAC %v; want %v, %v", a.Prefix, a.UseVMAC, in.AddressVMAC(a), tt.useVMAC[i], tt.vmac[i])
				}
			}
			// The formatted config reads back the same, without diagnostics.
			again, diags := parse(t, string(Format(c)))
			if len(diags) != 0 || !again.Instances[0].Equal(in) {
				t.Fatalf("formatted and parsed again: %v\n%s", diags, Format(c))
			}
		})
	}
}

// TestAddressVMACKeywords: use_vmac_addr and vmac_addr_prefix are read without a warning and
// survive Format; use_vmac on a static address is dropped, as keepalived 2.2.7 does ("Unknown
// configuration entry 'use_vmac' for ip address - ignoring").
func TestAddressVMACKeywords(t *testing.T) {
	src := "global_defs {\n vmac_prefix vm\n vmac_addr_prefix av\n}\n" +
		inst("use_vmac_addr\nvirtual_ipaddress_excluded {\n 198.51.100.10/24 dev eth1\n}")
	c, diags := parse(t, src)
	if len(diags) != 0 {
		t.Fatalf("diagnostics:\n%v", diags)
	}
	if c.Global.VMACAddrPrefix != "av" || c.Global.VMACPrefix != "vm" || !c.Instances[0].UseVMACAddr {
		t.Fatalf("vmac_addr_prefix %q, vmac_prefix %q, use_vmac_addr %v", c.Global.VMACAddrPrefix, c.Global.VMACPrefix, c.Instances[0].UseVMACAddr)
	}
	again, diags := parse(t, string(Format(c)))
	if len(diags) != 0 || again.Global.VMACAddrPrefix != "av" || !again.Instances[0].UseVMACAddr || !again.Global.Equal(&c.Global) {
		t.Fatalf("formatted and parsed again: %v\n%s", diags, Format(c))
	}

	c, diags = parse(t, "static_ipaddress {\n 203.0.113.1/24 dev eth2 use_vmac\n}\n"+inst(""))
	want := "static_ipaddress 203.0.113.1/24: use_vmac applies to virtual_ipaddress and virtual_ipaddress_excluded only; the option is ignored, as keepalived does"
	if len(diags) != 1 || !hasDiag(diags, want) || len(c.StaticAddresses) != 1 || c.StaticAddresses[0].UseVMAC {
		t.Fatalf("static address with use_vmac: %+v\n%v", c.StaticAddresses, diags)
	}
}
