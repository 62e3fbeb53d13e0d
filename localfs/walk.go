// Package localfs walks local directory trees for upload and maps object keys to local paths
// for download without ever writing outside the destination directory.
package localfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"
)

// File is a regular file found by Walk.
type File struct {
	Path    string    // path to open, as reached from the root (may go through symlinks)
	Rel     string    // path relative to the root, with "/" separators
	Size    int64     // size when walked
	ModTime time.Time // modification time when walked
	// Change is the inode-change time (ctime, Unix ns) and Inode the inode number when
	// walked: with Size and ModTime, the file's fingerprint. A file rewritten with its old
	// size and mtime put back still gets a new ctime. Both are 0 on Windows.
	Change int64
	Inode  uint64
}

// Stat returns the File for the regular file at path (following links), with rel as its
// relative path.
func Stat(path, rel string) (File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return File{}, err
	}
	if !info.Mode().IsRegular() {
		return File{}, fmt.Errorf("%s is not a regular file (%s)", path, info.Mode().Type())
	}
	return fileOf(path, rel, info), nil
}

func fileOf(path, rel string, info os.FileInfo) File {
	change, inode := identity(info)
	return File{Path: path, Rel: rel, Size: info.Size(), ModTime: info.ModTime(), Change: change, Inode: inode}
}

// Walk calls fn for every regular file under root, in the byte order of the paths relative
// to root (the order S3 lists their keys in), following symbolic links to files and to
// directories: WalkWith with the zero WalkOptions.
func Walk(ctx context.Context, root string, fn func(File) error, onErr func(path string, err error)) error {
	return WalkWith(ctx, root, WalkOptions{}, fn, onErr)
}

// WalkSkipping is Walk that does not enter a directory for which skip (nil: none) returns
// true: WalkWith with WalkOptions{Prune: skip}.
func WalkSkipping(ctx context.Context, root string, skip func(rel string) bool, fn func(File) error, onErr func(path string, err error)) error {
	return WalkWith(ctx, root, WalkOptions{Prune: skip}, fn, onErr)
}

// WalkOptions say how WalkWith treats what it finds. The zero value follows every link and
// enters every directory.
type WalkOptions struct {
	// Prune (nil: none) is asked of each directory, given its path relative to the root
	// with "/" separators; one it returns true for is not entered, and nothing under it is
	// reported, files or errors.
	Prune func(rel string) bool
	// NoFollowSymlinks passes over every symbolic link under the root, to a file, to a
	// directory or to nothing (a broken one), without looking at what it points to: each is
	// reported to onErr as a *SkipError of kind SkipLink. The root itself is followed when
	// it is a link: it was named, not found.
	NoFollowSymlinks bool
}

// WalkWith calls fn for every regular file under root, in the byte order of the paths
// relative to root (the order S3 lists their keys in). Symbolic links to files and to
// directories are followed, under the link's name, unless o.NoFollowSymlinks. Empty
// directories produce nothing. The walk goes on past everything it cannot or will not
// take, and reports each to onErr (which is called from the walking goroutine, one call at
// a time):
//
//   - what it passes over on purpose, which is not a failure, as a *SkipError (tell it with
//     errors.As): a link not followed (SkipLink); a special file, such as a named pipe
//     (FIFO), a socket or a device, found directly or through a link, which is never
//     opened (SkipSpecial); a directory reached again through a link that leads to one of
//     its own ancestors, a loop, which is not entered twice (SkipLoop);
//   - what cannot be read, as any other error: an entry that cannot be stat'ed, a broken
//     symbolic link (its error says so and wraps the cause: fs.ErrNotExist for a missing
//     target), a directory that cannot be listed.
//
// A directory is known by os.SameFile (device and inode on Unix; volume serial number and
// file index on Windows, where a directory whose index cannot be read is never taken for an
// ancestor, so a loop through it is not caught). WalkWith stops early when fn returns an
// error (which it returns) or ctx is cancelled; a root that is missing or not a directory
// is its error, and nothing is reported.
func WalkWith(ctx context.Context, root string, o WalkOptions, fn func(File) error, onErr func(path string, err error)) error {
	info, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", root)
	}
	w := walker{fn: fn, onErr: onErr, o: o}
	return w.dir(ctx, root, "", []ancestor{{root, info}})
}

type walker struct {
	fn    func(File) error
	onErr func(path string, err error)
	o     WalkOptions
}

// ancestor is a directory being walked: its path and what os.Stat said of it.
type ancestor struct {
	path string
	info os.FileInfo
}

