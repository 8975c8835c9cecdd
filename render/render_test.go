package render

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/havip/havip/catalog"
	"github.com/havip/havip/config"
	"github.com/havip/havip/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testNode is the node the tests render for.
var testNode = Facts{
	Hostname:  "node-a",
	Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::2")},
}

func embedded(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := templates.Catalog()
	if err != nil {
		t.Fatalf("embedded catalog: %v", err)
	}
	return c
}

func version(t testing.TB, template, v string) *catalog.Version {
	t.Helper()
	tmpl, err := embedded(t).Template(template)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := tmpl.Version(v)
	if err != nil {
		t.Fatal(err)
	}
	return ver
}

func sampleAnswers(t testing.TB, v *catalog.Version) []byte {
	t.Helper()
	data, err := fs.ReadFile(v.FS, SampleAnswersFile)
	if err != nil {
		t.Fatalf("sample answers: %v", err)
	}
	return data
}

// eachVersion runs f for every version of every embedded template.
func eachVersion(t *testing.T, f func(t *testing.T, tmpl *catalog.Template, v *catalog.Version)) {
	for _, tmpl := range embedded(t).Templates {
		for _, v := range tmpl.Versions {
			t.Run(tmpl.Folder+"/"+v.Folder, func(t *testing.T) { f(t, tmpl, v) })
		}
	}
}

func TestCatalogHasEveryTemplate(t *testing.T) {
	var got []string
	for _, tmpl := range embedded(t).Templates {
		for _, v := range tmpl.Versions {
			got = append(got, tmpl.Folder+"/"+v.Version)
			for _, name := range []string{ComposeFile, "rancher-compose.yml", "README.md", ConfigTemplateFile, SampleAnswersFile} {
				if _, err := fs.Stat(v.FS, name); err != nil {
					t.Errorf("%s/%s lacks %s", tmpl.Folder, v.Folder, name)
				}
			}
		}
		if tmpl.Icon == "" {
			t.Errorf("%s has no icon", tmpl.Folder)
		}
	}
	want := "haproxy/0 ipfailover/0 keepalived/0 keepalived/1"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("catalog versions = %s, want %s", s, want)
	}
}

func TestSampleAnswersRender(t *testing.T) {
	eachVersion(t, func(t *testing.T, tmpl *catalog.Template, v *catalog.Version) {
		res, err := Render(Request{
			Template: tmpl.Folder, Version: v, AnswersFile: SampleAnswersFile, Answers: sampleAnswers(t, v),
			Facts: StaticFacts(testNode), WithCompose: true,
		})
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		if len(res.Config.Instances) == 0 {
			t.Fatalf("no vrrp_instance rendered:\n%s", res.KeepalivedConf)
		}
		if !bytes.Contains(res.Compose, []byte("network_mode: host")) || !bytes.Contains(res.Compose, []byte("NET_RAW")) {
			t.Fatalf("compose is not host-network with NET_RAW:\n%s", res.Compose)
		}
		if len(res.Origins) == 0 {
			t.Fatal("no answer recorded as coming from the answers file")
		}
		for variable, origin := range res.Origins {
			if !strings.HasPrefix(origin, SampleAnswersFile+":") {
				t.Errorf("answer %s came from %q, want the answers file", variable, origin)
			}
		}
	})
}

// TestDefaultsRender: the defaults and a VIP render; without the VIP every template refuses to
// render and names the missing answer and its environment variable.
func TestDefaultsRender(t *testing.T) {
	eachVersion(t, func(t *testing.T, tmpl *catalog.Template, v *catalog.Version) {
		res, err := Render(testVIP(Request{Template: tmpl.Folder, Version: v, Facts: StaticFacts(Facts{Hostname: "preview"})}))
		if err != nil {
			t.Fatalf("render with no answers: %v", err)
		}
		if !bytes.Contains(res.KeepalivedConf, []byte("192.0.2.10")) {
			t.Fatalf("the VIP 192.0.2.10 is missing:\n%s", res.KeepalivedConf)
		}
		_, err = Render(Request{Template: tmpl.Folder, Version: v, Facts: StaticFacts(Facts{Hostname: "preview"})})
		if err == nil || !strings.Contains(err.Error(), "an answer is required") || !strings.Contains(err.Error(), "VIRTUAL_IP") {
			t.Fatalf("render without a VIP: err = %v, want the VIP question named as required", err)
		}
	})
}

