package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// pagedStore is a memstore whose ListPages makes one "request" per page, which it
// records, counts while in flight (each taking delay), and fails as told.
type pagedStore struct {
	memstore.Paged
	delay time.Duration

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	requests    []string       // "prefix|delimiter|token" of each page asked for
	fail        map[string]int // "prefix|delimiter|token" -> failures left
	cutShort    map[string]int // "prefix|delimiter|token" -> times its page is given with no next token, then fails
	given       int            // keys of plain (undelimited) pages given to the engine
}

// flaky is a failure a retry may get past.
type flaky struct{}

func (flaky) Error() string   { return "the page did not come" }
func (flaky) Retryable() bool { return true }

var errOnePage = errors.New("one page")

func (s *pagedStore) ListPages(ctx context.Context, bucket, prefix, delimiter, token string, page func([]object.Info, []string, string) error) error {
	for {
		req := prefix + "|" + delimiter + "|" + token
		s.mu.Lock()
		s.inFlight++
		s.maxInFlight = max(s.maxInFlight, s.inFlight)
		s.requests = append(s.requests, req)
		failing := s.fail[req] > 0
		if failing {
			s.fail[req]--
		}
		cut := !failing && s.cutShort[req] > 0
		if cut {
			s.cutShort[req]--
		}
		s.mu.Unlock()
		time.Sleep(s.delay)
		var keys []object.Info
		var prefixes []string
		var next string
		err := s.Paged.ListPages(ctx, bucket, prefix, delimiter, token, func(k []object.Info, p []string, n string) error {
			keys, prefixes, next = k, p, n
			return errOnePage
		})
		s.mu.Lock()
		s.inFlight--
		if delimiter == "" && !failing && errors.Is(err, errOnePage) {
			s.given += len(keys)
		}
		s.mu.Unlock()
		switch {
		case failing:
			return flaky{}
		case !errors.Is(err, errOnePage):
			return err
		}
		if cut {
			if err := page(keys, prefixes, ""); err != nil {
				return err
			}
			return flaky{} // as s3store does with a page truncated without a token
		}
		if err := page(keys, prefixes, next); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// delimited returns the requests made with a delimiter.
func (s *pagedStore) delimited() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		if strings.Contains(r, "|/|") {
			out = append(out, r)
		}
	}
	return out
}

// newPaged returns a pagedStore with pages of pageSize entries holding keys (empty objects)
// in bucket "b".
func newPaged(t *testing.T, pageSize int, keys []string) *pagedStore {
	t.Helper()
	m := memstore.New(memstore.Config{Buckets: []string{"b"}})
	for _, k := range keys {
		if _, err := m.PutObject(t.Context(), object.Ref{Bucket: "b", Key: k}, bytes.NewReader(nil), 0, nil, object.Checksum{}); err != nil {
			t.Fatal(err)
		}
	}
	return &pagedStore{Paged: memstore.Paged{Store: m, PageSize: pageSize}, fail: map[string]int{}, cutShort: map[string]int{}}
}

// tree returns the keys of dirs directories of n keys each under prefix, with keys around
// them that sort next to them: "p/d07-a" before "p/d07/...", "p/d070" after.
func tree(prefix string, dirs, n int) []string {
	var keys []string
	for d := range dirs {
		keys = append(keys, fmt.Sprintf("%sd%02d-a", prefix, d), fmt.Sprintf("%sd%02d0", prefix, d))
		for i := range n {
			keys = append(keys, fmt.Sprintf("%sd%02d/%03d", prefix, d, i))
		}
	}
	keys = append(keys, prefix+"top", prefix+"d05/sub/deeper/x", prefix+"d05/", prefix+"d05.", prefix+"é/x")
	slices.Sort(keys)
	return keys
}

// listAll lists prefix through the engine's ListPrefix and returns the keys in the order
// fn saw them, failing t if fn is ever called from two goroutines at once.
func listAll(t *testing.T, e *transfer.Engine, prefix string) ([]string, error) {
	var got []string
	var busy sync.Mutex
	err := e.ListPrefix(t.Context(), "b", prefix, func(_ context.Context, info object.Info) error {
		if !busy.TryLock() {
			t.Error("fn called from two goroutines at once")
			return nil
		}
		defer busy.Unlock()
		got = append(got, info.Key)
		return nil
	})
	return got, err
}

