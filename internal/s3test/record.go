package s3test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// Request is one request seen by a Recorder.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Bytes  int64 // request body length (Content-Length)
	Status int
	Header http.Header // the request's headers
}

// Recorder is a reverse proxy that records every request it passes to a server, so tests
// can count what a client really sent (parts, bytes).
type Recorder struct {
	mu   sync.Mutex
	reqs []Request
}

// Requests returns the requests recorded so far for which match returns true (nil: all).
func (r *Recorder) Requests(match func(Request) bool) []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Request
	for _, q := range r.reqs {
		if match == nil || match(q) {
			out = append(out, q)
		}
	}
	return out
}

// Reset forgets the requests recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = nil
}

// UploadParts matches successful UploadPart requests.
func UploadParts(q Request) bool {
	return q.Method == http.MethodPut && q.Query.Has("partNumber") && q.Status/100 == 2
}

// Record returns a view of s whose Endpoint is a recording proxy, and the recorder. The
// proxy stops when the test ends.
func (s *Server) Record(t testing.TB) (*Server, *Recorder) {
	t.Helper()
	rec := &Recorder{}
	view := s.proxy(t, func(forward http.Handler, w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		forward.ServeHTTP(sw, r)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Bytes: r.ContentLength, Status: sw.status, Header: r.Header.Clone()})
		rec.mu.Unlock()
	})
	return view, rec
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
