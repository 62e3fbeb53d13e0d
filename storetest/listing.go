package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

func listingTests() []test {
	return []test{
		{"ListOrder", testListOrder},
		{"ListStops", testListStops},
		{"ListPaging", testListPaging},
		{"ListPartsPaging", testListPartsPaging},
		{"ListUploadsPrefix", testListUploadsPrefix},
		{"ListUploadsPaging", testListUploadsPaging},
		{"ListPagesDelimited", testListPagesDelimited},
		{"ListPagesPaging", testListPagesPaging},
	}
}

// pageSize is one more page than S3 gives by default (1,000 entries): enough to make every
// listing take two pages.
const pageSize = 1005

// testListOrder: List gives every object under a prefix (a plain string prefix, not a
// directory) once, in byte order of the keys (so "a-b" before "a/x", "B" before "a", "é"
// last), with its size and MD5 ETag. sync merges the listing with a local walk sorted the
// same way, and would upload or delete wrongly on any other order; downloads of a prefix
// take the sizes and ETags from the listing.
func testListOrder(t *testing.T, s *suite) {
	keys := []string{"l/a/y/z", "l/é", "l/a-b", "l/~z", "l/a/x", "l/B", "l/a0", "l/b", "l/a.b"}
	for _, k := range keys {
		s.put(t, k, []byte(k), nil, object.Checksum{})
	}
	var infos []object.Info
	err := s.List(t.Context(), s.bucket, "l/", func(in object.Info) error {
		infos = append(infos, in)
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var got []string
	for _, in := range infos {
		got = append(got, in.Key)
		if in.Size != int64(len(in.Key)) || in.ETag != md5Hex([]byte(in.Key)) {
			t.Errorf("List: %s has size %d, ETag %q; want %d, %q", in.Key, in.Size, in.ETag, len(in.Key), md5Hex([]byte(in.Key)))
		}
	}
	want := []string{"l/B", "l/a-b", "l/a.b", "l/a/x", "l/a/y/z", "l/a0", "l/b", "l/~z", "l/é"}
	if !slices.Equal(got, want) {
		t.Fatalf("List gave %q; want %q", got, want)
	}
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"l/a/", []string{"l/a/x", "l/a/y/z"}},
		{"l/a", []string{"l/a-b", "l/a.b", "l/a/x", "l/a/y/z", "l/a0"}},
		{"l/a/x", []string{"l/a/x"}},
		{"l/none", nil},
		{"", want},
	} {
		if got := s.keys(t, c.prefix); !slices.Equal(got, c.want) {
			t.Errorf("List %q gave %q; want %q", c.prefix, got, c.want)
		}
	}
}

// testListStops: an error returned by List's callback stops the listing and is what List
// returns. The engine stops listing when a run is cancelled or stopped by returning the
// cause from the callback, and tells that cause from a listing failure.
func testListStops(t *testing.T, s *suite) {
	for _, k := range []string{"s/1", "s/2", "s/3"} {
		s.put(t, k, nil, nil, object.Checksum{})
	}
	stop := errors.New("stop here")
	calls := 0
	err := s.List(t.Context(), s.bucket, "s/", func(object.Info) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("List with a callback that fails: %v after %d calls; want the callback's error after 1", err, calls)
	}
}

