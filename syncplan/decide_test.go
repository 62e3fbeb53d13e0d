package syncplan

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// ruleWant is what a sync should decide for the key "k".
type ruleWant struct {
	send   string // the transfer's reason (a prefix of it); "" when k is unchanged
	by     string // the rule that found k unchanged
	heads  int    // HeadObject requests
	hashed int    // local files read
}

type ruleCase struct {
	name  string
	setup func(f *fixture)
	opts  func(o *Options)
	want  ruleWant
	check func(t *testing.T, f *fixture, r result) // more to check, if set
}

func checksumOn(o *Options) { o.Checksum = true }
func noState(o *Options)    { o.StatePath = "" }

// runRule syncs once in dir after setup and checks the decision on "k".
func runRule(t *testing.T, dir Direction, c ruleCase) {
	f := newFixture(t)
	c.setup(f)
	r := f.sync(dir, c.opts)
	if r.runErr != nil || r.delErr != nil {
		t.Fatalf("run: %v; deletes: %v", r.runErr, r.delErr)
	}
	it, sent := r.items["k"]
	switch {
	case c.want.send != "" && !sent:
		t.Errorf("k not sent (unchanged by %v), want sent: %q", r.counts.UnchangedBy, c.want.send)
	case c.want.send != "" && !strings.HasPrefix(it.Reason, c.want.send):
		t.Errorf("k sent because %q, want %q", it.Reason, c.want.send)
	case c.want.send == "" && sent:
		t.Errorf("k sent because %q, want unchanged by %q", it.Reason, c.want.by)
	case c.want.send == "" && r.counts.UnchangedBy[c.want.by] != 1:
		t.Errorf("unchanged by %v, want by %q", r.counts.UnchangedBy, c.want.by)
	}
	if sent && !r.done["k"] {
		t.Errorf("k's transfer not done: %v", r.failed["k"])
	}
	if r.counts.Heads != c.want.heads || r.calls["HeadObject"] != c.want.heads {
		t.Errorf("%d HEAD counted, %d made; want %d", r.counts.Heads, r.calls["HeadObject"], c.want.heads)
	}
	if r.counts.Hashed != c.want.hashed {
		t.Errorf("%d files hashed, want %d", r.counts.Hashed, c.want.hashed)
	}
	if !sent && r.calls["PutObject"]+r.calls["GetObject"]+r.calls["CreateMultipartUpload"] != 0 {
		t.Errorf("unchanged, yet requests %v", r.calls)
	}
	if c.check != nil {
		c.check(t, f, r)
	}
}

