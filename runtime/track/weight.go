package track

import "fmt"

// Priority bounds (keepalived vrrp_track.c).
const (
	OwnerPriority = 255 // address owner: never adjusted by trackers
	MaxPriority   = 254 // highest effective priority a non-owner can reach
	MinPriority   = 1
	// FileFaultStatus: a weighted track_file status at or below this puts the instance in FAULT.
	FileFaultStatus = -254
	// MaxFileAdjust caps the positive adjustment a single track_file can contribute.
	MaxFileAdjust = 253
)

// Ref is one track_* entry of an instance or sync group: which tracker, with what weight.
type Ref struct {
	Key     Key
	Weight  int
	Reverse bool
}

// Outcome is the effect of all trackers on an instance.
type Outcome struct {
	Priority uint8
	Fault    bool
	// Reasons names every tracker that adjusted the priority or caused a fault, in ref order,
	// e.g. `script "chk_http" down: -20` or `interface "eth1" down: FAULT`.
	Reasons []string
}

// Effective computes an instance's effective priority from its configured base priority, its
// track_* references and the latest results (keepalived semantics):
//
//   - weight 0: a failed tracker puts the instance in FAULT; with reverse, an up tracker does.
//   - weight > 0 adds the weight while the tracker is up; weight < 0 subtracts |weight| while it is
//     down; reverse flips both (adds |weight| while down / subtracts while up).
//   - track_file: weight 0 ⇒ a non-zero value is a failure (reverse: a zero value is);
//     otherwise status = value × weight (× −1 with reverse); status ≤ −254 ⇒ FAULT, else the
//     priority changes by min(status, 253).
//   - a tracker without a result yet (a script before its first run) is in its init state: with
//     weight 0 it keeps the instance in FAULT, otherwise it adjusts nothing.
//   - a disabled tracker (Result.Disabled: a vrrp_script that cannot run) counts for nothing, as
//     if the instance did not track it.
//   - base 255 (address owner) is never adjusted; only weight-0 faults apply to it.
//   - the sum is clamped to 1..254.
//
// For a vrrp_sync_group, call it with the group's own track_* refs; which member-instance weights
// count (keepalived ignores non-zero member weights unless sync_group_tracking_weight) is the
// caller's decision, made by choosing the refs it passes.
func Effective(base uint8, refs []Ref, results map[Key]Result) Outcome {
	out := Outcome{Priority: base}
	total := int64(base)
	owner := base == OwnerPriority
	for _, ref := range refs {
		res, ok := results[ref.Key]
		if !ok {
			if ref.Weight == 0 {
				out.Fault = true
				out.Reasons = append(out.Reasons, fmt.Sprintf("%s has no result yet: FAULT", ref.Key))
			}
			continue
		}
		if res.Disabled {
			continue
		}
		adjust, fault, why := contribution(ref, res)
		switch {
		case fault:
			out.Fault = true
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s %s: FAULT", ref.Key, why))
		case adjust != 0 && owner:
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s %s: %+d ignored for address owner", ref.Key, why, adjust))
		case adjust != 0:
			total += adjust
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s %s: %+d", ref.Key, why, adjust))
		}
	}
	if owner {
		return out
	}
	out.Priority = uint8(min(max(total, MinPriority), MaxPriority))
	return out
}

// contribution returns one ref's priority adjustment or fault, and a short description.
func contribution(ref Ref, res Result) (adjust int64, fault bool, why string) {
	if ref.Key.Kind == KindFile {
		return fileContribution(ref, res.Value)
	}
	state := "down"
	if res.Up {
		state = "up"
	}
	w := int64(ref.Weight)
	switch {
	case w == 0:
		return 0, res.Up == ref.Reverse, state
	case !ref.Reverse && w > 0 && res.Up, !ref.Reverse && w < 0 && !res.Up:
		return w, false, state
	case ref.Reverse && w > 0 && res.Up:
		return -w, false, state + " (reverse)"
	case ref.Reverse && w < 0 && !res.Up:
		return -w, false, state + " (reverse)"
	}
	return 0, false, state
}

// maxFileValue bounds a file value before multiplying so that the product cannot overflow.
const maxFileValue = 1 << 40

func fileContribution(ref Ref, value int64) (adjust int64, fault bool, why string) {
	why = fmt.Sprintf("value %d", value)
	if ref.Weight == 0 {
		return 0, (value != 0) != ref.Reverse, why
	}
	v := min(max(value, -maxFileValue), maxFileValue)
	status := v * int64(ref.Weight)
	if ref.Reverse {
		status = -status
	}
	if status <= FileFaultStatus {
		return 0, true, why
	}
	return min(status, MaxFileAdjust), false, why
}
