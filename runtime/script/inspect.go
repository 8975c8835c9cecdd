package script

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// Unusable is why keepalived 2.2.7 would not run a configured script at all: at start it checks
// every script once and disables (never runs) one that is not found, not executable for the user
// it runs as, or — with enable_script_security, for a script run as root — writable by a
// non-root user. A tracked vrrp_script so disabled no longer counts for the instances that track
// it; a notify script so disabled is not run.
type Unusable struct {
	// Script is the command as configured.
	Script string
	// Reason is what is wrong: ReasonNotFound, ReasonNotExecutable or ReasonInsecure.
	Reason Reason
	// Err says which file and how to fix it.
	Err error
}

// Reason classifies an Unusable script.
type Reason int

// The reasons keepalived disables a script for.
const (
	ReasonNotFound Reason = iota + 1
	ReasonNotExecutable
	ReasonInsecure
)

func (r Reason) String() string {
	switch r {
	case ReasonNotFound:
		return "not found"
	case ReasonNotExecutable:
		return "not executable"
	case ReasonInsecure:
		return "unsafe under enable_script_security"
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

func (u *Unusable) Error() string {
	return fmt.Sprintf("script %q is %s: %v", u.Script, u.Reason, u.Err)
}

func (u *Unusable) Unwrap() error { return u.Err }

// Inspect checks once, as keepalived does when it loads its configuration, whether c can run as
// identity as (nil: this process's user) and returns an *Unusable error when it cannot.
//
// The program checked is the one Run would execute: the first word of c (searched in PATH when it
// has no slash), or /bin/sh for a command with shell syntax. It must exist, be a regular file and be
// executable for the identity's uid and gid (owner, group or other bits, as keepalived decides).
// With security set and the script running as root, the file and every directory leading to it
// must pass CheckSecurity. An empty command is not Inspect's business (config reports it).
func Inspect(c Command, as *Identity, security bool) error {
	argv, _ := Argv(c)
	if len(argv) == 0 {
		return nil
	}
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	if as != nil {
		uid, gid = as.UID, as.GID
	}
	unusable := func(r Reason, err error) error { return &Unusable{Script: c.String(), Reason: r, Err: err} }
	path := argv[0]
	if !strings.Contains(path, "/") {
		found, err := searchPath(path, uid, gid)
		if err != nil {
			return unusable(ReasonNotFound, err)
		}
		path = found
	}
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return unusable(ReasonNotFound, fmt.Errorf("%s does not exist", path))
		}
		return unusable(ReasonNotFound, err)
	}
	if !info.Mode().IsRegular() {
		return unusable(ReasonNotExecutable, fmt.Errorf("%s is a %s, not a regular file", path, kind(info)))
	}
	if !executable(info, uid, gid) {
		return unusable(ReasonNotExecutable, fmt.Errorf("%s (mode %s, owner %s) cannot be executed by uid %d gid %d; chmod +x it",
			path, info.Mode().Perm(), owner(info), uid, gid))
	}
	if security && (uid == 0 || gid == 0) {
		if err := CheckSecurity(path); err != nil {
			return unusable(ReasonInsecure, err)
		}
	}
	return nil
}

// searchPath finds name in $PATH as keepalived does: the first regular file executable for
// uid:gid. It names the directories searched when nothing is found.
func searchPath(name string, uid, gid uint32) (string, error) {
	pathEnv := os.Getenv("PATH")
	if pathEnv == "" {
		pathEnv = "/bin:/usr/bin" // glibc's _CS_PATH, which keepalived falls back to
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && executable(info, uid, gid) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not an executable file in any directory of PATH=%s; give the full path", name, pathEnv)
}

// executable is keepalived's is_executable: the owner's x bit for the owner, the group's for a
// member of the file's group, the others' bit for everyone else.
func executable(info fs.FileInfo, uid, gid uint32) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return info.Mode().Perm()&0o111 != 0
	}
	perm := info.Mode().Perm()
	switch {
	case st.Uid == uid:
		return perm&0o100 != 0
	case st.Gid == gid:
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

func owner(info fs.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
	}
	return "unknown"
}

func kind(info fs.FileInfo) string {
	switch {
	case info.IsDir():
		return "directory"
	case info.Mode()&fs.ModeNamedPipe != 0:
		return "named pipe"
	case info.Mode()&fs.ModeSocket != 0:
		return "socket"
	case info.Mode()&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// Interpreter returns an error when the program c runs is a script whose #! interpreter does not
// exist or cannot be executed, so that every run would fail with "no such file or directory"
// (typically a shell script in an image without a shell). keepalived does not look: it runs
// such a script and counts each run as a failure.
func Interpreter(c Command) error {
	argv, _ := Argv(c)
	if len(argv) == 0 {
		return nil
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil // Inspect's business
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	interp, isScript := shebang(head[:n])
	switch {
	case !isScript:
		return nil
	case interp == "":
		return fmt.Errorf("%s starts with #! but names no interpreter", path)
	}
	info, err := os.Stat(interp)
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is run by %s, which is not an executable file here, so every run fails", path, interp)
	}
	return nil
}

// shebang returns the interpreter a file starting with head names on its #! line ("" when the
// line names none), and whether head starts with #! at all.
func shebang(head []byte) (interpreter string, isScript bool) {
	line, _, _ := strings.Cut(string(head), "\n")
	rest, ok := strings.CutPrefix(line, "#!")
	if !ok {
		return "", false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", true
	}
	return fields[0], true
}
