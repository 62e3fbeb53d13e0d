package s3test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Kind names a fault that a Faults proxy injects.
type Kind string

// The faults a Faults proxy can inject.
const (
	// SlowDown answers 503 with the S3 error code SlowDown; the request does not reach the server.
	SlowDown Kind = "slowdown"
	// InternalError answers 500 with the S3 error code InternalError; the request does not
	// reach the server.
	InternalError Kind = "internal-error"
	// ResetRequest passes Fault.After bytes of the request body on to the server, then
	// resets the client's connection (SO_LINGER 0) and drops the server's.
	ResetRequest Kind = "reset-request"
	// ResetResponse lets the server handle the request and passes its status, headers and
	// Fault.After bytes of its body on to the client, then resets the connection (the RST
	// may overtake some of those bytes). After -1 resets it before the status line: the
	// server did the work, the client never hears.
	ResetResponse Kind = "reset-response"
	// Truncate is ResetResponse with a clean close (FIN) instead of a reset: the client
	// gets fewer bytes than the Content-Length it was promised.
	Truncate Kind = "truncate"
	// StallRequest passes Fault.After bytes of the request body, then reads nothing more
	// for Fault.For, then goes on.
	StallRequest Kind = "stall-request"
	// StallResponse passes the status, headers and Fault.After bytes of the response body
	// (After -1: nothing), then sends nothing more for Fault.For, then goes on.
	StallResponse Kind = "stall-response"
	// Delay holds the request for Fault.For before passing it on.
	Delay Kind = "delay"
	// DropContinuationToken lets the server answer a listing and takes the
	// <NextContinuationToken> out of its page, so that a page that says IsTruncated true
	// gives no token to go on with. A page without a token passes unchanged.
	DropContinuationToken Kind = "drop-continuation-token"
	// ReverseListing lets the server answer a listing and reverses the order of the
	// <Contents> of its page, so that a page of two or more keys is out of byte order. A
	// page of one key or none passes unchanged.
	ReverseListing Kind = "reverse-listing"
)

// Fault is one fault to inject into a request. After and For are read only by the kinds
// that say so. A fault whose After is at or past the end of the body it cuts (a Truncate
// of an empty body, say) changes nothing, though it is counted.
type Fault struct {
	Kind  Kind
	After int64         // bytes of the body passed before the fault (see each Kind)
	For   time.Duration // how long StallRequest, StallResponse and Delay hold
}

// Stats is what a Faults proxy has done so far.
type Stats struct {
	Requests  int          // requests seen
	Injected  map[Kind]int // faults injected, by kind
	Abandoned int          // stalls and delays cut short: the client went away or the test ended
}

// Total is the number of faults injected, of every kind.
func (s Stats) Total() int {
	n := 0
	for _, c := range s.Injected {
		n += c
	}
	return n
}

// String says what was done, for a test log: "412 requests, 38 faults (internal-error 9,
// reset-request 11, slowdown 12, truncate 6)".
func (s Stats) String() string {
	kinds := make([]string, 0, len(s.Injected))
	for k := range s.Injected {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	for i, k := range kinds {
		kinds[i] = fmt.Sprintf("%s %d", k, s.Injected[Kind(k)])
	}
	out := fmt.Sprintf("%d requests, %d faults", s.Requests, s.Total())
	if len(kinds) > 0 {
		out += " (" + strings.Join(kinds, ", ") + ")"
	}
	if s.Abandoned > 0 {
		out += fmt.Sprintf(", %d holds abandoned", s.Abandoned)
	}
	return out
}

// Faults is a reverse proxy in front of a real server that injects faults into the requests
// a test scripts with Add, or at random with Random. Create it with Server.Faults. Its
// methods are safe to call while requests are in flight.
//
// Each request gets at most one fault: the first rule (in the order added) that matches it
// and has requests left to fault, else, in random mode, a fault with probability p.
//
// Stalls and delays give up when the client goes away or the test ends. net/http tells a
// handler that its client went away only once the request body has been read, so a stall in
// the middle of a request body notices it only when the stall ends.
type Faults struct {
	stopped chan struct{} // closed when the test ends

	mu     sync.Mutex
	rules  []*rule
	random *random
	stats  Stats
	log    []string
}

type rule struct {
	match func(*http.Request) bool
	left  int // requests still to fault; < 0: every one
	fault Fault
}

type random struct {
	p     float64
	rng   *rand.Rand
	match func(*http.Request) bool
}

// Faults returns a view of s whose Endpoint is a fault-injecting proxy, and the proxy to
// script. Until a rule is added it passes every request on unchanged. It stops when the
// test ends.
func (s *Server) Faults(t testing.TB) (*Server, *Faults) {
	t.Helper()
	f := &Faults{stopped: make(chan struct{}), stats: Stats{Injected: map[Kind]int{}}}
	view := s.proxy(t, f.serve)
	t.Cleanup(func() { close(f.stopped) }) // runs before the proxy closes: stalls end first
	return view, f
}

// Add makes the next n requests for which match returns true (n < 0: every one) fail with
// fault. match nil matches every request. It returns f, so rules can be chained.
func (f *Faults) Add(n int, match func(*http.Request) bool, fault Fault) *Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &rule{match: orAll(match), left: n, fault: fault})
	return f
}

