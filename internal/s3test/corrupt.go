package s3test

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"
)

// CorruptRequests returns a view of s whose Endpoint is a proxy that flips one byte in the
// body of each of the first n requests for which match returns true, leaving the headers
// (Content-Length, checksums) as the client sent them: what a bad NIC or a broken middlebox
// does. It returns the view and a function telling how many bodies were corrupted.
func (s *Server) CorruptRequests(t testing.TB, n int, match func(*http.Request) bool) (*Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	done := 0
	view := s.proxy(t, func(forward http.Handler, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hit := done < n && r.ContentLength > 0 && match(r)
		if hit {
			done++
		}
		mu.Unlock()
		if hit {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			body[len(body)/2] ^= 0x01
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		forward.ServeHTTP(w, r)
	})
	return view, func() int {
		mu.Lock()
		defer mu.Unlock()
		return done
	}
}

// IsPut matches PutObject and UploadPart requests.
func IsPut(r *http.Request) bool { return r.Method == http.MethodPut }

// CorruptResponses returns a view of s whose Endpoint is a proxy that flips one byte in the
// body of each of the first n responses to GET requests (n < 0: every one), leaving the
// headers as the server sent them. It returns the view and a count of corrupted bodies.
func (s *Server) CorruptResponses(t testing.TB, n int) (*Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	done := 0
	view := s.proxy(t, func(forward http.Handler, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hit := r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && (n < 0 || done < n)
		if hit {
			done++
		}
		mu.Unlock()
		if hit {
			w = &flipWriter{ResponseWriter: w, at: 100}
		}
		forward.ServeHTTP(w, r)
	})
	return view, func() int {
		mu.Lock()
		defer mu.Unlock()
		return done
	}
}

// flipWriter flips the byte at offset at of the body written through it.
type flipWriter struct {
	http.ResponseWriter
	at, pos int
}

func (f *flipWriter) Write(p []byte) (int, error) {
	if f.at >= f.pos && f.at < f.pos+len(p) {
		q := bytes.Clone(p)
		q[f.at-f.pos] ^= 1
		p = q
	}
	f.pos += len(p)
	return f.ResponseWriter.Write(p)
}
