package transfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/haul-s3/haul/object"
)

// flipReader flips one byte of a body as it passes, like a corrupting middlebox.
type flipReader struct {
	io.ReadCloser
	at, pos int64
}

func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if f.at >= f.pos && f.at < f.pos+int64(n) {
		p[f.at-f.pos] ^= 1
	}
	f.pos += int64(n)
	return n, err
}

func TestCorruptedDownloadIsRetriedThenVerified(t *testing.T) {
	fs := newFake()
	data := randomBytes(300_000, 41)
	fs.put(dst, data)
	var mu sync.Mutex
	gets := 0
	fs.getHook = func(_ fakeCall, body io.ReadCloser) io.ReadCloser {
		mu.Lock()
		defer mu.Unlock()
		if gets++; gets == 1 {
			return &flipReader{ReadCloser: body, at: 1234}
		}
		return body
	}
	var verified string
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Done {
			verified = ev.Verified
		}
	})
	target := filepath.Join(t.TempDir(), "out")
	if _, err := New(fs, fastOpts(Options{Observer: obs})).DownloadFile(context.Background(), dst, target); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) || gets != 2 || verified != "md5" {
		t.Fatalf("file equal %v, %d GETs, verified %q; want the corrupted GET retried and md5 reported", bytes.Equal(got, data), gets, verified)
	}
}

func TestPersistentCorruptionFailsAndWritesNothing(t *testing.T) {
	fs := newFake()
	fs.put(dst, randomBytes(300_000, 42))
	fs.getHook = func(_ fakeCall, body io.ReadCloser) io.ReadCloser { return &flipReader{ReadCloser: body, at: 7} }
	dir := t.TempDir()
	_, err := New(fs, fastOpts(Options{Retries: 2})).DownloadFile(context.Background(), dst, filepath.Join(dir, "out"))
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a VerifyError", err)
	}
	if extra := leftovers(t, dir); len(extra) > 0 {
		t.Fatalf("a corrupted download left %v", extra)
	}
	// With verification off the same corruption goes through: the switch really switches.
	_, err = New(fs, fastOpts(Options{SkipVerify: true})).DownloadFile(context.Background(), dst, filepath.Join(dir, "out"))
	if err != nil {
		t.Fatalf("with SkipVerify: %v", err)
	}
}

// foreignParts are the parts of an object another tool uploaded in parts.
func foreignParts(seed uint64, sizes ...int) [][]byte {
	parts := make([][]byte, len(sizes))
	for i, n := range sizes {
		parts[i] = randomBytes(n, seed+uint64(i))
	}
	return parts
}

// downloadResult is what a download reported and left.
type downloadResult struct {
	err                  error
	data                 []byte
	verified, unverified string
	retries              int
	dir                  string
}

func download(t *testing.T, fs Store, o Options, src object.Ref) downloadResult {
	t.Helper()
	var r downloadResult
	var mu sync.Mutex
	o.Observer = ObserverFunc(func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		switch ev.Kind {
		case Done:
			r.verified, r.unverified = ev.Verified, ev.Unverified
		case Retrying:
			r.retries++
		}
	})
	r.dir = t.TempDir()
	target := filepath.Join(r.dir, "out")
	_, r.err = New(fs, fastOpts(o)).DownloadFile(context.Background(), src, target)
	r.data, _ = os.ReadFile(target)
	return r
}

// everyNth corrupts every nth body that match selects, as a bad middlebox might, up to max
// bodies (0: no limit), flipping a different byte each time. (A middlebox that flips the
// same byte of the same part on every third answer can defeat the vote between fetches of
// a part without a checksum: the download then fails, the ETag still says no.)
func everyNth(n, max int, match func(fakeCall) bool) func(fakeCall, io.ReadCloser) io.ReadCloser {
	var mu sync.Mutex
	seen, done := 0, 0
	return func(c fakeCall, body io.ReadCloser) io.ReadCloser {
		mu.Lock()
		defer mu.Unlock()
		if !match(c) {
			return body
		}
		if seen++; seen%n == 0 && (max == 0 || done < max) {
			done++
			return &flipReader{ReadCloser: body, at: int64(100 + 7*seen)} // a byte of its own each time
		}
		return body
	}
}

func TestForeignMultipartIsVerified(t *testing.T) {
	for _, c := range []struct {
		name     string
		alg      string
		sizes    []int
		op       string // the request that fetches a part
		verified string
		nth      int
	}{
		{"part checksums", object.ChecksumCRC32, []int{40_000, 40_000, 40_000, 15_000}, "GetObjectPart", "crc32-parts", 3},
		{"etag", "", []int{40_000, 40_000, 40_000, 15_000}, "GetObject", "md5-parts", 3},
		{"etag, 13 parts", "", []int{40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 15_000}, "GetObject", "md5-parts", 3},
		{"etag, parts of several sizes", "", []int{40_000, 30_000, 40_000, 15_000}, "GetObject", "md5-parts", 3},
		{"one part", object.ChecksumCRC32C, []int{40_000}, "GetObjectPart", "crc32c-parts", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := newFake()
			parts := foreignParts(50, c.sizes...)
			fs.putParts(dst, c.alg, parts...)
			max := 0
			if c.nth == 1 {
				max = 1
			}
			fs.getHook = everyNth(c.nth, max, func(fc fakeCall) bool { return fc.Op == c.op })
			r := download(t, fs, Options{}, dst)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !bytes.Equal(r.data, bytes.Join(parts, nil)) || r.verified != c.verified || r.retries == 0 {
				t.Fatalf("file right %v, verified %q, %d retries; want the right file verified %s after retries", bytes.Equal(r.data, bytes.Join(parts, nil)), r.verified, r.retries, c.verified)
			}
			// The parts are the ranges: every GET asked for exactly one part.
			for _, fc := range fs.calls {
				if fc.Op == "GetObject" {
					at, ok := int64(0), false
					for i, s := range c.sizes {
						if fc.Offset == at && fc.Length == int64(s) {
							ok = true
						}
						at += int64(c.sizes[i])
					}
					if !ok {
						t.Fatalf("a GET of [%d, +%d) is not a part", fc.Offset, fc.Length)
					}
				}
			}
		})
	}
}

