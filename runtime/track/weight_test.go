package track

import (
	"reflect"
	"testing"
)

func TestEffective(t *testing.T) {
	chk := Key{KindScript, "chk"}
	chk2 := Key{KindScript, "chk2"}
	proc := Key{KindProcess, "nginx"}
	eth := Key{KindInterface, "eth1"}
	file := Key{KindFile, "prio"}
	up := func(k Key) Result { return Result{Key: k, Up: true} }
	down := func(k Key) Result { return Result{Key: k} }
	fileVal := func(v int64) Result { return Result{Key: file, Up: v == 0, Value: v} }
	rs := func(r ...Result) map[Key]Result {
		m := map[Key]Result{}
		for _, x := range r {
			m[x.Key] = x
		}
		return m
	}
	tests := []struct {
		name    string
		base    uint8
		refs    []Ref
		results map[Key]Result
		want    Outcome
	}{
		// man5 table: weight sign × reverse × tracker state.
		{"+w up adds", 100, []Ref{{chk, 20, false}}, rs(up(chk)), Outcome{120, false, []string{`script "chk" up: +20`}}},
		{"+w down no change", 100, []Ref{{chk, 20, false}}, rs(down(chk)), Outcome{100, false, nil}},
		{"-w down subtracts", 100, []Ref{{chk, -20, false}}, rs(down(chk)), Outcome{80, false, []string{`script "chk" down: -20`}}},
		{"-w up no change", 100, []Ref{{chk, -20, false}}, rs(up(chk)), Outcome{100, false, nil}},
		{"+w reverse up subtracts", 100, []Ref{{chk, 20, true}}, rs(up(chk)), Outcome{80, false, []string{`script "chk" up (reverse): -20`}}},
		{"+w reverse down no change", 100, []Ref{{chk, 20, true}}, rs(down(chk)), Outcome{100, false, nil}},
		{"-w reverse down adds", 100, []Ref{{chk, -20, true}}, rs(down(chk)), Outcome{120, false, []string{`script "chk" down (reverse): +20`}}},
		{"-w reverse up no change", 100, []Ref{{chk, -20, true}}, rs(up(chk)), Outcome{100, false, nil}},
		// weight 0.
		{"w0 down faults", 100, []Ref{{eth, 0, false}}, rs(down(eth)), Outcome{100, true, []string{`interface "eth1" down: FAULT`}}},
		{"w0 up fine", 100, []Ref{{eth, 0, false}}, rs(up(eth)), Outcome{100, false, nil}},
		{"w0 reverse up faults", 100, []Ref{{proc, 0, true}}, rs(up(proc)), Outcome{100, true, []string{`process "nginx" up: FAULT`}}},
		{"w0 reverse down fine", 100, []Ref{{proc, 0, true}}, rs(down(proc)), Outcome{100, false, nil}},
		// init state (no result yet).
		{"w0 without result faults", 100, []Ref{{chk, 0, false}}, rs(), Outcome{100, true, []string{`script "chk" has no result yet: FAULT`}}},
		{"weighted without result no change", 100, []Ref{{chk, -50, false}}, rs(), Outcome{100, false, nil}},
		// a disabled vrrp_script (cannot run) counts for nothing, whatever its weight.
		{"w0 disabled no fault", 100, []Ref{{chk, 0, false}}, rs(Result{Key: chk, Disabled: true, Detail: "disabled: not found"}), Outcome{100, false, nil}},
		{"+w disabled adds nothing", 100, []Ref{{chk, 20, false}}, rs(Result{Key: chk, Disabled: true}), Outcome{100, false, nil}},
		{"-w reverse disabled adds nothing", 100, []Ref{{chk, -20, true}}, rs(Result{Key: chk, Disabled: true}), Outcome{100, false, nil}},
		// sums and clamps.
		{"sum of several", 100, []Ref{{chk, 20, false}, {chk2, -30, false}}, rs(up(chk), down(chk2)),
			Outcome{90, false, []string{`script "chk" up: +20`, `script "chk2" down: -30`}}},
		{"clamped to 254", 200, []Ref{{chk, 253, false}}, rs(up(chk)), Outcome{254, false, []string{`script "chk" up: +253`}}},
		{"clamped to 1", 10, []Ref{{chk, -253, false}}, rs(down(chk)), Outcome{1, false, []string{`script "chk" down: -253`}}},
		{"base 254 plus stays 254", 254, []Ref{{chk, 1, false}}, rs(up(chk)), Outcome{254, false, []string{`script "chk" up: +1`}}},
		// address owner.
		{"owner not adjusted", 255, []Ref{{chk, -50, false}}, rs(down(chk)), Outcome{255, false, []string{`script "chk" down: -50 ignored for address owner`}}},
		{"owner not raised", 255, []Ref{{chk, 50, false}}, rs(up(chk)), Outcome{255, false, []string{`script "chk" up: +50 ignored for address owner`}}},
		{"owner faults on w0", 255, []Ref{{eth, 0, false}}, rs(down(eth)), Outcome{255, true, []string{`interface "eth1" down: FAULT`}}},
		// track_file.
		{"file value times weight", 100, []Ref{{file, 10, false}}, rs(fileVal(5)), Outcome{150, false, []string{`file "prio" value 5: +50`}}},
		{"file negative", 100, []Ref{{file, 10, false}}, rs(fileVal(-5)), Outcome{50, false, []string{`file "prio" value -5: -50`}}},
		{"file default weight 1", 100, []Ref{{file, 1, false}}, rs(fileVal(-99)), Outcome{1, false, []string{`file "prio" value -99: -99`}}},
		{"file capped at 253", 100, []Ref{{file, 10, false}}, rs(fileVal(30)), Outcome{254, false, []string{`file "prio" value 30: +253`}}},
		{"file status -253 adjusts", 254, []Ref{{file, 1, false}}, rs(fileVal(-253)), Outcome{1, false, []string{`file "prio" value -253: -253`}}},
		{"file status -254 faults", 254, []Ref{{file, 1, false}}, rs(fileVal(-254)), Outcome{254, true, []string{`file "prio" value -254: FAULT`}}},
		{"file status below -254 faults", 100, []Ref{{file, -127, false}}, rs(fileVal(3)), Outcome{100, true, []string{`file "prio" value 3: FAULT`}}},
		{"file reverse", 100, []Ref{{file, 10, true}}, rs(fileVal(5)), Outcome{50, false, []string{`file "prio" value 5: -50`}}},
		{"file reverse negative value", 100, []Ref{{file, 10, true}}, rs(fileVal(-5)), Outcome{150, false, []string{`file "prio" value -5: +50`}}},
		{"file zero value", 100, []Ref{{file, 10, false}}, rs(fileVal(0)), Outcome{100, false, nil}},
		{"file huge value no overflow", 100, []Ref{{file, -254, false}}, rs(fileVal(1 << 62)), Outcome{100, true, []string{`file "prio" value 4611686018427387904: FAULT`}}},
		{"file huge positive capped", 100, []Ref{{file, 254, false}}, rs(fileVal(1 << 62)), Outcome{254, false, []string{`file "prio" value 4611686018427387904: +253`}}},
		{"file w0 zero fine", 100, []Ref{{file, 0, false}}, rs(fileVal(0)), Outcome{100, false, nil}},
		{"file w0 non-zero faults", 100, []Ref{{file, 0, false}}, rs(fileVal(7)), Outcome{100, true, []string{`file "prio" value 7: FAULT`}}},
		{"file w0 reverse zero faults", 100, []Ref{{file, 0, true}}, rs(fileVal(0)), Outcome{100, true, []string{`file "prio" value 0: FAULT`}}},
		{"file w0 reverse non-zero fine", 100, []Ref{{file, 0, true}}, rs(fileVal(7)), Outcome{100, false, nil}},
		// fault and adjustment together: both reported.
		{"fault with adjustments", 100, []Ref{{chk, 20, false}, {eth, 0, false}}, rs(up(chk), down(eth)),
			Outcome{120, true, []string{`script "chk" up: +20`, `interface "eth1" down: FAULT`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Effective(tt.base, tt.refs, tt.results)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Effective(%d) = %+v, want %+v", tt.base, got, tt.want)
			}
		})
	}
}
