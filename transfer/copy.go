package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

// This file is the copy of an object to another object (Op Copy). On one store that can
// copy (Copier) the server does it: one CopyObject up to the multipart threshold, above it
// one multipart session whose parts are UploadPartCopy ranges, sent in parallel under the
// part slots like an upload's. Between two stores (Options.Source) the bytes pass through
// the client: ranged GETs, pinned to the source's ETag, fill buffers of the memory budget
// that become the parts of the destination's upload, and the CRC of the whole object,
// combined from the parts', is checked against the source's before the upload completes.
//
// Either way the copy keeps the source's properties unless the caller gives others (see
// copyOptions), and haul's whole-file checksum (ChecksumMetadata) goes with the bytes, so
// that a download of the copy verifies as a download of the source does.

// CopyItem is the producer of the copy of the object src to dst, of a size not yet known
// (the copy asks the source for it).
func CopyItem(src, dst object.Ref) Producer {
	return one(Item{Op: Copy, Source: src, Object: dst, Size: -1})
}

// ObjectCopyItem is CopyItem that asks the source store for the object first (HeadObject,
// retried), so that a missing source ends the run before any item and a plan (dry run)
// knows the size. The copy takes the source's properties from that answer: it does not
// ask again.
func (e *Engine) ObjectCopyItem(src, dst object.Ref) Producer {
	return func(ctx context.Context, yield func(Item) bool) error {
		var (
			info object.Info
			o    object.Options
		)
		err := e.Retry(ctx, func(ctx context.Context) error {
			var err error
			info, o, err = describeObject(ctx, e.source(), src)
			return err
		})
		if err != nil {
			return err
		}
		yield(Item{Op: Copy, Source: src, Object: dst, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified, head: &info, props: &o})
		return nil
	}
}

// CopyPrefixItems is the producer of the copies of every object under src.Key (which should
// be empty or end in "/") that f (nil: every key) matches, each to dst.Key + the rest of its
// key, in the listing's order. The listing is of the source store (Options.Source, else the
// engine's).
func (e *Engine) CopyPrefixItems(src, dst object.Ref, f Filter) Producer {
	return func(ctx context.Context, yield func(Item) bool) error {
		return e.prefixItems(ctx, e.source(), src, f, yield, func(rel string, info object.Info) (Item, bool) {
			return Item{Op: Copy, Source: object.Ref{Bucket: src.Bucket, Key: info.Key},
				Object: object.Ref{Bucket: dst.Bucket, Key: dst.Key + rel}, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified}, true
		})
	}
}

// source is the store copies read from.
func (e *Engine) source() Store {
	if e.opts.Source != nil {
		return e.opts.Source
	}
	return e.store
}

