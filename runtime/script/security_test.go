package script

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/internal/testenv"
)

func TestCheckSecurity(t *testing.T) {
	testenv.RequireRoot(t, "building root- and user-owned fixtures")
	type entry struct {
		uid, gid int
		mode     os.FileMode
	}
	tests := []struct {
		name    string
		dir     entry
		file    entry
		symlink bool // check a symlink in a safe directory pointing at the file
		wantErr string
	}{
		{"root owned 0755", entry{0, 0, 0o755}, entry{0, 0, 0o755}, false, ""},
		{"group writable by root group", entry{0, 0, 0o755}, entry{0, 0, 0o775}, false, ""},
		{"group writable by other group", entry{0, 0, 0o755}, entry{0, 1000, 0o775}, false, "writable by group gid 1000"},
		{"world writable file", entry{0, 0, 0o755}, entry{0, 0, 0o757}, false, "writable by everyone"},
		{"file owned by user", entry{0, 0, 0o755}, entry{1000, 0, 0o755}, false, "owned by uid 1000"},
		{"world writable directory", entry{0, 0, 0o777}, entry{0, 0, 0o755}, false, "writable by everyone"},
		{"sticky world writable directory", entry{0, 0, 0o777 | os.ModeSticky}, entry{0, 0, 0o755}, false, ""},
		{"directory owned by user", entry{1000, 1000, 0o755}, entry{0, 0, 0o755}, false, "owned by uid 1000"},
		{"symlink to unsafe target", entry{0, 0, 0o777}, entry{0, 0, 0o755}, true, "writable by everyone"},
		{"symlink to safe target", entry{0, 0, 0o755}, entry{0, 0, 0o755}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "d")
			file := filepath.Join(dir, "check.sh")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte("#!/bin/sh\n"), 0o700); err != nil {
				t.Fatal(err)
			}
			for _, e := range []struct {
				path string
				e    entry
			}{{file, tt.file}, {dir, tt.dir}} {
				if err := os.Chown(e.path, e.e.uid, e.e.gid); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(e.path, e.e.mode); err != nil {
					t.Fatal(err)
				}
			}
			target := file
			if tt.symlink {
				target = filepath.Join(root, "link.sh")
				if err := os.Symlink(file, target); err != nil {
					t.Fatal(err)
				}
			}
			err := CheckSecurity(target)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("CheckSecurity: unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), target)):
				t.Fatalf("CheckSecurity = %v; want error naming %s containing %q", err, target, tt.wantErr)
			}
		})
	}
}

func TestCheckSecurityMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.sh")
	if err := CheckSecurity(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("want error naming %s, got %v", missing, err)
	}
}

func TestDefaultIdentity(t *testing.T) {
	id, err := DefaultIdentity("root", "", true)
	if err != nil || id.UID != 0 {
		t.Fatalf("explicit script_user root: %+v %v", id, err)
	}
	if _, err := LookupIdentity(DefaultScriptUser, ""); err == nil {
		t.Skipf("user %s exists here; the fallback rules cannot be exercised", DefaultScriptUser)
	}
	if id, err := DefaultIdentity("", "", false); err != nil || id.UID != 0 {
		t.Fatalf("fallback without security: %+v %v; want root", id, err)
	}
	if _, err := DefaultIdentity("", "", true); err == nil || !strings.Contains(err.Error(), DefaultScriptUser) {
		t.Fatalf("with security and no script user: want error naming %s, got %v", DefaultScriptUser, err)
	}
	if _, err := LookupIdentity("root", "no-such-group-havip"); err == nil || !strings.Contains(err.Error(), "no-such-group-havip") {
		t.Fatalf("want error naming the group, got %v", err)
	}
}
