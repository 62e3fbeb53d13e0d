package transfer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultThrottleTimeout is how long a run rides out a server that throttles every request
// (no request succeeding in between) before it gives up, when Options.ThrottleTimeout is 0.
// S3 answers SlowDown for minutes while it scales a prefix: this is meant to outlast that.
const DefaultThrottleTimeout = 10 * time.Minute

// throttleGate is the backoff the engine's requests share when the server throttles them
// (503 SlowDown, 429, 503 with a throttling code): a throttled answer sets a time before
// which no request starts, for every worker at once, growing with each throttled answer
// and cleared by any success. A throttled attempt does not count against the request's
// retries, which are for real failures; the gate's own limit is on time: a streak of
// throttled answers with no success that lasts longer than the timeout fails the request
// with a *ThrottledError.
type throttleGate struct {
	mu     sync.Mutex
	until  time.Time // no attempt starts before this
	streak int       // throttled answers since the last success
	since  time.Time // when the streak began
}

// wait returns when the gate is open, or with ctx's error.
func (g *throttleGate) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		d := time.Until(g.until)
		g.mu.Unlock()
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// ok records a success: the streak ends.
func (g *throttleGate) ok() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.streak = 0
	g.since = time.Time{}
}

// throttled records a throttled answer and closes the gate for a while: a random wait up
// to base·2^streak, capped at max (full jitter), from now. It returns the wait and how long
// the streak has lasted.
func (g *throttleGate) throttled(base, max time.Duration) (time.Duration, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if g.streak == 0 {
		g.since = now
	}
	g.streak++
	limit := base << min(g.streak, 20)
	if limit > max || limit <= 0 {
		limit = max
	}
	d := time.Millisecond
	if limit > 0 {
		d += rand.N(limit)
	}
	if until := now.Add(d); until.After(g.until) {
		g.until = until
	}
	return time.Until(g.until), now.Sub(g.since)
}

// ThrottledError is a request the server kept throttling, with no request succeeding,
// for longer than the throttle timeout (Options.ThrottleTimeout).
type ThrottledError struct {
	For time.Duration // how long the server had been throttling
	Err error         // its last answer
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("the server throttled every request for %s: %v", e.For.Round(time.Second), e.Err)
}

// Unwrap returns the server's last answer.
func (e *ThrottledError) Unwrap() error { return e.Err }
