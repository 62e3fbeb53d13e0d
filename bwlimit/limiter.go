package bwlimit

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// MaxChunk is the most bytes one wait should ask for (Direction.Burst): short waits, so
// that the readers of a run take turns often and a change of the timetable is felt soon.
const MaxChunk = 64 << 10

// burst is the bucket size for r bytes a second: a tenth of a second of bytes (at least
// one). After a pause of the readers (a busy server or CPU, the requests between parts)
// that much may go at once, so that the run keeps to its rate on average; a smaller bucket
// loses the time of every pause longer than it lasts.
func burst(r int64) int {
	return int(max(r/10, 1))
}

// Limiter paces the bytes of a run by a Schedule: Up for the bytes sent (request bodies),
// Down for those received (response bodies). Under a single rate both draw on one token
// bucket; under UP:DOWN each on its own. A timetable's entry is looked up as bytes are
// paced, and the buckets' rates change when another entry comes into force (at most one
// wait of each reader late). It is safe for concurrent use.
type Limiter struct {
	sched Schedule
	now   func() time.Time // time.Now; a test's clock

	mu       sync.Mutex
	cur      int       // the entry in force, -1 before the first wait
	next     time.Time // when the next entry takes over
	onChange func(Slot)

	shared, up, down *rate.Limiter
}

// New returns a Limiter that follows s (in local time).
func New(s Schedule) *Limiter {
	return newAt(s, time.Now)
}

func newAt(s Schedule, now func() time.Time) *Limiter {
	inf := func() *rate.Limiter { return rate.NewLimiter(rate.Inf, 0) }
	return &Limiter{sched: s, now: now, cur: -1, shared: inf(), up: inf(), down: inf()}
}

// Now returns the rates in force now.
func (l *Limiter) Now() Rates {
	l.update()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur < 0 {
		return Rates{}
	}
	return l.sched[l.cur].Rates
}

// OnChange sets fn to be called when another entry of the timetable comes into force
// while the limiter is in use (not for the entry found in force first), with that entry.
// fn runs in the goroutine of the wait that found the change, after the buckets changed,
// and must return quickly.
func (l *Limiter) OnChange(fn func(Slot)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onChange = fn
}

// update applies the timetable's entry in force now, if it is not the one applied.
func (l *Limiter) update() {
	if len(l.sched) == 0 {
		return
	}
	now := l.now()
	l.mu.Lock()
	if l.cur >= 0 && now.Before(l.next) {
		l.mu.Unlock()
		return
	}
	i, next := l.sched.in(now)
	l.next = next
	first, changed, fn := l.cur < 0, i != l.cur, l.onChange
	if changed {
		l.cur = i
		l.apply(now, l.sched[i].Rates)
	}
	l.mu.Unlock()
	if changed && !first && fn != nil {
		fn(l.sched[i])
	}
}

// apply sets the buckets' rates to r from now.
func (l *Limiter) apply(now time.Time, r Rates) {
	if r.Shared {
		set(l.shared, now, r.Up)
		set(l.up, now, 0)
		set(l.down, now, 0)
		return
	}
	set(l.shared, now, 0)
	set(l.up, now, r.Up)
	set(l.down, now, r.Down)
}

// set gives b the rate r bytes a second (0: no limit) from now.
func set(b *rate.Limiter, now time.Time, r int64) {
	if r == 0 {
		b.SetLimitAt(now, rate.Inf)
		return
	}
	b.SetBurstAt(now, burst(r))
	b.SetLimitAt(now, rate.Limit(r))
}

// Up paces the bytes sent.
func (l *Limiter) Up() *Direction { return &Direction{l: l, own: l.up} }

// Down paces the bytes received.
func (l *Limiter) Down() *Direction { return &Direction{l: l, own: l.down} }

// Direction is the pacing of one direction of a Limiter's traffic.
type Direction struct {
	l   *Limiter
	own *rate.Limiter
}

// WaitN blocks until n bytes may move in this direction, or ctx ends (it then returns
// ctx's error). Any n may be asked for: more than a bucket holds is waited for a burst at
// a time.
func (d *Direction) WaitN(ctx context.Context, n int) error {
	d.l.update()
	for _, b := range []*rate.Limiter{d.l.shared, d.own} {
		if err := d.l.take(ctx, b, n); err != nil {
			return err
		}
	}
	return nil
}

// Burst returns the most bytes one wait should ask for: MaxChunk, or less when the
// bucket in force holds less (a tenth of a second of bytes).
// More may be asked for (WaitN cuts it into pieces), as the burst may change before the
// wait when the timetable moves on.
func (d *Direction) Burst() int {
	d.l.update()
	n := MaxChunk
	for _, b := range []*rate.Limiter{d.l.shared, d.own} {
		if b.Limit() != rate.Inf {
			n = min(n, max(b.Burst(), 1))
		}
	}
	return n
}

// take takes n tokens from b, at most a burst at a time, reserving them at the limiter's
// clock and sleeping until they are there. A reservation cut short by ctx is given back.
func (l *Limiter) take(ctx context.Context, b *rate.Limiter, n int) error {
	for n > 0 {
		if b.Limit() == rate.Inf {
			return nil
		}
		k := min(n, max(b.Burst(), 1))
		now := l.now()
		r := b.ReserveN(now, k)
		if !r.OK() {
			continue // the timetable lowered the burst meanwhile: ask again in smaller pieces
		}
		if err := sleep(ctx, r.DelayFrom(now)); err != nil {
			r.CancelAt(l.now())
			return err
		}
		n -= k
	}
	return nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
