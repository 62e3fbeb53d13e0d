package transfer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/haul-s3/haul/object"
)

// Two calls sharing one Engine (one request limit) upload with their own object options.
func TestCallsOnOneEngineKeepTheirOwnObjectOptions(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writeFile(t, a, randomBytes(100, 1))
	writeFile(t, b, randomBytes(100, 2))
	e := New(fs, fastOpts(Options{Object: object.Options{Metadata: map[string]string{"who": "engine"}}}))
	var wg sync.WaitGroup
	for _, c := range []struct{ path, who string }{{a, "first"}, {b, "second"}} {
		wg.Go(func() {
			o := object.Options{Metadata: map[string]string{"who": c.who}, ACL: "private"}
			if _, err := e.UploadFile(context.Background(), c.path, object.Ref{Bucket: "b", Key: c.who}, WithObject(o)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, who := range []string{"first", "second"} {
		if got := fs.meta["b/"+who]["who"]; got != who {
			t.Errorf("object %s has metadata who=%q, want %q", who, got, who)
		}
	}
	// An item's own options win over the call's.
	own := object.Options{Metadata: map[string]string{"who": "item"}}
	items := func(_ context.Context, yield func(Item) bool) error {
		yield(Item{Op: Upload, Path: a, Object: object.Ref{Bucket: "b", Key: "own"}, Size: 100, Options: &own})
		return nil
	}
	if _, err := e.Run(context.Background(), items, WithObject(object.Options{})); err != nil {
		t.Fatal(err)
	}
	if got := fs.meta["b/own"]["who"]; got != "item" {
		t.Errorf("item with its own options stored who=%q", got)
	}
}

// Every progress event names the item its bytes belong to, so that a caller can keep one
// bar per file; the bytes of each item add up to its size.
func TestProgressNamesItsItem(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	sizes := map[string]int{"s": 1000, "m": 12 * mib}
	for n, size := range sizes {
		writeFile(t, filepath.Join(dir, n), randomBytes(size, 3))
	}
	got := map[string]int64{}
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Progress {
			if ev.Item.Path == "" {
				t.Errorf("progress of %d bytes names no item", ev.Bytes)
			}
			got[filepath.Base(ev.Item.Path)] += ev.Bytes
		}
	})
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib}))
	if _, err := e.UploadDir(context.Background(), dir, object.Ref{Bucket: "b"}, WithObserver(obs)); err != nil {
		t.Fatal(err)
	}
	for n, size := range sizes {
		if got[n] != int64(size) {
			t.Errorf("%s: progress adds up to %d, want %d", n, got[n], size)
		}
	}
}

// A call made with a context already cancelled did nothing: it says so, with the item not
// done, instead of returning no error.
func TestCallWithCancelledContextIsInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, randomBytes(10, 1))
	e := New(newFake(), fastOpts(Options{}))
	for name, call := range map[string]func() (Summary, error){
		"file": func() (Summary, error) { return e.UploadFile(ctx, p, object.Ref{Bucket: "b", Key: "k"}) },
		"stream": func() (Summary, error) {
			return e.UploadStream(ctx, bytes.NewReader([]byte("x")), object.Ref{Bucket: "b", Key: "k"})
		},
	} {
		sum, err := call()
		if !errors.Is(err, context.Canceled) || sum.NotDone != 1 || sum.Done != 0 {
			t.Errorf("%s: err = %v, summary %+v; want context.Canceled with one item not done", name, err, sum)
		}
	}
}

// WithFilter makes UploadDir and DownloadPrefix carry out only the paths the filter matches.
func TestWithFilterChoosesTheItems(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	for _, n := range []string{"a.txt", "b.tmp", "sub/c.txt", "sub/d.tmp"} {
		writeFile(t, filepath.Join(dir, n), randomBytes(10, 1))
	}
	noTmp := filterFunc(func(rel string) bool { return filepath.Ext(rel) != ".tmp" })
	e := New(fs, fastOpts(Options{}))
	sum, err := e.UploadDir(context.Background(), dir, object.Ref{Bucket: "b", Key: "p/"}, WithFilter(noTmp))
	if err != nil || sum.Done != 2 {
		t.Fatalf("upload: err = %v, %d done, want 2", err, sum.Done)
	}
	onlySub := filterFunc(func(rel string) bool { return filepath.Dir(rel) == "sub" })
	out := t.TempDir()
	sum, err = e.DownloadPrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, out, WithFilter(onlySub))
	if err != nil || sum.Done != 1 {
		t.Fatalf("download: err = %v, %d done, want 1 (sub/c.txt)", err, sum.Done)
	}
}

// pruner is a filter whose Prune says to skip directory x, whatever Match says.
type pruner struct{ filterFunc }

func (pruner) Prune(dir string) bool { return dir == "x" }

// A tree producer asks a filter that can prune which directories to skip, and does not
// read them: an unreadable entry inside is not even reported.
func TestTreeItemsSkipsPrunedDirectories(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), randomBytes(10, 1))
	writeFile(t, filepath.Join(dir, "x", "b"), randomBytes(10, 2))
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "x", "dangling")); err != nil {
		t.Fatal(err)
	}
	var got []string
	f := pruner{filterFunc(func(string) bool { return true })}
	err := TreeItems(dir, object.Ref{Bucket: "b"}, f)(context.Background(), func(it Item) bool {
		got = append(got, it.Object.Key)
		if it.Err != nil {
			t.Errorf("%s: %v (inside a pruned directory)", it.Path, it.Err)
		}
		return true
	})
	if err != nil || len(got) != 1 || got[0] != "a" {
		t.Fatalf("items %v, %v: want only a", got, err)
	}
}

// An upload's Done event carries the ETag of the object written, single part or multipart,
// and the whole-file checksum recorded with it: haul sync records both in its state.
func TestUploadDoneEventCarriesTheObjectsETag(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small"), randomBytes(100, 1))
	writeFile(t, filepath.Join(dir, "big"), randomBytes(11*mib, 2))
	got := map[string]string{}
	sums := map[string]object.Checksum{}
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Done {
			got[ev.Item.Object.Key] = ev.Item.ETag
			sums[ev.Item.Object.Key] = ev.Checksum
		}
	})
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib}))
	if _, err := e.UploadDir(context.Background(), dir, object.Ref{Bucket: "b", Key: "p/"}, WithObserver(obs)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"p/small", "p/big"} {
		want := fs.etagOf(object.Ref{Bucket: "b", Key: k})
		if got[k] == "" || got[k] != want {
			t.Errorf("%s: Done event ETag %q, store has %q", k, got[k], want)
		}
		info, err := fs.HeadObject(context.Background(), object.Ref{Bucket: "b", Key: k})
		if stored, ok := StoredChecksum(info.Metadata); err != nil || !ok || stored != sums[k] {
			t.Errorf("%s: Done event checksum %v, object's haul-checksum %v (%v)", k, sums[k], stored, err)
		}
	}
}
