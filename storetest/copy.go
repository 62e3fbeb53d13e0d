package storetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/haul-s3/haul/object"
)

// Copier is the optional capability of copying within the store (transfer.Copier).
type Copier interface {
	CopyObject(ctx context.Context, dst object.Ref, src object.CopySource, o *object.Options) (object.Written, error)
	UploadPartCopy(ctx context.Context, dst object.Ref, uploadID string, num int32, src object.CopySource) (object.Part, error)
}

// Describer is the optional capability of describing an object with its upload
// properties (transfer.Describer).
type Describer interface {
	DescribeObject(ctx context.Context, ref object.Ref) (object.Info, object.Options, error)
}

func copyTests() []test {
	return []test{
		{"CopyObject", testCopyObject},
		{"CopyObjectReplace", testCopyObjectReplace},
		{"CopyObjectChanged", testCopyObjectChanged},
		{"UploadPartCopy", testUploadPartCopy},
		{"Describe", testDescribe},
	}
}

func (s *suite) copier(t *testing.T) Copier {
	c, ok := s.Store.(Copier)
	if !ok {
		t.Skip("the store cannot copy (no CopyObject, UploadPartCopy)")
	}
	return c
}

// A copy of a small object (Copy item up to the multipart threshold) is one CopyObject:
// the bytes, metadata, content type and cache control of the source (directive COPY), and
// the ETag it returns is the copy's (the Done event reports it). A key with characters
// that must be escaped in x-amz-copy-source copies too.
func testCopyObject(t *testing.T, s *suite) {
	c := s.copier(t)
	data := randomBytes(1000)
	src := "src dir/ä+b&c=d?.txt"
	s.put(t, src, data, &object.Options{Metadata: map[string]string{"team": "blue"}, ContentType: "text/plain", CacheControl: "no-cache"}, object.Checksum{})
	info := s.head(t, src)
	w, err := c.CopyObject(t.Context(), s.ref("dst"), object.CopySource{Ref: s.ref(src), ETag: info.ETag}, &object.Options{})
	etag := w.ETag
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	got := s.head(t, "dst")
	if got.ETag != etag || etag != info.ETag {
		t.Errorf("the copy's ETag %q, CopyObject said %q, the source's %q", got.ETag, etag, info.ETag)
	}
	if got.Metadata["team"] != "blue" || got.ContentType != "text/plain" {
		t.Errorf("metadata %v, content type %q: not copied", got.Metadata, got.ContentType)
	}
	if d, ok := s.Store.(Describer); ok {
		if _, o, err := d.DescribeObject(t.Context(), s.ref("dst")); err != nil || o.CacheControl != "no-cache" {
			t.Errorf("cache control %q (%v): not copied", o.CacheControl, err)
		}
	}
	if b := s.get(t, "dst", 0, -1, ""); !bytes.Equal(b, data) {
		t.Error("the copy's bytes differ")
	}
}

// With ReplaceMetadata the copy takes the metadata and content type given (directive
// REPLACE: haul cp --metadata-directive REPLACE).
func testCopyObjectReplace(t *testing.T, s *suite) {
	c := s.copier(t)
	s.put(t, "src", randomBytes(100), &object.Options{Metadata: map[string]string{"team": "blue"}, ContentType: "text/plain"}, object.Checksum{})
	_, err := c.CopyObject(t.Context(), s.ref("dst"), object.CopySource{Ref: s.ref("src"), ReplaceMetadata: true},
		&object.Options{Metadata: map[string]string{"owner": "ops"}, ContentType: "application/json"})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	got := s.head(t, "dst")
	if got.Metadata["owner"] != "ops" || got.Metadata["team"] != "" || got.ContentType != "application/json" {
		t.Errorf("metadata %v, content type %q: not replaced", got.Metadata, got.ContentType)
	}
}

