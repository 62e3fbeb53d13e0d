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
