package transfer

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// TestLayoutShardsTakeEveryPartOnce: for sizes around part boundaries and 1..16 shards,
// the shards' ranges are contiguous, take every part exactly once, differ by at most one
// part, and Owner names the shard that takes each part.
func TestLayoutShardsTakeEveryPartOnce(t *testing.T) {
	const p = 5 * mib
	sizes := []int64{1, p - 1, p, p + 1, 2*p - 1, 2 * p, 2*p + 1, 7*p + 3, 48 * mib, 48*mib + 1, 100 * p, 100*p - 1}
	for _, size := range sizes {
		for _, forced := range []int64{p, 0} {
			lay, err := NewLayout(size, forced)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for num := int32(1); int(num) <= lay.Parts; num++ {
				_, length := lay.Part(num)
				if length <= 0 || length > lay.PartSize {
					t.Fatalf("size %d: part %d has %d bytes", size, num, length)
				}
				total += length
			}
			if total != size {
				t.Fatalf("size %d: parts hold %d bytes", size, total)
			}
			for n := 1; n <= 16; n++ {
				checkShards(t, lay, n)
			}
		}
	}
}

func checkShards(t *testing.T, lay Layout, n int) {
	t.Helper()
	seen := make([]int, lay.Parts+1)
	next := int32(1)
	lo, hi := lay.Parts, 0
	var bytes int64
	for i := range n {
		first, end := lay.Shard(i, n)
		if first != next || end < first {
			t.Fatalf("%d parts, shard %d/%d: [%d, %d) does not follow on from %d", lay.Parts, i, n, first, end, next)
		}
		next = end
		lo, hi = min(lo, int(end-first)), max(hi, int(end-first))
		bytes += lay.bytes(first, end)
		for num := first; num < end; num++ {
			seen[num]++
			if o := lay.Owner(num, n); o != i {
				t.Fatalf("%d parts, %d shards: part %d is in shard %d, Owner says %d", lay.Parts, n, num, i, o)
			}
		}
	}
	for num := 1; num <= lay.Parts; num++ {
		if seen[num] != 1 {
			t.Fatalf("%d parts, %d shards: part %d is taken %d times", lay.Parts, n, num, seen[num])
		}
	}
	if hi-lo > 1 || bytes != lay.Size {
		t.Fatalf("%d parts, %d shards: shards of %d to %d parts holding %d bytes", lay.Parts, n, lo, hi, bytes)
	}
}

func TestNewLayoutRefusesAnEmptyFile(t *testing.T) {
	if _, err := NewLayout(0, 0); !errors.Is(err, ErrEmptyFile) {
		t.Fatalf("err = %v; want ErrEmptyFile", err)
	}
}

// sharedRun runs shard i of n of the upload id of path.
func sharedRun(t *testing.T, fs *fakeStore, path, id string, i, n int) (*ShareOutcome, error) {
	t.Helper()
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, Concurrency: 4}))
	var out *ShareOutcome
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Done {
			out = ev.Share
		}
	})
	_, err := e.Run(context.Background(), e.SharedFileItem(path, dst, Share{UploadID: id, Index: i, Count: n}), WithObserver(obs))
	return out, err
}

func partsSent(fs *fakeStore) []int32 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var nums []int32
	for _, c := range fs.calls {
		if c.Op == "UploadPart" {
			nums = append(nums, c.Part)
		}
	}
	slices.Sort(nums)
	return nums
}