// A copy pinned to an ETag the source no longer has fails with PreconditionFailed (the
// engine pins every copy to the ETag it saw, so a source that changes while it is copied
// in parts fails instead of mixing two versions), unless the store has the quirk
// CopySourceIfMatchIgnored; a missing source is NotFound.
func testCopyObjectChanged(t *testing.T, s *suite) {
	c := s.copier(t)
	s.put(t, "src", randomBytes(100), nil, object.Checksum{})
	old := s.head(t, "src").ETag
	s.put(t, "src", randomBytes(100), nil, object.Checksum{})
	want := behaviour{PreconditionFailed: true}
	_, err := c.CopyObject(t.Context(), s.ref("dst"), object.CopySource{Ref: s.ref("src"), ETag: old}, nil)
	if s.q.CopySourceIfMatchIgnored {
		if err != nil {
			t.Errorf("CopyObject of a changed source: %v; the quirk CopySourceIfMatchIgnored is gone", err)
		}
	} else {
		checkError(t, "CopyObject of a changed source", err, want, "")
	}
	u := s.create(t, "dst2", nil)
	_, err = c.UploadPartCopy(t.Context(), u.ref, u.id, 1, object.CopySource{Ref: s.ref("src"), ETag: old})
	_ = s.AbortMultipartUpload(t.Context(), u.ref, u.id)
	if s.q.CopySourceIfMatchIgnored {
		if err != nil {
			t.Errorf("UploadPartCopy of a changed source: %v; the quirk CopySourceIfMatchIgnored is gone", err)
		}
	} else {
		checkError(t, "UploadPartCopy of a changed source", err, want, "")
	}
	_, err = c.CopyObject(t.Context(), s.ref("dst"), object.CopySource{Ref: s.ref("missing")}, nil)
	checkError(t, "CopyObject of a missing source", err, behaviour{NotFound: true}, "")
}

// UploadPartCopy makes parts from ranges of another object; with a checksum algorithm
// declared at creation, the part's checksum comes back (the engine lists it at
// completion) unless the store has the quirk PartCopyChecksumNotGiven, or refuses such a
// part outright with the quirk PartCopyChecksumRefused (the engine declares no algorithm
// for a server-side copy unless the caller names one).
func testUploadPartCopy(t *testing.T, s *suite) {
	c := s.copier(t)
	data := randomBytes(6<<20 + 100)
	s.put(t, "src", data, nil, object.Checksum{})
	etag := s.head(t, "src").ETag
	for _, alg := range []string{"", object.ChecksumCRC32C} {
		dst := "dst" + alg
		u := s.create(t, dst, &object.Options{Checksum: alg, Metadata: map[string]string{"team": "red"}})
		var parts []object.Part
		for i, r := range [][2]int64{{0, 5 << 20}, {5 << 20, int64(len(data)) - 5<<20}} {
			p, err := c.UploadPartCopy(t.Context(), u.ref, u.id, int32(i+1), object.CopySource{Ref: s.ref("src"), ETag: etag, Offset: r[0], Length: r[1]})
			if alg != "" && s.q.PartCopyChecksumRefused {
				_ = s.AbortMultipartUpload(t.Context(), u.ref, u.id)
				if err == nil {
					t.Errorf("UploadPartCopy into a %s upload succeeded: the quirk PartCopyChecksumRefused is gone", alg)
				}
				return
			}
			if err != nil {
				t.Fatalf("UploadPartCopy %d (%s): %v", i+1, alg, err)
			}
			if p.Number != int32(i+1) || p.Size != r[1] || p.ETag == "" {
				t.Errorf("part %+v", p)
			}
			wantSum := alg != "" && !s.q.PartCopyChecksumNotGiven
			if wantSum && p.Checksum != object.Sum(alg, data[r[0]:r[0]+r[1]]) {
				t.Errorf("part %d checksum %v, want the %s of its bytes", i+1, p.Checksum, alg)
			}
			if !wantSum && alg != "" && p.Checksum.Value != "" {
				t.Errorf("part %d has checksum %v: the quirk PartCopyChecksumNotGiven is gone", i+1, p.Checksum)
			}
			parts = append(parts, p)
		}
		if _, err := s.CompleteMultipartUpload(t.Context(), u.ref, u.id, parts); err != nil {
			t.Fatalf("CompleteMultipartUpload (%s): %v", alg, err)
		}
		if b := s.get(t, dst, 0, -1, ""); !bytes.Equal(b, data) {
			t.Errorf("the copy's bytes differ (%s)", alg)
		}
		if m := s.head(t, dst).Metadata; m["team"] != "red" {
			t.Errorf("metadata %v: the upload's was not kept", m)
		}
	}
}

// DescribeObject tells the properties a copy keeps: content type, cache control, user
// metadata, as HeadObject tells size and ETag.
func testDescribe(t *testing.T, s *suite) {
	d, ok := s.Store.(Describer)
	if !ok {
		t.Skip("the store cannot describe objects (no DescribeObject)")
	}
	s.put(t, "k", randomBytes(10), &object.Options{Metadata: map[string]string{"team": "blue"}, ContentType: "text/plain", CacheControl: "max-age=60"}, object.Checksum{})
	info, o, err := d.DescribeObject(t.Context(), s.ref("k"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 10 || info.ETag != s.head(t, "k").ETag || o.ContentType != "text/plain" || o.CacheControl != "max-age=60" || o.Metadata["team"] != "blue" {
		t.Errorf("info %+v, options %+v", info, o)
	}
}
