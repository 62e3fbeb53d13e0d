package transfer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/haul-s3/haul/object"
)

// A run lists the first MaxListed failed items and counts them all: a run in which every
// one of many files fails does not hold them all. Its error says how many failed, and its
// Observer sees every one.
func TestRunListsFirstFailuresCountsAll(t *testing.T) {
	const failing, good = 3*MaxListed + 7, 5
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good"), randomBytes(10, 1))
	produce := func(_ context.Context, yield func(Item) bool) error {
		for i := range failing + good {
			it := Item{Op: Upload, Path: filepath.Join(dir, fmt.Sprintf("missing-%d", i)), Object: object.Ref{Bucket: "b", Key: fmt.Sprint(i)}, Size: 10}
			if i%(failing/good) == 0 && i/(failing/good) < good {
				it.Path = filepath.Join(dir, "good")
			}
			if !yield(it) {
				return nil
			}
		}
		return nil
	}
	var seen int
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Failed {
			seen++
		}
	})
	sum, err := New(newFake(), fastOpts(Options{Concurrency: 4})).Run(context.Background(), produce, WithObserver(obs))
	if sum.Done != good || sum.Failed != failing || len(sum.Failures) != MaxListed {
		t.Fatalf("done %d, failed %d, %d failures listed; want %d, %d, %d", sum.Done, sum.Failed, len(sum.Failures), good, failing, MaxListed)
	}
	var ie *ItemsError
	if !errors.As(err, &ie) || ie.Failed != failing || ie.Total != failing+good || len(ie.Failures) != MaxListed {
		t.Fatalf("error %v (%#v), want an *ItemsError of %d failed of %d, %d listed", err, ie, failing, failing+good, MaxListed)
	}
	if want := fmt.Sprintf("%d of %d items failed", failing, failing+good); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if !errors.Is(err, ErrSomeFailed) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v: errors.Is ErrSomeFailed %v, fs.ErrNotExist %v; want both", err, errors.Is(err, ErrSomeFailed), errors.Is(err, fs.ErrNotExist))
	}
	if seen != failing {
		t.Errorf("the observer saw %d failures, want %d", seen, failing)
	}
}