// copyObject carries out a Copy item and returns the object's size.
func (t *task) copyObject(ctx context.Context) (int64, error) {
	src, dst := t.it.Source, t.it.Object
	if err := object.CheckKey(dst.Key); err != nil {
		return 0, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	from := t.e.source()
	info, props, err := t.describe(ctx, from, src)
	if err != nil {
		return max(t.it.Size, 0), err
	}
	size := info.Size
	j := t.e.opts.Journal
	fp := copyFingerprint(info)
	if j != nil && j.Uploaded(dst.Bucket, dst.Key, fp) {
		return size, errAlreadyDone
	}
	c, serverSide := t.e.store.(Copier)
	serverSide = serverSide && t.e.opts.Source == nil
	whole := size <= t.e.opts.MultipartThreshold && (!serverSide || size <= MaxPartSize)
	if !serverSide || !whole { // CopyObject copies the tags itself
		if props.Tags, err = t.sourceTags(ctx, from, src, info); err != nil {
			return size, err
		}
	}
	o := t.copyOptions(ctx, info, props)
	t.whole, _ = StoredChecksum(o.Metadata)
	cs := object.CopySource{Ref: src, ETag: info.ETag}
	if serverSide && t.givenChecksum() == "" {
		// No byte travels to be checked, and MinIO refuses UploadPartCopy into an upload
		// with a checksum algorithm: the provider's default is not declared.
		o.Checksum = ""
	}
	switch {
	case serverSide && whole:
		cs.ReplaceMetadata = t.e.opts.ReplaceMetadata
		err = t.copyWhole(ctx, c, cs, size, o)
	case serverSide:
		err = t.copyParts(ctx, c, cs, size, fp, o)
	case whole:
		err = t.relayWhole(ctx, from, info, o)
	default:
		err = t.relayParts(ctx, from, info, o)
	}
	if err == nil && j != nil {
		err = j.UploadDone(dst.Bucket, dst.Key, fp)
	}
	return size, err
}

// copyFingerprint is what a journal records of a copy's source: its size, time and ETag.
func copyFingerprint(info object.Info) journal.Fingerprint {
	return journal.Fingerprint{Size: info.Size, MtimeNs: info.LastModified.UnixNano(), ETag: info.ETag}
}

// describe asks the source store for the object's size, ETag and properties (retried) and,
// unless the copy is given a canned ACL or Options.IgnoreGrants is set, for its grants at
// the same time (GetObjectAcl beside the HEAD, so that it adds no wait). Grants no object's
// can be read of (object.ErrUnreadable) leave the copy without them, noted in t.noGrants;
// any other failure to read them fails the copy: haul does not make a copy that lacks its
// source's grants without saying so.
func (t *task) describe(ctx context.Context, from Store, ref object.Ref) (object.Info, object.Options, error) {
	var (
		grants []object.Grant
		gerr   error
		wg     sync.WaitGroup
	)
	g, ask := from.(GrantReader)
	ask = ask && t.wantsGrants()
	if why, known := t.e.noGrants.Load(ref.Bucket); ask && known {
		ask, gerr = false, why.(error)
	}
	if ask {
		wg.Go(func() {
			gerr = t.call(ctx, false, func(ctx context.Context) error {
				var err error
				grants, err = g.ObjectGrants(ctx, ref)
				return err
			})
		})
	}
	var info object.Info
	var o object.Options
	var err error
	if t.it.head != nil && t.it.props != nil { // the producer asked already
		info, o = *t.it.head, *t.it.props
	} else {
		err = t.call(ctx, false, func(ctx context.Context) error {
			var err error
			info, o, err = describeObject(ctx, from, ref)
			return err
		})
	}
	wg.Wait()
	switch {
	case err != nil:
		return info, o, err
	case errors.Is(gerr, object.ErrUnreadable):
		t.noGrants = gerr.Error()
		t.e.noGrants.Store(ref.Bucket, gerr)
	case gerr != nil:
		return info, o, fmt.Errorf("copy %s: its grants: %w", ref, gerr)
	default:
		o.Grants = grants
	}
	return info, o, nil
}

// describeObject asks from for the object's size, ETag and the properties a copy keeps:
// DescribeObject where the store can, else HeadObject's content type and metadata.
func describeObject(ctx context.Context, from Store, ref object.Ref) (object.Info, object.Options, error) {
	if d, ok := from.(Describer); ok {
		return d.DescribeObject(ctx, ref)
	}
	info, err := from.HeadObject(ctx, ref)
	return info, object.Options{ContentType: info.ContentType, Metadata: info.Metadata}, err
}

// wantsGrants reports whether the copy carries its source's grants: it is given no canned
// ACL, and Options.IgnoreGrants is not set.
func (t *task) wantsGrants() bool {
	return !t.e.opts.IgnoreGrants && t.given().ACL == ""
}

// given is the object options given to the item (its own, else the call's).
func (t *task) given() object.Options {
	if t.it.Options != nil {
		return *t.it.Options
	}
	return t.object
}

// sourceTags returns the source's tags for a copy that the server does not make in one
// request, which would copy them itself: nil when the copy is given tags, the source has
// none (Info.TagCount), or the source store cannot tell tags.
func (t *task) sourceTags(ctx context.Context, from Store, ref object.Ref, info object.Info) (map[string]string, error) {
	r, ok := from.(TagReader)
	if !ok || info.TagCount == 0 || t.given().Tags != nil {
		return nil, nil
	}
	var tags map[string]string
	err := t.call(ctx, false, func(ctx context.Context) error {
		var err error
		tags, err = r.ObjectTags(ctx, ref)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s: its %d tags: %w", ref, info.TagCount, err)
	}
	return tags, nil
}

// copyOptions returns the options of a copy: the source's properties (props), with the
// metadata, content type and cache control given to the call instead when
// Options.ReplaceMetadata is set (a content type not given is then the server's default,
// as with aws-cli; haul's own metadata, its whole-file checksum and file time, is kept), and the ACL, storage class and encryption given replacing the source's. The
// source's grants are kept unless a canned ACL is given; to another store only those to a
// group (AllUsers, AuthenticatedUsers) go, since user IDs belong to one account. Tags
// given replace the source's (props.Tags, which a CopyObject leaves nil: the server copies
// them). The
// source's encryption is not carried to another store, whose keys are not the source's. The
// checksum algorithm is resolved as for an upload. When the source has no haul checksum
// but the server keeps a CRC of the whole object, that CRC becomes the copy's haul
// checksum, so that a multipart copy, which has no whole-object checksum of its own, can be
// verified when it is downloaded.
func (t *task) copyOptions(ctx context.Context, info object.Info, props object.Options) *object.Options {
	given := t.given()
	o := props
	o.Metadata = copyMetadata(props.Metadata)
	if t.e.opts.ReplaceMetadata {
		o.Metadata = copyMetadata(given.Metadata)
		for _, k := range []string{ChecksumMetadata, MtimeMetadata} {
			if v, ok := lookupMeta(props.Metadata, k); ok {
				if _, mine := lookupMeta(o.Metadata, k); !mine {
					o.Metadata[k] = v
				}
			}
		}
		o.ContentType, o.CacheControl = given.ContentType, given.CacheControl
	}
	if given.Tags != nil {
		o.Tags = given.Tags
	}
	o.ACL = given.ACL
	switch {
	case o.ACL != "":
		o.Grants = nil
	case t.e.opts.Source != nil:
		o.Grants = portable(o.Grants) // another server's or account's IDs mean nothing here
	}
	if given.StorageClass != "" {
		o.StorageClass = given.StorageClass
	}
	switch {
	case given.SSE != "":
		o.SSE, o.SSEKMSKeyID = given.SSE, given.SSEKMSKeyID
	case t.e.opts.Source != nil:
		o.SSE, o.SSEKMSKeyID = "", ""
	}
	switch given.Checksum {
	case object.ChecksumNone:
		o.Checksum = ""
	case "":
		o.Checksum = t.e.defaultChecksum(ctx, t.it.Object.Bucket)
	default:
		o.Checksum = given.Checksum
	}
	if _, ok := StoredChecksum(o.Metadata); !ok && crcSpecs[info.Checksum.Algorithm] != nil {
		return withChecksumMetadata(&o, info.Checksum)
	}
	return &o
}

// portable returns the grants whose grantee means the same on any server (object.Grant.Portable).
func portable(grants []object.Grant) []object.Grant {
	var out []object.Grant
	for _, g := range grants {
		if g.Portable() {
			out = append(out, g)
		}
	}
	return out
}

// givenChecksum is the checksum algorithm the caller gave the item ("" for none given).
func (t *task) givenChecksum() string {
	if t.it.Options != nil {
		return t.it.Options.Checksum
	}
	return t.object.Checksum
}

func copyMetadata(m map[string]string) map[string]string {
	c := make(map[string]string, len(m)+2)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// lookupMeta returns the value of a metadata key, whatever its case.
func lookupMeta(m map[string]string, key string) (string, bool) {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// copyStall is the stall timeout of a server-side copy request of length bytes: no byte
// passes through the client while the server copies, so the usual timeout (d) is allowed
// as well as a tenth of a second per MiB (the server copying at 10 MiB/s or better).
func copyStall(d time.Duration, length int64) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration(length>>20)*100*time.Millisecond
}

// copyWhole copies the object with one CopyObject.
func (t *task) copyWhole(ctx context.Context, c Copier, src object.CopySource, size int64, o *object.Options) error {
	return t.slotted(ctx, false, copyStall(t.e.opts.StallTimeout, size), func(ctx context.Context) error {
		w, err := c.CopyObject(ctx, t.it.Object, src, o)
		if err == nil {
			t.etag, t.version = w.ETag, w.VersionID
			t.progress(size)
		}
		return err
	})
}

// copyParts copies the object as a multipart upload of UploadPartCopy ranges, sent in
// parallel in one session: aborted if anything fails or the run is cancelled, unless the
// run has a journal, which records the upload and its parts (fp is the source's
// fingerprint) so that the next run copies only the parts the server does not hold.
// Unlike an upload's, a resumed copy needs no check of the parts before completion: a part
// an earlier run's late request made is a copy of the same bytes of the same version.
func (t *task) copyParts(ctx context.Context, c Copier, src object.CopySource, size int64, fp journal.Fingerprint, o *object.Options) (err error) {
	partSize, err := PartSize(size, t.e.opts.PartSize)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src.Ref, err)
	}
	dst, j := t.it.Object, t.e.opts.Journal
	id, have, err := t.resumeUpload(ctx, src.String(), dst, fp, partSize)
	if err != nil {
		return err
	}
	resumed := id != ""
	s, err := t.newSession(ctx, dst, o, id, j != nil)
	if err != nil {
		return err
	}
	defer func() { s.end(ctx, err) }()
	if err := s.record(resumed, fp, partSize); err != nil {
		return err
	}
	parts := make([]object.Part, PartCount(size, partSize))
	t.eachMissing(parts, have, func(i int, num int32) bool {
		ps := src
		ps.Offset = int64(i) * partSize
		ps.Length = min(partSize, size-ps.Offset)
		return s.start(num, copyStall(t.e.opts.StallTimeout, ps.Length), func(ctx context.Context) (object.Part, error) {
			p, err := c.UploadPartCopy(ctx, s.dst, s.id, num, ps)
			p.Number, p.Size = num, ps.Length
			return p, err
		}, func(p object.Part, err error) {
			if err == nil {
				parts[i] = p
				t.progress(ps.Length)
			}
		})
	})
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.complete(ctx, parts, t.whole)
}

// sourceChecksum is what the bytes of a copy relayed through the client are checked
// against: the source's haul checksum, else the server's CRC of the whole object.
func sourceChecksum(info object.Info) (object.Checksum, bool) {
	if c, ok := StoredChecksum(info.Metadata); ok {
		return c, true
	}
	if crcSpecs[info.Checksum.Algorithm] != nil {
		return info.Checksum, true
	}
	return object.Checksum{}, false
}

// relayWhole copies an object of up to the multipart threshold between stores: one GET
// into a buffer of the memory budget, checked against the source's checksum (or its MD5
// ETag), then one PutObject, which records the haul checksum of the bytes.
func (t *task) relayWhole(ctx context.Context, from Store, info object.Info, o *object.Options) error {
	buf, err := t.e.getBuf(ctx, info.Size)
	if err != nil {
		return err
	}
	defer buf.release()
	src := t.it.Source
	err = t.call(ctx, false, func(ctx context.Context) error {
		md5ETag, err := t.readRange(ctx, from, src, info.ETag, 0, buf.data)
		if err != nil {
			return err
		}
		return t.checkRelayed(src, info, md5ETag, buf.data)
	})
	if err != nil {
		return err
	}
	return t.putBytes(ctx, t.it.Object, buf.data, o)
}

// checkRelayed checks the bytes of a whole object read from the source against what the
// source says they are, and records what they were checked with.
func (t *task) checkRelayed(src object.Ref, info object.Info, md5ETag bool, data []byte) error {
	if want, ok := sourceChecksum(info); ok {
		return t.check(src, want, object.Sum(want.Algorithm, data).Value)
	}
	if md5ETag && isMD5(info.ETag) {
		sum := md5.Sum(data) //nolint:gosec // S3's single-part ETag is the MD5 of the bytes
		return t.check(src, object.Checksum{Algorithm: object.ChecksumMD5, Value: info.ETag}, hex.EncodeToString(sum[:]))
	}
	t.unverified = "the source object has no checksum haul can check and its ETag is not an MD5"
	t.verified = "none"
	return nil
}

func isMD5(etag string) bool {
	b, err := hex.DecodeString(etag)
	return err == nil && len(b) == md5.Size
}

// readRange fills p with the bytes of src from off, with one GET pinned to etag. It fails
// unless exactly len(p) bytes arrive. md5ETag reports whether the source's ETag may be the
// MD5 of its bytes (not when it is encrypted with SSE-KMS or SSE-C).
func (t *task) readRange(ctx context.Context, from Getter, src object.Ref, etag string, off int64, p []byte) (md5ETag bool, err error) {
	length := int64(len(p))
	if length == 0 {
		return true, nil // a GET with a range of nothing is refused; there is nothing to read
	}
	body, err := from.GetObject(ctx, src, off, length, etag)
	if err != nil {
		return false, err
	}
	defer body.Close()
	md5ETag = true
	if m, ok := body.(interface{ ETagMayBeMD5() bool }); ok {
		md5ETag = m.ETagMayBeMD5()
	}
	r := touchReader{ctx: ctx, r: t.downBody(ctx, body)}
	n, err := io.ReadFull(r, p)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	if int64(n) != length {
		return false, &lengthError{ref: src, want: length, got: int64(n)}
	}
	var one [1]byte
	if extra, _ := r.Read(one[:]); extra > 0 {
		return false, &lengthError{ref: src, want: length, got: length + 1}
	}
	return md5ETag, nil
}

// touchReader tells the stall watch of ctx's attempt of every read that brought bytes.
type touchReader struct {
	ctx context.Context //nolint:containedctx // the attempt's, for its stall watch only
	r   io.Reader
}

func (r touchReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		Touch(r.ctx)
	}
	return n, err
}
