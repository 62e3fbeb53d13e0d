// Package localfs walks local directory trees for upload and maps object keys to local paths
// for download without ever writing outside the destination directory.
package localfs

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"
)

// File is a regular file found by Walk.
type File struct {
	Path    string    // path to open, as reached from the root (may go through symlinks)
	Rel     string    // path relative to the root, with "/" separators
	Size    int64     // size when walked
	ModTime time.Time // modification time when walked
}

// Walk calls fn for every regular file under root, in lexical order, following symbolic
// links to files and to directories. A directory reached again through a link that points
// at one of its own ancestors (a loop) is reported to onErr and not entered twice; a
// directory is known by os.SameFile (device and inode on Unix; volume serial number and file
// index on Windows, where a directory whose index cannot be read is never taken for an
// ancestor, so a loop through it is not caught). Empty
// directories produce nothing. Entries that cannot be read, and special files (FIFOs,
// devices, sockets), are reported to onErr and skipped; the walk goes on. Walk stops early
// when fn returns an error (which it returns) or ctx is cancelled.
func Walk(ctx context.Context, root string, fn func(File) error, onErr func(path string, err error)) error {
	return WalkSkipping(ctx, root, nil, fn, onErr)
}

// WalkSkipping is Walk that does not enter a directory for which skip (nil: none) returns
// true, given the directory's path relative to the root with "/" separators; nothing under
// it is reported, files or errors.
func WalkSkipping(ctx context.Context, root string, skip func(rel string) bool, fn func(File) error, onErr func(path string, err error)) error {
	info, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", root)
	}
	w := walker{fn: fn, onErr: onErr, skip: skip}
	return w.dir(ctx, root, "", []os.FileInfo{info})
}

type walker struct {
	fn    func(File) error
	onErr func(path string, err error)
	skip  func(rel string) bool
}

// dir walks dir; ancestors are the directories from the root down to dir, as os.Stat saw them.
func (w *walker) dir(ctx context.Context, dir, rel string, ancestors []os.FileInfo) error {
	entries, err := os.ReadDir(dir) // sorted by name, so the walk is in lexical order
	if err != nil {
		w.onErr(dir, err)
		return nil
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, e.Name())
		r := path.Join(rel, e.Name())
		info, err := os.Stat(p) // follows symlinks
		if err != nil {
			w.onErr(p, err)
			continue
		}
		switch {
		case info.IsDir():
			if w.skip != nil && w.skip(r) {
				continue
			}
			if isAncestor(ancestors, info) {
				w.onErr(p, fmt.Errorf("symbolic link loop: %s leads back to a directory above it; skipped", p))
				continue
			}
			if err := w.dir(ctx, p, r, append(ancestors, info)); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := w.fn(File{Path: p, Rel: r, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
				return err
			}
		default:
			w.onErr(p, fmt.Errorf("%s is not a regular file (%s); skipped", p, info.Mode().Type()))
		}
	}
	return nil
}

// isAncestor reports whether dir is one of ancestors: the same directory, however reached.
func isAncestor(ancestors []os.FileInfo, dir os.FileInfo) bool {
	for _, a := range ancestors {
		if os.SameFile(a, dir) {
			return true
		}
	}
	return false
}
