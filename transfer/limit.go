package transfer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sync/semaphore"
)

// limiter is the request limit shared by a run's files and parts, adapted to the server:
// when a request is throttled (503 SlowDown, 429) the limit is halved, and after every
// limit-many requests that succeed in a row it grows by one again, back up to the
// configured concurrency (additive increase, multiplicative decrease, as TCP does).
//
// The slots are one semaphore of the full size; a lower limit is kept by the limiter
// holding the difference itself. Taking them back waits for requests in flight to finish,
// and the semaphore's first-come order means no new request starts meanwhile.
type limiter struct {
	sem *semaphore.Weighted
	max int64

	mu        sync.Mutex
	limit     int64  // the limit in force, or being put in force
	withheld  int64  // slots the limiter holds: max - limit once a cut has taken effect
	epoch     uint64 // counts cuts; a request throttled under an older limit does not cut again
	successes int64  // requests that succeeded since the last change
}

// acquirePart waits for a request slot for a part of a big object (an UploadPart, a ranged
// GET): one of the engine's part slots, when it has a cap of its own for parts, then one of
// the shared slots. releasePart gives the part slot back (the shared one goes back with
// the request, as every request's does).
func (e *Engine) acquirePart(ctx context.Context) error {
	if e.parts != nil {
		if err := e.parts.Acquire(ctx, 1); err != nil {
			return err
		}
	}
	if err := e.limit.acquire(ctx); err != nil {
		e.releasePart()
		return err
	}
	return nil
}

func (e *Engine) releasePart() {
	if e.parts != nil {
		e.parts.Release(1)
	}
}

func newLimiter(n int64) *limiter {
	return &limiter{sem: semaphore.NewWeighted(n), max: n, limit: n}
}

// acquire waits for a request slot.
func (l *limiter) acquire(ctx context.Context) error { return l.sem.Acquire(ctx, 1) }

// current returns the epoch a request starts under, to hand to release.
func (l *limiter) current() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch
}

// throttled is implemented by errors that say the server asked for fewer requests.
func throttled(err error) bool {
	var t interface{ Throttled() bool }
	return errors.As(err, &t) && t.Throttled()
}

// release gives a slot back and adapts the limit to how its request ended. It returns a
// sentence for the output when the limit changed (lowered, or back at the full value).
func (l *limiter) release(epoch uint64, err error) string {
	defer l.sem.Release(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case throttled(err):
		if epoch != l.epoch || l.limit == 1 {
			return "" // throttled under a limit already cut, or as low as it goes
		}
		cut := l.limit / 2
		l.limit -= cut
		l.epoch++
		l.successes = 0
		go l.withhold(cut)
		return fmt.Sprintf("the server is throttling (%v): requests in flight lowered to %d", err, l.limit)
	case err == nil:
		l.successes++
		if l.successes < l.limit || l.withheld == 0 {
			return ""
		}
		l.successes = 0
		l.withheld--
		l.limit++
		l.sem.Release(1)
		if l.limit == l.max {
			return fmt.Sprintf("the server is no longer throttling: requests in flight back to %d", l.max)
		}
	}
	return ""
}

// withhold takes n slots out of use, waiting for requests in flight to give them back.
func (l *limiter) withhold(n int64) {
	_ = l.sem.Acquire(context.Background(), n)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.withheld += n
}
