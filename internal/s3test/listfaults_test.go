package s3test_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// listPage is a truncated ListObjectsV2 page of three keys and a common prefix.
const listPage = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
	`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>` +
	`<KeyCount>4</KeyCount><MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>` +
	`<NextContinuationToken>tok/2==</NextContinuationToken>` +
	`<Contents><Key>p/a</Key><Size>1</Size></Contents>` +
	"\n" + `<Contents><Key>p/b</Key><Size>2</Size></Contents>` +
	"\n" + `<Contents><Key>p/c</Key><Size>3</Size></Contents>` +
	`<CommonPrefixes><Prefix>p/d/</Prefix></CommonPrefixes></ListBucketResult>`

// listBackend answers every request with listPage, gzipped when the request accepts it
// (as a server behind a compressing front end would), and counts the requests.
func listBackend(t *testing.T) (*s3test.Server, *atomic.Int64) {
	n := new(atomic.Int64)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write([]byte(listPage))
			_ = zw.Close()
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
			_, _ = w.Write(b.Bytes())
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(listPage)))
		_, _ = w.Write([]byte(listPage))
	}))
	t.Cleanup(hs.Close)
	return &s3test.Server{Kind: "httptest", Endpoint: hs.URL}, n
}

// Each listing rewrite changes what it says and nothing else, once per request it is
// added for; the next page passes unchanged.
func TestFaultListingRewrites(t *testing.T) {
	for _, tc := range []struct {
		kind s3test.Kind
		want string
	}{
		{s3test.DropContinuationToken, strings.Replace(listPage, `<NextContinuationToken>tok/2==</NextContinuationToken>`, "", 1)},
		{s3test.ReverseListing, strings.NewReplacer("p/a", "p/c", "p/c", "p/a", "<Size>1", "<Size>3", "<Size>3", "<Size>1").Replace(listPage)},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			srv, requests := listBackend(t)
			view, faults := srv.Faults(t)
			faults.Add(1, s3test.IsList, s3test.Fault{Kind: tc.kind})
			const path = "/b?list-type=2&prefix=p%2F"
			status, got, err := call(t, t.Context(), view, http.MethodGet, path, nil)
			if status != 200 || err != nil {
				t.Fatalf("status %d, %v", status, err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if _, got, _ = call(t, t.Context(), view, http.MethodGet, path, nil); string(got) != listPage {
				t.Errorf("the next page was rewritten too:\n%s", got)
			}
			if st := faults.Stats(); st.Injected[tc.kind] != 1 || requests.Load() != 2 {
				t.Errorf("stats %s, %d requests reached the server; want one %s and 2", st, requests.Load(), tc.kind)
			}
		})
	}
}

// A rewrite passes the request on as the client sent it: an SDK signs its headers (the
// AWS SDK sends Accept-Encoding: identity, and signs it).
func TestFaultListingRewriteKeepsTheRequest(t *testing.T) {
	for _, kind := range []s3test.Kind{s3test.DropContinuationToken, s3test.ReverseListing} {
		t.Run(string(kind), func(t *testing.T) {
			got := make(chan string, 1)
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Header.Get("Accept-Encoding")
				_, _ = w.Write([]byte(listPage))
			}))
			t.Cleanup(hs.Close)
			view, faults := (&s3test.Server{Kind: "httptest", Endpoint: hs.URL}).Faults(t)
			faults.Add(1, nil, s3test.Fault{Kind: kind})
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, view.Endpoint+"/b?list-type=2", nil)
			req.Header.Set("Accept-Encoding", "identity")
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if ae := <-got; ae != "identity" {
				t.Errorf("the server got Accept-Encoding %q, want the client's %q", ae, "identity")
			}
		})
	}
}

// IsListPage counts pages by continuation token: a request without one is page 1, a new
// token the page after the last, a token seen before its own page again.
func TestIsListPage(t *testing.T) {
	list := func(prefix, token string) *http.Request {
		target := "/b?list-type=2&prefix=" + prefix
		if token != "" {
			target += "&continuation-token=" + token
		}
		return httptest.NewRequest(http.MethodGet, target, nil)
	}
	page2, page3 := s3test.IsListPage("p/", 2), s3test.IsListPage("p/", 3)
	for i, c := range []struct {
		req         *http.Request
		is2, is3    bool
		description string
	}{
		{list("p/", ""), false, false, "page 1"},
		{list("p/", "A"), true, false, "page 2"},
		{list("p/", "A"), true, false, "page 2 again"},
		{list("q/", "X"), false, false, "another prefix"},
		{list("p/", "B"), false, true, "page 3"},
		{list("p/", ""), false, false, "page 1 of a new listing"},
		{list("p/", "A2"), true, false, "page 2, with a new token"},
		{list("p/", "B"), false, true, "page 3, with its old token"},
		{httptest.NewRequest(http.MethodGet, "/b?prefix=p/&marker=A", nil), false, false, "ListObjects (v1)"},
		{httptest.NewRequest(http.MethodGet, "/b/p/A", nil), false, false, "a GET"},
	} {
		if got2, got3 := page2(c.req), page3(c.req); got2 != c.is2 || got3 != c.is3 {
			t.Errorf("request %d (%s): page 2 %v, page 3 %v; want %v, %v", i, c.description, got2, got3, c.is2, c.is3)
		}
	}
}

// Every attempt at page 2 fails, however often the listing starts again, and no other
// page does.
func TestFaultListPageEveryRetry(t *testing.T) {
	srv, requests := listBackend(t)
	view, faults := srv.Faults(t)
	faults.Add(-1, s3test.IsListPage("p/", 2), s3test.Fault{Kind: s3test.InternalError})
	for attempt := range 3 {
		for page, token := range []string{"", "t2", "t3"} {
			path := "/b?list-type=2&prefix=p%2F"
			if token != "" {
				path += "&continuation-token=" + token
			}
			want := 200
			if page == 1 {
				want = 500
			}
			if status, _, _ := call(t, t.Context(), view, http.MethodGet, path, nil); status != want {
				t.Fatalf("attempt %d, page %d: status %d, want %d", attempt, page+1, status, want)
			}
		}
	}
	if st := faults.Stats(); st.Injected[s3test.InternalError] != 3 || requests.Load() != 6 {
		t.Errorf("stats %s, %d requests reached the server; want 3 internal errors and 6", st, requests.Load())
	}
}
