package transfer

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var slowDown = &fakeErr{code: "SlowDown", throttled: true}

// available counts the slots that can be taken without waiting, and gives them back.
func available(l *limiter) int {
	n := 0
	for l.sem.TryAcquire(1) {
		n++
	}
	l.sem.Release(int64(n))
	return n
}

func TestLimiterHalvesOnThrottleAndGrowsBack(t *testing.T) {
	l := newLimiter(8)
	e := l.current()
	if err := l.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if note := l.release(e, slowDown); !strings.Contains(note, "lowered to 4") {
		t.Fatalf("note %q", note)
	}
	// A second throttle from a request started under the old limit does not cut again.
	_ = l.acquire(context.Background())
	if note := l.release(e, slowDown); note != "" {
		t.Fatalf("a stale throttle cut again: %q", note)
	}
	waitFor(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.withheld == 4
	})
	if available(l) != 4 {
		t.Fatalf("%d slots available after the cut, want 4", available(l))
	}
	// Each run of `limit` successes adds one slot: 4, then 5, 6, 7 back to 8.
	var last string
	for range 4 + 5 + 6 + 7 {
		_ = l.acquire(context.Background())
		if note := l.release(l.current(), nil); note != "" {
			last = note
		}
	}
	if available(l) != 8 || !strings.Contains(last, "back to 8") {
		t.Fatalf("available %d, last note %q; want all 8 back and said so", available(l), last)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition not reached")
}

// Under throttling a multipart upload goes on with fewer requests in flight, finishes, and
// says that it slowed down.
func TestThrottledUploadSlowsDownAndFinishes(t *testing.T) {
	fs := newFake()
	fs.hook = func(c fakeCall, attempt int) error {
		if c.Op == "UploadPart" && c.Part <= 4 && attempt == 1 {
			return slowDown
		}
		return nil
	}
	data := randomBytes(40*mib, 64)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	var notes []string
	opts := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 8,
		Observer: ObserverFunc(func(ev Event) {
			if ev.Kind == Notice {
				notes = append(notes, ev.Note)
			}
		})})
	if _, err := New(fs, opts).UploadFile(context.Background(), p, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) {
		t.Fatal("object differs")
	}
	if len(notes) == 0 || !strings.Contains(notes[0], "throttling") {
		t.Fatalf("notes %q: want one saying haul slowed down", notes)
	}
}
