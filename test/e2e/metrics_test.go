package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/test/lab"
)

// httpAddr is where havip serves HTTP inside each node's namespace.
const httpAddr = "127.0.0.1:9165"

// httpGet runs curl in s's namespace and returns the status code and body.
func (s *speaker) httpGet(t *testing.T, method, path string) (int, string) {
	t.Helper()
	out, err := s.node.Try("curl", "-s", "-m", "5", "-X", method, "-w", "\n%{http_code}", "http://"+httpAddr+path)
	if err != nil {
		return 0, out
	}
	i := strings.LastIndex(out, "\n")
	code, err := strconv.Atoi(strings.TrimSpace(out[i+1:]))
	if err != nil {
		t.Fatalf("curl %s %s: no status code in %q", method, path, out)
	}
	return code, out[:i]
}

// metric scrapes /metrics and returns the value of fam's series with exactly
// labels; ok is false when the scrape fails or the series is absent.
func (s *speaker) metric(t *testing.T, fam string, labels map[string]string) (float64, bool) {
	t.Helper()
	code, body := s.httpGet(t, "GET", "/metrics")
	if code != 200 {
		return 0, false
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("havip in %s: /metrics does not parse: %v", s.node.NS, err)
	}
	f := fams[fam]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		if !reflect.DeepEqual(got, labels) {
			continue
		}
		if f.GetType() == dto.MetricType_COUNTER {
			return m.Counter.GetValue(), true
		}
		return m.Gauge.GetValue(), true
	}
	return 0, false
}

