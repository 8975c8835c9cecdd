package render

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around each change.
const diffContext = 3

// UnifiedDiff returns a unified diff (diff -u style, 3 lines of context)
// turning oldText, named oldName, into newText, named newName; empty when
// they are equal.
func UnifiedDiff(oldName, newName string, oldText, newText []byte) string {
	a, b := splitLines(string(oldText)), splitLines(string(newText))
	ops := diffLines(a, b)
	if len(ops) == 0 {
		return ""
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	for start := 0; start < len(ops); {
		// find the next change
		for start < len(ops) && ops[start].kind == ' ' {
			start++
		}
		if start == len(ops) {
			break
		}
		lo := max(start-diffContext, 0)
		hi := start
		// extend the hunk while changes are at most 2*context lines apart
		for i := start; i < len(ops); i++ {
			if ops[i].kind != ' ' {
				hi = i
				continue
			}
			if i-hi > 2*diffContext {
				break
			}
		}
		end := min(hi+diffContext+1, len(ops))
		aStart, bStart := ops[lo].aLine, ops[lo].bLine
		var aCount, bCount int
		for _, op := range ops[lo:end] {
			if op.kind != '+' {
				aCount++
			}
			if op.kind != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aStart, aCount), hunkRange(bStart, bCount))
		for _, op := range ops[lo:end] {
			out.WriteByte(op.kind)
			out.WriteString(op.text)
			out.WriteByte('\n')
		}
		start = end
	}
	return out.String()
}

func hunkRange(start, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if count == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// diffOp is one line of an edit script: ' ' kept, '-' removed, '+' added;
// aLine/bLine are the 0-based positions before the line in each text.
type diffOp struct {
	kind         byte
	text         string
	aLine, bLine int
}

// maxDiffCells bounds the LCS table (rows x columns after the common prefix
// and suffix are set aside); past it the differing middle is shown as one
// removal and one addition.
const maxDiffCells = 1 << 24

// diffLines computes an edit script: the common prefix and suffix are kept,
// the middle is aligned with a longest-common-subsequence table. It returns
// nil when a and b are equal.
func diffLines(a, b []string) []diffOp {
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	if prefix == len(a) && prefix == len(b) {
		return nil
	}
	var ops []diffOp
	for i := range prefix {
		ops = append(ops, diffOp{' ', a[i], i, i})
	}
	ops = append(ops, diffMiddle(a[prefix:len(a)-suffix], b[prefix:len(b)-suffix], prefix, prefix)...)
	for k := suffix; k > 0; k-- {
		i, j := len(a)-k, len(b)-k
		ops = append(ops, diffOp{' ', a[i], i, j})
	}
	return ops
}

// diffMiddle aligns a and b, which start at line offsets aOff and bOff.
func diffMiddle(a, b []string, aOff, bOff int) []diffOp {
	n, m := len(a), len(b)
	var ops []diffOp
	if (n+1)*(m+1) > maxDiffCells {
		for i, line := range a {
			ops = append(ops, diffOp{'-', line, aOff + i, bOff})
		}
		for j, line := range b {
			ops = append(ops, diffOp{'+', line, aOff + n, bOff + j})
		}
		return ops
	}
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], aOff + i, bOff + j})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, diffOp{'-', a[i], aOff + i, bOff + j})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j], aOff + i, bOff + j})
			j++
		}
	}
	return ops
}
