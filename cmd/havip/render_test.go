package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/config"
)

// runRenderT runs `havip render args...` with env as the environment.
func runRenderT(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = execute(append([]string{"render"}, args...), env, &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustParse(t *testing.T, conf string) *config.Config {
	t.Helper()
	cfg, diags := config.ParseBytes("stdout", []byte(conf), config.Options{})
	if diags.HasErrors() {
		t.Fatalf("output is not a valid keepalived.conf: %v\n%s", diags.Err(), conf)
	}
	return cfg
}

func TestRenderClassicEnv(t *testing.T) {
	env := map[string]string{"VIRTUAL_IP": "203.0.113.9", "CHECK_PORT": "9000", "INTERFACE": "ens4", "NETMASK_BIT": "28", "VRID": "42"}
	code, out, errOut := runRenderT(t, env, "keepalived", "--version", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cfg := mustParse(t, out)
	in := cfg.Instances[0]
	if in.VRID != 42 || in.Interface != "ens4" || in.VirtualAddresses[0].Prefix.String() != "203.0.113.9/28" {
		t.Fatalf("instance = %+v", in)
	}
	if cfg.Scripts[0].Command.Text != "/usr/local/bin/havip probe tcp 127.0.0.1:9000" {
		t.Fatalf("check = %q", cfg.Scripts[0].Command.Text)
	}
}

func TestRenderWithoutAnswers(t *testing.T) {
	code, _, errOut := runRenderT(t, nil, "keepalived")
	if code != 1 || !strings.Contains(errOut, `virtual_ip ("Virtual IPs"): an answer is required`) || !strings.Contains(errOut, "VIRTUAL_IP") {
		t.Fatalf("without a VIP: exit %d, stderr %q; want 1 and the VIP named", code, errOut)
	}
	code, out, errOut := runRenderT(t, map[string]string{"VIRTUAL_IP": "192.0.2.10"}, "keepalived")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cfg := mustParse(t, out)
	if len(cfg.Instances) != 1 || cfg.Instances[0].VirtualAddresses[0].Prefix.String() != "192.0.2.10/24" ||
		cfg.Instances[0].Interface != "eth0" {
		t.Fatalf("default render = %+v\n%s", cfg.Instances, out)
	}
}

func TestRenderOutputDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	answers := filepath.Join(t.TempDir(), "answers.yml")
	if err := os.WriteFile(answers, []byte("virtual_ip:\n  - 192.0.2.30\n  - 2001:db8::30\nvrid: 61\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runRenderT(t, nil, "keepalived", "--answers", answers, "-o", dir, "--node-address", "192.0.2.2", "--hostname", "lb1")
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, out, errOut)
	}
	conf, err := os.ReadFile(filepath.Join(dir, "keepalived.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg := mustParse(t, string(conf)); len(cfg.Instances) != 2 {
		t.Fatalf("want an IPv4 and an IPv6 instance:\n%s", conf)
	}
	compose, err := os.ReadFile(filepath.Join(dir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"network_mode: host", "NET_ADMIN", "VIRTUAL_IP: 192.0.2.30,2001:db8::30", "VRID: \"61\""} {
		if !strings.Contains(string(compose), want) {
			t.Errorf("docker-compose.yml lacks %q:\n%s", want, compose)
		}
	}
	if !strings.Contains(errOut, "has no IPv6 address") {
		t.Errorf("stderr lacks the warning about the missing node IPv6 address: %q", errOut)
	}
}

func TestRenderClassicComposeIsConverted(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runRenderT(t, map[string]string{"VRID": "33", "VIRTUAL_IP": "192.0.2.10"}, "keepalived", "--version", "0", "-o", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	compose, err := os.ReadFile(filepath.Join(dir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"network_mode: host", "NET_RAW", "io.rancher.scheduler.global: \"true\"", "VRID: \"33\""} {
		if !strings.Contains(string(compose), want) {
			t.Errorf("converted v1 compose lacks %q:\n%s", want, compose)
		}
	}
}

func TestRenderHostileWritesNothing(t *testing.T) {
	hostile := "eth0\nvrrp_instance EVIL {"
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		answers string
	}{
		{"set", nil, []string{"--set", "notify_script=/bin/x\" weight 50 \""}, ""},
		{"set newline", nil, []string{"--set", "network_interface=" + hostile}, ""},
		{"answers file", nil, nil, "check_script=/bin/true } vrrp_instance EVIL {\n"},
		{"yaml answers", nil, nil, "auth_pass: \"a#b\"\n"},
		{"env", map[string]string{"INTERFACE": hostile}, nil, ""},
		{"env by contract name", map[string]string{"CHECK_SCRIPT": "$EVIL"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"keepalived", "-o", dir}, tt.args...)
			if tt.answers != "" {
				name := "answers.txt"
				if strings.HasPrefix(tt.name, "yaml") {
					name = "answers.yml"
				}
				file := filepath.Join(t.TempDir(), name)
				if err := os.WriteFile(file, []byte(tt.answers), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--answers", file)
			}
			code, out, errOut := runRenderT(t, tt.env, args...)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q; want 1 and nothing printed", code, out)
			}
			if !strings.HasPrefix(errOut, "havip render: ") {
				t.Fatalf("stderr = %q", errOut)
			}
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) != 0 {
				t.Fatalf("-o dir holds %v (%v), want nothing", entries, err)
			}
		})
	}
}

func TestRenderDiff(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.conf")
	code, out, errOut := runRenderT(t, map[string]string{"VIRTUAL_IP": "192.0.2.10"}, "keepalived", "--version", "0")
	if code != 0 {
		t.Fatal(errOut)
	}
	if err := os.WriteFile(old, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	code, same, errOut := runRenderT(t, map[string]string{"VIRTUAL_IP": "192.0.2.10"}, "keepalived", "--version", "0", "--diff", old)
	if code != 0 || same != "" {
		t.Fatalf("diff against an identical file: exit %d, %q %s", code, same, errOut)
	}
	code, diff, errOut := runRenderT(t, map[string]string{"VIRTUAL_IP": "192.0.2.10"}, "keepalived", "--version", "0", "--set", "vrid=151", "--diff", old)
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []string{"--- " + old, "+++ rendered keepalived.conf", "-vrrp_instance VI_150 {", "+vrrp_instance VI_151 {",
		"-    virtual_router_id 150", "+    virtual_router_id 151"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no template", nil, 2, "usage: havip render"},
		{"two templates", []string{"keepalived", "haproxy"}, 2, "usage: havip render"},
		{"unknown flag", []string{"keepalived", "--bogus"}, 2, "unknown flag: --bogus"},
		{"unknown template", []string{"nope"}, 1, `unknown template "nope": the catalog has haproxy, ipfailover, keepalived`},
		{"unknown version", []string{"keepalived", "--version", "9"}, 1, `--version: template keepalived has no version "9"`},
		{"missing answers file", []string{"keepalived", "--answers", "/nonexistent/answers.txt"}, 1, "--answers: open /nonexistent/answers.txt"},
		{"missing diff file", []string{"keepalived", "--diff", "/nonexistent/keepalived.conf"}, 1, "--diff: open /nonexistent/keepalived.conf"},
		{"bad node address", []string{"keepalived", "--node-address", "192.0.2.300"}, 1, `--node-address "192.0.2.300"`},
		{"bad catalog", []string{"keepalived", "--catalog", "/nonexistent"}, 1, "--catalog: stat /nonexistent"},
		{"relative probe", []string{"keepalived", "--probe", "havip"}, 1, "must be an absolute path"},
		{"unknown answer", []string{"keepalived", "--set", "bogus=1"}, 1, `--set bogus: unknown answer "bogus"`},
		{"invalid answer", []string{"keepalived", "--set", "vrid=0"}, 1, "(answer from --set vrid)"},
		{"help", []string{"-h"}, 0, "usage: havip render"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runRenderT(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", code, errOut, tt.code, tt.want)
			}
			if out != "" {
				t.Fatalf("stdout = %q, want nothing", out)
			}
		})
	}
}

func TestRenderCatalogDir(t *testing.T) {
	code, out, errOut := runRenderT(t, nil, "--catalog", "../../templates", "haproxy", "--set", "virtual_ip=2001:db8::80", "--set", "prefix_length=64")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cfg := mustParse(t, out)
	if cfg.Instances[0].VirtualAddresses[0].Prefix.String() != "2001:db8::80/64" || len(cfg.TrackProcesses) != 1 || cfg.TrackProcesses[0].Weight != -20 {
		t.Fatalf("haproxy render = %+v %+v", cfg.Instances[0], cfg.TrackProcesses)
	}
}
