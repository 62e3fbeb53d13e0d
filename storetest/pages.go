package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/haul-s3/haul/object"
)

// listedPage is one page of ListPages.
type listedPage struct {
	keys, prefixes []string
	next           string
}

// listPages lists prefix with ListPages from token and returns its pages.
func listPages(t *testing.T, l PageLister, bucket, prefix, delimiter, token string) []listedPage {
	t.Helper()
	var pages []listedPage
	err := l.ListPages(t.Context(), bucket, prefix, delimiter, token, func(keys []object.Info, prefixes []string, next string) error {
		pg := listedPage{prefixes: prefixes, next: next}
		for _, k := range keys {
			pg.keys = append(pg.keys, k.Key)
		}
		pages = append(pages, pg)
		return nil
	})
	if err != nil {
		t.Fatalf("ListPages %q delimiter %q from %q: %v", prefix, delimiter, token, err)
	}
	return pages
}

// inOrder merges a delimited listing's pages into one sequence, each page's keys and
// common prefixes in byte order, and fails t unless each page's entries come after the
// page before.
func inOrder(t *testing.T, pages []listedPage) []string {
	t.Helper()
	var all []string
	for i, pg := range pages {
		entries := slices.Concat(pg.keys, pg.prefixes)
		slices.Sort(entries)
		if len(all) > 0 && len(entries) > 0 && entries[0] <= all[len(all)-1] {
			t.Errorf("page %d starts at %q, not after %q", i+1, entries[0], all[len(all)-1])
		}
		all = append(all, entries...)
	}
	return all
}

// testListPagesDelimited: ListPages with the delimiter "/" gives the keys directly under
// the prefix and one common prefix for each "directory", a common prefix standing in byte
// order where the keys under it would ("a-b" before "a/", "a/" before "a0"); without a
// delimiter it gives the keys List gives. The engine lists a prefix of large common
// prefixes in parallel, one listing per common prefix, and concatenates the listings in
// this order: it is List's order only if the common prefixes stand where their keys do.
func testListPagesDelimited(t *testing.T, s *suite) {
	l, ok := s.Store.(PageLister)
	if !ok {
		t.Skip("the store has no ListPages (optional)")
	}
	for _, k := range []string{"d/a/y/z", "d/a-b", "d/a/x", "d/B", "d/a0", "d/b/", "d/b/c", "d/~z", "d/é/1", "d/a.b"} {
		var body []byte
		if !strings.HasSuffix(k, "/") { // a directory marker holds no bytes (versitygw refuses any)
			body = []byte(k)
		}
		s.put(t, k, body, nil, object.Checksum{})
	}
	pages := listPages(t, l, s.bucket, "d/", "/", "")
	if len(pages) != 1 || pages[0].next != "" {
		t.Fatalf("ListPages d/ with the delimiter gave %d pages (%+v); want one, with no next token", len(pages), pages)
	}
	pg := pages[0]
	if want := []string{"d/B", "d/a-b", "d/a.b", "d/a0", "d/~z"}; !slices.Equal(pg.keys, want) {
		t.Errorf("keys %q; want %q", pg.keys, want)
	}
	if want := []string{"d/a/", "d/b/", "d/é/"}; !slices.Equal(pg.prefixes, want) {
		t.Errorf("common prefixes %q; want %q", pg.prefixes, want)
	}
	var flat []string
	for _, e := range inOrder(t, pages) {
		if strings.HasSuffix(e, "/") {
			flat = append(flat, s.keys(t, e)...)
		} else {
			flat = append(flat, e)
		}
	}
	if all := s.keys(t, "d/"); !slices.Equal(flat, all) {
		t.Errorf("the keys and the common prefixes' keys in order are %q; List gives %q", flat, all)
	}
	plain := listPages(t, l, s.bucket, "d/", "", "")
	if len(plain) != 1 || len(plain[0].prefixes) != 0 || !slices.Equal(plain[0].keys, s.keys(t, "d/")) {
		t.Errorf("ListPages d/ without a delimiter gave %+v; want List's keys", plain)
	}
}

// testListPagesPaging: a delimited listing of more entries (keys and common prefixes) than
// a page holds comes in pages, each with the token of the next, in order across pages;
// the token of a page asks for the same page again. A listing that fails part way goes on
// from the page that failed with its token.
func testListPagesPaging(t *testing.T, s *suite) {
	l, ok := s.Store.(PageLister)
	if !ok {
		t.Skip("the store has no ListPages (optional)")
	}
	var want []string
	for i := range pageSize {
		if i%2 == 0 {
			want = append(want, fmt.Sprintf("pp/%04d/", i))
		} else {
			want = append(want, fmt.Sprintf("pp/%04d", i))
		}
	}
	err := parallel(len(want), func(i int) error {
		key := want[i]
		if strings.HasSuffix(key, "/") {
			key += "x"
		}
		_, err := s.PutObject(t.Context(), s.ref(key), bytes.NewReader(nil), 0, nil, object.Checksum{})
		return err
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	pages := listPages(t, l, s.bucket, "pp/", "/", "")
	if len(pages) < 2 {
		t.Fatalf("%d entries came in %d page; want more than one", len(want), len(pages))
	}
	if got := inOrder(t, pages); !slices.Equal(got, want) {
		t.Fatalf("the pages gave %d entries (first %q); want the %d put, in order", len(got), first(got), len(want))
	}
	for i, pg := range pages {
		if (pg.next == "") != (i == len(pages)-1) {
			t.Errorf("page %d of %d has next token %q", i+1, len(pages), pg.next)
		}
	}
	again := listPages(t, l, s.bucket, "pp/", "/", pages[0].next)
	if fmt.Sprint(again) != fmt.Sprint(pages[1:]) {
		t.Errorf("from the first page's token: %d pages; want the %d after the first", len(again), len(pages)-1)
	}
}