// TestSharedUploadSendsItsShardOnceAndCompletes: each shard sends only its own parts; a
// shard run again sends nothing; CompleteShared then makes the file's object; nothing is
// ever aborted.
func TestSharedUploadSendsItsShardOnceAndCompletes(t *testing.T) {
	fs := newFake()
	data := randomBytes(48*mib+5, 3) // 10 parts of 5 MiB
	path := filepath.Join(t.TempDir(), "big")
	writeFile(t, path, data)
	id, _ := fs.CreateMultipartUpload(context.Background(), dst, &object.Options{})
	out, err := sharedRun(t, fs, path, id, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if out == nil || out.First != 4 || out.End != 7 || out.Sent != 3 || out.Held != 0 {
		t.Fatalf("shard 1/3: %+v; want parts [4, 7), 3 sent", out)
	}
	if got := partsSent(fs); !slices.Equal(got, []int32{4, 5, 6}) {
		t.Fatalf("parts sent %v; want 4, 5, 6", got)
	}
	if out, err = sharedRun(t, fs, path, id, 1, 3); err != nil || out.Sent != 0 || out.Held != 3 {
		t.Fatalf("shard 1/3 again: %+v, %v; want 3 held, none sent", out, err)
	}
	e := New(fs, fastOpts(Options{PartSize: 5 * mib}))
	var perr *PartsError
	if _, err := e.CompleteShared(context.Background(), path, dst, id); !errors.As(err, &perr) ||
		!slices.Equal(perr.Missing, []int32{1, 2, 3, 7, 8, 9, 10}) || fs.openUploads() != 1 {
		t.Fatalf("complete with shards 0 and 2 missing: %v (%+v); want parts 1-3, 7-10 missing and the upload kept", err, perr)
	}
	for _, i := range []int{0, 2} {
		if _, err := sharedRun(t, fs, path, id, i, 3); err != nil {
			t.Fatal(err)
		}
	}
	if got := partsSent(fs); len(got) != 10 {
		t.Fatalf("parts sent %v; want each of 10 once", got)
	}
	c, err := e.CompleteShared(context.Background(), path, dst, id)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) || c.Layout.Parts != 10 {
		t.Fatalf("object of %d bytes, completion %+v", len(got), c)
	}
	if n := fs.count("AbortMultipartUpload"); n != 0 {
		t.Fatalf("%d aborts; a shared upload is never aborted", n)
	}
}

// TestSharedUploadResendsAPartWithOtherBytes: a part of the right size but not the file's
// bytes (its MD5 ETag differs) is sent again; complete refuses it while it is there.
func TestSharedUploadResendsAPartWithOtherBytes(t *testing.T) {
	fs := newFake()
	data := randomBytes(12*mib, 4) // 3 parts
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, data)
	ctx := context.Background()
	id, _ := fs.CreateMultipartUpload(ctx, dst, &object.Options{})
	other := randomBytes(5*mib, 5)
	if _, err := fs.UploadPart(ctx, dst, id, 2, bytes.NewReader(other), 5*mib, object.Checksum{}); err != nil {
		t.Fatal(err)
	}
	var perr *PartsError
	e := New(fs, fastOpts(Options{PartSize: 5 * mib}))
	if _, err := e.CompleteShared(ctx, path, dst, id); !errors.As(err, &perr) || !slices.Equal(perr.Wrong, []int32{2}) {
		t.Fatalf("complete: %v; want part 2 held with other bytes", err)
	}
	out, err := sharedRun(t, fs, path, id, 0, 1)
	if err != nil || out.Sent != 3 || out.Held != 0 {
		t.Fatalf("shard 0/1: %+v, %v; want all 3 sent", out, err)
	}
	if _, err := e.CompleteShared(ctx, path, dst, id); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) {
		t.Fatal("object differs from the file")
	}
}

// TestSharedUploadRefusesAnotherLayout: a part held with a size this run's layout does not
// give it (another part size) fails the run, which sends nothing and aborts nothing.
func TestSharedUploadRefusesAnotherLayout(t *testing.T) {
	fs := newFake()
	data := randomBytes(20*mib, 6)
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, data)
	ctx := context.Background()
	id, _ := fs.CreateMultipartUpload(ctx, dst, &object.Options{})
	if _, err := fs.UploadPart(ctx, dst, id, 1, bytes.NewReader(data[:8*mib]), 8*mib, object.Checksum{}); err != nil {
		t.Fatal(err)
	}
	_, err := sharedRun(t, fs, path, id, 1, 2)
	var le *LayoutError
	if !errors.As(err, &le) || le.Part != 1 || le.Size != 8*mib || le.Want != 5*mib {
		t.Fatalf("err = %v; want a LayoutError naming part 1 of 8 MiB where 5 MiB", err)
	}
	if n := fs.count("UploadPart"); n != 1 || fs.count("AbortMultipartUpload") != 0 {
		t.Fatalf("%d UploadParts (1 made by the test), %d aborts", n, fs.count("AbortMultipartUpload"))
	}
}

