package transfer

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// A request throttled many times in a row, more than its retries, still succeeds: throttled
// attempts wait on the shared gate and do not count against the retries.
func TestThrottledAttemptsDoNotUseUpRetries(t *testing.T) {
	p := Policy{Retries: 1, Base: time.Microsecond, Max: time.Millisecond, ThrottleTimeout: time.Minute}
	attempts := 0
	err := p.Do(context.Background(), func(context.Context) error {
		if attempts++; attempts <= 20 {
			return slowDown
		}
		return nil
	}, nil)
	if err != nil || attempts != 21 {
		t.Fatalf("err %v after %d attempts; want success on the 21st", err, attempts)
	}
	// Real failures still count: one retry, then the error.
	attempts = 0
	boom := &fakeErr{code: "InternalError", retryable: true}
	err = p.Do(context.Background(), func(context.Context) error { attempts++; return boom }, nil)
	if !errors.Is(err, boom) || attempts != 2 {
		t.Fatalf("err %v after %d attempts; want the error after 1 retry", err, attempts)
	}
}

// A server that throttles every request for longer than the throttle timeout fails the
// request with a ThrottledError that wraps its last answer.
func TestThrottleTimeoutEndsAnEndlessStreak(t *testing.T) {
	p := Policy{Retries: 1, Base: time.Microsecond, Max: time.Millisecond, ThrottleTimeout: 30 * time.Millisecond}
	err := p.Do(context.Background(), func(context.Context) error { return slowDown }, nil)
	var te *ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, slowDown) || te.For < 30*time.Millisecond {
		t.Fatalf("err %v; want a ThrottledError after the timeout, wrapping SlowDown", err)
	}
}

// The gate is shared: after a throttled answer, no request of the engine starts before the
// gate opens, whichever worker was throttled.
func TestThrottleGateHoldsEveryRequest(t *testing.T) {
	g := &throttleGate{}
	d, _ := g.throttled(time.Second, time.Second)
	start := time.Now()
	if err := g.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < d-5*time.Millisecond {
		t.Fatalf("waited %s at a gate closed for %s", waited, d)
	}
	g.ok()
	ctx, cancel := context.WithCancel(context.Background())
	g.throttled(time.Hour, time.Hour)
	cancel()
	if err := g.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on a cancelled context: %v", err)
	}
}

// A directory upload through a server that throttles its first 60 requests, then fails one
// request in ten, completes every file with 2 retries: the throttling uses up no retry.
func TestUploadDirRidesOutThrottling(t *testing.T) {
	fs := newFake()
	var n atomic.Int64
	fs.hook = func(c fakeCall, attempt int) error {
		i := n.Add(1)
		switch {
		case i <= 60:
			return slowDown
		case i%10 == 0 && attempt == 1:
			return &fakeErr{code: "InternalError", retryable: true}
		}
		return nil
	}
	dir := t.TempDir()
	for i := range 30 {
		writeFile(t, filepath.Join(dir, string(rune('a'+i%26))+string(rune('a'+i/26))), randomBytes(1000+i, uint64(i)))
	}
	e := New(fs, Options{Retries: 2, RetryBase: time.Microsecond, RetryMax: time.Millisecond, Concurrency: 4})
	sum, err := e.UploadDir(context.Background(), dir, object.Ref{Bucket: "b", Key: "p/"})
	if err != nil || sum.Done != 30 {
		t.Fatalf("upload: %v, %d done; want all 30", err, sum.Done)
	}
}
