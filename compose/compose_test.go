package compose

import (
	"bytes"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// alanpengV1 is alanpeng/MyRancherCatalogs templates/Keepalived/0/docker-compose.yml
// (prior-art §0), verbatim.
const alanpengV1 = `Keepalived:
  labels: { io.rancher.scheduler.global: 'true' }
  environment:
    VIRTUAL_IP: "${virtual_ip}"
    CHECK_PORT: "${check_port}"
    VRID: 150
    INTERFACE: "${network_interface}"
    NETMASK_BIT: "${netmask_bit}"
  image: alanpeng/rancher-keepalived
  net: host
  cap_add: [NET_ADMIN, NET_BROADCAST]
`

var alanpengAnswers = map[string]string{
	"virtual_ip": "192.0.2.10", "check_port": "80", "network_interface": "eth0", "netmask_bit": "24",
}

func str(s string) *string { return &s }

func TestLoadAlanpengV1(t *testing.T) {
	p, err := Load("docker-compose.yml", []byte(alanpengV1), alanpengAnswers)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != DefaultProjectName {
		t.Errorf("project name = %q, want %q", p.Name, DefaultProjectName)
	}
	s, ok := p.Services["Keepalived"]
	if !ok || len(p.Services) != 1 {
		t.Fatalf("services = %v", p.Services)
	}
	if s.NetworkMode != "host" || s.Net != "" {
		t.Errorf("network_mode = %q, net = %q; want host from net: host", s.NetworkMode, s.Net)
	}
	want := types.MappingWithEquals{"VIRTUAL_IP": str("192.0.2.10"), "CHECK_PORT": str("80"), "VRID": str("150"), "INTERFACE": str("eth0"), "NETMASK_BIT": str("24")}
	for k, w := range want {
		if got := s.Environment[k]; got == nil || *got != *w {
			t.Errorf("environment %s = %v, want %s", k, got, *w)
		}
	}
	if s.Labels["io.rancher.scheduler.global"] != "true" {
		t.Errorf("labels = %v, want io.rancher.scheduler.global kept", s.Labels)
	}
	err = Check(p)
	wantErr := "service Keepalived: cap_add lacks NET_RAW: add it to cap_add (VRRP needs NET_ADMIN, NET_RAW, NET_BROADCAST)"
	if err == nil || err.Error() != wantErr {
		t.Errorf("Check = %v\nwant    %s", err, wantErr)
	}
}

func TestLoadConversions(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, s types.ServiceConfig)
	}{
		{"v1 escapes stay literal", "vrrp:\n  image: x\n  net: host\n  environment:\n    STACK: \"$${stack_name}\"\n    COST: \"5$$\"\n",
			func(t *testing.T, s types.ServiceConfig) {
				if got := *s.Environment["STACK"]; got != "${stack_name}" {
					t.Errorf("STACK = %q, want ${stack_name}", got)
				}
				if got := *s.Environment["COST"]; got != "5$" {
					t.Errorf("COST = %q, want 5$", got)
				}
			}},
		{"v1 logging", "vrrp:\n  image: x\n  log_driver: json-file\n  log_opt:\n    max-size: 10m\n",
			func(t *testing.T, s types.ServiceConfig) {
				if s.Logging == nil || s.Logging.Driver != "json-file" || s.Logging.Options["max-size"] != "10m" {
					t.Errorf("logging = %+v", s.Logging)
				}
			}},
		{"v1 dockerfile", "vrrp:\n  build: ./image\n  dockerfile: Dockerfile.alt\n",
			func(t *testing.T, s types.ServiceConfig) {
				if s.Build == nil || s.Build.Context != "./image" || s.Build.Dockerfile != "Dockerfile.alt" {
					t.Errorf("build = %+v", s.Build)
				}
			}},
		{"v1 with version 1 key", "version: '1'\nvrrp:\n  image: x\n  net: host\n",
			func(t *testing.T, s types.ServiceConfig) {
				if s.NetworkMode != "host" {
					t.Errorf("network_mode = %q", s.NetworkMode)
				}
			}},
		{"v2 network_mode host", "version: '2'\nservices:\n  vrrp:\n    image: x\n    network_mode: host\n    cap_add: [NET_ADMIN]\n",
			func(t *testing.T, s types.ServiceConfig) {
				if s.NetworkMode != "host" || len(s.CapAdd) != 1 {
					t.Errorf("service = %+v", s)
				}
			}},
		{"v2 with net", "version: '2'\nservices:\n  vrrp:\n    image: x\n    net: host\n",
			func(t *testing.T, s types.ServiceConfig) {
				if s.NetworkMode != "host" {
					t.Errorf("network_mode = %q", s.NetworkMode)
				}
			}},
		{"v3 build map with dockerfile", "version: '3.8'\nservices:\n  vrrp:\n    build:\n      context: .\n    dockerfile: D\n",
			func(t *testing.T, s types.ServiceConfig) {
				if s.Build == nil || s.Build.Dockerfile != "D" {
					t.Errorf("build = %+v", s.Build)
				}
			}},
		{"interpolation defaults", "services:\n  vrrp:\n    image: \"example/vrrp:${TAG:-latest}\"\n    environment:\n      PRIO: \"${PRIO:-100}\"\n      VRID: \"${VRID:?VRID is required}\"\n      OPT: \"${OPT:-}\"\n",
			func(t *testing.T, s types.ServiceConfig) {
				if s.Image != "example/vrrp:latest" || *s.Environment["PRIO"] != "100" || *s.Environment["VRID"] != "51" || *s.Environment["OPT"] != "" {
					t.Errorf("image = %q, environment = %v", s.Image, s.Environment)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load("docker-compose.yml", []byte(tt.file), map[string]string{"VRID": "51"})
			if err != nil {
				t.Fatal(err)
			}
			s, ok := p.Services["vrrp"]
			if !ok {
				t.Fatalf("no vrrp service in %v", p.Services)
			}
			tt.check(t, s)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"required variable", "services:\n  vrrp:\n    image: x\n    environment:\n      VRRP_VRID: \"${VRID:?VRID is required}\"\n",
			[]string{"docker-compose.yml: error while interpolating services.vrrp.environment.VRRP_VRID: required variable VRID is missing a value: VRID is required"}},
		{"plain unset variable", "vrrp:\n  image: x\n  environment:\n    A: \"${virtual_ip}\"\n    B: $check_port\n",
			[]string{"docker-compose.yml: error while interpolating services.vrrp.environment.A: variable virtual_ip has no value: answer virtual_ip, or write ${virtual_ip:-} in the compose file to allow an empty value",
				"docker-compose.yml: error while interpolating services.vrrp.environment.B: variable check_port has no value"}},
		{"process environment is not read", "vrrp:\n  image: x\n  environment:\n    A: \"${PATH}\"\n", []string{"variable PATH has no value"}},
		{"yaml syntax", "vrrp:\n  image: [\n", []string{"docker-compose.yml: yaml: line"}},
		{"not a mapping", "- a\n", []string{"docker-compose.yml: the file is not a mapping"}},
		{"v1 with a non-service", "vrrp: 3\n", []string{"docker-compose.yml: service vrrp is not a mapping"}},
		{"networks without services", "networks: {}\n", []string{"top-level networks without services"}},
		{"net and network_mode", "vrrp:\n  net: host\n  network_mode: host\n", []string{"service vrrp: both net and network_mode are set: keep network_mode"}},
		{"logging twice", "vrrp:\n  log_driver: x\n  logging: {}\n", []string{"service vrrp: both logging and log_driver/log_opt are set"}},
		{"dockerfile without build", "vrrp:\n  image: x\n  dockerfile: D\n", []string{"service vrrp: dockerfile is set without build"}},
		{"extends another file", "vrrp:\n  image: x\n  extends: {file: base.yml, service: b}\n", []string{"service vrrp: extends.file is not supported"}},
		{"include", "include: [other.yml]\nservices: {}\n", []string{"include is not supported"}},
		{"schema error", "services:\n  vrrp:\n    image: x\n    privileged: [1]\n", []string{"docker-compose.yml: validating docker-compose.yml:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("docker-compose.yml", []byte(tt.file), nil)
			if err == nil {
				t.Fatalf("Load succeeded, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"all good", "vrrp:\n  image: x\n  net: host\n  cap_add: [NET_ADMIN, NET_RAW, NET_BROADCAST]\n", ""},
		{"CAP_ prefix and case", "vrrp:\n  image: x\n  net: host\n  cap_add: [cap_net_admin, CAP_NET_RAW, Net_Broadcast]\n", ""},
		{"ALL", "vrrp:\n  image: x\n  net: host\n  cap_add: [ALL]\n", ""},
		{"privileged", "vrrp:\n  image: x\n  net: host\n  privileged: true\n", ""},
		{"bridge network", "vrrp:\n  image: x\n  cap_add: [ALL]\n",
			"service vrrp: network_mode is not set (a bridge network): set network_mode: host (VRRP and the VIPs live on the host's interfaces)"},
		{"explicit bridge", "vrrp:\n  image: x\n  net: bridge\n  cap_add: [ALL]\n",
			`service vrrp: network_mode is "bridge": set network_mode: host (VRRP and the VIPs live on the host's interfaces)`},
		{"missing NET_RAW", "vrrp:\n  image: x\n  net: host\n  cap_add: [NET_ADMIN, NET_BROADCAST]\n",
			"service vrrp: cap_add lacks NET_RAW: add it to cap_add (VRRP needs NET_ADMIN, NET_RAW, NET_BROADCAST)"},
		{"cap_drop after cap_add ALL", "vrrp:\n  image: x\n  net: host\n  cap_add: [ALL]\n  cap_drop: [NET_RAW]\n",
			"service vrrp: cap_drop removes NET_RAW: take it out of cap_drop"},
		{"cap_drop ALL keeps what cap_add names", "vrrp:\n  image: x\n  net: host\n  cap_drop: [ALL]\n  cap_add: [NET_ADMIN, NET_RAW, NET_BROADCAST]\n", ""},
		{"cap_drop of an added capability (Docker adds after dropping)", "vrrp:\n  image: x\n  net: host\n  cap_add: [NET_ADMIN, NET_RAW, NET_BROADCAST]\n  cap_drop: [NET_RAW]\n", ""},
		{"privileged keeps everything", "vrrp:\n  image: x\n  net: host\n  privileged: true\n  cap_drop: [NET_RAW]\n", ""},
		{"every problem in every service", "b:\n  image: x\na:\n  image: x\n  net: host\n",
			"service a: cap_add lacks NET_ADMIN, NET_RAW, NET_BROADCAST: add it to cap_add (VRRP needs NET_ADMIN, NET_RAW, NET_BROADCAST)\n" +
				"service b: network_mode is not set (a bridge network): set network_mode: host (VRRP and the VIPs live on the host's interfaces)\n" +
				"service b: cap_add lacks NET_ADMIN, NET_RAW, NET_BROADCAST: add it to cap_add (VRRP needs NET_ADMIN, NET_RAW, NET_BROADCAST)"},
		{"no services", "services: {}\n", "the compose file defines no services"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load("docker-compose.yml", []byte(tt.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			err = Check(p)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Check = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("Check = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

func TestReady(t *testing.T) {
	src := alanpengV1 + "  command: [\"sh\", \"-c\", \"echo $${HOME}\"]\n"
	var first []byte
	for i := 0; i < 20; i++ {
		p, err := Load("docker-compose.yml", []byte(src), alanpengAnswers)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Ready(p)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = out
			continue
		}
		if !bytes.Equal(out, first) {
			t.Fatalf("run %d printed different bytes:\n%s\nvs\n%s", i, out, first)
		}
	}
	want := `name: havip
services:
  Keepalived:
    cap_add:
      - NET_ADMIN
      - NET_BROADCAST
    command:
      - sh
      - -c
      - echo $${HOME}
    environment:
      CHECK_PORT: "80"
      INTERFACE: eth0
      NETMASK_BIT: "24"
      VIRTUAL_IP: 192.0.2.10
      VRID: "150"
    image: alanpeng/rancher-keepalived
    labels:
      io.rancher.scheduler.global: "true"
    network_mode: host
`
	if string(first) != want {
		t.Errorf("Ready =\n%s\nwant\n%s", first, want)
	}
	// The ready file loads back to the same project (the `$$` escape survives a round trip).
	again, err := Load("ready.yml", first, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmd := again.Services["Keepalived"].Command; len(cmd) != 3 || cmd[2] != "echo ${HOME}" {
		t.Errorf("command after round trip = %q", cmd)
	}
	out, err := Ready(again)
	if err != nil || !bytes.Equal(out, first) {
		t.Errorf("Ready(Load(Ready)) differs: %v\n%s", err, out)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(alanpengV1, "192.0.2.10")
	f.Add("version: '2'\nservices:\n  vrrp:\n    image: \"x:${virtual_ip:-1}\"\n    network_mode: host\n", "")
	f.Add("vrrp:\n  image: x\n  log_driver: a\n  log_opt: {a: b}\n  build: .\n  dockerfile: D\n", "v")
	f.Add("services:\n  a:\n    image: $${x}\n    extends: b\n  b:\n    image: y\n", "")
	f.Add("[", "")
	f.Fuzz(func(t *testing.T, file, answer string) {
		env := map[string]string{"virtual_ip": answer, "check_port": answer, "network_interface": answer, "netmask_bit": answer}
		p, err := Load("docker-compose.yml", []byte(file), env)
		if err != nil {
			return
		}
		_ = Check(p)
		out, err := Ready(p)
		if err != nil {
			t.Fatalf("Ready failed on a loaded project: %v", err)
		}
		out2, err := Ready(p)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Ready is not deterministic")
		}
	})
}
