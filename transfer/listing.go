package transfer

import (
	"context"
	"errors"
	"strings"

	"github.com/haul-s3/haul/object"
)

// A listing of a prefix (Policy.ListPrefix of a PageLister under the engine's policy) is
// one stream of pages, as a plain ListObjectsV2 gives them, unless its first page shows
// that the keys lie in a few large common prefixes ("directories"). Then the prefix is
// listed again with the delimiter "/": the keys directly under it, and its common
// prefixes, each of which is listed (by the same rule, so a wide level further down fans
// out too) by a worker of its own, up to the engine's concurrency at once. The consumer
// takes the keys in the delimited listing's order, each common prefix's keys at its place:
// a common prefix stands in the listing where the keys under it would, so the keys come in
// the same order as from the plain listing.
//
// Bounds: at most listWorkers subtrees are listed ahead of the consumer (the workers, with
// their nested workers, share one budget), each holding at most pagesAhead pages it has
// listed and the consumer has not taken; every page's request holds a slot of the engine's
// request limit while it is in flight and none while its keys wait, so that listing never
// has more requests in flight than the run's concurrency, shared with its transfers. No
// state is kept per key.

// pagesAhead is how many pages (of up to 1,000 keys) a subtree's worker may hold that the
// consumer has not taken: one in the channel, one in hand waiting to be sent. Two keep a
// worker busy while the consumer drains the page before; more would only hold memory.
const pagesAhead = 2

// listWorkers is how many subtrees a listing lists ahead of its consumer at once: as many
// as parts of big objects go at once by default (two per CPU, at least 4), within the
// request limit. Each holds up to pagesAhead pages of decoded keys, and parsing a page is
// the client's work: `ls -r` of 200,000 keys in 200 directories peaked at 40 MiB with 16
// and at 27 with 4, in about the same time (MinIO on the same 2 CPUs was the limit), and a
// download of those 200,000 files peaked 13.5 MiB above one of 2,000 with 16.
func listWorkers(limit int64) int {
	return int(min(max(limit, 1), int64(DefaultPartConcurrency())))
}

// fanOutMinKeys is the number of keys per common prefix in the first page of a listing
// from which the listing fans out: each subtree listed on its own costs one request more
// than its share of a plain listing's pages, which pays when the subtrees hold hundreds of
// keys and costs many times the plain listing's requests when they hold a few. (For pages
// of fewer than 1,000 keys it scales down: a quarter of the page.)
const fanOutMinKeys = 250

// delimiter is the delimiter of the listings that fan out.
const delimiter = "/"

// listPages is ListPrefix of a PageLister under the engine's policy.
func (p Policy) listPages(ctx context.Context, st PageLister, bucket, prefix string, fn func(context.Context, object.Info) error) error {
	l := &lister{p: p, st: st, bucket: bucket, budget: make(chan struct{}, listWorkers(p.limit.max))}
	emit := func(ctx context.Context, keys []object.Info) error {
		for _, k := range keys {
			if err := fn(ctx, k); err != nil {
				return err
			}
		}
		return nil
	}
	var err error
	if p.limit.max < 2 {
		var token string
		err = l.stream(ctx, prefix, "", &token, func(ctx context.Context, pg page) error { return emit(ctx, pg.keys) })
	} else {
		err = l.list(ctx, prefix, emit)
	}
	if f, ok := errors.AsType[final](err); ok && f.error != nil {
		return f.error // fn's own error, as fn returned it
	}
	return err
}

// lister lists the subtrees of one ListPrefix call; its workers, at every level, share
// its budget.
type lister struct {
	p      Policy
	st     PageLister
	bucket string
	budget chan struct{} // a token per subtree being listed ahead of the consumer
}

// page is one page of a listing.
type page struct {
	keys     []object.Info
	prefixes []string
	next     string
}

// errSampled ends the listing of a first page that is all list wants of it.
var errSampled = errors.New("first page listed")

