package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
)

// A Producer makes the items of a run, in order, and hands each to yield. It returns nil
// when it has no more, at once when yield returns false (the run wants no more items: it
// was cancelled or stopped; what it returns then is not looked at), or an error when it
// cannot go on (a listing that failed), which ends the run after the items already given.
// A producer never holds its items in a list: a tree of ten million files streams through.
// An item it found but cannot run is handed over with Item.Err set.
type Producer func(ctx context.Context, yield func(Item) bool) error

// Filter decides which paths a tree producer yields. Match is called with each file's path
// relative to the tree's root, or each key relative to the prefix, with "/" separators. A
// filter that also has a method Prune(dir string) bool will let a walk skip a whole local
// directory ("a/b") when nothing under it can match (filter.Filter has it).
type Filter interface {
	Match(rel string) bool
}

// CallOption sets an option of one call into the Engine, for that call only: calls that
// share an Engine share its request limit and memory budget, not these.
type CallOption func(*callOptions)

type callOptions struct {
	object   *object.Options
	observer Observer
	filter   Filter
}

// WithObject gives the call's uploads these object options instead of Options.Object
// (items that carry their own Options keep them).
func WithObject(o object.Options) CallOption {
	return func(c *callOptions) { c.object = &o }
}

// WithObserver sends the call's events to o instead of Options.Observer.
func WithObserver(o Observer) CallOption {
	return func(c *callOptions) { c.observer = o }
}

// WithFilter makes UploadDir and DownloadPrefix yield only the paths f matches.
func WithFilter(f Filter) CallOption {
	return func(c *callOptions) { c.filter = f }
}

