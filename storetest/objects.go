package storetest

import (
	"bytes"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

func objectTests() []test {
	return []test{
		{"RoundTrip", testRoundTrip},
		{"EmptyObject", testEmptyObject},
		{"RangedGet", testRangedGet},
		{"IfMatch", testIfMatch},
		{"MissingKey", testMissingKey},
		{"MissingBucket", testMissingBucket},
		{"Checksums", testChecksums},
		{"BadChecksum", testBadChecksum},
		{"ImplicitChecksum", testImplicitChecksum},
		{"Keys", testKeys},
		{"Delete", testDelete},
	}
}

// testRoundTrip: a PutObject's bytes come back from GetObject, and HeadObject reports the
// size, the MD5 ETag without quotes, a current LastModified, the content type and the user
// metadata, with its keys in lower case (HTTP headers carry them). The engine records the
// whole file's checksum in metadata (haul-checksum) and reads it back from HEAD or from the
// GET body (the optional Metadata method) to verify downloads; it verifies a single-part
// download against the MD5 ETag; sync compares LastModified.
func testRoundTrip(t *testing.T, s *suite) {
	data := randomBytes(100 << 10)
	meta := map[string]string{"haul-checksum": "crc32c:AAAAAA==", "Mixed-Case": "Value Kept"}
	wantMeta := map[string]string{"haul-checksum": "crc32c:AAAAAA==", "mixed-case": "Value Kept"}
	start := time.Now()
	s.put(t, "dir/object.bin", data, &object.Options{Metadata: meta, ContentType: "application/x-test"}, object.Checksum{})
	end := time.Now()

	info := s.head(t, "dir/object.bin")
	if info.Key != "dir/object.bin" || info.Size != int64(len(data)) || info.ETag != md5Hex(data) {
		t.Fatalf("HeadObject: key %q, size %d, ETag %q; want %q, %d, %q", info.Key, info.Size, info.ETag, "dir/object.bin", len(data), md5Hex(data))
	}
	if info.ContentType != "application/x-test" {
		t.Errorf("HeadObject: content type %q; want application/x-test", info.ContentType)
	}
	if !maps.Equal(info.Metadata, wantMeta) {
		t.Errorf("HeadObject: metadata %v; want %v", info.Metadata, wantMeta)
	}
	recent(t, "HeadObject's LastModified", info.LastModified, start, end)

	got, bodyMeta, err := s.tryGet(t.Context(), "dir/object.bin", 0, -1, "")
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("GetObject gave %d bytes, not the %d put", len(got), len(data))
	}
	if bodyMeta != nil && !maps.Equal(bodyMeta, wantMeta) {
		t.Errorf("GetObject body's Metadata: %v; want %v", bodyMeta, wantMeta)
	}
}

// testEmptyObject: an object of no bytes can be put, has the MD5 ETag of nothing and comes
// back empty from a GET of the whole object. The engine uploads empty files with one
// PutObject and downloads them with one GET without a range.
func testEmptyObject(t *testing.T, s *suite) {
	s.put(t, "empty", nil, nil, checksum(object.ChecksumCRC32C, nil))
	info := s.head(t, "empty")
	if info.Size != 0 || info.ETag != md5Hex(nil) {
		t.Fatalf("HeadObject: size %d, ETag %q; want 0, %q", info.Size, info.ETag, md5Hex(nil))
	}
	if got := s.get(t, "empty", 0, -1, info.ETag); len(got) != 0 {
		t.Fatalf("GetObject gave %d bytes; want none", len(got))
	}
}

// testRangedGet: GetObject returns exactly the bytes of the range asked for; a length past
// the end stops at the end; a range that starts at the end is an error that is not worth
// retrying. The engine downloads a large object as parallel ranged GETs written at their
// offsets, and fails a range that brings a byte too few or too many.
func testRangedGet(t *testing.T, s *suite) {
	data := randomBytes(1000)
	s.put(t, "ranged", data, nil, object.Checksum{})
	etag := md5Hex(data)
	for _, c := range []struct {
		off, length int64
		want        []byte
	}{
		{0, -1, data},
		{0, 1, data[:1]},
		{1, 10, data[1:11]},
		{500, 500, data[500:]},
		{999, 1, data[999:]},
		{10, -1, data[10:]},
		{990, 100, data[990:]},
	} {
		if got := s.get(t, "ranged", c.off, c.length, etag); !bytes.Equal(got, c.want) {
			t.Errorf("GetObject [%d, +%d): %d bytes, not the %d wanted", c.off, c.length, len(got), len(c.want))
		}
	}
	_, _, err := s.tryGet(t.Context(), "ranged", 1000, 10, "")
	wantError(t, "GetObject of a range starting at the end", err, behaviour{}, "")
}