// Random gives every request for which match returns true (nil: every request) that no
// rule faults a fault with probability p, drawn from a generator seeded with seed. The
// fault is one of those that suit the request, with equal chances: SlowDown or
// InternalError for any request, ResetRequest at a random byte of a request body, and
// ResetResponse or Truncate at a random byte of the response to a GET. Faults that would
// leave the server having done what the client believes failed (a reset after a PUT or
// POST was handled) are not drawn, so that a client that retries correctly can always end
// with the same objects and no stray multipart uploads. Which request gets which fault
// still depends on the order in which concurrent requests arrive.
func (f *Faults) Random(p float64, seed uint64, match func(*http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.random = &random{p: p, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), match: orAll(match)}
}

// Stats returns what the proxy has done so far.
func (f *Faults) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Injected = maps.Clone(f.stats.Injected)
	return s
}

// Log returns one line per fault injected so far, in order: kind, method and URL.
func (f *Faults) Log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func orAll(match func(*http.Request) bool) func(*http.Request) bool {
	if match == nil {
		return func(*http.Request) bool { return true }
	}
	return match
}

// injection is the fault chosen for one request.
type injection struct {
	Fault
	frac float64 // >= 0: cut the response body at this fraction of its length, not at After
}

// next counts r and chooses its fault, if any.
func (f *Faults) next(r *http.Request) (injection, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Requests++
	in, ok := f.choose(r)
	if ok {
		f.stats.Injected[in.Kind]++
		f.log = append(f.log, fmt.Sprintf("%s %s %s", in.Kind, r.Method, r.URL.RequestURI()))
	}
	return in, ok
}

func (f *Faults) choose(r *http.Request) (injection, bool) {
	for _, ru := range f.rules {
		if ru.left != 0 && ru.match(r) {
			if ru.left > 0 {
				ru.left--
			}
			return injection{Fault: ru.fault, frac: -1}, true
		}
	}
	rd := f.random
	if rd == nil || !rd.match(r) || rd.rng.Float64() >= rd.p {
		return injection{}, false
	}
	kinds := []Kind{SlowDown, InternalError}
	if r.ContentLength > 0 {
		kinds = append(kinds, ResetRequest)
	}
	if r.Method == http.MethodGet {
		kinds = append(kinds, ResetResponse, Truncate)
	}
	in := injection{Fault: Fault{Kind: kinds[rd.rng.IntN(len(kinds))]}, frac: -1}
	switch in.Kind {
	case ResetRequest:
		in.After = rd.rng.Int64N(r.ContentLength)
	case ResetResponse, Truncate:
		in.frac = rd.rng.Float64()
	}
	return in, true
}

