package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// failedPaths returns what each failure of sum names (its Src), sorted.
func failedPaths(sum transfer.Summary) []string {
	var ps []string
	for _, f := range sum.Failures {
		ps = append(ps, f.Item.Src())
	}
	slices.Sort(ps)
	return ps
}

func TestListedFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b c", "sub/d+é", "x.tmp"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("bytes of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list := "a\n# a comment\nmissing\nb c\n../escape\n/abs\nsub\nsub/d+é\nx.tmp\n\n"
	st := memstore.New(memstore.Config{Buckets: []string{"b"}})
	e := transfer.New(st, transfer.Options{Concurrency: 4})
	flt, err := filter.New([]filter.Rule{{Pattern: "*.tmp"}})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.Run(context.Background(), transfer.ListedFiles(filelist.Lines(strings.NewReader(list)), dir, object.Ref{Bucket: "b", Key: "p/"}, flt))
	if !errors.Is(err, transfer.ErrSomeFailed) {
		t.Fatalf("Run: %v, want some failed", err)
	}
	if sum.Done != 3 || sum.Failed != 4 {
		t.Fatalf("done %d failed %d, want 3 and 4", sum.Done, sum.Failed)
	}
	for _, name := range []string{"a", "b c", "sub/d+é"} {
		o, ok := st.Object(object.Ref{Bucket: "b", Key: "p/" + name})
		if !ok || !bytes.Equal(o.Data, []byte("bytes of "+name)) {
			t.Errorf("object p/%s: %v %q", name, ok, o.Data)
		}
	}
	if _, ok := st.Object(object.Ref{Bucket: "b", Key: "p/x.tmp"}); ok {
		t.Error("x.tmp was uploaded though the filter excludes it")
	}
	want := []string{"../escape", "/abs", filepath.Join(dir, "missing"), filepath.Join(dir, "sub")}
	slices.Sort(want)
	if got := failedPaths(sum); !slices.Equal(got, want) {
		t.Errorf("failed %q, want %q", got, want)
	}
	for _, f := range sum.Failures {
		var entry *filelist.EntryError
		switch f.Item.Src() {
		case filepath.Join(dir, "missing"):
			if !errors.Is(f.Err, fs.ErrNotExist) {
				t.Errorf("missing: %v", f.Err)
			}
		case "../escape":
			if !errors.As(f.Err, &entry) || entry.Line != 5 {
				t.Errorf("../escape: %v, want the refusal of line 5", f.Err)
			}
		case "/abs":
			if !errors.As(f.Err, &entry) || entry.Line != 6 {
				t.Errorf("/abs: %v, want the refusal of line 6", f.Err)
			}
		}
	}
}

// slowHeads is a store whose HeadObject takes longer for keys earlier in the alphabet, so
// that HEADs in parallel finish out of the list's order; it counts HEADs in flight.
type slowHeads struct {
	*memstore.Store
	mu                sync.Mutex
	inFlight, maxSeen int
	heads             int
}

func (s *slowHeads) HeadObject(ctx context.Context, ref object.Ref) (object.Info, error) {
	s.mu.Lock()
	s.inFlight++
	s.heads++
	s.maxSeen = max(s.maxSeen, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	select {
	case <-time.After(time.Duration('z'-ref.Key[len(ref.Key)-1]) * time.Millisecond):
	case <-ctx.Done():
		return object.Info{}, ctx.Err()
	}
	return s.Store.HeadObject(ctx, ref)
}

func putObjects(t *testing.T, st *memstore.Store, bucket string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := st.PutObject(context.Background(), object.Ref{Bucket: bucket, Key: k}, strings.NewReader("bytes of "+k), int64(len("bytes of "+k)), nil, object.Checksum{}); err != nil {
			t.Fatal(err)
		}
	}
}

