package transfer

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

// session is one multipart upload, and the one place where uploads from files and from
// streams and server-side copies create an upload, send its parts under the engine's
// request slots, and complete it, or, when anything fails or the run is cancelled, abort it
// with the settle step that aborts again an upload a late part brought back.
//
// With a journal the session records its upload and each part as it is acknowledged, and a
// session that fails keeps the upload and its parts for the next run instead of aborting
// them, unless the source is at fault (a changed file), which no later run can continue.
type session struct {
	t       *task
	dst     object.Ref
	id      string
	journal bool // record parts, and keep the upload when the session fails
	shared  bool // the upload is not this run's (Item.Share): never abort it

	sent atomic.Bool // a part request was started: one may land after an abort
	g    *errgroup.Group
	gctx context.Context // ends when a part fails for good or ctx ends
}

// partBody is what one part request sends; it is made afresh for each attempt.
type partBody interface {
	io.ReadSeeker
	// undo takes back the progress reported by a failed attempt.
	undo()
	// failed returns the error to report for a failed attempt: err, or the source's own
	// failure when the source is what went wrong (a file changed under the request).
	failed(err error) error
}

// newSession starts a multipart upload of dst (CreateMultipartUpload, see createUpload), or
// takes over the resumed upload id when it is not empty. ctx governs the parts; the session
// must be ended with end.
func (t *task) newSession(ctx context.Context, dst object.Ref, o *object.Options, id string, journal bool) (*session, error) {
	if id == "" {
		var err error
		if id, err = t.createUpload(ctx, dst, o); err != nil {
			return nil, err
		}
	}
	s := &session{t: t, dst: dst, id: id, journal: journal}
	s.g, s.gctx = errgroup.WithContext(ctx)
	return s, nil
}

// record writes a new session (not a resumed one) into the run's journal, when it has one,
// with the source's fingerprint fp and the part size: the next run can then continue it. If
// writing fails, the session is no longer kept for a later run (end aborts it).
func (s *session) record(resumed bool, fp journal.Fingerprint, partSize int64) error {
	j := s.t.e.opts.Journal
	if j == nil || resumed {
		return nil
	}
	err := j.StartUpload(journal.Upload{Bucket: s.dst.Bucket, Key: s.dst.Key, UploadID: s.id, Source: fp, PartSize: partSize})
	if err != nil {
		s.journal = false // not recorded, so no later run can continue it: abort it
	}
	return err
}

// eachMissing goes through the parts in order: a part the server already holds (have, from
// the journal of a resumed upload) is put in parts and its bytes counted as progress; for
// any other, send(i, num) starts it. It stops when send returns false.
func (t *task) eachMissing(parts []object.Part, have map[int32]object.Part, send func(i int, num int32) bool) {
	for i := range parts {
		num := int32(i + 1)
		if p, ok := have[num]; ok {
			parts[i] = p
			t.progress(p.Size)
			continue
		}
		if !send(i, num) {
			return
		}
	}
}

// send uploads part num once a request slot is free, in a goroutine of its own, and hands
// the part and the outcome to done (from that goroutine) when the part is acknowledged or
// has failed for good. open makes the part's body for each
// attempt, reporting bytes through progress. send returns false, having started nothing,
// when the session is failing or its context has ended: the caller stops sending and ends
// the session with what wait returns.
func (s *session) send(num int32, length int64, sum object.Checksum, open func(progress func(int64)) partBody, done func(object.Part, error)) bool {
	return s.start(num, s.t.e.opts.StallTimeout, func(ctx context.Context) (object.Part, error) {
		body := open(s.t.moved(ctx))
		etag, err := s.t.e.store.UploadPart(ctx, s.dst, s.id, num, s.t.upBody(ctx, body), length, sum)
		if err != nil {
			body.undo()
			return object.Part{}, body.failed(err)
		}
		return object.Part{Number: num, ETag: etag, Size: length, Checksum: sum}, nil
	}, done)
}

// start is send for any request that makes part num (an UploadPart, an UploadPartCopy):
// attempt makes it once and returns the part; it is retried under the engine's policy,
// each attempt cancelled when it moves no byte for stall (0: never). done is as for send,
// given a part with only its number when the part failed.
func (s *session) start(num int32, stall time.Duration, attempt func(ctx context.Context) (object.Part, error), done func(object.Part, error)) bool {
	if s.gctx.Err() != nil || s.t.e.acquirePart(s.gctx) != nil {
		return false
	}
	s.sent.Store(true)
	s.g.Go(func() error {
		defer s.t.e.releasePart()
		p := object.Part{Number: num}
		err := s.t.slotted(s.gctx, true, stall, func(ctx context.Context) error {
			made, err := attempt(ctx)
			if err == nil {
				p = made
			}
			return err
		})
		if err == nil && s.journal {
			err = s.t.e.opts.Journal.PartDone(s.dst.Bucket, s.dst.Key, s.id, p)
		}
		done(p, err)
		return err
	})
	return true
}

// wait waits for every part sent and returns the first failure, or ctx's error (the
// session's parent) when the run was cancelled. The session can send again afterwards.
func (s *session) wait(ctx context.Context) error {
	err := s.g.Wait()
	s.g, s.gctx = errgroup.WithContext(ctx)
	if err != nil {
		return err
	}
	return ctx.Err()
}

// complete assembles the parts, in ascending order (see task.complete).
func (s *session) complete(ctx context.Context, parts []object.Part, whole object.Checksum) error {
	return s.t.complete(ctx, s.dst, s.id, parts, whole)
}

// end finishes the session after err, the outcome of the upload: nothing to do when it
// succeeded, or when the upload is shared with other runs (they may still send parts);
// else the upload is aborted (with the settle step when parts were sent) and
// forgotten by the journal, unless the journal keeps it for the next run.
func (s *session) end(ctx context.Context, err error) {
	if err == nil || s.shared {
		return
	}
	var src *SourceError
	if s.journal && !errors.As(err, &src) {
		return // kept, with its recorded parts, for the next run
	}
	s.t.abortUpload(ctx, s.dst, s.id, s.sent.Load())
	if s.journal {
		_ = s.t.e.opts.Journal.Forget(s.dst.Bucket, s.dst.Key)
	}
}
