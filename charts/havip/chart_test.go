// Package chart tests the Helm chart in this folder without a helm binary: it renders the
// templates with text/template and sprig, approximating Helm's own functions (include, toYaml,
// required, tpl) and its value handling (YAML → JSON numbers, deep merge of overrides), then
// checks the manifests, feeds the rendered ConfigMap to havip's own renderer and config parser,
// and loads questions.yml with havip's catalog loader. .helmignore keeps this file out of the
// packaged chart.
package chart

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"

	"github.com/havip/havip/catalog"
	"github.com/havip/havip/compose"
	"github.com/havip/havip/config"
	"github.com/havip/havip/render"
	"github.com/havip/havip/templates"
)

const (
	releaseName = "vip"
	namespace   = "havip-system"
)

// readYAML decodes a YAML file the way Helm reads values: YAML, then JSON, so numbers are float64.
func readYAML(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return decodeHelmYAML(t, name, data)
}

func decodeHelmYAML(t *testing.T, name string, data []byte) map[string]any {
	t.Helper()
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	js, err := json.Marshal(raw)
	if err != nil {
		t.Fatalf("%s: not JSON-compatible: %v", name, err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(js, &out); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// merge is Helm's coalescing of user values over defaults: maps merge recursively, anything
// else is replaced, and null deletes the key.
func merge(base, over map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			out[k] = merge(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

// toYAML is Helm's toYaml: two-space indentation, no trailing newline, "" on error.
func toYAML(v any) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	if err := enc.Close(); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// renderChart renders every template of the chart with values; the result maps the file name
// (daemonset.yaml, NOTES.txt, …) to its text.
func renderChart(t *testing.T, values map[string]any) map[string]string {
	t.Helper()
	root, top, files := parseChart(t, values)
	out := map[string]string{}
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "_") {
			continue
		}
		top["Template"] = map[string]any{"Name": "havip/" + filepath.ToSlash(f), "BasePath": "havip/templates"}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, "havip/"+filepath.ToSlash(f), top); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		text := buf.String()
		if strings.Contains(text, "<no value>") {
			t.Errorf("%s: a value path does not exist (<no value>):\n%s", f, text)
		}
		out[base] = text
	}
	return out
}

// parseChart parses every template of the chart and returns them with the top-level data
// (.Values, .Chart, .Release) for values and the template files.
func parseChart(t *testing.T, values map[string]any) (*template.Template, map[string]any, []string) {
	t.Helper()
	meta := readYAML(t, "Chart.yaml")
	files, err := filepath.Glob("templates/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	root := template.New("havip")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env") // Helm removes these two
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["include"] = func(name string, data any) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["required"] = func(msg string, v any) (any, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["tpl"] = func(text string, data any) (string, error) {
		tt, err := root.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = tt.Execute(&buf, data)
		return buf.String(), err
	}
	root.Funcs(funcs)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := root.New("havip/" + filepath.ToSlash(f)).Parse(string(data)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	top := map[string]any{
		"Values": values,
		"Chart": map[string]any{
			"Name": meta["name"], "Version": meta["version"], "AppVersion": meta["appVersion"],
		},
		"Release":      map[string]any{"Name": releaseName, "Namespace": namespace, "Service": "Helm", "IsInstall": true},
		"Capabilities": map[string]any{},
	}
	return root, top, files
}

// manifests parses every rendered YAML manifest, by kind.
func manifests(t *testing.T, rendered map[string]string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for name, text := range rendered {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(text), &m); err != nil {
			t.Fatalf("%s does not parse as YAML: %v\n%s", name, err, text)
		}
		if m == nil {
			continue
		}
		kind, _ := m["kind"].(string)
		if _, dup := out[kind]; dup {
			t.Fatalf("two manifests of kind %s", kind)
		}
		out[kind] = m
	}
	return out
}

// get walks a path of map keys and list indexes.
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch key := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T is not a map", path, v)
			}
			v = m[key]
		case int:
			l, ok := v.([]any)
			if !ok || key >= len(l) {
				t.Fatalf("at %v: %T has no index %d", path, v, key)
			}
			v = l[key]
		}
	}
	return v
}

func envOf(t *testing.T, container any) map[string]string {
	env := map[string]string{}
	list, _ := get(t, container, "env").([]any)
	for _, e := range list {
		m := e.(map[string]any)
		if v, ok := m["value"].(string); ok {
			env[m["name"].(string)] = v
		}
	}
	return env
}

