package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	if n := fs.count("DeleteObjects"); n != 4 { // 1,000 + 200, sent before listing again; 1,000 + 301
		t.Fatalf("%d DeleteObjects requests for 2,501 keys, want 4", n)
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

// batchDeleter is the fake store with a DeleteObjects that takes its time (or waits for
// release), counts the calls in flight and every key sent, and can fail the nth call.
type batchDeleter struct {
	*fakeStore
	delay   time.Duration
	release chan struct{} // when not nil, each call waits to receive from it (or ctx)
	fail    func(n int) error
	// overlap makes the first call wait (up to 10 s) until a second one is in flight too, so
	// that batches sent in parallel are seen to be, however slowly a busy machine lists.
	overlap bool

	calls, inFlight, maxSeen atomic.Int64
	mu                       sync.Mutex
	sent                     map[string]int
}

func newBatchDeleter(prefix string, n int) *batchDeleter {
	fs := newFake()
	for i := range n {
		fs.put(object.Ref{Bucket: "b", Key: fmt.Sprintf("%s%05d", prefix, i)}, []byte("x"))
	}
	return &batchDeleter{fakeStore: fs, sent: map[string]int{}}
}

func (d *batchDeleter) DeleteObjects(ctx context.Context, bucket string, keys []string) (map[string]error, error) {
	n := d.calls.Add(1)
	in := d.inFlight.Add(1)
	defer d.inFlight.Add(-1)
	for m := d.maxSeen.Load(); in > m && !d.maxSeen.CompareAndSwap(m, in); m = d.maxSeen.Load() {
	}
	d.mu.Lock()
	for _, k := range keys {
		d.sent[k]++
	}
	d.mu.Unlock()
	for wait := time.Now().Add(10 * time.Second); d.overlap && n == 1 && d.maxSeen.Load() < 2 && time.Now().Before(wait); {
		time.Sleep(time.Millisecond)
	}
	if d.release != nil {
		select {
		case <-d.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	select {
	case <-time.After(d.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if d.fail != nil {
		if err := d.fail(int(n)); err != nil {
			return nil, err
		}
	}
	return d.fakeStore.DeleteObjects(ctx, bucket, keys)
}

// sentTwice returns a key sent in more than one request, if any.
func (d *batchDeleter) sentTwice() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, n := range d.sent {
		if n > 1 {
			return k
		}
	}
	return ""
}

// outcomes counts each key's events: queued, and its outcome (Done, Failed, NotDone).
type outcomes struct {
	mu              sync.Mutex
	queued, outcome map[string]int
	kinds           map[EventKind]int
}

func newOutcomes() *outcomes {
	return &outcomes{queued: map[string]int{}, outcome: map[string]int{}, kinds: map[EventKind]int{}}
}

func (o *outcomes) Observe(ev Event) {
	if ev.Item.Op != Delete {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	switch ev.Kind {
	case Queued:
		o.queued[ev.Item.Object.Key]++
	case Done, Failed, NotDone:
		o.outcome[ev.Item.Object.Key]++
		o.kinds[ev.Kind]++
	}
}

func (o *outcomes) numQueued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queued)
}

// check fails t unless every key queued has exactly one outcome, no key has two, and the summary's counts are those of the events.
func (o *outcomes) check(t *testing.T, sum Summary) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, n := range o.queued {
		if n != 1 || o.outcome[k] != 1 {
			t.Fatalf("%s queued %d times with %d outcomes, want 1 and 1", k, n, o.outcome[k])
		}
	}
	for k, n := range o.outcome { // a key found as the run ended is not done, unqueued
		if n != 1 {
			t.Fatalf("%s has %d outcomes", k, n)
		}
	}
	if sum.Done != o.kinds[Done] || sum.Failed != o.kinds[Failed] || sum.NotDone != o.kinds[NotDone] ||
		len(sum.Failures) != min(sum.Failed, MaxListed) || len(sum.Unfinished) != min(sum.NotDone, MaxListed) {
		t.Fatalf("summary done %d failed %d not done %d (%d failures, %d unfinished), events %v", sum.Done, sum.Failed, sum.NotDone,
			len(sum.Failures), len(sum.Unfinished), o.kinds)
	}
}

// Batches go out in parallel, never more than the concurrency at once, while the listing
// goes on; every key is deleted and reported once.
func TestDeletePrefixSendsBatchesInParallelUnderTheLimit(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			d := newBatchDeleter("p/", 12500)
			d.delay, d.overlap = 5*time.Millisecond, conc > 1
			obs := newOutcomes()
			sum, err := New(d, fastOpts(Options{Concurrency: conc})).DeletePrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, nil, WithObserver(obs))
			if err != nil || sum.Done != 12500 {
				t.Fatalf("DeletePrefix: %v, %d done, want 12,500", err, sum.Done)
			}
			obs.check(t, sum)
			if n := d.calls.Load(); n != 13 {
				t.Fatalf("%d DeleteObjects requests for 12,500 keys, want 13", n)
			}
			if m := d.maxSeen.Load(); m > int64(conc) || (conc > 1 && m < 2) {
				t.Fatalf("%d DeleteObjects in flight at once with concurrency %d", m, conc)
			}
			if k := d.sentTwice(); k != "" {
				t.Fatalf("%s sent twice", k)
			}
			if left := len(d.objects); left != 0 {
				t.Fatalf("%d objects left", left)
			}
		})
	}
}

