package s3test_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// backend is a tiny stand-in for an S3 server: GET /bucket/KEY answers body, PUT reads the
// request body and counts the bodies that arrived whole.
type backend struct {
	body []byte

	mu         sync.Mutex
	puts, gets int // requests that reached the backend
	wholePuts  int // PUT bodies that arrived complete
}

func newBackend(t *testing.T) (*backend, *s3test.Server) {
	b := &backend{body: bytes.Repeat([]byte("0123456789abcdef"), 1<<16)} // 1 MiB
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			b.mu.Lock()
			b.gets++
			b.mu.Unlock()
			w.Header().Set("Content-Length", fmt.Sprint(len(b.body)))
			if r.Method == http.MethodGet {
				_, _ = w.Write(b.body)
			}
		case http.MethodPut:
			n, err := io.Copy(io.Discard, r.Body)
			b.mu.Lock()
			b.puts++
			if err == nil && n == r.ContentLength {
				b.wholePuts++
			}
			b.mu.Unlock()
			w.Header().Set("ETag", `"etag"`)
		}
	}))
	t.Cleanup(hs.Close)
	return b, &s3test.Server{Kind: "httptest", Endpoint: hs.URL}
}

func (b *backend) counts() (puts, wholePuts, gets int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.puts, b.wholePuts, b.gets
}

// call sends one request through view with a fresh connection (no keep-alive, so the
// client never retries on its own) and returns the status, the body read and the error of
// the request or of reading its body.
func call(t *testing.T, ctx context.Context, view *s3test.Server, method, path string, body []byte) (int, []byte, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, view.Endpoint+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return resp.StatusCode, got, err
}

func TestFaultStatusErrors(t *testing.T) {
	b, srv := newBackend(t)
	view, faults := srv.Faults(t)
	faults.Add(2, s3test.IsPut, s3test.Fault{Kind: s3test.SlowDown}).
		Add(1, s3test.IsHead, s3test.Fault{Kind: s3test.InternalError}).
		Add(1, s3test.IsGet, s3test.Fault{Kind: s3test.InternalError})
	part := make([]byte, 100_000)

	for i, want := range []int{503, 503, 200} {
		status, body, err := call(t, t.Context(), view, http.MethodPut, "/b/k", part)
		if err != nil || status != want {
			t.Fatalf("PUT %d: status %d (%v), want %d", i, status, err, want)
		}
		if want == 503 && !strings.Contains(string(body), "<Code>SlowDown</Code>") {
			t.Fatalf("503 without an S3 SlowDown error document: %s", body)
		}
	}
	if status, body, _ := call(t, t.Context(), view, http.MethodHead, "/b/k", nil); status != 500 || len(body) != 0 {
		t.Fatalf("HEAD: status %d with %d body bytes, want 500 and none", status, len(body))
	}
	status, body, _ := call(t, t.Context(), view, http.MethodGet, "/b/k", nil)
	if status != 500 || !strings.Contains(string(body), "<Code>InternalError</Code>") {
		t.Fatalf("GET: status %d, body %s; want 500 InternalError", status, body)
	}
	if status, _, _ := call(t, t.Context(), view, http.MethodGet, "/b/k", nil); status != 200 {
		t.Fatalf("GET after the rules ran out: status %d", status)
	}
	if puts, _, gets := b.counts(); puts != 1 || gets != 1 {
		t.Fatalf("the backend saw %d PUTs and %d GETs, want 1 and 1: a faulted request reached it", puts, gets)
	}
	st := faults.Stats()
	if st.Requests != 6 || st.Injected[s3test.SlowDown] != 2 || st.Injected[s3test.InternalError] != 2 || st.Total() != 4 {
		t.Fatalf("stats %s, want 6 requests, 2 slowdown, 2 internal-error", st)
	}
	if n := len(faults.Log()); n != 4 {
		t.Fatalf("log has %d lines, want 4", n)
	}
}

