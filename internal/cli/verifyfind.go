package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/receipt"
	"github.com/haul-s3/haul/transfer"
)

// find looks at what line l records: its local file (a stat) or its object (a HEAD, with
// retries), and with --deep reads the bytes back.
func (v *verifier) find(ctx context.Context, l receipt.Line) (receipt.Found, error) {
	if l.Local() {
		return v.findFile(ctx, l)
	}
	ref := object.Ref{Bucket: l.Bucket, Key: l.Key}
	var info object.Info
	err := v.e.Retry(ctx, func(ctx context.Context) error {
		var err error
		info, err = v.head(ctx, ref)
		return err
	})
	var nf interface{ NotFound() bool }
	switch {
	case errors.As(err, &nf) && nf.NotFound():
		return receipt.Found{}, nil
	case err != nil:
		return receipt.Found{}, err
	}
	f := receipt.Found{Exists: true, Size: info.Size, ETag: info.ETag}
	if sum, ok := transfer.StoredChecksum(info.Metadata); ok {
		f.Checksums = append(f.Checksums, sum)
	}
	if info.Checksum.Algorithm != "" {
		f.Checksums = append(f.Checksums, info.Checksum)
	}
	if v.deep && l.Op != receipt.Delete && l.Compare(f) == nil {
		return v.readObject(ctx, l, ref, f)
	}
	return f, nil
}

// readObject downloads the object as cp downloads one to standard output, checked
// against the object's own checksum, and sums it with the line's algorithm. A download
// that its own check fails is a changed object, as is one gone since the HEAD.
func (v *verifier) readObject(ctx context.Context, l receipt.Line, ref object.Ref, f receipt.Found) (receipt.Found, error) {
	c, ok := l.Content()
	w, h := io.Discard, c.New()
	if ok {
		w = h
	}
	var verified string
	_, err := v.e.DownloadStream(ctx, ref, w, transfer.WithObserver(transfer.ObserverFunc(func(ev transfer.Event) {
		if ev.Kind == transfer.Done {
			verified = ev.Verified
		}
	})))
	var ve *transfer.VerifyError
	var nf interface{ NotFound() bool }
	switch {
	case errors.As(err, &ve):
		f.Corrupt = fmt.Sprintf("content: the %s of the bytes read is %s, the object's is %s", ve.Algorithm, ve.Got, ve.Want)
		return f, nil
	case errors.As(err, &nf) && nf.NotFound():
		return receipt.Found{}, nil
	case err != nil:
		return f, err
	}
	if ok {
		f.Read = etagUnproven(c, c.Sum(h), verified == "md5")
	}
	return f, nil
}

// etagUnproven returns read, the sum of the bytes read, or "" (not read-checked) when the
// content is the line's ETag taken for an MD5, read differs from it, and the ETag is not
// known to be the MD5 (md5: the download checked it so): under SSE-KMS or SSE-C an ETag
// of 32 hex digits is no MD5, and a mismatch says nothing of the bytes.
func etagUnproven(c receipt.Content, read string, md5 bool) string {
	if c.ETag() && read != c.Want && !md5 {
		return ""
	}
	return read
}

// findFile stats the local file of l and with --deep sums its bytes with the line's
// algorithm.
func (v *verifier) findFile(ctx context.Context, l receipt.Line) (receipt.Found, error) {
	fi, err := os.Stat(l.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return receipt.Found{}, nil
	case err != nil:
		return receipt.Found{}, err
	case !fi.Mode().IsRegular():
		return receipt.Found{}, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	f := receipt.Found{Exists: true, Size: fi.Size(), Mtime: fi.ModTime()}
	c, ok := l.Content()
	if !v.deep || !ok || l.Op == receipt.Delete || l.Compare(f) != nil {
		return f, nil
	}
	file, err := localfs.Open(l.Path)
	if err != nil {
		return f, err
	}
	defer file.Close()
	h := c.New()
	if _, err := io.Copy(h, contextReader{ctx, file}); err != nil {
		return f, fmt.Errorf("reading %s: %w", l.Path, err)
	}
	f.Read = etagUnproven(c, c.Sum(h), l.Verified == "md5")
	return f, nil
}

// contextReader stops reading once ctx is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// against prints what under dir (a local directory) or ref (an S3 prefix, when its bucket
// is set) no line accounts for: a file or key that is not among sources. Both sides are
// sorted (filelist.Collect) and merged, in bounded memory; the differences come in byte
// order.
func (v *verifier) against(ctx context.Context, dir string, ref object.Ref, sources *filelist.Sorted) error {
	found, err := filelist.Collect(func(add func(string) error) error {
		if ref.Bucket != "" {
			return v.e.ListPrefix(ctx, ref.Bucket, ref.Key, func(_ context.Context, o object.Info) error {
				if strings.HasSuffix(o.Key, "/") && o.Size == 0 {
					return nil // a directory marker: cp -r passes over them
				}
				return add(object.Ref{Bucket: ref.Bucket, Key: o.Key}.String())
			})
		}
		root, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		return localfs.Walk(ctx, root, func(f localfs.File) error { return add(f.Path) }, func(path string, err error) {
			if !errors.As(err, new(*localfs.SkipError)) { // cp -r skips the rest too: nothing to cover
				v.difference(receipt.Difference{Kind: receipt.NotCovered, Detail: err.Error()}, path, "")
			}
		})
	})
	if err != nil {
		return err
	}
	defer found.Close()
	var serr error
	next, stop := iter.Pull(func(yield func(string) bool) { serr = sources.Each(yield) })
	defer stop()
	src, ok := next()
	err = found.Each(func(name string) bool {
		for ok && src < name {
			src, ok = next()
		}
		if !ok || src != name {
			v.difference(receipt.Difference{Kind: receipt.NotCovered}, name, "")
		}
		return ctx.Err() == nil
	})
	stop()
	return errors.Join(err, serr, ctx.Err())
}
