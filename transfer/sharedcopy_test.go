package transfer

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// sharedCopies runs the share of shard i of n of the copy of every object under src/ to
// dst/ (SplitLarge, over 10 MiB, each item owned by owner), n runs at once when i < 0.
func sharedCopies(st Store, i, n, owner int, wait time.Duration) []error {
	src, dst := object.Ref{Bucket: "src", Key: "p/"}, object.Ref{Bucket: "dst", Key: "q/"}
	run := func(i int) error {
		e := New(st, fastOpts(Options{PartSize: 5 * mib, Concurrency: 4, ShareWait: wait}))
		_, err := e.Run(context.Background(), SplitLarge(e.CopyPrefixItems(src, dst, nil), 10*mib, i, n, func(Item) int { return owner }))
		return err
	}
	if i >= 0 {
		return []error{run(i)}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = run(i) })
	}
	wg.Wait()
	return errs
}

// TestSplitCopySharesTheParts: three runs at once copy a 33 MiB object server-side, each
// its range of the 7 parts: one upload, marked by its owner (one small UploadPart), each
// part copied once, nothing read through the client, and the copy is the source's bytes
// (the mark left out) with the source's ETag recorded in its metadata.
func TestSplitCopySharesTheParts(t *testing.T) {
	st := newCopyStore("src", "dst")
	data := randomBytes(33*mib, 40)
	put(t, st, object.Ref{Bucket: "src", Key: "p/big"}, data, object.Options{})
	for i, err := range sharedCopies(st, -1, 3, 1, 30*time.Second) {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	got := stored(t, st, object.Ref{Bucket: "dst", Key: "q/big"})
	srcInfo, _ := st.HeadObject(context.Background(), object.Ref{Bucket: "src", Key: "p/big"})
	if !bytes.Equal(got.Data, data) || got.Info.Metadata[SourceETagMetadata] != srcInfo.ETag {
		t.Fatalf("copy of %d bytes with %s=%q; want the source's bytes and ETag %s", len(got.Data), SourceETagMetadata, got.Info.Metadata[SourceETagMetadata], srcInfo.ETag)
	}
	if n, c, g, m := st.count("UploadPartCopy"), st.count("CopyObject"), st.count("GetObject"), st.count("UploadPart"); n != 7 || c != 0 || g != 0 || m != 1 {
		t.Fatalf("%d UploadPartCopy, %d CopyObject, %d GetObject, %d UploadPart; want 7, 0, 0 and the mark", n, c, g, m)
	}
	noUploads(t, st, "dst")
}

// TestSplitCopyAbortsAStaleUpload: an earlier job's upload of the key, marked with the
// source's old version, holds every part of it, and another, not marked, holds parts of
// other bytes. The owner aborts both and starts another, and the copy is the new version,
// every part copied again.
func TestSplitCopyAbortsAStaleUpload(t *testing.T) {
	defer func(d time.Duration) { markGrace = d }(markGrace)
	markGrace = 0 // the unmarked upload is old
	st := newCopyStore("src", "dst")
	ref, dst := object.Ref{Bucket: "src", Key: "p/big"}, object.Ref{Bucket: "dst", Key: "q/big"}
	old := randomBytes(12*mib, 41)
	put(t, st, ref, old, object.Options{})
	info, _ := st.HeadObject(context.Background(), ref)
	ctx := context.Background()
	stale, err := st.CreateMultipartUpload(ctx, dst, &object.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mark, _ := copyVersion{src: ref, etag: info.ETag, size: info.Size}.mark()
	if _, err := st.UploadPart(ctx, dst, stale, copyMarkerPart, bytes.NewReader(mark), int64(len(mark)), object.Checksum{}); err != nil {
		t.Fatal(err)
	}
	for num := int32(1); num <= 3; num++ { // an earlier job copied every part of the old version
		off := int64(num-1) * 5 * mib
		if _, err := st.UploadPartCopy(ctx, dst, stale, num, object.CopySource{Ref: ref, ETag: info.ETag, Offset: off, Length: min(5*mib, int64(len(old))-off)}); err != nil {
			t.Fatal(err)
		}
	}
	unmarked, err := st.CreateMultipartUpload(ctx, dst, &object.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UploadPart(ctx, dst, unmarked, 1, bytes.NewReader(make([]byte, 5*mib)), 5*mib, object.Checksum{}); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(12*mib, 42)
	put(t, st, ref, data, object.Options{})
	for i, err := range sharedCopies(st, -1, 2, 0, 30*time.Second) {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if got := stored(t, st, dst); !bytes.Equal(got.Data, data) {
		t.Fatalf("the copy is not the source's new version (old version: %v)", bytes.Equal(got.Data, old))
	}
	if n, a := st.count("UploadPartCopy"), st.count("AbortMultipartUpload"); n != 3 || a != 2 {
		t.Fatalf("%d UploadPartCopy, %d aborts; want the 3 parts copied again, the 2 uploads aborted", n, a)
	}
	noUploads(t, st, "dst")
}

// TestSplitCopyLeavesAYoungUnmarkedUpload: an upload of the key that is not marked yet and
// began a moment ago may be another owner's (a restarted pod's twin) about to mark it: the
// owner neither aborts it nor starts another, and once it is marked the runs share it.
func TestSplitCopyLeavesAYoungUnmarkedUpload(t *testing.T) {
	st := newCopyStore("src", "dst")
	ref, dst := object.Ref{Bucket: "src", Key: "p/big"}, object.Ref{Bucket: "dst", Key: "q/big"}
	data := randomBytes(12*mib, 48)
	put(t, st, ref, data, object.Options{})
	info, _ := st.HeadObject(context.Background(), ref)
	ctx := context.Background()
	twin, err := st.Store.CreateMultipartUpload(ctx, dst, &object.Options{Metadata: map[string]string{SourceETagMetadata: info.ETag}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { // the other owner marks it a moment later
		time.Sleep(700 * time.Millisecond)
		mark, _ := copyVersion{src: ref, etag: info.ETag, size: info.Size}.mark()
		if _, err := st.UploadPart(ctx, dst, twin, copyMarkerPart, bytes.NewReader(mark), int64(len(mark)), object.Checksum{}); err != nil {
			t.Error(err)
		}
	}()
	for i, err := range sharedCopies(st, -1, 2, 0, 30*time.Second) {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if got := stored(t, st, dst); !bytes.Equal(got.Data, data) {
		t.Fatal("the copy is not the source")
	}
	if n, c, a := st.count("CreateMultipartUpload"), st.count("UploadPartCopy"), st.count("AbortMultipartUpload"); n != 0 || c != 3 || a != 0 {
		t.Fatalf("%d uploads created, %d parts copied, %d aborts; want the twin's upload shared (none created, none aborted), 3 parts", n, c, a)
	}
	noUploads(t, st, "dst")
}

// TestSplitCopyPartBeingWritten: MinIO lists a part whose UploadPartCopy is under way with
// no bytes. Shard 1 sees its own part 2 so when it looks for the parts it holds, and copies
// it (no LayoutError); it sees part 2 so again when it lists the parts to complete, and
// does not complete the upload without it. A rerun of shard 0 finds every part there and
// completes it.
func TestSplitCopyPartBeingWritten(t *testing.T) {
	st := newCopyStore("src", "dst")
	ref, dst := object.Ref{Bucket: "src", Key: "p/big"}, object.Ref{Bucket: "dst", Key: "q/big"}
	data := randomBytes(12*mib, 49)
	put(t, st, ref, data, object.Options{})
	var lists atomic.Int32
	st.parts = func(parts []object.Part) []object.Part {
		if n := lists.Add(1); n != 3 && n != 4 { // shard 1's two listings
			return parts
		}
		parts = slices.DeleteFunc(parts, func(p object.Part) bool { return p.Number == 2 })
		return append(parts, object.Part{Number: 2}) // being written: no size yet
	}
	for _, i := range []int{0, 1} { // shard 0 copies part 1; shard 1 parts 2-3
		if errs := sharedCopies(st, i, 2, 0, 30*time.Second); errs[0] != nil {
			t.Fatalf("shard %d: %v", i, errs[0])
		}
	}
	if n := st.count("UploadPartCopy"); n != 3 {
		t.Fatalf("%d parts copied; want 3", n)
	}
	if _, ok := st.Object(dst); ok {
		t.Fatal("completed with a part being written")
	}
	if errs := sharedCopies(st, 0, 2, 0, 30*time.Second); errs[0] != nil {
		t.Fatalf("shard 0 again: %v", errs[0])
	}
	if got := stored(t, st, dst); !bytes.Equal(got.Data, data) || st.count("UploadPartCopy") != 3 {
		t.Fatalf("the copy is the source: %v, %d parts copied; want true, 3", bytes.Equal(got.Data, data), st.count("UploadPartCopy"))
	}
	noUploads(t, st, "dst")
}

// TestSplitCopySourceChangedBetweenShards: shard 0 (the owner) copies its parts, then the
// source is written again before shard 1 runs. Shard 1 does not take the upload, marked
// with the version before: it waits for one and fails when none comes. Run again,
// shard 0 aborts the stale upload and copies the new version's parts, and shard 1 then
// completes the copy of the new version.
func TestSplitCopySourceChangedBetweenShards(t *testing.T) {
	st := newCopyStore("src", "dst")
	ref, dst := object.Ref{Bucket: "src", Key: "p/big"}, object.Ref{Bucket: "dst", Key: "q/big"}
	put(t, st, ref, randomBytes(12*mib, 43), object.Options{})
	if errs := sharedCopies(st, 0, 2, 0, time.Second); errs[0] != nil {
		t.Fatalf("shard 0: %v", errs[0])
	}
	if n := st.count("UploadPartCopy"); n != 1 {
		t.Fatalf("shard 0 made %d parts; want 1 of 3", n)
	}
	data := randomBytes(12*mib, 44)
	put(t, st, ref, data, object.Options{})
	var we *ShareWaitError
	if errs := sharedCopies(st, 1, 2, 0, time.Second); !errors.As(errs[0], &we) || st.count("UploadPartCopy") != 0 {
		t.Fatalf("shard 1 after the source changed: %v, %d parts copied; want a ShareWaitError and none", errs[0], st.count("UploadPartCopy"))
	}
	for _, i := range []int{0, 1} {
		if errs := sharedCopies(st, i, 2, 0, time.Second); errs[0] != nil {
			t.Fatalf("shard %d run again: %v", i, errs[0])
		}
	}
	if got := stored(t, st, dst); !bytes.Equal(got.Data, data) {
		t.Fatal("the copy is not the source's new version")
	}
	noUploads(t, st, "dst")
}

// TestSplitCopySourceChangedWhileCopying: the source is written again while shard 1 copies
// its part. The part, pinned to the version shard 1 saw, fails (412): no object is made of
// two versions, and the next run of the job copies the new version.
func TestSplitCopySourceChangedWhileCopying(t *testing.T) {
	st := newCopyStore("src", "dst")
	ref := object.Ref{Bucket: "src", Key: "p/big"}
	put(t, st, ref, randomBytes(12*mib, 45), object.Options{})
	if errs := sharedCopies(st, 0, 2, 0, time.Second); errs[0] != nil {
		t.Fatalf("shard 0: %v", errs[0])
	}
	var once sync.Once
	st.partCopy = func(context.Context, int32) error {
		once.Do(func() { put(t, st, ref, randomBytes(12*mib, 46), object.Options{}) })
		return nil
	}
	if errs := sharedCopies(st, 1, 2, 0, time.Second); errs[0] == nil || !strings.Contains(errs[0].Error(), "PreconditionFailed") {
		t.Fatalf("shard 1: %v; want its pinned part refused", errs[0])
	}
	if _, ok := st.Object(object.Ref{Bucket: "dst", Key: "q/big"}); ok {
		t.Fatal("the copy was completed though the source changed")
	}
	st.partCopy = nil
	data := randomBytes(12*mib, 47)
	put(t, st, ref, data, object.Options{})
	for _, i := range []int{0, 1} {
		if errs := sharedCopies(st, i, 2, 0, time.Second); errs[0] != nil {
			t.Fatalf("shard %d run again: %v", i, errs[0])
		}
	}
	if got := stored(t, st, object.Ref{Bucket: "dst", Key: "q/big"}); !bytes.Equal(got.Data, data) {
		t.Fatal("the copy is not the source's new version")
	}
	noUploads(t, st, "dst")
}
