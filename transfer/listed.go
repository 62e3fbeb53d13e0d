package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
)

// This file holds the producers of a list of names another program wrote (cp -r
// --files-from): each entry is a path relative to the source's directory or a key relative
// to its prefix, and becomes one item, in the list's order. Nothing is walked or listed: a
// local entry is one os.Stat, an object one HeadObject. The list is read as items are
// wanted, so a list of ten million lines is never held; of an object source, at most
// the engine's concurrency of HEADs are in flight ahead of the scheduler, each holding a
// slot of the request limit, and their items are handed on in the list's order.
//
// An entry that names nothing at the source is a failed item named with its path or URL
// and the run goes on. An entry that would leave the root ("..", a leading "/", an empty
// segment; what localfs.SafeJoin refuses) is a failed item, as such a key in a listing is.
// A filter applies to every entry as to a walked path or a listed key.

// Names is a list of names, read one at a time (*filelist.Reader): Next returns io.EOF
// at the end, and any other error ends the run.
type Names interface {
	Next() (filelist.Entry, error)
}

// ListedFiles is the producer of the uploads of the files names lists, each a path
// relative to dir, to dst.Key + the name. A name that is not a regular file (missing, a
// directory, unreadable) is a failed item.
func ListedFiles(names Names, dir string, dst object.Ref, f Filter) Producer {
	return func(ctx context.Context, yield func(Item) bool) error {
		return eachListed(ctx, names, f, func(e filelist.Entry) bool {
			ref := object.Ref{Bucket: dst.Bucket, Key: dst.Key + e.Name}
			p, err := localfs.SafeJoin(dir, e.Name)
			if err != nil {
				return yield(Item{Op: Upload, Path: e.Name, Object: ref, Size: -1, Err: &filelist.EntryError{Line: e.Line, Name: e.Name, Err: fmt.Errorf("refused: %w", err)}})
			}
			it := Item{Op: Upload, Path: p, Object: ref, Size: -1}
			switch fi, err := os.Stat(p); {
			case err != nil:
				if pe, ok := errors.AsType[*fs.PathError](err); ok {
					err = pe.Err // the path is the SourceError's
				}
				it.Err = &SourceError{Path: p, Err: err}
			case !fi.Mode().IsRegular():
				it.Err = &SourceError{Path: p, Err: fmt.Errorf("not a regular file (%s): a list names files, not directories", describeMode(fi))}
			default:
				it.Size = fi.Size()
			}
			return yield(it)
		}, func(e filelist.Entry) bool {
			return yield(Item{Op: Upload, Path: dir, Object: dst, Size: -1, Err: &filelist.EntryError{Line: e.Line, Err: e.Err}})
		})
	}
}

// ListedObjects is the producer of the downloads of the objects names lists, each a key
// relative to src.Key (which should be empty or end in "/"), to dir joined with the name.
// Each object is asked for first (HeadObject), so that a missing one is a failed item
// before anything is fetched and a plan knows the sizes; the download is pinned to the
// ETag it gave.
func (e *Engine) ListedObjects(names Names, src object.Ref, dir string, f Filter) Producer {
	return e.listedObjects(names, e.store, f, func(en filelist.Entry) Item {
		ref := object.Ref{Bucket: src.Bucket, Key: src.Key + en.Name}
		p, err := localfs.SafeJoin(dir, en.Name)
		if err != nil {
			return Item{Op: Download, Path: en.Name, Object: ref, Size: -1, Err: &filelist.EntryError{Line: en.Line, Name: en.Name, Err: fmt.Errorf("refused: %w", err)}}
		}
		return Item{Op: Download, Path: p, Object: ref, Size: -1}
	}, func(en filelist.Entry) Item {
		return Item{Op: Download, Path: dir, Object: src, Size: -1, Err: &filelist.EntryError{Line: en.Line, Err: en.Err}}
	})
}

