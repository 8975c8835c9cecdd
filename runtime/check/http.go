package check

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/havip/havip/config"
)

// MaxBody bounds the bytes of a response an HTTP check reads.
const MaxBody = 16 << 20

// HTTPRequest is one GET as keepalived's HTTP_GET/SSL_GET and genhash
// send it: HTTP/1.0 (1.0C adds Connection: close, 1.1 is HTTP/1.1 with
// Connection: close), User-Agent KeepAliveClient, Host the virtualhost or
// the address, with the port unless it is the scheme's default.
type HTTPRequest struct {
	Target      Target
	Path        string
	Virtualhost string
	Protocol    string // 1.0 (default), 1.0C or 1.1
	TLS         *tls.Config
	// SNI sends Virtualhost as the TLS server name.
	SNI bool
}

// HTTPResponse is what came back: the status code, the header block and
// the body (everything after the blank line), and the body's MD5.
type HTTPResponse struct {
	Status int
	Header []byte
	Body   []byte
	Digest string
}

// Message returns the request text.
func (r HTTPRequest) Message() string {
	host := r.Virtualhost
	if host == "" {
		host = r.Target.Addr.Addr().String()
		if r.Target.Addr.Addr().Is6() {
			host = "[" + host + "]"
		}
		port := r.Target.Addr.Port()
		if r.TLS == nil && port != 80 || r.TLS != nil && port != 443 {
			host += ":" + strconv.Itoa(int(port))
		}
	}
	var b strings.Builder
	version := "1.0"
	if r.Protocol == "1.1" {
		version = "1.1"
	}
	fmt.Fprintf(&b, "GET %s HTTP/%s\r\nUser-Agent: KeepAliveClient\r\nHost: %s\r\n", r.Path, version, host)
	if r.Protocol == "1.1" || r.Protocol == "1.0C" {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// Get sends the request and reads the response until the server closes
// the connection, Content-Length is reached, or MaxBody bytes; ctx bounds
// the whole exchange.
func Get(ctx context.Context, r HTTPRequest) (HTTPResponse, error) {
	conn, err := r.Target.dialer("tcp").DialContext(ctx, "tcp", r.Target.Addr.String())
	if err != nil {
		return HTTPResponse{}, fmt.Errorf("connect to %s: %w", r.Target.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var rw io.ReadWriter = conn
	if r.TLS != nil {
		cfg := r.TLS.Clone()
		if r.SNI && r.Virtualhost != "" {
			cfg.ServerName = r.Virtualhost
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return HTTPResponse{}, fmt.Errorf("TLS handshake with %s: %w", r.Target.Addr, err)
		}
		rw = tc
	}
	if _, err := io.WriteString(rw, r.Message()); err != nil {
		return HTTPResponse{}, fmt.Errorf("send request to %s: %w", r.Target.Addr, err)
	}
	return readResponse(rw, r.Target.Addr.String())
}

func readResponse(rd io.Reader, from string) (HTTPResponse, error) {
	var buf bytes.Buffer
	chunk := make([]byte, 32<<10)
	headerEnd, length := -1, -1
	for buf.Len() < MaxBody+64<<10 {
		n, err := rd.Read(chunk)
		buf.Write(chunk[:n])
		if headerEnd < 0 {
			if i := bytes.Index(buf.Bytes(), []byte("\r\n\r\n")); i >= 0 {
				headerEnd = i + 4
				length = contentLength(buf.Bytes()[:i])
			}
		}
		if headerEnd >= 0 && length >= 0 && buf.Len()-headerEnd >= length {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) || headerEnd >= 0 && length < 0 && isClosed(err) {
				break
			}
			return HTTPResponse{}, fmt.Errorf("read response from %s: %w", from, err)
		}
	}
	if headerEnd < 0 {
		return HTTPResponse{}, fmt.Errorf("response from %s has no complete header (%d bytes)", from, buf.Len())
	}
	resp := HTTPResponse{Header: buf.Bytes()[:headerEnd], Body: buf.Bytes()[headerEnd:]}
	if length >= 0 && len(resp.Body) > length {
		resp.Body = resp.Body[:length]
	}
	if len(resp.Body) > MaxBody {
		resp.Body = resp.Body[:MaxBody]
	}
	status, err := statusCode(resp.Header)
	if err != nil {
		return resp, fmt.Errorf("response from %s: %w", from, err)
	}
	resp.Status = status
	sum := md5.Sum(resp.Body)
	resp.Digest = hex.EncodeToString(sum[:])
	return resp, nil
}

// isClosed reports an error from a peer that closed a TLS connection
// without close_notify, which ends the body like EOF.
func isClosed(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

func statusCode(header []byte) (int, error) {
	line, _, _ := bytes.Cut(header, []byte("\r\n"))
	f := strings.Fields(string(line))
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0, fmt.Errorf("status line %q is not HTTP", line)
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 999 {
		return 0, fmt.Errorf("status code %q is not a number in 100..999", f[1])
	}
	return code, nil
}

func contentLength(header []byte) int {
	for _, l := range strings.Split(string(header), "\r\n")[1:] {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				return n
			}
		}
	}
	return -1
}

type httpURL struct {
	config.URL
	re *regexp.Regexp
}

type httpProber struct {
	t    Target
	h    *config.HTTPCheck
	tls  *tls.Config
	urls []httpURL
}

func newHTTPProber(t Target, ck *config.Checker, ssl *config.SSLContext) (Prober, error) {
	p := &httpProber{t: t, h: ck.HTTP}
	for _, u := range ck.HTTP.URLs {
		hu := httpURL{URL: u}
		if u.Regex != "" {
			re, err := regexp.Compile(u.Regex)
			if err != nil {
				return nil, fmt.Errorf("%s url %s: regex: %w", ck.Type, u.Path, err)
			}
			hu.re = re
		}
		p.urls = append(p.urls, hu)
	}
	if ck.Type == config.CheckSSL {
		cfg, err := TLSConfig(ssl)
		if err != nil {
			return nil, err
		}
		p.tls = cfg
	}
	return p, nil
}

// TLSConfig builds the SSL_GET client configuration from the SSL block:
// without a ca the server certificate is not verified (as keepalived);
// with one the chain must lead to it. certificate and key are the client
// certificate.
func TLSConfig(ssl *config.SSLContext) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}
	if ssl == nil {
		return cfg, nil
	}
	if ssl.Password != "" {
		return nil, fmt.Errorf("SSL password: encrypted keys are not supported; give an unencrypted key")
	}
	if ssl.Certificate != "" || ssl.Key != "" {
		key := ssl.Key
		if key == "" {
			key = ssl.Certificate
		}
		cert, err := tls.LoadX509KeyPair(ssl.Certificate, key)
		if err != nil {
			return nil, fmt.Errorf("SSL certificate %s / key %s: %w", ssl.Certificate, key, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if ssl.CA != "" {
		pem, err := os.ReadFile(ssl.CA)
		if err != nil {
			return nil, fmt.Errorf("SSL ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SSL ca %s holds no PEM certificate", ssl.CA)
		}
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			certs := make([]*x509.Certificate, 0, len(raw))
			for _, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return err
				}
				certs = append(certs, c)
			}
			if len(certs) == 0 {
				return errors.New("server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// Probe checks every url in turn, each bounded by connect_timeout; all
// must pass.
func (p *httpProber) Probe(ctx context.Context) Result {
	for i := range p.urls {
		if res := p.ProbeURL(ctx, i); !res.OK {
			return res
		}
	}
	return Result{OK: true, Detail: fmt.Sprintf("%d url(s) from %s answered as expected", len(p.urls), p.t.Addr)}
}

// URLs returns the paths of the urls.
func (p *httpProber) URLs() []string {
	out := make([]string, len(p.urls))
	for i, u := range p.urls {
		out[i] = u.Path
	}
	return out
}

// ProbeURL checks url i on one connection bounded by connect_timeout, as
// keepalived checks one url per connection.
func (p *httpProber) ProbeURL(ctx context.Context, i int) Result {
	ctx, cancel := bounded(ctx, p.t.Timeout)
	defer cancel()
	u := p.urls[i]
	vhost := u.Virtualhost
	if vhost == "" {
		vhost = p.h.Virtualhost
	}
	resp, err := Get(ctx, HTTPRequest{Target: p.t, Path: u.Path, Virtualhost: vhost, Protocol: p.h.Protocol, TLS: p.tls, SNI: p.h.EnableSNI})
	if err != nil {
		return fail("GET %s: %v", u.Path, err)
	}
	if msg := u.verify(resp); msg != "" {
		return fail("GET %s from %s: %s", u.Path, p.t.Addr, msg)
	}
	return Result{OK: true, Detail: fmt.Sprintf("GET %s from %s answered as expected", u.Path, p.t.Addr)}
}

// verify returns "" when the response satisfies the url's status codes,
// digest and regex, else what did not.
func (u httpURL) verify(resp HTTPResponse) string {
	ok := false
	for _, r := range u.StatusCodes {
		if resp.Status >= r.Lo && resp.Status <= r.Hi {
			ok = true
		}
	}
	if !ok {
		return fmt.Sprintf("status %d is not in status_code", resp.Status)
	}
	if u.Digest != "" && resp.Digest != u.Digest {
		return fmt.Sprintf("digest %s, want %s", resp.Digest, u.Digest)
	}
	if u.re != nil && u.re.Match(resp.Body) == u.RegexNoMatch {
		if u.RegexNoMatch {
			return fmt.Sprintf("body matches regex %q (regex_no_match)", u.Regex)
		}
		return fmt.Sprintf("body does not match regex %q", u.Regex)
	}
	return ""
}
