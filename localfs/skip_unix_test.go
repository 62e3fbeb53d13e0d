//go:build unix

package localfs

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// reported is one onErr call of a walk, as a test compares it: the path relative to the
// root, and the kind of skip (0: a failure).
type reported struct {
	rel  string
	kind SkipKind
}

// Each tree is walked both ways: following links (the default) and with NoFollowSymlinks.
// What is a skip and what is a failure is told by errors.As(*SkipError), as callers do.
func TestWalkLinksAndSpecialFiles(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, root string)
		follow     []string   // files found when following links
		followRep  []reported // onErr calls when following links
		noFollow   []string   // files found with NoFollowSymlinks
		noFollowRp []reported // onErr calls with NoFollowSymlinks
		msg        string     // a substring of the first report's message, following links
	}{
		{
			name: "link to a file",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "a.txt")
				symlink(t, "a.txt", filepath.Join(root, "b.txt"))
			},
			follow:     []string{"a.txt", "b.txt"},
			noFollow:   []string{"a.txt"},
			noFollowRp: []reported{{"b.txt", SkipLink}},
		},
		{
			name: "link to a directory",
			setup: func(t *testing.T, root string) {
				outside := t.TempDir()
				writeFiles(t, outside, "x", "sub/y")
				writeFiles(t, root, "z")
				symlink(t, outside, filepath.Join(root, "d"))
			},
			follow:     []string{"d/sub/y", "d/x", "z"},
			noFollow:   []string{"z"},
			noFollowRp: []reported{{"d", SkipLink}},
		},
		{
			name: "loop",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "dir/f")
				symlink(t, "..", filepath.Join(root, "dir", "up"))
			},
			follow:     []string{"dir/f"},
			followRep:  []reported{{"dir/up", SkipLoop}},
			noFollow:   []string{"dir/f"},
			noFollowRp: []reported{{"dir/up", SkipLink}},
			msg:        "leads back to ",
		},
		{
			name: "broken link",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "a")
				symlink(t, "gone", filepath.Join(root, "b"))
			},
			follow:     []string{"a"},
			followRep:  []reported{{"b", 0}},
			noFollow:   []string{"a"},
			noFollowRp: []reported{{"b", SkipLink}},
			msg:        "broken symbolic link (to gone)",
		},
		{
			name: "link to itself",
			setup: func(t *testing.T, root string) {
				symlink(t, "self", filepath.Join(root, "self"))
			},
			follow:     []string{},
			followRep:  []reported{{"self", 0}},
			noFollow:   []string{},
			noFollowRp: []reported{{"self", SkipLink}},
			msg:        "broken symbolic link",
		},
		{
			name: "FIFO, and a link to one",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "a")
				if err := mkfifo(filepath.Join(root, "p")); err != nil {
					t.Fatal(err)
				}
				symlink(t, "p", filepath.Join(root, "q"))
			},
			follow:     []string{"a"},
			followRep:  []reported{{"p", SkipSpecial}, {"q", SkipSpecial}},
			noFollow:   []string{"a"},
			noFollowRp: []reported{{"p", SkipSpecial}, {"q", SkipLink}},
			msg:        "named pipe (FIFO), not a regular file",
		},
		{
			name: "socket",
			setup: func(t *testing.T, root string) {
				l, err := net.Listen("unix", filepath.Join(root, "s"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				writeFiles(t, root, "t")
			},
			follow:     []string{"t"},
			followRep:  []reported{{"s", SkipSpecial}},
			noFollow:   []string{"t"},
			noFollowRp: []reported{{"s", SkipSpecial}},
			msg:        "socket",
		},
		{
			name: "device, through a link",
			setup: func(t *testing.T, root string) {
				symlink(t, "/dev/null", filepath.Join(root, "null"))
			},
			follow:     []string{},
			followRep:  []reported{{"null", SkipSpecial}},
			noFollow:   []string{},
			noFollowRp: []reported{{"null", SkipLink}},
			msg:        "character device",
		},
	}
	for _, tt := range tests {
		for _, noFollow := range []bool{false, true} {
			name := tt.name + "/follow"
			want, wantRep := tt.follow, tt.followRep
			if noFollow {
				name = tt.name + "/no-follow"
				want, wantRep = tt.noFollow, tt.noFollowRp
			}
			t.Run(name, func(t *testing.T) {
				root := t.TempDir()
				tt.setup(t, root)
				var files []string
				var got []reported
				var msgs []string
				err := WalkWith(context.Background(), root, WalkOptions{NoFollowSymlinks: noFollow}, func(f File) error {
					files = append(files, f.Rel)
					if len(files) > maxWalkFiles {
						return errRunaway
					}
					return nil
				}, func(p string, err error) {
					rel, _ := filepath.Rel(root, p)
					r := reported{rel: filepath.ToSlash(rel)}
					var skip *SkipError
					if errors.As(err, &skip) {
						r.kind = skip.Kind
						if skip.Path != p {
							t.Errorf("SkipError.Path %q, reported at %q", skip.Path, p)
						}
						if skip.Kind == SkipLoop && !sameDir(skip.Target, p) {
							t.Errorf("loop %s: Target %q is not the directory it leads to", p, skip.Target)
						}
					}
					got = append(got, r)
					msgs = append(msgs, err.Error())
				})
				if err != nil {
					t.Fatal(err)
				}
				if files == nil {
					files = []string{}
				}
				if !slices.Equal(files, want) {
					t.Errorf("files %q, want %q", files, want)
				}
				if !slices.Equal(got, wantRep) {
					t.Errorf("reported %v (%q), want %v", got, msgs, wantRep)
				}
				if !noFollow && tt.msg != "" && (len(msgs) == 0 || !strings.Contains(msgs[0], tt.msg)) {
					t.Errorf("reported %q, want the first to say %q", msgs, tt.msg)
				}
			})
		}
	}
}

// A broken link's failure wraps the cause, so that callers can tell a missing target.
func TestWalkBrokenLinkWrapsCause(t *testing.T) {
	root := t.TempDir()
	symlink(t, "gone", filepath.Join(root, "b"))
	var errs []error
	if err := Walk(context.Background(), root, func(File) error { return nil }, func(_ string, err error) { errs = append(errs, err) }); err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) || errors.As(errs[0], new(*SkipError)) {
		t.Fatalf("reported %v, want one failure wrapping fs.ErrNotExist", errs)
	}
}

// With NoFollowSymlinks a root given as a link is still followed: it was named, not found.
func TestWalkNoFollowFollowsTheRoot(t *testing.T) {
	real := t.TempDir()
	writeFiles(t, real, "a")
	symlink(t, "a", filepath.Join(real, "l"))
	root := filepath.Join(t.TempDir(), "root")
	symlink(t, real, root)
	var files []string
	var errs []error
	err := WalkWith(context.Background(), root, WalkOptions{NoFollowSymlinks: true}, func(f File) error {
		files = append(files, f.Rel)
		return nil
	}, func(_ string, err error) { errs = append(errs, err) })
	var skip *SkipError
	if err != nil || !slices.Equal(files, []string{"a"}) || len(errs) != 1 || !errors.As(errs[0], &skip) || skip.Kind != SkipLink || skip.Target != "a" {
		t.Fatalf("files %q, reported %v, %v; want a, and l skipped as a link to a", files, errs, err)
	}
}

// sameDir reports whether a and b lead to the same directory.
func sameDir(a, b string) bool {
	ai, aerr := os.Stat(a)
	bi, berr := os.Stat(b)
	return aerr == nil && berr == nil && ai.IsDir() && os.SameFile(ai, bi)
}
