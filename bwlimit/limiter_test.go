package bwlimit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// fakeClock is a test's time: it moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// limits returns the rate of each bucket (0: none) as the limiter's waits leave them.
func limits(l *Limiter) (shared, up, down rate.Limit) {
	f := func(b *rate.Limiter) rate.Limit {
		if b.Limit() == rate.Inf {
			return 0
		}
		return b.Limit()
	}
	return f(l.shared), f(l.up), f(l.down)
}

// A timetable changes the buckets' rates when its next entry comes into force, on the
// first wait after the boundary, wrapping around midnight; nothing changes in between.
func TestLimiterFollowsTimetable(t *testing.T) {
	s, err := Parse("08:00,10MiB/s 12:00,256KiB/s:2MiB/s 19:00,off")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, hh, mm int) time.Time { return time.Date(2026, 12, d, hh, mm, 0, 0, time.Local) }
	c := &fakeClock{t: day(1, 7, 0)}
	l := newAt(s, c.now)
	var changes []string
	l.OnChange(func(sl Slot) { changes = append(changes, clock(sl.At)+" "+sl.Rates.String()) })
	ctx := context.Background()
	steps := []struct {
		at                 time.Time
		shared, up, down   rate.Limit
		want               string
		burstUp, burstDown int
	}{
		{day(1, 7, 0), 0, 0, 0, "off", MaxChunk, MaxChunk}, // 19:00 of the day before
		{day(1, 7, 59), 0, 0, 0, "off", MaxChunk, MaxChunk},
		{day(1, 8, 0), rate.Limit(10 * mib), 0, 0, "10.0MiB/s", MaxChunk, MaxChunk},
		{day(1, 11, 59), rate.Limit(10 * mib), 0, 0, "10.0MiB/s", MaxChunk, MaxChunk},
		{day(1, 12, 0), 0, rate.Limit(256 * kib), rate.Limit(2 * mib), "256.0KiB/s:2.0MiB/s", int(256 * kib / 10), MaxChunk},
		{day(1, 19, 0), 0, 0, 0, "off", MaxChunk, MaxChunk},
		{day(2, 0, 30), 0, 0, 0, "off", MaxChunk, MaxChunk},
		{day(2, 8, 1), rate.Limit(10 * mib), 0, 0, "10.0MiB/s", MaxChunk, MaxChunk},
	}
	for _, st := range steps {
		c.set(st.at)
		if err := l.Up().WaitN(ctx, 1); err != nil {
			t.Fatal(err)
		}
		sh, up, down := limits(l)
		if sh != st.shared || up != st.up || down != st.down {
			t.Errorf("at %s: buckets shared %v, up %v, down %v; want %v, %v, %v", st.at.Format("Jan 2 15:04"), sh, up, down, st.shared, st.up, st.down)
		}
		if got := l.Now().String(); got != st.want {
			t.Errorf("at %s: Now() = %s, want %s", st.at.Format("Jan 2 15:04"), got, st.want)
		}
		if b := l.Up().Burst(); b != st.burstUp {
			t.Errorf("at %s: Up().Burst() = %d, want %d", st.at.Format("Jan 2 15:04"), b, st.burstUp)
		}
		if b := l.Down().Burst(); b != st.burstDown {
			t.Errorf("at %s: Down().Burst() = %d, want %d", st.at.Format("Jan 2 15:04"), b, st.burstDown)
		}
	}
	// Told of each entry that came into force after the first, once.
	want := []string{"08:00 10.0MiB/s", "12:00 256.0KiB/s:2.0MiB/s", "19:00 off", "08:00 10.0MiB/s"}
	if strings.Join(changes, ", ") != strings.Join(want, ", ") {
		t.Errorf("OnChange told of %q, want %q", changes, want)
	}
}

// Under a single rate an upload and a download draw on one bucket; under UP:DOWN each on
// its own. The clock stands still, so no token comes back: the counts are exact (a bucket
// starts empty, and a draw leaves it that much in debt, waited out in real time).
func TestLimiterCountsDirections(t *testing.T) {
	ctx := context.Background()
	c := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.Local)}
	tokens := func(b *rate.Limiter) float64 { return b.TokensAt(c.now()) }

	s, _ := Parse("1MiB/s")
	l := newAt(s, c.now)
	if err := l.Up().WaitN(ctx, 10000); err != nil {
		t.Fatal(err)
	}
	if err := l.Down().WaitN(ctx, 5000); err != nil {
		t.Fatal(err)
	}
	if tokens(l.shared) != -15000 || l.up.Limit() != rate.Inf || l.down.Limit() != rate.Inf {
		t.Errorf("one rate: the shared bucket holds %.0f after 10,000 bytes up and 5,000 down, want -15000; up and down limited: %v, %v",
			tokens(l.shared), l.up.Limit(), l.down.Limit())
	}

	s, _ = Parse("1MiB/s:2MiB/s")
	l = newAt(s, c.now)
	if err := l.Up().WaitN(ctx, 10000); err != nil {
		t.Fatal(err)
	}
	if err := l.Down().WaitN(ctx, 5000); err != nil {
		t.Fatal(err)
	}
	if tokens(l.up) != -10000 || tokens(l.down) != -5000 || l.shared.Limit() != rate.Inf {
		t.Errorf("UP:DOWN: after 10,000 bytes up and 5,000 down, the up bucket holds %.0f, the down bucket %.0f (want -10000, -5000); shared limited: %v",
			tokens(l.up), tokens(l.down), l.shared.Limit())
	}
}

// A wait asks for any number of bytes (more than a bucket holds go a burst at a time) and
// ends with ctx's error when ctx ends while it waits.
func TestLimiterWait(t *testing.T) {
	s, _ := Parse("1KiB/s") // a burst of 102 bytes
	l := New(s)
	ctx := context.Background()
	if err := l.Up().WaitN(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if b := l.Up().Burst(); b != 102 {
		t.Fatalf("Burst() = %d, want 102 (a tenth of a second)", b)
	}
	if err := l.Up().WaitN(ctx, 300); err != nil { // three bursts: about 0.3 s
		t.Fatalf("WaitN of more than a burst: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Down().WaitN(cctx, 1<<20) }() // about 17 minutes of tokens
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("WaitN with ctx cancelled = %v, want context.Canceled", err)
	}
}

// With no limit in force, a wait takes nothing and any size passes.
func TestLimiterOff(t *testing.T) {
	s, _ := Parse("off")
	l := New(s)
	if err := l.Up().WaitN(context.Background(), 1<<30); err != nil {
		t.Fatal(err)
	}
	if b := l.Down().Burst(); b != MaxChunk {
		t.Errorf("Burst() = %d, want MaxChunk", b)
	}
}

func TestBurst(t *testing.T) {
	for r, want := range map[int64]int{1: 1, 9: 1, 10: 1, 1000: 100, 512 * kib: int(512 * kib / 10), mib: int(mib / 10), 100 * mib: int(10 * mib)} {
		if got := burst(r); got != want {
			t.Errorf("burst(%d) = %d, want %d", r, got, want)
		}
	}
}
