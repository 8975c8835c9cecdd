package catalog

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// alanpengCatalog is the alanpeng/MyRancherCatalogs Keepalived entry (prior-art §0), with
// every question typed as it was: string.
func alanpengCatalog() fstest.MapFS {
	return fstest.MapFS{
		"Keepalived/config.yml": {Data: []byte(`name: "Keepalived for Rancher"
description: "Keepalived VIP"
version: 0.1
category: Clustering
`)},
		"Keepalived/catalogIcon-keepalived.png": {Data: []byte("png")},
		"Keepalived/0/docker-compose.yml":       {Data: []byte("Keepalived:\n  image: alanpeng/rancher-keepalived\n  net: host\n")},
		"Keepalived/0/rancher-compose.yml": {Data: []byte(`.catalog:
  name: "Keepalived"
  description: "Keepalived for Rancher"
  questions:
    - variable: virtual_ip
      label: "Virtual IP"
      type: string
      required: true
    - variable: netmask_bit
      label: "Netmask bit"
      type: string
      default: "16"
    - variable: check_port
      label: "Check port"
      type: string
      default: "80"
    - variable: network_interface
      label: "Network interface"
      type: string
      default: "eno16777984"
Keepalived:
  scale: 1
`)},
	}
}

func TestLoadAlanpeng(t *testing.T) {
	c, err := Load(alanpengCatalog())
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := c.Template("Keepalived")
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.Name != "Keepalived for Rancher" || tmpl.Category != "Clustering" || tmpl.DefaultVersion != "0.1" {
		t.Errorf("template = %+v", tmpl)
	}
	if tmpl.Icon != "catalogIcon-keepalived.png" {
		t.Errorf("icon = %q", tmpl.Icon)
	}
	v := tmpl.Latest()
	if v.Version != "0" || v.Folder != "0" || v.Name != "Keepalived" {
		t.Errorf("version = %+v", v)
	}
	if len(v.Questions) != 4 || v.Questions[1].Default != "16" || !v.Questions[0].Required || v.Questions[0].Type != TypeString {
		t.Errorf("questions = %+v", v.Questions)
	}
	if tmpl.Default() != v {
		t.Errorf("Default() should fall back to the latest version when config.yml's version matches none")
	}
	compose, err := fs.ReadFile(v.FS, "docker-compose.yml")
	if err != nil || !strings.Contains(string(compose), "net: host") {
		t.Errorf("version FS: %q, %v", compose, err)
	}
	values, err := v.Validate(map[string]string{"virtual_ip": "192.0.2.10"})
	if err != nil {
		t.Fatal(err)
	}
	want := Values{"virtual_ip": "192.0.2.10", "netmask_bit": "16", "check_port": "80", "network_interface": "eno16777984"}
	if len(values) != len(want) {
		t.Fatalf("values = %v, want %v", values, want)
	}
	for k, w := range want {
		if values[k] != w {
			t.Errorf("values[%s] = %v, want %v", k, values[k], w)
		}
	}
}

// layoutFS builds a catalog with the given extra files; every template gets a config.yml.
func layoutFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return m
}

