package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/haul-s3/haul/object"
)

// DeleteObjects for the fake: every key is deleted unless the hook fails the call; keys
// with "bad" in them fail on their own.
func (f *fakeStore) DeleteObjects(ctx context.Context, bucket string, keys []string) (map[string]error, error) {
	done, err := f.begin(ctx, fakeCall{Op: "DeleteObjects", Key: keys[0], Length: int64(len(keys))})
	if err != nil {
		return nil, err
	}
	defer done()
	f.mu.Lock()
	defer f.mu.Unlock()
	failed := map[string]error{}
	for _, k := range keys {
		if strings.Contains(k, "bad") {
			failed[k] = &fakeErr{code: "AccessDenied"}
			continue
		}
		delete(f.objects, bucket+"/"+k)
	}
	return failed, nil
}

func TestDeletePrefixBatchesAndReportsEachKey(t *testing.T) {
	fs := newFake()
	for i := range 2500 {
		fs.put(object.Ref{Bucket: "b", Key: fmt.Sprintf("p/%04d", i)}, []byte("x"))
	}
	fs.put(object.Ref{Bucket: "b", Key: "p/bad"}, []byte("x"))
	fs.put(object.Ref{Bucket: "b", Key: "p/keep.txt"}, []byte("x"))
	fs.put(object.Ref{Bucket: "b", Key: "other"}, []byte("x"))
	fs.listFailAfter = 1200 // the listing fails once, after the first batch was deleted
	done := 0
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Done && ev.Item.Op == Delete {
			done++
		}
	})
	keepTxt := filterFunc(func(rel string) bool { return !strings.HasSuffix(rel, ".txt") })
	sum, err := New(fs, fastOpts(Options{})).DeletePrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, keepTxt, WithObserver(obs))
	if !errors.Is(err, ErrSomeFailed) || sum.Done != 2500 || sum.Failed != 1 || done != 2500 {
		t.Fatalf("err = %v, summary done %d failed %d, %d Done events", err, sum.Done, sum.Failed, done)
	}
	if n := fs.count("DeleteObjects"); n != 3 {
		t.Fatalf("%d DeleteObjects requests for 2,501 keys, want 3", n)
	}
	for _, k := range []string{"p/bad", "p/keep.txt", "other"} {
		if _, ok := fs.object(object.Ref{Bucket: "b", Key: k}); !ok {
			t.Fatalf("%s was deleted", k)
		}
	}
}

type filterFunc func(string) bool

func (f filterFunc) Match(rel string) bool { return f(rel) }

func TestDeleteItemsBatchesObjectsAndRemovesFiles(t *testing.T) {
	fs := newFake()
	for i := range 1200 {
		fs.put(object.Ref{Bucket: "b", Key: fmt.Sprintf("k%04d", i)}, []byte("x"))
	}
	fs.put(object.Ref{Bucket: "c", Key: "z"}, []byte("x"))
	dir := t.TempDir()
	local := dir + "/gone.txt"
	if err := os.WriteFile(local, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	produce := func(_ context.Context, yield func(Item) bool) error {
		for i := range 1200 {
			if !yield(Item{Op: Delete, Object: object.Ref{Bucket: "b", Key: fmt.Sprintf("k%04d", i)}}) {
				return nil
			}
		}
		yield(Item{Op: Delete, Object: object.Ref{Bucket: "c", Key: "z"}})
		yield(Item{Op: Delete, Path: local})
		yield(Item{Op: Delete, Path: dir + "/never-there"}) // already gone counts as removed
		return nil
	}
	sum, err := New(fs, fastOpts(Options{})).Delete(context.Background(), produce)
	if err != nil || sum.Done != 1203 {
		t.Fatalf("Delete: %v, %d done, want 1203", err, sum.Done)
	}
	if n := fs.count("DeleteObjects"); n != 3 { // 1000 + 200 of b, 1 of c
		t.Fatalf("%d DeleteObjects requests, want 3", n)
	}
	if _, err := os.Stat(local); !os.IsNotExist(err) {
		t.Fatalf("local file still there: %v", err)
	}
	if _, ok := fs.object(object.Ref{Bucket: "c", Key: "z"}); ok {
		t.Fatal("c/z was not deleted")
	}
}
