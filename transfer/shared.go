package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
)

// Share is one run's share of a multipart upload that several runs make together, each on
// its own machine and none talking to the others: the upload UploadID, created beforehand
// (CreateMultipartUpload with the object's options), of which the run sends the parts of
// shard Index (from 0) of Count in the file's Layout. The layout is a pure function of the
// file's size and Options.PartSize, so every run given the same file and part size sends
// its own parts and no other's.
//
// A run with a Share never creates, completes or aborts the upload, which is not its own:
// it lists the parts first and sends only those the server does not hold as they must be,
// so a run that died is run again to send what it had not; on failure or cancel it leaves
// the parts it sent. CompleteShared completes the upload once every shard is done.
//
// With no UploadID the runs find the upload through the server (see SplitLarge): the Owner
// (the run that owns the file) creates it with the item's options when the key has no
// incomplete upload, the others wait for it (Options.ShareWait), and the run that finds
// every part there after sending its own completes it.
type Share struct {
	UploadID     string
	Index, Count int
	Owner        bool
}

// ShareOutcome is what a run with a Share did, given with its Done event: its shard's parts
// are the part numbers [First, End) of Layout (none when First == End: more shards than
// parts), of which it sent Sent and found Held on the server already.
type ShareOutcome struct {
	Layout     Layout
	First, End int32
	Sent, Held int
	UploadID   string
	Completed  bool // this run completed the upload (one found through the server)
}

// UploadPartLister is the optional capability of listing an upload's parts together with
// what the server says of the upload: the checksum algorithm and type it was created with
// (object.PartList). Shared uploads use it to send parts with the upload's algorithm;
// without it they use the call's (Options.Object.Checksum, else the store's default).
type UploadPartLister interface {
	ListUploadParts(ctx context.Context, ref object.Ref, uploadID string) (object.PartList, error)
}

// SharedFileItem is the producer of one run's share of the multipart upload of the regular
// file at path to dst (see Share). The item's Size is the bytes of its shard's parts. A
// path that cannot be read, is not a regular file or is empty ends the run with a
// *SourceError; a part size the file cannot have, with the layout's error.
func (e *Engine) SharedFileItem(path string, dst object.Ref, sh Share) Producer {
	return func(_ context.Context, yield func(Item) bool) error {
		fi, err := os.Stat(path)
		if err != nil {
			return &SourceError{Path: path, Err: err}
		}
		if !fi.Mode().IsRegular() {
			return &SourceError{Path: path, Err: fmt.Errorf("not a regular file (%s)", describeMode(fi))}
		}
		lay, err := NewLayout(fi.Size(), e.opts.PartSize)
		if errors.Is(err, ErrEmptyFile) {
			return &SourceError{Path: path, Err: err}
		}
		if err != nil {
			return fmt.Errorf("upload %s: %w", path, err)
		}
		first, end := lay.Shard(sh.Index, sh.Count)
		yield(Item{Op: Upload, Path: path, Object: dst, Size: lay.bytes(first, end), Share: &sh})
		return nil
	}
}

// bytes returns the bytes of parts first..end-1.
func (l Layout) bytes(first, end int32) int64 {
	if first >= end {
		return 0
	}
	off, _ := l.Part(first)
	last, length := l.Part(end - 1)
	return last + length - off
}

// uploadShare sends the parts of the task's shard of a shared upload that the server does
// not hold as they must be (see Share), and returns the bytes of the shard.
func (t *task) uploadShare(ctx context.Context, path string, dst object.Ref, sh Share) (_ int64, err error) {
	f, err := localfs.Open(path)
	if err != nil {
		return 0, &SourceError{Path: path, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, &SourceError{Path: path, Err: err}
	}
	lay, err := NewLayout(fi.Size(), t.e.opts.PartSize)
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", path, err)
	}
	first, end := lay.Shard(sh.Index, sh.Count)
	out := &ShareOutcome{Layout: lay, First: first, End: end, UploadID: sh.UploadID}
	t.share = out
	found := sh.UploadID == ""
	if first == end && (!found || !sh.Owner) {
		return 0, nil
	}
	if found {
		switch done, err := t.sendFound(ctx, f, fi, dst, sh, out); {
		case err != nil:
			return 0, err
		case done:
			return lay.bytes(first, end), nil
		}
	} else if err := t.sendShare(ctx, f, fi, dst, sh.UploadID, out); err != nil {
		return 0, err
	}
	if err := checkUnchanged(f, fi.Size(), fi.ModTime()); err != nil {
		return 0, err
	}
	if found {
		if out.Completed, err = t.completeIfLast(ctx, path, fi, dst, out.UploadID, lay, first, end); err != nil {
			return 0, err
		}
		t.notice(sharedNote(out))
	}
	return lay.bytes(first, end), nil
}

// sendFound finds the shared upload of the file f through the server (findShared) and
// sends the task's share of its parts, recording its ID in out. done is true when there is
// nothing more to do: the object holds the file already (an earlier run, or the other
// shards, completed it), before this run found an upload or while it was sending. An
// upload that vanished while this run was at it (completed by the other shards, which
// found every part there, or aborted) is looked for again: when the object is not the
// file, the owner starts another and the others find it.
func (t *task) sendFound(ctx context.Context, f *os.File, fi os.FileInfo, dst object.Ref, sh Share, out *ShareOutcome) (done bool, err error) {
	opts := func() (*object.Options, error) { return t.sharedOptions(ctx, f, fi, out.Layout) }
	for range maxShareLooks {
		id, err := t.findShared(ctx, dst, fi, sh, opts)
		if err != nil {
			return false, err
		}
		if id == "" {
			t.notice("the object holds the file already (its size and time): nothing sent")
			return true, nil
		}
		out.UploadID, out.Sent, out.Held = id, 0, 0
		err = t.sendShare(ctx, f, fi, dst, id, out)
		if !notFound(err) {
			return false, err
		}
		if t.completedMeanwhile(ctx, dst, func(info object.Info) bool { return holdsFile(info, fi) }) {
			t.notice(fmt.Sprintf("shared upload %s was completed by the other shards while this one was at it (the object has the file's size and time): nothing more to send", id))
			return true, nil
		}
	}
	return false, fmt.Errorf("upload %s: the shared upload vanished %d times while this shard sent its parts", dst, maxShareLooks)
}