// dir walks dir; ancestors are the directories from the root down to dir.
// The entries are walked in the byte order of the keys they become (S3's listing order):
// a directory's name sorts as if it ended in "/", so "a-b" comes before "a/x" (as in S3:
// '-' < '/'), which a plain sort by name would put after. This holds the names of the
// directories being walked (see names), never the tree's, and no os.FileInfo but those
// of the ancestors: each entry is stat'ed when it is reached.
func (w *walker) dir(ctx context.Context, dir, rel string, ancestors []ancestor) error {
	var ns names
	if err := ns.read(dir, !w.o.NoFollowSymlinks); err != nil {
		w.onErr(dir, err)
		return nil
	}
	ns.sort()
	for i := range ns.len() {
		if err := ctx.Err(); err != nil {
			return err
		}
		name, wasDir := ns.entry(i)
		p := filepath.Join(dir, name)
		r := path.Join(rel, name)
		info, err := w.stat(p)
		if err != nil {
			w.onErr(p, err)
			continue
		}
		if info.IsDir() != wasDir {
			// It was replaced while the walk was here: walking it now would break the order.
			w.onErr(p, fmt.Errorf("%s changed between a file and a directory during the walk; skipped", p))
			continue
		}
		switch {
		case info.IsDir():
			if w.o.Prune != nil && w.o.Prune(r) {
				continue
			}
			if a, ok := ancestorOf(ancestors, info); ok {
				w.onErr(p, &SkipError{Path: p, Kind: SkipLoop, Target: a})
				continue
			}
			if err := w.dir(ctx, p, r, append(ancestors, ancestor{p, info})); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := w.fn(fileOf(p, r, info)); err != nil {
				return err
			}
		default:
			w.onErr(p, &SkipError{Path: p, Kind: SkipSpecial, Mode: info.Mode().Type()})
		}
	}
	return nil
}

// stat returns what the entry at p is: what it leads to, following links, or, with
// NoFollowSymlinks, the entry itself, and a *SkipError for a link. Neither opens p.
func (w *walker) stat(p string) (os.FileInfo, error) {
	if w.o.NoFollowSymlinks {
		info, err := os.Lstat(p)
		if err == nil && info.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			return nil, &SkipError{Path: p, Kind: SkipLink, Target: target}
		}
		return info, err
	}
	info, err := os.Stat(p) // follows symlinks
	if err != nil {
		if li, lerr := os.Lstat(p); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is the link's: the caller names it
			}
			return nil, fmt.Errorf("broken symbolic link (to %s): %w", target, err)
		}
	}
	return info, err
}

// names holds one directory's entries, compactly: each entry's key (its name, with "/"
// after a directory's, following links) in one byte slice, each ended by a 0 byte (which no
// name holds, and which sorts before every byte), and where each key starts. That is all
// the order needs: 5 bytes an entry and its name, with no pointer for the garbage
// collector to follow (an os.FileInfo an entry, as os.ReadDir and a Stat of each hold, is
// some 300 bytes). The directory is read twice, once to count, so that nothing is
// allocated twice as it grows: a flat directory of 200,000 files of 7-letter names holds
// 2.4 MB.
type names struct {
	keys []byte
	offs []uint32
}

// batch is how many entries names.read takes from the directory at a time.
const batch = 1024

// read reads every entry of dir. An entry's type comes with it (no stat), except, when
// follow is set, for a symbolic link or an entry of another kind, which is stat'ed to learn
// whether it leads to a directory; one that cannot be is taken for a file, to be reported
// when reached. Without follow, a link is taken for a file: it is passed over when
// reached, and what it leads to is never looked at.
func (ns *names) read(dir string, follow bool) error {
	n, size := 0, 0
	err := readDir(dir, func(de fs.DirEntry) error {
		n, size = n+1, size+len(de.Name())+2
		return nil
	})
	if err != nil {
		return err
	}
	// Room for a few more, made between the two reads.
	ns.offs = make([]uint32, 0, n+n/64+8)
	ns.keys = make([]byte, 0, size+size/64+256)
	return readDir(dir, func(de fs.DirEntry) error {
		name := de.Name()
		if len(ns.keys)+len(name)+2 > math.MaxUint32 {
			return fmt.Errorf("reading %s: too many entries (their names exceed 4 GiB)", dir)
		}
		isDir := de.IsDir()
		if t := de.Type(); !isDir && !t.IsRegular() && (follow || t&fs.ModeSymlink == 0) {
			info, err := os.Stat(filepath.Join(dir, name)) // follows symlinks
			isDir = err == nil && info.IsDir()
		}
		ns.add(name, isDir)
		return nil
	})
}

// readDir calls fn for each entry of dir, reading batch entries at a time.
func readDir(dir string, fn func(fs.DirEntry) error) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		des, err := f.ReadDir(batch)
		for _, de := range des {
			if err := fn(de); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// add adds an entry.
func (ns *names) add(name string, dir bool) {
	ns.offs = append(ns.offs, uint32(len(ns.keys)))
	ns.keys = append(ns.keys, name...)
	if dir {
		ns.keys = append(ns.keys, '/')
	}
	ns.keys = append(ns.keys, 0)
}

func (ns *names) len() int { return len(ns.offs) }

// key returns the key that starts at off, without its 0 byte.
func (ns *names) key(off uint32) []byte {
	k := ns.keys[off:]
	return k[:bytes.IndexByte(k, 0)]
}

// entry returns the name of the i'th entry and whether it was a directory.
func (ns *names) entry(i int) (name string, dir bool) {
	k := ns.key(ns.offs[i])
	if n := len(k) - 1; n >= 0 && k[n] == '/' {
		return string(k[:n]), true
	}
	return string(k), false
}

// sort puts the entries in the byte order of their keys, the order S3 lists keys in.
func (ns *names) sort() {
	slices.SortFunc(ns.offs, func(a, b uint32) int { return bytes.Compare(ns.key(a), ns.key(b)) })
}

// ancestorOf returns the path of the one of ancestors that dir is, however reached, if any.
func ancestorOf(ancestors []ancestor, dir os.FileInfo) (string, bool) {
	for _, a := range ancestors {
		if os.SameFile(a.info, dir) {
			return a.path, true
		}
	}
	return "", false
}