// SYNC.md section 3's decision table, uploading: each rule, deciding both ways.
func TestDecideUpload(t *testing.T) {
	// uploaded puts k up with haul (no state), so that it carries haul's metadata.
	uploaded := func(f *fixture, content string, mtime time.Time) {
		f.file("k", content, mtime)
		if r := f.up(noState); !r.done["k"] {
			f.t.Fatalf("first upload: %v %v", r.runErr, r.failed)
		}
	}
	for _, c := range []ruleCase{
		{name: "new", setup: func(f *fixture) { f.file("k", "hello", tOld) }, want: ruleWant{send: "new"}},
		{name: "size differs", setup: func(f *fixture) {
			f.file("k", "hello", tOld)
			f.haulObject("k", "hi", tOld, base)
		}, want: ruleWant{send: "size 2 B -> 5 B"}},
		{name: "state matches both sides", setup: func(f *fixture) {
			f.file("k", "hello", tOld)
			f.up(nil) // recorded by the upload
		}, want: ruleWant{by: ByState}},
		{name: "haul-mtime equal", setup: func(f *fixture) {
			uploaded(f, "hello", tOld)
		}, want: ruleWant{by: ByMtime, heads: 1}},
		{name: "haul-mtime equal, same size, other bytes: mtime decides", setup: func(f *fixture) {
			f.file("k", "jello", tOld)
			f.haulObject("k", "hello", tOld, base)
		}, want: ruleWant{by: ByMtime, heads: 1}},
		{name: "touched: haul-checksum equal", setup: func(f *fixture) {
			uploaded(f, "hello", tOld)
			f.touch("k", tNew)
		}, want: ruleWant{by: BySum, heads: 1, hashed: 1}, check: func(t *testing.T, f *fixture, r result) {
			rec := f.records()["k"]
			if rec.Sum != crc32c(t, "hello") || rec.Mtime != tNew.UnixNano() {
				t.Errorf("record %+v, want the sum and the new mtime", rec)
			}
		}},
		{name: "touched and changed: haul-checksum differs", setup: func(f *fixture) {
			uploaded(f, "hello", tOld)
			f.file("k", "jello", tNew)
		}, want: ruleWant{send: "CRC32C differs", heads: 1, hashed: 1}},
		{name: "foreign, newer than the file", setup: func(f *fixture) {
			f.file("k", "hello", tOld)
			f.foreign("k", "jello", base)
		}, want: ruleWant{by: ByAssumed, heads: 1}, check: func(t *testing.T, f *fixture, r result) {
			if _, ok := f.records()["k"]; ok {
				t.Error("an assumed-same key was recorded in the state")
			}
		}},
		{name: "foreign, LastModified in the file's second but before its mtime", setup: func(f *fixture) {
			f.file("k", "hello", tOld)
			f.foreign("k", "jello", tOld.Truncate(time.Second))
		}, want: ruleWant{send: "MD5 differs", heads: 1, hashed: 1}},
		{name: "foreign, older: MD5 ETag equal", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			f.foreign("k", "hello", tOld)
		}, want: ruleWant{by: BySum, heads: 1, hashed: 1}, check: func(t *testing.T, f *fixture, r result) {
			if rec := f.records()["k"]; rec.Sum.Algorithm != object.ChecksumMD5 {
				t.Errorf("record %+v, want an MD5 sum", rec)
			}
		}},
		{name: "foreign, older: MD5 ETag differs", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			f.foreign("k", "jello", tOld)
		}, want: ruleWant{send: "MD5 differs", heads: 1, hashed: 1}},
		{name: "foreign, older: server checksum equal", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			f.object("k", "hello", tOld, nil, crc32c(t, "hello"))
		}, want: ruleWant{by: BySum, heads: 1, hashed: 1}},
		{name: "foreign, older, multipart: nothing to compare", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			f.multipart("k", "hello", tOld)
		}, want: ruleWant{send: "changed: file modified", heads: 1}},
		{name: "--checksum: haul-mtime equal is not enough", setup: func(f *fixture) {
			uploaded(f, "hello", tOld)
		}, opts: checksumOn, want: ruleWant{by: BySum, heads: 1, hashed: 1}},
		{name: "--checksum: haul-mtime equal, other bytes", setup: func(f *fixture) {
			f.file("k", "jello", tOld)
			f.haulObject("k", "hello", tOld, base)
		}, opts: checksumOn, want: ruleWant{send: "CRC32C differs", heads: 1, hashed: 1}},
		{name: "--checksum: a state record without a checksum is not enough", setup: func(f *fixture) {
			f.file("k", "jello", tOld)
			f.haulObject("k", "hello", tOld, base)
			if r := f.up(nil); r.counts.UnchangedBy[ByMtime] != 1 || f.records()["k"].Sum.Algorithm != "" {
				f.t.Fatalf("setup: %v, record %+v", r.counts.UnchangedBy, f.records()["k"])
			}
		}, opts: checksumOn, want: ruleWant{send: "CRC32C differs", heads: 1, hashed: 1}},
		{name: "--checksum: foreign newer is not assumed the same", setup: func(f *fixture) {
			f.file("k", "hello", tOld)
			f.foreign("k", "jello", base)
		}, opts: checksumOn, want: ruleWant{send: "MD5 differs", heads: 1, hashed: 1}},
		{name: "--checksum: no comparable checksum", setup: func(f *fixture) {
			f.file("k", "hello", tOld)
			f.multipart("k", "hello", base)
		}, opts: checksumOn, want: ruleWant{send: "unverifiable", heads: 1}},
		{name: "--size-only: same size", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			f.foreign("k", "jello", tOld)
		}, opts: func(o *Options) { o.SizeOnly = true }, want: ruleWant{by: BySize}},
		{name: "--size-only: size differs", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			f.foreign("k", "hi", tOld)
		}, opts: func(o *Options) { o.SizeOnly = true }, want: ruleWant{send: "size"}},
		{name: "--update: object newer", setup: func(f *fixture) {
			f.file("k", "hello", tOld)
			f.haulObject("k", "jello", tOld.Add(-time.Hour), base)
		}, opts: func(o *Options) { o.Update = true }, want: ruleWant{by: ByNewer}},
		{name: "--update: object newer, size differs", setup: func(f *fixture) {
			f.file("k", "hello", tOld)
			f.haulObject("k", "hi", tOld.Add(-time.Hour), base)
		}, opts: func(o *Options) { o.Update = true }, want: ruleWant{by: ByNewer}},
		{name: "haul object without haul-checksum, mtimes differ: not assumed the same", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			// uploaded by haul with --checksum-algorithm none: haul-mtime, no haul-checksum
			f.object("k", "jello", base, map[string]string{transfer.MtimeMetadata: strconv.FormatInt(tOld.UnixNano(), 10)}, object.Checksum{})
		}, want: ruleWant{send: "MD5 differs", heads: 1, hashed: 1}},
		{name: "--update: object older", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			f.haulObject("k", "jello", tOld, tOld)
		}, opts: func(o *Options) { o.Update = true }, want: ruleWant{send: "CRC32C differs", heads: 1, hashed: 1}},
		{name: "--ignore-existing: size differs", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
			f.foreign("k", "hi", tOld)
		}, opts: func(o *Options) { o.IgnoreExisting = true }, want: ruleWant{by: ByExisting}},
		{name: "--ignore-existing: new", setup: func(f *fixture) {
			f.file("k", "hello", tNew)
		}, opts: func(o *Options) { o.IgnoreExisting = true }, want: ruleWant{send: "new"}},
	} {
		t.Run(c.name, func(t *testing.T) { runRule(t, Up, c) })
	}
}

