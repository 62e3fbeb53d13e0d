//go:build unix

package transfer

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
)

// linkTree makes a tree with a file, a link to it, a link to a directory, a loop, a
// broken link and a named pipe.
func linkTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), randomBytes(10, 1))
	writeFile(t, filepath.Join(dir, "d", "x"), randomBytes(20, 2))
	for link, target := range map[string]string{"alink": "a", "dlink": "d", "d/loop": "..", "broken": "nowhere"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A tree's links are followed by default: a broken one fails its item, a loop and a named
// pipe are Ignored (reported, not failed); with NoFollowSymlinks every link is Ignored,
// the broken one too, and the run has no error.
func TestTreeItemsLinks(t *testing.T) {
	for _, tt := range []struct {
		name        string
		noFollow    bool
		keys        []string
		ignored     map[string]localfs.SkipKind // path relative to the tree -> kind
		failed      []string
		wantItemErr bool
	}{
		{"follow", false, []string{"p/a", "p/alink", "p/d/x", "p/dlink/x"},
			map[string]localfs.SkipKind{"d/loop": localfs.SkipLoop, "dlink/loop": localfs.SkipLoop, "pipe": localfs.SkipSpecial},
			[]string{"broken"}, true},
		{"no-follow", true, []string{"p/a", "p/d/x"},
			map[string]localfs.SkipKind{"alink": localfs.SkipLink, "broken": localfs.SkipLink, "d/loop": localfs.SkipLink, "dlink": localfs.SkipLink, "pipe": localfs.SkipSpecial},
			nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := linkTree(t)
			fs := newFake()
			e := New(fs, fastOpts(Options{}))
			ignored := map[string]localfs.SkipKind{}
			var failed []string
			obs := ObserverFunc(func(ev Event) {
				rel, _ := filepath.Rel(dir, ev.Item.Path)
				switch ev.Kind {
				case Ignored:
					var skip *localfs.SkipError
					if !errors.As(ev.Err, &skip) || !errors.Is(ev.Item.Skip, skip) {
						t.Errorf("%s: Ignored with Err %v, Skip %v", rel, ev.Err, ev.Item.Skip)
						return
					}
					ignored[filepath.ToSlash(rel)] = skip.Kind
				case Failed:
					failed = append(failed, filepath.ToSlash(rel))
				}
			})
			produce := TreeItemsWith(dir, object.Ref{Bucket: "b", Key: "p/"}, TreeOptions{NoFollowSymlinks: tt.noFollow})
			sum, err := e.Run(context.Background(), produce, WithObserver(obs))
			if got := slices.Sorted(maps.Keys(fs.objects)); !slices.Equal(got, prefixed("b/", tt.keys)) {
				t.Errorf("stored %v, want %v", got, tt.keys)
			}
			if !maps.Equal(ignored, tt.ignored) || sum.Ignored != len(tt.ignored) {
				t.Errorf("ignored %v (%d counted), want %v", ignored, sum.Ignored, tt.ignored)
			}
			if !slices.Equal(failed, tt.failed) || sum.Failed != len(tt.failed) || sum.Done != len(tt.keys) {
				t.Errorf("failed %v; summary %+v", failed, sum)
			}
			if tt.wantItemErr != errors.Is(err, ErrSomeFailed) || !tt.wantItemErr && err != nil {
				t.Errorf("run error %v", err)
			}
		})
	}
}

func prefixed(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

// A dry run's requests for an ignored item are none.
func TestRequestsOfIgnoredItemAreNone(t *testing.T) {
	e := New(newFake(), fastOpts(Options{}))
	q, err := e.Requests(Item{Op: Upload, Path: "l", Object: object.Ref{Bucket: "b", Key: "l"}, Size: -1, Move: true,
		Skip: &localfs.SkipError{Path: "l", Kind: localfs.SkipLink}})
	if err != nil || q.String() != "none" {
		t.Fatalf("requests %s, %v; want none", q, err)
	}
}
