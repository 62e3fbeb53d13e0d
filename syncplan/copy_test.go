package syncplan

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// Syncs between two S3 locations: the source is the prefix "q/" of bucket "a", on the
// fixture's store or, with f.src, on a store of its own (another server); the destination
// is "p/" of bucket "b" as in the other tests.

func srcRef(rel string) object.Ref { return object.Ref{Bucket: "a", Key: "q/" + rel} }

// sourceMem is the memstore that holds the source: its own, or the destination's.
func (f *fixture) sourceMem() *memstore.Store {
	if f.src != nil {
		return f.src.Store
	}
	return f.mem
}

// withSource gives the fixture's store (or, when apart, a new store of its own) the bucket
// "a" of the source.
func withSource(t *testing.T, apart bool) *fixture {
	t.Helper()
	f := newFixture(t)
	if apart {
		mem := memstore.New(memstore.Config{Buckets: []string{"a"}, MinPartSize: -1, Now: func() time.Time {
			f.clockMu.Lock()
			defer f.clockMu.Unlock()
			return f.clock
		}})
		f.src = &countingStore{Store: mem, calls: map[string]int{}}
		return f
	}
	if err := f.mem.CreateBucket(context.Background(), "a", ""); err != nil {
		t.Fatal(err)
	}
	return f
}

// put stores content at r on mem at time at, with meta; in parts (two) when parts is set,
// so that its ETag is not an MD5.
func (f *fixture) put(mem *memstore.Store, r object.Ref, content string, at time.Time, meta map[string]string, parts bool) {
	f.t.Helper()
	f.at(at)
	defer f.at(base)
	ctx := context.Background()
	o := &object.Options{Metadata: meta}
	if !parts {
		if _, err := mem.PutObject(ctx, r, strings.NewReader(content), int64(len(content)), o, object.Checksum{}); err != nil {
			f.t.Fatal(err)
		}
		return
	}
	id, err := mem.CreateMultipartUpload(ctx, r, o)
	if err != nil {
		f.t.Fatal(err)
	}
	half := len(content) / 2
	var ps []object.Part
	for i, p := range []string{content[:half], content[half:]} {
		etag, err := mem.UploadPart(ctx, r, id, int32(i+1), bytes.NewReader([]byte(p)), int64(len(p)), object.Checksum{})
		if err != nil {
			f.t.Fatal(err)
		}
		ps = append(ps, object.Part{Number: int32(i + 1), ETag: etag, Size: int64(len(p))})
	}
	if _, err := mem.CompleteMultipartUpload(ctx, r, id, ps); err != nil {
		f.t.Fatal(err)
	}
}

// haulMeta is the metadata haul uploads with: haul-mtime and haul-checksum of content.
func haulMeta(t *testing.T, content string, mtime time.Time) map[string]string {
	sum := crc32c(t, content)
	return map[string]string{
		transfer.MtimeMetadata:    strconv.FormatInt(mtime.UnixNano(), 10),
		transfer.ChecksumMetadata: sum.Algorithm + ":" + sum.Value,
	}
}

// copySync runs a sync from s3://a/q/ to s3://b/p/.
func (f *fixture) copySync(edit func(*Options)) result {
	f.t.Helper()
	return f.sync(Copy, func(o *Options) {
		o.Source, o.StatePath = object.Ref{Bucket: "a", Key: "q/"}, ""
		if edit != nil {
			edit(o)
		}
	})
}

