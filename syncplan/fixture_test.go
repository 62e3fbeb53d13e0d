package syncplan

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// countingStore is a memstore that counts the requests a sync makes, and whose listing can
// be made to fail part way.
type countingStore struct {
	*memstore.Store

	mu    sync.Mutex
	calls map[string]int
	// failList, when set, is the error of the next failLists listings after failAfter
	// entries each.
	failList  error
	failAfter int
	failLists int
	// disorder makes listings give their first two keys the wrong way round.
	disorder bool
	// failPut is a key whose uploads fail, for good.
	failPut string
}

var (
	_ transfer.Store   = (*countingStore)(nil)
	_ transfer.Deleter = (*countingStore)(nil)
	_ Store            = (*countingStore)(nil)
)

func (c *countingStore) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

// took returns the requests counted since the last call, and starts counting again.
func (c *countingStore) took() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.calls
	c.calls = map[string]int{}
	return n
}

func (c *countingStore) HeadObject(ctx context.Context, ref object.Ref) (object.Info, error) {
	c.count("HeadObject")
	return c.Store.HeadObject(ctx, ref)
}

func (c *countingStore) GetObject(ctx context.Context, ref object.Ref, offset, length int64, ifMatch string) (io.ReadCloser, error) {
	c.count("GetObject")
	return c.Store.GetObject(ctx, ref, offset, length, ifMatch)
}

func (c *countingStore) PutObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) (object.Written, error) {
	c.count("PutObject")
	if c.failPut != "" && ref.Key == c.failPut {
		return object.Written{}, errors.New("PutObject refused (test)")
	}
	return c.Store.PutObject(ctx, ref, body, size, o, sum)
}

func (c *countingStore) CreateMultipartUpload(ctx context.Context, ref object.Ref, o *object.Options) (string, error) {
	c.count("CreateMultipartUpload")
	return c.Store.CreateMultipartUpload(ctx, ref, o)
}

func (c *countingStore) CompleteMultipartUpload(ctx context.Context, ref object.Ref, uploadID string, parts []object.Part) (object.Written, error) {
	c.count("CompleteMultipartUpload")
	return c.Store.CompleteMultipartUpload(ctx, ref, uploadID, parts)
}

func (c *countingStore) CopyObject(ctx context.Context, dst object.Ref, src object.CopySource, o *object.Options) (object.Written, error) {
	c.count("CopyObject")
	return c.Store.CopyObject(ctx, dst, src, o)
}

func (c *countingStore) DeleteObjects(ctx context.Context, bucket string, keys []string) (map[string]error, error) {
	c.count("DeleteObjects")
	return c.Store.DeleteObjects(ctx, bucket, keys)
}