func TestFaultResetRequest(t *testing.T) {
	for _, after := range []int64{0, 1000, 300_000} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			b, srv := newBackend(t)
			view, faults := srv.Faults(t)
			faults.Add(1, nil, s3test.Fault{Kind: s3test.ResetRequest, After: after})
			_, _, err := call(t, t.Context(), view, http.MethodPut, "/b/k", make([]byte, 1<<20))
			if err == nil {
				t.Fatal("the PUT succeeded through a reset")
			}
			if _, whole, _ := b.counts(); whole != 0 {
				t.Fatal("the backend received a whole body through a reset")
			}
			if status, _, err := call(t, t.Context(), view, http.MethodPut, "/b/k", make([]byte, 1<<20)); status != 200 || err != nil {
				t.Fatalf("the next PUT: status %d, %v", status, err)
			}
		})
	}
}

func TestFaultResetResponse(t *testing.T) {
	t.Run("before the status line", func(t *testing.T) {
		b, srv := newBackend(t)
		view, faults := srv.Faults(t)
		faults.Add(1, s3test.IsPut, s3test.Fault{Kind: s3test.ResetResponse, After: -1})
		status, _, err := call(t, t.Context(), view, http.MethodPut, "/b/k", make([]byte, 1000))
		if err == nil {
			t.Fatalf("got status %d through a reset", status)
		}
		if _, whole, _ := b.counts(); whole != 1 {
			t.Fatal("the backend did not handle the request whose answer was lost")
		}
	})
	t.Run("mid-body", func(t *testing.T) {
		b, srv := newBackend(t)
		view, faults := srv.Faults(t)
		faults.Add(1, nil, s3test.Fault{Kind: s3test.ResetResponse, After: 100_000})
		status, got, err := call(t, t.Context(), view, http.MethodGet, "/b/k", nil)
		if status != 200 || err == nil || errors.Is(err, io.ErrUnexpectedEOF) || len(got) > 100_000 {
			t.Fatalf("status %d, %d bytes, error %v; want 200, at most 100000 bytes, then a reset", status, len(got), err)
		}
		if !bytes.Equal(got, b.body[:len(got)]) {
			t.Fatal("the bytes before the reset differ")
		}
	})
}

func TestFaultTruncate(t *testing.T) {
	b, srv := newBackend(t)
	view, faults := srv.Faults(t)
	faults.Add(1, nil, s3test.Fault{Kind: s3test.Truncate, After: 1000})
	status, got, err := call(t, t.Context(), view, http.MethodGet, "/b/k", nil)
	if status != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(got, b.body[:1000]) {
		t.Fatalf("status %d, %d bytes, error %v; want 200, the first 1000 bytes, then unexpected EOF", status, len(got), err)
	}
	status, got, err = call(t, t.Context(), view, http.MethodGet, "/b/k", nil)
	if status != 200 || err != nil || !bytes.Equal(got, b.body) {
		t.Fatalf("the next GET: status %d, %d bytes, %v", status, len(got), err)
	}
}

// The stalls and the delay are checked to last at least their time: a lower bound, which a
// loaded machine cannot break.
func TestFaultStallsAndDelay(t *testing.T) {
	const d = 300 * time.Millisecond
	for _, tc := range []struct {
		kind   s3test.Kind
		method string
		after  int64
	}{
		{s3test.StallRequest, http.MethodPut, 100_000},
		{s3test.StallResponse, http.MethodGet, 100_000},
		{s3test.StallResponse, http.MethodGet, -1},
		{s3test.Delay, http.MethodPut, 0},
	} {
		t.Run(fmt.Sprintf("%s %s %d", tc.kind, tc.method, tc.after), func(t *testing.T) {
			b, srv := newBackend(t)
			view, faults := srv.Faults(t)
			faults.Add(1, nil, s3test.Fault{Kind: tc.kind, After: tc.after, For: d})
			var body []byte
			if tc.method == http.MethodPut {
				body = make([]byte, 1<<20)
			}
			start := time.Now()
			status, got, err := call(t, t.Context(), view, tc.method, "/b/k", body)
			if took := time.Since(start); took < d {
				t.Fatalf("the request took %s, less than the %s hold", took, d)
			}
			if status != 200 || err != nil {
				t.Fatalf("status %d, %v", status, err)
			}
			if _, whole, _ := b.counts(); tc.method == http.MethodPut && whole != 1 {
				t.Fatal("the backend did not get the whole body after the stall")
			}
			if tc.method == http.MethodGet && !bytes.Equal(got, b.body) {
				t.Fatalf("got %d bytes, want the whole body", len(got))
			}
		})
	}
}