func TestLoadLayouts(t *testing.T) {
	c, err := Load(layoutFS(map[string]string{
		"README.md":                    "catalog readme is ignored",
		".git/config":                  "ignored",
		"zeta/template.yml":            "name: Zeta\n",
		"zeta/0/docker-compose.yml":    "services: {}\n",
		"alpha/config.yml":             "name: Alpha\nversion: v1.0.1\nlabels:\n  io.rancher.orchestration.supported: 'cattle'\nprojectURL: https://example.com\n",
		"alpha/icon.svg":               "<svg/>",
		"alpha/README.md":              "# Alpha",
		"alpha/10/rancher-compose.yml": ".catalog:\n  version: v1.0.1\n  uuid: alpha-10\n  minimum_rancher_version: v0.46.0\n  maximum_rancher_version: v1.6.99\n  upgrade_from: v1.0.0\n",
		"alpha/10/README.md":           "ten",
		"alpha/2/rancher-compose.yml":  ".catalog:\n  version: v1.0.0\n",
		"alpha/9/docker-compose.yml":   "x: {}\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Names(), ","); got != "alpha,zeta" {
		t.Errorf("templates = %s, want alpha,zeta (sorted by folder)", got)
	}
	alpha, _ := c.Template("Alpha") // display name accepted too
	if alpha == nil || alpha.Folder != "alpha" {
		t.Fatalf("Template(Alpha) = %v", alpha)
	}
	var folders, versions []string
	for _, v := range alpha.Versions {
		folders = append(folders, v.Folder)
		versions = append(versions, v.Version)
	}
	if got := strings.Join(folders, ","); got != "2,9,10" {
		t.Errorf("version folders = %s, want numeric order 2,9,10", got)
	}
	if got := strings.Join(versions, ","); got != "v1.0.0,9,v1.0.1" {
		t.Errorf("versions = %s, want the .catalog version overriding the folder name", got)
	}
	latest := alpha.Latest()
	if latest.UUID != "alpha-10" || latest.MinimumRancherVersion != "v0.46.0" || latest.MaximumRancherVersion != "v1.6.99" || latest.UpgradeFrom != "v1.0.0" || latest.Readme != "ten" {
		t.Errorf("latest = %+v", latest)
	}
	if alpha.Icon != "icon.svg" || alpha.Readme != "# Alpha" || alpha.ProjectURL != "https://example.com" || alpha.Labels["io.rancher.orchestration.supported"] != "cattle" {
		t.Errorf("alpha = %+v", alpha)
	}
	if alpha.Default() != latest {
		t.Errorf("Default() = %v, want the version named by config.yml (v1.0.1)", alpha.Default().Version)
	}
	for _, lookup := range []string{"v1.0.1", "1.0.1", "10"} {
		if v, err := alpha.Version(lookup); err != nil || v != latest {
			t.Errorf("Version(%q) = %v, %v; want folder 10", lookup, v, err)
		}
	}
	if _, err := alpha.Version("3"); err == nil || !strings.Contains(err.Error(), `template alpha has no version "3": it has v1.0.0 (folder 2), 9, v1.0.1 (folder 10)`) {
		t.Errorf("Version(3) error = %v", err)
	}
	if _, err := c.Template("nope"); err == nil || err.Error() != `unknown template "nope": the catalog has alpha, zeta` {
		t.Errorf("Template(nope) error = %v", err)
	}
}

func TestLoadRancher2Questions(t *testing.T) {
	c, err := Load(layoutFS(map[string]string{
		"k/config.yml":            "name: K\n",
		"k/0/questions.yml":       "categories: [network]\nrancher_min_version: 2.0.0\nquestions:\n- variable: unicast\n  type: boolean\n  default: \"false\"\n  show_subquestion_if: true\n  subquestions:\n  - variable: peers\n    type: iprange\n    required: true\n",
		"k/0/rancher-compose.yml": ".catalog:\n  questions:\n  - variable: vip\n    type: ipv4\n    env: VIRTUAL_IP\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	v := c.Templates[0].Latest()
	if len(v.Questions) != 2 || v.Questions[0].Variable != "vip" || v.Questions[0].Env != "VIRTUAL_IP" || v.Questions[1].Variable != "unicast" {
		t.Fatalf("questions = %+v", v.Questions)
	}
	sub := v.Questions[1].Subquestions
	if len(sub) != 1 || sub[0].Variable != "peers" || v.Questions[1].ShowSubquestionIf != "true" {
		t.Errorf("subquestions = %+v", sub)
	}
}

func TestLoadErrors(t *testing.T) {
	base := map[string]string{"t/config.yml": "name: T\n"}
	with := func(extra map[string]string) fstest.MapFS {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return layoutFS(m)
	}
	rc := func(questions string) map[string]string {
		return map[string]string{"t/0/rancher-compose.yml": ".catalog:\n  questions:\n" + questions}
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want []string // substrings of the error
	}{
		{"empty catalog", layoutFS(map[string]string{"README.md": "x"}), []string{"catalog holds no templates"}},
		{"folder without config", layoutFS(map[string]string{"t/0/x": ""}), []string{"t: not a template folder: it needs a config.yml (or template.yml)"}},
		{"config yaml error with line", layoutFS(map[string]string{"t/config.yml": "name: T\nlabels: [\n", "t/0/x": ""}), []string{"t/config.yml: yaml:", "line"}},
		{"config without name", layoutFS(map[string]string{"t/config.yml": "description: d\n", "t/0/x": ""}), []string{"t/config.yml: name is empty"}},
		{"no versions", with(nil), []string{"t: no version folders"}},
		{"non-numeric version folder", with(map[string]string{"t/0/x": "", "t/latest/x": ""}), []string{"t/latest: version folders must be numbers"}},
		{"same number twice", with(map[string]string{"t/1/x": "", "t/01/x": ""}), []string{"version folders 01 and 1 are the same number"}},
		{"same version twice", with(map[string]string{"t/0/rancher-compose.yml": ".catalog:\n  version: v1\n", "t/1/rancher-compose.yml": ".catalog:\n  version: v1\n"}), []string{`t: version folders 0 and 1 both declare version "v1"`}},
		{"rancher-compose yaml error", with(map[string]string{"t/0/rancher-compose.yml": ".catalog:\n  questions: [\n"}), []string{"t/0/rancher-compose.yml: yaml:"}},
		{"questions.yml yaml error", with(map[string]string{"t/0/questions.yml": "questions:\n  - variable: [\n"}), []string{"t/0/questions.yml: yaml:"}},
		{"unknown question key", with(rc("  - variable: a\n    requried: true\n")), []string{"t/0/rancher-compose.yml:3: question 1:", "requried", "known keys:"}},
		{"unknown type", with(rc("  - variable: a\n    type: service\n")), []string{`t/0/rancher-compose.yml:3: question a: unknown type "service": use one of string, multiline`}},
		{"bad variable name", with(rc("  - variable: 1a\n")), []string{`t/0/rancher-compose.yml:3: variable "1a" is not a valid name`}},
		{"enum without options", with(rc("  - variable: a\n    type: enum\n")), []string{"question a: an enum needs options"}},
		{"options on a string", with(rc("  - variable: a\n    options: [x]\n")), []string{"question a: options are only used by enum questions, and this one is string"}},
		{"duplicate option", with(rc("  - variable: a\n    type: enum\n    options: [x, x]\n")), []string{`option "x" is listed twice`}},
		{"unsafe option", with(rc("  - variable: a\n    type: enum\n    options: [\"x{\"]\n")), []string{`option "x{" contains '{'`}},
		{"min on a string", with(rc("  - variable: a\n    min: 1\n")), []string{"question a: min/max only apply to int, float and port questions"}},
		{"min above max", with(rc("  - variable: a\n    type: int\n    min: 5\n    max: 1\n")), []string{"question a: min 5 is above max 1"}},
		{"min_length above max_length", with(rc("  - variable: a\n    min_length: 5\n    max_length: 1\n")), []string{"question a: min_length 5 is above max_length 1"}},
		{"negative length", with(rc("  - variable: a\n    max_length: -1\n")), []string{"question a: max_length -1 is negative"}},
		{"bad default type", with(rc("  - variable: check_port\n    label: Check port\n    type: port\n    default: \"70000\"\n")), []string{"t/0/rancher-compose.yml:3: question check_port: default 70000 is above the maximum 65535"}},
		{"default not an option", with(rc("  - variable: a\n    type: enum\n    options: [x]\n    default: y\n")), []string{`question a: default "y" is not one of the options "x"`}},
		{"default too long", with(rc("  - variable: a\n    max_length: 2\n    default: abc\n")), []string{`question a: default "abc" is 3 characters long, longer than the maximum 2`}},
		{"duplicate variable", with(rc("  - variable: a\n  - variable: a\n")), []string{"t/0/rancher-compose.yml:4: variable a is already defined at t/0/rancher-compose.yml:3"}},
		{"duplicate across files", with(map[string]string{"t/0/rancher-compose.yml": ".catalog:\n  questions:\n  - variable: a\n", "t/0/questions.yml": "questions:\n- variable: a\n"}), []string{"t/0/questions.yml:2: variable a is already defined at t/0/rancher-compose.yml:3"}},
		{"duplicate env", with(rc("  - variable: a\n    env: X\n  - variable: b\n    env: X\n")), []string{"question b: env X already supplies a"}},
		{"bad env name", with(rc("  - variable: a\n    env: 9X\n")), []string{`question a: env "9X" is not an environment variable name`}},
		{"bad show_if", with(rc("  - variable: a\n    show_if: b\n")), []string{`question a: show_if "b": term "b" is not of the form variable=value`}},
		{"show_if unknown variable", with(rc("  - variable: a\n    show_if: b=1\n")), []string{"question a: show_if refers to unknown variable b (known: a)"}},
		{"show_if cycle", with(rc("  - variable: a\n    show_if: b=1\n  - variable: b\n    show_if: a=1\n")), []string{"show_if conditions form a cycle: a → b → a"}},
		{"show_subquestion_if without subquestions", with(rc("  - variable: a\n    show_subquestion_if: x\n")), []string{"question a: show_subquestion_if is set but there are no subquestions"}},
		{"nested subquestions", with(rc("  - variable: a\n    subquestions:\n    - variable: b\n      subquestions:\n      - variable: c\n")), []string{"subquestion b has subquestions: subquestions cannot be nested"}},
		{"all problems at once", with(rc("  - variable: a\n    type: nope\n  - variable: b\n    type: enum\n")), []string{`question a: unknown type "nope"`, "question b: an enum needs options"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.fsys)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\n does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadUnquotedScalars(t *testing.T) {
	c, err := Load(layoutFS(map[string]string{
		"t/config.yml":            "name: T\nversion: 1.0\nlabels:\n  io.rancher.scheduler.global: true\n",
		"t/0/rancher-compose.yml": ".catalog:\n  version: 2\n  questions:\n  - variable: port\n    type: port\n    default: 80\n  - variable: v\n    type: enum\n    options: [2, 3]\n    default: 3\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := c.Templates[0]
	v := tmpl.Latest()
	if tmpl.DefaultVersion != "1.0" || tmpl.Labels["io.rancher.scheduler.global"] != "true" || v.Version != "2" {
		t.Errorf("template %+v, version %q", tmpl, v.Version)
	}
	if v.Questions[0].Default != "80" || strings.Join(v.Questions[1].Options, ",") != "2,3" || v.Questions[1].Default != "3" {
		t.Errorf("questions = %+v", v.Questions)
	}
}
