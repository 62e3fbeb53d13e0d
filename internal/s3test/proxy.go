package s3test

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"
)

// Delay returns a view of s whose Endpoint is a reverse proxy on 127.0.0.1 that holds each
// request for which match returns true for d before passing it on. Tests use it to make a
// transfer slow enough to interrupt at a known point. The proxy stops when the test ends.
func (s *Server) Delay(t testing.TB, d time.Duration, match func(*http.Request) bool) *Server {
	t.Helper()
	return s.proxy(t, func(forward http.Handler, w http.ResponseWriter, r *http.Request) {
		if match(r) {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		forward.ServeHTTP(w, r)
	})
}

// proxy starts a reverse proxy to s on 127.0.0.1 whose handler may act on each request
// before or after passing it on with forward, and returns a view of s that uses it. The
// proxy stops when the test ends.
func (s *Server) proxy(t testing.TB, handle func(forward http.Handler, w http.ResponseWriter, r *http.Request)) *Server {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0) // cut connections are what these tests make
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: time.Minute, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(rp, w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	view := *s
	view.Endpoint = "http://" + ln.Addr().String()
	return &view
}

// IsUploadPart reports whether r is an UploadPart request.
func IsUploadPart(r *http.Request) bool {
	q := r.URL.Query()
	return r.Method == http.MethodPut && q.Has("partNumber") && q.Has("uploadId")
}

// IsRangedGet reports whether r is a GET with a Range header.
func IsRangedGet(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Range") != ""
}

// IsAbortUpload reports whether r is an AbortMultipartUpload request.
func IsAbortUpload(r *http.Request) bool {
	return r.Method == http.MethodDelete && r.URL.Query().Has("uploadId")
}