// testIfMatch: a GET with If-Match succeeds while the object's ETag is the one given, and
// fails with PreconditionFailed (and nothing else) once the object has been replaced. The
// engine pins every ranged GET of one download to the ETag of its HEAD, so that a file is
// never stitched from two versions of an object; it restarts the item on PreconditionFailed.
func testIfMatch(t *testing.T, s *suite) {
	first, second := randomBytes(100), randomBytes(100)
	s.put(t, "changing", first, nil, object.Checksum{})
	etag := s.head(t, "changing").ETag
	if got := s.get(t, "changing", 0, 50, etag); !bytes.Equal(got, first[:50]) {
		t.Fatal("GetObject with a matching If-Match gave other bytes")
	}
	s.put(t, "changing", second, nil, object.Checksum{})
	if now := s.head(t, "changing").ETag; now != md5Hex(second) {
		t.Fatalf("after overwriting, HeadObject's ETag is %q; want %q", now, md5Hex(second))
	}
	_, _, err := s.tryGet(t.Context(), "changing", 50, 50, etag)
	wantError(t, "GetObject with the old ETag as If-Match", err, behaviour{PreconditionFailed: true}, "PreconditionFailed")
	_, _, err = s.tryGet(t.Context(), "changing", 0, -1, etag)
	wantError(t, "GetObject of the whole object with the old ETag as If-Match", err, behaviour{PreconditionFailed: true}, "PreconditionFailed")
}

// testMissingKey: HEAD and GET of a key with no object, in a bucket that exists, fail with
// NotFound (and nothing else; in particular not StopsRun), also with an If-Match. The engine
// fails that one item and goes on with the others, and a download of a prefix that lost a
// key between listing and GET reports that key.
func testMissingKey(t *testing.T, s *suite) {
	_, err := s.HeadObject(t.Context(), s.ref("no/such/key"))
	wantError(t, "HeadObject of a missing key", err, behaviour{NotFound: true}, "NoSuchKey")
	_, _, err = s.tryGet(t.Context(), "no/such/key", 0, -1, "")
	wantError(t, "GetObject of a missing key", err, behaviour{NotFound: true}, "NoSuchKey")
	_, _, err = s.tryGet(t.Context(), "no/such/key", 0, 10, md5Hex(nil))
	wantError(t, "GetObject of a missing key with If-Match", err, behaviour{NotFound: true}, "")
}

// testMissingBucket: every request to a bucket that does not exist fails with NotFound and
// StopsRun, and names NoSuchBucket, not NoSuchKey. The engine stops a run at the first such
// failure instead of failing each of a million items in turn, and the CLI advises creating
// the bucket.
func testMissingBucket(t *testing.T, s *suite) {
	ctx := t.Context()
	ref := object.Ref{Bucket: missingBucket(), Key: "key"}
	want := behaviour{NotFound: true, StopsRun: true}
	_, err := s.HeadObject(ctx, ref)
	wantError(t, "HeadObject in a missing bucket", err, want, "NoSuchBucket")
	_, err = s.GetObject(ctx, ref, 0, -1, "")
	wantError(t, "GetObject in a missing bucket", err, want, "NoSuchBucket")
	_, err = s.PutObject(ctx, ref, bytes.NewReader([]byte("x")), 1, nil, object.Checksum{})
	wantError(t, "PutObject in a missing bucket", err, want, "NoSuchBucket")
	_, err = s.CreateMultipartUpload(ctx, ref, nil)
	wantError(t, "CreateMultipartUpload in a missing bucket", err, want, "NoSuchBucket")
	err = s.List(ctx, ref.Bucket, "", func(object.Info) error { return nil })
	wantError(t, "List of a missing bucket", err, want, "NoSuchBucket")
	if l, ok := s.Store.(UploadLister); ok {
		err = l.ListUploads(ctx, ref.Bucket, "", func(object.Upload) error { return nil })
		wantError(t, "ListUploads of a missing bucket", err, want, "NoSuchBucket")
	}
}

// testChecksums: a PutObject with a checksum of every algorithm the engine sends is
// accepted, and HeadObject reports the checksums other than MD5 (sent as Content-MD5) as
// the object's whole checksum. The engine sends one with every body, and checks a download
// of an object without haul's metadata against the server's whole checksum.
func testChecksums(t *testing.T, s *suite) {
	data := randomBytes(3000)
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			sum := checksum(alg, data)
			s.put(t, "sum/"+alg, data, nil, sum)
			info := s.head(t, "sum/"+alg)
			want := sum
			if alg == object.ChecksumMD5 {
				want = object.Checksum{}
				if s.q.ImplicitChecksum != "" {
					want = checksum(s.q.ImplicitChecksum, data)
				}
			}
			if info.Checksum != want {
				t.Errorf("HeadObject's checksum is %+v; want %+v", info.Checksum, want)
			}
			if info.ETag != md5Hex(data) {
				t.Errorf("HeadObject's ETag is %q; want the MD5 %q", info.ETag, md5Hex(data))
			}
		})
	}
}

