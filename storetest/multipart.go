package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

func multipartTests() []test {
	return []test{
		{"Multipart", testMultipart},
		{"MultipartChecksums", testMultipartChecksums},
		{"CompleteAgain", testCompleteAgain},
		{"PartTooSmall", testPartTooSmall},
		{"WrongPartETag", testWrongPartETag},
		{"WrongPartChecksum", testWrongPartChecksum},
		{"BadPartChecksum", testBadPartChecksum},
		{"ReplacePart", testReplacePart},
		{"Abort", testAbort},
		{"UnknownUpload", testUnknownUpload},
	}
}

// upload is one multipart upload under test.
type upload struct {
	s   *suite
	ref object.Ref
	id  string
}

// create starts a multipart upload of key, failing the test if it cannot.
func (s *suite) create(t *testing.T, key string, o *object.Options) *upload {
	t.Helper()
	id, err := s.CreateMultipartUpload(t.Context(), s.ref(key), o)
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s: %v", key, err)
	}
	if id == "" {
		t.Fatalf("CreateMultipartUpload %s returned no upload ID", key)
	}
	return &upload{s: s, ref: s.ref(key), id: id}
}

// part sends part num and returns it as CompleteMultipartUpload takes it, with the ETag as
// UploadPart returned it.
func (u *upload) part(t *testing.T, num int32, data []byte, sum object.Checksum) object.Part {
	t.Helper()
	etag, err := u.s.UploadPart(t.Context(), u.ref, u.id, num, bytes.NewReader(data), int64(len(data)), sum)
	if err != nil {
		t.Fatalf("UploadPart %d: %v", num, err)
	}
	if unquote(etag) != md5Hex(data) {
		t.Fatalf("UploadPart %d returned the ETag %q; want the part's MD5 %q (quotes allowed)", num, etag, md5Hex(data))
	}
	return object.Part{Number: num, ETag: etag, Size: int64(len(data)), Checksum: sum}
}

func (u *upload) complete(t *testing.T, parts ...object.Part) {
	t.Helper()
	if _, err := u.s.CompleteMultipartUpload(t.Context(), u.ref, u.id, parts); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
}

// listed returns the parts ListParts reports, with ETags unquoted.
func (u *upload) listed(t *testing.T, l PartLister) []object.Part {
	t.Helper()
	parts, err := l.ListParts(t.Context(), u.ref, u.id)
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	for i := range parts {
		parts[i].ETag = unquote(parts[i].ETag)
	}
	return parts
}

// gone fails the test unless the upload no longer exists: ListParts (when the store has it)
// says NotFound, and ListUploads (when it has that) does not list it.
func (u *upload) gone(t *testing.T) {
	t.Helper()
	if l, ok := u.s.Store.(PartLister); ok {
		_, err := l.ListParts(t.Context(), u.ref, u.id)
		wantError(t, "ListParts of an upload that is gone", err, behaviour{NotFound: true}, "NoSuchUpload")
	}
	for _, up := range u.s.uploads(t, u.ref.Key) {
		if up.UploadID == u.id {
			t.Fatalf("ListUploads still lists upload %s", u.id)
		}
	}
}

// uploads lists the incomplete uploads under prefix, or none when the store cannot.
func (s *suite) uploads(t *testing.T, prefix string) []object.Upload {
	t.Helper()
	l, ok := s.Store.(UploadLister)
	if !ok {
		return nil
	}
	var ups []object.Upload
	err := l.ListUploads(t.Context(), s.bucket, prefix, func(u object.Upload) error {
		ups = append(ups, u)
		return nil
	})
	if err != nil {
		t.Fatalf("ListUploads %q: %v", prefix, err)
	}
	return ups
}

// wantParts fails the test unless ListParts reports exactly these parts (ETags unquoted);
// with Quirks.PartChecksumsNotListed, with no checksums. A store without ListParts (an
// optional capability) is not asked, and the test log says so.
func (u *upload) wantParts(t *testing.T, want ...object.Part) {
	t.Helper()
	l, ok := u.s.Store.(PartLister)
	if !ok {
		t.Log("the store has no ListParts (optional): its parts are not checked")
		return
	}
	want = slices.Clone(want)
	for i := range want {
		want[i].ETag = unquote(want[i].ETag)
		if want[i].Checksum.Algorithm == object.ChecksumMD5 || u.s.q.PartChecksumsNotListed {
			want[i].Checksum = object.Checksum{}
		}
	}
	if got := u.listed(t, l); !slices.Equal(got, want) {
		t.Fatalf("ListParts gave %+v; want %+v", got, want)
	}
}

