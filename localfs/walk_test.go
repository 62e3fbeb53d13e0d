package localfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// walkErr is one call to Walk's onErr.
type walkErr struct {
	path string
	err  error
}

// maxWalkFiles bounds the files walkAll takes; no test tree holds nearly this many.
const maxWalkFiles = 1000

var errRunaway = errors.New("walk found too many files: a symbolic link loop was followed")

// walkAll walks root and returns every file found and every error reported.
func walkAll(t *testing.T, ctx context.Context, root string) ([]File, []walkErr, error) {
	t.Helper()
	var files []File
	var errs []walkErr
	err := Walk(ctx, root, func(f File) error {
		files = append(files, f)
		if len(files) > maxWalkFiles {
			return errRunaway // a loop that is not detected: fail fast instead of hanging
		}
		return nil
	}, func(p string, err error) {
		errs = append(errs, walkErr{p, err})
	})
	return files, errs, err
}

// brief shortens a long list for a failure message.
func brief(list []string) string {
	if len(list) > 10 {
		return fmt.Sprintf("%q ... (%d in all)", list[:10], len(list))
	}
	return fmt.Sprintf("%q", list)
}

func rels(files []File) []string {
	out := []string{}
	for _, f := range files {
		out = append(out, f.Rel)
	}
	return out
}

