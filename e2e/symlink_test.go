//go:build unix

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// linkTree makes the tree of the symbolic-link tests under a new directory and returns
// it: two files, a link to one (alink), a link to a directory (dlink), a loop (d/loop, to
// the root), a broken link and a named pipe.
//
//	a.txt  d/x.txt  alink -> a.txt  dlink -> d  d/loop -> ..  broken -> nowhere  pipe (FIFO)
func linkTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	makeFiles(t, dir, 100, "a.txt", "d/x.txt")
	for link, target := range map[string]string{"alink": "a.txt", "dlink": "d", "d/loop": "..", "broken": "nowhere"} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	if err := mkfifo(filepath.Join(dir, "pipe")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// skipLines returns, sorted, the paths (relative to dir) named by the "skip:" lines of
// out, each with the start of its reason.
func skipLines(out, dir string) []string {
	var got []string
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(line, "skip: "+dir+string(filepath.Separator))
		if !ok {
			continue
		}
		path, why, _ := strings.Cut(rest, ": ")
		why, _, _ = strings.Cut(why, ",")
		got = append(got, path+": "+why)
	}
	slices.Sort(got)
	return got
}

// linkEvent is one line of --json output of the symbolic-link tests.
type linkEvent struct {
	Event     string `json:"event"`
	Op        string `json:"op"`
	Src       string `json:"src"`
	Dst       string `json:"dst"`
	Message   string `json:"message"`
	Error     string `json:"error"`
	Done      *int   `json:"done"`
	Failed    *int   `json:"failed"`
	Skipped   *int   `json:"skipped"`
	Deleted   *int   `json:"deleted"`
	Protected *int   `json:"protected"`
	Items     *int   `json:"items"`
}

// skippedSrcs returns, sorted, the src (relative to dir) of each "skipped" event, and the
// summary.
func skippedSrcs(t *testing.T, stdout, dir string) ([]string, linkEvent) {
	t.Helper()
	var got []string
	var sum linkEvent
	for _, e := range jsonLines[linkEvent](t, stdout) {
		switch e.Event {
		case "skipped":
			rel, _ := filepath.Rel(dir, e.Src)
			if e.Message == "" {
				t.Errorf("skipped event for %s says no why", e.Src)
			}
			got = append(got, rel)
		case "summary":
			sum = e
		}
	}
	slices.Sort(got)
	return got, sum
}

// cp -r of a tree with links, a loop, a broken link and a named pipe, both ways. Followed
// (the default): the links to a file and to a directory are sent under their own names,
// the loop and the pipe are skipped with a skip: line each (the pipe never opened: the run
// would hang), and the broken link is a failed item named in a failed: line: exit 1. With
// --no-follow-symlinks every link is skipped, the broken one too: exit 0.
func TestCopyTreeWithLinks(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := linkTree(t)

		r := haul(t, srv, nil, "cp", "-r", dir, "s3://"+bucket+"/follow/")
		if r.code != 1 {
			t.Fatalf("followed: exit %d, want 1 (the broken link)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if got, want := keys(t, srv, bucket, "follow/"), []string{"follow/a.txt", "follow/alink", "follow/d/x.txt", "follow/dlink/x.txt"}; !slices.Equal(got, want) {
			t.Errorf("followed: keys %v, want %v", got, want)
		}
		if !bytes.Equal(objectBytes(t, srv, bucket, "follow/alink"), objectBytes(t, srv, bucket, "follow/a.txt")) {
			t.Error("follow/alink does not hold a.txt's bytes")
		}
		wantSkips := []string{"d/loop: symbolic link loop: leads back to " + dir, "dlink/loop: symbolic link loop: leads back to " + dir, "pipe: named pipe (FIFO)"}
		if got := skipLines(r.stdout, dir); !slices.Equal(got, wantSkips) {
			t.Errorf("followed: skip lines %q, want %q\nstdout:\n%s", got, wantSkips, r.stdout)
		}
		if !strings.Contains(r.stderr, "failed: "+filepath.Join(dir, "broken")+" -> ") || !strings.Contains(r.stderr, "broken symbolic link (to nowhere)") ||
			!strings.Contains(r.stderr, "summary: 4 done, 1 failed, 0 not done, 3 skipped,") {
			t.Errorf("followed: stderr lacks the broken link's failure or the summary:\n%s", r.stderr)
		}

		r = haul(t, srv, nil, "--json", "cp", "-r", "--no-follow-symlinks", dir, "s3://"+bucket+"/nofollow/")
		if r.code != 0 {
			t.Fatalf("--no-follow-symlinks: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if got, want := keys(t, srv, bucket, "nofollow/"), []string{"nofollow/a.txt", "nofollow/d/x.txt"}; !slices.Equal(got, want) {
			t.Errorf("--no-follow-symlinks: keys %v, want %v", got, want)
		}
		got, sum := skippedSrcs(t, r.stdout, dir)
		if want := []string{"alink", "broken", "d/loop", "dlink", "pipe"}; !slices.Equal(got, want) {
			t.Errorf("--no-follow-symlinks: skipped %q, want %q", got, want)
		}
		if num(sum.Done) != 2 || num(sum.Failed) != 0 || sum.Skipped == nil || *sum.Skipped != 5 {
			t.Errorf("--no-follow-symlinks: summary done %d, failed %d, skipped %v; want 2, 0, 5\n%s", num(sum.Done), num(sum.Failed), sum.Skipped, r.stdout)
		}

		// The same as text, and as a dry run: the plan has the same skip lines.
		r = haul(t, srv, nil, "cp", "-r", "--no-follow-symlinks", "--dry-run", dir, "s3://"+bucket+"/plan/")
		wantSkips = []string{"alink: symbolic link to a.txt", "broken: symbolic link to nowhere", "d/loop: symbolic link to ..", "dlink: symbolic link to d", "pipe: named pipe (FIFO)"}
		if got := skipLines(r.stdout, dir); r.code != 0 || !slices.Equal(got, wantSkips) || !strings.Contains(r.stderr, "; 5 skipped") {
			t.Errorf("dry run: exit %d, skip lines %q, want 0 and %q\nstdout:\n%s\nstderr:\n%s", r.code, got, wantSkips, r.stdout, r.stderr)
		}
		if got := keys(t, srv, bucket, "plan/"); len(got) != 0 {
			t.Errorf("dry run stored %v", got)
		}

		// mv -r moves the files and leaves every link and the pipe where they are.
		r = haul(t, srv, nil, "mv", "-r", "--no-follow-symlinks", dir, "s3://"+bucket+"/moved/")
		if r.code != 0 {
			t.Fatalf("mv: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if got, want := keys(t, srv, bucket, "moved/"), []string{"moved/a.txt", "moved/d/x.txt"}; !slices.Equal(got, want) {
			t.Errorf("mv: keys %v, want %v", got, want)
		}
		for _, p := range []string{"alink", "dlink", "d/loop", "broken", "pipe"} {
			if _, err := os.Lstat(filepath.Join(dir, p)); err != nil {
				t.Errorf("mv removed %s: %v", p, err)
			}
		}
		for _, p := range []string{"a.txt", "d/x.txt"} {
			if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
				t.Errorf("mv left %s", p)
			}
		}
	})
}

