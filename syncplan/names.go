package syncplan

import (
	"fmt"
	"os"
	"strings"

	"github.com/haul-s3/haul/localfs"
)

// ConflictError is a key a local directory cannot hold beside another: a file and a
// directory of one name ("a" and "a/b"), or, on a case-insensitive filesystem, two names
// equal but for case ("README.md" and "Readme.md"). The first in key order is synced; the
// later one fails with this error, and is never written over the first.
type ConflictError struct {
	Key, With string
	Case      bool // the names differ only in case

	withSrc bool // With came from the source side (else it is a local file only)
}

func (e *ConflictError) Error() string {
	if e.Case {
		return fmt.Sprintf("conflict: %q and %q are one name on this case-insensitive destination; only %q is synced", e.With, e.Key, e.With)
	}
	return fmt.Sprintf("conflict: %q is a file, so %q cannot be written under it; only %q is synced", e.With, e.Key, e.With)
}

// nameCheck finds, downloading, the keys the local directory cannot hold apart. Keys come in
// byte order, so everything under a directory comes together: it keeps the names of each
// directory on the path of the current key (a stack), and forgets a directory once the
// keys have left it. Memory is the width of the directories on one path, not the tree.
type nameCheck struct {
	fold  bool // the filesystem is case-insensitive: compare names folded
	stack []*dirNames
}

type dirNames struct {
	name  string               // this directory's own name (exact), "" for the root
	names map[string]childName // by name as compared (folded when fold)
}

type childName struct {
	name string // as the key has it
	dir  bool
	src  bool // from the source side
}

func newNameCheck(fold bool) *nameCheck {
	return &nameCheck{fold: fold, stack: []*dirNames{{names: map[string]childName{}}}}
}

func (n *nameCheck) key(s string) string {
	if n.fold {
		return strings.ToLower(s)
	}
	return s
}

// check registers key (from the source side when src) and returns the conflict with a key
// registered before it, if there is one; a conflicting key is not registered.
func (n *nameCheck) check(key string, src bool) *ConflictError {
	parts := strings.Split(key, "/")
	depth := 1 // levels of the stack still on key's path
	for depth < len(n.stack) && depth < len(parts) && n.stack[depth].name == parts[depth-1] {
		depth++
	}
	n.stack = n.stack[:depth]
	// Register (or check) each name from the first directory not on the stack down to the
	// file's, each in its parent's level: stack[i] holds the names parts[i] is among.
	for i := depth - 1; i < len(parts); i++ {
		isDir := i < len(parts)-1
		name, k := parts[i], n.key(parts[i])
		lvl := n.stack[i]
		prev, seen := lvl.names[k]
		switch {
		case !seen:
			lvl.names[k] = childName{name: name, dir: isDir, src: src}
		case prev.name != name:
			return &ConflictError{Key: key, With: strings.Join(append(parts[:i:i], prev.name), "/"), Case: true, withSrc: prev.src}
		case prev.dir != isDir:
			return &ConflictError{Key: key, With: strings.Join(parts[:i+1], "/"), withSrc: prev.src}
		}
		if isDir {
			n.stack = append(n.stack, &dirNames{name: name, names: map[string]childName{}})
		}
	}
	return nil
}

// conflicts checks a pair of the merge, downloading: a source key that clashes fails (the
// returned error); a local file only the destination holds that clashes with a source key
// is kept from deletion (keep). On a case-insensitive destination a new key that lands on an
// existing file of another case is a clash too (found with one Lstat).
func (s *Sync) conflicts(p Pair) (fail error, keep bool) {
	if p.Src == nil {
		if c := s.names.check(p.Key, false); c != nil {
			s.mu.Lock()
			s.counts.Protected++
			s.mu.Unlock()
			if s.o.Note != nil {
				s.o.Note(Note{Kind: "conflict", Key: p.Key, Err: c})
			}
			return nil, true
		}
		return nil, false
	}
	c := s.names.check(p.Key, true)
	if c != nil {
		if !c.withSrc { // a local file spooled for deletion: it is this key's name here
			s.mu.Lock()
			if !s.keep[c.With] {
				s.keep[c.With] = true
				s.counts.Deletes-- // its bytes stay counted: the guards err on the safe side
				s.counts.Protected++
			}
			s.mu.Unlock()
		}
		return c, false
	}
	if s.names.fold && p.Dst == nil && p.Src.Err == nil {
		if path, err := localfs.SafeJoin(s.o.Local, p.Key); err == nil {
			if _, err := os.Lstat(path); err == nil {
				return &ConflictError{Key: p.Key, With: "a local file of the same name in another case", Case: true}, false
			}
		}
	}
	return nil, false
}
