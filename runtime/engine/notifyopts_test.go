package engine

import (
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/havip/havip/internal/fieldtest"
	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/script"
)

// filledNotifyOptions sets every part of the notifier's options.
func filledNotifyOptions(log *slog.Logger) notifyOptions {
	identity := func() *script.Identity {
		return &script.Identity{User: "u", Group: "g", UID: 1, GID: 2, Groups: []uint32{3}}
	}
	return notifyOptions{
		runner: script.Runner{As: identity(), Timeout: time.Second, KillGrace: time.Second, MaxOutput: 10,
			DrainGrace: time.Second, Security: true, Log: log},
		fifos: []notify.FIFO{{Path: "/run/fifo", Reader: notify.Action{
			Command: script.Command{Text: "/bin/reader a", Args: []string{"/bin/reader", "a"}}, As: identity()}}},
	}
}

// TestNotifyOptionsEqual: options equal a copy with their own pointers and
// slices, and differ, as they did for reflect.DeepEqual, once any part
// changes, so that a reload builds a new notifier whatever notify setting
// changed.
func TestNotifyOptionsEqual(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if !filledNotifyOptions(log).equal(filledNotifyOptions(log)) || !(notifyOptions{}).equal(notifyOptions{}) {
		t.Fatal("options differ from their copy")
	}
	parts := func(o *notifyOptions) []any { return []any{&o.runner, &o.fifos} }
	changes := 0
	for part := range len(parts(&notifyOptions{})) {
		for n := 0; ; n++ {
			o := filledNotifyOptions(log)
			v := reflect.ValueOf(parts(&o)[part]).Elem()
			if !fieldtest.Change(t, v, n) {
				break
			}
			changes++
			if filledNotifyOptions(log).equal(o) || o.equal(filledNotifyOptions(log)) {
				t.Errorf("change %d of %s still equal: %+v", n, v.Type(), v.Interface())
			}
			if reflect.DeepEqual(filledNotifyOptions(log), o) {
				t.Errorf("change %d of %s: DeepEqual finds no change either", n, v.Type())
			}
		}
	}
	// runner 8 + As 6, fifos: 1 + Path, Reader.Command 1+2+1, As 6.
	if changes < 20 {
		t.Fatalf("only %d changes", changes)
	}
	// Unlike reflect.DeepEqual, nil and empty FIFO lists are the same.
	if !(notifyOptions{fifos: []notify.FIFO{}}).equal(notifyOptions{}) {
		t.Error("nil and empty FIFO lists differ")
	}
}
