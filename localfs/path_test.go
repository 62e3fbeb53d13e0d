package localfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inside reports whether p is dir itself or below it, lexically.
func inside(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

func TestSafeJoin(t *testing.T) {
	dir := t.TempDir()
	good := []struct{ rel, want string }{
		{"a", "a"},
		{"a/b/c.txt", "a/b/c.txt"},
		{"dir with space/x", "dir with space/x"},
		{".hidden", ".hidden"},
		{"a/.b/..c/c..", "a/.b/..c/c.."},
		{"...", "..."},
		{"héllo/wörld", "héllo/wörld"},
	}
	for _, rel := range goodHere { // names this platform allows and others may not
		good = append(good, struct{ rel, want string }{rel, rel})
	}
	for _, tt := range good {
		t.Run("good/"+tt.rel, func(t *testing.T) {
			got, err := SafeJoin(dir, tt.rel)
			if err != nil {
				t.Fatalf("SafeJoin(%q, %q) error: %v", dir, tt.rel, err)
			}
			if want := filepath.Join(dir, filepath.FromSlash(tt.want)); got != want {
				t.Errorf("SafeJoin(%q, %q) = %q, want %q", dir, tt.rel, got, want)
			}
			if !inside(dir, got) || got == filepath.Clean(dir) {
				t.Errorf("SafeJoin(%q, %q) = %q, not inside the directory", dir, tt.rel, got)
			}
		})
	}
	bad := []struct{ name, rel, wantErr string }{
		{"empty", "", "empty file name"},
		{"absolute", "/abs", "starts with '/'"},
		{"absolute root", "/", "starts with '/'"},
		{"parent", "../x", `".." segment`},
		{"escape after descent", "a/../../x", `".." segment`},
		{"parent inside", "a/../b", `".." segment`},
		{"dot-dot only", "..", `".." segment`},
		{"dot-dot trailing", "a/..", `".." segment`},
		{"dot segment", "a/./b", `"." segment`},
		{"dot only", ".", `"." segment`},
		{"dot leading", "./a", `"." segment`},
		{"double slash", "a//b", "empty path segment"},
		{"trailing slash", "a/", "empty path segment"},
		{"backslash", "a\\b", "backslash"},
		{"backslash parent", "..\\x", "backslash"},
		{"NUL", "a\x00b", "NUL"},
	}
	for _, rel := range badHere { // names only this platform refuses
		bad = append(bad, struct{ name, rel, wantErr string }{"here/" + rel, rel, "cannot be a file name on this system"})
	}
	for _, tt := range bad {
		t.Run("bad/"+tt.name, func(t *testing.T) {
			got, err := SafeJoin(dir, tt.rel)
			if err == nil {
				t.Fatalf("SafeJoin(%q, %q) = %q, want an error mentioning %q", dir, tt.rel, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SafeJoin(%q, %q) error = %q, want it to mention %q", dir, tt.rel, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("SafeJoin(%q, %q) = %q with an error, want \"\"", dir, tt.rel, got)
			}
		})
	}
}

func TestSafeJoinRelativeDir(t *testing.T) {
	for _, dir := range []string{".", "out", "out/sub", "../up"} {
		t.Run(dir, func(t *testing.T) {
			got, err := SafeJoin(dir, "a/b")
			if err != nil {
				t.Fatalf("SafeJoin(%q, \"a/b\"): %v", dir, err)
			}
			if want := filepath.Join(dir, "a", "b"); got != want {
				t.Errorf("SafeJoin(%q, \"a/b\") = %q, want %q", dir, got, want)
			}
			if _, err := SafeJoin(dir, "../a"); err == nil {
				t.Errorf("SafeJoin(%q, \"../a\") succeeded", dir)
			}
		})
	}
}

// createTemp calls CreateTemp and closes and removes the file when the test ends.
func createTemp(t *testing.T, target string) *os.File {
	t.Helper()
	f, err := CreateTemp(target)
	if err != nil {
		t.Fatalf("CreateTemp(%q): %v", target, err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("close %s: %v", f.Name(), err)
		}
		if err := os.Remove(f.Name()); err != nil {
			t.Errorf("remove %s: %v", f.Name(), err)
		}
	})
	return f
}

func TestCreateTemp(t *testing.T) {
	dir := t.TempDir()
	for _, base := range []string{"file.txt", "no-ext", ".dot", "with space", "star*name"} {
		t.Run(base, func(t *testing.T) {
			target := filepath.Join(dir, base)
			f := createTemp(t, target)
			if got := filepath.Dir(f.Name()); got != dir {
				t.Errorf("CreateTemp(%q) made %q in %q, want it in %q", target, f.Name(), got, dir)
			}
			name := filepath.Base(f.Name())
			if !strings.HasPrefix(name, "."+base) {
				t.Errorf("CreateTemp(%q) named the file %q, want it to start with %q", target, name, "."+base)
			}
			if name == base || f.Name() == target {
				t.Errorf("CreateTemp(%q) returned the target itself", target)
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Errorf("CreateTemp(%q) created the target (stat: %v)", target, err)
			}
			if _, err := f.WriteString("data"); err != nil {
				t.Errorf("write to the temporary file: %v", err)
			}
		})
	}

	t.Run("two temporary files differ", func(t *testing.T) {
		target := filepath.Join(dir, "same")
		a, b := createTemp(t, target), createTemp(t, target)
		if a.Name() == b.Name() {
			t.Errorf("two CreateTemp(%q) calls gave the same file %q", target, a.Name())
		}
	})

	t.Run("bare file name uses the working directory", func(t *testing.T) {
		t.Chdir(t.TempDir())
		f := createTemp(t, "bare.txt")
		if got := filepath.Dir(f.Name()); got != "." {
			t.Errorf("CreateTemp(\"bare.txt\") made %q, want it in the working directory", f.Name())
		}
		if !strings.HasPrefix(filepath.Base(f.Name()), ".bare.txt") {
			t.Errorf("CreateTemp(\"bare.txt\") named the file %q", f.Name())
		}
	})

	t.Run("missing directory", func(t *testing.T) {
		if f, err := CreateTemp(filepath.Join(dir, "missing", "x")); err == nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
			t.Errorf("CreateTemp in a missing directory succeeded")
		}
	})
}

func FuzzSafeJoin(f *testing.F) {
	for _, s := range []string{
		"a", "a/b/c.txt", "dir with space/x", "", "/abs", "../x", "a/../../x", "a/./b", "a//b", "a/",
		"a\\b", "..", ".", "a\x00b", "...", ".a/b.", "a/b/../../..",
	} {
		f.Add(s)
	}
	dir := filepath.Join(f.TempDir(), "dest")
	f.Fuzz(func(t *testing.T, rel string) {
		p, err := SafeJoin(dir, rel)
		if err != nil {
			if p != "" {
				t.Errorf("SafeJoin(%q) = %q with error %v", rel, p, err)
			}
			return
		}
		r, err := filepath.Rel(dir, p)
		if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) || filepath.IsAbs(r) {
			t.Fatalf("SafeJoin(%q) = %q, outside %q (Rel %q, %v)", rel, p, dir, r, err)
		}
		if filepath.ToSlash(r) != rel {
			t.Errorf("SafeJoin(%q) = %q, which is %q below the directory: not read one way", rel, p, r)
		}
		if strings.ContainsAny(rel, "\\\x00") || strings.HasPrefix(rel, "/") {
			t.Errorf("SafeJoin accepted %q with a backslash, NUL or leading '/'", rel)
		}
		for _, seg := range strings.Split(rel, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Errorf("SafeJoin accepted %q with a %q segment", rel, seg)
			}
		}
	})
}
