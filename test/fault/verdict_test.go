package fault

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// verdicts collects, for one speaker's run, the violations of each invariant and
// the figures measured. Invariants are reported as sub-tests named after them:
// havip's violations fail them, keepalived's (the control) are logged as figures.
type verdicts struct {
	kind       string
	mu         sync.Mutex
	violations map[string][]string
	checked    map[string]int // how many times each invariant was checked
	maxima     map[string]time.Duration
	counts     map[string]int
	notes      []string
}

func newVerdicts(kind string) *verdicts {
	return &verdicts{kind: kind, violations: map[string][]string{}, checked: map[string]int{},
		maxima: map[string]time.Duration{}, counts: map[string]int{}}
}

// check records one check of invariant inv; ok false records the violation.
func (v *verdicts) check(inv string, ok bool, format string, args ...any) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.checked[inv]++
	if !ok {
		v.violations[inv] = append(v.violations[inv], fmt.Sprintf(format, args...))
	}
	return ok
}

// max records d under name if it is the largest so far.
func (v *verdicts) max(name string, d time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.counts[name]++
	if d > v.maxima[name] {
		v.maxima[name] = d
	}
}

// note records a figure line for the summary.
func (v *verdicts) note(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.notes = append(v.notes, fmt.Sprintf(format, args...))
}

// report logs the figures and runs one sub-test per invariant checked; the
// invariants in always are listed in the figures even when not exercised.
func (v *verdicts) report(t *testing.T, header string, always []string) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s — speaker %s\n", header, v.kind)
	names := make([]string, 0, len(v.maxima))
	for name := range v.maxima {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "  %-44s max %8v  (n=%d)\n", name, v.maxima[name].Round(time.Millisecond), v.counts[name])
	}
	for _, n := range v.notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	invs := append([]string{}, always...)
	for inv := range v.checked {
		if !slices.Contains(invs, inv) {
			invs = append(invs, inv)
		}
	}
	sort.Strings(invs)
	for _, inv := range invs {
		if v.checked[inv] == 0 {
			fmt.Fprintf(&b, "  invariant %-40s not exercised by this seed and step count\n", inv)
			continue
		}
		fmt.Fprintf(&b, "  invariant %-40s checked %4d  violated %4d\n", inv, v.checked[inv], len(v.violations[inv]))
	}
	t.Log(b.String())
	for _, inv := range invs {
		if v.checked[inv] == 0 {
			continue
		}
		t.Run(inv, func(t *testing.T) {
			vs := v.violations[inv]
			if len(vs) == 0 {
				return
			}
			if v.kind == keepalivedKind {
				t.Logf("control keepalived violated %s %d times (a figure, not a failure):\n  %s", inv, len(vs), strings.Join(vs, "\n  "))
				return
			}
			for _, s := range vs {
				t.Error(s)
			}
		})
	}
}