// maxShareLooks is how many times a run looks for a shared upload that keeps vanishing
// (see sendFound) before it fails.
const maxShareLooks = 3

// sendShare sends the parts out.First..out.End-1 of the file f (laid out as out.Layout) to
// the upload id that the server does not hold with the file's bytes, counting in out
// those sent and those held already.
func (t *task) sendShare(ctx context.Context, f *os.File, fi os.FileInfo, dst object.Ref, id string, out *ShareOutcome) (err error) {
	lay, first, end := out.Layout, out.First, out.End
	listed, err := t.listUpload(ctx, dst, id)
	if err != nil {
		return err
	}
	if err := lay.checkLayout(listed.Parts); err != nil {
		return fmt.Errorf("upload %s (upload ID %s): %w", dst, id, err)
	}
	alg := listed.Checksum
	if alg == "" {
		alg = t.objectOptions(ctx, f.Name()).Checksum
	}
	plan := digestPlan{alg: alg}
	for _, p := range listed.Parts { // parts held without a checksum are compared by MD5 ETag
		plan.md5 = plan.md5 || p.Number >= first && p.Number < end && p.Checksum.Value == "" && isMD5Hex(p.ETag)
	}
	digests, err := digestParts(ctx, f, lay, first, end, plan)
	if err != nil {
		return err
	}
	held := map[int32]bool{}
	for _, p := range listed.Parts {
		if p.Number >= first && p.Number < end && digests[p.Number-first].holds(p) {
			held[p.Number] = true
		}
	}
	s, err := t.newSession(ctx, dst, nil, id, false)
	if err != nil {
		return err
	}
	s.shared = true
	defer func() { s.end(ctx, err) }() // a shared session's end never aborts: see session.end
	var sent atomic.Int64
	for num := first; num < end; num++ {
		off, length := lay.Part(num)
		if held[num] {
			out.Held++
			t.progress(length)
			continue
		}
		open := func(progress func(int64)) partBody { return newPartReader(f, fi, off, length, false, progress) }
		ok := s.send(num, length, digests[num-first].sum, open, func(_ object.Part, err error) {
			if err == nil {
				sent.Add(1)
			}
		})
		if !ok {
			break
		}
	}
	err = s.wait(ctx)
	out.Sent = int(sent.Load())
	return err
}

// sharedOptions returns the options the owner of a file creates its shared upload with:
// the item's, with the file's time and whole-file checksum in the metadata, as an upload
// of the file by one run records them (this reads the file once).
func (t *task) sharedOptions(ctx context.Context, f *os.File, fi os.FileInfo, lay Layout) (*object.Options, error) {
	o := withMtimeMetadata(t.objectOptions(ctx, f.Name()), fi.ModTime())
	sums, err := sumFile(ctx, o.Checksum, f, fi.Size(), lay.PartSize)
	if err != nil {
		return nil, err
	}
	t.whole = sums.whole
	return withChecksumMetadata(o, sums.whole), nil
}

// listUpload lists an upload's parts, with its checksum algorithm where the store can say
// (UploadPartLister), retrying like any request.
func (t *task) listUpload(ctx context.Context, dst object.Ref, id string) (object.PartList, error) {
	var l object.PartList
	err := t.call(ctx, false, func(ctx context.Context) error {
		var err error
		switch st := t.e.store.(type) {
		case UploadPartLister:
			l, err = st.ListUploadParts(ctx, dst, id)
		case PartLister:
			l.Parts, err = st.ListParts(ctx, dst, id)
		default:
			err = errNoPartLister
		}
		return err
	})
	return l, err
}

// errNoPartLister is the error of a shared upload on a store that cannot list parts.
var errNoPartLister = final{errors.New("this store cannot list the parts of a multipart upload")}

// CreateUpload starts a multipart upload of dst with the options o (their Checksum as
// given: "" sends none) and returns its ID, as an upload of a file does: retried, and an
// upload that a CreateMultipartUpload whose answer was lost started is found and aborted.
// A shared upload (Share) is started so, once, before its runs.
func (e *Engine) CreateUpload(ctx context.Context, dst object.Ref, o *object.Options, opts ...CallOption) (string, error) {
	r, ctx := e.newRun(ctx, collect(opts))
	defer r.stop(nil)
	t := &task{run: r, it: Item{Op: Upload, Object: dst}}
	return t.createUpload(ctx, dst, o)
}

// sharedNote says what a run did with its share of an upload found through the server.
func sharedNote(o *ShareOutcome) string {
	s := fmt.Sprintf("shared upload %s: parts %d-%d of %d: %d sent, %d already there; ", o.UploadID, o.First, o.End-1, o.Layout.Parts, o.Sent, o.Held)
	if o.First == o.End {
		s = fmt.Sprintf("shared upload %s: none of the %d parts is this shard's; ", o.UploadID, o.Layout.Parts)
	}
	if o.Completed {
		return s + "every part was there: completed"
	}
	return s + "the last shard to finish completes it"
}
