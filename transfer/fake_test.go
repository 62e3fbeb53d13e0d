package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/haul-s3/haul/object"
)

// fakeStore is an in-memory Store that records every call, counts requests in flight and
// can be told to fail or block particular calls.
type fakeStore struct {
	mu      sync.Mutex
	objects map[string][]byte // "bucket/key" -> bytes
	etags   map[string]string
	meta    map[string]map[string]string // "bucket/key" -> user metadata
	// listFailAfter, when above 0, makes the next List fail (retryably) after passing on
	// that many objects, once.
	listFailAfter int
	// serverSums are whole-object checksums HeadObject reports, as a server that keeps them.
	serverSums map[string]object.Checksum
	uploads    map[string]*fakeUpload // upload ID -> upload
	calls      []fakeCall
	nextID     int
	inFlight   atomic.Int64
	maxSeen    atomic.Int64

	// hook, when set, runs at the start of every call (outside the lock); a non-nil
	// error fails the call. attempt counts calls with the same op, key and part from 1.
	hook     func(c fakeCall, attempt int) error
	attempts map[string]int
	// getHook can wrap a GetObject body.
	getHook func(c fakeCall, body io.ReadCloser) io.ReadCloser
	// corrupt, when set, may change a request body as it arrives (a flipped bit in transit).
	corrupt func(c fakeCall, attempt int, data []byte)
	// layouts are the parts of objects stored with putParts, by "bucket/key".
	layouts map[string]fakeLayout
	// getIgnoresPartNumber makes GetObjectPart answer with the whole object, as moto does.
	getIgnoresPartNumber bool
	// notMD5 makes the part answers say the object is encrypted with SSE-KMS.
	notMD5 bool
}

// fakeLayout is a multipart object's parts as another tool uploaded them.
type fakeLayout struct {
	lens []int64
	sums []object.Checksum // zero values: none
}

type fakeUpload struct {
	ref     object.Ref
	parts   map[int32][]byte
	meta    map[string]string
	started int // the order of its creation, its Initiated time in seconds
}

// A hook returns errStallHere to make the call hang until its context ends, and (for
// GetObject) errStallBody to send half the body and then hang.
var (
	errStallHere = errors.New("fake: stall")
	errStallBody = errors.New("fake: stall mid-body")
)

type fakeCall struct {
	Op       string
	Key      string
	Part     int32
	UploadID string
	Offset   int64
	Length   int64
}

// fakeErr is a store error with a Retryable method, like s3store.Error.
type fakeErr struct {
	code      string
	retryable bool
	throttled bool
}

func (e *fakeErr) Error() string   { return "fake: " + e.code }
func (e *fakeErr) Retryable() bool { return e.retryable || e.throttled }
func (e *fakeErr) Throttled() bool { return e.throttled }

func newFake() *fakeStore {
	return &fakeStore{objects: map[string][]byte{}, etags: map[string]string{}, meta: map[string]map[string]string{}, uploads: map[string]*fakeUpload{}, attempts: map[string]int{},
		layouts: map[string]fakeLayout{}}
}

func (f *fakeStore) begin(ctx context.Context, c fakeCall) (func(), error) {
	n := f.inFlight.Add(1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	done := func() { f.inFlight.Add(-1) }
	f.mu.Lock()
	f.calls = append(f.calls, c)
	k := fmt.Sprintf("%s %s %d", c.Op, c.Key, c.Part)
	f.attempts[k]++
	attempt := f.attempts[k]
	f.mu.Unlock()
	if f.hook != nil {
		err := f.hook(c, attempt)
		if errors.Is(err, errStallHere) {
			<-ctx.Done() // a server that never answers
			err = ctx.Err()
		}
		if errors.Is(err, errStallBody) {
			return done, err
		}
		if err != nil {
			done()
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		done()
		return nil, err
	}
	return done, nil
}

func (f *fakeStore) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Op == op {
			n++
		}
	}
	return n
}

func (f *fakeStore) partAttempts(key string, part int32) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[fmt.Sprintf("UploadPart %s %d", key, part)]
}

func (f *fakeStore) object(ref object.Ref) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[ref.Bucket+"/"+ref.Key]
	return b, ok
}

func (f *fakeStore) put(ref object.Ref, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[ref.Bucket+"/"+ref.Key] = data
	sum := md5.Sum(data)
	f.etags[ref.Bucket+"/"+ref.Key] = hex.EncodeToString(sum[:])
}

func (f *fakeStore) openUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