func TestLatestKeepalivedDefault(t *testing.T) {
	tmpl, err := embedded(t).Template("keepalived")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Render(testVIP(Request{Template: "keepalived", Version: tmpl.Latest(), Facts: StaticFacts(testNode)}))
	if err != nil {
		t.Fatal(err)
	}
	in := res.Config.Instances
	if len(in) != 1 || in[0].Interface != "eth0" || in[0].VRID != 150 || len(in[0].VirtualAddresses) != 1 ||
		in[0].VirtualAddresses[0].Prefix != netip.MustParsePrefix("192.0.2.10/24") {
		t.Fatalf("default keepalived render = %+v\n%s", in, res.KeepalivedConf)
	}
	if len(res.Config.Scripts) != 1 || res.Config.Scripts[0].Command.Text != DefaultProbe+" probe tcp 127.0.0.1:80" {
		t.Fatalf("default check = %+v, want the native TCP probe of port 80", res.Config.Scripts)
	}
}

func TestClassicEnvContract(t *testing.T) {
	env := map[string]string{
		"VIRTUAL_IP": "198.51.100.7", "CHECK_PORT": "8443", "INTERFACE": "ens3", "NETMASK_BIT": "26", "VRID": "77",
		"UNRELATED": "ignored",
	}
	res, err := Render(testVIP(Request{Template: "keepalived", Version: version(t, "keepalived", "0"), Env: env, Facts: StaticFacts(testNode)}))
	if err != nil {
		t.Fatal(err)
	}
	in := res.Config.Instances
	if len(in) != 1 {
		t.Fatalf("%d instances, want 1", len(in))
	}
	i := in[0]
	if i.Interface != "ens3" || i.VRID != 77 || len(i.VirtualAddresses) != 1 ||
		i.VirtualAddresses[0].Prefix != netip.MustParsePrefix("198.51.100.7/26") || i.VirtualAddresses[0].Dev != "ens3" {
		t.Fatalf("instance = %+v", i)
	}
	if len(res.Config.Scripts) != 1 || res.Config.Scripts[0].Command.Text != DefaultProbe+" probe tcp 127.0.0.1:8443" {
		t.Fatalf("scripts = %+v", res.Config.Scripts)
	}
	for _, want := range []string{"virtual_router_id 77", "interface ens3", "198.51.100.7/26 dev ens3", "probe tcp 127.0.0.1:8443"} {
		if !bytes.Contains(res.KeepalivedConf, []byte(want)) {
			t.Errorf("output lacks %q", want)
		}
	}
	for variable, origin := range map[string]string{"virtual_ip": "env VIRTUAL_IP", "vrid": "env VRID", "network_interface": "env INTERFACE"} {
		if res.Origins[variable] != origin {
			t.Errorf("origin of %s = %q, want %q", variable, res.Origins[variable], origin)
		}
	}

	// CHECK_PORT=0 disables the check, and with it script security.
	env["CHECK_PORT"] = "0"
	res, err = Render(testVIP(Request{Template: "keepalived", Version: version(t, "keepalived", "0"), Env: env, Facts: StaticFacts(testNode)}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Config.Scripts) != 0 || bytes.Contains(res.KeepalivedConf, []byte("script")) {
		t.Fatalf("CHECK_PORT=0 still renders a check:\n%s", res.KeepalivedConf)
	}
}

func TestPrecedence(t *testing.T) {
	v := version(t, "keepalived", "0")
	file := []byte("vrid=10\n")
	tests := []struct {
		name       string
		answers    []byte
		env        map[string]string
		set        []string
		want       uint8
		wantOrigin string
	}{
		{"default", nil, nil, nil, 150, ""},
		{"answers file over default", file, nil, nil, 10, "answers.txt:1"},
		{"env over answers file", file, map[string]string{"VRID": "20"}, nil, 20, "env VRID"},
		{"empty env counts as unset", file, map[string]string{"VRID": ""}, nil, 10, "answers.txt:1"},
		{"--set over env", file, map[string]string{"VRID": "20"}, []string{"vrid=30"}, 30, "--set vrid"},
		{"--set by env name", nil, nil, []string{"VRID=31"}, 31, "--set VRID"},
		{"last --set wins", nil, nil, []string{"vrid=31", "vrid=32"}, 32, "--set vrid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Template: "keepalived", Version: v, Env: tt.env, Set: tt.set, Facts: StaticFacts(testNode)}
			if tt.answers != nil {
				req.AnswersFile, req.Answers = "answers.txt", tt.answers
			}
			res, err := Render(testVIP(req))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Config.Instances[0].VRID; got != tt.want {
				t.Fatalf("VRID = %d, want %d", got, tt.want)
			}
			if got := res.Origins["vrid"]; got != tt.wantOrigin {
				t.Fatalf("origin = %q, want %q", got, tt.wantOrigin)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	eachVersion(t, func(t *testing.T, tmpl *catalog.Template, v *catalog.Version) {
		req := Request{Template: tmpl.Folder, Version: v, AnswersFile: SampleAnswersFile, Answers: sampleAnswers(t, v),
			Facts: StaticFacts(testNode), WithCompose: true}
		first, err := Render(req)
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			again, err := Render(req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.KeepalivedConf, again.KeepalivedConf) || !bytes.Equal(first.Compose, again.Compose) {
				t.Fatalf("two renders of the same inputs differ:\n%s\n---\n%s", first.KeepalivedConf, again.KeepalivedConf)
			}
		}
	})
}

// goldenCases are ipfailover layouts rendered from OpenShift's environment.
var goldenCases = []struct {
	name string
	env  map[string]string
}{
	{"seven_vips_three_groups", map[string]string{
		"OPENSHIFT_HA_VIRTUAL_IPS": "192.0.2.10-16", "OPENSHIFT_HA_VIP_GROUPS": "3"}},
	{"offset_and_exclusions", map[string]string{
		"OPENSHIFT_HA_VIRTUAL_IPS": "192.0.2.20,192.0.2.21-192.0.2.23", "OPENSHIFT_HA_VRRP_ID_OFFSET": "20",
		"HA_EXCLUDED_VRRP_IDS": "21 23", "OPENSHIFT_HA_MONITOR_PORT": "0", "OPENSHIFT_HA_PREEMPTION": "nopreempt"}},
	{"ipv4_and_ipv6_ranges", map[string]string{
		"OPENSHIFT_HA_VIRTUAL_IPS": "192.0.2.10-11,2001:db8::1f39-1f3b", "OPENSHIFT_HA_VIP_GROUPS": "2",
		"OPENSHIFT_HA_UNICAST_PEERS": "192.0.2.2,192.0.2.3,2001:db8::2,2001:db8::3", "OPENSHIFT_HA_REPLICA_COUNT": "2",
		"OPENSHIFT_HA_CHECK_SCRIPT": "/usr/local/bin/check-router --port 1936", "OPENSHIFT_HA_NOTIFY_SCRIPT": "/usr/local/bin/notify",
		"OPENSHIFT_HA_CONFIG_NAME": "router-ha"}},
	{"three_hundred_vips_two_groups", map[string]string{
		"OPENSHIFT_HA_VIRTUAL_IPS": "198.51.100.1-254,203.0.113.1-46", "OPENSHIFT_HA_VIP_GROUPS": "2",
		"OPENSHIFT_HA_VRRP_ID_OFFSET": "0"}},
}

func TestIPFailoverGolden(t *testing.T) {
	v := version(t, "ipfailover", "0")
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Render(Request{Template: "ipfailover", Version: v, Env: tc.env, Facts: StaticFacts(testNode)})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "ipfailover_"+tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, res.KeepalivedConf, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(res.KeepalivedConf, want) {
				t.Fatalf("render differs from %s (run with -update to accept):\n%s", golden,
					UnifiedDiff(golden, "rendered", want, res.KeepalivedConf))
			}
		})
	}
}

