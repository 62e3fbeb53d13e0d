package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/haul-s3/haul/object"
)

// This file is a server-side copy shared among runs: the runs of a sharded job (cp -r
// --shard I/N --shard-parts-over SIZE, S3 to S3 on one store) each make a range of the
// UploadPartCopy parts of every object larger than SIZE, in one multipart upload they find
// through the server, as a shared upload of a file (sharedfind.go) is found.
//
// A file's parts are checked against the file's bytes; a copied part cannot be checked
// without reading the source. What makes a shared copy hold one version of the source is
// its ETag:
//
//   - Every part is copied pinned to the ETag of the version the run saw
//     (x-amz-copy-source-if-match): it is that version's bytes, or the request fails.
//   - The owner marks the upload it starts with the version it copies: part number 10,000
//     (copyMarkerPart, never one of the layout's) holds a line naming the source and its
//     ETag. The runs read the mark in the upload's part list, where its ETag is the MD5 of
//     that line, and share only an upload marked with the version each of them saw. So
//     every part of the upload was copied pinned to one ETag, by whichever run.
//   - The owner aborts the uploads of the key marked otherwise, or not marked (an earlier
//     job's, for an older version, or one whose owner died before marking it): no run
//     can tell what their parts hold. Until the mark is there the others wait.
//   - The upload is completed with the layout's parts alone: the mark is left out, and S3
//     drops a part not named at completion.
//
// The copy records the source's ETag in its metadata (SourceETagMetadata), so that a run
// that finds no upload can tell that the object at the key is the copy of this version
// already (the other runs completed it), as a file's upload is told by its size and time.

// SourceETagMetadata is the user metadata key in which a copy shared among runs records the
// ETag of the source version it copies.
const SourceETagMetadata = "haul-source-etag"

// copyMarkerPart is the part number of the mark of a shared copy's upload.
const copyMarkerPart = MaxParts

// markGrace is how long an upload of the key that is not marked is left alone by the owner
// of a shared copy, as another owner may be about to mark it.
var markGrace = time.Minute

// ErrSplitCopyNeedsServer is a shared copy (a Copy item with a Share) between two stores,
// or on a store that cannot copy: only a server-side copy is split among runs.
var ErrSplitCopyNeedsServer = errors.New("a copy is split by parts among runs only when the server copies it (one store with UploadPartCopy)")

// errMarkNotMD5 is a shared copy's mark whose ETag is not the MD5 of its bytes (SSE-KMS).
var errMarkNotMD5 = errors.New("the server's ETag of a part is not the MD5 of its bytes (SSE-KMS encryption makes it so), so the runs cannot read which version the shared upload copies: this object can be copied only whole, by one run")

// copyVersion is the version of the source a shared copy copies.
type copyVersion struct {
	src  object.Ref
	etag string
	size int64
}

// holds reports whether the object info describes is the copy of this version.
func (v copyVersion) holds(info object.Info) bool {
	etag, ok := lookupMeta(info.Metadata, SourceETagMetadata)
	return ok && info.Size == v.size && sameETag(etag, v.etag)
}

// mark returns the bytes of the mark of an upload copying this version, and their MD5.
func (v copyVersion) mark() ([]byte, string) {
	b := []byte("haul shared copy of " + v.src.String() + " version ETag " + strings.Trim(v.etag, `"`) + "\n")
	sum := md5.Sum(b) //nolint:gosec // S3's ETag of a part is the MD5 of its bytes
	return b, hex.EncodeToString(sum[:])
}

// marked reports whether the parts of an upload hold the mark of this version.
func (v copyVersion) marked(parts []object.Part) bool {
	_, sum := v.mark()
	for _, p := range parts {
		if p.Number == copyMarkerPart {
			return sameETag(p.ETag, sum)
		}
	}
	return false
}