func TestForeignMultipartPersistentCorruptionFails(t *testing.T) {
	for _, alg := range []string{object.ChecksumCRC32, ""} {
		t.Run("checksum "+alg, func(t *testing.T) {
			fs := newFake()
			fs.putParts(dst, alg, foreignParts(60, 40_000, 40_000, 10_000)...)
			fs.getHook = func(c fakeCall, body io.ReadCloser) io.ReadCloser {
				if c.Part == 2 || c.Offset == 40_000 {
					return &flipReader{ReadCloser: body, at: 7}
				}
				return body
			}
			r := download(t, fs, Options{Retries: 2}, dst)
			var ve *VerifyError
			if !errors.As(r.err, &ve) {
				t.Fatalf("err = %v, want a VerifyError", r.err)
			}
			if extra := leftovers(t, r.dir); len(extra) > 0 {
				t.Fatalf("a corrupted download left %v", extra)
			}
		})
	}
}

func TestUnverifiableDownloadSaysSo(t *testing.T) {
	parts := foreignParts(70, 40_000, 40_000, 10_000)
	for _, c := range []struct {
		name  string
		store func(*fakeStore) Store
		why   string
	}{
		{"store without part numbers", func(fs *fakeStore) Store { return struct{ Store }{fs} }, "cannot read an object by part number"},
		{"SSE-KMS without part checksums", func(fs *fakeStore) Store { fs.notMD5 = true; return fs }, "SSE-KMS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := newFake()
			fs.putParts(dst, "", parts...)
			st := c.store(fs)
			r := download(t, st, Options{}, dst)
			if r.err != nil || !bytes.Equal(r.data, bytes.Join(parts, nil)) || r.verified != "none" || !strings.Contains(r.unverified, c.why) {
				t.Fatalf("err %v, verified %q (%q); want the file, verified none saying %q", r.err, r.verified, r.unverified, c.why)
			}
			r = download(t, st, Options{VerifyRequired: true}, dst)
			var ue *UnverifiedError
			if !errors.As(r.err, &ue) || r.data != nil {
				t.Fatalf("required: err %v, %d bytes written; want an UnverifiedError and no file", r.err, len(r.data))
			}
			if extra := leftovers(t, r.dir); len(extra) > 0 {
				t.Fatalf("an unverified download left %v", extra)
			}
		})
	}
}

// A server whose GET ignores partNumber (and answers with the whole object) must not pass
// the whole object off as a part.
func TestPartGetAnsweredWithWholeObjectFails(t *testing.T) {
	fs := newFake()
	fs.putParts(dst, object.ChecksumCRC32, foreignParts(80, 40_000, 40_000)...)
	fs.getIgnoresPartNumber = true
	r := download(t, fs, Options{}, dst)
	var le *PartLayoutError
	if !errors.As(r.err, &le) || r.data != nil {
		t.Fatalf("err %v, %d bytes; want a PartLayoutError and no file", r.err, len(r.data))
	}
}

// A single-part object larger than the multipart threshold is fetched in ranges and checked
// against its MD5 ETag by reading the file back.
func TestLargeSinglePartObjectIsVerifiedByMD5(t *testing.T) {
	fs := newFake()
	data := randomBytes(12<<20, 90)
	fs.put(dst, data)
	fs.getHook = everyNth(1, 1, func(fc fakeCall) bool { return fc.Offset == 5<<20 })
	r := download(t, fs, Options{MultipartThreshold: 5 << 20, PartSize: 5 << 20}, dst)
	if r.err != nil || !bytes.Equal(r.data, data) || r.verified != "md5" || r.retries != 1 {
		t.Fatalf("err %v, file right %v, verified %q, %d retries; want md5 after one retry", r.err, bytes.Equal(r.data, data), r.verified, r.retries)
	}
}

// A prefix download (cp -r, sync) knows an object from its listing only: the HEAD of part 1
// tells its parts, and an object with haul's own checksum is checked against that instead.
func TestPrefixDownloadVerifiesForeignMultipart(t *testing.T) {
	fs := newFake()
	foreign := foreignParts(100, 40_000, 40_000, 9_000)
	fs.putParts(object.Ref{Bucket: "b", Key: "p/foreign"}, "", foreign...)
	own := foreignParts(110, 40_000, 9_000)
	fs.putParts(object.Ref{Bucket: "b", Key: "p/own"}, "", own...)
	sum := object.Sum(object.ChecksumCRC32C, bytes.Join(own, nil))
	fs.meta["b/p/own"] = map[string]string{ChecksumMetadata: "CRC32C:" + sum.Value}
	verified := map[string]string{}
	var mu sync.Mutex
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Done {
			mu.Lock()
			verified[ev.Item.Object.Key] = ev.Verified
			mu.Unlock()
		}
	})
	dir := t.TempDir()
	if _, err := New(fs, fastOpts(Options{Observer: obs})).DownloadPrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, dir); err != nil {
		t.Fatal(err)
	}
	if verified["p/foreign"] != "md5-parts" || verified["p/own"] != "crc32c" {
		t.Fatalf("verified %v; want the foreign object by md5-parts, haul's by crc32c", verified)
	}
	for name, want := range map[string][]byte{"foreign": bytes.Join(foreign, nil), "own": bytes.Join(own, nil)} {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, want) {
			t.Fatalf("%s differs", name)
		}
	}
}