func collect(opts []CallOption) *callOptions {
	c := &callOptions{}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Run carries out every item that produce makes: one scheduler for every producer, under
// the Engine's one limit on requests in flight and its memory budget, which it shares with
// every other call running at the same time. Items are started in the order they are made,
// as many at once as Options.Concurrency allows; the producer waits while they are all
// busy. See the package documentation for what Run returns; the Summary counts every item
// produced.
func (e *Engine) Run(ctx context.Context, produce Producer, opts ...CallOption) (Summary, error) {
	r, ctx := e.newRun(ctx, collect(opts))
	// Items go to workers that live as long as the run, started as they are needed, up to
	// the concurrency: a goroutine per item would grow a fresh stack for every file (the
	// SDK's calls need a deep one), which cost a fifth of haul's CPU on 200,000 small files.
	var wg sync.WaitGroup
	work := make(chan Item)
	workers := 0
	err := produce(ctx, func(it Item) bool {
		if ctx.Err() != nil {
			r.failed(ctx, it, ctx.Err()) // not done: the run ended before it could start
			return false
		}
		if it.Err != nil {
			r.failed(ctx, it, it.Err)
			return true
		}
		if it.Skip != nil {
			r.ignored(it)
			return true
		}
		r.emit(Event{Kind: Queued, Item: it})
		select {
		case work <- it: // an idle worker took it
		default:
			if workers < e.opts.Concurrency {
				workers++
				wg.Go(func() {
					for it := range work {
						r.runItem(ctx, it) // it records every outcome itself
					}
				})
			}
			work <- it // waits while every worker is busy
		}
		return ctx.Err() == nil
	})
	close(work)
	wg.Wait()
	return r.finish(err)
}

// UploadFile uploads the regular file at path to dst.
func (e *Engine) UploadFile(ctx context.Context, path string, dst object.Ref, opts ...CallOption) (Summary, error) {
	return e.Run(ctx, FileItem(path, dst), opts...)
}

// UploadDir uploads every regular file under dir to dst.Bucket, at the key dst.Key + the
// file's path relative to dir with "/" separators (dst.Key should be empty or end in "/").
// Symbolic links are followed; loops and special files (named pipes, sockets, devices) are
// passed over and reported in Ignored events; empty directories produce nothing. A failed
// file (a broken link among them) does not stop the others.
func (e *Engine) UploadDir(ctx context.Context, dir string, dst object.Ref, opts ...CallOption) (Summary, error) {
	return e.Run(ctx, TreeItems(dir, dst, collect(opts).filter), opts...)
}

// DownloadFile downloads the object src to the file path. The bytes go to a temporary file
// beside path that is renamed onto path only when every byte has arrived; on failure or
// cancel it is removed and path is left as it was.
func (e *Engine) DownloadFile(ctx context.Context, src object.Ref, path string, opts ...CallOption) (Summary, error) {
	return e.Run(ctx, e.ObjectItem(src, path), opts...)
}

// DownloadPrefix downloads every object whose key starts with src.Key (which should be
// empty or end in "/") into dir, at dir joined with the rest of the key. Keys ending in "/"
// (directory markers) are skipped. A key that would land outside dir, or could be read as
// another path, is refused and reported as a failure; the other keys go on.
func (e *Engine) DownloadPrefix(ctx context.Context, src object.Ref, dir string, opts ...CallOption) (Summary, error) {
	return e.Run(ctx, e.PrefixItems(src, dir, collect(opts).filter), opts...)
}

// UploadStream uploads everything read from src, of unknown length, to dst. A stream that
// ends within the first part is sent in one PutObject; a longer one as a multipart upload
// whose part size grows as it goes (see streamPartSize). Buffers come from the Engine's
// memory budget, so memory stays bounded however long the stream is. src is read by one
// goroutine, sequentially, and not closed. A cancel takes effect once src's Read returns:
// close src to end a Read that waits (NewWriter does that for its pipe).
func (e *Engine) UploadStream(ctx context.Context, src io.Reader, dst object.Ref, opts ...CallOption) (Summary, error) {
	return e.Run(ctx, ReaderItem(src, dst), opts...)
}

// DownloadStream writes the object src to w in order. A failed read is resumed from the
// last byte written, pinned to the object's ETag, so w never receives a byte twice or a
// byte of another version. w is not closed. The bytes cannot be taken back once written, so
// a mismatch with the checksum in the object's metadata fails the item after the fact.
func (e *Engine) DownloadStream(ctx context.Context, src object.Ref, w io.Writer, opts ...CallOption) (Summary, error) {
	return e.Run(ctx, WriterItem(src, w), opts...)
}

// ReaderItem is the producer of the upload of everything read from src (see UploadStream).
func ReaderItem(src io.Reader, dst object.Ref) Producer {
	return one(Item{Op: Upload, Path: "-", Object: dst, Size: -1, stream: src})
}

// WriterItem is the producer of the download of src to w (see DownloadStream).
func WriterItem(src object.Ref, w io.Writer) Producer {
	return one(Item{Op: Download, Path: "-", Object: src, Size: -1, sink: w})
}

func one(it Item) Producer {
	return func(_ context.Context, yield func(Item) bool) error {
		yield(it)
		return nil
	}
}

// FileItem is the producer of one upload: the regular file at path to dst. A path that
// cannot be read, or is not a regular file, ends the run with a *SourceError.
func FileItem(path string, dst object.Ref) Producer {
	return func(_ context.Context, yield func(Item) bool) error {
		fi, err := os.Stat(path)
		if err != nil {
			return &SourceError{Path: path, Err: err}
		}
		if !fi.Mode().IsRegular() {
			return &SourceError{Path: path, Err: fmt.Errorf("not a regular file (%s)", describeMode(fi))}
		}
		yield(Item{Op: Upload, Path: path, Object: dst, Size: fi.Size()})
		return nil
	}
}

// errStopWalk ends a walk whose run wants no more items.
var errStopWalk = errors.New("walk stopped")

// TreeItems is the producer of the uploads of every regular file under dir that f (nil:
// every file) matches, to dst.Key + its path relative to dir, in the walk's order:
// TreeItemsWith with TreeOptions{Filter: f}.
func TreeItems(dir string, dst object.Ref, f Filter) Producer {
	return TreeItemsWith(dir, dst, TreeOptions{Filter: f})
}

// TreeOptions say which entries of a local tree TreeItemsWith takes.
type TreeOptions struct {
	// Filter (nil: every file) keeps the files it matches, by their paths relative to the
	// tree's root. One with a Prune(dir string) bool method (filter.Filter) lets the walk
	// skip a directory under which nothing can match without reading it.
	Filter Filter
	// NoFollowSymlinks passes over every symbolic link under the root instead of
	// following it (localfs.WalkOptions.NoFollowSymlinks).
	NoFollowSymlinks bool
}

// TreeItemsWith is the producer of the uploads of every regular file under dir that
// o.Filter matches, to dst.Key + its path relative to dir, in the walk's order. A file or
// directory that cannot be read (a broken symbolic link among them) is an item with its
// Err set; an entry the walk passes over on purpose (a link not followed, a loop, a named
// pipe, socket or device) is an item with its Skip set (a *localfs.SkipError), which the
// run reports and does not fail. The filter applies to both: a path it excludes makes no
// item at all.
func TreeItemsWith(dir string, dst object.Ref, o TreeOptions) Producer {
	f := o.Filter
	var prune func(string) bool
	if p, ok := f.(interface{ Prune(dir string) bool }); ok {
		prune = p.Prune
	}
	excluded := func(p string) bool {
		rel, err := filepath.Rel(dir, p)
		return f != nil && err == nil && !f.Match(filepath.ToSlash(rel))
	}
	return func(ctx context.Context, yield func(Item) bool) error {
		walk := localfs.WalkOptions{Prune: prune, NoFollowSymlinks: o.NoFollowSymlinks}
		stopped := false
		err := localfs.WalkWith(ctx, dir, walk, func(lf localfs.File) error {
			if f != nil && !f.Match(lf.Rel) {
				return nil
			}
			it := Item{Op: Upload, Path: lf.Path, Object: object.Ref{Bucket: dst.Bucket, Key: dst.Key + lf.Rel}, Size: lf.Size}
			if !yield(it) {
				return errStopWalk
			}
			return nil
		}, func(p string, err error) {
			if stopped || excluded(p) { // a path the filter excludes fails nothing
				return
			}
			it := Item{Op: Upload, Path: p, Object: dst, Size: -1}
			if errors.As(err, new(*localfs.SkipError)) {
				it.Skip = err
			} else {
				it.Err = &SourceError{Path: p, Err: err}
			}
			stopped = !yield(it)
		})
		if errors.Is(err, errStopWalk) {
			return nil
		}
		return err
	}
}

// ObjectItem is the producer of one download: the object src to the file path. It asks the
// server for the object's size and version first (HeadObject, retried), which is no body.
func (e *Engine) ObjectItem(src object.Ref, path string) Producer {
	return func(ctx context.Context, yield func(Item) bool) error {
		var info object.Info
		err := e.Retry(ctx, func(ctx context.Context) error {
			var err error
			info, err = e.store.HeadObject(ctx, src)
			return err
		})
		if err != nil {
			return err
		}
		yield(Item{Op: Download, Path: path, Object: src, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified, head: &info})
		return nil
	}
}

// PrefixItems is the producer of the downloads of every object under src.Key (which should
// be empty or end in "/") that f (nil: every key) matches, each to dir joined with the rest
// of its key, in the listing's order. Directory markers (keys ending in "/") are passed
// over; a key that would land outside dir is an item with its Err set.
func (e *Engine) PrefixItems(src object.Ref, dir string, f Filter) Producer {
	return func(ctx context.Context, yield func(Item) bool) error {
		return e.prefixItems(ctx, e.store, src, f, yield, func(rel string, info object.Info) (Item, bool) {
			if strings.HasSuffix(info.Key, "/") {
				return Item{}, false
			}
			ref := object.Ref{Bucket: src.Bucket, Key: info.Key}
			it := Item{Op: Download, Object: ref, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified}
			path, err := localfs.SafeJoin(dir, rel)
			if err != nil {
				it.Err = fmt.Errorf("refused: %w", err)
			}
			it.Path = path
			return it, true
		})
	}
}

// prefixItems lists src.Key on st and yields, in the listing's order, the item that item
// makes of each key whose rest (rel) f (nil: every key) matches; item's false passes a key
// over. The listing's stall watch is held while yield waits for a busy scheduler.
func (e *Engine) prefixItems(ctx context.Context, st Store, src object.Ref, f Filter, yield func(Item) bool,
	item func(rel string, info object.Info) (Item, bool)) error {
	err := e.Policy().ListPrefix(ctx, st, src.Bucket, src.Key, func(ctx context.Context, info object.Info) error {
		rel := strings.TrimPrefix(info.Key, src.Key)
		if f != nil && !f.Match(rel) {
			return nil
		}
		it, ok := item(rel, info)
		if !ok {
			return nil
		}
		resume := Hold(ctx) // a busy scheduler is not a stalled listing
		ok = yield(it)
		resume()
		if !ok {
			return final{errStopWalk}
		}
		return nil
	})
	if errors.Is(err, errStopWalk) {
		return nil
	}
	return err
}

// final wraps an error that must not be retried.
type final struct{ error }

func (f final) Unwrap() error { return f.error }
func (final) Retryable() bool { return false }

// makeDir makes a download's directory, once per directory per run.
func (t *task) makeDir(dir string) error {
	if _, ok := t.dirs.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	t.dirs.Store(dir, true)
	return nil
}

// do carries out the task's item and returns its size.
func (t *task) do(ctx context.Context) (int64, error) {
	it := t.it
	switch {
	case it.Op == Upload && it.stream != nil:
		return t.uploadStream(ctx, it.stream, it.Object)
	case it.Op == Upload && it.Share != nil:
		return t.uploadShare(ctx, it.Path, it.Object, *it.Share)
	case it.Op == Upload:
		return t.uploadFile(ctx, it.Path, it.Object)
	case it.Op == Copy && it.Share != nil:
		return t.copyShare(ctx, *it.Share)
	case it.Op == Copy:
		return t.copyObject(ctx)
	case it.Op == Download && it.Share != nil:
		return t.downloadShare(ctx, *it.Share)
	case it.Op == Download && it.sink != nil:
		return t.downloadStream(ctx, it.Object, it.sink)
	case it.Op == Download:
		info := object.Info{Key: it.Object.Key, Size: it.Size, ETag: it.ETag, LastModified: it.LastModified}
		if it.head != nil {
			info = *it.head
		}
		if err := t.makeDir(filepath.Dir(it.Path)); err != nil {
			return info.Size, err
		}
		if err := t.download(ctx, it.Object, info, it.Path); err != nil {
			return info.Size, err
		}
		return info.Size, nil
	}
	return 0, fmt.Errorf("item %s -> %s: unknown operation %q", it.Src(), it.Dst(), it.Op)
}
