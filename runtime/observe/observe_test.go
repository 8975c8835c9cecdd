package observe

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/supervisor"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// fakeEngine serves a fixed snapshot.
type fakeEngine struct {
	snap     engine.Snapshot
	problems []engine.Problem
	err      error
	beat     time.Time
}

func (f *fakeEngine) SnapshotContext(context.Context) (engine.Snapshot, error) { return f.snap, f.err }
func (f *fakeEngine) Consistency(context.Context) ([]engine.Problem, error)    { return f.problems, f.err }
func (f *fakeEngine) LastHeartbeat() time.Time                                 { return f.beat }

// sample is a master with a VIP, an excluded VIP and a script, and a backup without VIPs.
func sample() *fakeEngine {
	return &fakeEngine{beat: time.Now(), snap: engine.Snapshot{
		Instances: []engine.InstanceStatus{
			{Name: "VI_1", Interface: "eth0", VRID: 51, State: "MASTER", Priority: 90, BasePriority: 100, GarpMasterDelay: 5,
				Addresses: []engine.AddressStatus{{Address: "192.0.2.100/24", Interface: "eth0"}, {Address: "192.0.2.200/32", Interface: "eth1", Excluded: true}},
				Trackers: []engine.TrackerStatus{{Kind: "script", Name: "chk", Weight: -10, State: "down",
					Runs: &track.RunStats{Runs: 4, Failures: 1, LastExit: 3, LastDuration: 20 * time.Millisecond, TotalDuration: 80 * time.Millisecond}}},
				Stats: engine.InstanceStats{
					Stats:           vrrp.Stats{AdvertsReceived: 7, AdvertsSent: 40, BecameMaster: 1, PriorityZeroSent: 2},
					AddrListErrors:  3,
					Drops:           map[vrrp.DropReason]uint64{vrrp.DropTTL: 5, vrrp.DropTooShort: 1, vrrp.DropLength: 2, vrrp.DropAuthPass: 4, vrrp.DropAuthInvalid: 6},
					Transitions:     []engine.TransitionCount{{From: "BACKUP", To: "MASTER", Reason: engine.ReasonMasterDown, Count: 1}},
					MastersSeen:     map[engine.MasterSeenOutcome]uint64{engine.MasterSeenReasserted: 6},
					ForeignAdverts:  map[engine.ForeignKind]uint64{engine.ForeignAuth: 4},
					ForeignRouters:  map[engine.ForeignKind][]string{engine.ForeignAuth: {"192.0.2.9"}},
					VIPRemovals:     1,
					RoutingRemovals: 2,
				}},
			{Name: "VI_2", Interface: "eth0", VRID: 52, State: "BACKUP", Priority: 100, BasePriority: 100},
		},
		Ports: []engine.PortStatus{{Interface: "eth0", Family: 4, Accepted: 11, UnknownVRID: 2, Drops: map[vrrp.DropReason]uint64{vrrp.DropChecksum: 1},
			Checksums: map[string]uint64{"rfc5798-pseudo-header": 11}}},
		Notify:         engine.NotifyStatus{Pending: 2, Dropped: 1},
		StaticRestored: map[string]uint64{"route": 3},
		VirtualServers: []engine.VirtualServerStatus{{Name: "192.0.2.100:80 TCP", Quorum: true, RealServers: []engine.RealServerStatus{
			{Address: "198.51.100.1:8080", Alive: true, Weight: 3},
			{Address: "198.51.100.2:8080", Alive: false, Weight: -1, Checkers: []engine.CheckerStatus{{Kind: "HTTP_GET", HasRun: true}, {Kind: "TCP_CHECK", Up: true, HasRun: true}}},
		}, Services: []engine.LVSServiceStatus{{Address: "192.0.2.100", Port: 80, Protocol: "TCP",
			Traffic: engine.LVSTraffic{Connections: 12, InPackets: 70, OutPackets: 60, InBytes: 7000, OutBytes: 90000},
			Destinations: []engine.LVSDestinationTraffic{
				{Address: "198.51.100.1", Port: 8080, Traffic: engine.LVSTraffic{Connections: 10, InPackets: 60, OutPackets: 50, InBytes: 6000, OutBytes: 80000}},
			}}}},
			{Name: "group web", Quorum: true, Services: []engine.LVSServiceStatus{
				{Address: "2001:db8::10", Port: 53, Protocol: "UDP", Traffic: engine.LVSTraffic{Connections: 3, InPackets: 4, OutPackets: 5, InBytes: 6, OutBytes: 7},
					Destinations: []engine.LVSDestinationTraffic{{Address: "2001:db8::20", Port: 5353, Traffic: engine.LVSTraffic{Connections: 3, InPackets: 4, OutPackets: 5, InBytes: 6, OutBytes: 7}}}},
				{Fwmark: 7, Traffic: engine.LVSTraffic{Connections: 1}, Destinations: []engine.LVSDestinationTraffic{{Address: "198.51.100.3", Traffic: engine.LVSTraffic{Connections: 1}}}},
				{Fwmark: 8, Traffic: engine.LVSTraffic{Connections: 2}, Destinations: []engine.LVSDestinationTraffic{}},
			}}},
	}}
}