// TestSharedUploadFailureLeavesTheParts: a part that fails for good fails the run and
// leaves the upload and the parts sent, unaborted.
func TestSharedUploadFailureLeavesTheParts(t *testing.T) {
	fs := newFake()
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "UploadPart" && c.Part == 3 {
			return &fakeErr{code: "AccessDenied"}
		}
		return nil
	}
	data := randomBytes(20*mib, 7)
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, data)
	id, _ := fs.CreateMultipartUpload(context.Background(), dst, &object.Options{})
	if _, err := sharedRun(t, fs, path, id, 0, 1); err == nil {
		t.Fatal("the run succeeded with part 3 refused")
	}
	if fs.openUploads() != 1 || fs.count("AbortMultipartUpload") != 0 {
		t.Fatalf("%d uploads open, %d aborts; want the upload left as it is", fs.openUploads(), fs.count("AbortMultipartUpload"))
	}
}

// TestSharedUploadMoreShardsThanParts: a shard with no parts does nothing and succeeds.
func TestSharedUploadMoreShardsThanParts(t *testing.T) {
	fs := newFake()
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, randomBytes(6*mib, 8)) // 2 parts
	id, _ := fs.CreateMultipartUpload(context.Background(), dst, &object.Options{})
	out, err := sharedRun(t, fs, path, id, 0, 4)
	if err != nil || out == nil || out.First != out.End || fs.count("UploadPart")+fs.count("ListParts") != 0 {
		t.Fatalf("shard 0/4 of 2 parts: %+v, %v, calls %+v; want nothing to do", out, err, fs.calls)
	}
}

// TestSharedUploadCancelLeavesTheParts: a cancel (Ctrl-C) stops the run and leaves the
// upload and the parts acknowledged: nothing is aborted.
func TestSharedUploadCancelLeavesTheParts(t *testing.T) {
	fs := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "UploadPart" && c.Part == 2 {
			cancel()
			return errStallHere
		}
		return nil
	}
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, randomBytes(20*mib, 9))
	id, _ := fs.CreateMultipartUpload(context.Background(), dst, &object.Options{})
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, Concurrency: 1}))
	_, err := e.Run(ctx, e.SharedFileItem(path, dst, Share{UploadID: id, Index: 0, Count: 1}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want the cancel", err)
	}
	if fs.openUploads() != 1 || fs.count("AbortMultipartUpload") != 0 || len(fs.uploads[id].parts) != 1 {
		t.Fatalf("%d uploads open, %d aborts, parts %d; want the upload left with part 1", fs.openUploads(), fs.count("AbortMultipartUpload"), len(fs.uploads[id].parts))
	}
}

