package footprint

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestReadOnlyMappingOf(t *testing.T) {
	const exe = "/usr/local/bin/havip"
	for _, tc := range []struct {
		line       string
		ok         bool
		start, end uintptr
	}{
		{"00400000-00a8f000 r-xp 00000000 08:01 1234 /usr/local/bin/havip", true, 0x400000, 0xa8f000},
		{"00a8f000-0113e000 r--p 0068f000 08:01 1234 /usr/local/bin/havip", true, 0xa8f000, 0x113e000},
		{"0113e000-011a0000 rw-p 00d3e000 08:01 1234 /usr/local/bin/havip", false, 0, 0},
		{"7f00000000-7f00001000 r-xp 00000000 08:01 99 /lib/libc.so.6", false, 0, 0},
		{"c000000000-c004000000 rw-p 00000000 00:00 0", false, 0, 0},
		{"00400000-00a8f000 r-xp 00000000 08:01 1234 /usr/local/bin/havip (deleted)", false, 0, 0},
		{"zz-00a8f000 r-xp 00000000 08:01 1234 /usr/local/bin/havip", false, 0, 0},
		{"00a8f000-00400000 r-xp 00000000 08:01 1234 /usr/local/bin/havip", false, 0, 0},
	} {
		start, end, ok := readOnlyMappingOf(tc.line, exe)
		if ok != tc.ok || start != tc.start || end != tc.end {
			t.Errorf("readOnlyMappingOf(%q) = %#x, %#x, %v; want %#x, %#x, %v", tc.line, start, end, ok, tc.start, tc.end, tc.ok)
		}
	}
}

// TestTrimExecutableShrinksResidentSet trims this test binary's own code and
// constants: the file-backed resident set shrinks, and the code keeps running
// (the pages fault back in from the page cache).
func TestTrimExecutableShrinksResidentSet(t *testing.T) {
	before := rssFileKiB(t)
	trimmed, err := TrimExecutable()
	if err != nil {
		t.Fatal(err)
	}
	after := rssFileKiB(t)
	if trimmed == 0 || after >= before {
		t.Fatalf("trimmed %d bytes of mappings; RssFile %d kB before, %d kB after: want fewer resident pages", trimmed, before, after)
	}
	t.Logf("trimmed %d KiB of read-only mappings; RssFile %d kB -> %d kB", trimmed/1024, before, after)
}

func rssFileKiB(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("RssFile line %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
