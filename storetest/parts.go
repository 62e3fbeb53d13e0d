package storetest

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"github.com/haul-s3/haul/object"
)

func partTests() []test {
	return []test{
		{"PartNumbers", testPartNumbers},
		{"PartNumberOfSinglePart", testPartNumberOfSinglePart},
	}
}

// partGetter returns the store's PartGetter, or skips the test saying the store has none.
func (s *suite) partGetter(t *testing.T) PartGetter {
	t.Helper()
	pg, ok := s.Store.(PartGetter)
	if !ok {
		t.Skip("the store cannot read objects by part number (no PartGetter)")
	}
	return pg
}

// testPartNumbers: HeadObject and GetObject with partNumber answer for that part of a
// multipart object: the number of parts, the part's length and offset, and (with checksum
// mode) the checksum it was uploaded with; a GET gives the part's bytes and honours
// If-Match. The engine learns a multipart object's part layout from the HEADs of its first
// and last parts and verifies each part it downloads against its checksum, or all of them
// against the multipart ETag; the quirks say where a server gives less.
func testPartNumbers(t *testing.T, s *suite) {
	pg := s.partGetter(t)
	const mib = 1 << 20
	data := [][]byte{randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(mib)}
	for _, alg := range []string{object.ChecksumCRC32, ""} {
		key := "parts-" + alg
		u := s.create(t, key, &object.Options{Checksum: alg})
		var parts []object.Part
		for i, d := range data {
			var sum object.Checksum
			if alg != "" {
				sum = checksum(alg, d)
			}
			parts = append(parts, u.part(t, int32(i+1), d, sum))
		}
		u.complete(t, parts...)
		etag := s.head(t, key).ETag
		if etag != multipartETag(data...) {
			t.Fatalf("%s: ETag %q; want %q", key, etag, multipartETag(data...))
		}
		offsets := []int64{0, 5 * mib, 10 * mib}
		wantSum := func(i int) object.Checksum {
			if alg == "" || s.q.PartChecksumsNotGiven {
				return object.Checksum{}
			}
			return parts[i].Checksum
		}
		for _, i := range []int{0, 2} {
			got, err := pg.HeadObjectPart(t.Context(), s.ref(key), int32(i+1))
			if err != nil {
				t.Fatalf("HeadObjectPart %s %d: %v", key, i+1, err)
			}
			want := object.PartInfo{Number: int32(i + 1), Count: 3, Offset: offsets[i], Length: int64(len(data[i])), ETag: etag, Checksum: wantSum(i)}
			if s.q.PartHeadIsPartsOwn {
				want.Offset, want.ETag = -1, md5Hex(data[i])
			}
			got.Metadata = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("HeadObjectPart %s %d: %+v; want %+v", key, i+1, got, want)
			}
		}

		body, got, err := pg.GetObjectPart(t.Context(), s.ref(key), 2, etag)
		if err != nil {
			t.Fatalf("GetObjectPart %s 2: %v", key, err)
		}
		b, err := io.ReadAll(body)
		body.Close()
		if err != nil {
			t.Fatalf("GetObjectPart %s 2: reading: %v", key, err)
		}
		want := object.PartInfo{Number: 2, Count: 3, Offset: 5 * mib, Length: 5 * mib, ETag: etag, Checksum: wantSum(1)}
		wantData := data[1]
		if s.q.GetIgnoresPartNumber {
			want = object.PartInfo{Number: 2, Offset: -1, Length: 11 * mib, ETag: etag}
			wantData = bytes.Join(data, nil)
		}
		got.Metadata = nil
		if !reflect.DeepEqual(got, want) || !bytes.Equal(b, wantData) {
			t.Errorf("GetObjectPart %s 2: %+v and %d bytes (right: %v); want %+v and %d", key, got, len(b), bytes.Equal(b, wantData), want, len(wantData))
		}

		_, _, err = pg.GetObjectPart(t.Context(), s.ref(key), 1, md5Hex(nil))
		wantError(t, "GetObjectPart with an If-Match of another ETag", err, behaviour{PreconditionFailed: true}, "")
	}
}

// testPartNumberOfSinglePart: part 1 of an object put in one request is the whole object,
// with no part count. The engine asks for part 1 only of objects whose ETag says they were
// uploaded in parts, but a server's answer for another must not pass for a layout.
func testPartNumberOfSinglePart(t *testing.T, s *suite) {
	pg := s.partGetter(t)
	data := randomBytes(100 << 10)
	s.put(t, "single", data, nil, object.Checksum{})
	got, err := pg.HeadObjectPart(t.Context(), s.ref("single"), 1)
	if err != nil {
		t.Fatalf("HeadObjectPart: %v", err)
	}
	if got.Count != 0 || got.Length != int64(len(data)) {
		t.Errorf("HeadObjectPart of a single-part object: %+v; want no part count and length %d", got, len(data))
	}
}