// copyShare carries out the task's share of a copy split among runs (a Copy item with a
// Share) and returns the bytes of its shard's parts.
func (t *task) copyShare(ctx context.Context, sh Share) (int64, error) {
	src, dst := t.it.Source, t.it.Object
	c, ok := t.e.store.(Copier)
	if !ok || t.e.opts.Source != nil {
		return 0, final{fmt.Errorf("copy %s to %s: %w", src, dst, ErrSplitCopyNeedsServer)}
	}
	if err := object.CheckKey(dst.Key); err != nil {
		return 0, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	info, props, err := t.describe(ctx, t.e.store, src)
	if err != nil {
		return max(t.it.Size, 0), err
	}
	lay, err := NewLayout(info.Size, t.e.opts.PartSize)
	if err == nil && lay.Parts >= copyMarkerPart {
		err = fmt.Errorf("%d parts of %d bytes leave no part number for the mark of a shared copy: give a larger part size", lay.Parts, lay.PartSize)
	}
	if err != nil {
		return info.Size, fmt.Errorf("copy %s: %w", src, err)
	}
	v := copyVersion{src: src, etag: info.ETag, size: info.Size}
	o := t.copyOptions(ctx, info, props)
	t.whole, _ = StoredChecksum(o.Metadata)
	if t.givenChecksum() == "" {
		o.Checksum = "" // as copyObject: MinIO refuses UploadPartCopy into an upload with one
	}
	o.Metadata[SourceETagMetadata] = v.etag
	first, end := lay.Shard(sh.Index, sh.Count)
	out := &ShareOutcome{Layout: lay, First: first, End: end}
	t.share = out
	listed := map[string][]object.Part{} // the parts of the uploads usable listed
	rule := shareRule{
		holds: v.holds,
		usable: func(u object.Upload) (bool, error) {
			l, err := t.listUpload(ctx, dst, u.UploadID)
			listed[u.UploadID] = l.Parts
			return err == nil && v.marked(l.Parts), err
		},
		create: func(unusable []object.Upload) (string, error) {
			return "", t.startSharedCopy(ctx, dst, v, info, unusable, listed, o)
		},
	}
	for range maxShareLooks {
		up, err := t.findUpload(ctx, dst, sh, rule)
		if err != nil {
			return 0, err
		}
		if up.UploadID == "" {
			t.notice("the object is the copy of the source's version already (" + SourceETagMetadata + "): nothing copied")
			return lay.bytes(first, end), nil
		}
		out.UploadID, out.Sent, out.Held = up.UploadID, 0, 0
		err = t.copyShareParts(ctx, c, v, dst, listed[up.UploadID], out)
		if err == nil {
			if out.Completed, err = t.completeCopyIfLast(ctx, v, dst, up.UploadID, lay); err == nil {
				t.notice(sharedNote(out))
				return lay.bytes(first, end), nil
			}
		}
		if !notFound(err) {
			return lay.bytes(first, end), err
		}
		if t.completedMeanwhile(ctx, dst, v.holds) {
			t.notice(fmt.Sprintf("shared upload %s was completed by the other shards while this one was at it: nothing more to copy", up.UploadID))
			return lay.bytes(first, end), nil
		}
	}
	return 0, fmt.Errorf("copy %s to %s: the shared upload vanished %d times while this shard copied its parts", src, dst, maxShareLooks)
}

// startSharedCopy is the owner's start of a shared copy's upload: it aborts the uploads of
// the key not marked with the version v (unusable; listed holds their parts), starts one
// with the options o and the source's tags, and marks it. The runs, this one among them,
// then find it by listing. An upload not marked at all that began less than markGrace ago
// may be another owner's (a pod restarted while the old one still runs) about to be
// marked: the owner then starts none, and looks again.
func (t *task) startSharedCopy(ctx context.Context, dst object.Ref, v copyVersion, info object.Info, unusable []object.Upload, listed map[string][]object.Part, o *object.Options) error {
	young := false
	for _, u := range unusable {
		marked := slices.ContainsFunc(listed[u.UploadID], func(p object.Part) bool { return p.Number == copyMarkerPart })
		if !marked && time.Since(u.Initiated) < markGrace {
			young = true
			continue
		}
		why := "it is marked as the copy of another version"
		if !marked {
			why = "it is not marked as a copy"
		}
		t.notice(fmt.Sprintf("aborting upload %s of %s: %s, not of the source's version %s, so no shard can tell what its parts hold", u.UploadID, dst, why, v.etag))
		t.abortUpload(ctx, dst, u.UploadID, true)
	}
	if young {
		return nil
	}
	if o.Tags == nil { // CopyObject copies the tags; a multipart copy is given them
		tags, err := t.sourceTags(ctx, t.e.store, v.src, info)
		if err != nil {
			return err
		}
		withTags := *o
		withTags.Tags = tags
		o = &withTags
	}
	id, err := t.createUpload(ctx, dst, o)
	if err != nil {
		return err
	}
	mark, sum := v.mark()
	var etag string
	err = t.call(ctx, false, func(ctx context.Context) error {
		var perr error
		etag, perr = t.e.store.UploadPart(ctx, dst, id, copyMarkerPart, bytes.NewReader(mark), int64(len(mark)), object.Checksum{})
		return perr
	})
	if err == nil && !sameETag(etag, sum) {
		err = final{fmt.Errorf("copy %s to %s: %w", v.src, dst, errMarkNotMD5)}
	}
	if err != nil {
		t.abortUpload(ctx, dst, id, true)
	}
	return err
}

// copyShareParts copies the parts out.First..out.End-1 of the source version v into the
// shared upload out.UploadID, each pinned to the version's ETag, but those the upload
// holds already (listed: of an upload marked with v, of the layout's size, a part is the
// version's).
func (t *task) copyShareParts(ctx context.Context, c Copier, v copyVersion, dst object.Ref, listed []object.Part, out *ShareOutcome) (err error) {
	lay, id := out.Layout, out.UploadID
	listed = withoutMark(listed)
	if err := lay.checkLayout(listed); err != nil {
		return fmt.Errorf("copy %s (upload ID %s): %w", dst, id, err)
	}
	held := map[int32]bool{}
	for _, p := range listed {
		held[p.Number] = p.Size > 0 // checkLayout: of the layout's size, or one being written
	}
	s, err := t.newSession(ctx, dst, nil, id, false)
	if err != nil {
		return err
	}
	s.shared = true
	defer func() { s.end(ctx, err) }() // a shared session's end never aborts
	sent := 0
	for num := out.First; num < out.End; num++ {
		off, length := lay.Part(num)
		if held[num] {
			out.Held++
			t.progress(length)
			continue
		}
		ps := object.CopySource{Ref: v.src, ETag: v.etag, Offset: off, Length: length}
		ok := s.start(num, copyStall(t.e.opts.StallTimeout, length), func(ctx context.Context) (object.Part, error) {
			p, err := c.UploadPartCopy(ctx, dst, id, num, ps)
			p.Number, p.Size = num, length
			return p, err
		}, func(_ object.Part, err error) {
			if err == nil {
				t.progress(length)
			}
		})
		if !ok {
			break
		}
		sent++
	}
	err = s.wait(ctx)
	if err == nil {
		out.Sent = sent
	}
	return err
}

// withoutMark returns parts without the mark of a shared copy.
func withoutMark(parts []object.Part) []object.Part {
	return slices.DeleteFunc(slices.Clone(parts), func(p object.Part) bool { return p.Number == copyMarkerPart })
}

// completeCopyIfLast completes the shared copy's upload id with the parts of its layout
// once every one is there (the run that finds them all after making its own is the last
// to finish), and checks the object it made. It reports whether it completed the upload;
// a run that finds the upload gone gives the NoSuchUpload error, which copyShare resolves.
func (t *task) completeCopyIfLast(ctx context.Context, v copyVersion, dst object.Ref, id string, lay Layout) (bool, error) {
	l, err := t.listUpload(ctx, dst, id)
	if err != nil {
		return false, err
	}
	if !v.marked(l.Parts) {
		return false, fmt.Errorf("copy %s (upload ID %s): the upload's mark changed under this shard: another job copies another version", dst, id)
	}
	parts := withoutMark(l.Parts)
	if err := lay.checkLayout(parts); err != nil {
		return false, fmt.Errorf("copy %s (upload ID %s): %w", dst, id, err)
	}
	parts = slices.DeleteFunc(parts, func(p object.Part) bool { return p.Size == 0 }) // being written
	if len(parts) < lay.Parts {
		return false, nil // others are still copying: the last of them completes it
	}
	slices.SortFunc(parts, func(a, b object.Part) int { return int(a.Number - b.Number) })
	err = t.completeWith(ctx, dst, parts, object.Checksum{}, func(ctx context.Context) (object.Written, error) {
		return t.e.store.CompleteMultipartUpload(ctx, dst, id, parts)
	})
	if err != nil {
		return false, err
	}
	// The object is asked for with backoff (for up to completeSettle): versitygw answered
	// a HEAD just after the completion of an upload over an older copy with the older
	// copy's metadata.
	var info object.Info
	pollUntil(ctx, completeSettle, func() bool {
		info, err = t.head(ctx, dst)
		return err == nil && v.holds(info)
	})
	if err != nil {
		return true, err
	}
	if !v.holds(info) {
		got, _ := lookupMeta(info.Metadata, SourceETagMetadata)
		return true, &CompletedError{Ref: dst, What: "size and " + SourceETagMetadata, Want: fmt.Sprintf("%d bytes, %s", v.size, v.etag),
			Got: fmt.Sprintf("%d bytes, %s", info.Size, got)}
	}
	return true, nil
}
