package script

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/internal/testenv"
)

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exe := file("check.sh", 0o755)
	plain := file("plain.sh", 0o644)
	groupOnly := file("group.sh", 0o710)
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	self := &Identity{UID: uint32(os.Geteuid()), GID: uint32(os.Getegid())}
	stranger := &Identity{UID: 4242, GID: 4242}
	tests := []struct {
		name   string
		cmd    Command
		as     *Identity
		reason Reason // 0: usable
		detail string
	}{
		{"absolute executable", Command{Args: []string{exe, "arg"}}, self, 0, ""},
		{"found by PATH search", Command{Text: "check.sh --flag"}, self, 0, ""},
		{"missing absolute", Command{Args: []string{"/nonexistent/chk.sh"}}, self, ReasonNotFound, "/nonexistent/chk.sh does not exist"},
		{"missing bare name", Command{Text: "nosuch-havip-cmd -0 haproxy"}, self, ReasonNotFound, "nosuch-havip-cmd is not an executable file in any directory of PATH=" + dir},
		{"non-executable in PATH is not found", Command{Text: "plain.sh"}, self, ReasonNotFound, "plain.sh is not an executable file"},
		{"not executable", Command{Args: []string{plain}}, self, ReasonNotExecutable, plain + " (mode -rw-r--r--"},
		{"directory", Command{Args: []string{dir}}, self, ReasonNotExecutable, "is a directory, not a regular file"},
		{"owner bit only for others", Command{Args: []string{groupOnly}}, stranger, ReasonNotExecutable, "cannot be executed by uid 4242 gid 4242"},
		{"shell syntax checks /bin/sh", Command{Text: "/nonexistent/x || exit 1"}, self, 0, ""},
		{"empty command is config's business", Command{}, self, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Inspect(tt.cmd, tt.as, false)
			if tt.reason == 0 {
				if err != nil {
					t.Fatalf("Inspect = %v, want usable", err)
				}
				return
			}
			var u *Unusable
			if !errors.As(err, &u) {
				t.Fatalf("Inspect = %v, want *Unusable %s", err, tt.reason)
			}
			if u.Reason != tt.reason || !strings.Contains(err.Error(), tt.detail) || !strings.Contains(err.Error(), tt.cmd.String()) {
				t.Errorf("Inspect = %v (reason %s), want reason %s and %q", err, u.Reason, tt.reason, tt.detail)
			}
		})
	}
}

// TestInspectSecurity: with enable_script_security a script run as root that a non-root user
// could change is unusable; without it, or run as another user, it is not Inspect's concern.
func TestInspectSecurity(t *testing.T) {
	testenv.RequireRoot(t, "root-owned script fixtures")
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	unsafe := filepath.Join(dir, "unsafe.sh")
	if err := os.WriteFile(unsafe, []byte("#!/bin/sh\n"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(unsafe, 0o777); err != nil {
		t.Fatal(err)
	}
	root := &Identity{UID: 0, GID: 0}
	err := Inspect(Command{Args: []string{unsafe}}, root, true)
	var u *Unusable
	if !errors.As(err, &u) || u.Reason != ReasonInsecure || !strings.Contains(err.Error(), "writable by everyone") {
		t.Fatalf("Inspect with security = %v, want ReasonInsecure naming the world-writable file", err)
	}
	if err := Inspect(Command{Args: []string{unsafe}}, root, false); err != nil {
		t.Errorf("Inspect without security = %v, want usable", err)
	}
	if err := Inspect(Command{Args: []string{unsafe}}, &Identity{UID: 65534, GID: 65534}, true); err != nil {
		t.Errorf("Inspect as nobody with security = %v, want usable (only root scripts are protected)", err)
	}
}

func TestInterpreter(t *testing.T) {
	dir := t.TempDir()
	script := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, text, want string
	}{
		{"shell present", "#!/bin/sh\nexit 0\n", ""},
		{"interpreter with argument", "#!/bin/sh -e\nexit 0\n", ""},
		{"interpreter missing", "#!/nonexistent/sh\nexit 0\n", "is run by /nonexistent/sh, which is not an executable file here"},
		{"empty #!", "#!\n", "names no interpreter"},
		{"no #! line", "\x7fELF", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := script(strings.ReplaceAll(tt.name, " ", "_"), tt.text)
			err := Interpreter(Command{Args: []string{p}})
			if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Interpreter = %v, want %q", err, tt.want)
			}
		})
	}
}

func FuzzShebang(f *testing.F) {
	for _, seed := range []string{"#!/bin/sh\n", "#! /usr/bin/env python3 -u\nprint()\n", "#!\n", "\x7fELF\x02", "#!/bin/sh", ""} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		interp, isScript := shebang(head)
		if isScript != strings.HasPrefix(string(head), "#!") {
			t.Fatalf("isScript = %v for %q", isScript, head)
		}
		if strings.ContainsAny(interp, " \t\n") || (!isScript && interp != "") {
			t.Fatalf("interpreter %q (isScript %v) for %q", interp, isScript, head)
		}
		if interp != "" && !strings.Contains(string(head), interp) {
			t.Fatalf("interpreter %q is not in %q", interp, head)
		}
	})
}
