package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/track"
)

// step moves the clock by d like advance, also applying each held link
// change at its own time.
func (r *rig) step(d time.Duration) {
	end := r.clock.Now().Add(d)
	for {
		next := r.e.nextLinkChange()
		if len(r.e.sched) > 0 {
			next = earliest(next, r.e.sched[0].when)
		}
		if next.IsZero() || next.After(end) {
			break
		}
		r.clock.set(next)
		r.e.expire(next)
	}
	r.clock.set(end)
}

// linkStep is one step of a link scenario: wait, then report an event
// ("eth0 down", "track eth1 up", "reload" of the case's second config) and
// check the states (unless want is "").
type linkStep struct {
	wait  time.Duration
	event string
	want  string
}

// do runs s on r; reload is the config a "reload" event applies.
func (r *rig) do(t *testing.T, i int, s linkStep, reload string) {
	t.Helper()
	r.step(s.wait)
	f := strings.Fields(s.event)
	switch {
	case len(f) == 0:
	case f[0] == "reload":
		if err := r.e.reload(parseConfig(t, reload)); err != nil {
			t.Fatalf("step %d: reload: %v", i, err)
		}
	case f[0] == "track":
		r.track(track.KindInterface, f[1], f[2] == "up", 0)
	default:
		r.link(f[0], f[1] == "up")
	}
	if got := r.states(); s.want != "" && got != s.want {
		t.Fatalf("step %d (%v, then %q): %s, want %s", i, s.wait, s.event, got, s.want)
	}
}

const us = time.Microsecond

// TestInterfaceUpDownDelays checks interface_up_down_delays as keepalived
// 2.2.7 applies them: a link change reaches the instances using or tracking
// the interface only once it has lasted the delay, and one undone sooner
// never does.
func TestInterfaceUpDownDelays(t *testing.T) {
	delays := func(lines ...string) string {
		return "interface_up_down_delays {\n" + strings.Join(lines, "\n") + "\n}\n"
	}
	one := delays("eth0 1.5 0.5") + vi("VI_1", 51, 100, "192.0.2.100")
	// Up once the interface is reported up and the instance has become MASTER.
	master := []linkStep{{event: "eth0 up"}, {wait: 4 * time.Second, want: "VI_1=MASTER"}}
	tests := []struct {
		name   string
		config string
		reload string
		steps  []linkStep
	}{
		{"down then up within the down delay: no transition", one, "", []linkStep{
			{event: "eth0 down", want: "VI_1=MASTER"},
			{wait: 1400 * time.Millisecond, event: "eth0 up", want: "VI_1=MASTER"},
			{wait: 5 * time.Second, want: "VI_1=MASTER"},
		}},
		{"down longer than the delay: FAULT at exactly the delay", one, "", []linkStep{
			{event: "eth0 down"},
			{wait: 1500*time.Millisecond - us, want: "VI_1=MASTER"},
			{wait: us, want: "VI_1=FAULT"},
		}},
		{"repeated down reports keep the first deadline", one, "", []linkStep{
			{event: "eth0 down"},
			{wait: time.Second, event: "eth0 down", want: "VI_1=MASTER"},
			{wait: 500 * time.Millisecond, want: "VI_1=FAULT"},
		}},
		{"up delay: leaves FAULT at exactly the up delay", one, "", []linkStep{
			{event: "eth0 down"},
			{wait: 2 * time.Second, event: "eth0 up", want: "VI_1=FAULT"},
			{wait: 500*time.Millisecond - us, want: "VI_1=FAULT"},
			{wait: us, want: "VI_1=BACKUP"},
		}},
		{"up then down within the up delay: stays in FAULT", one, "", []linkStep{
			{event: "eth0 down"},
			{wait: 2 * time.Second, event: "eth0 up"},
			{wait: 400 * time.Millisecond, event: "eth0 down", want: "VI_1=FAULT"},
			{wait: 5 * time.Second, want: "VI_1=FAULT"},
		}},
		{"without an up delay the instance leaves FAULT at once", delays("eth0 1") + vi("VI_1", 51, 100, "192.0.2.100"), "", []linkStep{
			{event: "eth0 down"},
			{wait: time.Second, want: "VI_1=FAULT"},
			{event: "eth0 up", want: "VI_1=BACKUP"},
		}},
		{"an interface without delays changes at once", delays("eth1 1.5") + vi("VI_1", 51, 100, "192.0.2.100"), "", []linkStep{
			{event: "eth0 down", want: "VI_1=FAULT"},
		}},
		{"two interfaces, each with its own delays", delays("eth0 1.5 0.5", "eth1 0.5 1") + vi("VI_1", 51, 100, "192.0.2.100") +
			strings.Replace(vi("VI_2", 52, 100, "192.0.2.101"), "eth0", "eth1", 1), "", []linkStep{
			{event: "eth0 up"},
			{event: "eth1 up"},
			{wait: 4 * time.Second, want: "VI_1=MASTER VI_2=MASTER"},
			{event: "eth0 down"},
			{event: "eth1 down"},
			{wait: 500 * time.Millisecond, want: "VI_1=MASTER VI_2=FAULT"},
			{wait: time.Second, want: "VI_1=FAULT VI_2=FAULT"},
			{event: "eth0 up"},
			{event: "eth1 up"},
			{wait: 500 * time.Millisecond, want: "VI_1=BACKUP VI_2=FAULT"},
			{wait: 500 * time.Millisecond, want: "VI_1=BACKUP VI_2=BACKUP"},
		}},
		{"track_interface follows the tracked interface's delays",
			delays("eth1 1") + vi("VI_1", 51, 100, "192.0.2.100", "track_interface {", "  eth1", "}"), "", []linkStep{
				{event: "eth0 up"},
				{event: "track eth1 up"},
				{wait: 4 * time.Second, want: "VI_1=MASTER"},
				{event: "track eth1 down"},
				{wait: time.Second - us, event: "track eth1 up", want: "VI_1=MASTER"},
				{event: "track eth1 down"},
				{wait: time.Second - us, want: "VI_1=MASTER"},
				{wait: us, want: "VI_1=FAULT"},
				{event: "track eth1 up", want: "VI_1=BACKUP"}, // no up delay given: 0, as keepalived 2.2.7 parses it
			}},
		{"a use_vmac instance follows its parent's delays", delays("eth0 1.5 0.5") + vi("VI_1", 51, 100, "192.0.2.100", "use_vmac"), "", []linkStep{
			{event: "eth0 down"},
			{wait: 1500*time.Millisecond - us, want: "VI_1=MASTER"},
			{wait: us, want: "VI_1=FAULT"},
		}},
		{"a tracked use_vmac device has its parent's delays", delays("eth0 1.5 0.5") + vi("VI_1", 51, 100, "192.0.2.100", "use_vmac") +
			vi("VI_2", 52, 100, "192.0.2.101", "track_interface {", "  vrrp.51", "}"), "", []linkStep{
			{event: "eth0 up"},
			{event: "track vrrp.51 up"},
			{wait: 4 * time.Second, want: "VI_1=MASTER VI_2=MASTER"},
			{event: "track vrrp.51 down"},
			{wait: 1500*time.Millisecond - us, want: "VI_1=MASTER VI_2=MASTER"},
			{wait: us, want: "VI_1=MASTER VI_2=FAULT"},
			{event: "track vrrp.51 up"},
			{wait: 500*time.Millisecond - us, want: "VI_1=MASTER VI_2=FAULT"},
			{wait: us, want: "VI_1=MASTER VI_2=BACKUP"},
		}},
		{"a reload changes the delays", one, delays("eth0 0.5 0.2") + vi("VI_1", 51, 100, "192.0.2.100"), []linkStep{
			{event: "reload", want: "VI_1=MASTER"},
			{event: "eth0 down"},
			{wait: 500*time.Millisecond - us, want: "VI_1=MASTER"},
			{wait: us, want: "VI_1=FAULT"},
			{event: "eth0 up"},
			{wait: 200 * time.Millisecond, want: "VI_1=BACKUP"},
		}},
		{"a reload removing the delays makes changes immediate", one, vi("VI_1", 51, 100, "192.0.2.100"), []linkStep{
			{event: "reload"},
			{event: "eth0 down", want: "VI_1=FAULT"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.config).start()
			defer r.stop()
			steps := tc.steps
			if !strings.HasPrefix(steps[0].event, "eth0 up") {
				steps = append(append([]linkStep(nil), master...), steps...)
			}
			for i, s := range steps {
				r.do(t, i, s, tc.reload)
			}
		})
	}
}