// serve is the proxy's handler: it passes r on to the server with forward, or injects the
// fault chosen for it.
func (f *Faults) serve(forward http.Handler, w http.ResponseWriter, r *http.Request) {
	in, ok := f.next(r)
	if !ok {
		forward.ServeHTTP(w, r)
		return
	}
	switch in.Kind {
	case SlowDown:
		s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case InternalError:
		s3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	case Delay:
		if !f.hold(r.Context(), in.For) {
			closeConn(w, false, true) // not an empty 200 to a client that may still be there
			return
		}
		forward.ServeHTTP(w, r)
	case ResetRequest, StallRequest:
		f.requestFault(forward, w, r, in)
	case ResetResponse, Truncate, StallResponse:
		f.responseFault(forward, w, r, in)
	case DropContinuationToken, ReverseListing:
		rewriteFault(forward, w, r, in.Kind)
	default:
		panic(fmt.Sprintf("s3test: unknown fault kind %q", in.Kind))
	}
}

// s3Error answers r with an S3 error document, after reading the request body so that the
// client gets the answer rather than a broken pipe.
func s3Error(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	_, _ = io.Copy(io.Discard, r.Body)
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>s3test-faults</RequestId></Error>`,
		code, message, r.URL.Path)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amz-Request-Id", "s3test-faults")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}

// hold waits d and reports true, or reports false as soon as the client goes away or the
// test ends.
func (f *Faults) hold(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-f.stopped:
	}
	f.mu.Lock()
	f.stats.Abandoned++
	f.mu.Unlock()
	return false
}

var (
	errCut    = errors.New("s3test: connection cut by a fault")
	errGaveUp = errors.New("s3test: stall abandoned")
)

// requestFault passes r on with a body that resets the connection, or stalls, after
// in.After bytes. A stall that gives up resets the connection too.
func (f *Faults) requestFault(forward http.Handler, w http.ResponseWriter, r *http.Request, in injection) {
	if in.Kind == ResetRequest && in.After <= 0 {
		closeConn(w, false, true)
		return
	}
	var cut atomic.Bool
	r.Body = &tapReader{ReadCloser: r.Body, left: in.After, at: func() error {
		if in.Kind == StallRequest && f.hold(r.Context(), in.For) {
			return nil
		}
		cut.Store(true)
		return errCut
	}}
	forward.ServeHTTP(&muteWriter{ResponseWriter: w, mute: &cut}, r)
	if cut.Load() {
		closeConn(w, false, true)
	}
}

// responseFault passes r on and cuts, or stalls, the answer after in.After bytes of its
// body. A stall that gives up resets the connection.
func (f *Faults) responseFault(forward http.Handler, w http.ResponseWriter, r *http.Request, in injection) {
	cw := &cutWriter{ResponseWriter: w, after: in.After, frac: in.frac}
	cw.at = func() error {
		if in.Kind != StallResponse {
			return errCut
		}
		if cw.wroteHeader {
			_ = http.NewResponseController(w).Flush()
		}
		if !f.hold(r.Context(), in.For) {
			return errGaveUp
		}
		return nil
	}
	defer func() {
		// ReverseProxy panics with ErrAbortHandler when writing the body fails, which is
		// what the cut does.
		if v := recover(); v != nil && v != http.ErrAbortHandler { //nolint:errorlint // a panic value, not a wrapped error
			panic(v)
		}
		switch {
		case errors.Is(cw.err, errGaveUp):
			closeConn(w, false, true)
		case errors.Is(cw.err, errCut):
			closeConn(w, cw.wroteHeader, in.Kind == ResetResponse)
		}
	}()
	forward.ServeHTTP(cw, r)
}

// closeConn takes the client's connection from the server and closes it: with reset, at
// once with an RST (SO_LINGER 0); otherwise cleanly. With flush, what has been written of
// the response is sent first.
func closeConn(w http.ResponseWriter, flush, reset bool) {
	rc := http.NewResponseController(w)
	if flush {
		_ = rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// tapReader is a request body that calls at once, after left bytes have been read: an
// error from at ends the body with that error.
type tapReader struct {
	io.ReadCloser
	left  int64
	at    func() error
	done  bool
	err   error
	count int64
}

func (t *tapReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if !t.done && t.count >= t.left {
		t.done = true
		if t.err = t.at(); t.err != nil {
			return 0, t.err
		}
	}
	if !t.done && int64(len(p)) > t.left-t.count {
		p = p[:t.left-t.count]
	}
	n, err := t.ReadCloser.Read(p)
	t.count += int64(n)
	return n, err
}

// muteWriter drops everything written once mute is set: the connection is about to be cut,
// and the proxy's own error answer must not reach the client.
type muteWriter struct {
	http.ResponseWriter
	mute *atomic.Bool
}

func (m *muteWriter) WriteHeader(code int) {
	if !m.mute.Load() {
		m.ResponseWriter.WriteHeader(code)
	}
}

func (m *muteWriter) Write(p []byte) (int, error) {
	if m.mute.Load() {
		return 0, errCut
	}
	return m.ResponseWriter.Write(p)
}

func (m *muteWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// cutWriter passes a response on and calls at once, after `after` bytes of the body (after
// -1: before the status line; frac >= 0: after that fraction of the Content-Length). An
// error from at stops the response: nothing more is written.
type cutWriter struct {
	http.ResponseWriter
	after       int64
	frac        float64
	at          func() error
	wroteHeader bool
	fired       bool
	written     int64
	err         error
}

func (c *cutWriter) WriteHeader(code int) {
	if c.wroteHeader || c.err != nil {
		return
	}
	if c.frac >= 0 {
		n, _ := strconv.ParseInt(c.Header().Get("Content-Length"), 10, 64)
		c.after = int64(c.frac * float64(n))
	}
	if c.after < 0 {
		c.fire()
		if c.err != nil {
			return
		}
	}
	c.wroteHeader = true
	c.ResponseWriter.WriteHeader(code)
}

func (c *cutWriter) fire() {
	c.fired = true
	c.err = c.at()
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if !c.wroteHeader {
		c.WriteHeader(http.StatusOK)
	}
	if c.err != nil {
		return 0, c.err
	}
	total := 0
	if !c.fired && c.written+int64(len(p)) > c.after {
		n, err := c.ResponseWriter.Write(p[:c.after-c.written])
		c.written += int64(n)
		total += n
		if err != nil {
			return total, err
		}
		p = p[n:]
		if c.fire(); c.err != nil {
			return total, c.err
		}
	}
	n, err := c.ResponseWriter.Write(p)
	c.written += int64(n)
	return total + n, err
}

func (c *cutWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// IsGet reports whether r is a GET of an object (GetObject, ranged or not), not a listing.
func IsGet(r *http.Request) bool {
	q := r.URL.Query()
	return r.Method == http.MethodGet && objectKey(r) != "" && !q.Has("uploadId") && !q.Has("uploads") && !q.Has("list-type")
}

// IsHead reports whether r is a HeadObject request.
func IsHead(r *http.Request) bool { return r.Method == http.MethodHead && objectKey(r) != "" }

// IsList reports whether r lists a bucket (ListObjects, ListObjectsV2).
func IsList(r *http.Request) bool {
	return r.Method == http.MethodGet && objectKey(r) == "" && !r.URL.Query().Has("uploads")
}

// IsPutObject reports whether r is a PutObject request (a PUT that is not a part).
func IsPutObject(r *http.Request) bool {
	return r.Method == http.MethodPut && objectKey(r) != "" && !r.URL.Query().Has("uploadId")
}

// IsCreateUpload reports whether r is a CreateMultipartUpload request.
func IsCreateUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Query().Has("uploads")
}

// IsCompleteUpload reports whether r is a CompleteMultipartUpload request.
func IsCompleteUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Query().Has("uploadId")
}

// KeyIs returns a matcher for the requests about the object key (path-style addressing).
func KeyIs(key string) func(*http.Request) bool {
	return func(r *http.Request) bool { return objectKey(r) == key }
}

// All combines matchers: it matches a request that every one of them matches.
func All(ms ...func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, m := range ms {
			if !m(r) {
				return false
			}
		}
		return true
	}
}

// objectKey returns the key of a path-style request ("/bucket/key"), or "" for a request
// about the bucket itself.
func objectKey(r *http.Request) string {
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return key
}
