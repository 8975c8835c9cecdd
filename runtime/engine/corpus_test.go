package engine

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/vrrp"
)

// TestEngineRunsWhatCheckPasses: every instance of every corpus config
// havip check passes (pass-*.conf, and drop-*.conf where the faulty part
// is dropped) maps onto an instance whose state machine the engine builds,
// so that havip run starts what havip check accepts.
func TestEngineRunsWhatCheckPasses(t *testing.T) {
	files, err := filepath.Glob("../../config/testdata/diff/*.conf")
	if err != nil || len(files) < 30 {
		t.Fatalf("want the config corpus, have %d files (%v)", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if !strings.HasPrefix(name, "pass-") && !strings.HasPrefix(name, "drop-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			cfg, diags := config.Load(f, config.Options{ConfigID: "node1"})
			if diags.HasErrors() {
				t.Fatalf("havip check fails it:\n%v", diags.Err())
			}
			for _, ci := range cfg.Instances {
				inst, err := newInstance(ci, &cfg.Global)
				if err != nil {
					t.Errorf("vrrp_instance %s: %v", ci.Name, err)
					continue
				}
				if _, err := vrrp.New(inst.vcfg, placeholder(inst.family)); err != nil {
					t.Errorf("vrrp_instance %s: %v", ci.Name, err)
				}
			}
		})
	}
}