// checkDaemonSet asserts what every rendering must have: host network, the VRRP capabilities and
// nothing privileged, the tolerations, and the ConfigMap mounted as a whole directory.
func checkDaemonSet(t *testing.T, ds map[string]any, configMapName string) (container any, env map[string]string) {
	t.Helper()
	pod := get(t, ds, "spec", "template", "spec")
	if get(t, pod, "hostNetwork") != true {
		t.Error("hostNetwork is not true")
	}
	if got := get(t, pod, "dnsPolicy"); got != "ClusterFirstWithHostNet" {
		t.Errorf("dnsPolicy = %v", got)
	}
	if get(t, pod, "enableServiceLinks") != false {
		t.Error("enableServiceLinks is not false: Service env vars could collide with the templates' env contract")
	}
	if g, ok := get(t, pod, "terminationGracePeriodSeconds").(int); !ok || g < 30 {
		t.Errorf("terminationGracePeriodSeconds = %v, want >= 30 to release the VIPs", get(t, pod, "terminationGracePeriodSeconds"))
	}
	var tolerated []string
	for _, tol := range get(t, pod, "tolerations").([]any) {
		m := tol.(map[string]any)
		if m["operator"] == "Exists" && m["effect"] == "NoExecute" {
			tolerated = append(tolerated, m["key"].(string))
		}
	}
	for _, key := range []string{"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
		if !slices.Contains(tolerated, key) {
			t.Errorf("no NoExecute toleration for %s (have %v)", key, tolerated)
		}
	}
	containers := get(t, pod, "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	c := containers[0]
	sc := get(t, c, "securityContext")
	if p := get(t, sc, "privileged"); p == true {
		t.Error("the container is privileged")
	}
	var added []string
	for _, a := range get(t, sc, "capabilities", "add").([]any) {
		added = append(added, a.(string))
	}
	for _, want := range compose.RequiredCapabilities {
		if !slices.Contains(added, want) {
			t.Errorf("capabilities.add = %v lacks %s", added, want)
		}
	}
	if got := get(t, c, "args", 0); got != "supervise" {
		t.Errorf("args[0] = %v, want supervise", got)
	}
	// The ConfigMap volume is mounted whole (no subPath) at the directory of HAVIP_CONFIG/HAVIP_ANSWERS.
	var configVolume string
	for _, v := range get(t, pod, "volumes").([]any) {
		if cm, ok := v.(map[string]any)["configMap"].(map[string]any); ok && cm["name"] == configMapName {
			configVolume = v.(map[string]any)["name"].(string)
		}
	}
	if configVolume == "" {
		t.Fatalf("no volume for ConfigMap %s", configMapName)
	}
	env = envOf(t, c)
	var mountPath string
	for _, m := range get(t, c, "volumeMounts").([]any) {
		mm := m.(map[string]any)
		if mm["name"] == configVolume {
			mountPath = mm["mountPath"].(string)
			if _, sub := mm["subPath"]; sub {
				t.Error("the ConfigMap is mounted with subPath: the kubelet never updates such mounts, so nothing could hot-apply")
			}
		}
		if mm["mountPath"] == env["HAVIP_OUTPUT_DIR"] && mm["readOnly"] == true {
			t.Error("HAVIP_OUTPUT_DIR is mounted read-only")
		}
	}
	for _, key := range []string{"HAVIP_CONFIG", "HAVIP_ANSWERS"} {
		if p, ok := env[key]; ok && filepath.Dir(p) != mountPath {
			t.Errorf("%s = %s is not in the ConfigMap mount %s", key, p, mountPath)
		}
	}
	if env["HAVIP_OUTPUT_DIR"] == "" {
		t.Error("HAVIP_OUTPUT_DIR is not set")
	}
	return c, env
}

// renderAnswers renders the chart's answers.yaml with havip's own renderer, as supervise would.
func renderAnswers(t *testing.T, tmpl, version, answers string) *render.Result {
	t.Helper()
	c, err := templates.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	tp, err := c.Template(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	v := tp.Latest()
	if version != "" {
		if v, err = tp.Version(version); err != nil {
			t.Fatal(err)
		}
	}
	res, err := render.Render(render.Request{
		Template: tmpl, Version: v, AnswersFile: "answers.yaml", Answers: []byte(answers),
		Facts: render.StaticFacts(render.Facts{Hostname: "node-a", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.2")}}),
	})
	if err != nil {
		t.Fatalf("havip cannot render the chart's answers.yaml for %s %s:\n%s\n%v", tmpl, version, answers, err)
	}
	return res
}

// withVIP is values with the keepalived template's VIP answered, as a user must.
func withVIP(t *testing.T) map[string]any {
	t.Helper()
	return merge(readYAML(t, "values.yaml"), map[string]any{"answers": map[string]any{"keepalived": map[string]any{"virtual_ip": "192.0.2.10"}}})
}

// renderErr renders the chart with values and returns the error of the first template that fails.
func renderErr(t *testing.T, values map[string]any) error {
	t.Helper()
	root, top, files := parseChart(t, values)
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "_") {
			continue
		}
		top["Template"] = map[string]any{"Name": "havip/" + filepath.ToSlash(f), "BasePath": "havip/templates"}
		if err := root.ExecuteTemplate(io.Discard, "havip/"+filepath.ToSlash(f), top); err != nil {
			return err
		}
	}
	return nil
}

// TestNoDefaultVIP: the default values start no VIP: rendering fails and names the answer to
// give, for every template; an answer by variable, by env name or an extraEnv entry satisfies it.
func TestNoDefaultVIP(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   string // "" renders
	}{
		{"keepalived defaults", nil, "answers.keepalived.virtual_ip is required"},
		{"ipfailover without VIPs", map[string]any{"template": "ipfailover"}, "answers.ipfailover.virtual_ips is required"},
		{"haproxy without VIP", map[string]any{"template": "haproxy"}, "answers.haproxy.virtual_ip is required"},
		{"answer by variable", map[string]any{"answers": map[string]any{"keepalived": map[string]any{"virtual_ip": "192.0.2.10"}}}, ""},
		{"answer by env name", map[string]any{"answers": map[string]any{"keepalived": map[string]any{"VIRTUAL_IP": "192.0.2.10"}}}, ""},
		{"env from a Secret", map[string]any{"extraEnv": []any{map[string]any{"name": "VIRTUAL_IP", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "vip", "key": "ip"}}}}}, ""},
		{"config mode needs no answers", map[string]any{"config": "vrrp_instance VI_1 {\n}\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := renderErr(t, merge(readYAML(t, "values.yaml"), tt.values))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("render failed: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("render error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	values := withVIP(t)
	rendered := renderChart(t, values)
	m := manifests(t, rendered)
	ds, cm := m["DaemonSet"], m["ConfigMap"]
	if ds == nil || cm == nil {
		t.Fatalf("want a DaemonSet and a ConfigMap, got %v", reflect.ValueOf(m).MapKeys())
	}
	name := get(t, cm, "metadata", "name").(string)
	if name != "vip-havip" {
		t.Errorf("ConfigMap name = %s", name)
	}
	_, env := checkDaemonSet(t, ds, name)
	if env["HAVIP_TEMPLATE"] != "keepalived" || env["HAVIP_ANSWERS"] != "/etc/havip/answers.yaml" {
		t.Errorf("env = %v", env)
	}
	if _, ok := env["HAVIP_VERSION"]; ok {
		t.Errorf("HAVIP_VERSION is set (%q) although values.version is empty", env["HAVIP_VERSION"])
	}
	if _, ok := env["HAVIP_CONFIG"]; ok {
		t.Error("HAVIP_CONFIG is set in template mode")
	}
	if a := get(t, ds, "spec", "template", "metadata", "annotations"); a != nil {
		t.Errorf("annotations %v by default; checksum/config must be opt-in (rollOnConfigChange)", a)
	}
	if got := get(t, ds, "spec", "template", "spec", "priorityClassName"); got != "system-node-critical" {
		t.Errorf("priorityClassName = %v", got)
	}
	if got := get(t, ds, "spec", "template", "spec", "hostPID"); got != nil {
		t.Errorf("hostPID = %v by default, want unset", got)
	}
	if got, want := get(t, ds, "spec", "template", "spec", "containers", 0, "image"), "havip/havip:"+readYAML(t, "Chart.yaml")["appVersion"].(string); got != want {
		t.Errorf("image = %v, want %s", got, want)
	}
	answers := get(t, cm, "data", "answers.yaml").(string)
	res := renderAnswers(t, "keepalived", "", answers)
	if !bytes.Contains(res.KeepalivedConf, []byte("192.0.2.10/24 dev eth0")) || !bytes.Contains(res.KeepalivedConf, []byte("virtual_router_id 150")) {
		t.Errorf("rendered config lacks the VIP or the default VRID:\n%s", res.KeepalivedConf)
	}
}

// TestHostPID: hostPID true shares the node's PID namespace (the haproxy template's process
// tracking needs it); NOTES warns when the haproxy template runs without it.
func TestHostPID(t *testing.T) {
	haproxy := map[string]any{"template": "haproxy", "answers": map[string]any{"haproxy": map[string]any{"virtual_ip": "198.51.100.10"}}}
	r := renderChart(t, merge(merge(readYAML(t, "values.yaml"), haproxy), map[string]any{"hostPID": true}))
	if got := get(t, manifests(t, r)["DaemonSet"], "spec", "template", "spec", "hostPID"); got != true {
		t.Errorf("hostPID = %v, want true", got)
	}
	if strings.Contains(r["NOTES.txt"], "hostPID") {
		t.Errorf("NOTES warns although hostPID is set:\n%s", r["NOTES.txt"])
	}
	r = renderChart(t, merge(readYAML(t, "values.yaml"), haproxy))
	if !strings.Contains(r["NOTES.txt"], "WARNING: the haproxy template tracks the haproxy process, which the pods cannot see without hostPID: true") {
		t.Errorf("NOTES does not warn about hostPID:\n%s", r["NOTES.txt"])
	}
}

// TestSchema validates values with values.schema.json as Helm does before rendering: the
// defaults, every ci/ file and the examples pass; a mistyped value fails naming its path.
func TestSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	schema, err := c.Compile("values.schema.json")
	if err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	valid := map[string]map[string]any{"values.yaml": readYAML(t, "values.yaml"), "with a VIP": withVIP(t)}
	files, _ := filepath.Glob("ci/*-values.yaml")
	for _, f := range files {
		valid[f] = merge(readYAML(t, "values.yaml"), readYAML(t, f))
	}
	for name, v := range valid {
		if err := schema.Validate(any(v)); err != nil {
			t.Errorf("%s does not validate: %v", name, err)
		}
	}
	// Every top-level value has a type in the schema.
	props := readJSON(t, "values.schema.json")["properties"].(map[string]any)
	for key := range readYAML(t, "values.yaml") {
		if p, ok := props[key].(map[string]any); !ok || p["type"] == nil {
			t.Errorf("values.schema.json does not type %s", key)
		}
	}
	invalid := []struct {
		name, path string
		values     map[string]any
	}{
		{"VRID abc", "/answers/keepalived/vrid", map[string]any{"answers": map[string]any{"keepalived": map[string]any{"vrid": "abc"}}}},
		{"VRID 256", "/answers/keepalived/vrid", map[string]any{"answers": map[string]any{"keepalived": map[string]any{"vrid": float64(256)}}}},
		{"check port text", "/answers/keepalived/check_port", map[string]any{"answers": map[string]any{"keepalived": map[string]any{"check_port": "http"}}}},
		{"unknown template", "/template", map[string]any{"template": "nginx"}},
		{"hostPID yes", "/hostPID", map[string]any{"hostPID": "yes"}},
		{"log level", "/logLevel", map[string]any{"logLevel": "verbose"}},
		{"relative configDir", "/configDir", map[string]any{"configDir": "etc/havip"}},
		{"image tag number", "/image/tag", map[string]any{"image": map[string]any{"tag": float64(1)}}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			err := schema.Validate(any(merge(withVIP(t), tt.values)))
			if err == nil || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("Validate = %v, want an error at %s", err, tt.path)
			}
		})
	}
}

func readJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// TestCIValues renders the chart-testing value files (ci/*-values.yaml).
func TestCIValues(t *testing.T) {
	files, _ := filepath.Glob("ci/*-values.yaml")
	if len(files) == 0 {
		t.Fatal("no ci/*-values.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			values := merge(readYAML(t, "values.yaml"), readYAML(t, f))
			m := manifests(t, renderChart(t, values))
			ds, cm := m["DaemonSet"], m["ConfigMap"]
			_, env := checkDaemonSet(t, ds, get(t, cm, "metadata", "name").(string))
			if conf, ok := get(t, cm, "data").(map[string]any)["keepalived.conf"].(string); ok {
				if env["HAVIP_CONFIG"] != "/etc/havip/keepalived.conf" || env["HAVIP_TEMPLATE"] != "" {
					t.Errorf("config mode env = %v", env)
				}
				_, diags := config.ParseBytes("keepalived.conf", []byte(conf), config.Options{ConfigID: "node-a"})
				if diags.HasErrors() {
					t.Errorf("the ConfigMap's keepalived.conf does not validate:\n%v\n%s", diags.Err(), conf)
				}
			} else {
				answers := get(t, cm, "data", "answers.yaml").(string)
				renderAnswers(t, env["HAVIP_TEMPLATE"], env["HAVIP_VERSION"], answers)
			}
			ann, _ := get(t, ds, "spec", "template", "metadata", "annotations").(map[string]any)
			if values["rollOnConfigChange"] == true && ann["checksum/config"] == nil {
				t.Error("rollOnConfigChange is true but there is no checksum/config annotation")
			}
		})
	}
}

