package s3store

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/haul-s3/haul/object"
)

// listPage is one canned ListObjectsV2 answer: its keys and common prefixes, whether it
// says it is truncated, and the token it gives for the next page ("" gives none).
type listPage struct {
	keys, prefixes []string
	truncated      bool
	next           string
}

// listServer answers ListObjectsV2 with pages: the first request (no continuation token)
// gets pages[0], a request with token "tN" gets pages[N]. It records the tokens sent.
func listServer(t *testing.T, pages []listPage) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var tokens []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		tok := q.Get("continuation-token")
		mu.Lock()
		tokens = append(tokens, tok)
		mu.Unlock()
		i := 0
		if tok != "" {
			if _, err := fmt.Sscanf(tok, "t%d", &i); err != nil || i >= len(pages) {
				http.Error(w, "bad token", http.StatusBadRequest)
				return
			}
		}
		p := pages[i]
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
		fmt.Fprintf(&b, "<Name>b</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>%t</IsTruncated>",
			q.Get("prefix"), len(p.keys)+len(p.prefixes), p.truncated)
		if tok != "" {
			fmt.Fprintf(&b, "<ContinuationToken>%s</ContinuationToken>", tok)
		}
		if p.next != "" {
			fmt.Fprintf(&b, "<NextContinuationToken>%s</NextContinuationToken>", p.next)
		}
		for _, k := range p.keys {
			fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"e-%s"</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`, k, k, len(k))
		}
		for _, cp := range p.prefixes {
			fmt.Fprintf(&b, "<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>", cp)
		}
		b.WriteString("</ListBucketResult>")
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(tokens)
	}
}

// A listing of several pages gives every key and common prefix once, in order, with one
// logged request per page, following each page's token.
func TestListDirPages(t *testing.T) {
	srv, tokens := listServer(t, []listPage{
		{keys: []string{"p/a", "p/b"}, prefixes: []string{"p/a-d/"}, truncated: true, next: "t1"},
		{truncated: true, next: "t2"}, // an empty page that goes on: allowed
		{keys: []string{"p/c"}, prefixes: []string{"p/d/"}, truncated: true, next: "t3"},
		{keys: []string{"p/e"}, truncated: false, next: "t9"}, // not truncated: the token is not followed
	})
	var calls []Call
	s := testStore(t, Config{Endpoint: srv.URL, Log: func(c Call) { calls = append(calls, c) }})
	var got []string
	err := s.ListDir(t.Context(), "b", "p/", "/", func(o object.Info) error {
		if o.Size != int64(len(o.Key)) || o.ETag != "e-"+o.Key {
			t.Errorf("%s: size %d, ETag %q", o.Key, o.Size, o.ETag)
		}
		got = append(got, o.Key)
		return nil
	}, func(p string) error {
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"p/a-d/", "p/a", "p/b", "p/d/", "p/c", "p/e"}; !slices.Equal(got, want) {
		t.Errorf("listed %q, want %q", got, want)
	}
	if want := []string{"", "t1", "t2", "t3"}; !slices.Equal(tokens(), want) {
		t.Errorf("sent tokens %q, want %q", tokens(), want)
	}
	if len(calls) != 4 || calls[0].Op != "ListObjectsV2" || calls[0].Bucket != "b" || calls[0].Key != "p/" || calls[0].Status != 200 {
		t.Errorf("logged %+v, want 4 ListObjectsV2 calls on b, p/", calls)
	}
}

// A listing that the server's pages show to be cut short or untrustworthy ends with a
// retryable *ListingError naming the problem and the page, after the keys before it.
func TestListDirRefusesABrokenListing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pages   []listPage
		problem ListingProblem
		page    int
		listed  []string
		text    string
	}{
		{"truncated without token", []listPage{
			{keys: []string{"p/a"}, truncated: true, next: "t1"},
			{keys: []string{"p/b"}, truncated: true},
		}, TruncatedWithoutToken, 2, []string{"p/a", "p/b"},
			"the server said the listing of s3://b/p/ was truncated but gave no continuation token (page 2); the listing is incomplete"},
		{"repeated token", []listPage{
			{keys: []string{"p/a"}, truncated: true, next: "t1"},
			{keys: []string{"p/b"}, truncated: true, next: "t2"},
			{keys: []string{"p/c"}, truncated: true, next: "t1"},
		}, RepeatedToken, 3, []string{"p/a", "p/b", "p/c"},
			"the server gave a continuation token for the listing of s3://b/p/ that it had given before (page 3); the listing is incomplete"},
		{"out of order in a page", []listPage{
			{keys: []string{"p/a"}, truncated: true, next: "t1"},
			{keys: []string{"p/b", "p/d", "p/c"}},
		}, OutOfOrder, 2, []string{"p/a"},
			`the server listed s3://b/p/ out of order: "p/c" came after "p/d" (page 2); the listing is incomplete`},
		{"out of order across pages", []listPage{
			{keys: []string{"p/a", "p/c"}, truncated: true, next: "t1"},
			{keys: []string{"p/b"}},
		}, OutOfOrder, 2, []string{"p/a", "p/c"},
			`the server listed s3://b/p/ out of order: "p/b" came after "p/c" (page 2); the listing is incomplete`},
		{"a key twice", []listPage{
			{keys: []string{"p/a", "p/b"}, truncated: true, next: "t1"},
			{keys: []string{"p/b", "p/c"}},
		}, OutOfOrder, 2, []string{"p/a", "p/b"},
			`the server listed s3://b/p/ out of order: "p/b" came after "p/b" (page 2); the listing is incomplete`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := listServer(t, tc.pages)
			s := testStore(t, Config{Endpoint: srv.URL})
			var listed []string
			err := s.List(t.Context(), "b", "p/", func(o object.Info) error {
				listed = append(listed, o.Key)
				return nil
			})
			var le *ListingError
			if !errors.As(err, &le) || le.Problem != tc.problem || le.Page != tc.page || le.Bucket != "b" || le.Prefix != "p/" {
				t.Fatalf("err %v (%#v), want a %s ListingError on page %d", err, le, tc.problem, tc.page)
			}
			if !le.Retryable() {
				t.Error("not retryable")
			}
			if err.Error() != tc.text {
				t.Errorf("error says\n%s\nwant\n%s", err, tc.text)
			}
			if !slices.Equal(listed, tc.listed) {
				t.Errorf("listed %q before the error, want %q", listed, tc.listed)
			}
		})
	}
}