// A client that gives up on a stalled response is noticed at once: the stall is abandoned
// rather than held for its whole time.
func TestFaultStallGivesUpWhenClientLeaves(t *testing.T) {
	_, srv := newBackend(t)
	view, faults := srv.Faults(t)
	faults.Add(1, nil, s3test.Fault{Kind: s3test.StallResponse, After: 1000, For: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, view.Endpoint+"/b/k", nil)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1000)); err != nil {
		t.Fatalf("reading the bytes before the stall: %v", err)
	}
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for faults.Stats().Abandoned == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the proxy still holds the stalled response 10s after the client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFaultRulesOrderAndCounts(t *testing.T) {
	_, srv := newBackend(t)
	view, faults := srv.Faults(t)
	faults.Add(-1, s3test.KeyIs("always"), s3test.Fault{Kind: s3test.SlowDown}).
		Add(1, nil, s3test.Fault{Kind: s3test.InternalError})
	for i := range 3 {
		if status, _, _ := call(t, t.Context(), view, http.MethodGet, "/b/always", nil); status != 503 {
			t.Fatalf("request %d to the always-faulted key: status %d", i, status)
		}
	}
	for i, want := range []int{500, 200, 200} {
		if status, _, _ := call(t, t.Context(), view, http.MethodGet, "/b/other", nil); status != want {
			t.Fatalf("request %d to another key: status %d, want %d", i, status, want)
		}
	}
}

func TestFaultRandom(t *testing.T) {
	// outcomes sends n sequential requests of each method through a random proxy and
	// returns what each got and the stats.
	outcomes := func(t *testing.T, p float64, seed uint64, n int) (string, s3test.Stats) {
		_, srv := newBackend(t)
		view, faults := srv.Faults(t)
		faults.Random(p, seed, nil)
		var seq strings.Builder
		for range n {
			for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodHead} {
				var body []byte
				if m == http.MethodPut {
					body = make([]byte, 10_000)
				}
				// Not the bytes read before a reset: the RST discards what the kernel had
				// not yet delivered.
				status, _, err := call(t, t.Context(), view, m, "/b/k", body)
				fmt.Fprintf(&seq, "%s %d %t\n", m, status, err == nil)
			}
		}
		return seq.String(), faults.Stats()
	}
	t.Run("none", func(t *testing.T) {
		if _, st := outcomes(t, 0, 1, 20); st.Total() != 0 || st.Requests != 60 {
			t.Fatalf("p=0: %s", st)
		}
	})
	t.Run("all", func(t *testing.T) {
		_, st := outcomes(t, 1, 1, 30)
		if st.Total() != 90 {
			t.Fatalf("p=1: %s", st)
		}
		// 30 GETs share 4 kinds, 30 PUTs 3, 30 HEADs 2: each kind is drawn.
		for _, k := range []s3test.Kind{s3test.SlowDown, s3test.InternalError, s3test.ResetRequest, s3test.ResetResponse, s3test.Truncate} {
			if st.Injected[k] == 0 {
				t.Errorf("p=1 never drew %s: %s", k, st)
			}
		}
	})
	t.Run("suits the request", func(t *testing.T) {
		_, srv := newBackend(t)
		view, faults := srv.Faults(t)
		faults.Random(1, 7, nil)
		for range 30 {
			call(t, t.Context(), view, http.MethodHead, "/b/k", nil)
		}
		st := faults.Stats()
		if st.Injected[s3test.SlowDown]+st.Injected[s3test.InternalError] != 30 {
			t.Fatalf("HEAD requests got faults that need a body: %s", st)
		}
	})
	t.Run("seeded", func(t *testing.T) {
		a, st := outcomes(t, 0.3, 42, 30)
		b, _ := outcomes(t, 0.3, 42, 30)
		if a != b {
			t.Fatal("the same seed gave different faults to the same sequence of requests")
		}
		if st.Total() < 10 || st.Total() > 50 {
			t.Fatalf("p=0.3 of 90 requests gave %d faults", st.Total())
		}
		if c, _ := outcomes(t, 0.3, 43, 30); c == a {
			t.Fatal("another seed gave the same faults")
		}
	})
}

