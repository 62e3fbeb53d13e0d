package syncplan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haul-s3/haul/transfer"
)

// sides fills a fixture: src are the source's keys and dst the destination's, as files or
// objects depending on the direction; every one holds "12345".
func sides(t *testing.T, dir Direction, src, dst []string) *fixture {
	t.Helper()
	f := newFixture(t)
	files, objects := src, dst
	if dir == Down {
		files, objects = dst, src
	}
	for _, k := range files {
		f.file(k, "12345", tOld)
	}
	for _, k := range objects {
		f.foreign(k, "12345", base)
	}
	return f
}

// destKeys lists what the destination holds.
func (f *fixture) destKeys(dir Direction) []string {
	if dir == Up {
		return f.remoteKeys()
	}
	return f.localKeys()
}

func names(prefix string, n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return ks
}

// The guards are checked on the whole plan: a guard that trips deletes nothing, and the
// transfers are made all the same.
func TestGuards(t *testing.T) {
	limits := func(edit func(*Guards)) func(*Options) {
		return func(o *Options) {
			o.Delete = true
			edit(&o.Guards)
		}
	}
	none := func(*Guards) {}
	for _, c := range []struct {
		name     string
		dir      Direction
		src, dst []string
		opts     func(*Options)
		guard    string // the guard that trips; "" for none
		deletes  int
	}{
		{"empty source", Up, nil, []string{"a"}, limits(none), GuardEmptySource, 1},
		{"empty source, downloading", Down, nil, []string{"a"}, limits(none), GuardEmptySource, 1},
		{"empty source allowed", Up, nil, []string{"a"}, limits(func(g *Guards) { g.AllowEmptySource = true }), "", 1},
		{"empty source, empty destination", Up, nil, nil, limits(none), "", 0},
		{"max-delete exceeded", Up, []string{"keep", "new"}, []string{"keep", "x", "y", "z"}, limits(func(g *Guards) { g.MaxDelete = 2 }), GuardMaxDelete, 3},
		{"max-delete exceeded, downloading", Down, []string{"keep", "new"}, []string{"keep", "x", "y", "z"}, limits(func(g *Guards) { g.MaxDelete = 2 }), GuardMaxDelete, 3},
		{"max-delete reached", Up, []string{"keep"}, []string{"keep", "x", "y", "z"}, limits(func(g *Guards) { g.MaxDelete = 3 }), "", 3},
		{"max-delete 0, nothing to delete", Up, []string{"keep"}, []string{"keep"}, limits(func(g *Guards) { g.MaxDelete = 0 }), "", 0},
		{"max-delete-size exceeded", Up, []string{"keep", "new"}, []string{"keep", "x", "y", "z"}, limits(func(g *Guards) { g.MaxDeleteSize = 14 }), GuardMaxDeleteSize, 3},
		{"max-delete-size reached", Up, []string{"keep"}, []string{"keep", "x", "y", "z"}, limits(func(g *Guards) { g.MaxDeleteSize = 15 }), "", 3},
		{"percent, 99 destination keys: no guard", Up, []string{"keep"}, append([]string{"keep"}, names("x", 98)...),
			limits(func(g *Guards) { g.MaxDeletePercent = 50 }), "", 98},
		{"percent, 100 destination keys: guard", Up, []string{"keep", "new"}, append([]string{"keep"}, names("x", 99)...),
			limits(func(g *Guards) { g.MaxDeletePercent = 50 }), GuardPercent, 99},
		{"percent, exactly the limit", Up, names("k", 50), append(names("k", 50), names("x", 50)...),
			limits(func(g *Guards) { g.MaxDeletePercent = 50 }), "", 50},
		{"percent, one over the limit", Up, names("k", 49), append(names("k", 49), names("x", 51)...),
			limits(func(g *Guards) { g.MaxDeletePercent = 50 }), GuardPercent, 51},
		{"percent 100: no limit", Up, []string{"keep"}, append([]string{"keep"}, names("x", 199)...),
			limits(func(g *Guards) { g.MaxDeletePercent = 100 }), "", 199},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := sides(t, c.dir, c.src, c.dst)
			before := f.destKeys(c.dir)
			r := f.sync(c.dir, c.opts)
			if r.runErr != nil {
				t.Fatalf("run: %v", r.runErr)
			}
			if r.counts.Deletes != c.deletes || r.counts.Dest != len(c.dst) || r.counts.Source != len(c.src) {
				t.Errorf("counts %+v, want %d deletes of %d", r.counts, c.deletes, len(c.dst))
			}
			after := f.destKeys(c.dir)
			var ge *GuardError
			if c.guard == "" {
				if r.delErr != nil || len(r.deleted) != c.deletes {
					t.Fatalf("deletes: %v, deleted %v", r.delErr, r.deleted)
				}
				want := slices.Clone(c.src)
				slices.Sort(want)
				if !slices.Equal(after, want) {
					t.Errorf("destination holds %v, want %v", after, want)
				}
				return
			}
			if !errors.As(r.delErr, &ge) || ge.Guard != c.guard || ge.Deletes != c.deletes || ge.Dest != len(c.dst) {
				t.Fatalf("deletes: %v (%+v), want the %s guard", r.delErr, ge, c.guard)
			}
			for _, k := range before {
				if !slices.Contains(after, k) {
					t.Errorf("%s deleted though the guard tripped", k)
				}
			}
			if slices.Contains(c.src, "new") && !r.done["new"] {
				t.Errorf("the transfer of new was not made: %v", r.failed)
			}
		})
	}
}