func TestCopySyncNewChangedUnchanged(t *testing.T) {
	for _, apart := range []bool{false, true} {
		name := "one server"
		if apart {
			name = "two servers"
		}
		t.Run(name, func(t *testing.T) {
			f := withSource(t, apart)
			sm := f.sourceMem()
			f.put(sm, srcRef("new.txt"), "brand new", base, nil, false)
			f.put(sm, srcRef("grown.txt"), "longer now", base, nil, false)
			f.put(f.mem, ref("grown.txt"), "short", base, nil, false)
			f.put(sm, srcRef("same.txt"), "same bytes", tOld, nil, false)
			f.put(f.mem, ref("same.txt"), "same bytes", base, nil, false)
			f.put(sm, srcRef("edited.txt"), "12345", tOld, nil, false) // same size, other bytes: MD5 ETags differ
			f.put(f.mem, ref("edited.txt"), "54321", base, nil, false)
			f.put(f.mem, ref("old.txt"), "gone at the source", base, nil, false)
			f.put(f.mem, object.Ref{Bucket: "b", Key: "p2/sibling.txt"}, "not under p/", base, nil, false)

			r := f.copySync(func(o *Options) { o.Delete = true })
			if r.runErr != nil || r.delErr != nil {
				t.Fatalf("run %v, deletes %v", r.runErr, r.delErr)
			}
			want := map[string]string{"new.txt": "new", "grown.txt": "size 5 B -> 10 B", "edited.txt": "md5 differs"}
			for k, reason := range want {
				if got := r.sent(k); got != reason || !r.done[k] || r.items[k].Op != transfer.Copy {
					t.Errorf("%s: %s %q done %v, want a copy because %q", k, r.items[k].Op, got, r.done[k], reason)
				}
				content, _ := sm.Object(srcRef(k))
				if got, _ := f.stored(k); got != string(content.Data) {
					t.Errorf("%s holds %q, want %q", k, got, content.Data)
				}
			}
			if len(r.items) != len(want) {
				t.Errorf("items %v, want the copies of %v only", r.order, want)
			}
			if !slices.Equal(r.deleted, []string{"old.txt"}) {
				t.Errorf("deleted %v, want old.txt only", r.deleted)
			}
			if _, ok := f.mem.Object(object.Ref{Bucket: "b", Key: "p2/sibling.txt"}); !ok {
				t.Error("p2/sibling.txt, beside the prefix, was deleted")
			}
			if r.counts.UnchangedBy[ByETag] != 1 || r.counts.Heads != 2 {
				t.Errorf("unchanged %v, %d HEAD; want same.txt by its ETag, and 2 HEAD (edited.txt's sides)", r.counts.UnchangedBy, r.counts.Heads)
			}
			copies := r.calls["CopyObject"]
			if apart {
				copies = r.calls["PutObject"]
			}
			if copies != 3 {
				t.Errorf("requests %v: want 3 copies (CopyObject on one server, PutObject on two)", r.calls)
			}

			r = f.copySync(func(o *Options) { o.Delete = true })
			if len(r.items) != 0 || len(r.deleted) != 0 || r.counts.Unchanged != 4 || r.counts.Heads != 0 {
				t.Errorf("second run: items %v, deleted %v, %d unchanged %v, %d HEAD; want nothing, 4 unchanged by ETag, 0 HEAD",
					r.order, r.deleted, r.counts.Unchanged, r.counts.UnchangedBy, r.counts.Heads)
			}
		})
	}
}