// TestIPFailoverLayout checks the golden layouts' structure independently of the files.
func TestIPFailoverLayout(t *testing.T) {
	v := version(t, "ipfailover", "0")
	tests := []struct {
		name  string
		env   map[string]string
		want  string // per instance: name:VRID:VIP count
		prios string
	}{
		{"seven_vips_three_groups", goldenCases[0].env,
			"OpenShift_IPFailover_VIP_1:11:3 OpenShift_IPFailover_VIP_2:12:2 OpenShift_IPFailover_VIP_3:13:2", "254 254 254"},
		{"offset_and_exclusions", goldenCases[1].env,
			"OpenShift_IPFailover_VIP_1:22:1 OpenShift_IPFailover_VIP_2:24:1 OpenShift_IPFailover_VIP_3:25:1 OpenShift_IPFailover_VIP_4:26:1", "254 254 254 254"},
		{"ipv4_and_ipv6_ranges", goldenCases[2].env,
			"router_ha_VIP_1:11:2 router_ha_VIP_1_v6:11:1 router_ha_VIP_2_v6:12:2", "254 254 190"},
		{"three_hundred_vips_two_groups", goldenCases[3].env,
			"OpenShift_IPFailover_VIP_1:1:150 OpenShift_IPFailover_VIP_2:2:150", "254 254"},
		{"255 VIPs, one instance each, offset 0", map[string]string{
			"OPENSHIFT_HA_VIRTUAL_IPS": "198.51.100.1-254,203.0.113.1", "OPENSHIFT_HA_VRRP_ID_OFFSET": "0"}, "", ""},
		{"255 VIPs in one group", map[string]string{
			"OPENSHIFT_HA_VIRTUAL_IPS": "198.51.100.1-254,203.0.113.1", "OPENSHIFT_HA_VIP_GROUPS": "1"},
			"OpenShift_IPFailover_VIP_1:11:255", "254"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Render(Request{Template: "ipfailover", Version: v, Env: tt.env, Facts: StaticFacts(testNode)})
			if err != nil {
				t.Fatal(err)
			}
			var got, prios []string
			for _, in := range res.Config.Instances {
				got = append(got, fmt.Sprintf("%s:%d:%d", in.Name, in.VRID, len(in.VirtualAddresses)))
				prios = append(prios, fmt.Sprint(in.Priority))
				if in.State == config.StateMaster {
					t.Errorf("%s starts as MASTER", in.Name)
				}
			}
			if tt.want == "" {
				if len(got) != 255 || res.Config.Instances[254].VRID != 255 {
					t.Fatalf("%d instances, last VRID %d; want 255 instances up to VRID 255", len(got), res.Config.Instances[len(got)-1].VRID)
				}
				return
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("instances = %s\nwant        %s", s, tt.want)
			}
			if s := strings.Join(prios, " "); s != tt.prios {
				t.Errorf("priorities = %s, want %s", s, tt.prios)
			}
		})
	}
}

