package transfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// rangeStore is a copyStore that records the ranges of the GETs of one key and can corrupt
// or fail those at some offsets.
type rangeStore struct {
	*copyStore
	key     string
	mu      sync.Mutex
	ranges  []int64        // offsets of the GETs of key
	corrupt map[int64]bool // offsets whose body has its first byte flipped
	fail    map[int64]bool // offsets whose GET fails for good
}

type gone struct{}

func (gone) Error() string   { return "connection refused for good" }
func (gone) Retryable() bool { return false }

func (s *rangeStore) GetObject(ctx context.Context, ref object.Ref, off, length int64, ifMatch string) (io.ReadCloser, error) {
	if ref.Key == s.key {
		s.mu.Lock()
		s.ranges = append(s.ranges, off)
		fail, corrupt := s.fail[off], s.corrupt[off]
		s.mu.Unlock()
		if fail {
			return nil, gone{}
		}
		body, err := s.copyStore.GetObject(ctx, ref, off, length, ifMatch)
		if err == nil && corrupt {
			body = flipFirst{body}
		}
		return body, err
	}
	return s.copyStore.GetObject(ctx, ref, off, length, ifMatch)
}

func (s *rangeStore) gets() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := slices.Clone(s.ranges)
	s.ranges = nil
	slices.Sort(r)
	return r
}

var splitSrc = object.Ref{Bucket: "src", Key: "p/"}

// splitDownloads runs the shards of n of the download of every object under src/ into
// dir (SplitLarge over 10 MiB, parts of 5 MiB; an object owned by shard 0) at once, and
// returns each run's error and how many runs completed an object (ShareOutcome.Completed).
func splitDownloads(st Store, dir string, shards []int, n int, o Options) ([]error, int) {
	errs := make([]error, len(shards))
	var mu sync.Mutex
	completed := 0
	var wg sync.WaitGroup
	for k, i := range shards {
		wg.Go(func() {
			o := o
			o.PartSize, o.Concurrency = 5*mib, 4
			o.Observer = ObserverFunc(func(ev Event) {
				if ev.Kind == Done && ev.Share != nil && ev.Share.Completed {
					mu.Lock()
					completed++
					mu.Unlock()
				}
			})
			e := New(st, fastOpts(o))
			_, errs[k] = e.Run(context.Background(), SplitLarge(e.PrefixItems(splitSrc, dir, nil), 10*mib, i, n, func(Item) int { return 0 }))
		})
	}
	wg.Wait()
	return errs, completed
}

func newRangeStore(t *testing.T, data []byte) *rangeStore {
	t.Helper()
	st := &rangeStore{copyStore: newCopyStore("src"), key: "p/big"}
	put(t, st.copyStore, object.Ref{Bucket: "src", Key: "p/big"}, data, object.Options{Checksum: object.ChecksumCRC32C})
	put(t, st.copyStore, object.Ref{Bucket: "src", Key: "p/small"}, []byte("small"), object.Options{})
	return st
}

// splitLeftovers returns the names in dir that a shared download leaves (its temporary
// file and markers).
func splitLeftovers(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	for _, name := range leftovers(t, dir) {
		if strings.Contains(name, ".haul-") {
			left = append(left, name)
		}
	}
	return left
}

func checkFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, equal %v (%v)", path, len(got), bytes.Equal(got, want), err)
	}
}

