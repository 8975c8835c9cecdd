package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkInstance is a valid instance; extra lines go inside its block.
func checkInstance(extra string) string {
	return "vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 51\n  priority 100\n" +
		"  virtual_ipaddress {\n    192.0.2.10/24\n  }\n" + extra + "}\n"
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		conf     string
		args     []string
		wantCode int
		wantErr  []string // each must appear on stderr
		wantOut  string   // must appear on stdout
	}{
		{name: "valid", conf: checkInstance(""), wantCode: 0},
		{name: "misspelled keyword", conf: checkInstance("  priorty 5\n"), wantCode: 0,
			wantErr: []string{"keepalived.conf:8: warning: unknown keyword 'priorty' in vrrp_instance VI_1 is ignored, as keepalived does", "did you mean 'priority'?"}},
		{name: "misspelled keyword, strict", conf: checkInstance("  priorty 5\n"), args: []string{"--strict"}, wantCode: 5,
			wantErr: []string{"keepalived.conf:8: error: unknown keyword 'priorty'"}},
		{name: "undefined script dropped", conf: checkInstance("  track_script {\n    chk\n  }\n"), wantCode: 0,
			wantErr: []string{"keepalived.conf:9: warning: vrrp_instance VI_1: vrrp_script chk is not defined; the reference is ignored, as keepalived does"}},
		{name: "unsupported keyword, strict", conf: checkInstance("  native_ipv6\n"), args: []string{"--strict"}, wantCode: 5,
			wantErr: []string{"keepalived.conf:8: error: native_ipv6 is not supported by havip"}},
		{name: "valid, strict", conf: checkInstance(""), args: []string{"--strict"}, wantCode: 0},
		{name: "error, strict", conf: checkInstance("  priority 0\n"), args: []string{"--strict"}, wantCode: 5,
			wantErr: []string{"keepalived.conf:8: error: priority"}},
		{name: "warning only", conf: checkInstance("  native_ipv6\n"), wantCode: 0,
			wantErr: []string{"keepalived.conf:8: warning: native_ipv6 is not supported by havip"}},
		{name: "use_vmac MAC in the VRRP range", conf: checkInstance("  use_vmac 00:00:5e:00:01:33\n"), wantCode: 1,
			wantErr: []string{"keepalived.conf:8: error: vrrp_instance VI_1: use_vmac MAC 00:00:5e:00:01:33 is in a VRRP virtual MAC range"}},
		{name: "AH accepted", conf: checkInstance("  authentication {\n    auth_type AH\n    auth_pass secret\n  }\n"), args: []string{"--strict"}, wantCode: 0},
		{name: "route havip cannot install", conf: checkInstance("  virtual_routes {\n    198.51.100.0/24 via 192.0.2.1 pervasive\n  }\n"), wantCode: 1,
			wantErr: []string{"keepalived.conf:9: error: virtual_routes: route 198.51.100.0/24 via 192.0.2.1 pervasive", `option "pervasive" is not supported`}},
		{name: "static rule with an unknown table", conf: "static_rules {\n  from 192.0.2.0/24 table nosuchtable\n}\n" + checkInstance(""), wantCode: 0,
			wantErr: []string{"keepalived.conf:2: warning: static_rules: table \"nosuchtable\"", "the rule is ignored, as keepalived does"}},
		{name: "static rule with an unknown table, strict", conf: "static_rules {\n  from 192.0.2.0/24 table nosuchtable\n}\n" + checkInstance(""), args: []string{"--strict"}, wantCode: 5,
			wantErr: []string{"keepalived.conf:2: error: static_rules: table \"nosuchtable\""}},
		{name: "print", conf: "$VIP=192.0.2.10/24\n" + strings.Replace(checkInstance(""), "192.0.2.10/24", "${VIP}", 1), args: []string{"--print"},
			wantCode: 0, wantOut: "\t\t192.0.2.10/24\n"},
		{name: "json", conf: checkInstance(""), args: []string{"--json"}, wantCode: 0, wantOut: `"virtual_router_id": 51`},
		{name: "print and json", conf: checkInstance(""), args: []string{"--print", "--json"}, wantCode: 2,
			wantErr: []string{"use either --print or --json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keepalived.conf")
			if err := os.WriteFile(path, []byte(tt.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := execute(append([]string{"check", "-f", path}, tt.args...), nil, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, stdout.String())
			}
			if tt.wantCode == 0 && strings.Contains(stderr.String(), ": error: ") {
				t.Errorf("exit 0 with an error diagnostic:\n%s", stderr.String())
			}
		})
	}
}

func TestCheckJSONIsTheModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(checkInstance("")), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := execute([]string{"check", "-f", path, "--json"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var model struct {
		Instances []struct {
			Name     string `json:"name"`
			Priority int    `json:"priority"`
		} `json:"vrrp_instances"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &model); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout.String())
	}
	if len(model.Instances) != 1 || model.Instances[0].Name != "VI_1" || model.Instances[0].Priority != 100 {
		t.Errorf("model = %+v, want one VI_1 at priority 100", model)
	}
}
