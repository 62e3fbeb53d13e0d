package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/haul-s3/haul/object"
)

// ObjectDeleter is the store capability a move needs to remove the object it read (a
// download's, or a copy's on its source store). Deleting a key that does not exist is not
// an error.
type ObjectDeleter interface {
	DeleteObject(ctx context.Context, ref object.Ref) error
}

// Moving is the producer of the items of p as moves (Item.Move): each item's source is
// removed once the item is done and verified.
func Moving(p Producer) Producer {
	return func(ctx context.Context, yield func(Item) bool) error {
		return p(ctx, func(it Item) bool {
			it.Move = true
			return yield(it)
		})
	}
}

// MoveError is a move whose destination was written but whose source was kept: it could
// not be verified, or removing it failed. Kept says which object or file is still there.
type MoveError struct {
	Kept string
	Err  error
}

func (e *MoveError) Error() string {
	return fmt.Sprintf("the destination was written but the source %s was kept: %v", e.Kept, e.Err)
}

// Unwrap returns the cause.
func (e *MoveError) Unwrap() error { return e.Err }

// errNotVerified is the cause of a MoveError whose destination could not be verified.
var errNotVerified = errors.New("the copy could not be verified")

// removeSource removes the source of a moved item that was done: the local file of an
// upload, the object of a download or a copy. A download or copy that could not be
// verified keeps its source (unless verification is turned off), as does a stream.
func (t *task) removeSource(ctx context.Context) error {
	it := t.it
	if t.unverified != "" && !t.e.opts.SkipVerify {
		return &MoveError{Kept: it.Src(), Err: fmt.Errorf("%w: %s", errNotVerified, t.unverified)}
	}
	switch {
	case it.Op == Upload && it.stream == nil:
		if err := os.Remove(it.Path); err != nil {
			return &MoveError{Kept: it.Path, Err: err}
		}
		return nil
	case it.Op == Download && it.sink == nil:
		return t.deleteObject(ctx, t.e.store, it.Object)
	case it.Op == Copy:
		if it.Source == it.Object && t.e.opts.Source == nil {
			return nil // moved onto itself: the object is the destination
		}
		if t.e.opts.Source == nil {
			if err := t.checkCopied(ctx); err != nil {
				return &MoveError{Kept: it.Src(), Err: err}
			}
		}
		return t.deleteObject(ctx, t.e.source(), it.Source)
	}
	return nil
}

func (t *task) deleteObject(ctx context.Context, st Store, ref object.Ref) error {
	d, ok := st.(ObjectDeleter)
	if !ok {
		return &MoveError{Kept: ref.String(), Err: errors.New("this store cannot delete objects")}
	}
	err := t.call(ctx, false, func(ctx context.Context) error { return d.DeleteObject(ctx, ref) })
	if err != nil {
		return &MoveError{Kept: ref.String(), Err: err}
	}
	return nil
}

// checkCopied checks, before a server-side copy's source is removed, that the destination
// holds the object the copy made: its size, and the ETag the copy returned. The server
// copied the bytes itself, pinned to the source's ETag, so this is all the client can see.
func (t *task) checkCopied(ctx context.Context) error {
	info, err := t.head(ctx, t.it.Object)
	if err != nil {
		return err
	}
	if info.Size != t.it.Size || (t.etag != "" && !sameETag(info.ETag, t.etag)) {
		return fmt.Errorf("%w: %s holds %d bytes with ETag %s, the copy made %d bytes with ETag %s",
			errNotVerified, t.it.Object, info.Size, info.ETag, t.it.Size, t.etag)
	}
	return nil
}
