package syncplan

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

func TestRecordRoundTrip(t *testing.T) {
	sum := object.Checksum{Algorithm: object.ChecksumCRC32C, Value: "yZRlqg=="}
	for _, r := range []Record{
		{Key: "plain", Size: 5, Mtime: 1, Change: 2, Inode: 3, ETag: "d41d8cd98f00b204e9800998ecf8427e", LastModified: 4, Seen: 5},
		{Key: "a key with spaces", ETag: "etag with spaces", Sum: sum},
		{Key: `quote"d and \back\slashed`, ETag: `"quoted"`},
		{Key: "new\nline\r\n", ETag: "abc-2"},
		{Key: "\xff\xfe not UTF-8 \x00", ETag: ""},
		{Key: "é ünïcödé 日本", Size: math.MaxInt64, Mtime: math.MinInt64, Change: -1, Inode: math.MaxUint64, LastModified: math.MaxInt64, Seen: math.MaxInt64},
		{Key: "tab\there", Sum: object.Checksum{Algorithm: object.ChecksumMD5, Value: "XUFAKrxLKna5cZ2REBfFkg=="}},
	} {
		line := r.encode()
		if strings.ContainsAny(line, "\n\r") {
			t.Errorf("%q encodes to more than a line: %q", r.Key, line)
		}
		got, err := decodeRecord(line)
		if err != nil || got != r {
			t.Errorf("%q: decoded %+v, %v; want %+v", line, got, err, r)
		}
	}
}

func TestDecodeRecordRefusesDamage(t *testing.T) {
	good := Record{Key: "k", Size: 1, Mtime: 2, Change: 3, Inode: 4, ETag: "e", LastModified: 5, Sum: object.Checksum{Algorithm: "CRC32C", Value: "AAAAAA=="}, Seen: 6}.encode()
	if _, err := decodeRecord(good); err != nil {
		t.Fatalf("%q: %v", good, err)
	}
	for _, line := range []string{
		"",
		"k 1 2 3 4 \"e\" 5 - 6",                    // key not quoted
		`"k 1 2 3 4 "e" 5 - 6`,                     // key not closed
		`"k" 1 2 3`,                                // cut short
		`"k" 1 2 3 4 "e" 5 -`,                      // no seen
		`"k" 1 2 3 4 "e" 5 - 6 7`,                  // one too many
		`"k" x 2 3 4 "e" 5 - 6`,                    // size not a number
		`"k" 1 2 3 -4 "e" 5 - 6`,                   // negative inode
		`"k" 1 2 3 4 e 5 - 6`,                      // ETag not quoted
		`"k" 1 2 3 4 "e" 5 CRC32C 6`,               // checksum without its value
		`"k" 1 2 3 4 "e" 5 - 99999999999999999999`, // seen out of range
		good[:len(good)/2],                         // a line cut short
	} {
		if r, err := decodeRecord(line); err == nil {
			t.Errorf("%q decoded as %+v", line, r)
		}
	}
}

// writeState writes a state file of the header and lines.
func writeState(t *testing.T, header string, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "state")
	content := header + "\n" + strings.Join(lines, "\n")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func rec(key string) string { return Record{Key: key, Size: 1, Seen: 1}.encode() }

// A state file is a cache: damage, disorder or another version make it as good as empty
// from that point, never an error.
func TestStateReaderTrustsNothingPastDamage(t *testing.T) {
	for _, c := range []struct {
		name   string
		path   func(t *testing.T) string
		lookup []string // asked in this order
		found  []string
	}{
		{"whole", func(t *testing.T) string { return writeState(t, stateHeader, rec("a"), rec("b"), rec("d")) },
			[]string{"a", "b", "c", "d", "e"}, []string{"a", "b", "d"}},
		{"keys not asked are passed over", func(t *testing.T) string { return writeState(t, stateHeader, rec("a"), rec("b"), rec("d")) },
			[]string{"c", "d"}, []string{"d"}},
		{"damaged line", func(t *testing.T) string { return writeState(t, stateHeader, rec("a"), rec("b"), "garbage", rec("c")) },
			[]string{"a", "b", "c"}, []string{"a", "b"}},
		{"out of order", func(t *testing.T) string { return writeState(t, stateHeader, rec("a"), rec("c"), rec("b"), rec("d")) },
			[]string{"a", "b", "c", "d"}, []string{"a", "c"}},
		{"repeated key", func(t *testing.T) string { return writeState(t, stateHeader, rec("a"), rec("a"), rec("b")) },
			[]string{"a", "b"}, []string{"a"}},
		{"another version", func(t *testing.T) string { return writeState(t, "haul-sync-state 2", rec("a")) },
			[]string{"a"}, nil},
		{"empty file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "state")
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}, []string{"a"}, nil},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") }, []string{"a"}, nil},
		{"a line too long", func(t *testing.T) string {
			return writeState(t, stateHeader, rec("a"), rec("b"+strings.Repeat("x", 2<<20)), rec("c"))
		}, []string{"a", "b", "c"}, []string{"a"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := openState(c.path(t))
			defer r.close()
			var found []string
			for _, k := range c.lookup {
				if got, ok := r.lookup(k); ok {
					if got.Key != k {
						t.Errorf("lookup %q gave %q", k, got.Key)
					}
					found = append(found, k)
				}
			}
			if !slices.Equal(found, c.found) {
				t.Errorf("found %v, want %v", found, c.found)
			}
		})
	}
}

