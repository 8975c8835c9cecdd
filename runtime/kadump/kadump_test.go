package kadump

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/test/lab"
)

// reference is test/lab's keepalived 2.2.7 dumps of testdata/keepalived.conf:
// VI_1 and VI_2 MASTER (a sync group), VI_3 in FAULT (its script fails).
const reference = "../../test/lab/testdata/"

// kernelOnly are keepalived.data lines about kernel state havip has no
// equivalent of, and the transition time, which differs between runs.
var kernelOnly = []string{"Read timeout", "Master down timer", "Last transition"}

// referenceDump builds the snapshot havip takes in the state the reference
// dumps show.
func referenceDump(t *testing.T) Dump {
	t.Helper()
	cfg, diags := config.Load(filepath.Join(reference, "keepalived.conf"), config.Options{})
	if diags.HasErrors() {
		t.Fatalf("reference config: %v", diags)
	}
	states := map[string]string{"VI_1": "MASTER", "VI_2": "MASTER", "VI_3": "FAULT"}
	since := time.Date(2026, 12, 3, 21, 54, 53, 153625000, time.UTC)
	var snap engine.Snapshot
	for _, ci := range cfg.Instances {
		s := engine.InstanceStatus{
			Name: ci.Name, Interface: ci.Interface, VRID: ci.VRID, Version: ci.Version,
			State: states[ci.Name], Priority: ci.Priority, BasePriority: ci.Priority, Since: since,
			Source: "192.0.2.1", Config: ci,
		}
		for _, v := range ci.VirtualAddresses {
			s.VIPs = append(s.VIPs, v.Prefix.String())
		}
		if ci.Name == "VI_3" {
			s.Faults = []string{`tracker: script "bad" down`}
			s.Trackers = []engine.TrackerStatus{{Kind: "script", Name: "bad", State: "down"}}
		}
		s.Stats.AdvertsSent, s.Stats.BecameMaster = 3, 1
		snap.Instances = append(snap.Instances, s)
	}
	return Dump{Snapshot: snap, Config: cfg}
}

func readRef(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(reference, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDataMatchesKeepalived(t *testing.T) {
	var b bytes.Buffer
	if err := WriteData(&b, referenceDump(t)); err != nil {
		t.Fatal(err)
	}
	got, err := lab.ParseData(b.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	want, err := lab.ParseData(readRef(t, "keepalived.data"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Fatalf("instances %v, keepalived's %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for name, w := range want {
		g := got[name]
		for k, wv := range w.Fields {
			if slices.Contains(kernelOnly, k) {
				continue
			}
			if v, ok := lab.DeliberateData[k]; ok {
				wv = v
			}
			if gv, ok := g.Fields[k]; !ok || gv != wv {
				t.Errorf("%s: %q = %q (present %v), keepalived %q", name, k, gv, ok, wv)
			}
		}
		for k := range g.Fields {
			if _, ok := w.Fields[k]; !ok {
				t.Errorf("%s: %q is not a keepalived line", name, k)
			}
		}
		if !slices.Equal(g.VIPs, w.VIPs) {
			t.Errorf("%s: VIPs %q, keepalived %q", name, g.VIPs, w.VIPs)
		}
	}
}

func TestStatsMatchKeepalived(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStats(&b, referenceDump(t)); err != nil {
		t.Fatal(err)
	}
	got, err := lab.ParseStats(b.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	want, err := lab.ParseStats(readRef(t, "keepalived.stats"))
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		// The reference's VI_3 (FAULT) sent nothing; its counters differ in value only.
		if !slices.Equal(slices.Sorted(maps.Keys(got[name])), slices.Sorted(maps.Keys(w))) {
			t.Errorf("%s: counters %v, keepalived %v", name, slices.Sorted(maps.Keys(got[name])), slices.Sorted(maps.Keys(w)))
		}
	}
	if !maps.Equal(got["VI_1"], want["VI_1"]) {
		t.Errorf("VI_1 = %v, keepalived %v", got["VI_1"], want["VI_1"])
	}
}

func TestJSONMatchesKeepalived(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, referenceDump(t)); err != nil {
		t.Fatal(err)
	}
	type inst struct {
		Data  map[string]any `json:"data"`
		Stats map[string]any `json:"stats"`
	}
	var got, want []inst
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(readRef(t, "keepalived.json")), &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d instances, keepalived %d", len(got), len(want))
	}
	for i := range want {
		name := want[i].Data["iname"]
		if !slices.Equal(slices.Sorted(maps.Keys(got[i].Data)), slices.Sorted(maps.Keys(want[i].Data))) {
			t.Errorf("%v data keys %v\nkeepalived %v", name, slices.Sorted(maps.Keys(got[i].Data)), slices.Sorted(maps.Keys(want[i].Data)))
		}
		if !slices.Equal(slices.Sorted(maps.Keys(got[i].Stats)), slices.Sorted(maps.Keys(want[i].Stats))) {
			t.Errorf("%v stats keys %v\nkeepalived %v", name, slices.Sorted(maps.Keys(got[i].Stats)), slices.Sorted(maps.Keys(want[i].Stats)))
		}
		for k, wv := range want[i].Data {
			if k == "last_transition" || k == "track_script" {
				continue // the time differs; keepalived resolves /bin to /usr/bin
			}
			if v, ok := lab.DeliberateJSON[k]; ok {
				wv = v
			}
			if gv := got[i].Data[k]; !jsonEqual(gv, wv) {
				t.Errorf("%v %s = %v, keepalived %v", name, k, gv, wv)
			}
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestUnicastChecksumCompat(t *testing.T) {
	for c, want := range map[config.UnicastChecksumCompat]string{
		config.UnicastChecksumAuto:  "no",
		config.UnicastChecksumOld:   "config",
		config.UnicastChecksumNever: "never",
	} {
		if got := unicastChecksumCompat(c); got != want {
			t.Errorf("unicastChecksumCompat(%q) = %q, want %q", c, got, want)
		}
	}
}
