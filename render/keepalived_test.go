package render

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/havip/havip/internal/testenv"

	"github.com/havip/havip/catalog"
	"github.com/havip/havip/test/lab"
)

// TestKeepalivedAcceptsRenders runs real `keepalived -t` on every sample,
// default and golden render, in a namespace that has eth0. The probe points
// at /bin/true: keepalived disables (and -t fails on) scripts that do not exist.
func TestKeepalivedAcceptsRenders(t *testing.T) {
	testenv.RequireCommand(t, "keepalived", "keepalived")
	host := lab.NewHost(t, "eth0")
	check := func(t *testing.T, req Request) {
		t.Helper()
		req.Probe = "/bin/true"
		req.Facts = StaticFacts(testNode)
		res, err := Render(req)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		file := filepath.Join(dir, ConfigFile)
		if err := os.WriteFile(file, res.KeepalivedConf, 0o644); err != nil {
			t.Fatal(err)
		}
		// private pid files: a keepalived running elsewhere must not matter
		out, err := host.Try("keepalived", "-t", "-f", file,
			"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
		if err != nil {
			t.Fatalf("keepalived -t: %v\n%s\nconfig:\n%s", err, out, res.KeepalivedConf)
		}
	}
	eachVersion(t, func(t *testing.T, tmpl *catalog.Template, v *catalog.Version) {
		t.Run("sample", func(t *testing.T) {
			check(t, Request{Template: tmpl.Folder, Version: v, AnswersFile: SampleAnswersFile, Answers: sampleAnswers(t, v)})
		})
		t.Run("defaults", func(t *testing.T) {
			check(t, testVIP(Request{Template: tmpl.Folder, Version: v}))
		})
	})
	ipfailover := version(t, "ipfailover", "0")
	for _, tc := range goldenCases {
		t.Run("ipfailover/"+tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			if _, ok := env["OPENSHIFT_HA_CHECK_SCRIPT"]; ok {
				env["OPENSHIFT_HA_CHECK_SCRIPT"] = "/bin/true --port 1936" // a check that exists here
			}
			check(t, testVIP(Request{Template: "ipfailover", Version: ipfailover, Env: env}))
		})
	}
}
