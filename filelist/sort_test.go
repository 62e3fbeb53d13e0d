package filelist

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

func sortedNames(t *testing.T, s *Sorted) []string {
	t.Helper()
	var ns []string
	if err := s.Each(func(n string) bool { ns = append(ns, n); return true }); err != nil {
		t.Fatal(err)
	}
	return ns
}

// A list in any order comes out in byte order, each name once, in memory or through runs
// on disk (and, past maxRuns, runs merged into one); the runs are removed by Close.
func TestSort(t *testing.T) {
	var in []string
	for i := range 3000 {
		in = append(in, fmt.Sprintf("d%d/f %04d+é.txt", i%7, i))
	}
	in = append(in, "a-b", "a/x", "a", "A", "a-b", "日本", "a/x") // '-' < '/': "a-b" before "a/x", as S3 lists
	want := slices.Clone(in)
	slices.Sort(want)
	want = slices.Compact(want)
	rand.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	for _, tc := range []struct {
		name     string
		runBytes int
		runs     bool
	}{{"in memory", 16 << 20, false}, {"runs", 4 << 10, true}, {"runs merged past maxRuns", 64, true}} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(n int) { runBytes = n }(runBytes)
			runBytes = tc.runBytes
			s, err := Sort(Lines(strings.NewReader(strings.Join(in, "\n"))), func(e Entry) { t.Errorf("bad entry %+v", e) })
			if err != nil {
				t.Fatal(err)
			}
			if (len(s.runs) > 0) != tc.runs || len(s.runs) > maxRuns {
				t.Errorf("%d runs", len(s.runs))
			}
			runs := slices.Clone(s.runs)
			var wg sync.WaitGroup
			for range 2 { // the two sides of a sync read at once
				wg.Go(func() {
					if got := sortedNames(t, s); !slices.Equal(got, want) {
						t.Errorf("%d names, want %d; first %q", len(got), len(want), got[:min(5, len(got))])
					}
				})
			}
			wg.Wait()
			var first []string
			if err := s.Each(func(n string) bool { first = append(first, n); return len(first) < 3 }); err != nil || len(first) != 3 {
				t.Errorf("stopped after %q, %v", first, err)
			}
			s.Close()
			for _, p := range runs {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("run %s left behind: %v", p, err)
				}
			}
		})
	}
}

func TestSortBadEntries(t *testing.T) {
	var bad []Entry
	s, err := Sort(Lines(strings.NewReader("b\n"+strings.Repeat("x", MaxEntry+1)+"\na\x00z\na\n")), func(e Entry) { bad = append(bad, e) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := sortedNames(t, s); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("names %q", got)
	}
	if len(bad) != 2 || !errors.Is(bad[0].Err, ErrTooLong) || bad[0].Line != 2 || !errors.Is(bad[1].Err, ErrNUL) || bad[1].Line != 3 {
		t.Errorf("bad %+v", bad)
	}
}

// Collect sorts names given one by one, in memory and in runs on disk alike, and refuses a
// name with a NUL byte.
func TestCollect(t *testing.T) {
	for _, rb := range []int{1 << 20, 40} {
		defer func(n int) { runBytes = n }(runBytes)
		runBytes = rb
		s, err := Collect(func(add func(string) error) error {
			for _, n := range []string{"b", "a/x", "a-b", "b", "c"} {
				if err := add(n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := s.Each(func(n string) bool { got = append(got, n); return true }); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if want := []string{"a-b", "a/x", "b", "c"}; !slices.Equal(got, want) {
			t.Errorf("runBytes %d: %q, want %q", rb, got, want)
		}
	}
	_, err := Collect(func(add func(string) error) error { return add("a\x00b") })
	if !errors.Is(err, ErrNUL) {
		t.Fatalf("a name with a NUL: %v", err)
	}
}
