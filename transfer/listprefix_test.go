package transfer

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// pagedLister lists keys in pages of 10 and fails, retryably, the given times, each after
// handing over half of a page (as a page cut short would).
type pagedLister struct {
	keys   []string
	fails  map[int]int // page -> failures left
	starts []string    // the token each ListResume call started from
}

func (l *pagedLister) List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error {
	var tok string
	return l.ListResume(ctx, bucket, prefix, &tok, fn)
}

func (l *pagedLister) ListResume(_ context.Context, _, _ string, token *string, fn func(object.Info) error) error {
	l.starts = append(l.starts, *token)
	page := 0
	if *token != "" {
		_, _ = fmt.Sscanf(*token, "t%d", &page)
	}
	for ; page*10 < len(l.keys); page++ {
		for i, k := range l.keys[page*10 : min(page*10+10, len(l.keys))] {
			if i == 5 && l.fails[page] > 0 {
				l.fails[page]--
				return &fakeErr{code: "InternalError", retryable: true}
			}
			if err := fn(object.Info{Key: k}); err != nil {
				return err
			}
		}
		*token = fmt.Sprintf("t%d", page+1)
	}
	return nil
}

// listOnly hides ListResume: the store can only list from the start.
type listOnly struct{ l *pagedLister }

func (o listOnly) List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error {
	return o.l.List(ctx, bucket, prefix, fn)
}

// A listing that fails part way goes on from the page that failed when the store can, and
// is listed again from the start otherwise; either way each key comes once, in order, and
// failures of different pages do not add up to one request's retries.
func TestListPrefixGoesOnFromThePageThatFailed(t *testing.T) {
	keys := make([]string, 45)
	for i := range keys {
		keys[i] = fmt.Sprintf("p/%02d", i)
	}
	p := Policy{Retries: 2, Base: time.Microsecond, Max: time.Millisecond}
	for _, resumable := range []bool{true, false} {
		l := &pagedLister{keys: keys, fails: map[int]int{1: 2, 3: 1}}
		var st Lister = l
		if !resumable {
			st = listOnly{l}
		}
		var got []string
		err := p.ListPrefix(context.Background(), st, "b", "p/", func(_ context.Context, info object.Info) error {
			got = append(got, info.Key)
			return nil
		})
		if !resumable {
			// Starting over each time, three failures are more than two retries.
			if err == nil {
				t.Fatalf("listed from the start: no error after 3 failures with 2 retries")
			}
			continue
		}
		if err != nil || !slices.Equal(got, keys) {
			t.Fatalf("err %v, got %d keys %v", err, len(got), got)
		}
		if want := []string{"", "t1", "t1", "t3"}; !slices.Equal(l.starts, want) {
			t.Errorf("listings started at %q, want %q", l.starts, want)
		}
	}
}
