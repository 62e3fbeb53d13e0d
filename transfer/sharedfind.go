package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/haul-s3/haul/object"
)

// This file is a shared upload that no one started beforehand: the runs of a sharded job
// (cp -r --shard I/N) each send a share of the parts of every file larger than a size,
// and agree on the upload through the server, as they cannot talk to each other. The run
// that owns the file (by the shard hash of its path) creates the upload when the key has
// none; the others look for it (ListMultipartUploads of the exact key, with backoff, for
// at most Options.ShareWait); every run sends its part range; and the run that finds
// every part there once it has sent its own (the last to finish) completes it.

// DefaultShareWait is how long a run waits for the upload of a file it shares to appear
// when Options.ShareWait is left zero.
const DefaultShareWait = 10 * time.Minute

// shareBackoff is the first and the longest wait between two looks for a shared upload.
var shareBackoff = [2]time.Duration{500 * time.Millisecond, 15 * time.Second}

// SplitLarge returns produce with every upload of a file larger than over made one run's
// share of the parts of that file (a Share with no UploadID: found or created through the
// server, see Share), every copy of an object larger than over one run's share of the
// parts of a server-side copy (see sharedcopy.go), every download of an object larger than
// over one run's share of the parts of a download into a directory all the runs see (see
// shareddown.go), and every other item kept only by the run that owns it. owner returns
// the shard (from 0, of count) that owns an item; index is this run's shard. Items with Err
// or Skip set are kept by their owner too.
func SplitLarge(produce Producer, over int64, index, count int, owner func(Item) int) Producer {
	return func(ctx context.Context, yield func(Item) bool) error {
		return produce(ctx, func(it Item) bool {
			if (it.Op == Upload && it.stream == nil || it.Op == Copy || it.Op == Download && it.sink == nil) && it.Err == nil && it.Skip == nil && it.Size > over {
				it.Share = &Share{Index: index, Count: count, Owner: owner(it) == index}
				return yield(it)
			}
			if owner(it) != index {
				return true
			}
			return yield(it)
		})
	}
}

// ShareWaitError is a run that shares a file's upload and found no upload of its key in
// the time it waited: the run that owns the file has not started it (it has not reached
// the file yet, or it failed).
type ShareWaitError struct {
	Ref    object.Ref
	Waited time.Duration
}

func (e *ShareWaitError) Error() string {
	return fmt.Sprintf("no multipart upload of %s appeared in %s: the shard that owns the file, which starts it, has not (it failed, or has not reached the file yet)",
		e.Ref, e.Waited.Round(time.Second))
}

// findShared returns the upload that the runs sharing the file f share: the earliest
// incomplete upload of dst's exact key (by its start, then ID, so that every run picks the
// same when there are several, an earlier job's among them). When there is none and the
// object is there already with the file's size and time (an earlier run of the job
// completed it) it returns ""; else the owner creates one with the options o, and another
// run waits for one.
func (t *task) findShared(ctx context.Context, dst object.Ref, fi os.FileInfo, sh Share, o func() (*object.Options, error)) (string, error) {
	up, err := t.findUpload(ctx, dst, sh, shareRule{
		holds: func(info object.Info) bool { return holdsFile(info, fi) },
		create: func([]object.Upload) (string, error) {
			opts, err := o()
			if err != nil {
				return "", err
			}
			return t.createUpload(ctx, dst, opts)
		},
	})
	return up.UploadID, err
}

// shareRule is what the runs that share an upload of a key agree on, for findUpload.
type shareRule struct {
	// holds reports whether the object at the key is what the upload would make: an
	// earlier run of the job completed it, and nothing is left to do.
	holds func(object.Info) bool
	// usable reports whether an incomplete upload of the key may be shared (nil: any). An
	// upload it finds gone (an error for which notFound holds) is passed over.
	usable func(object.Upload) (bool, error)
	// create starts the upload, for the owner: given the uploads of the key not usable, it
	// returns the new upload's ID, or "" to look again (it then finds the upload it made).
	create func(unusable []object.Upload) (string, error)
}

// findUpload returns the upload of dst that the runs sharing it share: the earliest
// usable incomplete upload of dst's exact key (by its start, then ID, so that every run
// picks the same when there are several, an earlier job's among them). When there is none
// and the object holds already what the upload would make, it returns none (UploadID "");
// else the owner creates one, and another run waits for one, looking with backoff for at
// most Options.ShareWait.
func (t *task) findUpload(ctx context.Context, dst object.Ref, sh Share, rule shareRule) (object.Upload, error) {
	lister, ok := t.e.store.(UploadLister)
	if !ok {
		return object.Upload{}, final{errNoUploadLister}
	}
	var (
		up  object.Upload
		err error
	)
	found := pollUntil(ctx, t.e.shareWait(), func() bool {
		var unusable []object.Upload
		if up, unusable, err = t.earliestUpload(ctx, lister, dst, rule.usable); err != nil || up.UploadID != "" {
			return true
		}
		if info, herr := t.head(ctx, dst); herr == nil && rule.holds(info) {
			return true
		}
		if !sh.Owner {
			return false
		}
		up = object.Upload{Key: dst.Key}
		up.UploadID, err = rule.create(unusable)
		return err != nil || up.UploadID != ""
	})
	switch {
	case found:
		return up, err
	case ctx.Err() != nil:
		return object.Upload{}, ctx.Err()
	}
	return object.Upload{}, &ShareWaitError{Ref: dst, Waited: t.e.shareWait()}
}