func TestIPFailoverLimitsAndInvalidInput(t *testing.T) {
	v := version(t, "ipfailover", "0")
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"256 VIPs one instance each overflow VRIDs", map[string]string{
			"OPENSHIFT_HA_VIRTUAL_IPS": "198.51.100.1-254,203.0.113.1-2", "OPENSHIFT_HA_VRRP_ID_OFFSET": "0"},
			[]string{"VIP group 256 of 256 would need VRID 256", "only 255 groups fit"}},
		{"default offset leaves 245 VRIDs", map[string]string{
			"OPENSHIFT_HA_VIRTUAL_IPS": "198.51.100.1-254"}, []string{"only 245 groups fit"}},
		{"300 VIPs in one group", map[string]string{
			"OPENSHIFT_HA_VIRTUAL_IPS": "198.51.100.1-254,203.0.113.1-46", "OPENSHIFT_HA_VIP_GROUPS": "1"},
			[]string{"300 IPv4 addresses in one VRRP instance", "at most 255"}},
		{"84 IPv6 VIPs in one group", map[string]string{
			"OPENSHIFT_HA_VIRTUAL_IPS": "2001:db8::1-54", "OPENSHIFT_HA_VIP_GROUPS": "1"},
			[]string{"84 IPv6 addresses in one VRRP instance", "at most 83"}},
		{"invalid excluded VRIDs all reported", map[string]string{"HA_EXCLUDED_VRRP_IDS": "0 256 12"},
			[]string{`excluded VRID "0"`, `excluded VRID "256"`}},
		{"preemption outside the accepted forms", map[string]string{"OPENSHIFT_HA_PREEMPTION": "preempt_delay 5000"},
			[]string{`preemption strategy "preempt_delay 5000"`}},
		{"duplicate VIP", map[string]string{"OPENSHIFT_HA_VIRTUAL_IPS": "192.0.2.10-12,192.0.2.11"},
			[]string{"192.0.2.11", "already listed", "env OPENSHIFT_HA_VIRTUAL_IPS"}},
		{"IPv6 VIPs without IPv6 peers", map[string]string{
			"OPENSHIFT_HA_VIRTUAL_IPS": "2001:db8::10", "OPENSHIFT_HA_UNICAST_PEERS": "192.0.2.3"},
			[]string{"no IPv6 peer other than this node"}},
		{"only this node as peer", map[string]string{"OPENSHIFT_HA_UNICAST_PEERS": "192.0.2.2"},
			[]string{"no IPv4 peer other than this node"}},
		{"invalid range reported, not dropped", map[string]string{"OPENSHIFT_HA_VIRTUAL_IPS": "192.0.2.10,192.0.2.300,bogus"},
			[]string{"virtual_ips", "OPENSHIFT_HA_VIRTUAL_IPS", "192.0.2.300", "bogus"}},
		{"replica count out of range", map[string]string{"OPENSHIFT_HA_REPLICA_COUNT": "0"},
			[]string{"replica_count", "env OPENSHIFT_HA_REPLICA_COUNT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Render(testVIP(Request{Template: "ipfailover", Version: v, Env: tt.env, Facts: StaticFacts(testNode)}))
			if err == nil {
				t.Fatalf("render succeeded:\n%s", res.KeepalivedConf)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "executing") {
				t.Errorf("error shows template internals:\n%v", err)
			}
		})
	}
}

