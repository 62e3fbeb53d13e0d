package transfer

import (
	"context"
	"sync"

	"github.com/haul-s3/haul/object"
)

// subtree is a common prefix of a delimited listing, listed by a worker of its own ahead of
// the consumer once started.
type subtree struct {
	prefix string
	pages  chan []object.Info // closed when the worker ends; err is set before
	err    error
}

// entry is one entry of a delimited listing: a key, or a common prefix's subtree.
type entry struct {
	key *object.Info
	sub *subtree
}

// fanOut lists prefix with the delimiter and gives emit the keys directly under it and,
// at each common prefix's place, that prefix's keys, listed by workers ahead of the
// consumer as the budget allows (the common prefix the budget had no room for is listed
// by the consumer itself when it comes to it).
func (l *lister) fanOut(ctx context.Context, prefix string, emit func(context.Context, []object.Info) error) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var pending []entry // of the delimited listing, not yet given to emit
	defer func() {
		cancel()
		wg.Wait()
		for _, e := range pending {
			if e.sub != nil && e.sub.pages != nil {
				<-l.budget
			}
		}
	}()

	// The delimited listing, a page at a time into dir (one page ahead).
	dir := make(chan page, 1)
	var dirErr error
	wg.Go(func() {
		defer close(dir)
		var token string
		dirErr = l.stream(ctx, prefix, delimiter, &token, func(ctx context.Context, pg page) error {
			resume := Hold(ctx)
			defer resume()
			select {
			case dir <- pg:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})
	dirDone := false
	take := func(wait bool) error { // the next page of the delimited listing into pending
		var pg page
		var ok bool
		if wait {
			select {
			case pg, ok = <-dir:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else {
			select {
			case pg, ok = <-dir:
			default:
				return nil
			}
		}
		if !ok {
			dirDone = true
			return dirErr
		}
		pending = append(pending, merge(pg)...)
		return nil
	}

	for {
		if len(pending) == 0 {
			if dirDone {
				return nil
			}
			if err := take(true); err != nil {
				return err
			}
			continue
		}
		l.startAhead(ctx, &wg, pending)
		if !dirDone && len(pending) < 1000 && allStarted(pending) {
			if err := take(false); err != nil { // more subtrees to start, if the page is there
				return err
			}
			l.startAhead(ctx, &wg, pending)
		}
		e := pending[0]
		if e.key != nil {
			n := 1
			for n < len(pending) && pending[n].key != nil {
				n++
			}
			keys := make([]object.Info, n)
			for i := range n {
				keys[i] = *pending[i].key
			}
			pending = pending[n:]
			if err := emit(ctx, keys); err != nil {
				return err
			}
			continue
		}
		pending = pending[1:]
		if err := l.drain(ctx, e.sub, emit); err != nil {
			return err
		}
	}
}

// drain gives emit the keys of sub, from its worker when it has one, else listing them here.
func (l *lister) drain(ctx context.Context, sub *subtree, emit func(context.Context, []object.Info) error) error {
	if sub.pages == nil {
		return l.list(ctx, sub.prefix, emit)
	}
	defer func() { <-l.budget }()
	for {
		select {
		case keys, ok := <-sub.pages:
			if !ok {
				return sub.err
			}
			if err := emit(ctx, keys); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// startAhead starts a worker for each subtree of pending not started yet, in order, while
// the budget has room.
func (l *lister) startAhead(ctx context.Context, wg *sync.WaitGroup, pending []entry) {
	for _, e := range pending {
		if e.sub == nil || e.sub.pages != nil {
			continue
		}
		select {
		case l.budget <- struct{}{}:
		default:
			return
		}
		sub := e.sub
		sub.pages = make(chan []object.Info, pagesAhead-1)
		wg.Go(func() {
			defer close(sub.pages)
			sub.err = l.list(ctx, sub.prefix, func(ctx context.Context, keys []object.Info) error {
				resume := Hold(ctx)
				defer resume()
				select {
				case sub.pages <- keys:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		})
	}
}

// allStarted reports whether every subtree of pending has its worker.
func allStarted(pending []entry) bool {
	for _, e := range pending {
		if e.sub != nil && e.sub.pages == nil {
			return false
		}
	}
	return true
}

// merge returns a page of a delimited listing as its entries in the listing's order: its
// keys and common prefixes, each in order, merged in byte order.
func merge(pg page) []entry {
	out := make([]entry, 0, len(pg.keys)+len(pg.prefixes))
	i, j := 0, 0
	for i < len(pg.keys) || j < len(pg.prefixes) {
		if j == len(pg.prefixes) || i < len(pg.keys) && pg.keys[i].Key < pg.prefixes[j] {
			out = append(out, entry{key: &pg.keys[i]})
			i++
			continue
		}
		out = append(out, entry{sub: &subtree{prefix: pg.prefixes[j]}})
		j++
	}
	return out
}
