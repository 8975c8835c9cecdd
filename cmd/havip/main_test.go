package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func TestHelpAndVersion(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		stdout   string // must appear on stdout
		stderr   string // must appear on stderr
		noStdout bool
	}{
		{[]string{"--version"}, 0, "havip dev\n", "", false},
		{[]string{"version"}, 0, "havip dev\n", "", false},
		{[]string{"help", "render"}, 0, "", "usage: havip render TEMPLATE", true},
		{[]string{"help", "catalog", "show"}, 0, "", "usage: havip catalog show TEMPLATE", true},
		{[]string{"help"}, 0, "", "commands:", true},
		{nil, 2, "", "havip: a command is required", true},
		{[]string{"bogus"}, 2, "", `unknown command "bogus" for "havip"`, true},
		{[]string{"run", "--bogus"}, 2, "", "havip run: unknown flag: --bogus", true},
		{[]string{"run", "extra"}, 2, "", `havip run: unexpected argument "extra"`, true},
		{[]string{"run", "--log-format", "xml", "--status-socket", ""}, 2, "", `--log-format "xml": want text or json`, true},
	} {
		var stdout, stderr bytes.Buffer
		code := execute(tc.args, nil, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) ||
			(tc.noStdout && stdout.Len() > 0) {
			t.Errorf("havip %v = %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
		}
	}
}

// Every command answers -h with its usage and exit code 0.
func TestEveryCommandHasHelp(t *testing.T) {
	root := newRoot(&app{environ: map[string]string{}, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			path := strings.Fields(sub.CommandPath())[1:]
			var stdout, stderr bytes.Buffer
			if code := execute(append(path, "-h"), nil, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: "+sub.CommandPath()) {
				t.Errorf("havip %s -h = %d, %q", strings.Join(path, " "), code, stderr.String())
			}
			n++
			walk(sub)
		}
	}
	walk(root)
	if n < 10 {
		t.Errorf("only %d commands", n)
	}
}

func TestCatalogJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := execute([]string{"catalog", "list", "--json"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var list []catalogTemplate
	if err := json.Unmarshal(stdout.Bytes(), &list); err != nil || len(list) != 3 || list[2].Name != "keepalived" ||
		strings.Join(list[2].Versions, ",") != "0,1" {
		t.Fatalf("catalog list --json = %s (%v)", stdout.String(), err)
	}
	stdout.Reset()
	if code := execute([]string{"catalog", "show", "keepalived", "--version", "0", "--json"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var show catalogVersion
	if err := json.Unmarshal(stdout.Bytes(), &show); err != nil || show.Template != "keepalived" || show.Version != "0" {
		t.Fatalf("catalog show --json = %s (%v)", stdout.String(), err)
	}
	found := false
	for _, q := range show.Questions {
		if q.Variable == "virtual_ip" && q.Env == "VIRTUAL_IP" && q.Type == "ipv4" && q.Required {
			found = true
		}
	}
	if !found {
		t.Errorf("no virtual_ip question in %s", stdout.String())
	}
}

func TestJSONLogsDurationsInSeconds(t *testing.T) {
	var b bytes.Buffer
	log, err := newLogger(&b, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("script failed", "duration", 1500*time.Millisecond, slog.Group("g", "advert_int", time.Second))
	var got struct {
		Duration float64 `json:"duration"`
		G        struct {
			AdvertInt float64 `json:"advert_int"`
		} `json:"g"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got.Duration != 1.5 || got.G.AdvertInt != 1 {
		t.Fatalf("log line %s (%v): want duration 1.5 and advert_int 1", b.String(), err)
	}
	b.Reset()
	text, _ := newLogger(&b, "text", "info")
	text.Info("x", "duration", 1500*time.Millisecond)
	if !strings.Contains(b.String(), "duration=1.5s") {
		t.Errorf("text log %q: want Go's duration", b.String())
	}
}

func TestCheckPrintOfAnUnreadableFile(t *testing.T) {
	for _, flag := range []string{"--print", "--json"} {
		var stdout, stderr bytes.Buffer
		code := execute([]string{"check", "-f", "/nonexistent/keepalived.conf", flag}, nil, &stdout, &stderr)
		if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "/nonexistent/keepalived.conf") {
			t.Errorf("check %s of a missing file = %d, stdout %q, stderr %q; want 1, nothing printed", flag, code, stdout.String(), stderr.String())
		}
	}
}