func TestIPFailoverWarnings(t *testing.T) {
	v := version(t, "ipfailover", "0")
	res, err := Render(testVIP(Request{Template: "ipfailover", Version: v, Facts: StaticFacts(Facts{Hostname: "elsewhere"}),
		Env: map[string]string{"OPENSHIFT_HA_NFTABLES_RULE": "accept", "OPENSHIFT_HA_VIP_GROUPS": "4"}}))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(res.Warnings, "\n")
	for _, want := range []string{"OPENSHIFT_HA_NFTABLES_RULE is accepted but not applied", "4 VIP groups asked for but only 1 VIPs", "connects to 127.0.0.1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q:\n%s", want, joined)
		}
	}
}

func TestKeepalivedV1Rules(t *testing.T) {
	v := version(t, "keepalived", "1")
	tests := []struct {
		name    string
		set     []string
		wantErr string
		check   func(t *testing.T, res *Result)
	}{
		{"auth with VRRPv3 refused", []string{"auth_pass=secret", "vrrp_version=3"}, "auth_pass (AUTH_PASS) needs vrrp_version 2", nil},
		{"IPv6 VIPs without IPv6 peers refused", []string{"virtual_ip=2001:db8::10", "unicast_peers=192.0.2.3"}, "no IPv6 peer other than this node", nil},
		{"one instance per family, same VRID", []string{"virtual_ip=192.0.2.10,2001:db8::10,192.0.2.11", "vrid=9"}, "", func(t *testing.T, res *Result) {
			in := res.Config.Instances
			if len(in) != 2 || in[0].Name != "VI_9" || in[1].Name != "VI_9_v6" || in[0].VRID != 9 || in[1].VRID != 9 ||
				len(in[0].VirtualAddresses) != 2 || in[1].VirtualAddresses[0].Prefix != netip.MustParsePrefix("2001:db8::10/64") {
				t.Fatalf("instances = %+v", in)
			}
		}},
		{"explicit priority and preempt delay", []string{"priority=200", "preemption=preempt_delay", "preempt_delay=30"}, "", func(t *testing.T, res *Result) {
			in := res.Config.Instances[0]
			if in.Priority != 200 || in.Nopreempt || in.PreemptDelay.Seconds() != 30 {
				t.Fatalf("instance = %+v", in)
			}
		}},
		{"derived priority from unicast rank", []string{"unicast_peers=192.0.2.1,192.0.2.2,192.0.2.3"}, "", func(t *testing.T, res *Result) {
			in := res.Config.Instances[0]
			if in.Priority != 101 || len(in.UnicastPeers) != 2 {
				t.Fatalf("priority %d, peers %+v; want 101 and two peers without this node", in.Priority, in.UnicastPeers)
			}
		}},
		{"check script replaces the TCP check", []string{"check_script=/usr/local/bin/check --fast"}, "", func(t *testing.T, res *Result) {
			if len(res.Config.Scripts) != 1 || res.Config.Scripts[0].Command.Text != "/usr/local/bin/check --fast" {
				t.Fatalf("scripts = %+v", res.Config.Scripts)
			}
		}},
		{"IPv6 check host", []string{"check_host=2001:db8::1", "check_port=443"}, "", func(t *testing.T, res *Result) {
			if res.Config.Scripts[0].Command.Text != DefaultProbe+" probe tcp [2001:db8::1]:443" {
				t.Fatalf("scripts = %+v", res.Config.Scripts)
			}
		}},
		{"no check, no notify: no script security", []string{"check_port=0"}, "", func(t *testing.T, res *Result) {
			if bytes.Contains(res.KeepalivedConf, []byte("script")) {
				t.Fatalf("script lines without scripts:\n%s", res.KeepalivedConf)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Render(testVIP(Request{Template: "keepalived", Version: v, Set: tt.set, Facts: StaticFacts(testNode)}))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, res)
		})
	}
}

// handMade returns a version whose template is text, with one string question.
func handMade(text string) *catalog.Version {
	return &catalog.Version{
		Folder: "0", Version: "0",
		Questions: []catalog.Question{{Variable: "name", Label: "Name", Type: catalog.TypeString, Default: "x"}},
		FS:        fstest.MapFS{ConfigTemplateFile: {Data: []byte(text)}},
	}
}

