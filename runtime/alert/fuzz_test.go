package alert

import (
	"bufio"
	"strings"
	"testing"
)

// FuzzReadReply: any server output gives a code in 0..999 with no error,
// or an error; never a panic.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"220 ok\r\n", "250-a\r\n250-b\r\n250 c\r\n", "5\r\n", "abc def\r\n", "354", "250-\r\n", "-10\n", "+25 x\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, _, err := readReply(bufio.NewReader(strings.NewReader(s)))
		if err == nil && (code < 0 || code > 999) {
			t.Fatalf("code %d from %q", code, s)
		}
	})
}
