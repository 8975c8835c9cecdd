package vrrp

import (
	"encoding/json"
	"testing"
)

func TestStatsTally(t *testing.T) {
	tests := []struct {
		name string
		acts []Action
		want Stats
	}{
		{"advert", []Action{SendAdvert{100}}, Stats{AdvertsSent: 1}},
		{"release advert", []Action{SendAdvert{PriorityStop}}, Stats{AdvertsSent: 1, PriorityZeroSent: 1}},
		{"become master", []Action{SendAdvert{100}, AddVIPs{}, Transition{StateBackup, StateMaster, Reason{}}},
			Stats{AdvertsSent: 1, BecameMaster: 1}},
		{"master to backup", []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{}}}, Stats{ReleasedMaster: 1}},
		{"master to fault", []Action{SendAdvert{PriorityStop}, RemoveVIPs{}, Transition{StateMaster, StateFault, Reason{}}},
			Stats{AdvertsSent: 1, PriorityZeroSent: 1, ReleasedMaster: 1}},
		{"master stop", []Action{SendAdvert{PriorityStop}, RemoveVIPs{}, Transition{StateMaster, StateStopped, Reason{}}},
			Stats{AdvertsSent: 1, PriorityZeroSent: 1, ReleasedMaster: 1}},
		{"backup to fault", []Action{Transition{StateBackup, StateFault, Reason{}}}, Stats{}},
		{"init to backup", []Action{Transition{StateInit, StateBackup, Reason{}}}, Stats{}},
		{"other actions", []Action{Announce{5}, PriorityChange{100, 90, "x"}}, Stats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Stats
			s.Tally(tt.acts)
			if s != tt.want {
				t.Fatalf("Tally = %+v, want %+v", s, tt.want)
			}
		})
	}
}

func TestStatsReceived(t *testing.T) {
	var s Stats
	s.Received(&Received{Advert: Advert{Priority: 100}})
	s.Received(&Received{Advert: Advert{Priority: PriorityStop}})
	if want := (Stats{AdvertsReceived: 2, PriorityZeroReceived: 1}); s != want {
		t.Fatalf("Received = %+v, want %+v", s, want)
	}
}

func TestDropReasonMarshalsAsName(t *testing.T) {
	b, err := json.Marshal(map[DropReason]uint64{DropTTL: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"bad TTL":3}`; got != want {
		t.Fatalf("json = %s, want %s", got, want)
	}
}

func TestDropReasonTextRoundTrip(t *testing.T) {
	for _, r := range append(DropReasons(), DropNone) {
		b, err := r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got DropReason
		if err := got.UnmarshalText(b); err != nil || got != r {
			t.Fatalf("%q read back as %v, %v; want %v", b, got, err, r)
		}
	}
	var r DropReason
	if err := r.UnmarshalText([]byte("no such reason")); err == nil {
		t.Fatal("an unknown name was accepted")
	}
}
