package transfer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/haul-s3/haul/object"
)

var crcAlgorithms = []string{object.ChecksumCRC32C, object.ChecksumCRC32, object.ChecksumCRC64NVME}

// The CRCs of pieces, combined, must equal the CRC of the whole computed directly, for any
// cut, including empty pieces and pieces longer than the tables' strides.
func TestCombinedCRCEqualsDirectCRC(t *testing.T) {
	data := randomBytes(3*mib+17, 51)
	cuts := [][]int{{0}, {1}, {1 << 20}, {0, 0, 5}, {7, 4096, 1 << 20, 3 << 20}, {len(data)}}
	for _, alg := range crcAlgorithms {
		want := object.Sum(alg, data)
		for _, cut := range cuts {
			var pieces []pieceCRC
			prev := 0
			for _, c := range append(cut, len(data)) {
				h, _ := object.NewHash(alg)
				h.Write(data[prev:c])
				pieces = append(pieces, pieceCRC{value: crcValue(h), length: int64(c - prev)})
				prev = c
			}
			if got := combinePieces(alg, pieces); got != want {
				t.Errorf("%s cut at %v: combined %s, direct %s", alg, cut, got.Value, want.Value)
			}
		}
	}
}

// crc64NVME is CRC-64/NVME by hash/crc64's portable code, to check the SIMD library that
// object.NewHash uses and the combine math against something that shares neither.
func crc64NVME(b []byte) object.Checksum {
	v := crc64.Checksum(b, crc64.MakeTable(0x9a6c9329ac4bc9b5))
	return object.Checksum{Algorithm: object.ChecksumCRC64NVME, Value: base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, v))}
}

// Random data of odd lengths, cut at random places and around the strides of the SIMD
// code (128 bytes; 1 KiB): the pieces' CRCs, each from object.NewHash, combined, equal the
// CRC of the whole from object.NewHash and, for CRC-64/NVME, from hash/crc64.
func TestCombinedCRCOfRandomCuts(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	data := randomBytes(2*mib+1001, 65)
	for trial := range 40 {
		n := 1 + rng.IntN(len(data))
		whole := data[:n]
		var cuts []int
		for range rng.IntN(6) {
			c := rng.IntN(n + 1)
			if trial%2 == 1 { // at or next to a stride boundary
				c = min(n, c&^127+rng.IntN(3)-1+128)
			}
			cuts = append(cuts, max(c, 0))
		}
		slices.Sort(cuts)
		for _, alg := range crcAlgorithms {
			want := object.Sum(alg, whole)
			if alg == object.ChecksumCRC64NVME && want != crc64NVME(whole) {
				t.Fatalf("length %d: object.Sum %s, hash/crc64 %s", n, want.Value, crc64NVME(whole).Value)
			}
			var pieces []pieceCRC
			prev := 0
			for _, c := range append(cuts, n) {
				h, _ := object.NewHash(alg)
				h.Write(whole[prev:c])
				pieces = append(pieces, pieceCRC{value: crcValue(h), length: int64(c - prev)})
				prev = c
			}
			if got := combinePieces(alg, pieces); got != want {
				t.Errorf("%s, length %d cut at %v: combined %s, direct %s", alg, n, cuts, got.Value, want.Value)
			}
		}
	}
}

// sumFile with odd part sizes over a file of odd length: every part's CRC-64/NVME and the
// whole file's, combined from the parts', are hash/crc64's.
func TestSumFileCRC64NVMEOddParts(t *testing.T) {
	data := randomBytes(7*mib+12345, 66)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, partSize := range []int64{mib + 333, 2*mib - 1, 5 * mib, int64(len(data))} {
		sums, err := sumFile(context.Background(), object.ChecksumCRC64NVME, f, int64(len(data)), partSize)
		if err != nil {
			t.Fatal(err)
		}
		if want := PartCount(int64(len(data)), partSize); len(sums.parts) != max(want, 1) {
			t.Fatalf("part size %d: %d parts, want %d", partSize, len(sums.parts), want)
		}
		for i, got := range sums.parts {
			part := data[int64(i)*partSize : min(int64(len(data)), int64(i+1)*partSize)]
			if want := crc64NVME(part); got != want {
				t.Errorf("part size %d, part %d: %s, hash/crc64 %s", partSize, i+1, got.Value, want.Value)
			}
		}
		if want := crc64NVME(data); sums.whole != want {
			t.Errorf("part size %d: whole %s, hash/crc64 %s", partSize, sums.whole.Value, want.Value)
		}
	}
}

