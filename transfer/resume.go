package transfer

import (
	"context"
	"errors"
	"strings"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

// PartLister is the optional store capability a resumed upload needs: the parts the server
// holds for an upload. A store without it cannot resume uploads; they start over.
type PartLister interface {
	ListParts(ctx context.Context, ref object.Ref, uploadID string) ([]object.Part, error)
}

// notFound reports whether err says the thing asked for does not exist.
func notFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// resumeUpload looks for a recorded multipart upload of this file to dst. It returns the
// upload ID and the parts the server still holds exactly as recorded, or "" when the file
// must start over: no record, a changed file or part size (the old upload is aborted), or
// an upload the server no longer has. Each start-over is announced with a notice.
func (r *run) resumeUpload(ctx context.Context, src string, dst object.Ref, fp journal.Fingerprint, partSize int64) (string, map[int32]object.Part, error) {
	j := r.e.opts.Journal
	if j == nil {
		return "", nil, nil
	}
	u, ok := j.Upload(dst.Bucket, dst.Key)
	if !ok {
		return "", nil, nil
	}
	lister, canList := r.e.store.(PartLister)
	switch {
	case u.Source != fp:
		r.notice(src, dst.String(), "the file changed since the interrupted run: starting it over")
	case u.PartSize != partSize:
		r.notice(src, dst.String(), "the part size differs from the interrupted run: starting it over")
	case !canList:
		r.notice(src, dst.String(), "this store cannot list parts: starting the file over")
	default:
		var server []object.Part
		err := r.call(ctx, false, src, dst.String(), func(ctx context.Context) error {
			var err error
			server, err = lister.ListParts(ctx, dst, u.UploadID)
			return err
		})
		if notFound(err) {
			r.notice(src, dst.String(), "the interrupted upload "+u.UploadID+" no longer exists on the server (aborted, or removed by a lifecycle rule): starting the file over")
			return "", nil, j.Forget(dst.Bucket, dst.Key)
		}
		if err != nil {
			return "", nil, err
		}
		have := map[int32]object.Part{}
		for _, p := range server {
			if rec, ok := u.Parts[p.Number]; ok && sameETag(rec.ETag, p.ETag) && rec.Size == p.Size {
				have[p.Number] = rec
			}
		}
		return u.UploadID, have, nil
	}
	r.abort(ctx, dst, u.UploadID)
	return "", nil, j.Forget(dst.Bucket, dst.Key)
}

// sameETag compares ETags with or without their quotes.
func sameETag(a, b string) bool { return strings.Trim(a, `"`) == strings.Trim(b, `"`) }
