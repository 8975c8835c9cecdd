package script

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// CheckSecurity applies keepalived's enable_script_security rule to a script that will run as
// root: the file and every directory leading to it (for the path as given and after resolving
// symbolic links) must be owned by root and writable by nobody else — not by other users, not by
// a non-root group. A world-writable directory with the sticky bit (like /tmp) is accepted because
// non-owners cannot replace entries in it. The error names the offending file and how to fix it.
func CheckSecurity(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("script %s: %w", path, err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("script %s: %w", path, err)
	}
	for _, p := range uniq(abs, resolved) {
		if err := checkChain(path, p); err != nil {
			return err
		}
	}
	return nil
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// checkChain checks p and each of its parent directories.
func checkChain(script, p string) error {
	for cur := p; ; cur = filepath.Dir(cur) {
		info, err := os.Lstat(cur)
		if err != nil {
			return fmt.Errorf("script %s: %w", script, err)
		}
		if err := checkEntry(cur, info); err != nil {
			return fmt.Errorf("script %s refused by enable_script_security: %w", script, err)
		}
		if cur == filepath.Dir(cur) {
			return nil
		}
	}
}

func checkEntry(path string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: cannot read ownership", path)
	}
	if st.Uid != 0 {
		return fmt.Errorf("%s is owned by uid %d; it must be owned by root (chown root %s)", path, st.Uid, path)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return nil // a symlink's own mode bits are meaningless; its target is checked separately
	}
	perm := info.Mode().Perm()
	if perm&0o020 != 0 && st.Gid != 0 {
		return fmt.Errorf("%s is writable by group gid %d; remove group write (chmod g-w %s) or chgrp root", path, st.Gid, path)
	}
	if perm&0o002 != 0 && !(info.IsDir() && info.Mode()&fs.ModeSticky != 0) {
		return fmt.Errorf("%s is writable by everyone; remove it (chmod o-w %s)", path, path)
	}
	return nil
}