// wholeChecksum fails the test if HeadObject reports a whole checksum of a multipart object
// (uploaded with checksums of algorithm alg) that is not the checksum of its bytes. None is
// fine: S3's is a composite of the parts', which the store must not pass on. With
// Quirks.MultipartChecksumNotWhole it asserts that the checksum is there and wrong.
func (s *suite) wholeChecksum(t *testing.T, info object.Info, alg string, data []byte) {
	t.Helper()
	if s.q.MultipartChecksumNotWhole && alg != "" && alg != object.ChecksumMD5 {
		if info.Checksum.Value == "" || info.Checksum == checksum(info.Checksum.Algorithm, data) {
			t.Fatalf("HeadObject reports %+v for a multipart object: Quirks.MultipartChecksumNotWhole says a wrong checksum: drop the quirk", info.Checksum)
		}
		t.Logf("Quirks.MultipartChecksumNotWhole: HeadObject reports %+v for a multipart object whose bytes have %+v", info.Checksum, checksum(info.Checksum.Algorithm, data))
		return
	}
	if info.Checksum == (object.Checksum{}) {
		return
	}
	if want := checksum(info.Checksum.Algorithm, data); info.Checksum != want {
		t.Fatalf("HeadObject reports the whole checksum %+v of a multipart object; its bytes have %+v", info.Checksum, want)
	}
}

// testMultipart: an upload made of a 5 MiB part and a small last part, sent in reverse
// order with CRC32C checksums, is listed while incomplete (ListUploads with its key and a
// current Initiated time; ListParts with each part's number, MD5 ETag, size and checksum),
// and once completed is one object with the bytes in part order, the metadata and content
// type given at creation and the multipart ETag (MD5 of the parts' MD5s, "-2"), which a GET
// can be pinned to with If-Match; the upload is then gone. The engine sends parts
// concurrently in any order, resumes uploads from ListParts, finds uploads whose
// CreateMultipartUpload answer was lost by their Initiated time, recognises a completion
// whose answer was lost by the multipart ETag, and downloads multipart objects in ranges
// pinned to that ETag.
func testMultipart(t *testing.T, s *suite) {
	p1, p2 := randomBytes(5<<20), randomBytes(1000)
	whole := append(slices.Clone(p1), p2...)
	meta := map[string]string{"haul-checksum": "crc32c:AAAAAA=="}
	start := time.Now()
	u := s.create(t, "mp/object", &object.Options{Metadata: meta, ContentType: "application/x-test", Checksum: object.ChecksumCRC32C})
	end := time.Now()
	second := u.part(t, 2, p2, checksum(object.ChecksumCRC32C, p2))
	first := u.part(t, 1, p1, checksum(object.ChecksumCRC32C, p1))

	if _, ok := s.Store.(UploadLister); ok {
		ups := s.uploads(t, "mp/")
		if len(ups) != 1 || ups[0].Key != "mp/object" || ups[0].UploadID != u.id {
			t.Fatalf("ListUploads gave %+v; want the one upload %s of mp/object", ups, u.id)
		}
		if s.q.InitiatedNotReal {
			if !ups[0].Initiated.Before(start.Add(-time.Hour)) && !ups[0].Initiated.After(end.Add(time.Hour)) {
				t.Fatalf("ListUploads' Initiated is %v, the time of creation; Quirks.InitiatedNotReal says otherwise: drop the quirk", ups[0].Initiated)
			}
		} else {
			recent(t, "ListUploads' Initiated", ups[0].Initiated, start, end)
		}
	}
	u.wantParts(t, first, second)

	u.complete(t, first, second)
	info := s.head(t, "mp/object")
	if info.Size != int64(len(whole)) || info.ETag != multipartETag(p1, p2) {
		t.Fatalf("HeadObject: size %d, ETag %q; want %d, %q", info.Size, info.ETag, len(whole), multipartETag(p1, p2))
	}
	if info.ContentType != "application/x-test" || info.Metadata["haul-checksum"] != meta["haul-checksum"] {
		t.Errorf("HeadObject: content type %q, metadata %v; want those given at creation", info.ContentType, info.Metadata)
	}
	s.wholeChecksum(t, info, object.ChecksumCRC32C, whole)
	if got := s.get(t, "mp/object", 0, -1, info.ETag); !bytes.Equal(got, whole) {
		t.Fatal("GetObject of the multipart object gave other bytes")
	}
	if got := s.get(t, "mp/object", 5<<20-10, 20, info.ETag); !bytes.Equal(got, whole[5<<20-10:5<<20+10]) {
		t.Fatal("ranged GetObject across the parts' boundary gave other bytes")
	}
	u.gone(t)
}