// sync --delete with --no-follow-symlinks: the links are skipped, and what the destination
// holds under their names (written by an earlier sync that followed them) is protected,
// not deleted, as a path --exclude leaves out is: a link not followed is not a file
// deleted. A key with no source at all is deleted as ever; nothing fails: exit 0.
func TestSyncNoFollowSymlinksKeepsLinkKeys(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/p"
		dir := linkTree(t)
		if err := os.Remove(filepath.Join(dir, "d", "loop")); err != nil {
			t.Fatal(err)
		}
		r := s.run(t, "sync", dir, dst)
		if r.code != 1 || !strings.Contains(r.stderr, "broken symbolic link") {
			t.Fatalf("first sync (followed): exit %d, want 1 naming the broken link\n%s", r.code, r.stderr)
		}
		putObjects(t, srv, bucket, 10, "p/old")
		want := []string{"p/a.txt", "p/alink", "p/d/x.txt", "p/dlink/x.txt", "p/old"}
		if got := keys(t, srv, bucket, "p/"); !slices.Equal(got, want) {
			t.Fatalf("after the first sync: keys %v, want %v", got, want)
		}
		for _, dry := range []bool{true, false} {
			args := []string{"--json", "sync", "--delete", "--no-follow-symlinks", dir, dst}
			if dry {
				args = append(args, "--dry-run")
			}
			r = s.run(t, args...)
			got, sum := skippedSrcs(t, r.stdout, dir)
			protected := 0
			for _, e := range jsonLines[linkEvent](t, r.stdout) {
				if e.Event == "protect" {
					protected++
				}
			}
			if r.code != 0 || !slices.Equal(got, []string{"alink", "broken", "dlink", "pipe"}) || num(sum.Failed) != 0 ||
				sum.Skipped == nil || *sum.Skipped != 4 || num(sum.Protected) != 2 || protected != 2 || num(sum.Deleted) != 1 {
				t.Fatalf("dry run %v: exit %d, skipped %q, summary failed %d, skipped %v, protected %d (%d events), deleted %d; want 0, 4 skipped, 0, 4, 2, 1\n%s",
					dry, r.code, got, num(sum.Failed), sum.Skipped, num(sum.Protected), protected, num(sum.Deleted), r.stdout)
			}
		}
		want = want[:len(want)-1] // p/old deleted
		if got := keys(t, srv, bucket, "p/"); !slices.Equal(got, want) {
			t.Fatalf("after sync --delete --no-follow-symlinks: keys %v, want %v", got, want)
		}
	})
}

// --no-follow-symlinks is for a local source: on a download or a copy between S3
// locations it is a usage error (exit 2), before any request.
func TestNoFollowSymlinksNeedsALocalSource(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"cp", "-r", "--no-follow-symlinks", "s3://bucket/p/", dir},
		{"cp", "--no-follow-symlinks", "s3://bucket/k", "s3://bucket/k2"},
		{"cp", "--no-follow-symlinks", "-", "s3://bucket/k"},
		{"sync", "--no-follow-symlinks", "s3://bucket/p", dir},
		{"sync", "--no-follow-symlinks", "s3://bucket/p", "s3://bucket/q"},
	} {
		r := haul(t, nil, nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "--no-follow-symlinks is for a local source") {
			t.Errorf("haul %s: exit %d, want 2 with the reason\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}

// A named pipe given as the source of cp (itself, or through a link) is refused before
// anything is sent, with the stream form that sends what it carries; it is never opened
// (that would wait for a writer, and the run would hang).
func TestNamedPipeSourceIsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("fifo", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{fifo, filepath.Join(dir, "link")} {
		r := haul(t, nil, nil, "cp", src, "s3://bucket/k")
		if r.code != 2 || !strings.Contains(r.stderr, "is a named pipe (FIFO), not a regular file") || !strings.Contains(r.stderr, "haul cp - s3://bucket/k < "+src) {
			t.Errorf("cp %s: exit %d, want 2 with the stream form\n%s", src, r.code, r.stderr)
		}
	}
}