// A zero Guards deletes nothing: MaxDelete 0 is a limit of none.
func TestGuardsZeroValueDeletesNothing(t *testing.T) {
	f := sides(t, Up, []string{"a"}, []string{"a", "b"})
	r := f.up(func(o *Options) { o.Delete, o.Guards = true, Guards{} })
	var ge *GuardError
	if !errors.As(r.delErr, &ge) || ge.Guard != GuardMaxDelete {
		t.Fatalf("deletes: %v", r.delErr)
	}
}

// A listing that fails, on either side, ends the merge, and Deletes returns its error:
// nothing is deleted.
func TestListingErrorDeletesNothing(t *testing.T) {
	broken := listError{retry: false}
	for _, c := range []struct {
		name     string
		dir      Direction
		src, dst []string
		prepare  func(f *fixture, o *Options)
		is       func(error) bool
	}{
		{"destination listing fails", Up, []string{"a", "n"}, []string{"a", "b", "c", "d"}, func(f *fixture, o *Options) {
			f.st.failList, f.st.failAfter, f.st.failLists = broken, 2, 100
		}, func(err error) bool { return errors.As(err, new(listError)) }},
		{"source listing fails", Down, []string{"a", "b", "c"}, []string{"a", "x", "y"}, func(f *fixture, o *Options) {
			f.st.failList, f.st.failAfter, f.st.failLists = broken, 2, 100
		}, func(err error) bool { return errors.As(err, new(listError)) }},
		{"source listing fails before its first key", Down, []string{"a"}, []string{"x"}, func(f *fixture, o *Options) {
			f.st.failList, f.st.failAfter, f.st.failLists = broken, 0, 100
		}, func(err error) bool { return errors.As(err, new(listError)) }},
		{"destination listing out of order", Up, []string{"a"}, []string{"b", "c", "d"}, func(f *fixture, o *Options) {
			f.st.disorder = true
		}, func(err error) bool { return errors.As(err, new(*OrderError)) }},
		{"source listing out of order", Down, []string{"b", "c"}, []string{"x"}, func(f *fixture, o *Options) {
			f.st.disorder = true
		}, func(err error) bool { return errors.As(err, new(*OrderError)) }},
		{"source directory missing", Up, nil, []string{"x"}, func(f *fixture, o *Options) {
			o.Local = filepath.Join(f.local, "missing")
		}, func(err error) bool { return errors.Is(err, os.ErrNotExist) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := sides(t, c.dir, c.src, c.dst)
			before := f.destKeys(c.dir)
			r := f.sync(c.dir, func(o *Options) {
				o.Delete = true
				c.prepare(f, o)
			})
			if !c.is(r.runErr) || !c.is(r.delErr) {
				t.Fatalf("run: %v; deletes: %v", r.runErr, r.delErr)
			}
			after := f.destKeys(c.dir)
			for _, k := range before {
				if !slices.Contains(after, k) {
					t.Errorf("%s deleted; the destination held %v, holds %v", k, before, after)
				}
			}
		})
	}
}

