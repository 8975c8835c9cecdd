package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingSkipsOrFails runs a child test binary with and without
// HAVIP_TEST_STRICT=1 and reads how the child's test ended.
func TestMissingSkipsOrFails(t *testing.T) {
	if os.Getenv("HAVIP_TESTENV_CHILD") == "1" {
		RequireCommand(t, "havip-no-such-command", "havip-no-such-package")
		t.Fatal("RequireCommand returned for a command that does not exist")
	}
	tests := []struct {
		strict   string
		wantFail bool
		wantText string
	}{
		{strict: "", wantFail: false, wantText: "--- SKIP: TestMissingSkipsOrFails"},
		{strict: "0", wantFail: false, wantText: "--- SKIP: TestMissingSkipsOrFails"},
		{strict: "1", wantFail: true, wantText: "--- FAIL: TestMissingSkipsOrFails"},
	}
	for _, tt := range tests {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestMissingSkipsOrFails$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "HAVIP_TESTENV_CHILD=1", StrictEnv+"="+tt.strict)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tt.wantFail {
			t.Errorf("%s=%q: child failed=%v, want %v\n%s", StrictEnv, tt.strict, failed, tt.wantFail, out)
		}
		if !strings.Contains(string(out), tt.wantText) || !strings.Contains(string(out), "apt-get install havip-no-such-package") {
			t.Errorf("%s=%q: child output lacks %q or the install hint:\n%s", StrictEnv, tt.strict, tt.wantText, out)
		}
	}
}
