package config

import (
	"testing"
	"time"
)

func TestFormatTimer(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{time.Second, "1"},
		{1498047 * time.Microsecond, "1.498047"},
		{100 * time.Millisecond, "0.1"},
		{10 * time.Microsecond, "0.00001"},
		{255 * time.Second, "255"},
		{-1500 * time.Millisecond, "-1.5"},
	} {
		if got := formatTimer(tt.d); got != tt.want {
			t.Errorf("formatTimer(%v) = %q, want %q", tt.d, got, tt.want)
		}
		if tt.d >= 0 {
			if back, err := parseTimer(formatTimer(tt.d)); err != nil || back != tt.d.Round(time.Microsecond) {
				t.Errorf("parseTimer(formatTimer(%v)) = %v, %v", tt.d, back, err)
			}
		}
	}
}