// TestSplitLargeSharesABigFileAmongRuns: three runs of one tree at once, each its shard:
// the small files go whole to their owners; the big file's parts are split among the runs,
// one upload created (by its owner), each part sent once, and the upload completed by the
// last run to finish (or the last two, when they finish at once); nothing is aborted.
func TestSplitLargeSharesABigFileAmongRuns(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	big := randomBytes(33*mib, 10) // 7 parts of 5 MiB
	writeFile(t, filepath.Join(dir, "big"), big)
	small := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	for i, name := range small {
		writeFile(t, filepath.Join(dir, name), randomBytes(1000, uint64(20+i)))
	}
	owner := func(it Item) int { return len(filepath.Base(it.Path)) % 3 }
	shareWait := 30 * time.Second
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			e := New(fs, fastOpts(Options{PartSize: 5 * mib, Concurrency: 4, ShareWait: shareWait}))
			_, errs[i] = e.Run(context.Background(), SplitLarge(TreeItems(dir, object.Ref{Bucket: "b", Key: "p/"}, nil), 20*mib, i, 3, owner))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if got, _ := fs.object(object.Ref{Bucket: "b", Key: "p/big"}); !bytes.Equal(got, big) {
		t.Fatalf("p/big holds %d bytes, not the file", len(got))
	}
	if got := partsSent(fs); !slices.Equal(got, []int32{1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("parts sent %v; want each of 7 once", got)
	}
	for _, name := range small {
		if _, ok := fs.object(object.Ref{Bucket: "b", Key: "p/" + name}); !ok {
			t.Errorf("p/%s was not uploaded", name)
		}
	}
	// Two runs that finish at once may both find every part there and both complete.
	if n, c, a := fs.count("CreateMultipartUpload"), fs.count("CompleteMultipartUpload"), fs.count("AbortMultipartUpload"); n != 1 || c < 1 || a != 0 || fs.count("PutObject") != len(small) {
		t.Fatalf("%d creates, %d completes, %d aborts, %d puts; want 1, 1 or more, 0, %d", n, c, a, fs.count("PutObject"), len(small))
	}
}

// TestSplitLargeWaitIsBounded: a run that shares a file whose owner never starts its
// upload fails after Options.ShareWait with a *ShareWaitError.
func TestSplitLargeWaitIsBounded(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big"), randomBytes(12*mib, 11))
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, ShareWait: time.Second}))
	_, err := e.Run(context.Background(), SplitLarge(TreeItems(dir, object.Ref{Bucket: "b", Key: "p/"}, nil), 5*mib, 1, 2, func(Item) int { return 0 }))
	var we *ShareWaitError
	if !errors.As(err, &we) || fs.count("UploadPart") != 0 {
		t.Fatalf("err = %v, %d parts sent; want a ShareWaitError and nothing sent", err, fs.count("UploadPart"))
	}
}

// TestSplitLargeUploadCompletedWhileFound: a run finds the shared upload, and before it
// lists the parts the other shards complete it (its own parts were there already, sent by
// an earlier run of its shard). The upload is gone, and the object not there at the first
// look (the completion is still at work): the run finds it at the next, with the file's
// size and time, and is done, without failing.
func TestSplitLargeUploadCompletedWhileFound(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	path := filepath.Join(dir, "big")
	data := randomBytes(12*mib, 12) // 3 parts of 5 MiB
	writeFile(t, path, data)
	tree := func() Producer { return TreeItems(dir, object.Ref{Bucket: "b", Key: "p/"}, nil) }
	owner := func(Item) int { return 0 }
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, ShareWait: time.Second}))
	if _, err := e.Run(context.Background(), SplitLarge(tree(), 5*mib, 0, 2, owner)); err != nil {
		t.Fatalf("shard 0: %v", err)
	}
	var id string
	for k := range fs.uploads {
		id = k
	}
	ref := object.Ref{Bucket: "b", Key: "p/big"}
	lay, _ := NewLayout(int64(len(data)), 5*mib)
	first, end := lay.Shard(1, 2)
	for num := first; num < end; num++ { // an earlier run of shard 1 sent its parts
		off, length := lay.Part(num)
		if _, err := fs.UploadPart(context.Background(), ref, id, num, bytes.NewReader(data[off:off+length]), length, object.Checksum{}); err != nil {
			t.Fatal(err)
		}
	}
	var done, miss atomic.Bool
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "HeadObject" && miss.Swap(false) {
			return &fakeNotFound{} // the completion is still at work: no object yet
		}
		if c.Op != "ListParts" || done.Swap(true) {
			return nil
		}
		defer miss.Store(true)
		func() { // the other shards complete it first
			if _, err := New(fs, Options{PartSize: 5 * mib}).CompleteShared(context.Background(), path, ref, id); err != nil {
				t.Errorf("complete: %v", err)
			}
		}()
		return nil
	}
	var notes []string
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Notice {
			notes = append(notes, ev.Note)
		}
	})
	e = New(fs, fastOpts(Options{PartSize: 5 * mib, ShareWait: time.Second}))
	if _, err := e.Run(context.Background(), SplitLarge(tree(), 5*mib, 1, 2, owner), WithObserver(obs)); err != nil {
		t.Fatalf("shard 1, whose upload was completed under it: %v", err)
	}
	if got, _ := fs.object(ref); !bytes.Equal(got, data) || fs.openUploads() != 0 || fs.count("CreateMultipartUpload") != 1 {
		t.Fatalf("object of %d bytes, %d uploads open, %d created; want the file, none, 1", len(got), fs.openUploads(), fs.count("CreateMultipartUpload"))
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "completed by the other shards") }) {
		t.Fatalf("notices %q; want one saying the other shards completed it", notes)
	}
}