// A damaged state file costs a run HEADs, never a wrong decision; the run writes a whole one.
func TestDamagedStateFile(t *testing.T) {
	f := newFixture(t)
	for _, k := range []string{"a", "b", "c"} {
		f.file(k, "content "+k, tOld)
	}
	if r := f.up(nil); len(r.done) != 3 {
		t.Fatalf("first run: %v", r.failed)
	}
	b, err := os.ReadFile(f.state)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	lines[2] = lines[2][:len(lines[2])/2] // b's record, cut
	if err := os.WriteFile(f.state, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.up(nil)
	if r.runErr != nil || len(r.items) != 0 || r.counts.UnchangedBy[ByState] != 1 || r.counts.UnchangedBy[ByMtime] != 2 || r.calls["HeadObject"] != 2 {
		t.Fatalf("run: %v; items %v; unchanged %v; calls %v", r.runErr, r.order, r.counts.UnchangedBy, r.calls)
	}
	if recs := f.records(); len(recs) != 3 {
		t.Fatalf("rewritten state holds %d records", len(recs))
	}
	if r := f.up(nil); r.counts.UnchangedBy[ByState] != 3 || r.calls["HeadObject"] != 0 {
		t.Errorf("third run: unchanged %v, calls %v", r.counts.UnchangedBy, r.calls)
	}
}

// A dry run reads the state but writes none.
func TestDryRunWritesNoState(t *testing.T) {
	f := newFixture(t)
	f.file("a", "x", tOld)
	r := f.up(func(o *Options) { o.DryRun = true })
	if r.sent("a") != "new" {
		t.Fatalf("items %v", r.order)
	}
	if _, err := os.Stat(f.state); !os.IsNotExist(err) {
		t.Errorf("state file: %v", err)
	}
	if left, _ := filepath.Glob(f.state + "*"); len(left) != 0 {
		t.Errorf("files left: %v", left)
	}
}

// readKeys returns the keys of the records in the state file at path, in file order.
func readKeys(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if lines[0] != stateHeader {
		t.Fatalf("header %q", lines[0])
	}
	var ks []string
	for _, l := range lines[1:] {
		r, err := decodeRecord(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		ks = append(ks, r.Key)
	}
	return ks
}

// Slots filled in any order are written in the order they were taken; a slot closed
// without a record, or never closed, writes nothing.
func TestStateWriterKeepsOrder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state")
	w, err := createState(p)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"a", "b", "c", "d", "e", "f"}
	slots := make([]*slot, len(keys))
	for i := range keys {
		slots[i] = w.reserve()
	}
	set := func(i int, ok bool) { w.set(slots[i], Record{Key: keys[i]}, ok) }
	set(4, true)
	set(2, true)
	set(0, true)
	set(3, false) // a failed transfer
	set(1, true)
	set(1, false) // a second outcome of a closed slot changes nothing
	// slot 5 is never closed: its transfer did not finish
	if err := w.commit(); err != nil {
		t.Fatal(err)
	}
	if got := readKeys(t, p); !slices.Equal(got, []string{"a", "b", "c", "e"}) {
		t.Errorf("state holds %v", got)
	}
	if left, _ := filepath.Glob(p + ".*.tmp"); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// When more than maxPending slots wait behind one still open, the oldest are given up (no
// record), and the rest are still written in order.
func TestStateWriterWindow(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state")
	w, err := createState(p)
	if err != nil {
		t.Fatal(err)
	}
	const extra = 5
	n := maxPending + extra
	slots := make([]*slot, n)
	for i := range slots {
		slots[i] = w.reserve()
	}
	for i := n - 1; i >= 0; i-- {
		w.set(slots[i], Record{Key: fmt.Sprintf("k%06d", i)}, true)
	}
	if err := w.commit(); err != nil {
		t.Fatal(err)
	}
	got := readKeys(t, p)
	if len(got) != maxPending || got[0] != fmt.Sprintf("k%06d", extra) || !slices.IsSorted(got) {
		t.Errorf("%d records from %s, sorted %v; want %d from k%06d", len(got), got[0], slices.IsSorted(got), maxPending, extra)
	}
}

// A discarded state leaves the old file as it was.
func TestStateWriterDiscard(t *testing.T) {
	p := writeState(t, stateHeader, rec("old"))
	w, err := createState(p)
	if err != nil {
		t.Fatal(err)
	}
	w.set(w.reserve(), Record{Key: "new"}, true)
	w.discard()
	if got := readKeys(t, p); !slices.Equal(got, []string{"old"}) {
		t.Errorf("state holds %v", got)
	}
	if left, _ := filepath.Glob(p + ".*.tmp"); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// The unfinished state files of killed runs are removed once they are a day old.
func TestStateRemovesStaleTemporaryFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state")
	stale, fresh := p+".111.tmp", p+".222.tmp"
	for _, q := range []string{stale, fresh} {
		if err := os.WriteFile(q, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	w, err := createState(p)
	if err != nil {
		t.Fatal(err)
	}
	w.discard()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale file: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh file: %v", err)
	}
}

// The state is written in key order even when a name not in NFC was held back for a twin
// (twins.go) and decided after the keys that follow it: a record out of order makes the next
// run trust nothing after it.
func TestStateInKeyOrderAfterHeldName(t *testing.T) {
	f := newFixture(t)
	nfd := "e\u0301" // é decomposed: its NFC form "\u00e9" sorts after "f" and "z"
	for _, k := range []string{nfd, "f", "z", "\u00fc"} {
		f.file(k, "x", tOld)
	}
	if r := f.up(nil); len(r.done) != 4 {
		t.Fatalf("first run: done %v, failed %v", r.done, r.failed)
	}
	if got := readKeys(t, f.state); !slices.IsSorted(got) {
		t.Errorf("state records in the order %q", got)
	}
	if r := f.up(nil); r.counts.UnchangedBy[ByState] != 4 || r.calls["HeadObject"] != 0 {
		t.Errorf("second run: unchanged %v, %d HEAD", r.counts.UnchangedBy, r.calls["HeadObject"])
	}
}
