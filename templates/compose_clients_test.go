package templates_test

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/render"
	"github.com/havip/havip/templates"
)

// sampleEnv reads a version's answers.txt (variable=value lines) as the environment Rancher 1.x
// interpolates the catalog's docker-compose.yml with.
func sampleEnv(t *testing.T, data []byte) []string {
	t.Helper()
	var env []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(line, "=") {
			t.Fatalf("answers.txt line %q is not variable=value", line)
		}
		env = append(env, line)
	}
	return env
}

// TestComposeClients feeds every catalog version's docker-compose.yml to the docker-compose 1.x
// client (Rancher 1.x era: the catalog files must stay in its formats, v1 or version "2"), and
// the file `havip render -o` writes to compose-go, the loader of `docker compose` v2 (the
// rendered files are the Compose Specification: no version key, a top-level name, which
// docker-compose 1.x refuses).
func TestComposeClients(t *testing.T) {
	dc := testenv.RequireCommand(t, "docker-compose", "docker-compose")
	c, err := templates.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tmpl := range c.Templates {
		for _, v := range tmpl.Versions {
			t.Run(tmpl.Folder+"/"+v.Version, func(t *testing.T) {
				dir := t.TempDir()
				catalogFile := path.Join(dir, "catalog.yml")
				data, err := fs.ReadFile(templates.FS, path.Join(tmpl.Folder, v.Version, "docker-compose.yml"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(catalogFile, data, 0o644); err != nil {
					t.Fatal(err)
				}
				answers, err := fs.ReadFile(templates.FS, path.Join(tmpl.Folder, v.Version, "answers.txt"))
				if err != nil {
					t.Fatal(err)
				}
				out, err := dockerCompose(t, dc, dir, sampleEnv(t, answers), catalogFile)
				if err != nil || !strings.Contains(out, "network_mode: host") || !strings.Contains(out, "NET_RAW") {
					t.Fatalf("docker-compose 1.x refuses the catalog file: %v\n%s", err, out)
				}

				res, err := render.Render(render.Request{Template: tmpl.Folder, Version: v, WithCompose: true,
					AnswersFile: "answers.txt", Answers: answers,
					Facts: render.StaticFacts(render.Facts{Hostname: "node-a", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("2001:db8::2")}})})
				if err != nil {
					t.Fatal(err)
				}
				p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
					WorkingDir:  dir,
					ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml", Content: res.Compose}},
					Environment: types.Mapping{},
				})
				if err != nil {
					t.Fatalf("compose-go refuses the rendered file: %v\n%s", err, res.Compose)
				}
				if len(p.Services) != 1 {
					t.Fatalf("rendered file has services %v", p.ServiceNames())
				}
				for _, s := range p.Services {
					if s.NetworkMode != "host" || !strings.HasPrefix(s.Image, "havip/havip:") {
						t.Errorf("rendered service: network_mode %q, image %q", s.NetworkMode, s.Image)
					}
				}
				rendered := path.Join(dir, "rendered.yml")
				if err := os.WriteFile(rendered, res.Compose, 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := dockerCompose(t, dc, dir, nil, rendered); err == nil || !strings.Contains(out, "'name' does not match") {
					t.Errorf("docker-compose 1.x accepts the rendered file (err %v), but the docs say it is for docker compose v2 only:\n%s", err, out)
				}
			})
		}
	}
}

// dockerCompose runs `docker-compose -f file config` (no engine needed) with only env set.
func dockerCompose(t *testing.T, dc, dir string, env []string, file string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dc, "--project-name", "havip", "-f", file, "config")
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