func under(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// A prefix whose keys lie in large common prefixes is listed in parallel, one listing per
// common prefix, and the keys come to fn in the plain listing's order: keys that sort
// next to a common prefix ("d07-a", "d070", "d05.") stay where they belong, a directory
// marker ("d05/") and a deeper subtree come at their place, and a common prefix with no
// keys left when it is listed gives none.
func TestListPrefixFansOutInKeyOrder(t *testing.T) {
	keys := tree("p/", 40, 30)
	for _, concurrency := range []int{1, 2, 16} {
		t.Run(fmt.Sprint(concurrency), func(t *testing.T) {
			st := newPaged(t, 20, append(keys, "other/x", "p-not/x"))
			e := transfer.New(st, transfer.Options{Concurrency: concurrency})
			got, err := listAll(t, e, "p/")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, keys) {
				t.Fatalf("listed %d keys, want %d in order; first difference at %d", len(got), len(keys), firstDiff(got, keys))
			}
			d := st.delimited()
			if concurrency == 1 && len(d) > 0 || concurrency > 1 && len(d) == 0 {
				t.Errorf("concurrency %d: delimited requests %q", concurrency, d)
			}
		})
	}
	// A common prefix whose keys are gone by the time it is listed: empty subtree.
	st := newPaged(t, 20, keys)
	e := transfer.New(st, transfer.Options{Concurrency: 4})
	var got []string
	err := e.ListPrefix(t.Context(), "b", "p/", func(_ context.Context, info object.Info) error {
		if info.Key == "p/d02/000" {
			for _, k := range under(keys, "p/d30/") {
				_ = st.DeleteObject(t.Context(), object.Ref{Bucket: "b", Key: k})
			}
		}
		got = append(got, info.Key)
		return nil
	})
	want := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return strings.HasPrefix(k, "p/d30/") })
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("err %v; listed %d keys, want %d (p/d30/ emptied) in order; first difference at %d", err, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// A flat prefix, and one whose common prefixes hold a few keys each, are listed as one
// stream of plain pages, as before: no delimited request.
func TestListPrefixStaysSerial(t *testing.T) {
	var flat, small []string
	for i := range 300 {
		flat = append(flat, fmt.Sprintf("f/%04d", i))
		small = append(small, fmt.Sprintf("s/%04d/x", i), fmt.Sprintf("s/%04d/y", i))
	}
	st := newPaged(t, 20, slices.Concat(flat, small))
	e := transfer.New(st, transfer.Options{Concurrency: 8})
	for _, want := range [][]string{flat, small} {
		prefix := want[0][:2]
		st.requests = nil
		got, err := listAll(t, e, prefix)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("%s: err %v, %d keys", prefix, err, len(got))
		}
		if d := st.delimited(); len(d) > 0 || len(st.requests) != (len(want)+19)/20 {
			t.Errorf("%s: %d requests (%d delimited) for %d keys in pages of 20", prefix, len(st.requests), len(d), len(want))
		}
	}
}

// A page that fails in one subtree, and one of the delimited listing, are asked for again
// from their own token; so is a page given with no next token and then failed (a page
// truncated without a token), without its keys coming twice. Every key comes once, in
// order.
func TestListPrefixResumesAFailedPageOfASubtree(t *testing.T) {
	keys := tree("p/", 20, 50)
	st := newPaged(t, 20, keys)
	var tok string
	_ = st.Paged.ListPages(t.Context(), "b", "p/d07/", "", "", func(_ []object.Info, _ []string, next string) error {
		tok = next
		return errOnePage
	})
	st.fail["p/d07/||"+tok] = 2 // the second page of one subtree
	st.fail["p/|/|"] = 1        // the first page of the delimited listing
	st.cutShort["p/d07/||"+tok] = 1
	st.cutShort["p/d09/||"] = 1 // the first page of a subtree: the one listed to decide
	opts := transfer.Options{Concurrency: 6, Retries: 2, RetryBase: time.Microsecond, RetryMax: time.Millisecond}
	got, err := listAll(t, transfer.New(st, opts), "p/")
	if err != nil || !slices.Equal(got, keys) {
		t.Fatalf("err %v; %d keys, want %d; first difference at %d", err, len(got), len(keys), firstDiff(got, keys))
	}
	n := 0
	for _, r := range st.requests {
		if strings.HasPrefix(r, "p/d07/||") {
			n++
		}
	}
	if n != 3+3 { // 3 pages, the second asked for 4 times
		t.Errorf("%d requests for p/d07/, want 6: %q", n, st.requests)
	}
	for k, n := range st.fail {
		if n != 0 {
			t.Errorf("the failures of %s were not all met", k)
		}
	}
	for k, n := range st.cutShort {
		if n != 0 {
			t.Errorf("the page %s was not cut short", k)
		}
	}

	// The first page of all, cut short, has been given: the listing goes on as one stream.
	st = newPaged(t, 20, keys)
	st.cutShort["p/||"] = 1
	got, err = listAll(t, transfer.New(st, opts), "p/")
	if err != nil || !slices.Equal(got, keys) {
		t.Fatalf("first page cut short: err %v; %d keys, want %d; first difference at %d", err, len(got), len(keys), firstDiff(got, keys))
	}
}

