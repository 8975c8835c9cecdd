// Package testenv decides what a test does when the machine lacks something it
// needs: root, a command such as keepalived or tshark, a file a package installs.
//
// On a developer's machine the test skips and says what is missing and how to get
// it. Under HAVIP_TEST_STRICT=1, which .ci/run sets after installing everything,
// the same test fails instead: CI can never pass by skipping a test.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// StrictEnv is the environment variable that turns missing prerequisites into failures.
const StrictEnv = "HAVIP_TEST_STRICT"

// Strict reports whether missing prerequisites fail tests rather than skip them.
func Strict() bool { return os.Getenv(StrictEnv) == "1" }

// Missing stops the test because a prerequisite is missing: a skip normally, a
// failure under HAVIP_TEST_STRICT=1. format and args say what is missing and how to get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Strict() {
		t.Fatalf("missing prerequisite ("+StrictEnv+"=1 makes this a failure): "+format, args...)
	}
	t.Skipf(format, args...)
}

// RequireRoot stops the test unless it runs as root; why says what needs root.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "%s needs root; euid is %d (run the tests as root)", why, os.Geteuid())
	}
}

// RequireCommand returns the path of the command name, or stops the test
// naming the Debian package that provides it.
func RequireCommand(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed (apt-get install %s): %v", name, debianPackage, err)
	}
	return path
}

// RequireFile stops the test unless path exists; hint says how to get it.
func RequireFile(t testing.TB, path, hint string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "%s is missing (%s): %v", path, hint, err)
	}
}