func TestMatchers(t *testing.T) {
	req := func(method, target string, header ...string) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		if len(header) == 2 {
			r.Header.Set(header[0], header[1])
		}
		return r
	}
	for _, tc := range []struct {
		name  string
		match func(*http.Request) bool
		yes   []*http.Request
		no    []*http.Request
	}{
		{"IsGet", s3test.IsGet,
			[]*http.Request{req("GET", "/b/k"), req("GET", "/b/dir/k", "Range", "bytes=0-9")},
			[]*http.Request{req("GET", "/b?list-type=2"), req("GET", "/b/"), req("GET", "/b/k?uploadId=1"), req("HEAD", "/b/k"), req("PUT", "/b/k")}},
		{"IsRangedGet", s3test.IsRangedGet,
			[]*http.Request{req("GET", "/b/k", "Range", "bytes=0-9")},
			[]*http.Request{req("GET", "/b/k")}},
		{"IsHead", s3test.IsHead,
			[]*http.Request{req("HEAD", "/b/k")},
			[]*http.Request{req("HEAD", "/b"), req("GET", "/b/k")}},
		{"IsList", s3test.IsList,
			[]*http.Request{req("GET", "/b?list-type=2&prefix=x"), req("GET", "/b/")},
			[]*http.Request{req("GET", "/b/k"), req("GET", "/b?uploads")}},
		{"IsPutObject", s3test.IsPutObject,
			[]*http.Request{req("PUT", "/b/k")},
			[]*http.Request{req("PUT", "/b/k?partNumber=1&uploadId=u"), req("PUT", "/b")}},
		{"IsUploadPart", s3test.IsUploadPart,
			[]*http.Request{req("PUT", "/b/k?partNumber=1&uploadId=u")},
			[]*http.Request{req("PUT", "/b/k")}},
		{"IsPut", s3test.IsPut,
			[]*http.Request{req("PUT", "/b/k"), req("PUT", "/b/k?partNumber=1&uploadId=u")},
			[]*http.Request{req("POST", "/b/k?uploads")}},
		{"IsCreateUpload", s3test.IsCreateUpload,
			[]*http.Request{req("POST", "/b/k?uploads")},
			[]*http.Request{req("POST", "/b/k?uploadId=u")}},
		{"IsCompleteUpload", s3test.IsCompleteUpload,
			[]*http.Request{req("POST", "/b/k?uploadId=u")},
			[]*http.Request{req("POST", "/b/k?uploads"), req("DELETE", "/b/k?uploadId=u")}},
		{"KeyIs", s3test.KeyIs("dir/k"),
			[]*http.Request{req("GET", "/b/dir/k"), req("PUT", "/b/dir/k?partNumber=2&uploadId=u")},
			[]*http.Request{req("GET", "/b/dir/k2"), req("GET", "/b/k")}},
		{"All", s3test.All(s3test.IsPut, s3test.KeyIs("k")),
			[]*http.Request{req("PUT", "/b/k")},
			[]*http.Request{req("GET", "/b/k"), req("PUT", "/b/j")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range tc.yes {
				if !tc.match(r) {
					t.Errorf("does not match %s %s", r.Method, r.URL)
				}
			}
			for _, r := range tc.no {
				if tc.match(r) {
					t.Errorf("matches %s %s", r.Method, r.URL)
				}
			}
		})
	}
}