// ListedCopies is the producer of the copies of the objects names lists, each a key
// relative to src.Key, to dst.Key + the name; the source's store is Options.Source, else
// the engine's. Each source object is asked for first (HeadObject), as by ListedObjects.
func (e *Engine) ListedCopies(names Names, src, dst object.Ref, f Filter) Producer {
	return e.listedObjects(names, e.source(), f, func(en filelist.Entry) Item {
		it := Item{Op: Copy, Source: object.Ref{Bucket: src.Bucket, Key: src.Key + en.Name}, Object: object.Ref{Bucket: dst.Bucket, Key: dst.Key + en.Name}, Size: -1}
		if _, err := localfs.SafeJoin(".", en.Name); err != nil { // the rule of the local sides
			it.Err = &filelist.EntryError{Line: en.Line, Name: en.Name, Err: fmt.Errorf("refused: %w", err)}
		}
		return it
	}, func(en filelist.Entry) Item {
		return Item{Op: Copy, Source: src, Object: dst, Size: -1, Err: &filelist.EntryError{Line: en.Line, Err: en.Err}}
	})
}

// eachListed calls named with each entry of names that f (nil: all) matches and bad with
// each that could not be read (too long), until one returns false or the list ends.
func eachListed(ctx context.Context, names Names, f Filter, named, bad func(filelist.Entry) bool) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		en, err := names.Next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("reading the list: %w", err)
		case en.Err != nil:
			if !bad(en) {
				return nil
			}
		case f != nil && !f.Match(en.Name):
		case !named(en):
			return nil
		}
	}
}

// pending is an item whose object is being asked for; done is closed once it is known.
type pending struct {
	it   Item
	done chan struct{}
}

// listedObjects is the producer of the items item makes of each entry of names (bad of
// each that could not be read), after a HeadObject of the item's object (a copy's Source)
// on st. The HEADs run up to the engine's concurrency ahead of yield, each holding a
// request slot while in flight; the items are yielded in the list's order.
func (e *Engine) listedObjects(names Names, st Store, f Filter, item, bad func(filelist.Entry) Item) Producer {
	return func(ctx context.Context, yield func(Item) bool) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		queue := make(chan *pending, e.opts.Concurrency)
		var readErr error
		go func() {
			defer close(queue)
			push := func(p *pending) bool {
				select {
				case queue <- p:
					return true
				case <-ctx.Done():
					return false
				}
			}
			readErr = eachListed(ctx, names, f, func(en filelist.Entry) bool {
				p := &pending{it: item(en), done: make(chan struct{})}
				if p.it.Err != nil {
					close(p.done)
					return push(p)
				}
				if !push(p) { // waits while the window is full: at most cap(queue) HEADs ahead
					return false
				}
				go func() {
					defer close(p.done)
					e.headListed(ctx, st, &p.it)
				}()
				return true
			}, func(en filelist.Entry) bool {
				p := &pending{it: bad(en), done: make(chan struct{})}
				close(p.done)
				return push(p)
			})
		}()
		stopped := false
		for p := range queue {
			<-p.done
			if !stopped && !yield(p.it) {
				stopped = true
				cancel()
			}
		}
		if stopped {
			return nil
		}
		return readErr
	}
}

// headListed asks st for the object of it (a copy's Source), under the engine's policy and
// a request slot, and fills in its size, ETag and time (and a copy's source properties,
// so that the copy does not ask again), or its error.
func (e *Engine) headListed(ctx context.Context, st Store, it *Item) {
	ref := it.Object
	if it.Op == Copy {
		ref = it.Source
	}
	p := e.Policy()
	var (
		info object.Info
		o    object.Options
	)
	err := p.Do(ctx, func(ctx context.Context) error {
		release, err := p.slot(ctx)
		if err != nil {
			return err
		}
		if it.Op == Copy {
			info, o, err = describeObject(ctx, st, ref)
		} else {
			info, err = st.HeadObject(ctx, ref)
		}
		release(err)
		return err
	}, nil)
	if err != nil {
		it.Err = fmt.Errorf("listed, but cannot be read at the source: %w", err)
		return
	}
	it.Size, it.ETag, it.LastModified = info.Size, info.ETag, info.LastModified
	it.head = &info
	if it.Op == Copy {
		it.props = &o
	}
}