// Pairs of the same size whose ETags differ: decided by a checksum both have, then the
// times.
func TestCopySyncDecisions(t *testing.T) {
	for _, c := range []struct {
		name     string
		src, dst func(f *fixture) // store "k" on each side
		opts     func(*Options)
		reason   string // the copy's reason, or "" for unchanged
		by       string // unchanged: by this rule
		heads    int
	}{
		{"haul checksums equal (a copy in parts)",
			func(f *fixture) {
				f.put(f.sourceMem(), srcRef("k"), "0123456789", tOld, haulMeta(t, "0123456789", tOld), false)
			},
			func(f *fixture) { f.put(f.mem, ref("k"), "0123456789", base, haulMeta(t, "0123456789", tOld), true) },
			nil, "", BySum, 2},
		{"haul checksums differ",
			func(f *fixture) {
				f.put(f.sourceMem(), srcRef("k"), "0123456789", tOld, haulMeta(t, "0123456789", tOld), false)
			},
			func(f *fixture) { f.put(f.mem, ref("k"), "9876543210", base, haulMeta(t, "9876543210", tOld), true) },
			nil, "crc32c differs", "", 2},
		{"no checksum, destination newer: assumed the same",
			func(f *fixture) { f.put(f.sourceMem(), srcRef("k"), "0123456789", tOld, nil, true) },
			func(f *fixture) { f.put(f.mem, ref("k"), "9876543210", base, nil, true) },
			nil, "", ByAssumed, 2},
		{"no checksum, source newer: copied",
			func(f *fixture) { f.put(f.sourceMem(), srcRef("k"), "0123456789", tNew, nil, true) },
			func(f *fixture) { f.put(f.mem, ref("k"), "9876543210", tOld, nil, true) },
			nil, "changed: source modified", "", 2},
		{"no checksum in common, --checksum: unverifiable",
			func(f *fixture) { f.put(f.sourceMem(), srcRef("k"), "0123456789", tOld, nil, false) },
			func(f *fixture) { f.put(f.mem, ref("k"), "0123456789", base, nil, true) },
			func(o *Options) { o.Checksum = true }, "unverifiable", "", 2},
		{"equal ETags under --checksum",
			func(f *fixture) { f.put(f.sourceMem(), srcRef("k"), "0123456789", tOld, nil, true) },
			func(f *fixture) { f.put(f.mem, ref("k"), "0123456789", base, nil, true) },
			nil, "", ByETag, 0},
		{"haul-mtime equal, no checksum, source newer",
			func(f *fixture) {
				f.put(f.sourceMem(), srcRef("k"), "0123456789", tNew, map[string]string{transfer.MtimeMetadata: "1000"}, true)
			},
			func(f *fixture) {
				f.put(f.mem, ref("k"), "9876543210", tOld, map[string]string{transfer.MtimeMetadata: "1000"}, true)
			},
			nil, "", ByMtime, 2},
		{"--size-only",
			func(f *fixture) { f.put(f.sourceMem(), srcRef("k"), "0123456789", tNew, nil, false) },
			func(f *fixture) { f.put(f.mem, ref("k"), "9876543210", tOld, nil, false) },
			func(o *Options) { o.SizeOnly = true }, "", BySize, 0},
		{"--update keeps a newer destination of another size",
			func(f *fixture) { f.put(f.sourceMem(), srcRef("k"), "0123456789", tOld, nil, false) },
			func(f *fixture) { f.put(f.mem, ref("k"), "short", tNew, nil, false) },
			func(o *Options) { o.Update = true }, "", ByNewer, 0},
		{"--ignore-existing",
			func(f *fixture) { f.put(f.sourceMem(), srcRef("k"), "0123456789", tNew, nil, false) },
			func(f *fixture) { f.put(f.mem, ref("k"), "short", tOld, nil, false) },
			func(o *Options) { o.IgnoreExisting = true }, "", ByExisting, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := withSource(t, false)
			c.src(f)
			c.dst(f)
			r := f.copySync(c.opts)
			if r.runErr != nil {
				t.Fatal(r.runErr)
			}
			switch got := r.sent("k"); {
			case c.reason == "" && got != "":
				t.Errorf("copied because %q, want unchanged by %q", got, c.by)
			case c.reason == "" && r.counts.UnchangedBy[c.by] != 1:
				t.Errorf("unchanged %v, want by %q", r.counts.UnchangedBy, c.by)
			case c.reason != "" && (!strings.HasPrefix(got, c.reason) || !r.done["k"]):
				t.Errorf("copy reason %q done %v, want %q...", got, r.done["k"], c.reason)
			}
			if r.counts.Heads != c.heads {
				t.Errorf("%d HEAD, want %d", r.counts.Heads, c.heads)
			}
		})
	}
}

// --delete between two S3 locations has the guards of every sync, and deletes nothing
// after a failed listing.
func TestCopySyncDeleteGuards(t *testing.T) {
	del := func(edit func(*Guards)) func(*Options) {
		return func(o *Options) {
			o.Delete = true
			if edit != nil {
				edit(&o.Guards)
			}
		}
	}
	for _, c := range []struct {
		name    string
		src     []string
		opts    func(*Options)
		guard   string
		deleted int
	}{
		{"empty source", nil, del(nil), GuardEmptySource, 0},
		{"empty source allowed", nil, del(func(g *Guards) { g.AllowEmptySource = true }), "", 3},
		{"max-delete", []string{"keep"}, del(func(g *Guards) { g.MaxDelete = 1 }), GuardMaxDelete, 0},
		{"max-delete-size", []string{"keep"}, del(func(g *Guards) { g.MaxDeleteSize = 9 }), GuardMaxDeleteSize, 0},
		{"within the limits", []string{"keep"}, del(func(g *Guards) { g.MaxDelete, g.MaxDeleteSize = 2, 10 }), "", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := withSource(t, false)
			for _, k := range c.src {
				f.put(f.mem, srcRef(k), "12345", base, nil, false)
			}
			for _, k := range []string{"keep", "x", "y"} {
				f.put(f.mem, ref(k), "12345", base, nil, false)
			}
			r := f.copySync(c.opts)
			var ge *GuardError
			switch {
			case c.guard == "" && r.delErr != nil:
				t.Fatalf("deletes refused: %v", r.delErr)
			case c.guard != "" && (!errors.As(r.delErr, &ge) || ge.Guard != c.guard):
				t.Fatalf("deletes %v, want the guard %s", r.delErr, c.guard)
			}
			if len(r.deleted) != c.deleted || len(f.remoteKeys()) != 3-c.deleted {
				t.Errorf("deleted %v, %v left; want %d deleted", r.deleted, f.remoteKeys(), c.deleted)
			}
		})
	}

	t.Run("percent", func(t *testing.T) {
		f := withSource(t, false)
		for _, k := range names("k", 120) {
			f.put(f.mem, ref(k), "12345", base, nil, false)
			if k < "k050" {
				f.put(f.mem, srcRef(k), "12345", base, nil, false)
			}
		}
		r := f.copySync(del(func(g *Guards) { g.MaxDeletePercent = 50 }))
		var ge *GuardError
		if !errors.As(r.delErr, &ge) || ge.Guard != GuardPercent || len(r.deleted) != 0 {
			t.Fatalf("deletes %v, deleted %d: want the percent guard and none", r.delErr, len(r.deleted))
		}
	})

	t.Run("source listing fails", func(t *testing.T) {
		f := withSource(t, true)
		f.put(f.src.Store, srcRef("a"), "12345", base, nil, false)
		f.put(f.src.Store, srcRef("b"), "12345", base, nil, false)
		f.put(f.mem, ref("x"), "12345", base, nil, false)
		f.src.failList, f.src.failAfter, f.src.failLists = listError{}, 1, 10
		r := f.copySync(del(nil))
		if r.delErr == nil || len(r.deleted) != 0 || !slices.Contains(f.remoteKeys(), "x") {
			t.Fatalf("deletes %v, deleted %v: want the listing's error and nothing deleted", r.delErr, r.deleted)
		}
	})
}

