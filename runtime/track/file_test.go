package track

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseFileValue(t *testing.T) {
	tests := []struct {
		content string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"  \n", 0, false},
		{"5", 5, false},
		{"-20\n", -20, false},
		{"  +7  trailing words\n", 7, false},
		{"abc", 0, true},
		{"1.5", 0, true},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseFileValue(tt.content)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFileValue(%q) = %d, %v; want %d, error=%v", tt.content, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseFileValue(f *testing.F) {
	for _, s := range []string{"", "5", "-254\n", "abc", " 12 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseFileValue(s); err != nil && v != 0 {
			t.Fatalf("ParseFileValue(%q) = %d with error %v; errors must yield 0", s, v, err)
		}
	})
}

func TestInitFile(t *testing.T) {
	v := func(n int64) *int64 { return &n }
	tests := []struct {
		name      string
		existing  *string
		init      *int64
		overwrite bool
		want      string // "" = file absent
	}{
		{"no init_file leaves missing", nil, nil, false, ""},
		{"creates with value", nil, v(7), false, "7\n"},
		{"creates with default 0", nil, v(0), false, "0\n"},
		{"keeps existing", strp("3\n"), v(7), false, "3\n"},
		{"overwrite replaces", strp("3\n"), v(-9), true, "-9\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prio")
			if tt.existing != nil {
				if err := os.WriteFile(path, []byte(*tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := (FileSpec{Name: "f", Path: path, InitValue: tt.init, InitOverwrite: tt.overwrite}).InitFile(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("file created with %q, want none", data)
				}
				return
			}
			if string(data) != tt.want {
				t.Fatalf("file holds %q (err %v), want %q", data, err, tt.want)
			}
		})
	}
}

func strp(s string) *string { return &s }

func TestFileTrackerFollowsChanges(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prio")
	init := int64(4)
	r := start(t, NewFile(FileSpec{Name: "prio", Path: path, InitValue: &init}, nil))
	expectValue := func(want int64, what string) {
		t.Helper()
		for {
			res := r.next(t, what)
			if res.Value == want {
				if res.Up != (want == 0) {
					t.Fatalf("%s: up=%v for value %d", what, res.Up, want)
				}
				return
			}
		}
	}
	expectValue(4, "init_file value")
	if err := os.WriteFile(path, []byte("12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectValue(12, "in-place write")
	tmp := filepath.Join(dir, ".prio.tmp")
	if err := os.WriteFile(tmp, []byte("-30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	expectValue(-30, "atomic rename")
	if err := os.WriteFile(path, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectValue(0, "unparsable content counts as 0")
	if err := os.WriteFile(path, []byte("5"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectValue(5, "valid again")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	expectValue(0, "removed file counts as 0")
}

func TestFileTrackerDirectoryCreatedLater(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	path := filepath.Join(dir, "prio")
	r := start(t, NewFile(FileSpec{Name: "prio", Path: path}, nil))
	if res := r.next(t, "missing directory"); res.Value != 0 {
		t.Fatalf("missing file: value %d", res.Value)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for res := r.next(t, "file in new directory"); res.Value != 9; res = r.next(t, "file in new directory") {
	}
}