// The same table, downloading.
func TestDecideDownload(t *testing.T) {
	mtimeIs := func(want time.Time) func(t *testing.T, f *fixture, r result) {
		return func(t *testing.T, f *fixture, r result) {
			if got := f.mtime("k"); !got.Equal(want) {
				t.Errorf("local mtime %v, want %v", got, want)
			}
		}
	}
	for _, c := range []ruleCase{
		{name: "new: mtime from haul-mtime", setup: func(f *fixture) {
			f.haulObject("k", "hello", tOld, base)
		}, want: ruleWant{send: "new"}, check: mtimeIs(tOld)},
		{name: "new, foreign: mtime from LastModified", setup: func(f *fixture) {
			f.foreign("k", "hello", base)
		}, want: ruleWant{send: "new"}, check: mtimeIs(base)},
		{name: "size differs", setup: func(f *fixture) {
			f.haulObject("k", "hello", tOld, base)
			f.file("k", "hi", tOld)
		}, want: ruleWant{send: "size 2 B -> 5 B"}, check: func(t *testing.T, f *fixture, r result) {
			if f.content("k") != "hello" {
				t.Errorf("local content %q", f.content("k"))
			}
		}},
		{name: "state matches both sides", setup: func(f *fixture) {
			f.haulObject("k", "hello", tOld, base)
			if r := f.down(nil); !r.done["k"] {
				f.t.Fatalf("first download: %v %v", r.runErr, r.failed)
			}
		}, want: ruleWant{by: ByState}},
		{name: "LastModified equal at whole seconds: no HEAD", setup: func(f *fixture) {
			f.foreign("k", "jello", base)
			f.file("k", "hello", base.Add(300*time.Millisecond))
		}, want: ruleWant{by: ByMtime}},
		{name: "haul-mtime equal", setup: func(f *fixture) {
			f.haulObject("k", "hello", tOld, base)
			f.file("k", "hello", tOld)
		}, want: ruleWant{by: ByMtime, heads: 1}},
		{name: "haul-mtime differs, haul-checksum equal: the file takes haul-mtime", setup: func(f *fixture) {
			f.haulObject("k", "hello", tOld, base)
			f.file("k", "hello", tNew)
		}, want: ruleWant{by: BySum, heads: 1, hashed: 1}, check: func(t *testing.T, f *fixture, r result) {
			mtimeIs(tOld)(t, f, r)
			if rec := f.records()["k"]; rec.Mtime != tOld.UnixNano() || rec.Sum != crc32c(t, "hello") {
				t.Errorf("record %+v, want the new mtime and the sum", rec)
			}
		}},
		{name: "dry run: the file keeps its time", setup: func(f *fixture) {
			f.haulObject("k", "hello", tOld, base)
			f.file("k", "hello", tNew)
		}, opts: func(o *Options) { o.DryRun = true }, want: ruleWant{by: BySum, heads: 1, hashed: 1}, check: mtimeIs(tNew)},
		{name: "haul-checksum differs", setup: func(f *fixture) {
			f.haulObject("k", "hello", tOld, base)
			f.file("k", "jello", tNew)
		}, want: ruleWant{send: "CRC32C differs", heads: 1, hashed: 1}, check: mtimeIs(tOld)},
		{name: "foreign, MD5 equal, file newer: the file takes LastModified", setup: func(f *fixture) {
			f.foreign("k", "hello", tOld.Truncate(time.Second))
			f.file("k", "hello", tNew)
		}, want: ruleWant{by: BySum, heads: 1, hashed: 1}, check: mtimeIs(tOld.Truncate(time.Second))},
		{name: "foreign, MD5 differs, file newer: never kept for being newer", setup: func(f *fixture) {
			f.foreign("k", "hello", tOld)
			f.file("k", "jello", tNew)
		}, want: ruleWant{send: "MD5 differs", heads: 1, hashed: 1}},
		{name: "foreign multipart: nothing to compare", setup: func(f *fixture) {
			f.multipart("k", "hello", tOld)
			f.file("k", "hello", tNew)
		}, want: ruleWant{send: "changed: object modified", heads: 1}},
		{name: "--checksum: LastModified equal is not enough", setup: func(f *fixture) {
			f.foreign("k", "jello", base)
			f.file("k", "hello", base.Add(300*time.Millisecond))
		}, opts: checksumOn, want: ruleWant{send: "MD5 differs", heads: 1, hashed: 1}},
		{name: "--checksum: no comparable checksum", setup: func(f *fixture) {
			f.multipart("k", "hello", tOld)
			f.file("k", "hello", tNew)
		}, opts: checksumOn, want: ruleWant{send: "unverifiable", heads: 1}},
		{name: "--size-only", setup: func(f *fixture) {
			f.foreign("k", "jello", tOld)
			f.file("k", "hello", tNew)
		}, opts: func(o *Options) { o.SizeOnly = true }, want: ruleWant{by: BySize}},
		{name: "--update: file newer", setup: func(f *fixture) {
			f.foreign("k", "jello", tOld)
			f.file("k", "hello", tNew)
		}, opts: func(o *Options) { o.Update = true }, want: ruleWant{by: ByNewer}},
		{name: "--update: file newer, size differs", setup: func(f *fixture) {
			f.foreign("k", "hi", tOld)
			f.file("k", "hello", tNew)
		}, opts: func(o *Options) { o.Update = true }, want: ruleWant{by: ByNewer}},
		{name: "--update: file older", setup: func(f *fixture) {
			f.foreign("k", "jello", tNew)
			f.file("k", "hello", tOld)
		}, opts: func(o *Options) { o.Update = true }, want: ruleWant{send: "MD5 differs", heads: 1, hashed: 1}},
		{name: "--ignore-existing", setup: func(f *fixture) {
			f.foreign("k", "jello", tOld)
			f.file("k", "hi", tNew)
		}, opts: func(o *Options) { o.IgnoreExisting = true }, want: ruleWant{by: ByExisting}},
	} {
		t.Run(c.name, func(t *testing.T) { runRule(t, Down, c) })
	}
}

