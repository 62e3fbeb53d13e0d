package syncplan

import (
	"sync"
	"testing"
	"time"
)

// sames runs a sync in dir and returns what Options.Unchanged heard, by key.
func (f *fixture) sames(dir Direction) map[string]Same {
	f.t.Helper()
	var mu sync.Mutex
	got := map[string]Same{}
	f.sync(dir, func(o *Options) {
		o.Unchanged = func(s Same) {
			mu.Lock()
			defer mu.Unlock()
			got[s.Object.Key] = s
		}
	})
	return got
}

// A key found unchanged by haul-mtime (no file read) tells the object's own haul
// checksum, which a receipt records; the state does not get it.
func TestSameTellsTheObjectsChecksum(t *testing.T) {
	f := newFixture(t)
	f.file("k", "hello", tOld)
	f.haulObject("k", "hello", tOld, base)
	s, ok := f.sames(Up)["k"]
	if !ok || s.Item.Reason != ByMtime {
		t.Fatalf("unchanged: %+v, %v; want by %s", s, ok, ByMtime)
	}
	if want := crc32c(t, "hello"); s.Sum != want {
		t.Errorf("Same.Sum = %+v, want the object's haul checksum %+v", s.Sum, want)
	}
	if r := f.records()["k"]; r.Sum.Algorithm != "" {
		t.Errorf("state record %+v: a checksum nothing read", r)
	}
}

// A download found unchanged by its checksum gets the object's time; what the sync tells
// of the file is the file as it is afterwards.
func TestSameTellsTheFileAfterSetTime(t *testing.T) {
	f := newFixture(t)
	f.file("k", "hello", tOld)
	f.haulObject("k", "hello", tNew, base)
	s, ok := f.sames(Down)["k"]
	if !ok || s.Item.Reason != BySum {
		t.Fatalf("unchanged: %+v, %v; want by %s", s, ok, BySum)
	}
	if got := f.mtime("k"); !got.Equal(tNew) || !s.Other.ModTime.Equal(got) {
		t.Errorf("file mtime %s, Same.Other.ModTime %s; want both %s", got.UTC().Format(time.RFC3339Nano), s.Other.ModTime.UTC().Format(time.RFC3339Nano), tNew.Format(time.RFC3339Nano))
	}
}