func TestSumFileGivesPartSumsAndWholeSum(t *testing.T) {
	data := randomBytes(11*mib+3, 52)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, alg := range []string{object.ChecksumCRC64NVME, object.ChecksumSHA256} {
		sums, err := sumFile(context.Background(), alg, f, int64(len(data)), 5*mib)
		if err != nil {
			t.Fatal(err)
		}
		if len(sums.parts) != 3 || sums.parts[2] != object.Sum(alg, data[10*mib:]) || sums.parts[0] != object.Sum(alg, data[:5*mib]) {
			t.Fatalf("%s: part sums %v", alg, sums.parts)
		}
		if want := object.Sum(wholeAlgorithm(alg), data); sums.whole != want {
			t.Fatalf("%s: whole %v, want %v", alg, sums.whole, want)
		}
	}
	if sums, _ := sumFile(context.Background(), "", f, int64(len(data)), 5*mib); sums.whole.Algorithm != "" || sums.parts != nil {
		t.Fatalf("--checksum none computed %v", sums)
	}
}

func TestStoredChecksumParsing(t *testing.T) {
	good := object.Sum(object.ChecksumCRC32C, []byte("x"))
	for v, ok := range map[string]bool{
		"CRC32C:" + good.Value:        true,
		"crc32c:" + good.Value:        true,
		"CRC64NVME:" + good.Value:     false, // a CRC-32 value is too short for CRC-64
		"SHA256:" + good.Value:        false, // not combinable: not checked
		"CRC32C:not base64!":          false,
		"CRC32C":                      false,
		"":                            false,
		"CRC32:" + good.Value + "AA=": false,
	} {
		_, got := StoredChecksum(map[string]string{"Haul-Checksum": v})
		if got != ok {
			t.Errorf("%q: usable %v, want %v", v, got, ok)
		}
	}
}

// uploadThenDownload uploads data with alg through the engine and returns the fake store
// holding it, so download tests start from what haul itself wrote.
func uploadThenDownload(t *testing.T, alg string, data []byte) *fakeStore {
	t.Helper()
	fs := newFake()
	p := filepath.Join(t.TempDir(), "src")
	writeFile(t, p, data)
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Object: object.Options{Checksum: alg}}))
	if _, err := e.UploadFile(context.Background(), p, dst); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestUploadRecordsWholeFileChecksumInMetadata(t *testing.T) {
	for _, size := range []int{1000, 12 * mib} { // one PutObject; multipart
		data := randomBytes(size, 53)
		for _, alg := range []string{object.ChecksumCRC32, object.ChecksumSHA1} {
			fs := uploadThenDownload(t, alg, data)
			want := object.Sum(wholeAlgorithm(alg), data)
			if got := fs.meta["b/k"][ChecksumMetadata]; got != want.Algorithm+":"+want.Value {
				t.Errorf("size %d, %s: metadata %q, want %s:%s", size, alg, got, want.Algorithm, want.Value)
			}
		}
	}
	if fs := uploadThenDownload(t, object.ChecksumNone, randomBytes(100, 54)); fs.meta["b/k"][ChecksumMetadata] != "" {
		t.Error("--checksum none recorded a checksum")
	}
	// No algorithm named: the library's default, CRC32C, as the command line's.
	data := randomBytes(100, 55)
	want := object.Sum(object.ChecksumCRC32C, data)
	if got := uploadThenDownload(t, "", data).meta["b/k"][ChecksumMetadata]; got != want.Algorithm+":"+want.Value {
		t.Errorf("default checksum: metadata %q, want %s:%s", got, want.Algorithm, want.Value)
	}
}

// downloadEvents downloads dst from fs to a new file and returns the file's path, what the
// Done event said it verified with, the number of Retrying events, and the error.
func downloadEvents(t *testing.T, fs *fakeStore, opts Options) (string, string, int, error) {
	t.Helper()
	var verified string
	retries := 0
	opts.Observer = ObserverFunc(func(ev Event) {
		switch ev.Kind {
		case Done:
			verified = ev.Verified
		case Retrying:
			retries++
		}
	})
	opts.PartSize, opts.MultipartThreshold = 5*mib, 5*mib
	target := filepath.Join(t.TempDir(), "out")
	_, err := New(fs, fastOpts(opts)).DownloadFile(context.Background(), dst, target)
	return target, verified, retries, err
}