// list gives every key under prefix to emit, page by page, in the listing's order. emit
// is called from one goroutine at a time; its errors end the listing.
func (l *lister) list(ctx context.Context, prefix string, emit func(context.Context, []object.Info) error) error {
	var first page
	emitted := false
	err := l.stream(ctx, prefix, "", new(""), func(ctx context.Context, pg page) error {
		if pg.next == "" { // the last page, unless the listing fails after it: give it
			emitted = true
			return emitSome(ctx, emit, pg.keys)
		}
		first = pg
		return errSampled
	})
	if !errors.Is(err, errSampled) {
		return err
	}
	if !emitted && wide(prefix, first.keys) {
		return l.fanOut(ctx, prefix, emit) // the first page's keys come again, from their subtree
	}
	if err := emitSome(ctx, emit, first.keys); err != nil {
		return final{err}
	}
	token := first.next
	return l.stream(ctx, prefix, "", &token, func(ctx context.Context, pg page) error { return emitSome(ctx, emit, pg.keys) })
}

// emitSome gives keys to emit unless there are none.
func emitSome(ctx context.Context, emit func(context.Context, []object.Info) error, keys []object.Info) error {
	if len(keys) == 0 {
		return nil
	}
	return emit(ctx, keys)
}

// wide reports whether the first page of a plain listing of prefix (keys) shows its keys
// in common prefixes large enough to list each on its own: at least fanOutMinKeys (or a
// quarter of the page) under each common prefix the page reaches.
func wide(prefix string, keys []object.Info) bool {
	n, under := 0, 0
	last := ""
	for _, k := range keys {
		cp, ok := commonPrefix(prefix, k.Key)
		if !ok {
			continue
		}
		under++
		if cp != last {
			n++
			last = cp
		}
	}
	return n > 0 && under/n >= min(fanOutMinKeys, len(keys)/4)
}

// commonPrefix returns the common prefix key falls in when prefix is listed with the
// delimiter, if it does.
func commonPrefix(prefix, key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return "", false
	}
	i := strings.Index(rest, delimiter)
	if i < 0 {
		return "", false
	}
	return prefix + rest[:i+len(delimiter)], true
}

// stream lists prefix (with delim when not "") from the page of *token under the policy,
// each page's request holding a slot of the request limit, and calls fn with each page,
// moving *token on to the next page's after it. A failed page is asked for again (the
// retries start afresh once a page has been listed), and so is a last page the listing
// failed after (truncated without a token), without giving it to fn again. fn's errors
// end the listing, wrapped in final. fn runs with no slot held and the stall watch
// running: it holds the watch (Hold) while it waits.
func (l *lister) stream(ctx context.Context, prefix, delim string, token *string, fn func(context.Context, page) error) error {
	given := false // the page of *token was given to fn already
	return l.p.doResuming(ctx, func(ctx context.Context, progressed *bool) error {
		release, err := l.p.slot(ctx)
		if err != nil {
			return err
		}
		err = l.st.ListPages(ctx, l.bucket, prefix, delim, *token, func(keys []object.Info, prefixes []string, next string) error {
			release(nil)
			release = nil
			Touch(ctx)
			if !given {
				*progressed = true
				if err := fn(ctx, page{keys, prefixes, next}); err != nil {
					return final{err}
				}
			}
			if next == "" {
				given = true // the last page, unless the listing fails after it
				return nil
			}
			*token, given, *progressed = next, false, true
			release, err = l.p.slot(ctx)
			return err
		})
		if release != nil {
			release(err)
		}
		return err
	})
}

// slot waits for a slot of the engine's request limit (the stall watch held meanwhile)
// and returns the function that gives it back with the request's outcome.
func (p Policy) slot(ctx context.Context) (func(error), error) {
	resume := Hold(ctx)
	err := p.limit.acquire(ctx)
	resume()
	if err != nil {
		return nil, err
	}
	epoch := p.limit.current()
	return func(err error) { p.limit.release(epoch, err) }, nil
}