// Fanned out, no more pages are in flight than the engine's concurrency, and the workers
// run at most a bounded number of pages ahead of a slow consumer: each of Concurrency
// subtrees two pages, plus the first page listed to decide to fan out.
func TestListPrefixBounds(t *testing.T) {
	const pageSize, concurrency = 10, 4
	keys := tree("p/", 60, 40) // 60 subtrees of 4 pages
	st := newPaged(t, pageSize, keys)
	st.delay = time.Millisecond
	e := transfer.New(st, transfer.Options{Concurrency: concurrency})
	consumed, ahead := 0, 0
	err := e.ListPrefix(t.Context(), "b", "p/", func(_ context.Context, info object.Info) error {
		consumed++
		if consumed%50 == 0 {
			time.Sleep(20 * time.Millisecond) // a slow consumer: the workers run ahead
		}
		st.mu.Lock()
		ahead = max(ahead, st.given-consumed)
		st.mu.Unlock()
		return nil
	})
	if err != nil || consumed != len(keys) {
		t.Fatalf("err %v after %d keys of %d", err, consumed, len(keys))
	}
	if bound := (concurrency*2 + 1) * pageSize; ahead > bound {
		t.Errorf("%d keys listed ahead of the consumer; the bound is %d", ahead, bound)
	}
	if ahead < 2*pageSize {
		t.Errorf("only %d keys listed ahead of the consumer: no parallel listing?", ahead)
	}
	if st.maxInFlight > concurrency || st.maxInFlight < 2 {
		t.Errorf("%d pages in flight at most; want 2 to %d", st.maxInFlight, concurrency)
	}
}

// The request limit is shared: a listing fanned out while other requests hold slots has
// no more in flight than the slots left (Engine.Policy's listing, as sync uses it).
func TestListPrefixSharesTheRequestLimit(t *testing.T) {
	keys := tree("p/", 30, 30)
	st := newPaged(t, 10, keys)
	st.delay = time.Millisecond
	e := transfer.New(st, transfer.Options{Concurrency: 3})
	var got []string
	err := e.Policy().ListPrefix(t.Context(), st, "b", "p/", func(_ context.Context, info object.Info) error {
		got = append(got, info.Key)
		return nil
	})
	if err != nil || !slices.Equal(got, keys) {
		t.Fatalf("err %v, %d keys", err, len(got))
	}
	if st.maxInFlight > 3 {
		t.Errorf("%d pages in flight; the limit is 3", st.maxInFlight)
	}
}

// A listing cancelled part way, or stopped by fn's error, returns at once with that error
// and leaves no goroutine behind.
func TestListPrefixStopsCleanly(t *testing.T) {
	keys := tree("p/", 50, 40)
	st := newPaged(t, 10, keys)
	st.delay = 100 * time.Microsecond
	e := transfer.New(st, transfer.Options{Concurrency: 8})
	before := runtime.NumGoroutine()
	stop := errors.New("stop")
	for _, cancelIt := range []bool{true, false} {
		ctx, cancel := context.WithCancel(t.Context())
		n := 0
		err := e.ListPrefix(ctx, "b", "p/", func(_ context.Context, info object.Info) error {
			if n++; n == 500 {
				if cancelIt {
					cancel()
					return nil
				}
				return stop
			}
			return nil
		})
		cancel()
		if cancelIt && !errors.Is(err, context.Canceled) || !cancelIt && !errors.Is(err, stop) {
			t.Errorf("cancel %t: err %v", cancelIt, err)
		}
		if n > 600 {
			t.Errorf("cancel %t: fn called %d times after the stop at 500", cancelIt, n)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
