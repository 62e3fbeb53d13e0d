package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

// notFound reports whether err says the thing asked for does not exist.
func notFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// resumeUpload looks for a recorded multipart upload of this file to dst. It returns the
// upload ID and the parts the server still holds exactly as recorded, or "" when the file
// must start over: no record, a changed file or part size (the old upload is aborted), or
// an upload the server no longer has. Each start-over is announced with a notice.
func (t *task) resumeUpload(ctx context.Context, src string, dst object.Ref, fp journal.Fingerprint, partSize int64) (string, map[int32]object.Part, error) {
	j := t.e.opts.Journal
	if j == nil {
		return "", nil, nil
	}
	u, ok := j.Upload(dst.Bucket, dst.Key)
	if !ok {
		return "", nil, nil
	}
	lister, canList := t.e.store.(PartLister)
	switch {
	case u.Source != fp:
		t.notice(changedNote(fp))
	case u.PartSize != partSize:
		t.notice("the part size differs from the interrupted run: starting it over")
	case !canList:
		t.notice("this store cannot list parts: starting the file over")
	default:
		server, err := t.listParts(ctx, lister, dst, u.UploadID)
		if notFound(err) {
			t.notice("the interrupted upload " + u.UploadID + " no longer exists on the server (aborted, or removed by a lifecycle rule): starting the file over")
			return "", nil, j.Forget(dst.Bucket, dst.Key)
		}
		if err != nil {
			return "", nil, err
		}
		have := map[int32]object.Part{}
		for _, p := range server {
			if rec, ok := u.Parts[p.Number]; ok && samePart(rec, p) {
				have[p.Number] = rec
			}
		}
		return u.UploadID, have, nil
	}
	t.abort(ctx, dst, u.UploadID)
	return "", nil, j.Forget(dst.Bucket, dst.Key)
}

// changedNote says that the source of a recorded upload changed: a file, or (with an ETag
// in its fingerprint) an object being copied.
func changedNote(fp journal.Fingerprint) string {
	if fp.ETag != "" {
		return "the source object changed since the interrupted run: starting it over"
	}
	return "the file changed since the interrupted run: starting it over"
}

// sameETag compares ETags with or without their quotes.
func sameETag(a, b string) bool { return strings.Trim(a, `"`) == strings.Trim(b, `"`) }

// reconcileParts checks, before a resumed upload is completed, that the server holds every
// part exactly as sent, and sends again any part it does not. A killed run can leave a
// request for a part still being processed while the resumed run sends that part again;
// the server may keep either, and completing with the other's ETag would fail (InvalidPart).
func (t *task) reconcileParts(ctx context.Context, s *session, f *os.File, fi os.FileInfo, partSize int64, parts []object.Part) error {
	lister, ok := t.e.store.(PartLister)
	if !ok {
		return nil
	}
	server, err := t.listParts(ctx, lister, s.dst, s.id)
	if err != nil {
		return err
	}
	held := make(map[int32]object.Part, len(server))
	for _, p := range server {
		held[p.Number] = p
	}
	for i, p := range parts {
		if s, ok := held[p.Number]; ok && samePart(p, s) {
			continue
		}
		t.notice(fmt.Sprintf("part %d on the server is not the one sent (an earlier run's request may have finished late): sending it again", p.Number))
		off := int64(i) * partSize
		open := func(progress func(int64)) partBody { return newPartReader(f, fi, off, p.Size, false, progress) }
		s.send(p.Number, p.Size, p.Checksum, open, func(sent object.Part, err error) {
			if err == nil {
				parts[i] = sent
			}
		})
	}
	return s.wait(ctx)
}

// samePart reports whether the server's listing of a part (listed) is the part recorded or
// sent (want): same size and ETag, and the same checksum where the server reports one.
func samePart(want, listed object.Part) bool {
	if want.Size != listed.Size || !sameETag(want.ETag, listed.ETag) {
		return false
	}
	return listed.Checksum.Value == "" || want.Checksum.Value == "" || listed.Checksum == want.Checksum
}

// listParts asks the server which parts it holds for an upload, retrying like any request.
func (t *task) listParts(ctx context.Context, lister PartLister, dst object.Ref, id string) ([]object.Part, error) {
	var parts []object.Part
	err := t.call(ctx, false, func(ctx context.Context) error {
		var err error
		parts, err = lister.ListParts(ctx, dst, id)
		return err
	})
	return parts, err
}