// A listing that fails retryably is listed again; the keys the failed attempt delivered are
// not paired twice, and the deletions go on.
func TestListingRetried(t *testing.T) {
	f := sides(t, Up, []string{"a", "n"}, []string{"a", "b", "c", "d"})
	f.st.failList, f.st.failAfter, f.st.failLists = listError{retry: true}, 2, 1
	r := f.up(func(o *Options) { o.Delete = true })
	if r.runErr != nil || r.delErr != nil {
		t.Fatalf("run: %v; deletes: %v", r.runErr, r.delErr)
	}
	if r.calls["List"] != 2 || !slices.Equal(r.deleted, []string{"b", "c", "d"}) || !slices.Equal(f.remoteKeys(), []string{"a", "n"}) {
		t.Errorf("%d listings, deleted %v, destination %v", r.calls["List"], r.deleted, f.remoteKeys())
	}
}

// A run that stops before the merge ends (the scheduler wants no more items) deletes
// nothing: keys not yet listed on the source would be taken for gone.
func TestStoppedRunDeletesNothing(t *testing.T) {
	f := sides(t, Up, []string{"a", "b", "c"}, []string{"x", "y"})
	e := transfer.New(f.st, transfer.Options{})
	s, err := New(e, f.st, Options{Dir: Up, Local: f.local, Remote: ref(""), Delete: true, Guards: noLimits})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	n := 0
	if err := s.Items(context.Background(), func(transfer.Item) bool { n++; return false }); err != nil {
		t.Fatalf("items: %v", err)
	}
	if produce, err := s.Deletes(); !errors.Is(err, ErrNoDeletes) || produce != nil || n != 1 {
		t.Fatalf("deletes after a stop: %v, %d items", err, n)
	}
}

// A failed transfer does not keep the other keys from being deleted.
func TestFailedTransferDoesNotBlockDeletes(t *testing.T) {
	f := sides(t, Up, []string{"bad", "good"}, []string{"old"})
	f.st.failPut = "p/bad"
	r := f.up(func(o *Options) { o.Delete = true })
	if !errors.Is(r.runErr, transfer.ErrSomeFailed) || r.failed["bad"] == nil || !r.done["good"] {
		t.Fatalf("run: %v; failed %v", r.runErr, r.failed)
	}
	if r.delErr != nil || !slices.Equal(r.deleted, []string{"old"}) {
		t.Fatalf("deletes: %v, deleted %v", r.delErr, r.deleted)
	}
	if _, ok := f.records()["bad"]; ok {
		t.Error("the failed upload was recorded in the state")
	}
}

// Keys of any bytes go through the spool of deletions unchanged.
func TestDeletesKeysOfAnyBytes(t *testing.T) {
	odd := []string{"a key with spaces", "new\nline", "quote\"d", "\xff\xfe not UTF-8", "tab\there", "é"}
	f := sides(t, Up, []string{"keep"}, append([]string{"keep"}, odd...))
	r := f.up(func(o *Options) { o.Delete = true })
	if r.runErr != nil || r.delErr != nil {
		t.Fatalf("run: %v; deletes: %v", r.runErr, r.delErr)
	}
	want := slices.Clone(odd)
	slices.Sort(want)
	if !slices.Equal(r.deleted, want) || !slices.Equal(f.remoteKeys(), []string{"keep"}) {
		t.Errorf("deleted %q; destination %q", r.deleted, f.remoteKeys())
	}
}