// readBody reads exactly size bytes of body, slowly enough (a yield per chunk) that
// concurrent requests overlap.
func readBody(body io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, body)
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, fmt.Errorf("fake: body has %d bytes, Content-Length %d", n, size)
	}
	time.Sleep(time.Millisecond)
	return buf.Bytes(), nil
}

func (f *fakeStore) PutObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) (object.Written, error) {
	if err := f.putObject(ctx, ref, body, size, o, sum); err != nil {
		return object.Written{}, err
	}
	return object.Written{ETag: f.etagOf(ref)}, nil
}

func (f *fakeStore) etagOf(ref object.Ref) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.etags[ref.Bucket+"/"+ref.Key]
}

func (f *fakeStore) putObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) error {
	done, err := f.begin(ctx, fakeCall{Op: "PutObject", Key: ref.Key})
	if err != nil {
		return err
	}
	defer done()
	data, err := readBody(body, size)
	if err != nil {
		return err
	}
	if err := verify(data, sum); err != nil {
		return err
	}
	f.put(ref, data)
	f.mu.Lock()
	f.meta[ref.Bucket+"/"+ref.Key] = o.Metadata
	f.mu.Unlock()
	return nil
}

// verify checks a body against the checksum sent with it, as a server does.
func verify(data []byte, sum object.Checksum) error {
	if sum.Algorithm != "" && object.Sum(sum.Algorithm, data) != sum {
		return &fakeErr{code: "BadDigest", retryable: true}
	}
	return nil
}

func (f *fakeStore) CreateMultipartUpload(ctx context.Context, ref object.Ref, o *object.Options) (string, error) {
	done, err := f.begin(ctx, fakeCall{Op: "CreateMultipartUpload", Key: ref.Key})
	if err != nil {
		return "", err
	}
	defer done()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("upload-%d", f.nextID)
	f.uploads[id] = &fakeUpload{ref: ref, parts: map[int32][]byte{}, meta: o.Metadata, started: f.nextID}
	return id, nil
}

func (f *fakeStore) UploadPart(ctx context.Context, ref object.Ref, id string, num int32, body io.ReadSeeker, size int64, sum object.Checksum) (string, error) {
	done, err := f.begin(ctx, fakeCall{Op: "UploadPart", Key: ref.Key, Part: num, UploadID: id})
	if err != nil {
		return "", err
	}
	defer done()
	data, err := readBody(body, size)
	if err != nil {
		return "", err
	}
	if f.corrupt != nil {
		f.mu.Lock()
		attempt := f.attempts[fmt.Sprintf("UploadPart %s %d", ref.Key, num)]
		f.mu.Unlock()
		f.corrupt(fakeCall{Op: "UploadPart", Key: ref.Key, Part: num}, attempt, data)
	}
	if err := verify(data, sum); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[id]
	if !ok {
		return "", &fakeErr{code: "NoSuchUpload"}
	}
	u.parts[num] = data
	etag := md5.Sum(data)
	return hex.EncodeToString(etag[:]), nil
}

func (f *fakeStore) CompleteMultipartUpload(ctx context.Context, ref object.Ref, id string, parts []object.Part) (object.Written, error) {
	if err := f.completeUpload(ctx, ref, id, parts); err != nil {
		return object.Written{}, err
	}
	return object.Written{ETag: f.etagOf(ref)}, nil
}

func (f *fakeStore) completeUpload(ctx context.Context, ref object.Ref, id string, parts []object.Part) error {
	done, err := f.begin(ctx, fakeCall{Op: "CompleteMultipartUpload", Key: ref.Key, UploadID: id})
	if err != nil {
		return err
	}
	defer done()
	f.mu.Lock()
	u, ok := f.uploads[id]
	f.mu.Unlock()
	if !ok {
		return &fakeErr{code: "NoSuchUpload"}
	}
	if !sort.SliceIsSorted(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number }) {
		return &fakeErr{code: "InvalidPartOrder"}
	}
	var all []byte
	for _, p := range parts {
		data, ok := u.parts[p.Number]
		sum := md5.Sum(data)
		if !ok || hex.EncodeToString(sum[:]) != p.ETag {
			return &fakeErr{code: "InvalidPart"}
		}
		all = append(all, data...)
	}
	f.put(ref, all)
	etag, _ := multipartETag(parts) // as S3 names a multipart object
	f.mu.Lock()
	f.etags[ref.Bucket+"/"+ref.Key] = etag
	f.meta[ref.Bucket+"/"+ref.Key] = u.meta // not f.uploads[id]: a complete at the same time may have removed it
	delete(f.uploads, id)
	f.mu.Unlock()
	return nil
}