// Rule 2's second half: a file rewritten with its size and mtime put back (its ctime
// changes) is read again and compared with the checksum recorded in the state. Records carry
// a checksum only after a checksum compare, so the record comes from rule 4 (a touched file).
func TestDecideRehashWhenIdentityChanges(t *testing.T) {
	for _, c := range []struct {
		name, content string
		want          ruleWant
	}{
		{"same bytes", "hello", ruleWant{by: BySum, hashed: 1}},
		{"other bytes", "jello", ruleWant{send: "content changed (size and mtime kept)", hashed: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			runRule(t, Up, ruleCase{setup: func(f *fixture) {
				f.file("k", "hello", tOld)
				f.up(noState)
				f.touch("k", tNew)
				if r := f.up(nil); r.counts.UnchangedBy[BySum] != 1 || f.records()["k"].Sum.Algorithm == "" {
					f.t.Fatalf("setup: %v, record %+v", r.counts.UnchangedBy, f.records()["k"])
				}
				time.Sleep(10 * time.Millisecond) // a ctime of its own
				f.file("k", c.content, tNew)
			}, want: c.want, check: func(t *testing.T, f *fixture, r result) {
				if c.want.send != "" {
					if got, _ := f.stored("k"); got != c.content {
						t.Errorf("stored %q", got)
					}
				}
			}})
		})
	}
}