// TestSplitDownloadSharesTheParts: three runs at once download a 33 MiB object into one
// directory, each its range of the 7 parts (each part fetched once, by its shard), and
// the small object whole by its owner. One run completes the big one; the file is the
// object with its time, and no temporary file or marker is left.
func TestSplitDownloadSharesTheParts(t *testing.T) {
	data := randomBytes(33*mib, 60)
	st := newRangeStore(t, data)
	dir := t.TempDir()
	errs, completed := splitDownloads(st, dir, []int{0, 1, 2}, 3, Options{})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	checkFile(t, filepath.Join(dir, "big"), data)
	checkFile(t, filepath.Join(dir, "small"), []byte("small"))
	if want := []int64{0, 5 * mib, 10 * mib, 15 * mib, 20 * mib, 25 * mib, 30 * mib}; !slices.Equal(st.gets(), want) || completed != 1 {
		t.Fatalf("GETs at %v, %d completed; want each part once (%v), one completed", st.gets(), completed, want)
	}
	info, _ := st.HeadObject(context.Background(), object.Ref{Bucket: "src", Key: "p/big"})
	mt, _ := StoredMtime(info.Metadata)
	if fi, err := os.Stat(filepath.Join(dir, "big")); err != nil || !fi.ModTime().Equal(mt) {
		t.Fatalf("big's time %v; want the object's haul-mtime %v", fi.ModTime(), mt)
	}
	if left := splitLeftovers(t, dir); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// TestSplitDownloadRerunConverges: shard 1 fails (its GETs refused), leaving the
// temporary file without its marker; shards 0 and 2 record their ranges and leave the
// file for the last. Shard 0 run again fetches nothing (its marker is there); shard 1 run
// again fetches only its range, finishes the file and renames it. A run after that finds
// the file in place and fetches nothing.
func TestSplitDownloadRerunConverges(t *testing.T) {
	data := randomBytes(33*mib, 61)
	st := newRangeStore(t, data)
	dir := t.TempDir()
	st.fail = map[int64]bool{15 * mib: true} // part 4: shard 1's (parts 3-4)
	if errs, _ := splitDownloads(st, dir, []int{1}, 3, Options{}); !errors.As(errs[0], new(gone)) {
		t.Fatalf("shard 1: %v; want its GET's failure", errs[0])
	}
	st.fail = nil
	st.gets()
	if errs, c := splitDownloads(st, dir, []int{0, 2}, 3, Options{}); errs[0] != nil || errs[1] != nil || c != 0 {
		t.Fatalf("shards 0 and 2: %v, %d completed; want both done, none completed", errs, c)
	}
	if _, err := os.Stat(filepath.Join(dir, "big")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("big is there before shard 1 is done: %v", err)
	}
	if left := splitLeftovers(t, dir); len(left) != 3 { // the file and the markers of 0 and 2
		t.Fatalf("left %v; want the temporary file and two markers", left)
	}
	st.gets()
	if errs, c := splitDownloads(st, dir, []int{0}, 3, Options{}); errs[0] != nil || c != 0 || len(st.gets()) != 0 {
		t.Fatalf("shard 0 again: %v, %d completed; want nothing fetched, not completed", errs[0], c)
	}
	errs, c := splitDownloads(st, dir, []int{1}, 3, Options{})
	if got := st.gets(); errs[0] != nil || c != 1 || !slices.Equal(got, []int64{10 * mib, 15 * mib}) {
		t.Fatalf("shard 1 again: %v, %d completed, GETs at %v; want its parts 3-4 fetched and the file completed", errs[0], c, got)
	}
	checkFile(t, filepath.Join(dir, "big"), data)
	if left := splitLeftovers(t, dir); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
	if errs, c := splitDownloads(st, dir, []int{2}, 3, Options{}); errs[0] != nil || c != 0 || len(st.gets()) != 0 {
		t.Fatalf("shard 2 after the job: %v, %d completed; want nothing fetched", errs[0], c)
	}
	if left := splitLeftovers(t, dir); len(left) > 0 {
		t.Fatalf("left behind after a late run: %v", left)
	}
}

// TestSplitDownloadObjectChanged: shard 0 records its range of one version; the object is
// written again; shards 1 and 2 write the new version into another temporary file, and
// shard 0 run again adds its range of it and completes it. The file is the new version;
// the old version's temporary file and marker are left apart, never renamed into place.
func TestSplitDownloadObjectChanged(t *testing.T) {
	old := randomBytes(22*mib, 62)
	st := newRangeStore(t, old)
	dir := t.TempDir()
	if errs, _ := splitDownloads(st, dir, []int{0}, 3, Options{}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	oldLeft := splitLeftovers(t, dir)
	data := randomBytes(22*mib, 63)
	put(t, st.copyStore, object.Ref{Bucket: "src", Key: "p/big"}, data, object.Options{Checksum: object.ChecksumCRC32C})
	if errs, c := splitDownloads(st, dir, []int{1, 2}, 3, Options{}); errs[0] != nil || errs[1] != nil || c != 0 {
		t.Fatalf("shards 1 and 2: %v, %d completed; want the new version's file left for shard 0", errs, c)
	}
	if _, err := os.Stat(filepath.Join(dir, "big")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("big is in place from shards of two versions")
	}
	if errs, c := splitDownloads(st, dir, []int{0}, 3, Options{}); errs[0] != nil || c != 1 {
		t.Fatalf("shard 0 again: %v, %d completed", errs[0], c)
	}
	checkFile(t, filepath.Join(dir, "big"), data)
	if left := splitLeftovers(t, dir); !slices.Equal(left, oldLeft) || len(left) != 2 {
		t.Fatalf("left %v; want the old version's file and marker alone, %v", left, oldLeft)
	}
}

// TestSplitDownloadCorruptRange: the bytes of one part arrive with a byte changed, which
// no shard can tell alone. The run that finds every range there combines their CRCs,
// finds the whole wrong, removes the temporary file and the markers and fails with a
// SplitVerifyError; no file is in place. The job run again with good bytes completes it.
func TestSplitDownloadCorruptRange(t *testing.T) {
	data := randomBytes(22*mib, 64)
	st := newRangeStore(t, data)
	dir := t.TempDir()
	st.corrupt = map[int64]bool{10 * mib: true}
	errs, c := splitDownloads(st, dir, []int{0, 1, 2}, 3, Options{})
	var sve *SplitVerifyError
	failed := 0
	for _, err := range errs {
		if errors.As(err, &sve) {
			failed++
		} else if err != nil {
			t.Fatalf("run failed with %v; want a SplitVerifyError", err)
		}
	}
	if failed < 1 || c != 0 {
		t.Fatalf("%d runs failed the check, %d completed; want a failure and nothing completed", failed, c)
	}
	if _, err := os.Stat(filepath.Join(dir, "big")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a corrupted file was renamed into place")
	}
	if left := splitLeftovers(t, dir); len(left) > 0 {
		t.Fatalf("left behind after the failed check: %v", left)
	}
	st.corrupt = nil
	if errs, c := splitDownloads(st, dir, []int{0, 1, 2}, 3, Options{}); slices.ContainsFunc(errs, func(err error) bool { return err != nil }) || c != 1 {
		t.Fatalf("the job again: %v, %d completed", errs, c)
	}
	checkFile(t, filepath.Join(dir, "big"), data)
}

// TestSplitDownloadWithoutChecksum: objects with no whole CRC are checked by the run that
// finishes by reading the file back: a single-part object against its MD5 ETag, a
// multipart one against its multipart ETag, or its parts against the server's SHA-256 of
// each; a corrupted part fails the check.
func TestSplitDownloadWithoutChecksum(t *testing.T) {
	for _, tc := range []struct{ partSums, want string }{{"", "md5"}, {object.ChecksumMD5, "md5-parts"}, {object.ChecksumSHA256, "sha256-parts"}} {
		for _, corrupt := range []bool{false, true} {
			data := randomBytes(22*mib, 65)
			st := &rangeStore{copyStore: newCopyStore("src"), key: "p/big"}
			ref := object.Ref{Bucket: "src", Key: "p/big"}
			ctx := context.Background()
			want, multipart := tc.want, tc.partSums != ""
			if multipart {
				id, _ := st.CreateMultipartUpload(ctx, ref, &object.Options{Checksum: tc.partSums})
				var parts []object.Part
				for num, off := int32(1), int64(0); off < int64(len(data)); num, off = num+1, off+8*mib {
					b := data[off:min(off+8*mib, int64(len(data)))]
					etag, err := st.UploadPart(ctx, ref, id, num, bytes.NewReader(b), int64(len(b)), object.Checksum{})
					if err != nil {
						t.Fatal(err)
					}
					parts = append(parts, object.Part{Number: num, ETag: etag, Size: int64(len(b))})
				}
				if _, err := st.CompleteMultipartUpload(ctx, ref, id, parts); err != nil {
					t.Fatal(err)
				}
			} else if _, err := st.Store.PutObject(ctx, ref, bytes.NewReader(data), int64(len(data)), &object.Options{}, object.Checksum{}); err != nil {
				t.Fatal(err)
			}
			if corrupt {
				st.corrupt = map[int64]bool{5 * mib: true}
			}
			var verified []string
			var mu sync.Mutex
			dir := t.TempDir()
			o := Options{Observer: nil}
			errs := make([]error, 3)
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() {
					o := o
					o.PartSize, o.Concurrency = 5*mib, 4
					o.Observer = ObserverFunc(func(ev Event) {
						if ev.Kind == Done && ev.Share != nil && ev.Share.Completed {
							mu.Lock()
							verified = append(verified, ev.Verified)
							mu.Unlock()
						}
					})
					e := New(st, fastOpts(o))
					_, errs[i] = e.Run(ctx, SplitLarge(e.PrefixItems(splitSrc, dir, nil), 10*mib, i, 3, func(Item) int { return 0 }))
				})
			}
			wg.Wait()
			_, statErr := os.Stat(filepath.Join(dir, "big"))
			if corrupt {
				var sve *SplitVerifyError
				if !slices.ContainsFunc(errs, func(err error) bool { return errors.As(err, &sve) }) || !errors.Is(statErr, os.ErrNotExist) {
					t.Fatalf("multipart %v, corrupted: %v, file: %v; want a SplitVerifyError and no file", multipart, errs, statErr)
				}
			} else {
				if slices.ContainsFunc(errs, func(err error) bool { return err != nil }) || !slices.Equal(verified, []string{want}) {
					t.Fatalf("multipart %v: %v, verified %v; want one completed, verified %s", multipart, errs, verified, want)
				}
				checkFile(t, filepath.Join(dir, "big"), data)
			}
			if left := splitLeftovers(t, dir); len(left) > 0 {
				t.Fatalf("multipart %v, corrupted %v: left %v", multipart, corrupt, left)
			}
		}
	}
}

