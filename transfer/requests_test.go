package transfer

import (
	"testing"

	"github.com/haul-s3/haul/object"
)

func TestRequestsOfAnItem(t *testing.T) {
	e := New(newFake(), Options{MultipartThreshold: 16 * mib, PartSize: 5 * mib})
	for _, c := range []struct {
		name string
		it   Item
		want Requests
		text string
	}{
		{"small upload", Item{Op: Upload, Size: 10}, Requests{PutObject: 1}, "1 PutObject"},
		{"upload at the threshold", Item{Op: Upload, Size: 16 * mib}, Requests{PutObject: 1}, "1 PutObject"},
		{"multipart upload", Item{Op: Upload, Size: 16*mib + 1}, Requests{CreateMultipartUpload: 1, UploadPart: 4, CompleteMultipartUpload: 1},
			"1 CreateMultipartUpload + 4 UploadPart + 1 CompleteMultipartUpload"},
		{"stream upload", Item{Op: Upload, Size: -1, Path: "-"}, Requests{CreateMultipartUpload: 1, UploadPart: -1, CompleteMultipartUpload: 1},
			"1 CreateMultipartUpload + ? UploadPart + 1 CompleteMultipartUpload"},
		{"small download", Item{Op: Download, Size: 10}, Requests{GetObject: 1}, "1 GetObject"},
		{"ranged download", Item{Op: Download, Size: 20 * mib}, Requests{RangedGet: 4}, "4 ranged GetObject"},
		{"download after a HEAD", Item{Op: Download, Size: 10, head: &object.Info{}}, Requests{HeadObject: 1, GetObject: 1}, "1 HeadObject + 1 GetObject"},
		{"refused item", Item{Op: Download, Size: 10, Err: errStallHere}, Requests{}, "none"},
	} {
		got, err := e.Requests(c.it)
		if err != nil || got != c.want || got.String() != c.text {
			t.Errorf("%s: %+v %q, %v; want %+v %q", c.name, got, got.String(), err, c.want, c.text)
		}
	}
	var total Requests
	total.Add(Requests{PutObject: 2})
	total.Add(Requests{UploadPart: -1})
	total.Add(Requests{PutObject: 1, UploadPart: 3})
	if total.PutObject != 3 || total.UploadPart != -1 {
		t.Errorf("sum %+v: want 3 PutObject and an unknown part count", total)
	}
}

func TestRequestsOfACopy(t *testing.T) {
	st := newCopyStore("a", "b")
	same := New(st, Options{MultipartThreshold: 16 * mib, PartSize: 5 * mib})
	between := New(st, Options{MultipartThreshold: 16 * mib, PartSize: 5 * mib, Source: newCopyStore("a")})
	for _, c := range []struct {
		name string
		e    *Engine
		it   Item
		text string
	}{
		{"small copy", same, Item{Op: Copy, Size: 10}, "1 HeadObject + 1 CopyObject"},
		{"copy after a HEAD", same, Item{Op: Copy, Size: 10, head: &object.Info{}}, "1 HeadObject + 1 CopyObject"}, // the copy takes its answer
		{"multipart copy", same, Item{Op: Copy, Size: 16*mib + 1}, "1 HeadObject + 1 CreateMultipartUpload + 1 CompleteMultipartUpload + 4 UploadPartCopy"},
		{"small move", same, Item{Op: Copy, Size: 10, Move: true}, "1 HeadObject + 1 CopyObject + 1 DeleteObject"},
		{"small copy between stores", between, Item{Op: Copy, Size: 10}, "1 HeadObject + 1 PutObject + 1 GetObject"},
		{"multipart copy between stores", between, Item{Op: Copy, Size: 16*mib + 1},
			"1 HeadObject + 1 CreateMultipartUpload + 4 UploadPart + 1 CompleteMultipartUpload + 4 ranged GetObject"},
		{"moved download", same, Item{Op: Download, Size: 10, Move: true}, "1 GetObject + 1 DeleteObject"},
	} {
		got, err := c.e.Requests(c.it)
		if err != nil || got.String() != c.text {
			t.Errorf("%s: %q, %v; want %q", c.name, got.String(), err, c.text)
		}
	}
}

// A copy from a store that tells grants and tags counts the GetObjectAcl beside its HEAD
// (not with a canned ACL or IgnoreGrants) and, when it is not one CopyObject, the
// GetObjectTagging it makes when the source has tags: unknown ("?") without a HEAD first.
func TestRequestsOfACopyWithGrantsAndTags(t *testing.T) {
	st := &propsStore{copyStore: newCopyStore("a", "b")}
	opts := Options{MultipartThreshold: 16 * mib, PartSize: 5 * mib}
	same := New(st, opts)
	ignore := opts
	ignore.IgnoreGrants, ignore.Object.Tags = true, map[string]string{"a": "b"}
	given := New(st, ignore)
	for _, c := range []struct {
		name string
		e    *Engine
		it   Item
		text string
	}{
		{"small copy", same, Item{Op: Copy, Size: 10}, "1 HeadObject + 1 GetObjectAcl + 1 CopyObject"},
		{"with a canned ACL", same, Item{Op: Copy, Size: 10, Options: &object.Options{ACL: "private"}}, "1 HeadObject + 1 CopyObject"},
		{"multipart copy from a listing", same, Item{Op: Copy, Size: 16*mib + 1},
			"1 HeadObject + 1 GetObjectAcl + ? GetObjectTagging + 1 CreateMultipartUpload + 1 CompleteMultipartUpload + 4 UploadPartCopy"},
		{"multipart copy of tagged object", same, Item{Op: Copy, Size: 16*mib + 1, head: &object.Info{TagCount: 2}},
			"1 HeadObject + 1 GetObjectAcl + 1 GetObjectTagging + 1 CreateMultipartUpload + 1 CompleteMultipartUpload + 4 UploadPartCopy"},
		{"multipart copy of untagged object", same, Item{Op: Copy, Size: 16*mib + 1, head: &object.Info{}},
			"1 HeadObject + 1 GetObjectAcl + 1 CreateMultipartUpload + 1 CompleteMultipartUpload + 4 UploadPartCopy"},
		{"IgnoreGrants and tags given", given, Item{Op: Copy, Size: 16*mib + 1},
			"1 HeadObject + 1 CreateMultipartUpload + 1 CompleteMultipartUpload + 4 UploadPartCopy"},
	} {
		got, err := c.e.Requests(c.it)
		if err != nil || got.String() != c.text {
			t.Errorf("%s: %q, %v; want %q", c.name, got.String(), err, c.text)
		}
	}
}