// A second identical run costs LIST pages only with the state, one HEAD per same-size key
// without it; never a PUT or a GET.
func TestSecondRunCost(t *testing.T) {
	for _, dir := range []Direction{Up, Down} {
		f := newFixture(t)
		for _, k := range []string{"a", "b/c", "b/d", "e"} {
			if dir == Up {
				f.file(k, "content of "+k, tOld)
			} else {
				f.haulObject(k, "content of "+k, tOld, base)
			}
		}
		if r := f.sync(dir, nil); len(r.done) != 4 {
			t.Fatalf("%v: first run did %v, failed %v", dir, r.done, r.failed)
		}
		r := f.sync(dir, nil)
		if len(r.items) != 0 || r.counts.UnchangedBy[ByState] != 4 || len(r.calls) != 1 || r.calls["List"] != 1 {
			t.Errorf("%v, with state: items %v, unchanged %v, calls %v", dir, r.order, r.counts.UnchangedBy, r.calls)
		}
		r = f.sync(dir, noState)
		if len(r.items) != 0 || r.calls["HeadObject"] != 4 || r.calls["PutObject"]+r.calls["GetObject"] != 0 {
			t.Errorf("%v, no state: items %v, unchanged %v, calls %v", dir, r.order, r.counts.UnchangedBy, r.calls)
		}
	}
}

// A record whose file's mtime is too close to when it was taken is not trusted: the next
// run asks the object (git's racy-clean rule).
func TestRacyRecordNotTrusted(t *testing.T) {
	f := newFixture(t)
	f.file("k", "hello", time.Now())
	if r := f.up(nil); !r.done["k"] {
		t.Fatalf("upload: %v", r.failed)
	}
	if _, ok := f.records()["k"]; !ok {
		t.Fatal("no record")
	}
	if r := f.up(nil); r.counts.UnchangedBy[ByState] != 0 || r.counts.UnchangedBy[ByMtime] != 1 || r.calls["HeadObject"] != 1 {
		t.Errorf("unchanged by %v with %d HEAD; want by mtime, one HEAD", r.counts.UnchangedBy, r.calls["HeadObject"])
	}
}

func TestRacy(t *testing.T) {
	sec := int64(time.Second)
	for _, c := range []struct {
		mtime, seen int64
		racy        bool
	}{
		{mtime: 100*sec + 5, seen: 100*sec + 5 + int64(49*time.Millisecond), racy: true},
		{mtime: 100*sec + 5, seen: 100*sec + 5 + int64(50*time.Millisecond), racy: false},
		{mtime: 100 * sec, seen: 101*sec + sec - 1, racy: true}, // whole seconds: two of them
		{mtime: 100 * sec, seen: 102 * sec, racy: false},
		{mtime: 100*sec + 5, seen: 90 * sec, racy: true}, // an mtime in the future
	} {
		if got := (Record{Mtime: c.mtime, Seen: c.seen}).racy(); got != c.racy {
			t.Errorf("mtime %d seen %d: racy %v, want %v", c.mtime, c.seen, got, c.racy)
		}
	}
}

// A prefix that does not end in / is refused.
func TestNewRefusesPrefixWithoutSlash(t *testing.T) {
	f := newFixture(t)
	e := transfer.New(f.st, transfer.Options{})
	if _, err := New(e, f.st, Options{Remote: object.Ref{Bucket: "b", Key: "p"}, Local: f.local}); err == nil {
		t.Fatal("prefix p accepted")
	}
}

// A dry run of a download into a directory that does not exist yet (haul sync creates it
// only for the real run) plans every key as new.
func TestDownloadDryRunIntoNewDirectory(t *testing.T) {
	f := newFixture(t)
	f.haulObject("a", "hello", tOld, base)
	r := f.down(func(o *Options) { o.Local, o.DryRun, o.Delete = filepath.Join(f.local, "new"), true, true })
	if r.runErr != nil || r.delErr != nil || r.sent("a") != "new" {
		t.Fatalf("run: %v; deletes: %v; items %v", r.runErr, r.delErr, r.order)
	}
}

// Rule 2's second half after a plain upload: the upload computed the file's checksum (it
// stored it as haul-checksum), so a rewrite with size and mtime put back should be read
// again and found changed, as it is when the record came from a checksum compare.
func TestRehashAfterPlainUpload(t *testing.T) {
	f := newFixture(t)
	f.file("k", "hello", tOld)
	if r := f.up(nil); !r.done["k"] {
		t.Fatalf("upload: %v", r.failed)
	}
	time.Sleep(10 * time.Millisecond) // a ctime of its own
	f.file("k", "jello", tOld)
	if r := f.up(nil); !strings.HasPrefix(r.sent("k"), "content changed") {
		t.Errorf("k: items %q, unchanged %v", r.order, r.counts.UnchangedBy)
	}
}