// testMultipartChecksums: an upload declared with each checksum algorithm the engine uses
// (none, Content-MD5 or a flexible one) takes parts with that checksum, lists them with it
// (not for MD5), and completes with the parts' checksums given. A one-part upload may be of
// any size. The engine sends the option's checksum with every part and with the list of
// parts at completion.
func testMultipartChecksums(t *testing.T, s *suite) {
	data := randomBytes(4000)
	for _, alg := range append([]string{""}, algorithms...) {
		name := alg
		if name == "" {
			name = "none"
		}
		t.Run(name, func(t *testing.T) {
			var sum object.Checksum
			if alg != "" {
				sum = checksum(alg, data)
			}
			u := s.create(t, "mps/"+name, &object.Options{Checksum: alg})
			p := u.part(t, 1, data, sum)
			u.wantParts(t, p)
			u.complete(t, p)
			info := s.head(t, "mps/"+name)
			if info.Size != int64(len(data)) || info.ETag != multipartETag(data) {
				t.Fatalf("HeadObject: size %d, ETag %q; want %d, %q", info.Size, info.ETag, len(data), multipartETag(data))
			}
			s.wholeChecksum(t, info, alg, data)
		})
	}
}

// testCompleteAgain: completing an upload that was completed already (the engine's retry
// when the first answer was lost) either succeeds, with Quirks.CompleteAgainSucceeds, or
// fails with NotFound and nothing else; the object stays as completed. The engine, on
// NotFound after more than one attempt, checks with a HEAD that the object is the one its
// parts make, and counts the item done.
func testCompleteAgain(t *testing.T, s *suite) {
	data := randomBytes(1000)
	u := s.create(t, "again", nil)
	p := u.part(t, 1, data, object.Checksum{})
	u.complete(t, p)
	_, err := s.CompleteMultipartUpload(t.Context(), u.ref, u.id, []object.Part{p})
	if s.q.CompleteAgainSucceeds {
		if err != nil {
			t.Fatalf("completing again failed (%v); Quirks.CompleteAgainSucceeds says it succeeds", err)
		}
	} else {
		wantError(t, "CompleteMultipartUpload again", err, behaviour{NotFound: true}, "NoSuchUpload")
	}
	if info := s.head(t, "again"); info.ETag != multipartETag(data) {
		t.Fatalf("after completing again, the object's ETag is %q; want %q", info.ETag, multipartETag(data))
	}
}

// testPartTooSmall: completing with a part other than the last smaller than 5 MiB fails
// with EntityTooSmall, which is not worth retrying, and leaves the upload to be aborted.
// The engine keeps parts of at least 5 MiB and aborts an upload whose completion failed;
// the CLI advises a larger --part-size.
func testPartTooSmall(t *testing.T, s *suite) {
	a, b := randomBytes(1000), randomBytes(1000)
	u := s.create(t, "small", nil)
	pa, pb := u.part(t, 1, a, object.Checksum{}), u.part(t, 2, b, object.Checksum{})
	_, err := s.CompleteMultipartUpload(t.Context(), u.ref, u.id, []object.Part{pa, pb})
	wantError(t, "CompleteMultipartUpload with a small first part", err, behaviour{}, "EntityTooSmall")
	u.wantParts(t, pa, pb)
	if err := s.AbortMultipartUpload(t.Context(), u.ref, u.id); err != nil {
		t.Fatalf("AbortMultipartUpload after a failed completion: %v", err)
	}
	u.gone(t)
}