// Filters apply to both sides; excluded destination keys are deleted only with
// DeleteExcluded.
func TestCopySyncFilters(t *testing.T) {
	f := withSource(t, false)
	f.put(f.mem, srcRef("a.txt"), "a", base, nil, false)
	f.put(f.mem, srcRef("b.tmp"), "b", base, nil, false)
	f.put(f.mem, ref("old.tmp"), "old", base, nil, false)
	f.put(f.mem, ref("old.txt"), "old", base, nil, false)
	noTmp := excludeSuffix(".tmp")
	r := f.copySync(func(o *Options) { o.Delete, o.Filter = true, noTmp })
	if !slices.Equal(r.order, []string{"a.txt"}) || !slices.Equal(r.deleted, []string{"old.txt"}) {
		t.Fatalf("copied %v, deleted %v; want a.txt copied and old.txt deleted", r.order, r.deleted)
	}
	r = f.copySync(func(o *Options) { o.Delete, o.Filter, o.DeleteExcluded = true, noTmp, true })
	if len(r.order) != 0 || !slices.Equal(r.deleted, []string{"old.tmp"}) {
		t.Fatalf("copied %v, deleted %v; want old.tmp deleted (--delete-excluded)", r.order, r.deleted)
	}
}

// A dry run plans the copies and deletions and carries out none.
func TestCopySyncDryRun(t *testing.T) {
	f := withSource(t, false)
	f.put(f.mem, srcRef("new"), "new", base, nil, false)
	f.put(f.mem, ref("old"), "old", base, nil, false)
	r := f.copySync(func(o *Options) { o.Delete, o.DryRun = true, true })
	if r.sent("new") != "new" || !slices.Equal(r.deleted, []string{"old"}) {
		t.Fatalf("plan: %v, deletions %v", r.order, r.deleted)
	}
	if !slices.Equal(f.remoteKeys(), []string{"old"}) || r.calls["CopyObject"]+r.calls["DeleteObjects"] != 0 {
		t.Errorf("the dry run changed the destination: %v, requests %v", f.remoteKeys(), r.calls)
	}
}

// Keys no local file could have are ordinary keys between two S3 locations, but for a ".."
// segment, which a copy refuses to write (as cp does): that item fails.
func TestCopySyncAnyKey(t *testing.T) {
	f := withSource(t, false)
	for _, k := range []string{"a//b", "../x", "odd/"} {
		f.put(f.mem, srcRef(k), "12345", base, nil, false)
	}
	r := f.copySync(nil)
	if !r.done["a//b"] || !r.done["odd/"] || len(r.done) != 2 || r.failed["../x"] == nil || len(r.failed) != 1 {
		t.Fatalf("done %v, failed %v: want a//b and odd/ copied, ../x failed", r.done, r.failed)
	}
}

func TestCopySyncKeepsNoState(t *testing.T) {
	f := newFixture(t)
	e := transfer.New(f.st, transfer.Options{})
	_, err := New(e, f.st, Options{Dir: Copy, Source: srcRef(""), Remote: ref(""), StatePath: f.state})
	if err == nil {
		t.Fatal("a sync between two S3 locations took a state file")
	}
}