func (e *Engine) shareWait() time.Duration {
	if e.opts.ShareWait > 0 {
		return e.opts.ShareWait
	}
	return DefaultShareWait
}

// earliestUpload returns the earliest incomplete upload of dst's exact key that usable
// accepts (nil: any), or none (UploadID ""), and those it does not accept. usable is
// called after the listing, for every upload of the key.
func (t *task) earliestUpload(ctx context.Context, lister UploadLister, dst object.Ref, usable func(object.Upload) (bool, error)) (object.Upload, []object.Upload, error) {
	var ups []object.Upload
	err := t.call(ctx, false, func(ctx context.Context) error {
		ups = ups[:0]
		return lister.ListUploads(ctx, dst.Bucket, dst.Key, func(u object.Upload) error {
			if u.Key == dst.Key {
				ups = append(ups, u)
			}
			return nil
		})
	})
	if err != nil {
		return object.Upload{}, nil, err
	}
	slices.SortFunc(ups, func(a, b object.Upload) int {
		if c := a.Initiated.Compare(b.Initiated); c != 0 {
			return c
		}
		return strings.Compare(a.UploadID, b.UploadID)
	})
	var (
		best     object.Upload
		unusable []object.Upload
	)
	for _, u := range ups {
		ok := true
		if usable != nil {
			if ok, err = usable(u); notFound(err) {
				continue
			} else if err != nil {
				return object.Upload{}, nil, err
			}
		}
		switch {
		case !ok:
			unusable = append(unusable, u)
		case best.UploadID == "":
			best = u
		}
	}
	return best, unusable, nil
}

// holdsFile reports whether the object info describes holds the file fi: its size, and
// the modification time haul recorded is the file's.
func holdsFile(info object.Info, fi os.FileInfo) bool {
	if info.Size != fi.Size() {
		return false
	}
	mt, ok := StoredMtime(info.Metadata)
	return ok && mt.Equal(fi.ModTime())
}

// completedMeanwhile reports whether a shared upload of dst that vanished under this run
// was completed by another: whether dst holds the file (holds), asked again with backoff
// for up to completeSettle, as the upload may be gone before the object is there while
// the other run's CompleteMultipartUpload is still at work.
func (t *task) completedMeanwhile(ctx context.Context, dst object.Ref, holds func(object.Info) bool) bool {
	return pollUntil(ctx, completeSettle, func() bool {
		info, err := t.head(ctx, dst)
		return err == nil && holds(info)
	})
}

// pollUntil calls look until it returns true, waiting between calls with the shared
// upload's backoff (shareBackoff), and reports whether it did before within passed or ctx
// ended. look is called at least once.
func pollUntil(ctx context.Context, within time.Duration, look func() bool) bool {
	wait, deadline := shareBackoff[0], time.Now().Add(within)
	for {
		if look() {
			return true
		}
		if time.Now().Add(wait).After(deadline) {
			return false
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return false
		}
		wait = min(2*wait, shareBackoff[1])
	}
}

// completeSettle is how long a run whose shared upload vanished waits for the object that
// another run's completion makes to appear.
var completeSettle = 30 * time.Second

// completeIfLast completes the shared upload id of the file at path once every part of its
// layout is there: the run that finds them all after sending its own share is the last to
// finish, and completes it (CompleteShared's checks). It reports whether it did. A run
// that completes at the same time as another and finds the upload gone is done too, when
// the object holds the file fi (its size and time, as holdsFile asks), or when it is the
// object the parts it listed make (its size, and their multipart ETag: an upload that
// haul did not start, and which another run took over, has no haul time in its metadata).
func (t *task) completeIfLast(ctx context.Context, path string, fi os.FileInfo, dst object.Ref, id string, lay Layout, first, end int32) (bool, error) {
	holds := func(info object.Info) bool { return holdsFile(info, fi) }
	listed, err := t.listUpload(ctx, dst, id)
	if notFound(err) && t.completedMeanwhile(ctx, dst, holds) {
		return false, nil // another run completed it a moment ago
	}
	if err != nil {
		return false, err
	}
	holdsIt := func(info object.Info) bool {
		if holds(info) {
			return true
		}
		parts := slices.DeleteFunc(slices.Clone(listed.Parts), func(p object.Part) bool { return p.Number < 1 || int(p.Number) > lay.Parts })
		slices.SortFunc(parts, func(a, b object.Part) int { return int(a.Number - b.Number) })
		etag, ok := multipartETag(parts)
		return ok && info.Size == lay.Size && sameETag(info.ETag, etag)
	}
	have := 0
	for _, p := range listed.Parts {
		if p.Number >= 1 && int(p.Number) <= lay.Parts {
			have++
		}
	}
	if have < lay.Parts {
		return false, nil // others are still sending: the last of them completes it
	}
	_, err = t.completeShared(ctx, path, dst, id)
	var perr *PartsError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &perr) && len(perr.Wrong) == 0:
		return false, nil // a part vanished meanwhile: another run is completing it
	case errors.As(err, &perr) && !slices.ContainsFunc(perr.Wrong, func(n int32) bool { return n >= first && n < end }):
		// Parts of other shards held with other bytes (left by an earlier job's upload):
		// their shards send them again, and the last of them completes the upload.
		t.notice(fmt.Sprintf("parts %s of shared upload %s do not hold the file's bytes yet: left for the shards that send them", PartNumbers(perr.Wrong), id))
		return false, nil
	case notFound(err) && t.completedMeanwhile(ctx, dst, holdsIt):
		return false, nil
	}
	return false, err
}