// testBadChecksum: a PutObject whose checksum does not match its body fails with an error
// that is Retryable (and nothing else), and stores nothing. The engine takes that as
// corruption in transit and sends the body again. With Quirks.ChecksumsNotVerified the
// store is asserted to store the body instead.
func testBadChecksum(t *testing.T, s *suite) {
	data, other := randomBytes(2000), randomBytes(2000)
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			key := "bad/" + alg
			_, err := s.PutObject(t.Context(), s.ref(key), bytes.NewReader(data), int64(len(data)), nil, checksum(alg, other))
			if s.q.ChecksumsNotVerified {
				if err != nil {
					t.Fatalf("PutObject with a wrong checksum failed (%v); Quirks.ChecksumsNotVerified says it is stored: drop the quirk", err)
				}
				if got := s.get(t, key, 0, -1, ""); !bytes.Equal(got, data) {
					t.Fatal("PutObject with a wrong checksum stored other bytes than the body")
				}
				return
			}
			wantError(t, "PutObject with a wrong "+alg+" checksum", err, behaviour{Retryable: true}, "")
			s.absent(t, key)
		})
	}
}

// testImplicitChecksum: an object put without a checksum has no whole checksum, or, with
// Quirks.ImplicitChecksum, the right checksum of that algorithm. The engine checks a
// download against a CRC that HeadObject reports, so a wrong one would fail it.
func testImplicitChecksum(t *testing.T, s *suite) {
	data := randomBytes(1234)
	s.put(t, "unsummed", data, nil, object.Checksum{})
	var want object.Checksum
	if s.q.ImplicitChecksum != "" {
		want = checksum(s.q.ImplicitChecksum, data)
	}
	if got := s.head(t, "unsummed").Checksum; got != want {
		t.Fatalf("HeadObject's checksum of an object put without one is %+v; want %+v", got, want)
	}
}

// testKeys: keys with characters that URLs and forms treat specially (space, +, %, &, =, ?,
// #, ~) and non-ASCII ones are stored, listed, read and described as given, byte for byte.
// The engine makes keys from local file names; a '+' that became a space would put a file
// under another name, and sync would upload it again on every run.
func testKeys(t *testing.T, s *suite) {
	keys := []string{
		"k/a b.txt", "k/a+b.txt", "k/a%20b.txt", "k/a&b=c;d,e.txt", "k/q?x#y", "k/~tilde(1)!*'",
		"k/ünïcødé/日本語.txt", "k/emoji-😀",
	}
	for _, k := range keys {
		s.put(t, k, []byte(k), nil, object.Checksum{})
	}
	for _, k := range keys {
		if got := s.get(t, k, 0, -1, ""); string(got) != k {
			t.Errorf("GetObject %q gave %q", k, got)
		}
		if info := s.head(t, k); info.Key != k || info.Size != int64(len(k)) {
			t.Errorf("HeadObject %q: key %q, size %d", k, info.Key, info.Size)
		}
	}
	listed := s.keys(t, "k/")
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(listed, want) {
		t.Fatalf("List gave %q; want %q", listed, want)
	}
}

// testDelete: DeleteObject removes an object, and deleting a key that has none succeeds;
// DeleteObjects removes many at once and reports no error for keys that had none. haul rm
// and sync --delete rely on a delete of something already gone counting as done, so that a
// repeated run converges.
func testDelete(t *testing.T, s *suite) {
	d, ok := s.Store.(Deleter)
	if !ok {
		t.Skip("the store has no DeleteObject and DeleteObjects (optional)")
	}
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c", "d"} {
		s.put(t, k, []byte(k), nil, object.Checksum{})
	}
	if err := d.DeleteObject(ctx, s.ref("a")); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	s.absent(t, "a")
	if err := d.DeleteObject(ctx, s.ref("a")); err != nil {
		t.Fatalf("DeleteObject of a key already deleted: %v", err)
	}
	failed, err := d.DeleteObjects(ctx, s.bucket, []string{"b", "c", "missing"})
	if err != nil || len(failed) != 0 {
		t.Fatalf("DeleteObjects: %v, failed keys %v", err, failed)
	}
	if got := s.keys(t, ""); !slices.Equal(got, []string{"d"}) {
		t.Fatalf("after deleting, List gives %q; want [d]", got)
	}
	err = d.DeleteObject(ctx, object.Ref{Bucket: missingBucket(), Key: "a"})
	wantError(t, "DeleteObject in a missing bucket", err, behaviour{NotFound: true, StopsRun: true}, "NoSuchBucket")
}