// TestChecksumFollowsConfig: with rollOnConfigChange the annotation is the ConfigMap's digest, so
// an answer change changes the pod template (a rolling restart), and nothing else does.
func TestChecksumFollowsConfig(t *testing.T) {
	base := merge(withVIP(t), map[string]any{"rollOnConfigChange": true})
	sum := func(values map[string]any) (string, string) {
		r := renderChart(t, values)
		ann := get(t, manifests(t, r)["DaemonSet"], "spec", "template", "metadata", "annotations", "checksum/config").(string)
		return ann, fmt.Sprintf("%x", sha256.Sum256([]byte(r["configmap.yaml"])))
	}
	a, digest := sum(base)
	if a != digest {
		t.Errorf("checksum/config = %s, want sha256 of configmap.yaml %s", a, digest)
	}
	b, _ := sum(merge(base, map[string]any{"answers": map[string]any{"keepalived": map[string]any{"vrid": 151}}}))
	if a == b {
		t.Error("checksum/config did not change with the answers")
	}
	c, _ := sum(merge(base, map[string]any{"podLabels": map[string]any{"team": "net"}}))
	if a != c {
		t.Error("checksum/config changed although the ConfigMap did not")
	}
}

// TestVersionZero: version 0 is a version, not "unset".
func TestVersionZero(t *testing.T) {
	values := merge(withVIP(t), map[string]any{"version": float64(0)})
	_, env := checkDaemonSet(t, manifests(t, renderChart(t, values))["DaemonSet"], "vip-havip")
	if env["HAVIP_VERSION"] != "0" {
		t.Errorf("HAVIP_VERSION = %q, want 0", env["HAVIP_VERSION"])
	}
}