func newServer(t *testing.T, e Engine, reloads func() supervisor.Stats) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(Options{Engine: func() Engine { return e }, Reloads: reloads, Version: "v1.2.3",
		HeartbeatBound: time.Second}))
	t.Cleanup(srv.Close)
	return srv
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of fam with exactly labels, and whether it exists.
func value(fams map[string]*dto.MetricFamily, fam string, labels map[string]string) (float64, bool) {
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
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// The keepalived exporters' families (operations.md §2) with their label names.
var exporterFamilies = map[string][]string{
	"keepalived_up":                                   nil,
	"keepalived_vrrp_state":                           {"iname", "intf", "vrid", "ip_address"},
	"keepalived_vrrp_excluded_state":                  {"iname", "intf", "vrid", "ip_address"},
	"keepalived_check_script_status":                  {"iname", "intf", "vrid", "ip_address"},
	"keepalived_gratuitous_arp_delay_total":           {"iname", "intf", "vrid"},
	"keepalived_advertisements_received_total":        {"iname", "intf", "vrid"},
	"keepalived_advertisements_sent_total":            {"iname", "intf", "vrid"},
	"keepalived_become_master_total":                  {"iname", "intf", "vrid"},
	"keepalived_release_master_total":                 {"iname", "intf", "vrid"},
	"keepalived_packet_length_errors_total":           {"iname", "intf", "vrid"},
	"keepalived_advertisements_interval_errors_total": {"iname", "intf", "vrid"},
	"keepalived_ip_ttl_errors_total":                  {"iname", "intf", "vrid"},
	"keepalived_invalid_type_received_total":          {"iname", "intf", "vrid"},
	"keepalived_address_list_errors_total":            {"iname", "intf", "vrid"},
	"keepalived_authentication_invalid_total":         {"iname", "intf", "vrid"},
	"keepalived_authentication_mismatch_total":        {"iname", "intf", "vrid"},
	"keepalived_authentication_failure_total":         {"iname", "intf", "vrid"},
	"keepalived_priority_zero_received_total":         {"iname", "intf", "vrid"},
	"keepalived_priority_zero_sent_total":             {"iname", "intf", "vrid"},
	"keepalived_script_status":                        {"name"},
	"keepalived_script_state":                         {"name"},
	"keepalived_vrrp_advert_rcvd":                     {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_advert_sent":                     {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_become_master":                   {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_release_master":                  {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_packet_len_err":                  {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_advert_interval_err":             {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_ip_ttl_err":                      {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_invalid_type_rcvd":               {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_addr_list_err":                   {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_invalid_authtype":                {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_authtype_mismatch":               {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_auth_failure":                    {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_pri_zero_rcvd":                   {"name", "intf", "vrid", "state"},
	"keepalived_vrrp_pri_zero_sent":                   {"name", "intf", "vrid", "state"},
	"keepalived_lvs_vip_in_packets":                   {"addr", "proto"},
	"keepalived_lvs_vip_out_packets":                  {"addr", "proto"},
	"keepalived_lvs_vip_in_bytes":                     {"addr", "proto"},
	"keepalived_lvs_vip_out_bytes":                    {"addr", "proto"},
	"keepalived_lvs_vip_conn":                         {"addr", "proto"},
	"keepalived_lvs_rs_in_packets":                    {"vip", "addr", "proto"},
	"keepalived_lvs_rs_out_packets":                   {"vip", "addr", "proto"},
	"keepalived_lvs_rs_in_bytes":                      {"vip", "addr", "proto"},
	"keepalived_lvs_rs_out_bytes":                     {"vip", "addr", "proto"},
	"keepalived_lvs_rs_conn":                          {"vip", "addr", "proto"},
}

func TestMetricsHaveEveryExporterFamily(t *testing.T) {
	fams := scrape(t, newServer(t, sample(), nil).URL)
	for name, labels := range exporterFamilies {
		f := fams[name]
		if f == nil || len(f.Metric) == 0 {
			t.Errorf("family %s missing", name)
			continue
		}
		for _, m := range f.Metric {
			var got []string
			for _, l := range m.Label {
				got = append(got, l.GetName())
			}
			want := slices.Sorted(slices.Values(labels))
			if !slices.Equal(got, want) { // the text format sorts label names
				t.Errorf("%s: labels %v, want %v", name, got, want)
			}
		}
		wantType := dto.MetricType_GAUGE
		if strings.HasSuffix(name, "_total") && name != "keepalived_gratuitous_arp_delay_total" || strings.HasPrefix(name, "keepalived_vrrp_") && !strings.HasSuffix(name, "_state") || strings.HasPrefix(name, "keepalived_lvs_") {
			wantType = dto.MetricType_COUNTER
		}
		if f.GetType() != wantType {
			t.Errorf("%s: type %v, want %v", name, f.GetType(), wantType)
		}
	}
}

func TestMetricsValues(t *testing.T) {
	fams := scrape(t, newServer(t, sample(), func() supervisor.Stats {
		return supervisor.Stats{Reloads: 3, Failed: 1, LastSuccess: time.Unix(1700000000, 0), ConfigHash: "abc"}
	}).URL)
	vi1 := map[string]string{"iname": "VI_1", "intf": "eth0", "vrid": "51"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		fam    string
		labels map[string]string
		want   float64
	}{
		{"keepalived_up", map[string]string{}, 1},
		{"keepalived_vrrp_state", with(vi1, "ip_address", "192.0.2.100"), 2},
		{"keepalived_vrrp_excluded_state", map[string]string{"iname": "VI_1", "intf": "eth1", "vrid": "51", "ip_address": "192.0.2.200"}, 2},
		{"keepalived_vrrp_state", map[string]string{"iname": "VI_2", "intf": "eth0", "vrid": "52", "ip_address": ""}, 1},
		{"keepalived_check_script_status", with(vi1, "ip_address", "192.0.2.100"), 0},
		{"keepalived_gratuitous_arp_delay_total", vi1, 5},
		{"keepalived_advertisements_received_total", vi1, 7},
		{"keepalived_advertisements_sent_total", vi1, 40},
		{"keepalived_become_master_total", vi1, 1},
		{"keepalived_packet_length_errors_total", vi1, 3},
		{"keepalived_ip_ttl_errors_total", vi1, 5},
		{"keepalived_address_list_errors_total", vi1, 3},
		{"keepalived_authentication_failure_total", vi1, 4},
		{"keepalived_authentication_invalid_total", vi1, 6},
		{"keepalived_authentication_mismatch_total", vi1, 0},
		{"keepalived_priority_zero_sent_total", vi1, 2},
		{"keepalived_vrrp_advert_sent", map[string]string{"name": "VI_1", "intf": "eth0", "vrid": "51", "state": "MASTER"}, 40},
		{"keepalived_script_status", map[string]string{"name": "chk"}, 0},
		{"keepalived_script_state", map[string]string{"name": "chk"}, 0},
		{"havip_vrrp_transitions_total", with(vi1, "from", "BACKUP", "to", "MASTER", "reason", "master_down"), 1},
		{"havip_vrrp_priority", vi1, 90},
		{"havip_vrrp_base_priority", vi1, 100},
		{"havip_tracker_status", with(vi1, "kind", "script", "name", "chk"), 0},
		{"havip_tracker_weight", with(vi1, "kind", "script", "name", "chk"), -10},
		{"havip_tracker_disabled", with(vi1, "kind", "script", "name", "chk"), 0},
		{"havip_script_runs_total", map[string]string{"name": "chk"}, 4},
		{"havip_script_failures_total", map[string]string{"name": "chk"}, 1},
		{"havip_script_last_exit_code", map[string]string{"name": "chk"}, 3},
		{"havip_script_last_run_seconds", map[string]string{"name": "chk"}, 0.02},
		{"havip_script_run_seconds_total", map[string]string{"name": "chk"}, 0.08},
		{"havip_vrrp_adverts_received_total", vi1, 7},
		{"havip_vrrp_adverts_sent_total", vi1, 40},
		{"havip_vrrp_adverts_dropped_total", with(vi1, "reason", "bad_ttl"), 5},
		{"havip_vrrp_foreign_adverts_total", with(vi1, "kind", "auth_mismatch"), 4},
		{"havip_vrrp_foreign_routers", with(vi1, "kind", "auth_mismatch"), 1},
		{"havip_vrrp_masters_seen_total", with(vi1, "outcome", "reasserted"), 6},
		{"havip_vrrp_vip_removals_total", vi1, 1},
		{"havip_vrrp_routing_removals_total", vi1, 2},
		{"havip_static_restored_total", map[string]string{"kind": "route"}, 3},
		{"havip_port_adverts_accepted_total", map[string]string{"intf": "eth0", "family": "ipv4"}, 11},
		{"havip_port_unknown_vrid_total", map[string]string{"intf": "eth0", "family": "ipv4"}, 2},
		{"havip_port_adverts_dropped_total", map[string]string{"intf": "eth0", "family": "ipv4", "reason": "bad_checksum"}, 1},
		{"havip_port_checksum_forms_total", map[string]string{"intf": "eth0", "family": "ipv4", "form": "rfc5798-pseudo-header"}, 11},
		{"havip_reloads_total", map[string]string{}, 3},
		{"havip_reloads_failed_total", map[string]string{}, 1},
		{"havip_reload_last_success_timestamp_seconds", map[string]string{}, 1700000000},
		{"havip_config_info", map[string]string{"sha256": "abc"}, 1},
		{"havip_notify_queue_depth", map[string]string{}, 2},
		{"havip_notify_dropped_total", map[string]string{"queue": "script"}, 1},
		{"havip_notify_dropped_total", map[string]string{"queue": "fifo"}, 0},
		{"havip_smtp_alerts_total", map[string]string{"result": "sent"}, 0},
		{"havip_smtp_alerts_total", map[string]string{"result": "failed"}, 0},
		{"havip_lvs_virtual_server_quorum", map[string]string{"virtual_server": "192.0.2.100:80 TCP"}, 1},
		{"havip_lvs_sorry_server_active", map[string]string{"virtual_server": "192.0.2.100:80 TCP"}, 0},
		{"havip_lvs_real_server_up", map[string]string{"virtual_server": "192.0.2.100:80 TCP", "real_server": "198.51.100.1:8080"}, 1},
		{"havip_lvs_real_server_weight", map[string]string{"virtual_server": "192.0.2.100:80 TCP", "real_server": "198.51.100.1:8080"}, 3},
		{"havip_lvs_real_server_up", map[string]string{"virtual_server": "192.0.2.100:80 TCP", "real_server": "198.51.100.2:8080"}, 0},
		{"havip_lvs_real_server_weight", map[string]string{"virtual_server": "192.0.2.100:80 TCP", "real_server": "198.51.100.2:8080"}, -1},
		{"havip_lvs_checker_up", map[string]string{"virtual_server": "192.0.2.100:80 TCP", "real_server": "198.51.100.2:8080", "checker": "HTTP_GET", "index": "0"}, 0},
		{"havip_lvs_checker_up", map[string]string{"virtual_server": "192.0.2.100:80 TCP", "real_server": "198.51.100.2:8080", "checker": "TCP_CHECK", "index": "1"}, 1},
		// gen2brain/keepalived_exporter's IPVS families: addr ADDR:PORT as
		// net.IP.String()+":"+port, proto the protocol number.
		{"keepalived_lvs_vip_conn", map[string]string{"addr": "192.0.2.100:80", "proto": "6"}, 12},
		{"keepalived_lvs_vip_in_packets", map[string]string{"addr": "192.0.2.100:80", "proto": "6"}, 70},
		{"keepalived_lvs_vip_out_packets", map[string]string{"addr": "192.0.2.100:80", "proto": "6"}, 60},
		{"keepalived_lvs_vip_in_bytes", map[string]string{"addr": "192.0.2.100:80", "proto": "6"}, 7000},
		{"keepalived_lvs_vip_out_bytes", map[string]string{"addr": "192.0.2.100:80", "proto": "6"}, 90000},
		{"keepalived_lvs_rs_conn", map[string]string{"vip": "192.0.2.100:80", "addr": "198.51.100.1:8080", "proto": "6"}, 10},
		{"keepalived_lvs_rs_in_packets", map[string]string{"vip": "192.0.2.100:80", "addr": "198.51.100.1:8080", "proto": "6"}, 60},
		{"keepalived_lvs_rs_out_packets", map[string]string{"vip": "192.0.2.100:80", "addr": "198.51.100.1:8080", "proto": "6"}, 50},
		{"keepalived_lvs_rs_in_bytes", map[string]string{"vip": "192.0.2.100:80", "addr": "198.51.100.1:8080", "proto": "6"}, 6000},
		{"keepalived_lvs_rs_out_bytes", map[string]string{"vip": "192.0.2.100:80", "addr": "198.51.100.1:8080", "proto": "6"}, 80000},
		{"keepalived_lvs_vip_out_bytes", map[string]string{"addr": "2001:db8::10:53", "proto": "17"}, 7},
		{"keepalived_lvs_rs_in_bytes", map[string]string{"vip": "2001:db8::10:53", "addr": "2001:db8::20:5353", "proto": "17"}, 6},
		{"keepalived_lvs_vip_conn", map[string]string{"addr": "FWM 7", "proto": "0"}, 1},
		{"keepalived_lvs_rs_conn", map[string]string{"vip": "FWM 7", "addr": "198.51.100.3:0", "proto": "0"}, 1},
		{"keepalived_lvs_vip_conn", map[string]string{"addr": "FWM 8", "proto": "0"}, 2},
	}
	for _, tt := range tests {
		got, ok := value(fams, tt.fam, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.fam, tt.labels, got, ok, tt.want)
		}
	}
	if f := fams["havip_build_info"]; f == nil || len(f.Metric) != 1 {
		t.Error("havip_build_info missing")
	}
	// Labelled families carry only the values seen.
	for _, absent := range []struct {
		fam    string
		labels map[string]string
	}{
		{"havip_vrrp_adverts_dropped_total", with(vi1, "reason", "bad_checksum")},
		{"havip_vrrp_foreign_routers", with(vi1, "kind", "source")},
		{"havip_vrrp_masters_seen_total", with(vi1, "outcome", "yielded")},
	} {
		if v, ok := value(fams, absent.fam, absent.labels); ok {
			t.Errorf("%s%v = %v: a series for a value never seen", absent.fam, absent.labels, v)
		}
	}
}

func TestMetricsWhileTheEngineDoesNotAnswer(t *testing.T) {
	for name, e := range map[string]Engine{"no engine": nil, "stopped": &fakeEngine{err: errors.New("the engine has stopped")}} {
		t.Run(name, func(t *testing.T) {
			fams := scrape(t, newServer(t, e, nil).URL)
			if v, ok := value(fams, "keepalived_up", map[string]string{}); !ok || v != 0 {
				t.Fatalf("keepalived_up = %v (present %v), want 0", v, ok)
			}
			if fams["keepalived_vrrp_state"] != nil {
				t.Fatal("instance series without a snapshot")
			}
		})
	}
}

func get(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestProbes(t *testing.T) {
	stale := sample()
	stale.beat = time.Now().Add(-time.Minute)
	faulty := sample()
	faulty.problems = []engine.Problem{{Instance: "VI_1", State: "FAULT", Problem: "FAULT: interface eth0 down"}}
	tests := []struct {
		name     string
		e        Engine
		path     string
		code     int
		contains string
	}{
		{"alive", sample(), "/healthz", 200, `"ok":true`},
		{"loop stuck", stale, "/healthz", 503, "has not turned for"},
		{"alive while starting", nil, "/healthz", 200, "starting"},
		{"ready", sample(), "/readyz", 200, `"ok":true`},
		{"not ready on a problem", faulty, "/readyz", 503, `"problem":"FAULT: interface eth0 down"`},
		{"not ready while starting", nil, "/readyz", 503, "starting"},
		{"not ready without an answer", &fakeEngine{err: errors.New("the engine has stopped")}, "/readyz", 503, "the engine has stopped"},
		{"unknown path", sample(), "/nope", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, http.MethodGet, newServer(t, tt.e, nil).URL+tt.path)
			if code != tt.code || !strings.Contains(body, tt.contains) {
				t.Fatalf("GET %s = %d %q, want %d containing %q", tt.path, code, body, tt.code, tt.contains)
			}
		})
	}
}

func TestNotReadyAfterARejectedReload(t *testing.T) {
	st := supervisor.Stats{Reloads: 1, Failed: 1, LastSuccess: time.Unix(100, 0), LastFailure: time.Unix(200, 0),
		LastError: "keepalived.conf:3: virtual_router_id 300 is not 1-255"}
	url := newServer(t, sample(), func() supervisor.Stats { return st }).URL
	if code, body := get(t, http.MethodGet, url+"/readyz"); code != 503 || !strings.Contains(body, "virtual_router_id 300") {
		t.Fatalf("GET /readyz after a rejected reload = %d %q, want 503 naming the error", code, body)
	}
	st.LastSuccess = time.Unix(300, 0) // fixed and applied
	if code, body := get(t, http.MethodGet, url+"/readyz"); code != 200 {
		t.Fatalf("GET /readyz after a good reload = %d %q, want 200", code, body)
	}
}

func TestStatusIsTheSnapshot(t *testing.T) {
	e := sample()
	code, body := get(t, http.MethodGet, newServer(t, e, nil).URL+"/status")
	if code != 200 {
		t.Fatalf("GET /status = %d %s", code, body)
	}
	want, _ := json.Marshal(e.snap)
	if strings.TrimSpace(body) != string(want) {
		t.Fatalf("GET /status:\n got %s\nwant %s", body, want)
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	url := newServer(t, sample(), nil).URL
	for _, path := range []string{"/metrics", "/healthz", "/readyz", "/status"} {
		if code, _ := get(t, http.MethodHead, url+path); code != 200 {
			t.Errorf("HEAD %s = %d, want 200", path, code)
		}
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			if code, _ := get(t, m, url+path); code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s = %d, want 405", m, path, code)
			}
		}
	}
}

func TestListen(t *testing.T) {
	for _, bad := range []string{"9165", "localhost", ":0", ":70000", ":http", "example.com:9165", "[::1]"} {
		if ln, err := Listen(bad); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) accepted", bad)
		} else if !strings.Contains(err.Error(), bad) {
			t.Errorf("Listen(%q): %v does not name the address", bad, err)
		}
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	if ln, err := Listen(addr); err == nil {
		ln.Close()
		t.Fatalf("Listen(%s) on a port in use succeeded", addr)
	} else if !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Listen(%s) on a port in use: %v, want 'address already in use'", addr, err)
	}
	busy.Close()
	ln, err := Listen(addr)
	if err != nil {
		t.Fatalf("Listen(%s) on a free port: %v", addr, err)
	}
	ln.Close()
}