func TestRangedDownloadIsVerifiedAgainstMetadataChecksum(t *testing.T) {
	data := randomBytes(17*mib, 55)
	for _, alg := range crcAlgorithms {
		fs := uploadThenDownload(t, alg, data)
		target, verified, _, err := downloadEvents(t, fs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(target); !bytes.Equal(got, data) || verified != map[string]string{object.ChecksumCRC32C: "crc32c", object.ChecksumCRC32: "crc32", object.ChecksumCRC64NVME: "crc64nvme"}[alg] {
			t.Fatalf("%s: file equal %v, verified %q", alg, bytes.Equal(got, data), verified)
		}
	}
}

// corruptRange flips a byte in the body of the GET of the range at off, the first n times.
func corruptRange(fs *fakeStore, off int64, n int) *int {
	var mu sync.Mutex
	hits := 0
	fs.getHook = func(c fakeCall, body io.ReadCloser) io.ReadCloser {
		mu.Lock()
		defer mu.Unlock()
		if c.Offset == off && hits < n {
			hits++
			return &flipReader{ReadCloser: body, at: 999}
		}
		return body
	}
	return &hits
}

// A range whose body is corrupted (its length right, so only the checksum can tell) is
// caught; the object is fetched again and the file comes out right.
func TestCorruptedRangeIsCaughtAndFetchedAgain(t *testing.T) {
	data := randomBytes(17*mib, 56)
	fs := uploadThenDownload(t, object.ChecksumCRC32C, data)
	hits := corruptRange(fs, 10*mib, 1)
	target, verified, retries, err := downloadEvents(t, fs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) || verified != "crc32c" || *hits != 1 || retries != 1 {
		t.Fatalf("file equal %v, verified %q, corrupted %d, retries %d", bytes.Equal(got, data), verified, *hits, retries)
	}
}

func TestPersistentlyCorruptedRangeFailsAndLeavesNoFile(t *testing.T) {
	data := randomBytes(17*mib, 57)
	fs := uploadThenDownload(t, object.ChecksumCRC32C, data)
	corruptRange(fs, 5*mib, 100)
	target, _, _, err := downloadEvents(t, fs, Options{})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Algorithm != "crc32c" {
		t.Fatalf("err = %v, want a crc32c VerifyError", err)
	}
	if extra := leftovers(t, filepath.Dir(target)); len(extra) > 0 {
		t.Fatalf("a corrupted download left %v", extra)
	}
	// --verify=false lets the same corruption through: the check is what caught it.
	if _, _, _, err := downloadEvents(t, fs, Options{SkipVerify: true}); err != nil {
		t.Fatalf("with SkipVerify: %v", err)
	}
}

func TestSinglePartDownloadPrefersMetadataChecksum(t *testing.T) {
	data := randomBytes(100_000, 58)
	fs := uploadThenDownload(t, object.ChecksumCRC64NVME, data)
	corruptRange(fs, 0, 1)
	target, verified, retries, err := downloadEvents(t, fs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) || verified != "crc64nvme" || retries != 1 {
		t.Fatalf("file equal %v, verified %q, retries %d", bytes.Equal(got, data), verified, retries)
	}
}

func TestStreamDownloadIsVerifiedAfterTheFact(t *testing.T) {
	data := randomBytes(12*mib, 59)
	fs := uploadThenDownload(t, object.ChecksumCRC32C, data)
	var out bytes.Buffer
	if _, err := New(fs, fastOpts(Options{})).DownloadStream(context.Background(), dst, &out); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("err %v, output equal %v", err, bytes.Equal(out.Bytes(), data))
	}
	corruptRange(fs, 0, 1)
	out.Reset()
	_, err := New(fs, fastOpts(Options{})).DownloadStream(context.Background(), dst, &out)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a VerifyError for corrupted bytes already written", err)
	}
}

// An object haul did not upload, whose server keeps a CRC of the whole object, is verified
// against that: in one GET and in ranges, a corrupted range caught and fetched again.
func TestDownloadVerifiedAgainstServerChecksum(t *testing.T) {
	for _, size := range []int{100_000, 17 * mib} {
		data := randomBytes(size, 60)
		fs := newFake()
		fs.put(dst, data)
		fs.etags["b/k"] = "not-an-md5-etag-2" // no MD5 to fall back on
		fs.serverSums = map[string]object.Checksum{"b/k": object.Sum(object.ChecksumCRC32, data)}
		hits := corruptRange(fs, 0, 1)
		target, verified, retries, err := downloadEvents(t, fs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(target); !bytes.Equal(got, data) || verified != "crc32" || *hits != 1 || retries != 1 {
			t.Fatalf("size %d: file equal %v, verified %q, corrupted %d, retries %d", size, bytes.Equal(got, data), verified, *hits, retries)
		}
	}
}