func (f *fakeStore) AbortMultipartUpload(ctx context.Context, ref object.Ref, id string) error {
	done, err := f.begin(ctx, fakeCall{Op: "AbortMultipartUpload", Key: ref.Key, UploadID: id})
	if err != nil {
		return err
	}
	defer done()
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.uploads, id)
	return nil
}

func (f *fakeStore) HeadObject(ctx context.Context, ref object.Ref) (object.Info, error) {
	done, err := f.begin(ctx, fakeCall{Op: "HeadObject", Key: ref.Key})
	if err != nil {
		return object.Info{}, err
	}
	defer done()
	f.mu.Lock()
	defer f.mu.Unlock()
	data, ok := f.objects[ref.Bucket+"/"+ref.Key]
	if !ok {
		return object.Info{}, &fakeErr{code: "NoSuchKey"}
	}
	return object.Info{Key: ref.Key, Size: int64(len(data)), ETag: f.etags[ref.Bucket+"/"+ref.Key], Metadata: f.meta[ref.Bucket+"/"+ref.Key],
		Checksum: f.serverSums[ref.Bucket+"/"+ref.Key]}, nil
}

func (f *fakeStore) GetObject(ctx context.Context, ref object.Ref, off, length int64, ifMatch string) (io.ReadCloser, error) {
	c := fakeCall{Op: "GetObject", Key: ref.Key, Offset: off, Length: length}
	done, err := f.begin(ctx, c)
	stallBody := errors.Is(err, errStallBody)
	if err != nil && !stallBody {
		return nil, err
	}
	defer done()
	f.mu.Lock()
	data, ok := f.objects[ref.Bucket+"/"+ref.Key]
	etag := f.etags[ref.Bucket+"/"+ref.Key]
	f.mu.Unlock()
	if !ok {
		return nil, &fakeErr{code: "NoSuchKey"}
	}
	if ifMatch != "" && ifMatch != etag {
		return nil, &fakeErr{code: "PreconditionFailed"}
	}
	end := int64(len(data))
	if length >= 0 {
		end = min(off+length, end)
	}
	body := io.NopCloser(bytes.NewReader(data[off:end]))
	if stallBody {
		body = io.NopCloser(io.MultiReader(bytes.NewReader(data[off:off+(end-off)/2]), ctxReader{ctx}))
	}
	if f.getHook != nil {
		body = f.getHook(c, body)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return metaBody{body, f.meta[ref.Bucket+"/"+ref.Key]}, nil
}

// metaBody is a GET body that tells the object's metadata, as s3store's does.
type metaBody struct {
	io.ReadCloser
	meta map[string]string
}

func (b metaBody) Metadata() map[string]string { return b.meta }

func (f *fakeStore) List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error {
	done, err := f.begin(ctx, fakeCall{Op: "List", Key: prefix})
	if err != nil {
		return err
	}
	defer done()
	f.mu.Lock()
	var infos []object.Info
	for k, v := range f.objects {
		b, key, _ := strings.Cut(k, "/")
		if b == bucket && strings.HasPrefix(key, prefix) {
			infos = append(infos, object.Info{Key: key, Size: int64(len(v)), ETag: f.etags[k]})
		}
	}
	f.mu.Unlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
	f.mu.Lock()
	failAfter := f.listFailAfter
	f.listFailAfter = 0
	f.mu.Unlock()
	for i, in := range infos {
		if failAfter > 0 && i == failAfter {
			return &fakeErr{code: "InternalError", retryable: true}
		}
		if err := ctx.Err(); err != nil { // as a paged listing's next page would
			return err
		}
		if err := fn(in); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) ListParts(ctx context.Context, ref object.Ref, id string) ([]object.Part, error) {
	done, err := f.begin(ctx, fakeCall{Op: "ListParts", Key: ref.Key, UploadID: id})
	if err != nil {
		return nil, err
	}
	defer done()
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[id]
	if !ok {
		return nil, &fakeNotFound{}
	}
	var parts []object.Part
	for n, data := range u.parts {
		sum := md5.Sum(data)
		parts = append(parts, object.Part{Number: n, ETag: hex.EncodeToString(sum[:]), Size: int64(len(data))})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

type fakeNotFound struct{}

func (*fakeNotFound) Error() string  { return "fake: NoSuchUpload" }
func (*fakeNotFound) NotFound() bool { return true }

// ctxReader blocks until its context ends, like a connection that stopped sending.
type ctxReader struct{ ctx context.Context } //nolint:containedctx // it stands for a connection

func (r ctxReader) Read([]byte) (int, error) {
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

// putParts stores the parts as one multipart object, as another tool would: the multipart
// ETag, no metadata, and each part's checksum of algorithm alg ("" for none).
func (f *fakeStore) putParts(ref object.Ref, alg string, parts ...[]byte) {
	var all []byte
	etags := md5.New()
	var lay fakeLayout
	for _, p := range parts {
		all = append(all, p...)
		sum := md5.Sum(p)
		etags.Write(sum[:])
		lay.lens = append(lay.lens, int64(len(p)))
		lay.sums = append(lay.sums, object.Sum(alg, p))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := ref.Bucket + "/" + ref.Key
	f.objects[k] = all
	f.etags[k] = fmt.Sprintf("%x-%d", etags.Sum(nil), len(parts))
	f.layouts[k] = lay
}

// part describes part num of the object at k as S3 would; s.mu must be held.
func (f *fakeStore) part(k string, num int32) (object.PartInfo, error) {
	data, ok := f.objects[k]
	if !ok {
		return object.PartInfo{}, &fakeErr{code: "NoSuchKey"}
	}
	p := object.PartInfo{Number: num, ETag: f.etags[k], Metadata: f.meta[k], ETagNotMD5: f.notMD5}
	lay, ok := f.layouts[k]
	if !ok {
		if num != 1 {
			return p, &fakeErr{code: "InvalidPartNumber"}
		}
		p.Length = int64(len(data))
		return p, nil
	}
	if num < 1 || int(num) > len(lay.lens) {
		return p, &fakeErr{code: "InvalidPartNumber"}
	}
	for _, l := range lay.lens[:num-1] {
		p.Offset += l
	}
	p.Count, p.Length, p.Checksum = int32(len(lay.lens)), lay.lens[num-1], lay.sums[num-1]
	return p, nil
}

func (f *fakeStore) HeadObjectPart(ctx context.Context, ref object.Ref, num int32) (object.PartInfo, error) {
	done, err := f.begin(ctx, fakeCall{Op: "HeadObjectPart", Key: ref.Key, Part: num})
	if err != nil {
		return object.PartInfo{}, err
	}
	defer done()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.part(ref.Bucket+"/"+ref.Key, num)
}

func (f *fakeStore) GetObjectPart(ctx context.Context, ref object.Ref, num int32, ifMatch string) (io.ReadCloser, object.PartInfo, error) {
	c := fakeCall{Op: "GetObjectPart", Key: ref.Key, Part: num}
	done, err := f.begin(ctx, c)
	if err != nil {
		return nil, object.PartInfo{}, err
	}
	defer done()
	f.mu.Lock()
	k := ref.Bucket + "/" + ref.Key
	p, err := f.part(k, num)
	data, etag := f.objects[k], f.etags[k]
	f.mu.Unlock()
	if err != nil {
		return nil, p, err
	}
	if ifMatch != "" && ifMatch != etag {
		return nil, p, &fakeErr{code: "PreconditionFailed"}
	}
	if f.getIgnoresPartNumber {
		p = object.PartInfo{Number: num, Offset: -1, Length: int64(len(data)), ETag: etag}
	} else {
		data = data[p.Offset : p.Offset+p.Length]
	}
	body := io.NopCloser(bytes.NewReader(data))
	if f.getHook != nil {
		body = f.getHook(c, body)
	}
	return body, p, nil
}

func (f *fakeStore) ListUploads(ctx context.Context, bucket, prefix string, fn func(object.Upload) error) error {
	done, err := f.begin(ctx, fakeCall{Op: "ListMultipartUploads", Key: prefix})
	if err != nil {
		return err
	}
	defer done()
	f.mu.Lock()
	var ups []object.Upload
	for id, u := range f.uploads {
		if u.ref.Bucket == bucket && strings.HasPrefix(u.ref.Key, prefix) {
			ups = append(ups, object.Upload{Key: u.ref.Key, UploadID: id, Initiated: time.Unix(int64(u.started), 0)})
		}
	}
	f.mu.Unlock()
	sort.Slice(ups, func(i, j int) bool {
		return ups[i].Key < ups[j].Key || ups[i].Key == ups[j].Key && ups[i].Initiated.Before(ups[j].Initiated)
	})
	for _, u := range ups {
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}
