// Package deploy tests the deployment examples in this folder with havip's own checkers: the
// compose files must pass compose.Check (host network, VRRP capabilities), the template-mode
// environment must be the keepalived template's env contract and render, and the keepalived.conf
// of HAVIP_CONFIG mode must validate.
package deploy

import (
	"bytes"
	"net/netip"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/havip/havip/compose"
	"github.com/havip/havip/config"
	"github.com/havip/havip/render"
	"github.com/havip/havip/templates"
)

// load reads a compose file as `docker compose` would with a .env that sets only VIRTUAL_IP (the
// one variable without a default): the ${X:-default}s apply.
func load(t *testing.T, name string) types.ServiceConfig {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compose.Load(name, data, map[string]string{"VIRTUAL_IP": "192.0.2.10"})
	if err != nil {
		t.Fatalf("compose.Load: %v", err)
	}
	if err := compose.Check(p); err != nil {
		t.Fatalf("compose.Check: %v", err)
	}
	s, ok := p.Services["havip"]
	if !ok || len(p.Services) != 1 {
		t.Fatalf("want exactly one service havip, got %v", p.ServiceNames())
	}
	if s.Privileged {
		t.Error("the service is privileged: cap_add is enough")
	}
	if s.Restart == "" || s.Restart == "no" {
		t.Errorf("restart = %q: the VIP keeper should come back after a reboot", s.Restart)
	}
	if !strings.HasPrefix(s.Image, "havip/havip:") {
		t.Errorf("image = %s", s.Image)
	}
	return s
}

func environment(s types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	return env
}

func TestComposeTemplateMode(t *testing.T) {
	s := load(t, "compose/docker-compose.yml")
	env := environment(s)
	c, err := templates.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	tp, err := c.Template(env["HAVIP_TEMPLATE"])
	if err != nil {
		t.Fatalf("HAVIP_TEMPLATE: %v", err)
	}
	v, err := tp.Version(env["HAVIP_VERSION"])
	if err != nil {
		t.Fatalf("HAVIP_VERSION: %v", err)
	}
	// Every variable besides HAVIP_* is an env name of the template's contract, and the compose
	// file offers the whole contract.
	contract := map[string]bool{}
	for _, q := range v.Questions {
		if q.Env != "" {
			contract[q.Env] = true
		}
	}
	for k := range env {
		if !strings.HasPrefix(k, "HAVIP_") && !contract[k] {
			t.Errorf("environment %s is not in the %s %s env contract", k, tp.Folder, v.Version)
		}
	}
	var missing []string
	for k := range contract {
		if _, ok := env[k]; !ok {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	for _, k := range missing {
		t.Errorf("the compose file does not offer %s", k)
	}
	// supervise renders from exactly this environment.
	res, err := render.Render(render.Request{
		Template: tp.Folder, Version: v, Env: env,
		Facts: render.StaticFacts(render.Facts{Hostname: "host-a", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.2")}}),
	})
	if err != nil {
		t.Fatalf("the compose environment does not render: %v", err)
	}
	if !bytes.Contains(res.KeepalivedConf, []byte("192.0.2.10/24 dev eth0")) {
		t.Errorf("rendered config lacks the VIP:\n%s", res.KeepalivedConf)
	}
	// Without VIRTUAL_IP the file does not load, and says what to set.
	if _, err := compose.Load("docker-compose.yml", mustRead(t, "compose/docker-compose.yml"), map[string]string{}); err == nil || !strings.Contains(err.Error(), "set VIRTUAL_IP") {
		t.Errorf("without VIRTUAL_IP: err = %v, want the :? message", err)
	}
	// With an .env: UNICAST_PEERS and the rest flow through.
	data, _ := os.ReadFile("compose/docker-compose.yml")
	p, err := compose.Load("docker-compose.yml", data, map[string]string{"VIRTUAL_IP": "203.0.113.7", "UNICAST_PEERS": "192.0.2.2,192.0.2.3", "HAVIP_TAG": "0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	env = environment(p.Services["havip"])
	if env["VIRTUAL_IP"] != "203.0.113.7" || env["UNICAST_PEERS"] != "192.0.2.2,192.0.2.3" || p.Services["havip"].Image != "havip/havip:0.1.0" {
		t.Errorf("interpolation: env = %v, image = %s", env, p.Services["havip"].Image)
	}
}

func TestComposeConfigMode(t *testing.T) {
	s := load(t, "compose/docker-compose.config.yml")
	conf := environment(s)["HAVIP_CONFIG"]
	if conf == "" {
		t.Fatal("HAVIP_CONFIG is not set")
	}
	// The file is reached through a directory mount of compose/ (hot-apply survives editors that
	// save by rename), read-only.
	var found bool
	for _, vol := range s.Volumes {
		if vol.Target == path.Dir(conf) {
			found = true
			if !vol.ReadOnly {
				t.Errorf("volume %s is writable", vol.Target)
			}
			if vol.Source != "./" && vol.Source != "." {
				t.Errorf("volume source %s is not the compose folder", vol.Source)
			}
		}
	}
	if !found {
		t.Fatalf("no volume mounts the directory of HAVIP_CONFIG %s", conf)
	}
	cfg, diags := config.Load("compose/"+path.Base(conf), config.Options{ConfigID: "host-a"})
	if diags.HasErrors() {
		t.Fatalf("keepalived.conf: %v", diags.Err())
	}
	for _, d := range diags {
		t.Errorf("keepalived.conf: %v", d)
	}
	if len(cfg.Instances) == 0 {
		t.Error("keepalived.conf has no vrrp_instance")
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
