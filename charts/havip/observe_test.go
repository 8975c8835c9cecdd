package chart

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"
)

// withValues returns the default values with overrides (YAML) merged over them.
func withValues(t *testing.T, overrides string) map[string]any {
	t.Helper()
	return merge(withVIP(t), decodeHelmYAML(t, "overrides", []byte(overrides)))
}

// havipContainer renders values and returns the DaemonSet's container.
func havipContainer(t *testing.T, values map[string]any) map[string]any {
	t.Helper()
	return get(t, manifests(t, renderChart(t, values))["DaemonSet"], "spec", "template", "spec", "containers", 0).(map[string]any)
}

func TestProbesAndMetricsPortByDefault(t *testing.T) {
	c := havipContainer(t, withVIP(t))
	if env := envOf(t, c); env["HAVIP_HTTP_LISTEN"] != ":9165" {
		t.Errorf("HAVIP_HTTP_LISTEN = %q, want :9165", env["HAVIP_HTTP_LISTEN"])
	}
	wantPorts := []any{map[string]any{"name": "metrics", "containerPort": 9165, "protocol": "TCP"}}
	if got := c["ports"]; !reflect.DeepEqual(got, wantPorts) {
		t.Errorf("ports = %v, want %v", got, wantPorts)
	}
	for probe, want := range map[string]map[string]any{
		"livenessProbe": {"httpGet": map[string]any{"path": "/healthz", "port": "metrics"},
			"periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
		"readinessProbe": {"httpGet": map[string]any{"path": "/readyz", "port": "metrics"},
			"periodSeconds": 5, "timeoutSeconds": 5, "failureThreshold": 3},
	} {
		if got := c[probe]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", probe, got, want)
		}
	}
}

func TestProbesOverriddenOrOff(t *testing.T) {
	c := havipContainer(t, withValues(t, "livenessProbe:\n  tcpSocket: {port: 9165}\nhttp:\n  port: 9300\n"))
	if got := c["livenessProbe"]; !reflect.DeepEqual(got, map[string]any{"tcpSocket": map[string]any{"port": 9165}}) {
		t.Errorf("livenessProbe = %v, want the given one", got)
	}
	if got := get(t, c, "readinessProbe", "httpGet", "path"); got != "/readyz" {
		t.Errorf("readinessProbe path = %v, want the default /readyz", got)
	}
	if got := get(t, c, "ports", 0, "containerPort"); got != 9300 {
		t.Errorf("containerPort = %v, want http.port 9300", got)
	}
	if env := envOf(t, c); env["HAVIP_HTTP_LISTEN"] != ":9300" {
		t.Errorf("HAVIP_HTTP_LISTEN = %q, want :9300", env["HAVIP_HTTP_LISTEN"])
	}

	c = havipContainer(t, withValues(t, "http:\n  probes: false\n"))
	if c["livenessProbe"] != nil || c["readinessProbe"] != nil || c["ports"] == nil {
		t.Errorf("http.probes false: probes %v %v, ports %v; want no probes, the port kept", c["livenessProbe"], c["readinessProbe"], c["ports"])
	}
	c = havipContainer(t, withValues(t, "http:\n  enabled: false\n"))
	if c["livenessProbe"] != nil || c["readinessProbe"] != nil || c["ports"] != nil {
		t.Errorf("http off: probes %v %v, ports %v; want none", c["livenessProbe"], c["readinessProbe"], c["ports"])
	}
	if _, ok := envOf(t, c)["HAVIP_HTTP_LISTEN"]; ok {
		t.Error("http off: HAVIP_HTTP_LISTEN is set")
	}
}

// monitoring renders values and returns the documents of monitoring.yaml by kind.
func monitoring(t *testing.T, values map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	dec := yaml.NewDecoder(strings.NewReader(renderChart(t, values)["monitoring.yaml"]))
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("monitoring.yaml: %v", err)
		}
		if m != nil {
			out[m["kind"].(string)] = m
		}
	}
}

func TestMonitors(t *testing.T) {
	if m := monitoring(t, withVIP(t)); len(m) != 0 {
		t.Errorf("monitors by default: %v", m)
	}
	pm := monitoring(t, withValues(t, "podMonitor:\n  enabled: true\n  labels: {release: prom}\n"))["PodMonitor"]
	if pm == nil {
		t.Fatal("podMonitor.enabled renders no PodMonitor")
	}
	if got := get(t, pm, "spec", "podMetricsEndpoints", 0, "port"); got != "metrics" {
		t.Errorf("PodMonitor port = %v", got)
	}
	if got := get(t, pm, "metadata", "labels", "release"); got != "prom" {
		t.Errorf("PodMonitor labels lack release=prom: %v", get(t, pm, "metadata", "labels"))
	}
	if got := get(t, pm, "spec", "selector", "matchLabels", "app.kubernetes.io/instance"); got != releaseName {
		t.Errorf("PodMonitor selects %v", get(t, pm, "spec", "selector"))
	}
	sm := monitoring(t, withValues(t, "serviceMonitor:\n  enabled: true\n"))
	if sm["ServiceMonitor"] == nil || sm["Service"] == nil {
		t.Fatalf("serviceMonitor.enabled renders %v, want a Service and a ServiceMonitor", reflect.ValueOf(sm).MapKeys())
	}
	if got := get(t, sm["Service"], "spec", "ports", 0, "port"); got != 9165 {
		t.Errorf("Service port = %v", got)
	}
	if got := get(t, sm["ServiceMonitor"], "spec", "endpoints", 0, "port"); got != "metrics" {
		t.Errorf("ServiceMonitor port = %v", got)
	}
}

// schema compiles values.schema.json.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("values.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("values.schema.json")
	if err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	return s
}

// asJSON turns Helm-decoded values into what the validator expects.
func asJSON(t *testing.T, v map[string]any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSchemaOfHTTPAndMonitors(t *testing.T) {
	s := schema(t)
	if err := s.Validate(asJSON(t, readYAML(t, "values.yaml"))); err != nil {
		t.Fatalf("values.yaml does not validate: %v", err)
	}
	for _, bad := range []string{
		"http:\n  port: 70000\n",
		"http:\n  port: \"9165\"\n",
		"http:\n  enabled: yes please\n",
		"http:\n  livenessProbe:\n    httpGet: {path: /}\n",
		"podMonitor:\n  interval: soon\n",
		"serviceMonitor:\n  labels: {a: 1}\n",
		"readinessProbe: none\n",
		"podMonitor:\n  enabled: true\nhttp:\n  enabled: false\n",
		"serviceMonitor:\n  enabled: true\nhttp:\n  enabled: false\n",
	} {
		if err := s.Validate(asJSON(t, withValues(t, bad))); err == nil {
			t.Errorf("values with %q validate", bad)
		}
	}
}
