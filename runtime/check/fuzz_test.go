package check

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/havip/havip/config"
)

// FuzzReadResponse parses arbitrary bytes as an HTTP response: it never
// panics, and a parsed body is a suffix of the input within MaxBody.
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
	f.Add([]byte("HTTP/1.1 404 Not Found\r\n\r\nbody without length"))
	f.Add([]byte("HTTP/1.0 20x\r\n\r\n"))
	f.Add([]byte("garbage\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := readResponse(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		if resp.Status < 100 || resp.Status > 999 {
			t.Fatalf("status %d accepted", resp.Status)
		}
		if !bytes.HasPrefix(data[len(resp.Header):], resp.Body) || len(resp.Digest) != 32 {
			t.Fatalf("body is not what follows the header")
		}
	})
}

// FuzzCheckReply matches arbitrary replies against arbitrary patterns:
// it never panics, and a reply equal to a wildcard-free pattern passes.
func FuzzCheckReply(f *testing.F) {
	f.Add([]byte{0xab, 0xcd}, "abxd", 0, 255)
	f.Add([]byte{}, "", 0, 0)
	f.Fuzz(func(t *testing.T, reply []byte, pattern string, lo, hi int) {
		var clean []byte
		for i := 0; i < len(pattern); i++ {
			if c := pattern[i]; c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == 'x' {
				clean = append(clean, c)
			}
		}
		u := &config.UDPCheck{RequireReply: true, ReplyPattern: string(clean), MinReplyLength: lo, MaxReplyLength: hi}
		checkReply(reply, u)
		exact := &config.UDPCheck{RequireReply: true, ReplyPattern: hex.EncodeToString(reply), MaxReplyLength: len(reply)}
		if msg := checkReply(reply, exact); msg != "" {
			t.Fatalf("reply does not match itself: %s", msg)
		}
	})
}
