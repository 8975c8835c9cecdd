package render

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := &Result{KeepalivedConf: []byte("new conf\n"), Compose: []byte("services: {}\n")}
	if err := WriteDir(dir, res); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{ComposeFile, ConfigFile}) {
		t.Fatalf("files = %v, want only the two outputs (no temporary files left)", got)
	}
	for name, want := range map[string]string{ConfigFile: "new conf\n", ComposeFile: "services: {}\n"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(data) != want {
			t.Fatalf("%s = %q, %v; want %q", name, data, err, want)
		}
		info, _ := os.Stat(filepath.Join(dir, name))
		if info.Mode().Perm() != 0o644 {
			t.Fatalf("%s mode = %v, want 0644", name, info.Mode())
		}
	}

	only := t.TempDir()
	if err := WriteDir(only, &Result{KeepalivedConf: []byte("x\n")}); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, only); !slices.Equal(got, []string{ConfigFile}) {
		t.Fatalf("without compose: files = %v", got)
	}
}

func TestWriteDirFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	// a directory where keepalived.conf should go makes the rename fail
	if err := os.Mkdir(filepath.Join(dir, ConfigFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteDir(dir, &Result{KeepalivedConf: []byte("x\n")})
	if err == nil {
		t.Fatal("WriteDir over a non-empty directory succeeded")
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{ConfigFile}) {
		t.Fatalf("after a failed write: files = %v, want no temporary files", got)
	}
	if err := WriteDir(filepath.Join(dir, "missing"), &Result{KeepalivedConf: []byte("x\n")}); err == nil {
		t.Fatal("WriteDir into a missing directory succeeded")
	}
}
