package syncplan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// keys is a stream of the given keys, in the order given, ending with err.
func keys(err error, ks ...string) Stream {
	return func(_ context.Context, yield func(Entry) bool) error {
		for _, k := range ks {
			if !yield(Entry{Key: k, Size: int64(len(k))}) {
				return nil
			}
		}
		return err
	}
}

// describe renders pairs as "key:sd", "key:s-", "key:-d".
func describe(t *testing.T, src, dst Stream) ([]string, error) {
	t.Helper()
	var out []string
	err := Merge(context.Background(), src, dst, func(p Pair) error {
		s, d := "-", "-"
		if p.Src != nil {
			s = "s"
			if p.Src.Key != p.Key {
				t.Errorf("source entry %q under key %q", p.Src.Key, p.Key)
			}
		}
		if p.Dst != nil {
			d = "d"
		}
		out = append(out, p.Key+":"+s+d)
		return nil
	})
	return out, err
}

func TestMergePairsEveryKeyOnceInOrder(t *testing.T) {
	for _, c := range []struct {
		name     string
		src, dst []string
		want     []string
	}{
		{"both empty", nil, nil, nil},
		{"source only", []string{"a", "b"}, nil, []string{"a:s-", "b:s-"}},
		{"destination only", nil, []string{"a"}, []string{"a:-d"}},
		{"same keys", []string{"a", "b"}, []string{"a", "b"}, []string{"a:sd", "b:sd"}},
		{"interleaved", []string{"a", "c", "e"}, []string{"b", "c", "d", "f"}, []string{"a:s-", "b:-d", "c:sd", "d:-d", "e:s-", "f:-d"}},
		// S3 order, which the walk gives too: '-' < '/' < '0'.
		{"byte order", []string{"a-b", "a/x", "a0"}, []string{"a-b", "a.txt", "a/x"}, []string{"a-b:sd", "a.txt:-d", "a/x:sd", "a0:s-"}},
		{"unicode bytes", []string{"Z", "a", "é"}, []string{"é"}, []string{"Z:s-", "a:s-", "é:sd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := describe(t, keys(nil, c.src...), keys(nil, c.dst...))
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// A listing out of order cannot be merged: the merge stops with an *OrderError naming the
// side, before it pairs anything past the break.
func TestMergeRefusesAStreamOutOfOrder(t *testing.T) {
	for _, c := range []struct {
		name, side string
		src, dst   []string
		before     []string // the pairs made before the break was seen
	}{
		{"source goes back", "source", []string{"a", "c", "b"}, []string{"a", "b", "c"}, []string{"a:sd", "b:-d", "c:sd"}},
		{"destination repeats", "destination", []string{"a", "b"}, []string{"a", "a"}, []string{"a:sd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := describe(t, keys(nil, c.src...), keys(nil, c.dst...))
			var oe *OrderError
			if !errors.As(err, &oe) || oe.Side != c.side || !slices.Equal(got, c.before) {
				t.Fatalf("got %v, %v; want %v and an OrderError of the %s", got, err, c.before, c.side)
			}
			if !strings.Contains(err.Error(), "nothing is deleted") {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestMergeStopsOnErrors(t *testing.T) {
	listing := errors.New("listing failed")
	// The destination's listing fails after "a": the source's "b" and "c" must not be paired
	// as absent from the destination.
	if got, err := describe(t, keys(nil, "a", "b", "c"), keys(listing, "a")); !errors.Is(err, listing) || !slices.Equal(got, []string{"a:sd"}) {
		t.Fatalf("destination error: %v after %v", err, got)
	}
	if _, err := describe(t, keys(listing, "a"), keys(nil)); !errors.Is(err, listing) {
		t.Fatalf("source error: %v", err)
	}
	stop := errors.New("enough")
	n := 0
	err := Merge(context.Background(), keys(nil, "a", "b", "c"), keys(nil, "a", "b", "c"), func(Pair) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("fn's error: %v after %d pairs", err, n)
	}
}

// The merge holds no list of keys: a million keys a side go through it one pair at a time.
func TestMergeStreams(t *testing.T) {
	gen := func(step int) Stream {
		return func(_ context.Context, yield func(Entry) bool) error {
			for i := 0; i < 1_000_000; i += step {
				if !yield(Entry{Key: fmt.Sprintf("k%07d", i)}) {
					return nil
				}
			}
			return nil
		}
	}
	both, pairs := 0, 0
	err := Merge(context.Background(), gen(2), gen(3), func(p Pair) error {
		pairs++
		if p.Src != nil && p.Dst != nil {
			both++
		}
		return nil
	})
	// multiples of 2 or 3 below a million: 500,000 + 333,334 - 166,667.
	if err != nil || pairs != 666_667 || both != 166_667 {
		t.Fatalf("%d pairs, %d on both sides, %v", pairs, both, err)
	}
}