// TestInterfaceFirstReportNotDelayed checks that an interface never seen
// up changes at once, as keepalived's seen_up makes it: the first report,
// and the first up after it.
func TestInterfaceFirstReportNotDelayed(t *testing.T) {
	r := newRig(t, "interface_up_down_delays {\n eth0 2 2\n}\n"+vi("VI_1", 51, 100, "192.0.2.100")).start()
	defer r.stop()
	for i, s := range []linkStep{
		{event: "eth0 down", want: "VI_1=FAULT"},
		{wait: time.Second, event: "eth0 up", want: "VI_1=BACKUP"},
		{wait: 4 * time.Second, want: "VI_1=MASTER"},
		{event: "eth0 down", want: "VI_1=MASTER"},
		{wait: 2 * time.Second, want: "VI_1=FAULT"},
	} {
		r.do(t, i, s, "")
	}
}

// TestTrackGroupFault checks that an instance of a track_group goes to FAULT
// while the interface of a static route naming the group is down, and one
// outside the group does not.
func TestTrackGroupFault(t *testing.T) {
	conf := "track_group TG {\n group {\n  VI_1\n }\n}\n" +
		"static_routes {\n 198.51.100.0/24 via 192.0.2.254 dev eth1 track_group TG\n}\n" +
		vi("VI_1", 51, 100, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.101")
	r := newRig(t, conf).start()
	defer r.stop()
	for i, s := range []linkStep{
		{event: "eth0 up"},
		{event: "track eth1 up"},
		{wait: 4 * time.Second, want: "VI_1=MASTER VI_2=MASTER"},
		{event: "track eth1 down", want: "VI_1=FAULT VI_2=MASTER"},
		{wait: time.Second, event: "track eth1 up", want: "VI_1=BACKUP VI_2=MASTER"},
	} {
		r.do(t, i, s, "")
	}
}