// testWrongPartETag: completing with an ETag that is not the part's fails with InvalidPart,
// which is neither retryable nor NotFound, and leaves the upload as it was. A resumed
// upload whose part was overwritten by a late request of the killed run meets this, which
// is why the engine lists the parts again before completing a resumed upload.
func testWrongPartETag(t *testing.T, s *suite) {
	data := randomBytes(1000)
	u := s.create(t, "wrongetag", nil)
	p := u.part(t, 1, data, object.Checksum{})
	bad := p
	bad.ETag = `"` + md5Hex([]byte("something else")) + `"`
	_, err := s.CompleteMultipartUpload(t.Context(), u.ref, u.id, []object.Part{bad})
	wantError(t, "CompleteMultipartUpload with a wrong ETag", err, behaviour{}, "InvalidPart")
	u.wantParts(t, p)
	u.complete(t, p)
}

// testWrongPartChecksum: completing with a part's checksum that is not the one it was
// stored with fails, and is neither retryable nor NotFound; the upload stays. The engine
// sends at completion the checksums it computed when it sent the parts. With
// Quirks.ChecksumsNotVerified the store is asserted to complete anyway.
func testWrongPartChecksum(t *testing.T, s *suite) {
	data := randomBytes(1000)
	u := s.create(t, "wrongsum", &object.Options{Checksum: object.ChecksumCRC32C})
	p := u.part(t, 1, data, checksum(object.ChecksumCRC32C, data))
	bad := p
	bad.Checksum = checksum(object.ChecksumCRC32C, []byte("something else"))
	_, err := s.CompleteMultipartUpload(t.Context(), u.ref, u.id, []object.Part{bad})
	if s.q.ChecksumsNotVerified {
		if err != nil {
			t.Fatalf("completing with a wrong part checksum failed (%v); Quirks.ChecksumsNotVerified says it succeeds: drop the quirk", err)
		}
		return
	}
	wantError(t, "CompleteMultipartUpload with a wrong part checksum", err, behaviour{}, "")
	u.complete(t, p)
}

// testBadPartChecksum: a part whose checksum does not match its body is refused with an
// error that is Retryable (and nothing else), and the upload does not hold it; sent again
// right, it is accepted. The engine sends such a part again. With
// Quirks.ChecksumsNotVerified the store is asserted to keep the part.
func testBadPartChecksum(t *testing.T, s *suite) {
	data := randomBytes(1000)
	u := s.create(t, "badpart", &object.Options{Checksum: object.ChecksumCRC32C})
	_, err := s.UploadPart(t.Context(), u.ref, u.id, 1, bytes.NewReader(data), int64(len(data)), checksum(object.ChecksumCRC32C, []byte("other")))
	if s.q.ChecksumsNotVerified {
		if err != nil {
			t.Fatalf("UploadPart with a wrong checksum failed (%v); Quirks.ChecksumsNotVerified says it is kept: drop the quirk", err)
		}
		return
	}
	wantError(t, "UploadPart with a wrong checksum", err, behaviour{Retryable: true}, "")
	u.wantParts(t)
	p := u.part(t, 1, data, checksum(object.ChecksumCRC32C, data))
	u.complete(t, p)
}

// testReplacePart: a part sent again with the same number replaces the first one, in
// ListParts and in the completed object. The engine sends a part again after a failure
// whose request may have landed, and after a resume finds a part not as it was sent.
func testReplacePart(t *testing.T, s *suite) {
	old, replacement := randomBytes(3000), randomBytes(2000)
	u := s.create(t, "replace", nil)
	u.part(t, 1, old, object.Checksum{})
	p := u.part(t, 1, replacement, object.Checksum{})
	u.wantParts(t, p)
	u.complete(t, p)
	if got := s.get(t, "replace", 0, -1, ""); !bytes.Equal(got, replacement) {
		t.Fatal("the object has other bytes than the part sent last")
	}
}