// TestSplitDownloadFinisherDiedBeforeRename: the run that checked the file and cut its
// trailer off cannot rename it (a directory stands at the target), and fails; the file,
// of the object's size with every marker there, is left. Once the directory is gone, a
// run of any shard waits for a split ID, finds none, sees the checked file and renames it
// into place, fetching nothing.
func TestSplitDownloadFinisherDiedBeforeRename(t *testing.T) {
	defer func(d time.Duration) { splitWait = d }(splitWait)
	splitWait = 100 * time.Millisecond
	data := randomBytes(22*mib, 66)
	st := newRangeStore(t, data)
	dir := t.TempDir()
	target := filepath.Join(dir, "big")
	if err := os.MkdirAll(filepath.Join(target, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	errs, c := splitDownloads(st, dir, []int{0, 1, 2}, 3, Options{})
	if !slices.ContainsFunc(errs, func(err error) bool { return err != nil }) || c != 0 {
		t.Fatalf("with a directory at the target: %v, %d completed; want a failure to rename", errs, c)
	}
	if left := splitLeftovers(t, dir); len(left) != 4 {
		t.Fatalf("left %v; want the checked file and three markers", left)
	}
	if err := os.RemoveAll(target); err != nil {
		t.Fatal(err)
	}
	st.gets()
	if errs, c := splitDownloads(st, dir, []int{1}, 3, Options{}); errs[0] != nil || c != 1 || len(st.gets()) != 0 {
		t.Fatalf("shard 1 again: %v, %d completed; want the checked file renamed, nothing fetched", errs[0], c)
	}
	checkFile(t, target, data)
	if left := splitLeftovers(t, dir); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// TestSplitDownloadStuckFile: a temporary file with no split ID (its creator died before
// writing one) and not a checked one (not the object's size) fails the run after the wait
// with advice to remove it; nothing is renamed into place.
func TestSplitDownloadStuckFile(t *testing.T) {
	defer func(d time.Duration) { splitWait = d }(splitWait)
	splitWait = 100 * time.Millisecond
	st := newRangeStore(t, randomBytes(22*mib, 67))
	dir := t.TempDir()
	info, _ := st.HeadObject(context.Background(), object.Ref{Bucket: "src", Key: "p/big"})
	temp := splitTempName(filepath.Join(dir, "big"), object.Ref{Bucket: "src", Key: "p/big"}, info.ETag)
	if err := os.WriteFile(temp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	errs, _ := splitDownloads(st, dir, []int{0}, 3, Options{})
	var stuck *splitStuckError
	if !errors.As(errs[0], &stuck) || !strings.Contains(stuck.Error(), "remove it") {
		var ie *ItemsError
		errors.As(errs[0], &ie)
		t.Fatalf("run with a file without an ID: %v (%v); want a splitStuckError", errs[0], ie.Failures)
	}
	if _, err := os.Stat(filepath.Join(dir, "big")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was renamed into place")
	}
}

// TestSplitDownloadPartSizesDisagree: a shard given another part size records its range
// in another layout; the shard that then finds the markers fails saying so, rather than
// leaving the file unfinished in silence, and renames nothing.
func TestSplitDownloadPartSizesDisagree(t *testing.T) {
	st := newRangeStore(t, randomBytes(22*mib, 68))
	dir := t.TempDir()
	if errs, _ := splitDownloads(st, dir, []int{0, 1}, 3, Options{}); errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	e := New(st, fastOpts(Options{PartSize: 6 * mib, Concurrency: 4}))
	_, err := e.Run(context.Background(), SplitLarge(e.PrefixItems(splitSrc, dir, nil), 10*mib, 2, 3, func(Item) int { return 0 }))
	if err == nil || !strings.Contains(err.Error(), "different part sizes") {
		t.Fatalf("shard 2 with another part size: %v; want its download failed, naming the part sizes", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "big")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was renamed into place")
	}
}