// writeFiles creates each file (with its directories) under root; its content is its name.
func writeFiles(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mkdirs(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(n)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestWalk(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, root string)
		want      []string // Rel of each file, in order
		wantErrs  []string // substrings of the errors reported to onErr, in order
		errPaths  []string // paths (relative to root) reported to onErr, in order
		skipRoot  string   // when non-empty and running as root, skip with this reason
		checkFile func(t *testing.T, root string, files []File)
	}{
		{
			name:  "empty root",
			setup: func(t *testing.T, root string) {},
			want:  []string{},
		},
		{
			name: "nested files in lexical order",
			setup: func(t *testing.T, root string) {
				// Created out of order; Walk sorts each directory by name, like filepath.WalkDir.
				writeFiles(t, root, "z.txt", "b/y.txt", "b/a/x.txt", "a.txt", "B.txt", "b/c/d/e.txt", "b/b.txt")
			},
			want: []string{"B.txt", "a.txt", "b/a/x.txt", "b/b.txt", "b/c/d/e.txt", "b/y.txt", "z.txt"},
			checkFile: func(t *testing.T, root string, files []File) {
				for _, f := range files {
					if want := filepath.Join(root, filepath.FromSlash(f.Rel)); f.Path != want {
						t.Errorf("Path = %q, want %q", f.Path, want)
					}
					if f.Size != int64(len(f.Rel)) {
						t.Errorf("%s: Size = %d, want %d", f.Rel, f.Size, len(f.Rel))
					}
					if f.ModTime.IsZero() {
						t.Errorf("%s: ModTime is zero", f.Rel)
					}
				}
			},
		},
		{
			name: "empty directories give nothing",
			setup: func(t *testing.T, root string) {
				mkdirs(t, root, "e1", "e2/e3/e4", "f")
				writeFiles(t, root, "f/only.txt")
			},
			want: []string{"f/only.txt"},
		},
		{
			name: "empty files are files",
			setup: func(t *testing.T, root string) {
				if err := os.WriteFile(filepath.Join(root, "empty"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"empty"},
		},
		{
			name: "symlink to a file is followed under the link's name",
			setup: func(t *testing.T, root string) {
				outside := t.TempDir()
				writeFiles(t, outside, "target.txt")
				writeFiles(t, root, "real.txt")
				symlink(t, filepath.Join(outside, "target.txt"), filepath.Join(root, "link.txt"))
				symlink(t, "real.txt", filepath.Join(root, "rel-link.txt"))
			},
			want: []string{"link.txt", "real.txt", "rel-link.txt"},
			checkFile: func(t *testing.T, root string, files []File) {
				for _, f := range files {
					if want := filepath.Join(root, f.Rel); f.Path != want {
						t.Errorf("Path = %q, want %q (through the link)", f.Path, want)
					}
				}
				if files[0].Size != int64(len("target.txt")) {
					t.Errorf("link.txt: Size = %d, want the target's size %d", files[0].Size, len("target.txt"))
				}
			},
		},
		{
			name: "symlink to a directory is followed",
			setup: func(t *testing.T, root string) {
				outside := t.TempDir()
				writeFiles(t, outside, "x.txt", "sub/y.txt")
				symlink(t, outside, filepath.Join(root, "linked"))
				writeFiles(t, root, "a/b.txt")
				symlink(t, "a", filepath.Join(root, "c")) // same directory twice, not a loop
			},
			want: []string{"a/b.txt", "c/b.txt", "linked/sub/y.txt", "linked/x.txt"},
		},
		{
			name: "symlink loop to the parent is reported once",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "dir/f.txt")
				symlink(t, "..", filepath.Join(root, "dir", "link"))
			},
			want:     []string{"dir/f.txt"},
			wantErrs: []string{"symbolic link loop"},
			errPaths: []string{"dir/link"},
		},
		{
			name: "symlink loop to itself is reported once",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "a.txt")
				symlink(t, ".", filepath.Join(root, "self"))
			},
			want:     []string{"a.txt"},
			wantErrs: []string{"symbolic link loop"},
			errPaths: []string{"self"},
		},
		{
			name: "symlink loop through two directories",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "a/1.txt", "b/2.txt")
				symlink(t, "../b", filepath.Join(root, "a", "tob"))
				symlink(t, "../a", filepath.Join(root, "b", "toa"))
			},
			// a/tob/toa is a again, b/toa/tob is b again.
			want:     []string{"a/1.txt", "a/tob/2.txt", "b/2.txt", "b/toa/1.txt"},
			wantErrs: []string{"symbolic link loop", "symbolic link loop"},
			errPaths: []string{"a/tob/toa", "b/toa/tob"},
		},
		{
			name: "FIFO is reported and skipped",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "a.txt", "z.txt")
				if err := mkfifo(filepath.Join(root, "m.fifo")); err != nil {
					t.Skipf("cannot make a FIFO here: %v", err)
				}
			},
			want:     []string{"a.txt", "z.txt"},
			wantErrs: []string{"not a regular file"},
			errPaths: []string{"m.fifo"},
		},
		{
			name: "symlink to a FIFO is reported and skipped",
			setup: func(t *testing.T, root string) {
				outside := t.TempDir()
				if err := mkfifo(filepath.Join(outside, "p")); err != nil {
					t.Skipf("cannot make a FIFO here: %v", err)
				}
				symlink(t, filepath.Join(outside, "p"), filepath.Join(root, "p"))
			},
			want:     []string{},
			wantErrs: []string{"not a regular file"},
			errPaths: []string{"p"},
		},
		{
			name: "dangling symlink is reported",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "a.txt", "z.txt")
				symlink(t, filepath.Join(root, "missing"), filepath.Join(root, "m"))
			},
			want:     []string{"a.txt", "z.txt"},
			wantErrs: []string{"no such file"},
			errPaths: []string{"m"},
		},
		{
			name: "unreadable directory is reported",
			setup: func(t *testing.T, root string) {
				writeFiles(t, root, "a.txt", "locked/secret.txt", "z.txt")
				locked := filepath.Join(root, "locked")
				if err := os.Chmod(locked, 0); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = os.Chmod(locked, 0o755) }) // so TempDir can remove it
			},
			skipRoot: "running as root: chmod 000 does not stop root from reading a directory",
			want:     []string{"a.txt", "z.txt"},
			wantErrs: []string{"permission denied"},
			errPaths: []string{"locked"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skipRoot != "" && os.Geteuid() == 0 {
				t.Skip(tt.skipRoot)
			}
			root := t.TempDir()
			tt.setup(t, root)
			files, errs, err := walkAll(t, context.Background(), root)
			if err != nil {
				t.Fatalf("Walk: %v", err)
			}
			if got := rels(files); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Walk found %s, want %q", brief(got), tt.want)
			}
			if len(errs) != len(tt.wantErrs) {
				t.Fatalf("onErr called %d times, want %d (%q)", len(errs), len(tt.wantErrs), tt.wantErrs)
			}
			for i, e := range errs {
				if !strings.Contains(e.err.Error(), tt.wantErrs[i]) {
					t.Errorf("onErr #%d: error %q, want it to mention %q", i, e.err, tt.wantErrs[i])
				}
				if want := filepath.Join(root, filepath.FromSlash(tt.errPaths[i])); e.path != want {
					t.Errorf("onErr #%d: path %q, want %q", i, e.path, want)
				}
			}
			if tt.checkFile != nil {
				tt.checkFile(t, root, files)
			}
		})
	}
}