// TestSplitLargeVanishedUploadAndAnotherObject: the last run to finish finds the shared
// upload gone (aborted by someone) and at the key an object of the file's size that is not
// the file (it has no haul time of the file's). The run does not count the file as sent by
// the other shards: it fails, saying the upload is not there.
func TestSplitLargeVanishedUploadAndAnotherObject(t *testing.T) {
	defer func(d time.Duration) { completeSettle = d }(completeSettle)
	completeSettle = time.Second
	fs := newFake()
	dir := t.TempDir()
	data := randomBytes(12*mib, 13) // 3 parts of 5 MiB
	writeFile(t, filepath.Join(dir, "big"), data)
	ref := object.Ref{Bucket: "b", Key: "p/big"}
	var lists atomic.Int32
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op != "ListParts" || lists.Add(1) != 2 {
			return nil
		}
		fs.mu.Lock()
		ids := slices.Collect(maps.Keys(fs.uploads))
		fs.mu.Unlock()
		for _, id := range ids { // the upload is aborted, and the key written by another
			if err := fs.AbortMultipartUpload(context.Background(), ref, id); err != nil {
				t.Error(err)
			}
		}
		other := randomBytes(len(data), 14)
		if _, err := fs.PutObject(context.Background(), ref, bytes.NewReader(other), int64(len(other)), &object.Options{}, object.Checksum{}); err != nil {
			t.Error(err)
		}
		return &fakeNotFound{}
	}
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, ShareWait: time.Second}))
	_, err := e.Run(context.Background(), SplitLarge(TreeItems(dir, object.Ref{Bucket: "b", Key: "p/"}, nil), 5*mib, 0, 1, func(Item) int { return 0 }))
	if !notFound(err) {
		t.Fatalf("err = %v; want the upload's not found: the object there is not the file", err)
	}
}

// TestSplitLargeForeignUploadCompletedByAnother: the shards take an upload that haul did
// not start (no haul time in its metadata), and another completes it while this run is
// completing it too: this run's CompleteMultipartUpload finds the upload gone. The object
// is the one the parts this run listed (and checked against the file) make, its multipart
// ETag says so, and the run is done, not failed.
func TestSplitLargeForeignUploadCompletedByAnother(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	data := randomBytes(12*mib, 15) // 3 parts of 5 MiB
	writeFile(t, filepath.Join(dir, "big"), data)
	ref := object.Ref{Bucket: "b", Key: "p/big"}
	ctx := context.Background()
	id, err := fs.CreateMultipartUpload(ctx, ref, &object.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var first atomic.Bool
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op != "CompleteMultipartUpload" || first.Swap(true) {
			return nil
		}
		parts, err := fs.ListParts(ctx, ref, id) // another shard completes it first
		if err == nil {
			_, err = fs.CompleteMultipartUpload(ctx, ref, id, parts)
		}
		if err != nil {
			t.Error(err)
		}
		return &fakeNotFound{}
	}
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, ShareWait: time.Second}))
	if _, err := e.Run(ctx, SplitLarge(TreeItems(dir, object.Ref{Bucket: "b", Key: "p/"}, nil), 5*mib, 0, 1, func(Item) int { return 0 })); err != nil {
		t.Fatalf("the run whose upload another completed: %v", err)
	}
	if got, _ := fs.object(ref); !bytes.Equal(got, data) {
		t.Fatal("the object is not the file")
	}
}