// excludeSuffix keeps the keys that do not end in its suffix.
type excludeSuffix string

func (x excludeSuffix) Match(rel string) bool { return !strings.HasSuffix(rel, string(x)) }

// Keys the filter leaves out are neither sent nor deleted, unless DeleteExcluded: then the
// destination's are deleted, even those the source holds too.
func TestDeleteExcluded(t *testing.T) {
	for _, c := range []struct {
		name             string
		dir              Direction
		deleteExcluded   bool
		deleted, remains []string
		dest             int
	}{
		{"up, kept", Up, false, []string{"old"}, []string{"a", "s.tmp", "x.tmp"}, 2},
		{"up, deleted", Up, true, []string{"old", "s.tmp", "x.tmp"}, []string{"a"}, 4},
		{"down, kept", Down, false, []string{"old"}, []string{"a", "s.tmp", "x.tmp"}, 2},
		{"down, deleted", Down, true, []string{"old", "s.tmp", "x.tmp"}, []string{"a"}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := sides(t, c.dir, []string{"a", "s.tmp", "t.tmp"}, []string{"a", "old", "s.tmp", "x.tmp"})
			r := f.sync(c.dir, func(o *Options) {
				o.Delete, o.DeleteExcluded, o.Filter = true, c.deleteExcluded, excludeSuffix(".tmp")
			})
			if r.runErr != nil || r.delErr != nil {
				t.Fatalf("run: %v; deletes: %v", r.runErr, r.delErr)
			}
			if len(r.items) != 0 || !slices.Equal(r.deleted, c.deleted) || !slices.Equal(f.destKeys(c.dir), c.remains) {
				t.Errorf("items %v, deleted %v, destination %v", r.order, r.deleted, f.destKeys(c.dir))
			}
			if r.counts.Source != 1 || r.counts.Dest != c.dest {
				t.Errorf("counts %+v", r.counts)
			}
		})
	}
}

// Directory markers (keys ending in "/" with no bytes) are ignored on both sides: not
// downloaded, deleted or counted.
func TestDirectoryMarkersIgnored(t *testing.T) {
	t.Run("destination", func(t *testing.T) {
		f := sides(t, Up, []string{"a"}, []string{"a", "old"})
		for _, m := range []string{"", "d/", "d/e/"} {
			f.foreign(m, "", base)
		}
		r := f.up(func(o *Options) { o.Delete = true })
		if r.runErr != nil || r.delErr != nil || !slices.Equal(r.deleted, []string{"old"}) || r.counts.Dest != 2 {
			t.Fatalf("run: %v; deletes: %v; deleted %v; counts %+v", r.runErr, r.delErr, r.deleted, r.counts)
		}
		if got := f.remoteKeys(); !slices.Equal(got, []string{"", "a", "d/", "d/e/"}) {
			t.Errorf("destination %q", got)
		}
	})
	t.Run("source", func(t *testing.T) {
		f := sides(t, Down, []string{"a"}, nil)
		for _, m := range []string{"", "d/", "e/"} {
			f.foreign(m, "", base)
		}
		r := f.down(func(o *Options) { o.Delete = true })
		if r.runErr != nil || r.delErr != nil || r.counts.Source != 1 || !slices.Equal(r.order, []string{"a"}) {
			t.Fatalf("run: %v; deletes: %v; items %v; counts %+v", r.runErr, r.delErr, r.order, r.counts)
		}
		if _, err := os.Stat(f.path("d")); err == nil {
			t.Error("a marker made a directory")
		}
	})
	t.Run("only markers: the source is empty", func(t *testing.T) {
		f := sides(t, Down, nil, []string{"x"})
		f.foreign("d/", "", base)
		r := f.down(func(o *Options) { o.Delete = true })
		var ge *GuardError
		if !errors.As(r.delErr, &ge) || ge.Guard != GuardEmptySource {
			t.Fatalf("deletes: %v", r.delErr)
		}
	})
	t.Run("non-empty key ending in / on the source fails", func(t *testing.T) {
		f := sides(t, Down, []string{"a"}, nil)
		f.foreign("x/", "data", base)
		r := f.down(nil)
		if it := r.items["x/"]; it.Err == nil || r.failed["x/"] == nil || !r.done["a"] {
			t.Errorf("item %+v, failed %v, done %v", it, r.failed, r.done)
		}
	})
	t.Run("non-empty key ending in / on the destination is kept", func(t *testing.T) {
		f := sides(t, Up, []string{"a"}, []string{"a"})
		f.foreign("x/", "data", base)
		r := f.up(func(o *Options) { o.Delete = true })
		if r.delErr != nil || len(r.deleted) != 0 {
			t.Fatalf("deletes: %v, deleted %v", r.delErr, r.deleted)
		}
	})
	t.Run("non-empty key ending in / on the destination is reported", func(t *testing.T) {
		f := sides(t, Up, []string{"a"}, []string{"a"})
		f.foreign("x/", "data", base)
		r := f.up(func(o *Options) { o.Delete = true })
		if len(r.notes) != 1 || r.notes[0].Key != "x/" {
			t.Errorf("notes %+v", r.notes)
		}
	})
}