// A loop is reported once and the walk ends (does not recurse forever).
func TestWalkLoopEnds(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "dir/f.txt", "dir/sub/g.txt")
	symlink(t, "..", filepath.Join(root, "dir", "up"))
	symlink(t, "../..", filepath.Join(root, "dir", "sub", "upup"))
	files, errs, err := walkAll(t, context.Background(), root)
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if got, want := rels(files), []string{"dir/f.txt", "dir/sub/g.txt"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Walk found %s, want %q", brief(got), want)
	}
	if len(errs) != 2 {
		t.Errorf("onErr called %d times, want 2 (one per looping link)", len(errs))
	}
}

func TestWalkRootErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "file.txt")
	onErr := func(p string, err error) { t.Errorf("onErr(%q, %v) called", p, err) }
	fn := func(f File) error { t.Errorf("fn(%+v) called", f); return nil }

	t.Run("missing root", func(t *testing.T) {
		err := Walk(context.Background(), filepath.Join(dir, "nope"), fn, onErr)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Walk(missing) = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("root is a file", func(t *testing.T) {
		err := Walk(context.Background(), filepath.Join(dir, "file.txt"), fn, onErr)
		if err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("Walk(file) = %v, want a 'not a directory' error", err)
		}
	})
	t.Run("root is a symlink to a directory", func(t *testing.T) {
		link := filepath.Join(t.TempDir(), "link")
		symlink(t, dir, link)
		files, errs, err := walkAll(t, context.Background(), link)
		if err != nil || len(errs) != 0 {
			t.Fatalf("Walk(link) = %v, errs %v", err, errs)
		}
		if got, want := rels(files), []string{"file.txt"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Walk(link) found %q, want %q", got, want)
		}
	})
}

func TestWalkFnError(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "a", "b", "c/d", "e")
	stop := errors.New("stop")
	var seen []string
	err := Walk(context.Background(), root, func(f File) error {
		seen = append(seen, f.Rel)
		if f.Rel == "c/d" {
			return stop
		}
		return nil
	}, func(p string, err error) { t.Errorf("onErr(%q, %v)", p, err) })
	if !errors.Is(err, stop) {
		t.Errorf("Walk = %v, want fn's error", err)
	}
	if want := []string{"a", "b", "c/d"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("fn saw %q, want %q", seen, want)
	}
}

func TestWalkContextCancel(t *testing.T) {
	t.Run("cancelled during the walk", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, "a", "b/c", "b/d", "b/e/f", "g")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var seen []string
		err := Walk(ctx, root, func(f File) error {
			seen = append(seen, f.Rel)
			if f.Rel == "b/c" {
				cancel()
			}
			return nil
		}, func(p string, err error) { t.Errorf("onErr(%q, %v)", p, err) })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Walk = %v, want context.Canceled", err)
		}
		if want := []string{"a", "b/c"}; !reflect.DeepEqual(seen, want) {
			t.Errorf("fn saw %q after cancel, want %q", seen, want)
		}
	})
	t.Run("cancelled before the walk", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, "a", "b/c")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		files, errs, err := walkAll(t, ctx, root)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Walk = %v, want context.Canceled", err)
		}
		if len(files) != 0 || len(errs) != 0 {
			t.Errorf("Walk with a cancelled context found %v, reported %v; want nothing", rels(files), errs)
		}
	})
}

// WalkSkipping does not enter a skipped directory: nothing under it is reported, not even
// what cannot be read; the others are walked as Walk walks them.
func TestWalkSkippingPrunesDirectories(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"a/x", "build/keep/y", "build/other/z", "c"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := mkfifo(filepath.Join(root, "build", "other", "pipe")); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	var asked, files, errs []string
	skip := func(rel string) bool {
		asked = append(asked, rel)
		return rel == "build/other"
	}
	err := WalkSkipping(context.Background(), root, skip, func(f File) error {
		files = append(files, f.Rel)
		return nil
	}, func(p string, err error) { errs = append(errs, p) })
	if err != nil || !slices.Equal(files, []string{"a/x", "build/keep/y", "c"}) || len(errs) != 0 {
		t.Fatalf("files %v, errors %v, %v", files, errs, err)
	}
	if !slices.Equal(asked, []string{"a", "build", "build/keep", "build/other"}) {
		t.Fatalf("skip asked about %v", asked)
	}
}