// The items of a listed prefix come in the list's order, with the sizes the HEADs gave,
// however the HEADs finish; at most the concurrency of them are in flight.
func TestListedObjectsOrder(t *testing.T) {
	st := &slowHeads{Store: memstore.New(memstore.Config{Buckets: []string{"b"}})}
	var keys, list []string
	for c := 'a'; c <= 'z'; c++ {
		keys = append(keys, "p/k"+string(c))
		list = append(list, "k"+string(c))
	}
	putObjects(t, st.Store, "b", keys...)
	list = slices.Insert(list, 3, "gone")
	e := transfer.New(st, transfer.Options{Concurrency: 4})
	produce := e.ListedObjects(filelist.Lines(strings.NewReader(strings.Join(list, "\n"))), object.Ref{Bucket: "b", Key: "p/"}, t.TempDir(), nil)
	var got []string
	err := produce(context.Background(), func(it transfer.Item) bool {
		name := strings.TrimPrefix(it.Object.Key, "p/")
		got = append(got, name)
		switch {
		case name == "gone" && it.Err == nil:
			t.Errorf("gone: no error")
		case name != "gone" && (it.Err != nil || it.Size != int64(len("bytes of p/"+name)) || it.ETag == ""):
			t.Errorf("%s: size %d etag %q err %v", name, it.Size, it.ETag, it.Err)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, list) {
		t.Errorf("items in order %q, want %q", got, list)
	}
	if st.maxSeen > 4 || st.maxSeen < 2 {
		t.Errorf("%d HEADs in flight at most, want 2..4", st.maxSeen)
	}
}

// A producer whose run wants no more items stops reading the list and asking.
func TestListedObjectsStops(t *testing.T) {
	st := &slowHeads{Store: memstore.New(memstore.Config{Buckets: []string{"b"}})}
	var list []string
	for range 1000 {
		list = append(list, "ka")
	}
	putObjects(t, st.Store, "b", "ka")
	e := transfer.New(st, transfer.Options{Concurrency: 4})
	n := 0
	err := e.ListedObjects(filelist.Lines(strings.NewReader(strings.Join(list, "\n"))), object.Ref{Bucket: "b"}, t.TempDir(), nil)(context.Background(), func(transfer.Item) bool {
		n++
		return n < 3
	})
	if err != nil || n != 3 {
		t.Fatalf("err %v after %d items, want nil after 3", err, n)
	}
	if st.heads > 3+2*4 {
		t.Errorf("%d HEADs, want at most the window past the 3 items taken", st.heads)
	}
}

func TestListedObjectsDownload(t *testing.T) {
	st := memstore.New(memstore.Config{Buckets: []string{"b"}})
	putObjects(t, st, "b", "p/a", "p/b c", "p/sub/d+é", "p/e.tmp")
	dir := t.TempDir()
	flt, err := filter.New([]filter.Rule{{Pattern: "*.tmp"}})
	if err != nil {
		t.Fatal(err)
	}
	e := transfer.New(st, transfer.Options{Concurrency: 4})
	list := "a\x00b c\x00missing\x00sub/d+é\x00e.tmp\x00a/../../x\x00"
	sum, err := e.Run(context.Background(), e.ListedObjects(filelist.NULs(strings.NewReader(list)), object.Ref{Bucket: "b", Key: "p/"}, dir, flt))
	if !errors.Is(err, transfer.ErrSomeFailed) || sum.Done != 3 || sum.Failed != 2 {
		t.Fatalf("done %d failed %d err %v, want 3, 2 and some failed", sum.Done, sum.Failed, err)
	}
	for _, name := range []string{"a", "b c", "sub/d+é"} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || string(b) != "bytes of p/"+name {
			t.Errorf("%s: %q %v", name, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "e.tmp")); err == nil {
		t.Error("e.tmp was downloaded though the filter excludes it")
	}
	if got, want := failedPaths(sum), []string{"s3://b/p/a/../../x", "s3://b/p/missing"}; !slices.Equal(got, want) {
		t.Errorf("failed %q, want %q", got, want)
	}
}

func TestListedCopies(t *testing.T) {
	st := memstore.New(memstore.Config{Buckets: []string{"b", "c"}})
	putObjects(t, st, "b", "p/a", "p/b c")
	e := transfer.New(st, transfer.Options{Concurrency: 4})
	sum, err := e.Run(context.Background(), e.ListedCopies(filelist.Lines(strings.NewReader("a\nmissing\nb c\n")), object.Ref{Bucket: "b", Key: "p/"}, object.Ref{Bucket: "c", Key: "q/"}, nil))
	if !errors.Is(err, transfer.ErrSomeFailed) || sum.Done != 2 || sum.Failed != 1 {
		t.Fatalf("done %d failed %d err %v, want 2, 1 and some failed", sum.Done, sum.Failed, err)
	}
	for _, name := range []string{"a", "b c"} {
		if o, ok := st.Object(object.Ref{Bucket: "c", Key: "q/" + name}); !ok || string(o.Data) != "bytes of p/"+name {
			t.Errorf("q/%s: %v %q", name, ok, o.Data)
		}
	}
	if got := failedPaths(sum); !slices.Equal(got, []string{"s3://b/p/missing"}) {
		t.Errorf("failed %q", got)
	}
}

// errList is a list that fails after its first entry.
type errList struct{ n int }

var errBroken = errors.New("the list broke")

func (l *errList) Next() (filelist.Entry, error) {
	if l.n++; l.n > 1 {
		return filelist.Entry{}, errBroken
	}
	return filelist.Entry{Name: "ka", Line: 1}, nil
}

// A list that cannot be read ends the run with its error, after the items before it.
func TestListedReadError(t *testing.T) {
	st := memstore.New(memstore.Config{Buckets: []string{"b"}})
	putObjects(t, st, "b", "ka")
	e := transfer.New(st, transfer.Options{Concurrency: 4})
	sum, err := e.Run(context.Background(), e.ListedObjects(&errList{}, object.Ref{Bucket: "b"}, t.TempDir(), nil))
	if !errors.Is(err, errBroken) || sum.Done != 1 {
		t.Fatalf("done %d, err %v; want 1 and the list's error", sum.Done, err)
	}
}

// A list with --shard: of the listed files each run takes only its shard's, and the runs
// of all shards together take each file exactly once.
func TestListedFilesSharded(t *testing.T) {
	dir := t.TempDir()
	var list strings.Builder
	for i := range 100 {
		name := fmt.Sprintf("f%03d", i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		list.WriteString(name + "\n")
	}
	st := memstore.New(memstore.Config{Buckets: []string{"b"}})
	for i := range 3 {
		shard := filter.InShard{Shard: filter.Shard{Index: i, Count: 3}}
		e := transfer.New(st, transfer.Options{Concurrency: 4})
		sum, err := e.Run(context.Background(), transfer.ListedFiles(filelist.Lines(strings.NewReader(list.String())), dir, object.Ref{Bucket: "b", Key: "s/"}, shard))
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for j := range 100 {
			if filter.Of(fmt.Sprintf("f%03d", j), 3) == i {
				want++
			}
		}
		if sum.Done != want || want == 0 {
			t.Errorf("shard %d/3: %d files done, want its %d", i, sum.Done, want)
		}
	}
	for j := range 100 {
		if _, ok := st.Object(object.Ref{Bucket: "b", Key: fmt.Sprintf("s/f%03d", j)}); !ok {
			t.Errorf("f%03d was taken by no shard", j)
		}
	}
}