// With every batch in flight the listing waits: no more than concurrency+1 batches of
// keys are held.
func TestDeletePrefixHoldsAtMostConcurrencyPlusOneBatches(t *testing.T) {
	d := newBatchDeleter("p/", 10000)
	d.release = make(chan struct{})
	obs := newOutcomes()
	type result struct {
		sum Summary
		err error
	}
	res := make(chan result, 1)
	go func() {
		sum, err := New(d, fastOpts(Options{Concurrency: 2})).DeletePrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, nil, WithObserver(obs))
		res <- result{sum, err}
	}()
	for deadline := time.Now().Add(10 * time.Second); d.inFlight.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			close(d.release)
			t.Fatalf("%d DeleteObjects in flight with concurrency 2 after 10s, %d keys queued", d.inFlight.Load(), obs.numQueued())
		}
	}
	time.Sleep(50 * time.Millisecond) // room for a listing that would not wait
	if q := obs.numQueued(); q != 3000 {
		t.Fatalf("%d keys queued with 2 batches in flight and none done, want 3,000", q)
	}
	close(d.release)
	r := <-res
	if r.err != nil || r.sum.Done != 10000 {
		t.Fatalf("DeletePrefix: %v, %d done", r.err, r.sum.Done)
	}
	obs.check(t, r.sum)
}

// A batch that fails after its retries fails its keys and ends the run: the listing stops,
// the batches in flight finish and are counted, the keys queued but not sent are not done.
func TestDeletePrefixFailedBatchEndsTheRun(t *testing.T) {
	d := newBatchDeleter("p/", 30000)
	d.delay = 2 * time.Millisecond
	d.fail = func(n int) error {
		if n == 3 {
			return &fakeErr{code: "InternalError"} // not retryable: fails at once
		}
		return nil
	}
	obs := newOutcomes()
	sum, err := New(d, fastOpts(Options{Concurrency: 4})).DeletePrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, nil, WithObserver(obs))
	if !errors.Is(err, ErrSomeFailed) || sum.Failed != 1000 {
		t.Fatalf("err %v, %d failed; want ErrSomeFailed and the batch's 1,000 keys failed", err, sum.Failed)
	}
	obs.check(t, sum)
	if n := sum.Done + sum.Failed + sum.NotDone; n >= 30000 {
		t.Fatalf("%d of 30,000 keys reported: the listing did not stop", n)
	}
	if left := len(d.objects); left != 30000-sum.Done {
		t.Fatalf("%d objects left, %d done of 30,000", left, sum.Done)
	}
	if k := d.sentTwice(); k != "" {
		t.Fatalf("%s sent twice", k)
	}
}

// A cancel stops the listing and the batches in flight at once; every key queued is
// reported, those not deleted as not done.
func TestDeletePrefixCancelReportsEveryQueuedKey(t *testing.T) {
	d := newBatchDeleter("p/", 30000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.fail = func(n int) error {
		if n == 5 {
			cancel()
			<-ctx.Done() // this batch is cut short too
			return ctx.Err()
		}
		return nil
	}
	d.delay = 2 * time.Millisecond
	obs := newOutcomes()
	start := time.Now()
	sum, err := New(d, fastOpts(Options{Concurrency: 4})).DeletePrefix(ctx, object.Ref{Bucket: "b", Key: "p/"}, nil, WithObserver(obs))
	if !errors.Is(err, context.Canceled) || sum.NotDone == 0 || sum.Failed != 0 {
		t.Fatalf("err %v, summary done %d failed %d not done %d; want Canceled with keys not done", err, sum.Done, sum.Failed, sum.NotDone)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("the cancel took %s to stop the run", time.Since(start))
	}
	obs.check(t, sum)
	if left := len(d.objects); left != 30000-sum.Done {
		t.Fatalf("%d objects left, %d done of 30,000", left, sum.Done)
	}
}

// A listing that fails while batches are in flight is listed again once they finish: no
// key is sent or reported twice, a key the server could not delete is not sent again, and
// everything else is deleted.
func TestDeletePrefixRelistsAfterBatchesInFlight(t *testing.T) {
	d := newBatchDeleter("p/", 6000)
	d.put(object.Ref{Bucket: "b", Key: "p/00500bad"}, []byte("x")) // fails on its own
	d.delay = 5 * time.Millisecond
	d.listFailAfter = 2500 // two batches in flight, 500 keys queued
	obs := newOutcomes()
	sum, err := New(d, fastOpts(Options{Concurrency: 4})).DeletePrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, nil, WithObserver(obs))
	if !errors.Is(err, ErrSomeFailed) || sum.Done != 6000 || sum.Failed != 1 {
		t.Fatalf("err %v, %d done, %d failed; want 6,000 and 1", err, sum.Done, sum.Failed)
	}
	obs.check(t, sum)
	if k := d.sentTwice(); k != "" {
		t.Fatalf("%s sent twice", k)
	}
	if n := d.count("List"); n != 2 {
		t.Fatalf("%d listings, want 2", n)
	}
	if left := len(d.objects); left != 1 {
		t.Fatalf("%d objects left, want only p/00500bad", left)
	}
}