// The walk gives files in the byte order of their relative paths: the order S3 lists the
// keys they become in, which a merge with a listing (sync) needs. A directory sorts as its
// name followed by "/": "a-b" ('-' is 0x2D) before "a/x" ('/' is 0x2F) before "a0".
func TestWalkIsInKeyOrder(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"a/x", "a-b", "a0", "a.txt", "b/c/d", "b/c-d", "b/c.e", "Z", "é", "link/y"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if p == "link/y" {
			continue
		}
		if err := os.WriteFile(filepath.Join(root, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A link to a directory sorts as a directory.
	if err := os.Remove(filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "b"), filepath.Join(root, "link")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	var got []string
	if err := Walk(context.Background(), root, func(f File) error {
		got = append(got, f.Rel)
		return nil
	}, func(p string, err error) { t.Errorf("%s: %v", p, err) }); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("walked %v, not in byte order %v", got, want)
	}
	if len(got) != 12 || got[0] != "Z" || !slices.Contains(got, "link/c/d") {
		t.Fatalf("walked %v", got)
	}
}

// names sorts a directory's entries as the keys they become, a directory's with "/" after
// it: the order of those keys as strings, which is S3's.
func TestNamesSortAsKeys(t *testing.T) {
	var keys []string
	for _, n := range []string{"a", "a-", "a-b", "a.", "a0", "aa", "a\x01", "a\xff", "b", "Z", "é", "a b"} {
		keys = append(keys, n, n+"/")
	}
	// Every name once, as a file or as a directory, in both ways, added in a shuffled order.
	for _, dirFirst := range []bool{false, true} {
		var ns names
		var want []string
		for i, k := range keys {
			if (i%2 == 1) != dirFirst == (i%4 < 2) {
				continue
			}
			want = append(want, k)
		}
		for _, i := range rand.Perm(len(want)) {
			name, dir := strings.CutSuffix(want[i], "/")
			ns.add(name, dir)
		}
		ns.sort()
		slices.Sort(want)
		var got []string
		for i := range ns.len() {
			name, dir := ns.entry(i)
			if dir {
				name += "/"
			}
			got = append(got, name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("sorted %q, want %q", got, want)
		}
	}
}

// A directory's entries are held as names, not os.FileInfos: walking one directory of many
// files holds a few bytes an entry and its name (an os.FileInfo for each entry, as a walk that
// stats every entry before sorting holds, is some 300).
func TestWalkHoldsNamesNotFileInfos(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 20,000 files")
	}
	const n = 20000
	root := t.TempDir()
	for i := range n {
		f, err := os.Create(filepath.Join(root, fmt.Sprintf("file-%06d", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	var held uint64
	seen := 0
	err := Walk(context.Background(), root, func(f File) error {
		if seen++; seen == n/2 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			held = ms.HeapAlloc - min(before, ms.HeapAlloc)
		}
		return nil
	}, func(p string, err error) { t.Errorf("%s: %v", p, err) })
	if err != nil || seen != n {
		t.Fatalf("walked %d files, %v", seen, err)
	}
	if perEntry := held / n; perEntry > 32 {
		t.Errorf("walking a directory of %d files holds %d bytes (%d an entry), want at most 32 an entry", n, held, perEntry)
	}
	t.Logf("walking a directory of %d files holds %d bytes (%d an entry)", n, held, held/n)
}

// An entry that turns from a file into a directory between the read of its directory and
// the walk reaching it is reported and skipped: walking it where its name sorted as a file
// would give its files out of key order.
func TestWalkEntryChangedKind(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "a", "b", "b-c")
	var got []string
	var errs []walkErr
	err := Walk(context.Background(), root, func(f File) error {
		got = append(got, f.Rel)
		if f.Rel == "a" {
			if err := os.Remove(filepath.Join(root, "b")); err != nil {
				return err
			}
			writeFiles(t, root, "b/x")
		}
		return nil
	}, func(p string, err error) { errs = append(errs, walkErr{p, err}) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"a", "b-c"}) {
		t.Errorf("walked %q, want [a b-c]", got)
	}
	if len(errs) != 1 || errs[0].path != filepath.Join(root, "b") || !strings.Contains(errs[0].err.Error(), "changed between a file and a directory") {
		t.Errorf("reported %v, want b changed", errs)
	}
}
