package render

import (
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/havip/havip/catalog"
)

func TestParseAnswersFile(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             []Setting
		wantErr          []string
	}{
		{"key=value with comments, blanks and quotes", "answers.txt",
			"# comment\n\nvirtual_ip=192.0.2.5\n  VRID = 7 \ncheck_script=\"/bin/x -y\"\nauth_pass='a=b'\nempty=\n",
			[]Setting{
				{"virtual_ip", "192.0.2.5", "answers.txt:3"},
				{"VRID", "7", "answers.txt:4"},
				{"check_script", "/bin/x -y", "answers.txt:5"},
				{"auth_pass", "a=b", "answers.txt:6"},
				{"empty", "", "answers.txt:7"},
			}, nil},
		{"mismatched quotes stay", "a.env", "x=\"abc'\n", []Setting{{"x", "\"abc'", "a.env:1"}}, nil},
		{"malformed lines all reported", "answers.txt", "ok=1\nno equals sign\n=value\n",
			nil, []string{`answers.txt:2: "no equals sign" is not KEY=VALUE`, `answers.txt:3: "=value" is not KEY=VALUE`}},
		{"yaml", "answers.yml", "virtual_ip: 192.0.2.5\nvrid: 7\nunicast_peers:\n  - 192.0.2.2\n  - 192.0.2.3\nflag: true\n",
			[]Setting{
				{"virtual_ip", "192.0.2.5", "answers.yml:1"},
				{"vrid", "7", "answers.yml:2"},
				{"unicast_peers", "192.0.2.2,192.0.2.3", "answers.yml:3"},
				{"flag", "true", "answers.yml:6"},
			}, nil},
		{"empty yaml", "answers.yaml", "", nil, nil},
		{"yaml not a mapping", "a.yaml", "- a\n- b\n", nil, []string{"a.yaml:1: expected a mapping"}},
		{"yaml nested mapping", "a.yaml", "x:\n  y: 1\nz: [ {a: 1} ]\n", nil,
			[]string{"a.yaml:1: x: the value must be a plain value", "a.yaml:3: z: list items must be plain values"}},
		{"yaml syntax", "a.yml", "x: [\n", nil, []string{"a.yml: not YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnswersFile(tt.file, []byte(tt.data))
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; got %+v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseSets(t *testing.T) {
	got, err := ParseSets([]string{"a=1", "b==2", "c="})
	want := []Setting{{"a", "1", "--set a"}, {"b", "=2", "--set b"}, {"c", "", "--set c"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseSets = %+v, %v", got, err)
	}
	_, err = ParseSets([]string{"novalue", "=x"})
	if err == nil || !strings.Contains(err.Error(), `--set "novalue"`) || !strings.Contains(err.Error(), `--set "=x"`) {
		t.Fatalf("ParseSets errors = %v", err)
	}
}

func TestMergeAnswers(t *testing.T) {
	qs := []catalog.Question{
		{Variable: "virtual_ip", Env: "VIRTUAL_IP"},
		{Variable: "mode", Subquestions: []catalog.Question{{Variable: "delay", Env: "DELAY"}}},
	}
	file := []Setting{{"virtual_ip", "192.0.2.1", "a.txt:1"}, {"DELAY", "5", "a.txt:2"}}
	env := []Setting{{"VIRTUAL_IP", "192.0.2.2", "env VIRTUAL_IP"}}
	set := []Setting{{"mode", "x", "--set mode"}, {"mode", "y", "--set mode"}}
	answers, origins, err := mergeAnswers(qs, answerLayer{settings: file}, answerLayer{settings: env}, answerLayer{settings: set, repeatable: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"virtual_ip": "192.0.2.2", "delay": "5", "mode": "y"}; !reflect.DeepEqual(answers, want) {
		t.Errorf("answers = %v, want %v", answers, want)
	}
	if want := map[string]string{"virtual_ip": "env VIRTUAL_IP", "delay": "a.txt:2", "mode": "--set mode"}; !reflect.DeepEqual(origins, want) {
		t.Errorf("origins = %v, want %v", origins, want)
	}

	_, _, err = mergeAnswers(qs, answerLayer{settings: []Setting{{"bogus", "1", "a.txt:1"}, {"virtual_ip", "1", "a.txt:2"}, {"VIRTUAL_IP", "2", "a.txt:3"}}})
	for _, want := range []string{`a.txt:1: unknown answer "bogus": the template's questions are delay, mode, virtual_ip`,
		"a.txt:3: virtual_ip is already answered at a.txt:2"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestAnnotate(t *testing.T) {
	err := errors.Join(
		fmt.Errorf(`vrid ("VRID"): 999 is out of range`),
		fmt.Errorf(`vrid_offset ("Offset"): bad`),
		fmt.Errorf(`other: unrelated`),
	)
	got := annotate(err, map[string]string{"vrid": "env VRID", "vrid_offset": "--set vrid_offset"}).Error()
	want := "vrid (\"VRID\"): 999 is out of range (answer from env VRID)\n" +
		"vrid_offset (\"Offset\"): bad (answer from --set vrid_offset)\n" +
		"other: unrelated"
	if got != want {
		t.Fatalf("annotate =\n%s\nwant\n%s", got, want)
	}
	single := annotate(fmt.Errorf("vrid: x"), map[string]string{"vrid": "a:1"})
	if single.Error() != "vrid: x (answer from a:1)" {
		t.Fatalf("annotate single = %v", single)
	}
}

// FuzzParseAnswersFile checks that any answers file either fails or yields
// settings whose keys are non-empty and whose origins point at a line of the file.
func FuzzParseAnswersFile(f *testing.F) {
	f.Add("answers.txt", "# c\nvirtual_ip=192.0.2.5\nVRID = 7\n")
	f.Add("answers.txt", "x=\"a\"\n=bad\n")
	f.Add("answers.yml", "virtual_ip: 192.0.2.5\npeers: [a, b]\n")
	f.Add("answers.yaml", "x:\n  y: 1\n")
	f.Fuzz(func(t *testing.T, name, data string) {
		settings, err := ParseAnswersFile(name, []byte(data))
		if err != nil {
			return
		}
		// KEY=VALUE files are split at \n; YAML also breaks lines at a lone \r.
		lines := strings.Count(data, "\n") + 1
		if ext := strings.ToLower(path.Ext(name)); ext == ".yml" || ext == ".yaml" {
			lines = strings.Count(strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\r", "\n"), "\n") + 1
		}
		for _, s := range settings {
			var line int
			if _, scanErr := fmt.Sscanf(s.Origin[strings.LastIndex(s.Origin, ":")+1:], "%d", &line); scanErr != nil ||
				!strings.HasPrefix(s.Origin, name+":") || line < 1 || line > lines {
				t.Fatalf("setting %+v: origin is not a line of %s (%d lines)", s, name, lines)
			}
			if s.Key == "" {
				t.Fatalf("setting %+v has an empty key", s)
			}
		}
	})
}