func TestTemplateFailuresFailTheRender(t *testing.T) {
	valid := "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n"
	tests := []struct {
		name, text, want string
	}{
		{"missing key", valid + "{{ .Values.nope }}", `map has no entry for key "nope"`},
		{"removed function", "{{ env \"HOME\" }}" + valid, `function "env" not defined`},
		{"execution error after output", valid + "{{ index .Values.name 99 }}", "index out of range"},
		{"invalid rendered config", "vrrp_instance VI_1 {\n virtual_router_id 300\n}\n", "the rendered keepalived.conf is invalid"},
		{"part the engine drops", strings.Replace(valid, " interface eth0\n", " interface eth0\n priorty 120\n", 1), "error: unknown keyword 'priorty'"},
		{"warning", strings.Replace(valid, " interface eth0\n", " interface eth0\n native_ipv6\n", 1), "error: native_ipv6 is not supported by havip"},
		{"no template file", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := handMade(tt.text)
			if tt.name == "no template file" {
				v.FS = fstest.MapFS{}
				tt.want = ConfigTemplateFile
			}
			res, err := Render(Request{Template: "hand", Version: v, Facts: StaticFacts(testNode)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render = %v, %v; want an error containing %q", res, err, tt.want)
			}
			if res != nil {
				t.Fatal("a failed render returned a result")
			}
		})
	}
	t.Run("invalid config error shows the line", func(t *testing.T) {
		_, err := Render(Request{Template: "hand", Version: handMade("vrrp_instance VI_1 {\n virtual_router_id 300\n}\n"), Facts: StaticFacts(testNode)})
		if err == nil || !strings.Contains(err.Error(), "2 |  virtual_router_id 300") {
			t.Fatalf("error does not quote the rendered line:\n%v", err)
		}
	})
	t.Run("bad probe path", func(t *testing.T) {
		_, err := Render(Request{Template: "hand", Version: handMade(valid), Probe: "relative/havip", Facts: StaticFacts(testNode)})
		if err == nil || !strings.Contains(err.Error(), "absolute path") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("no version", func(t *testing.T) {
		if _, err := Render(Request{}); err == nil {
			t.Fatal("Render without a version succeeded")
		}
	})
}

// hostileValues each try to add, end or reshape config when spliced in.
var hostileValues = []string{
	"eth0\nvrrp_instance EVIL {",
	"x } vrrp_instance EVIL { interface eth0",
	`/bin/true" weight 50 "`,
	"/bin/true' x",
	"/bin/true # rest is a comment",
	"/bin/true ! rest",
	"$EVIL",
	"@other-node priority 255",
	"~SEQ(x,1,3)",
	`/bin/true \" x`,
	"a\rb",
	"a\x00b",
	"a\tb",
}

func TestHostileAnswersRefused(t *testing.T) {
	v := version(t, "keepalived", "1")
	for _, variable := range []string{"check_script", "notify_script", "auth_pass", "network_interface"} {
		env := map[string]string{"check_script": "CHECK_SCRIPT", "notify_script": "NOTIFY_SCRIPT", "auth_pass": "AUTH_PASS", "network_interface": "INTERFACE"}[variable]
		for i, value := range hostileValues {
			for _, via := range []string{"set", "file", "yaml", "env"} {
				t.Run(fmt.Sprintf("%s/%d/%s", variable, i, via), func(t *testing.T) {
					req := Request{Template: "keepalived", Version: v, Facts: StaticFacts(testNode)}
					switch via {
					case "set":
						req.Set = []string{variable + "=" + value}
					case "file":
						req.AnswersFile, req.Answers = "answers.txt", []byte(variable+"="+value+"\n")
					case "yaml":
						req.AnswersFile, req.Answers = "answers.yml", []byte(fmt.Sprintf("%s: %q\n", variable, value))
					case "env":
						req.Env = map[string]string{env: value}
					}
					res, err := Render(req)
					if err == nil {
						t.Fatalf("hostile %s %q accepted:\n%s", variable, value, res.KeepalivedConf)
					}
					// the error names the question, or the answers file line it could not read
					if !strings.Contains(err.Error(), variable) && !strings.Contains(err.Error(), req.AnswersFile+":") {
						t.Fatalf("error names neither %s nor the answers file: %v", variable, err)
					}
				})
			}
		}
	}
}

func TestCheckValuesDefenceInDepth(t *testing.T) {
	qs := []catalog.Question{{Variable: "script", Label: "Script", Type: catalog.TypeMultiline}}
	err := checkValues(qs, catalog.Values{"script": "a\n}", "n": int64(3)}, map[string]string{"script": "--set script"})
	if err == nil || !strings.Contains(err.Error(), `script ("Script") (answer from --set script)`) {
		t.Fatalf("checkValues = %v", err)
	}
	if err := checkValues(qs, catalog.Values{"script": "/bin/x --y"}, nil); err != nil {
		t.Fatalf("checkValues refused a plain value: %v", err)
	}
}

func TestInvalidAnswersNameTheirOrigin(t *testing.T) {
	v := version(t, "keepalived", "0")
	_, err := Render(Request{Template: "keepalived", Version: v, AnswersFile: "a.txt", Answers: []byte("# c\nvrid=999\n"),
		Env: map[string]string{"VIRTUAL_IP": "192.0.2.300"}, Facts: StaticFacts(testNode)})
	if err == nil {
		t.Fatal("invalid answers accepted")
	}
	for _, want := range []string{"vrid", "(answer from a.txt:2)", "virtual_ip", "(answer from env VIRTUAL_IP)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// FuzzRenderHostile renders keepalived/1 with a fuzzed answer for a
// spliced-in string question, through --set, an answers file or the
// environment. A render must either fail or produce exactly the config of a
// benign value with the fuzzed value in its place: no answer can add, remove
// or reshape anything.
func FuzzRenderHostile(f *testing.F) {
	for i, v := range hostileValues {
		f.Add(uint8(i), v)
	}
	f.Add(uint8(0), "/usr/local/bin/check --fast")
	f.Add(uint8(2), "pass1")
	f.Add(uint8(3), "bond0.100")
	v := version(f, "keepalived", "1")
	fields := []struct{ variable, env, benign string }{
		{"check_script", "CHECK_SCRIPT", "/bin/benign0"},
		{"notify_script", "NOTIFY_SCRIPT", "/bin/benign0"},
		{"auth_pass", "AUTH_PASS", "benign0"},
		{"network_interface", "INTERFACE", "benign0"},
	}
	baselines := make([][]byte, len(fields))
	for i, fl := range fields {
		res, err := Render(testVIP(Request{Template: "keepalived", Version: v, Set: []string{fl.variable + "=" + fl.benign}, Facts: StaticFacts(testNode)}))
		if err != nil {
			f.Fatal(err)
		}
		baselines[i] = res.KeepalivedConf
	}
	f.Fuzz(func(t *testing.T, selector uint8, value string) {
		fl := fields[int(selector)%len(fields)]
		req := Request{Template: "keepalived", Version: v, Facts: StaticFacts(testNode)}
		switch (selector / 4) % 3 {
		case 0:
			req.Set = []string{fl.variable + "=" + value}
		case 1:
			req.AnswersFile, req.Answers = "answers.txt", []byte(fl.variable+"="+value+"\n")
		default:
			req.Env = map[string]string{fl.env: value}
		}
		res, err := Render(testVIP(req))
		if err != nil {
			return
		}
		got, ok := res.Values[fl.variable].(string)
		if !ok || got == "" {
			return // empty: the default applies
		}
		if strings.ContainsAny(got, "\n\r{}\"'#!$@~\\") {
			t.Fatalf("accepted %q with config syntax:\n%s", got, res.KeepalivedConf)
		}
		baseline := baselines[int(selector)%len(fields)]
		if bytes.Contains(baseline, []byte(got)) {
			return // the value also occurs elsewhere; the substitution below would be ambiguous
		}
		back := bytes.ReplaceAll(res.KeepalivedConf, []byte(got), []byte(fl.benign))
		if !bytes.Equal(back, baseline) {
			t.Fatalf("answer %s=%q reshaped the config:\n%s", fl.variable, got, UnifiedDiff("benign", "fuzzed", baseline, back))
		}
	})
}

func TestHaproxyRules(t *testing.T) {
	v := version(t, "haproxy", "0")
	tests := []struct {
		name        string
		set         []string
		wantErr     string
		wantWarning string
		check       func(t *testing.T, res *Result)
	}{
		{"IPv4 prefix longer than 32", []string{"prefix_length=33"}, "prefix_length (NETMASK_BIT) 33 is too long for the IPv4 VIP 192.0.2.10", "", nil},
		{"only this node as peer", []string{"unicast_peers=192.0.2.2"}, "lists no IPv4 peer other than this node", "", nil},
		{"IPv6 VIP ignores the password", []string{"virtual_ip=2001:db8::80", "prefix_length=64", "auth_pass=abc"}, "",
			"auth_pass is ignored", func(t *testing.T, res *Result) {
				if in := res.Config.Instances[0]; in.Auth != nil || in.Version != 3 {
					t.Fatalf("IPv6 instance = %+v, want VRRPv3 without authentication", in)
				}
			}},
		{"the haproxy process is tracked, no script", []string{"check_weight=-30"}, "", "",
			func(t *testing.T, res *Result) {
				if len(res.Config.TrackProcesses) != 1 {
					t.Fatalf("track processes = %+v", res.Config.TrackProcesses)
				}
				p := res.Config.TrackProcesses[0]
				if p.Process != "haproxy" || p.Weight != -30 || p.Quorum != 1 {
					t.Fatalf("vrrp_track_process = %+v", p)
				}
				tr := res.Config.Instances[0].Track
				if len(tr.Processes) != 1 || len(tr.Scripts) != 0 || len(res.Config.Scripts) != 0 {
					t.Fatalf("tracking = %+v, scripts = %+v; want the process alone", tr, res.Config.Scripts)
				}
				if bytes.Contains(res.KeepalivedConf, []byte("script")) {
					t.Fatalf("script settings without a script:\n%s", res.KeepalivedConf)
				}
			}},
		{"another process and an extra check", []string{"process=nginx", "check_script=/usr/bin/wget -q -O /dev/null http://127.0.0.1:8404/", "check_fall=4", "check_rise=3", "check_interval=5"}, "", "",
			func(t *testing.T, res *Result) {
				if p := res.Config.TrackProcesses[0]; p.Process != "nginx" {
					t.Fatalf("vrrp_track_process = %+v", p)
				}
				s := res.Config.Scripts[0]
				if s.Command.Text != "/usr/bin/wget -q -O /dev/null http://127.0.0.1:8404/" || s.Weight != -20 || s.Fall != 4 || s.Rise != 3 || s.Interval.Seconds() != 5 {
					t.Fatalf("script = %+v", s)
				}
				if tr := res.Config.Instances[0].Track; len(tr.Scripts) != 1 || len(tr.Processes) != 1 {
					t.Fatalf("tracking = %+v, want the process and the script", tr)
				}
			}},
		{"a positive weight is refused", []string{"check_weight=10"}, "check_weight", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Render(testVIP(Request{Template: "haproxy", Version: v, Set: tt.set, Facts: StaticFacts(testNode)}))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w := strings.Join(res.Warnings, "\n"); (tt.wantWarning == "") != (w == "") || !strings.Contains(w, tt.wantWarning) {
				t.Fatalf("warnings = %q, want %q", w, tt.wantWarning)
			}
			tt.check(t, res)
		})
	}
}

func TestProbeNameWarning(t *testing.T) {
	v := version(t, "keepalived", "0")
	for probe, warn := range map[string]bool{"/bin/true": true, "/opt/bin/havip": false, "": false} {
		res, err := Render(testVIP(Request{Template: "keepalived", Version: v, Probe: probe, Facts: StaticFacts(testNode)}))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(strings.Join(res.Warnings, "\n"), "is not named havip")
		if got != warn {
			t.Errorf("probe %q: warned = %v, want %v (%q)", probe, got, warn, res.Warnings)
		}
	}
}

// testVIP answers the VIP question of req's template version (it has no default: a forgotten VIP
// must not start one), through its environment variable, unless req answers it already.
func testVIP(req Request) Request {
	if req.Version == nil {
		return req
	}
	for _, q := range req.Version.Questions {
		if !strings.HasPrefix(q.Variable, "virtual_ip") || q.Env == "" {
			continue
		}
		answered := strings.Contains(string(req.Answers), q.Variable+"=") || strings.Contains(string(req.Answers), q.Variable+":")
		for _, s := range req.Set {
			answered = answered || strings.HasPrefix(s, q.Variable+"=") || strings.HasPrefix(s, q.Env+"=")
		}
		if _, ok := req.Env[q.Env]; ok || answered {
			continue
		}
		env := maps.Clone(req.Env)
		if env == nil {
			env = map[string]string{}
		}
		env[q.Env] = "192.0.2.10"
		req.Env = env
	}
	return req
}

// TestAnswerErrorsAllAtOnce: every bad or missing answer is reported in one error.
func TestAnswerErrorsAllAtOnce(t *testing.T) {
	v := version(t, "keepalived", "1")
	_, err := Render(Request{Template: "keepalived", Version: v, Set: []string{"vrid=abc", "netmask_bit=99", "preemption=sometimes"}, Facts: StaticFacts(testNode)})
	if err == nil {
		t.Fatal("render succeeded")
	}
	for _, want := range []string{`virtual_ip ("Virtual IPs"): an answer is required`, `vrid ("Virtual router ID")`, "abc", `netmask_bit`, "99", "preemption", "sometimes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