// Delete's batches go out in parallel too, and one that fails ends the run with every item
// reported once.
func TestDeleteItemsInParallelAndFailedBatchStops(t *testing.T) {
	for _, failAt := range []int{0, 2} {
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			d := newBatchDeleter("k", 9500)
			d.delay, d.overlap = 5*time.Millisecond, true
			d.fail = func(n int) error {
				if n == failAt {
					return &fakeErr{code: "InternalError"}
				}
				return nil
			}
			produce := func(_ context.Context, yield func(Item) bool) error {
				for i := range 9500 {
					if !yield(Item{Op: Delete, Object: object.Ref{Bucket: "b", Key: fmt.Sprintf("k%05d", i)}}) {
						return nil
					}
				}
				return nil
			}
			obs := newOutcomes()
			sum, err := New(d, fastOpts(Options{Concurrency: 3})).Delete(context.Background(), produce, WithObserver(obs))
			obs.check(t, sum)
			if m := d.maxSeen.Load(); m > 3 || m < 2 {
				t.Fatalf("%d DeleteObjects in flight at once with concurrency 3", m)
			}
			if failAt == 0 {
				if err != nil || sum.Done != 9500 || d.calls.Load() != 10 {
					t.Fatalf("Delete: %v, %d done in %d requests", err, sum.Done, d.calls.Load())
				}
				return
			}
			if !errors.Is(err, ErrSomeFailed) || sum.Failed != 1000 || sum.Done+sum.Failed+sum.NotDone >= 9500 {
				t.Fatalf("err %v, summary done %d failed %d not done %d", err, sum.Done, sum.Failed, sum.NotDone)
			}
		})
	}
}

// pagedDeleter is a batchDeleter that lists page by page (PageLister): pages of 1,000 keys
// after a marker, as the bucket is when each page is asked for; the page asked for at
// failAt (counting from 1) fails once, retryably.
type pagedDeleter struct {
	*batchDeleter
	failAt int

	mu     sync.Mutex
	tokens []string // the token of each page asked for
}

func (p *pagedDeleter) ListPages(ctx context.Context, bucket, prefix, delimiter, token string, page func([]object.Info, []string, string) error) error {
	if delimiter != "" {
		return errors.New("pagedDeleter: no delimiter")
	}
	for {
		p.mu.Lock()
		p.tokens = append(p.tokens, token)
		n := len(p.tokens)
		p.mu.Unlock()
		if n == p.failAt {
			return &fakeErr{code: "InternalError", retryable: true}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		p.fakeStore.mu.Lock()
		var keys []object.Info
		for k := range p.objects {
			b, key, _ := strings.Cut(k, "/")
			if b == bucket && strings.HasPrefix(key, prefix) && key > token {
				keys = append(keys, object.Info{Key: key, Size: 1})
			}
		}
		p.fakeStore.mu.Unlock()
		slices.SortFunc(keys, func(a, b object.Info) int { return strings.Compare(a.Key, b.Key) })
		next := ""
		if len(keys) > 1000 {
			keys = keys[:1000]
			next = keys[999].Key
		}
		if err := page(keys, nil, next); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// A store that lists page by page is listed as ListPrefix lists: a page that fails while
// batches are in flight is asked for again, the listing is not started over, and each key
// is sent and reported once.
func TestDeletePrefixGoesOnFromThePageThatFailed(t *testing.T) {
	for _, conc := range []int{1, 4} { // 1: the listing's pages and the batches share one slot
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			p := &pagedDeleter{batchDeleter: newBatchDeleter("p/", 6500), failAt: 4}
			p.delay, p.overlap = 5*time.Millisecond, conc > 1
			obs := newOutcomes()
			sum, err := New(p, fastOpts(Options{Concurrency: conc})).DeletePrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, nil, WithObserver(obs))
			if err != nil || sum.Done != 6500 {
				t.Fatalf("DeletePrefix: %v, %d done, want 6,500", err, sum.Done)
			}
			obs.check(t, sum)
			if k := p.sentTwice(); k != "" {
				t.Fatalf("%s sent twice", k)
			}
			if m := p.maxSeen.Load(); m > int64(conc) || (conc > 1 && m < 2) {
				t.Fatalf("%d DeleteObjects in flight at once with concurrency %d", m, conc)
			}
			if n := p.count("List"); n != 0 {
				t.Fatalf("%d listings from the start through List", n)
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			if slices.Index(p.tokens[1:], "") >= 0 || p.tokens[3] != p.tokens[4] {
				t.Fatalf("pages asked for from %q: want the failed 4th again, and the first page only once", p.tokens)
			}
			if left := len(p.objects); left != 0 {
				t.Fatalf("%d objects left", left)
			}
		})
	}
}
