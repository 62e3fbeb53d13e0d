package syncplan

import (
	"context"
	"sync/atomic"

	"github.com/haul-s3/haul/transfer"
)

// outcome is what follows from one key's decision: fn yields its items (or records it as
// unchanged) and reports whether the run wants more. done is closed once fn is set; nil
// when it was set from the start.
type outcome struct {
	done chan struct{}
	fn   func(yield func(transfer.Item) bool) bool
}

func decided(fn func(yield func(transfer.Item) bool) bool) *outcome {
	return &outcome{fn: fn}
}

// ordered runs outcomes in the order they were pushed, each once it is decided, on one
// goroutine: decisions made in parallel are yielded (and recorded in the state) in key
// order. At most window outcomes wait, so memory stays bounded.
type ordered struct {
	ctx     context.Context
	queue   chan *outcome
	done    chan struct{}
	stopped atomic.Bool
}

// newOrdered starts the goroutine that runs outcomes with yield. When yield returns false
// (the run wants no more), it calls stop and runs no more outcomes.
func newOrdered(ctx context.Context, window int, yield func(transfer.Item) bool, stop func()) *ordered {
	o := &ordered{ctx: ctx, queue: make(chan *outcome, window), done: make(chan struct{})}
	go func() {
		defer close(o.done)
		for out := range o.queue {
			if out.done != nil {
				<-out.done
			}
			if !o.stopped.Load() && !out.fn(yield) {
				o.stopped.Store(true)
				stop()
			}
		}
	}()
	return o
}

// push queues out, waiting while the window is full; false when the run wants no more.
func (o *ordered) push(out *outcome) bool {
	if o.stopped.Load() {
		return false
	}
	select {
	case o.queue <- out:
		return true
	case <-o.ctx.Done():
		return false
	}
}

// close waits until every queued outcome has run and reports whether the run stopped
// wanting items.
func (o *ordered) close() bool {
	close(o.queue)
	<-o.done
	return o.stopped.Load()
}
