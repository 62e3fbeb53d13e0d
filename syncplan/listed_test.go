package syncplan

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/transfer"
)

// A sync with a list looks only at the listed names, on both sides: a listed name only the
// source holds is sent, one only the destination holds is deleted with --delete and a
// failed item without it, one neither holds is nothing with --delete, a refused one fails;
// what is not listed is neither sent nor deleted. The list comes unsorted, with a
// duplicate.
func TestListedSync(t *testing.T) {
	const list = "x/y\ngone\nmissing\na\nc d\na\n../bad\nb\n# comment\n"
	for _, dir := range []Direction{Up, Down} {
		for _, del := range []bool{false, true} {
			name := map[Direction]string{Up: "up", Down: "down"}[dir]
			if del {
				name += " --delete"
			}
			t.Run(name, func(t *testing.T) {
				f := sides(t, dir, []string{"a", "b", "c d", "x/y", "unlisted-src"}, []string{"b", "gone", "unlisted-dst"})
				r := f.sync(dir, func(o *Options) {
					o.List = filelist.Lines(strings.NewReader(list))
					o.Delete = del
				})
				sent := slices.Sorted(maps.Keys(r.done))
				if want := []string{"a", "c d", "x/y"}; !slices.Equal(sent, want) {
					t.Errorf("sent %q, want %q", sent, want)
				}
				wantFailed := []string{"../bad", "gone", "missing"}
				wantDeleted := []string(nil)
				if del {
					wantFailed, wantDeleted = []string{"../bad"}, []string{"gone"}
				}
				if failed := slices.Sorted(maps.Keys(r.failed)); !slices.Equal(failed, wantFailed) {
					t.Errorf("failed %q, want %q", failed, wantFailed)
				}
				if !del && !errors.Is(r.failed["gone"], ErrNotInSource) {
					t.Errorf("gone: %v", r.failed["gone"])
				}
				if !slices.Equal(r.deleted, wantDeleted) {
					t.Errorf("deleted %q, want %q", r.deleted, wantDeleted)
				}
				if r.delErr != nil {
					t.Errorf("Deletes: %v", r.delErr)
				}
				dest := f.destKeys(dir)
				for _, k := range []string{"unlisted-dst", "b"} {
					if !slices.Contains(dest, k) {
						t.Errorf("the destination lost %q: %q", k, dest)
					}
				}
				if slices.Contains(dest, "unlisted-src") {
					t.Errorf("the unlisted unlisted-src was sent")
				}
				if r.counts.Source != 4 || r.counts.Dest != 2 {
					t.Errorf("counted %d source and %d destination keys, want the listed 4 and 2", r.counts.Source, r.counts.Dest)
				}
			})
		}
	}
}

// The guards apply to the listed keys: a list whose names the source holds none of, with
// --delete, trips the empty-source guard.
func TestListedSyncGuards(t *testing.T) {
	f := sides(t, Up, []string{"a"}, []string{"gone", "other"})
	r := f.up(func(o *Options) {
		o.List = filelist.Lines(strings.NewReader("gone\n"))
		o.Delete = true
	})
	var ge *GuardError
	if !errors.As(r.delErr, &ge) || ge.Guard != GuardEmptySource || len(r.deleted) != 0 {
		t.Fatalf("Deletes: %v, deleted %q; want the empty-source guard", r.delErr, r.deleted)
	}
}

// Between two S3 locations, on one server or two, a list works as up and down: each name a
// HEAD on each side, only listed keys copied or deleted.
func TestListedCopySync(t *testing.T) {
	for _, apart := range []bool{false, true} {
		t.Run(map[bool]string{false: "one server", true: "two servers"}[apart], func(t *testing.T) {
			f := withSource(t, apart)
			for _, k := range []string{"a", "b c", "unlisted"} {
				f.put(f.sourceMem(), srcRef(k), "12345", base, nil, false)
			}
			for _, k := range []string{"gone", "kept"} {
				f.put(f.mem, ref(k), "12345", base, nil, false)
			}
			r := f.copySync(func(o *Options) {
				o.List = filelist.Lines(strings.NewReader("gone\nb c\nmissing\na\n"))
			})
			if sent := slices.Sorted(maps.Keys(r.done)); !slices.Equal(sent, []string{"a", "b c"}) {
				t.Errorf("copied %q", sent)
			}
			if failed := slices.Sorted(maps.Keys(r.failed)); !slices.Equal(failed, []string{"gone", "missing"}) {
				t.Errorf("failed %q", failed)
			}
			if it := r.items["missing"]; it.Op != transfer.Copy || it.Source != srcRef("missing") {
				t.Errorf("the failed item of missing: %+v", it)
			}
			r = f.copySync(func(o *Options) {
				o.List = filelist.Lines(strings.NewReader("gone\nb c\nmissing\na\n"))
				o.Delete = true
			})
			if len(r.done) != 0 || len(r.failed) != 0 || !slices.Equal(r.deleted, []string{"gone"}) {
				t.Errorf("with --delete: copied %v, failed %v, deleted %q; want only gone deleted", r.done, r.failed, r.deleted)
			}
			if got := f.remoteKeys(); !slices.Equal(got, []string{"a", "b c", "kept"}) {
				t.Errorf("the destination holds %q", got)
			}
		})
	}
}