// waitMetric waits until fam{labels} satisfies cond and returns its value.
func (s *speaker) waitMetric(t *testing.T, fam string, labels map[string]string, what string, cond func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(electionTimeout)
	for {
		v, ok := s.metric(t, fam, labels)
		if ok && cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			_, body := s.httpGet(t, "GET", "/metrics")
			t.Fatalf("havip in %s: %s%v = %v (present %v), not %s within %v\nmetrics:\n%s\nlog:\n%s",
				s.node.NS, fam, labels, v, ok, what, electionTimeout, grepLines(body, fam), s.proc.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitHTTP waits until GET path answers code, and returns the body.
func (s *speaker) waitHTTP(t *testing.T, path string, code int) string {
	t.Helper()
	deadline := time.Now().Add(electionTimeout)
	for {
		got, body := s.httpGet(t, "GET", path)
		if got == code {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("havip in %s: GET %s = %d %q, not %d within %v\nlog:\n%s", s.node.NS, path, got, body, code, electionTimeout, s.proc.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func labels(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestMetricsAndProbes: a master and a backup serve the exporters' state
// encoding and growing advert counters; a failing vrrp_script flips
// keepalived_script_status and takes the master to FAULT, which /readyz
// reports until it recovers; a VIP deleted behind the master's back is
// restored and counted; a VIP on the backup makes it not ready; transitions
// are counted with their reason; nothing but GET and HEAD is answered.
func TestMetricsAndProbes(t *testing.T) {
	t.Parallel()
	testenv.RequireCommand(t, "curl", "curl")
	l := lab.New(t, lab.Options{Nodes: 2})
	okFile := filepath.Join(t.TempDir(), "healthy")
	writeFile(t, okFile, "")
	script := fmt.Sprintf("vrrp_script chk {\n  script \"/usr/bin/test -e %s\"\n  interval 0.2\n}\n", okFile)
	a := startHavip(t, l.Nodes[0], script+instanceConf{Priority: 120, VIPs: []string{vip4.String()},
		Extra: "  track_script {\n    chk\n  }\n"}.conf(), "--http-listen", httpAddr)
	b := startHavip(t, l.Nodes[1], instanceConf{Priority: 110, VIPs: []string{vip4.String()}}.conf(), "--http-listen", httpAddr)
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	b.WaitState(t, "VI_1", "BACKUP", electionTimeout)

	inst := labels("iname", "VI_1", "intf", "eth0", "vrid", "51")
	vip := labels("iname", "VI_1", "intf", "eth0", "vrid", "51", "ip_address", vip4.Addr().String())
	a.waitMetric(t, "keepalived_vrrp_state", vip, "2 (MASTER)", func(v float64) bool { return v == 2 })
	b.waitMetric(t, "keepalived_vrrp_state", vip, "1 (BACKUP)", func(v float64) bool { return v == 1 })

	sent := a.waitMetric(t, "keepalived_advertisements_sent_total", inst, "positive", func(v float64) bool { return v > 0 })
	rcvd := b.waitMetric(t, "keepalived_advertisements_received_total", inst, "positive", func(v float64) bool { return v > 0 })
	a.waitMetric(t, "keepalived_advertisements_sent_total", inst, "growing", func(v float64) bool { return v > sent })
	b.waitMetric(t, "keepalived_advertisements_received_total", inst, "growing", func(v float64) bool { return v > rcvd })
	a.waitMetric(t, "havip_vrrp_transitions_total", labels("iname", "VI_1", "intf", "eth0", "vrid", "51", "from", "BACKUP", "to", "MASTER", "reason", "master_down"),
		"1", func(v float64) bool { return v == 1 })
	b.waitMetric(t, "havip_vrrp_transitions_total", labels("iname", "VI_1", "intf", "eth0", "vrid", "51", "from", "INIT", "to", "BACKUP", "reason", "startup"),
		"1", func(v float64) bool { return v == 1 })
	a.waitMetric(t, "keepalived_script_status", labels("name", "chk"), "1 (GOOD)", func(v float64) bool { return v == 1 })
	a.waitHTTP(t, "/readyz", 200)
	b.waitHTTP(t, "/readyz", 200)
	a.waitHTTP(t, "/healthz", 200)

	for _, method := range []string{"POST", "PUT", "DELETE"} {
		for _, path := range []string{"/metrics", "/readyz", "/status"} {
			if code, body := a.httpGet(t, method, path); code != 405 {
				t.Fatalf("%s %s = %d %q, want 405", method, path, code, body)
			}
		}
	}
	// /status is `havip status --json`: the same instances, fields and values (but the counters, which move).
	code, body := a.httpGet(t, "GET", "/status")
	var snap engine.Snapshot
	if err := json.Unmarshal([]byte(body), &snap); code != 200 || err != nil || len(snap.Instances) != 1 {
		t.Fatalf("GET /status = %d %q (%v), want VI_1's status", code, body, err)
	}
	overHTTP := snap.Instances
	if fromSocket := status(t, a); fromSocket.Name != overHTTP[0].Name || fromSocket.State != "MASTER" || overHTTP[0].State != "MASTER" ||
		!reflect.DeepEqual(fromSocket.VIPs, overHTTP[0].VIPs) || fromSocket.Master != overHTTP[0].Master || !fromSocket.Since.Equal(overHTTP[0].Since) {
		t.Fatalf("GET /status = %+v, havip status --json = %+v: want the same instance", overHTTP[0], fromSocket)
	}

	// A VIP removed behind the master's back: it resigns, wins the election again and re-adds it.
	a.node.Exec(t, "ip", "addr", "del", vip4.String(), "dev", "eth0")
	a.waitMetric(t, "havip_vrrp_vip_removals_total", inst, "1", func(v float64) bool { return v == 1 })
	lab.Eventually(t, electionTimeout, "the deleted VIP back on the master", func() bool { return a.node.HasAddr(t, "eth0", vip4) })
	a.waitMetric(t, "havip_vrrp_transitions_total", labels("iname", "VI_1", "intf", "eth0", "vrid", "51", "from", "MASTER", "to", "BACKUP", "reason", "vip_removed"),
		"1", func(v float64) bool { return v == 1 })
	a.waitMetric(t, "keepalived_vrrp_state", vip, "2 (MASTER) again", func(v float64) bool { return v == 2 })
	a.waitHTTP(t, "/readyz", 200)
	if b.node.HasAddr(t, "eth0", vip4) {
		t.Fatal("the backup holds the VIP after the master restored it")
	}

	// A failing script (weight 0): FAULT, not ready, script status 0; and back.
	if err := os.Remove(okFile); err != nil {
		t.Fatal(err)
	}
	a.waitMetric(t, "keepalived_script_status", labels("name", "chk"), "0 (BAD)", func(v float64) bool { return v == 0 })
	a.waitMetric(t, "keepalived_vrrp_state", vip, "3 (FAULT)", func(v float64) bool { return v == 3 })
	if body := a.waitHTTP(t, "/readyz", 503); !strings.Contains(body, "FAULT") {
		t.Fatalf("/readyz in FAULT answered %q, want the FAULT named", body)
	}
	b.waitMetric(t, "keepalived_vrrp_state", vip, "2 (MASTER)", func(v float64) bool { return v == 2 })
	b.waitHTTP(t, "/readyz", 200)
	a.waitMetric(t, "havip_vrrp_transitions_total", labels("iname", "VI_1", "intf", "eth0", "vrid", "51", "from", "MASTER", "to", "FAULT", "reason", "fault"),
		"1", func(v float64) bool { return v == 1 })
	a.waitHTTP(t, "/healthz", 200)

	cleared := labels("iname", "VI_1", "intf", "eth0", "vrid", "51", "from", "FAULT", "to", "BACKUP", "reason", "fault_cleared")
	before, _ := a.metric(t, "havip_vrrp_transitions_total", cleared) // the start leaves the script's init FAULT too
	writeFile(t, okFile, "")
	a.waitMetric(t, "keepalived_script_status", labels("name", "chk"), "1 (GOOD)", func(v float64) bool { return v == 1 })
	a.waitMetric(t, "keepalived_vrrp_state", vip, "2 (MASTER) after preempting", func(v float64) bool { return v == 2 })
	a.waitHTTP(t, "/readyz", 200)
	a.waitMetric(t, "havip_vrrp_transitions_total", cleared, "one more", func(v float64) bool { return v == before+1 })
	b.waitMetric(t, "havip_vrrp_masters_seen_total", labels("iname", "VI_1", "intf", "eth0", "vrid", "51", "outcome", "yielded"),
		"counted when the master preempted it", func(v float64) bool { return v >= 1 })
	b.waitHTTP(t, "/readyz", 200)

	// A VIP on the backup: not ready until it is gone.
	b.node.Exec(t, "ip", "addr", "add", vip4.String(), "dev", "eth0")
	if body := b.waitHTTP(t, "/readyz", 503); !strings.Contains(body, "BACKUP holds VIP "+vip4.String()) {
		t.Fatalf("/readyz of a backup holding the VIP answered %q", body)
	}
	b.node.Exec(t, "ip", "addr", "del", vip4.String(), "dev", "eth0")
	b.waitHTTP(t, "/readyz", 200)
	a.Stop(t)
	b.Stop(t)
}

// TestSuperviseServesReloads: `havip supervise` with HAVIP_HTTP_LISTEN counts
// its reloads, and a rejected config makes it not ready until a good one runs.
func TestSuperviseServesReloads(t *testing.T) {
	t.Parallel()
	testenv.RequireCommand(t, "curl", "curl")
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	conf := func(prio int) string { return instanceConf{Priority: prio, VIPs: []string{vip4.String()}}.conf() }
	s := &supervised{path: filepath.Join(t.TempDir(), "keepalived.conf"), output: filepath.Join(t.TempDir(), "run")}
	writeFile(t, s.path, conf(120))
	p := node.Start(t, "havip-supervise-"+node.NS, "env", "HAVIP_HTTP_LISTEN="+httpAddr,
		havipBin, "supervise", "-f", s.path, "--output", s.output, "--status-socket", "")
	s.speaker = &speaker{node: node, proc: p}
	s.WaitState(t, "VI_1", "MASTER", electionTimeout)
	none := map[string]string{}
	s.waitMetric(t, "havip_reload_last_success_timestamp_seconds", none, "set at start", func(v float64) bool { return v > 0 })
	s.waitMetric(t, "havip_reloads_total", none, "0", func(v float64) bool { return v == 0 })
	s.waitHTTP(t, "/readyz", 200)

	s.edit(t, conf(130))
	s.waitMetric(t, "havip_reloads_total", none, "1", func(v float64) bool { return v == 1 })
	s.waitMetric(t, "havip_vrrp_base_priority", labels("iname", "VI_1", "intf", "eth0", "vrid", "51"), "130", func(v float64) bool { return v == 130 })

	s.edit(t, strings.Replace(conf(140), "virtual_router_id 51", "virtual_router_id 300", 1))
	s.waitMetric(t, "havip_reloads_failed_total", none, "1", func(v float64) bool { return v == 1 })
	if body := s.waitHTTP(t, "/readyz", 503); !strings.Contains(body, "rejected") || !strings.Contains(body, "virtual_router_id") {
		t.Fatalf("/readyz after a rejected config answered %q, want the rejection named", body)
	}
	s.edit(t, conf(140))
	s.waitHTTP(t, "/readyz", 200)
	s.waitMetric(t, "havip_reloads_total", none, "3", func(v float64) bool { return v == 3 })
	s.waitMetric(t, "havip_reloads_failed_total", none, "still 1", func(v float64) bool { return v == 1 })
	s.Stop(t)
}