// Downloading, the deletions remove the directories they leave empty, never the root and
// never a directory that still holds something.
func TestDeletesRemoveEmptiedDirectories(t *testing.T) {
	dirs := func(f *fixture) []string {
		var ds []string
		_ = filepath.WalkDir(f.local, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && p != f.local {
				rel, _ := filepath.Rel(f.local, p)
				ds = append(ds, filepath.ToSlash(rel))
			}
			return err
		})
		return ds
	}
	t.Run("some", func(t *testing.T) {
		f := sides(t, Down, []string{"a/d.txt", "keep.txt"}, []string{"a/b/c.txt", "a/b.txt", "a/d.txt", "e/f/g.txt", "h.txt", "keep.txt"})
		if err := os.Mkdir(f.path("empty"), 0o755); err != nil { // not the deletions' to remove
			t.Fatal(err)
		}
		r := f.down(func(o *Options) { o.Delete = true })
		if r.runErr != nil || r.delErr != nil {
			t.Fatalf("run: %v; deletes: %v", r.runErr, r.delErr)
		}
		if got := f.localKeys(); !slices.Equal(got, []string{"a/d.txt", "keep.txt"}) {
			t.Errorf("files %v", got)
		}
		if got := dirs(f); !slices.Equal(got, []string{"a", "empty"}) {
			t.Errorf("directories %v, want a and empty", got)
		}
	})
	t.Run("all", func(t *testing.T) {
		f := sides(t, Down, nil, []string{"x/y/z", "x/w"})
		r := f.down(func(o *Options) { o.Delete, o.Guards.AllowEmptySource = true, true })
		if r.runErr != nil || r.delErr != nil || len(r.deleted) != 2 {
			t.Fatalf("run: %v; deletes: %v; deleted %v", r.runErr, r.delErr, r.deleted)
		}
		if got := dirs(f); len(got) != 0 {
			t.Errorf("directories %v left", got)
		}
		if _, err := os.Stat(f.local); err != nil {
			t.Errorf("the root: %v", err)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		f := sides(t, Down, []string{"keep"}, []string{"keep", "x/y/z"})
		r := f.down(func(o *Options) { o.Delete, o.DryRun = true, true })
		if r.delErr != nil || !slices.Equal(r.deleted, []string{"x/y/z"}) || !slices.Equal(f.localKeys(), []string{"keep", "x/y/z"}) {
			t.Errorf("deletes: %v; planned %v; files %v", r.delErr, r.deleted, f.localKeys())
		}
	})
}