// A directory bucket (S3 Express One Zone) lists in no documented order: ListDir does not
// check its order (a sync's merge still refuses a listing out of order). The SDK signs such
// buckets with session credentials, so this checks the name test alone.
func TestDirectoryBucketsAreNotCheckedForOrder(t *testing.T) {
	for name, want := range map[string]bool{"bk--use1-az4--x-s3": true, "bk": false, "x-s3": false, "bk--x-s3-logs": false} {
		if got := unordered(name); got != want {
			t.Errorf("unordered(%q) = %t, want %t", name, got, want)
		}
	}
}

// ListPages gives each page whole, keys and common prefixes apart, with the token of the
// page after it; it starts from the token given; a page truncated without a token is given
// with no next token, then the listing fails.
func TestListPages(t *testing.T) {
	type page struct {
		keys, prefixes []string
		next           string
	}
	pages := []listPage{
		{keys: []string{"p/a", "p/a0"}, prefixes: []string{"p/a/"}, truncated: true, next: "t1"},
		{truncated: true, next: "t2"},
		{keys: []string{"p/c"}, prefixes: []string{"p/b/", "p/d/"}, truncated: true, next: "t3"},
		{keys: []string{"p/e"}, truncated: true}, // no token: refused
	}
	srv, tokens := listServer(t, pages)
	s := testStore(t, Config{Endpoint: srv.URL})
	collect := func(token string) ([]page, error) {
		var got []page
		err := s.ListPages(t.Context(), "b", "p/", "/", token, func(keys []object.Info, prefixes []string, next string) error {
			var ks []string
			for _, k := range keys {
				ks = append(ks, k.Key)
			}
			got = append(got, page{ks, prefixes, next})
			return nil
		})
		return got, err
	}
	got, err := collect("")
	want := []page{
		{[]string{"p/a", "p/a0"}, []string{"p/a/"}, "t1"},
		{nil, nil, "t2"},
		{[]string{"p/c"}, []string{"p/b/", "p/d/"}, "t3"},
		{[]string{"p/e"}, nil, ""},
	}
	var le *ListingError
	if !errors.As(err, &le) || le.Problem != TruncatedWithoutToken || le.Page != 4 {
		t.Fatalf("err %v, want a truncated-without-token ListingError on page 4", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages %v, want %v", got, want)
	}
	pages[3].truncated = false
	got, err = collect("t2")
	want = []page{{[]string{"p/c"}, []string{"p/b/", "p/d/"}, "t3"}, {[]string{"p/e"}, nil, ""}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("from t2: pages %v, err %v; want %v", got, err, want)
	}
	if sent := tokens(); !slices.Equal(sent, []string{"", "t1", "t2", "t3", "t2", "t3"}) {
		t.Errorf("sent tokens %q", sent)
	}
}