// TestQuestions loads questions.yml with havip's catalog loader (types, defaults, show_if) and
// checks that every question names an existing value with the same default, and that the
// answers.keepalived.* questions are questions of the keepalived template.
func TestQuestions(t *testing.T) {
	data, err := os.ReadFile("questions.yml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"havip/config.yml":      {Data: []byte("name: havip\nversion: \"0\"\n")},
		"havip/0/questions.yml": {Data: data},
	}
	c, err := catalog.Load(fsys)
	if err != nil {
		t.Fatalf("havip's catalog loader refuses questions.yml: %v", err)
	}
	tp, err := c.Template("havip")
	if err != nil {
		t.Fatal(err)
	}
	questions := tp.Latest().Questions
	if len(questions) == 0 {
		t.Fatal("no questions")
	}
	values := readYAML(t, "values.yaml")
	embedded, err := templates.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	kt, err := embedded.Template("keepalived")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, q := range kt.Latest().Questions {
		known[q.Variable] = true
	}
	var all []catalog.Question
	for _, q := range questions {
		all = append(all, q)
		all = append(all, q.Subquestions...)
	}
	for _, q := range all {
		if q.Label == "" || q.Description == "" || q.Group == "" {
			t.Errorf("question %s lacks a label, description or group", q.Variable)
		}
		var v any = values
		for _, part := range strings.Split(q.Variable, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				t.Errorf("question %s: values.yaml has no such value", q.Variable)
				v = nil
				break
			}
			if v, ok = m[part]; !ok {
				t.Errorf("question %s: values.yaml has no such value", q.Variable)
				break
			}
		}
		if v != nil && !isMap(v) && fmt.Sprint(v) != q.Default {
			t.Errorf("question %s: default %q differs from values.yaml %v", q.Variable, q.Default, v)
		}
		if rest, ok := strings.CutPrefix(q.Variable, "answers.keepalived."); ok && !known[rest] {
			t.Errorf("question %s: the keepalived template has no question %s", q.Variable, rest)
		}
	}
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

// TestStaticYAML: the files Helm and Rancher read as data are well-formed YAML.
func TestStaticYAML(t *testing.T) {
	files := []string{"Chart.yaml", "values.yaml", "questions.yml"}
	ci, _ := filepath.Glob("ci/*.yaml")
	for _, f := range append(files, ci...) {
		readYAML(t, f)
	}
	meta := readYAML(t, "Chart.yaml")
	for _, key := range []string{"apiVersion", "name", "version", "appVersion", "description"} {
		if meta[key] == nil || meta[key] == "" {
			t.Errorf("Chart.yaml lacks %s", key)
		}
	}
	if meta["apiVersion"] != "v2" || meta["name"] != "havip" {
		t.Errorf("Chart.yaml apiVersion/name = %v/%v", meta["apiVersion"], meta["name"])
	}
}