// testListPaging: List gives all of more objects than one page of a server's listing holds,
// in order, each once. A download or sync of a large prefix relies on the store paging
// through the whole listing.
func testListPaging(t *testing.T, s *suite) {
	want := make([]string, pageSize)
	for i := range want {
		want[i] = fmt.Sprintf("pg/%04d", i)
	}
	err := parallel(len(want), func(i int) error {
		_, err := s.PutObject(t.Context(), s.ref(want[i]), bytes.NewReader(nil), 0, nil, object.Checksum{})
		return err
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if got := s.keys(t, "pg/"); !slices.Equal(got, want) {
		t.Fatalf("List gave %d keys (first %q); want the %d put, in order", len(got), first(got), len(want))
	}
}

// testListPartsPaging: ListParts gives all of more parts than one page of a server's
// listing holds, in part number order. A resumed upload of a large file relies on knowing
// every part the server holds; a part missed would be sent again, and one listed twice
// could not be.
func testListPartsPaging(t *testing.T, s *suite) {
	l, ok := s.Store.(PartLister)
	if !ok {
		t.Skip("the store has no ListParts (optional)")
	}
	u := s.create(t, "manyparts", nil)
	err := parallel(pageSize, func(i int) error {
		b := []byte{byte(i)}
		_, err := s.UploadPart(t.Context(), u.ref, u.id, int32(i+1), bytes.NewReader(b), 1, object.Checksum{})
		return err
	})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	parts := u.listed(t, l)
	if len(parts) != pageSize {
		t.Fatalf("ListParts gave %d parts; want %d", len(parts), pageSize)
	}
	for i, p := range parts {
		if p.Number != int32(i+1) || p.Size != 1 || p.ETag != md5Hex([]byte{byte(i)}) {
			t.Fatalf("ListParts' part %d is %+v; want number %d, size 1, ETag %s", i, p, i+1, md5Hex([]byte{byte(i)}))
		}
	}
	if err := s.AbortMultipartUpload(t.Context(), u.ref, u.id); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
}

// testListUploadsPrefix: ListUploads gives the uploads whose key starts with the prefix,
// whether or not the prefix is a whole key, and several uploads of one key, in key order
// (with Quirks.UploadsInCreationOrder, in the order they were created). The engine
// looks for uploads of one key whose CreateMultipartUpload answer was lost; haul uploads ls
// and abort list a prefix. (MinIO matches only whole keys on the server; s3store filters
// itself, and this checks that it does.)
func testListUploadsPrefix(t *testing.T, s *suite) {
	if _, ok := s.Store.(UploadLister); !ok {
		t.Skip("the store has no ListUploads (optional)")
	}
	ids := map[string][]string{}
	var created []string // "key uploadID" in the order created
	for _, k := range []string{"pre/b/1", "pre/a/2", "pre/ab", "pre/a/1", "pre/a/2", "other"} {
		id := s.create(t, k, nil).id
		ids[k] = append(ids[k], id)
		created = append(created, k+" "+id)
		if s.q.UploadsInCreationOrder {
			time.Sleep(10 * time.Millisecond) // distinct creation times, whatever their resolution
		}
	}
	for _, c := range []struct {
		prefix string
		keys   []string
	}{
		{"pre/a/", []string{"pre/a/1", "pre/a/2"}},
		{"pre/a", []string{"pre/a/1", "pre/a/2", "pre/ab"}},
		{"pre/a/2", []string{"pre/a/2"}},
		{"pre/c", nil},
		{"", []string{"other", "pre/a/1", "pre/a/2", "pre/ab", "pre/b/1"}},
	} {
		var want []string
		for _, k := range c.keys {
			for _, id := range ids[k] {
				want = append(want, k+" "+id)
			}
		}
		var got []string
		for _, u := range s.uploads(t, c.prefix) {
			got = append(got, u.Key+" "+u.UploadID)
		}
		slices.Sort(want)
		sortedGot := slices.Sorted(slices.Values(got))
		if !slices.Equal(sortedGot, want) {
			t.Errorf("ListUploads %q gave %q; want %q", c.prefix, got, want)
		}
		if !slices.IsSortedFunc(got, compareKeys) && !s.q.UploadsInCreationOrder {
			t.Errorf("ListUploads %q is not in key order: %q", c.prefix, got)
		}
	}
	if s.q.UploadsInCreationOrder {
		var got []string
		for _, u := range s.uploads(t, "") {
			got = append(got, u.Key+" "+u.UploadID)
		}
		if !slices.Equal(got, created) {
			t.Errorf("ListUploads gave %q; Quirks.UploadsInCreationOrder says %q", got, created)
		}
	}
}

// compareKeys orders "key uploadID" strings by key alone.
func compareKeys(a, b string) int {
	return strings.Compare(a[:strings.LastIndexByte(a, ' ')], b[:strings.LastIndexByte(b, ' ')])
}

// testListUploadsPaging: ListUploads gives all of more uploads than one page of a server's
// listing holds, each once, in key order, also when a page ends among the uploads of one
// key (versitygw rejects its own upload-ID marker there; s3store works around it). haul
// uploads abort must find every upload to abort, and a run's check for lost uploads must
// not stop at the first page.
func testListUploadsPaging(t *testing.T, s *suite) {
	if _, ok := s.Store.(UploadLister); !ok {
		t.Skip("the store has no ListUploads (optional)")
	}
	// 999 keys with one upload each, then a key with three (the 1,000th upload, which ends
	// the first page, is the first of them), then keys with one each up to pageSize.
	var keys []string
	for i := range pageSize - 2 {
		keys = append(keys, fmt.Sprintf("up/%04d", i))
		if i == 999 {
			keys = append(keys, keys[len(keys)-1], keys[len(keys)-1])
		}
	}
	want := make([]string, len(keys))
	err := parallel(len(keys), func(i int) error {
		id, err := s.CreateMultipartUpload(t.Context(), s.ref(keys[i]), nil)
		want[i] = keys[i] + " " + id
		return err
	})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var got []string
	for _, u := range s.uploads(t, "up/") {
		got = append(got, u.Key+" "+u.UploadID)
	}
	if s.q.UploadsInCreationOrder {
		t.Log("Quirks.UploadsInCreationOrder: the order of uploads created in parallel is not checked")
	} else if !slices.IsSortedFunc(got, compareKeys) {
		t.Errorf("ListUploads is not in key order")
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ListUploads gave %d uploads (%d distinct); want the %d created", len(got), len(slices.Compact(slices.Clone(got))), len(want))
	}
}

func first(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}
