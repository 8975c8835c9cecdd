package render

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/internal/testenv"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"change in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n",
			"--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n"},
		{"added to empty", "", "x\ny\n", "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"all removed", "x\n", "", "--- old\n+++ new\n@@ -1 +0,0 @@\n-x\n"},
		{"two hunks", "a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
			"--- old\n+++ new\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n"},
		{"nearby changes share a hunk", "a\n1\n2\nb\n", "A\n1\n2\nB\n",
			"--- old\n+++ new\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n-b\n+B\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UnifiedDiff("old", "new", []byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Fatalf("UnifiedDiff =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestUnifiedDiffAppliesWithPatch checks the hunks against GNU patch: for
// many pseudo-random edits, patching the old text gives the new one.
func TestUnifiedDiffAppliesWithPatch(t *testing.T) {
	testenv.RequireCommand(t, "patch", "patch")
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c", "d", "e"}
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[rng.IntN(len(words))] + "\n")
		}
		return b.String()
	}
	dir := t.TempDir()
	for i := range 50 {
		oldText, newText := text(rng.IntN(20)), text(rng.IntN(20))
		diff := UnifiedDiff("old", "new", []byte(oldText), []byte(newText))
		file := filepath.Join(dir, "f")
		if err := os.WriteFile(file, []byte(oldText), 0o644); err != nil {
			t.Fatal(err)
		}
		if diff == "" {
			if oldText != newText {
				t.Fatalf("case %d: empty diff for different texts", i)
			}
			continue
		}
		cmd := exec.Command("patch", "-s", "-f", file)
		cmd.Stdin = strings.NewReader(diff)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("case %d: patch: %v\n%s\ndiff:\n%s", i, err, out, diff)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != newText {
			t.Fatalf("case %d: patched %q, want %q\ndiff:\n%s", i, got, newText, diff)
		}
	}
}

func TestUnifiedDiffLargeInputFallsBack(t *testing.T) {
	var a, b strings.Builder
	for i := range 4200 {
		fmt.Fprintf(&a, "old %d\n", i)
		fmt.Fprintf(&b, "new %d\n", i)
	}
	diff := UnifiedDiff("old", "new", []byte("same\n"+a.String()+"tail\n"), []byte("same\n"+b.String()+"tail\n"))
	if !strings.HasPrefix(diff, "--- old\n+++ new\n@@ -1,4202 +1,4202 @@\n same\n-old 0\n") ||
		strings.Count(diff, "\n-old ") != 4200 || strings.Count(diff, "\n+new ") != 4200 || !strings.HasSuffix(diff, "+new 4199\n tail\n") {
		t.Fatalf("fallback diff is not one hunk removing all old and adding all new lines:\n%.300s", diff)
	}
}
