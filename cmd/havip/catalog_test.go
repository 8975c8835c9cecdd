package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCatalogList(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := execute([]string{"catalog", "list"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("list =\n%s", out.String())
	}
	for i, prefix := range []string{"haproxy ", "ipfailover ", "keepalived "} {
		if !strings.HasPrefix(lines[i+1], prefix) {
			t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i+1], prefix)
		}
	}
	if fields := strings.Fields(lines[3]); fields[1] != "0,1" {
		t.Errorf("keepalived versions = %q, want 0,1", fields[1])
	}
}

func TestCatalogShow(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := execute([]string{"catalog", "show", "keepalived", "--version", "0"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	if !strings.HasPrefix(text, "keepalived version 0: ") || !strings.Contains(text, "VARIABLE") {
		t.Fatalf("show =\n%s", text)
	}
	for _, row := range [][]string{
		{"virtual_ip", "VIRTUAL_IP", "ipv4", "-", "yes", "Virtual", "IP"},
		{"check_port", "CHECK_PORT", "port", "80", "yes", "Check", "port"},
		{"network_interface", "INTERFACE", "interface", "eth0", "yes", "Network", "interface"},
		{"netmask_bit", "NETMASK_BIT", "int", "24", "yes", "Netmask", "bits"},
		{"vrid", "VRID", "int", "150", "yes", "Virtual", "router", "ID"},
	} {
		found := false
		for _, line := range strings.Split(text, "\n") {
			if strings.Join(strings.Fields(line), " ") == strings.Join(row, " ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no row %v in:\n%s", row, text)
		}
	}

	out.Reset()
	if code := execute([]string{"catalog", "show", "keepalived"}, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "keepalived version 1: ") {
		t.Fatalf("show without --version: exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "enum(2|3)") || !strings.Contains(out.String(), "PREEMPT_DELAY") {
		t.Errorf("show latest lacks the enum options or the show_if question:\n%s", out.String())
	}
}

func TestCatalogErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: havip catalog"},
		{[]string{"bogus"}, 2, `unknown subcommand "bogus"`},
		{[]string{"-h"}, 0, "usage: havip catalog"},
		{[]string{"show"}, 2, "usage: havip catalog show"},
		{[]string{"show", "nope"}, 1, `unknown template "nope"`},
		{[]string{"show", "ipfailover", "--version", "7"}, 1, `has no version "7"`},
		{[]string{"list", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"list", "--catalog", "/nonexistent"}, 1, "--catalog: stat /nonexistent"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := execute(append([]string{"catalog"}, tt.args...), nil, &out, &errOut)
			if code != tt.code || !strings.Contains(errOut.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tt.code, tt.want)
			}
		})
	}
}
