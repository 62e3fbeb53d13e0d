package transfer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/haul-s3/haul/object"
)

// stopErr is a store error that every request would meet (a missing bucket, an
// unreachable server), as s3store.Error says with StopsRun.
type stopErr struct{ fakeErr }

func (*stopErr) StopsRun() bool { return true }

// deniedErr is an access denial, as s3store.Error says with Denied.
type deniedErr struct{ fakeErr }

func (*deniedErr) Denied() bool { return true }

func manyFiles(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%03d", i)), randomBytes(100, uint64(i)))
	}
	return dir
}

func TestFailureEveryItemWouldMeetStopsTheRunOnce(t *testing.T) {
	fs := newFake()
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "PutObject" {
			return &stopErr{fakeErr{code: "NoSuchBucket"}}
		}
		return nil
	}
	var mu sync.Mutex
	kinds := map[EventKind]int{}
	obs := ObserverFunc(func(ev Event) {
		mu.Lock()
		kinds[ev.Kind]++
		mu.Unlock()
	})
	e := New(fs, fastOpts(Options{Concurrency: 4, Observer: obs}))
	sum, err := e.UploadDir(context.Background(), manyFiles(t, 200), object.Ref{Bucket: "b"})
	var se *StoppedError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *StoppedError", err)
	}
	var fe *stopErr
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v does not wrap the store's failure", err)
	}
	if sum.Failed != 1 || sum.Done != 0 || kinds[Failed] != 1 {
		t.Fatalf("summary %+v, %d Failed events: want exactly one failure", sum, kinds[Failed])
	}
	if sum.NotDone != len(sum.Unfinished) || kinds[NotDone] != sum.NotDone {
		t.Fatalf("not done %d, unfinished %d, NotDone events %d", sum.NotDone, len(sum.Unfinished), kinds[NotDone])
	}
	if puts := fs.count("PutObject"); puts > 20 {
		t.Fatalf("%d PutObjects of 200 files: the run went on after the failure that stops it", puts)
	}
}

func TestDenialStopsTheRunOnlyBeforeAnythingWasDone(t *testing.T) {
	denyAll := func(c fakeCall, _ int) error {
		if c.Op == "PutObject" {
			return &deniedErr{fakeErr{code: "AccessDenied"}}
		}
		return nil
	}
	t.Run("nothing done", func(t *testing.T) {
		fs := newFake()
		fs.hook = denyAll
		sum, err := New(fs, fastOpts(Options{Concurrency: 1})).UploadDir(context.Background(), manyFiles(t, 50), object.Ref{Bucket: "b"})
		if !errors.As(err, new(*StoppedError)) || sum.Failed != 1 {
			t.Fatalf("err = %v, summary %+v: want the run stopped after one failure", err, sum)
		}
	})
	t.Run("after a success", func(t *testing.T) {
		fs := newFake()
		fs.hook = func(c fakeCall, n int) error {
			if c.Key == "f000" {
				return nil // one key the policy allows
			}
			return denyAll(c, n)
		}
		sum, err := New(fs, fastOpts(Options{Concurrency: 1})).UploadDir(context.Background(), manyFiles(t, 50), object.Ref{Bucket: "b"})
		if errors.As(err, new(*StoppedError)) || !errors.Is(err, ErrSomeFailed) || sum.Done != 1 || sum.Failed != 49 {
			t.Fatalf("err = %v, summary %+v: want each denied key failed on its own", err, sum)
		}
		// The run's error leads to every item's cause.
		var d *deniedErr
		if !errors.As(err, &d) || d.code != "AccessDenied" {
			t.Fatalf("errors.As cannot find an item's cause in %v", err)
		}
		var ie *ItemsError
		if !errors.As(err, &ie) || len(ie.Unwrap()) != 50 {
			t.Fatalf("%v: want ErrSomeFailed and 49 causes", err)
		}
	})
}

func TestCancelCountsUnfinishedItemsAsNotDone(t *testing.T) {
	fs := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "PutObject" && c.Key == "f010" {
			once.Do(cancel)
			return errStallHere
		}
		return nil
	}
	sum, err := New(fs, fastOpts(Options{Concurrency: 4})).UploadDir(ctx, manyFiles(t, 100), object.Ref{Bucket: "b"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sum.Failed != 0 || sum.NotDone == 0 || sum.NotDone != len(sum.Unfinished) {
		t.Fatalf("summary %+v: want unfinished items not done, none failed", sum)
	}
	for _, u := range sum.Unfinished {
		if !errors.Is(u.Err, context.Canceled) {
			t.Fatalf("unfinished %s: cause %v, want context.Canceled", u.Item.Src(), u.Err)
		}
	}
	if sum.Done+sum.NotDone > 100 {
		t.Fatalf("summary %+v counts more items than there are", sum)
	}
}

// A call whose every item finished before the context was cancelled did all it was asked:
// it returns no error, so that code written as `if err != nil` does not read a stored
// object as lost.
func TestCancelAfterTheLastItemFinishedIsNoError(t *testing.T) {
	fs := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Done {
			cancel()
		}
	})
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, randomBytes(1000, 3))
	sum, err := New(fs, fastOpts(Options{Observer: obs})).UploadFile(ctx, p, dst)
	if err != nil || sum.Done != 1 || sum.NotDone != 0 {
		t.Fatalf("err = %v, summary %+v: want the finished upload reported as done, no error", err, sum)
	}
	if ctx.Err() == nil {
		t.Fatal("the observer did not cancel: the test tests nothing")
	}
}
