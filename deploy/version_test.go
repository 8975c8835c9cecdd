package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestOneVersion: the VERSION file is the release everything names: the chart's appVersion (the
// default image tag), the image tag of every catalog template's docker-compose.yml (and so of every
// file `havip render -o` writes) and the default tag of the compose examples.
func TestOneVersion(t *testing.T) {
	version := readVersion(t)
	want := "havip/havip:" + version

	var chart struct {
		AppVersion string `yaml:"appVersion"`
	}
	data, err := os.ReadFile("../charts/havip/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &chart); err != nil {
		t.Fatal(err)
	}
	if chart.AppVersion != version {
		t.Errorf("charts/havip/Chart.yaml appVersion = %q, VERSION = %q", chart.AppVersion, version)
	}

	image := regexp.MustCompile(`(?m)^\s*image:\s*(\S+)`)
	files, _ := filepath.Glob("../templates/*/*/docker-compose.yml")
	if len(files) < 4 {
		t.Fatalf("found %d catalog compose files", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range image.FindAllStringSubmatch(string(data), -1) {
			if m[1] != want {
				t.Errorf("%s: image %s, want %s", f, m[1], want)
			}
		}
	}
	for _, f := range []string{"compose/docker-compose.yml", "compose/docker-compose.config.yml"} {
		if got := load(t, f).Image; got != want {
			t.Errorf("%s: image %s without HAVIP_TAG, want %s", f, got, want)
		}
	}
}
