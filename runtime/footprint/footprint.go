// Package footprint keeps havip's resident memory to what it uses.
//
// A Go binary that links a catalog renderer, a compose loader and a VRRP
// engine is large, and running its package initialisers maps most of it:
// the kernel's fault-around maps up to 16 neighbouring pages per page fault,
// so after start-up nearly the whole executable is in the process's resident
// set although the VRRP loop runs a small part of it. TrimExecutable drops
// those mappings once start-up is over; the pages stay in the page cache, and
// the ones the loop needs fault back in at once (minor faults, no I/O).
package footprint

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// TrimExecutable unmaps the pages of the running executable's read-only
// mappings (code and constants) from the resident set with MADV_DONTNEED and
// returns how many bytes of mappings it trimmed. Writable mappings are never
// touched: for them MADV_DONTNEED would discard data.
func TrimExecutable() (int, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("finding the executable: %w", err)
	}
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("reading the memory map: %w", err)
	}
	defer maps.Close()
	trimmed := 0
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		start, end, ok := readOnlyMappingOf(sc.Text(), exe)
		if !ok {
			continue
		}
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_DONTNEED); errno != 0 {
			return trimmed, fmt.Errorf("madvise %#x-%#x of %s: %w", start, end, exe, errno)
		}
		trimmed += int(end - start)
	}
	if err := sc.Err(); err != nil {
		return trimmed, fmt.Errorf("reading the memory map: %w", err)
	}
	return trimmed, nil
}

// readOnlyMappingOf parses one /proc/self/maps line ("start-end perms offset
// dev inode path") and reports the range when it maps path without write
// permission.
func readOnlyMappingOf(line, path string) (start, end uintptr, ok bool) {
	f := strings.Fields(line)
	if len(f) < 6 || strings.Join(f[5:], " ") != path || len(f[1]) < 2 || f[1][1] == 'w' {
		return 0, 0, false
	}
	lo, hi, found := strings.Cut(f[0], "-")
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(lo, 16, 64)
	e, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || e <= s {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}
