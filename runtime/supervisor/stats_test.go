package supervisor

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// statsBecome waits until the supervisor's Stats satisfy ok.
func statsBecome(t *testing.T, h *harness, what string, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		st := h.sup.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: not %s within %v; log:\n%s", st, what, waitFor, h.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStatsCountReloads(t *testing.T) {
	hash := func(text string) string { sum := sha256.Sum256([]byte(text)); return hex.EncodeToString(sum[:]) }
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	writeFile(t, path, conf(100))
	h := start(t, File{Path: path}, false)

	first := statsBecome(t, h, "started", func(s Stats) bool { return s.ConfigHash != "" })
	if first.Reloads != 0 || first.Failed != 0 || first.ConfigHash != hash(conf(100)) || first.LastSuccess.IsZero() {
		t.Fatalf("after start: %+v, want no reloads and the hash of the first config", first)
	}

	writeFile(t, path, strings.Replace(conf(100), "virtual_router_id 51", "virtual_router_id 300", 1))
	h.waitLog(t, "new config rejected")
	bad := statsBecome(t, h, "one failed reload", func(s Stats) bool { return s.Failed == 1 })
	if bad.Reloads != 1 || bad.ConfigHash != first.ConfigHash || !bad.LastSuccess.Equal(first.LastSuccess) ||
		!bad.LastFailure.After(bad.LastSuccess) || !strings.Contains(bad.LastError, "virtual_router_id") {
		t.Fatalf("after a rejected config: %+v, want 1 reload, 1 failed, the first config still running", bad)
	}

	writeFile(t, path, conf(120))
	h.applied(t)
	good := statsBecome(t, h, "the new config applied", func(s Stats) bool { return s.ConfigHash == hash(conf(120)) })
	if good.Reloads != 2 || good.Failed != 1 || !good.LastSuccess.After(good.LastFailure) {
		t.Fatalf("after a good config: %+v, want 2 reloads, 1 failed, a later success", good)
	}
}