// testAbort: once aborted, an upload is gone: ListParts and UploadPart fail with NotFound,
// completing fails with NotFound (with Quirks.MissingUploadIs500, UploadPart and completing
// fail with a retryable HTTP 500), ListUploads no longer lists it, no object was made, and
// aborting it again succeeds. The engine aborts every upload a cancelled or failed run
// started, and retries an abort whose answer was lost; a resume whose upload was aborted
// (NotFound from ListParts) starts the file over.
func testAbort(t *testing.T, s *suite) {
	data := randomBytes(1000)
	u := s.create(t, "aborted", nil)
	p := u.part(t, 1, data, object.Checksum{})
	if err := s.AbortMultipartUpload(t.Context(), u.ref, u.id); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	u.gone(t)
	_, err := s.UploadPart(t.Context(), u.ref, u.id, 2, bytes.NewReader(data), int64(len(data)), object.Checksum{})
	s.missingUpload(t, "UploadPart to an aborted upload", err)
	_, err = s.CompleteMultipartUpload(t.Context(), u.ref, u.id, []object.Part{p})
	s.missingUpload(t, "CompleteMultipartUpload of an aborted upload", err)
	if err := s.AbortMultipartUpload(t.Context(), u.ref, u.id); err != nil {
		t.Fatalf("AbortMultipartUpload again: %v", err)
	}
	s.absent(t, "aborted")
}

// missingUpload checks the error of an UploadPart or CompleteMultipartUpload of an upload
// that does not exist: NotFound, or with Quirks.MissingUploadIs500 a retryable HTTP 500.
func (s *suite) missingUpload(t *testing.T, what string, err error) {
	t.Helper()
	if s.q.MissingUploadIs500 {
		checkError(t, what, err, behaviour{Retryable: true}, "500")
		return
	}
	checkError(t, what, err, behaviour{NotFound: true}, "NoSuchUpload")
}

// testUnknownUpload: an upload ID the store never gave, or one of another key, is NotFound
// for ListParts, UploadPart and CompleteMultipartUpload (see Quirks.MissingUploadIs500 and
// Quirks.UploadIDNotTiedToKey), and aborting it succeeds. A journal from another run, or
// edited by hand, names such uploads; the engine then starts the file over.
func testUnknownUpload(t *testing.T, s *suite) {
	t.Run("made-up ID", func(t *testing.T) {
		ref, id := s.ref("key"), "bm90LWFuLXVwbG9hZC1pZA"
		if l, ok := s.Store.(PartLister); ok {
			_, err := l.ListParts(t.Context(), ref, id)
			checkError(t, "ListParts", err, behaviour{NotFound: true}, "NoSuchUpload")
		}
		_, err := s.UploadPart(t.Context(), ref, id, 1, bytes.NewReader([]byte("x")), 1, object.Checksum{})
		s.missingUpload(t, "UploadPart", err)
		_, err = s.CompleteMultipartUpload(t.Context(), ref, id, []object.Part{{Number: 1, ETag: md5Hex([]byte("x")), Size: 1}})
		s.missingUpload(t, "CompleteMultipartUpload", err)
		if err := s.AbortMultipartUpload(t.Context(), ref, id); err != nil {
			t.Errorf("AbortMultipartUpload: %v; want success (there is nothing to abort)", err)
		}
	})
	t.Run("another key's ID", func(t *testing.T) {
		other := s.create(t, "other", nil)
		p := other.part(t, 1, []byte("other"), object.Checksum{})
		ref := s.ref("key")
		l, canList := s.Store.(PartLister)
		if s.q.UploadIDNotTiedToKey {
			if !canList {
				t.Fatal("Quirks.UploadIDNotTiedToKey is checked with ListParts, which the store does not have")
			}
			if _, err := l.ListParts(t.Context(), ref, other.id); err != nil {
				t.Fatalf("ListParts with another key's upload ID failed (%v); Quirks.UploadIDNotTiedToKey says it answers: drop the quirk", err)
			}
			return
		}
		if canList {
			_, err := l.ListParts(t.Context(), ref, other.id)
			checkError(t, "ListParts", err, behaviour{NotFound: true}, "NoSuchUpload")
		}
		_, err := s.UploadPart(t.Context(), ref, other.id, 1, bytes.NewReader([]byte("x")), 1, object.Checksum{})
		checkError(t, "UploadPart", err, behaviour{NotFound: true}, "NoSuchUpload")
		_, err = s.CompleteMultipartUpload(t.Context(), ref, other.id, []object.Part{p})
		checkError(t, "CompleteMultipartUpload", err, behaviour{NotFound: true}, "NoSuchUpload")
		other.wantParts(t, p)
		s.absent(t, "key")
	})
}