func (c *countingStore) List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error {
	c.count("List")
	c.mu.Lock()
	fail, after := c.failList, c.failAfter
	if fail != nil && c.failLists > 0 {
		c.failLists--
	} else {
		fail = nil
	}
	c.mu.Unlock()
	if c.disorder {
		var infos []object.Info
		if err := c.Store.List(ctx, bucket, prefix, func(i object.Info) error { infos = append(infos, i); return nil }); err != nil {
			return err
		}
		if len(infos) > 1 {
			infos[0], infos[1] = infos[1], infos[0]
		}
		for _, i := range infos {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	n := 0
	err := c.Store.List(ctx, bucket, prefix, func(info object.Info) error {
		if fail != nil && n == after {
			return fail
		}
		n++
		return fn(info)
	})
	if err == nil && fail != nil && n == after {
		err = fail // fewer entries than after: fails at the end
	}
	return err
}

// listError is a listing failure; retryable or not.
type listError struct{ retry bool }

func (e listError) Error() string   { return "listing broke (test)" }
func (e listError) Retryable() bool { return e.retry }

// The times the fixtures use: base is the store's clock unless a test sets it, well in the
// past so that no record is racy; files get times with nanoseconds, as real files have.
var (
	base = time.Now().Add(-10 * time.Hour).Truncate(time.Second).UTC()
	tOld = base.Add(-2*time.Hour + 123456789)
	tNew = base.Add(-1*time.Hour + 987654321)
)

// fixture is a local directory, a memstore bucket "b" whose prefix "p/" is the remote side,
// and a state file path.
type fixture struct {
	t     *testing.T
	local string
	state string
	mem   *memstore.Store
	st    *countingStore
	// src, when set, is the source store of a sync between two S3 locations that are on two
	// servers (Options.SourceStore and the engine's Options.Source); nil: the source is on st.
	src *countingStore

	clockMu sync.Mutex
	clock   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, local: t.TempDir(), state: filepath.Join(t.TempDir(), "sync.state"), clock: base}
	f.mem = memstore.New(memstore.Config{Buckets: []string{"b"}, MinPartSize: -1, Now: func() time.Time {
		f.clockMu.Lock()
		defer f.clockMu.Unlock()
		return f.clock
	}})
	f.st = &countingStore{Store: f.mem, calls: map[string]int{}}
	return f
}

// at sets the store's clock: the LastModified of what is stored next.
func (f *fixture) at(t time.Time) {
	f.clockMu.Lock()
	defer f.clockMu.Unlock()
	f.clock = t
}

func (f *fixture) path(rel string) string { return filepath.Join(f.local, filepath.FromSlash(rel)) }

func ref(rel string) object.Ref { return object.Ref{Bucket: "b", Key: "p/" + rel} }

// file writes a local file with the given content and mtime.
func (f *fixture) file(rel, content string, mtime time.Time) {
	f.t.Helper()
	p := f.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
	f.touch(rel, mtime)
}

func (f *fixture) touch(rel string, mtime time.Time) {
	f.t.Helper()
	if err := os.Chtimes(f.path(rel), mtime, mtime); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) mtime(rel string) time.Time {
	f.t.Helper()
	fi, err := os.Stat(f.path(rel))
	if err != nil {
		f.t.Fatal(err)
	}
	return fi.ModTime()
}

func (f *fixture) content(rel string) string {
	f.t.Helper()
	b, err := os.ReadFile(f.path(rel))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func crc32c(t *testing.T, content string) object.Checksum {
	t.Helper()
	h, err := object.NewHash(object.ChecksumCRC32C)
	if err != nil {
		t.Fatal(err)
	}
	h.Write([]byte(content))
	return object.Checksum{Algorithm: object.ChecksumCRC32C, Value: base64.StdEncoding.EncodeToString(h.Sum(nil))}
}

// object stores an object under the prefix, at time at, with metadata meta and, when set,
// the server's whole-object checksum sum.
func (f *fixture) object(rel, content string, at time.Time, meta map[string]string, sum object.Checksum) {
	f.t.Helper()
	f.at(at)
	defer f.at(base)
	_, err := f.mem.PutObject(context.Background(), ref(rel), strings.NewReader(content), int64(len(content)), &object.Options{Metadata: meta}, sum)
	if err != nil {
		f.t.Fatal(err)
	}
}

// foreign stores an object as another tool would: no haul metadata, no checksum.
func (f *fixture) foreign(rel, content string, at time.Time) {
	f.t.Helper()
	f.object(rel, content, at, nil, object.Checksum{})
}

// haulObject stores an object as haul uploads it: haul-mtime and haul-checksum (CRC32C).
func (f *fixture) haulObject(rel, content string, mtime, at time.Time) {
	f.t.Helper()
	sum := crc32c(f.t, content)
	f.object(rel, content, at, map[string]string{
		transfer.MtimeMetadata:    strconv.FormatInt(mtime.UnixNano(), 10),
		transfer.ChecksumMetadata: sum.Algorithm + ":" + sum.Value,
	}, object.Checksum{})
}

// multipart stores a foreign object in two parts: its ETag is no MD5 and it has no checksum.
func (f *fixture) multipart(rel, content string, at time.Time) {
	f.t.Helper()
	f.at(at)
	defer f.at(base)
	ctx := context.Background()
	r := ref(rel)
	id, err := f.mem.CreateMultipartUpload(ctx, r, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	half := len(content) / 2
	var parts []object.Part
	for i, p := range []string{content[:half], content[half:]} {
		etag, err := f.mem.UploadPart(ctx, r, id, int32(i+1), bytes.NewReader([]byte(p)), int64(len(p)), object.Checksum{})
		if err != nil {
			f.t.Fatal(err)
		}
		parts = append(parts, object.Part{Number: int32(i + 1), ETag: etag, Size: int64(len(p))})
	}
	if _, err := f.mem.CompleteMultipartUpload(ctx, r, id, parts); err != nil {
		f.t.Fatal(err)
	}
	if info, _ := f.mem.HeadObject(ctx, r); !strings.Contains(info.ETag, "-") {
		f.t.Fatalf("multipart ETag %q", info.ETag)
	}
}

// stored returns the object's content, or false.
func (f *fixture) stored(rel string) (string, bool) {
	o, ok := f.mem.Object(ref(rel))
	return string(o.Data), ok
}

// remoteKeys lists the keys under the prefix, relative to it.
func (f *fixture) remoteKeys() []string {
	f.t.Helper()
	var ks []string
	err := f.mem.List(context.Background(), "b", "p/", func(i object.Info) error {
		ks = append(ks, strings.TrimPrefix(i.Key, "p/"))
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return ks
}

// localKeys lists the local files, relative to the root, sorted.
func (f *fixture) localKeys() []string {
	f.t.Helper()
	var ks []string
	err := filepath.WalkDir(f.local, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(f.local, p)
			ks = append(ks, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	sort.Strings(ks)
	return ks
}

// result is what one sync did.
type result struct {
	items   map[string]transfer.Item // every item Items yielded, by key
	order   []string                 // their keys, in the order yielded
	done    map[string]bool          // keys whose transfer was done
	failed  map[string]error         // keys whose item failed
	deleted []string                 // keys (or, downloading, local paths relative to the root) deleted
	notes   []Note
	counts  Counts
	calls   map[string]int // requests made, by name
	runErr  error          // Engine.Run's
	delErr  error          // Deletes'
}

// sent returns the reason of key's transfer, or "" when it has none.
func (r result) sent(key string) string { return r.items[key].Reason }

// noLimits are guards that refuse nothing but an empty source.
var noLimits = Guards{MaxDelete: -1, MaxDeleteSize: -1, MaxDeletePercent: 100}

// sync runs a sync as haul sync does: the transfers, then the deletions, then the state.
func (f *fixture) sync(dir Direction, edit func(*Options)) result {
	f.t.Helper()
	o := Options{Dir: dir, Local: f.local, Remote: object.Ref{Bucket: "b", Key: "p/"}, StatePath: f.state, Guards: noLimits}
	var (
		mu  sync.Mutex
		res = result{items: map[string]transfer.Item{}, done: map[string]bool{}, failed: map[string]error{}}
	)
	o.Note = func(n Note) {
		mu.Lock()
		defer mu.Unlock()
		res.notes = append(res.notes, n)
	}
	if edit != nil {
		edit(&o)
	}
	ctx := context.Background()
	eo := transfer.Options{Concurrency: 4, Retries: 2, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond}
	if f.src != nil && dir == Copy {
		eo.Source, o.SourceStore = f.src, f.src
	}
	e := transfer.New(f.st, eo)
	s, err := New(e, f.st, o)
	if err != nil {
		f.t.Fatal(err)
	}
	f.st.took()
	if f.src != nil {
		f.src.took()
	}
	keyOf := func(it transfer.Item) string {
		if it.Object.Bucket == "" {
			rel, _ := filepath.Rel(f.local, it.Path)
			return filepath.ToSlash(rel)
		}
		return strings.TrimPrefix(it.Object.Key, "p/")
	}
	obs := s.Observer(transfer.ObserverFunc(func(ev transfer.Event) {
		mu.Lock()
		defer mu.Unlock()
		k := keyOf(ev.Item)
		switch {
		case ev.Kind == transfer.Done && ev.Item.Op == transfer.Delete:
			res.deleted = append(res.deleted, k)
		case ev.Kind == transfer.Done:
			res.done[k] = true
		case ev.Kind == transfer.Failed:
			res.failed[k] = ev.Err
		}
	}))
	items := func(ctx context.Context, yield func(transfer.Item) bool) error {
		return s.Items(ctx, func(it transfer.Item) bool {
			k := strings.TrimPrefix(it.Object.Key, "p/")
			mu.Lock()
			if _, dup := res.items[k]; dup {
				f.t.Errorf("key %q yielded twice", k)
			}
			res.items[k] = it
			res.order = append(res.order, k)
			mu.Unlock()
			if o.DryRun {
				return true
			}
			return yield(it)
		})
	}
	if o.DryRun {
		res.runErr = items(ctx, nil)
	} else {
		_, res.runErr = e.Run(ctx, items, transfer.WithObserver(obs))
	}
	var produce transfer.Producer
	produce, res.delErr = s.Deletes()
	if produce != nil {
		if o.DryRun {
			err = produce(ctx, func(it transfer.Item) bool {
				res.deleted = append(res.deleted, keyOf(it))
				return true
			})
		} else {
			_, err = e.Delete(ctx, produce, transfer.WithObserver(obs))
		}
		if err != nil {
			f.t.Errorf("deleting: %v", err)
		}
	}
	if err := s.Close(true); err != nil {
		f.t.Errorf("closing the sync: %v", err)
	}
	res.counts = s.Counts()
	res.calls = f.st.took()
	if f.src != nil {
		for op, n := range f.src.took() {
			res.calls["source "+op] += n
		}
	}
	sort.Strings(res.deleted)
	return res
}

// up and down are sync in each direction.
func (f *fixture) up(edit func(*Options)) result   { f.t.Helper(); return f.sync(Up, edit) }
func (f *fixture) down(edit func(*Options)) result { f.t.Helper(); return f.sync(Down, edit) }

// records reads the state file's records.
func (f *fixture) records() map[string]Record {
	f.t.Helper()
	recs := map[string]Record{}
	b, err := os.ReadFile(f.state)
	if errors.Is(err, os.ErrNotExist) {
		return recs
	}
	if err != nil {
		f.t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if lines[0] != stateHeader {
		f.t.Fatalf("state header %q", lines[0])
	}
	prev := ""
	for _, l := range lines[1:] {
		r, err := decodeRecord(l)
		if err != nil {
			f.t.Fatalf("state record %q: %v", l, err)
		}
		if r.Key <= prev {
			f.t.Fatalf("state out of order: %q after %q", r.Key, prev)
		}
		prev = r.Key
		recs[r.Key] = r
	}
	return recs
}
