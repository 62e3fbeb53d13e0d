package cli

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"syscall"
)

// ExitClosedPipe is the exit code when the reader of haul's output went away (| head): the
// code a shell reports for a program killed by SIGPIPE, as ls or cat would be.
const ExitClosedPipe = 128 + int(syscall.SIGPIPE)

// errClosedPipe is the cause of a run cancelled because its output pipe was closed.
var errClosedPipe = errors.New("output pipe closed")

// pipes watches haul's stdout and stderr for a reader that went away. The first write that
// fails with EPIPE cancels the run (which stops and cleans up as on Ctrl-C) and silences
// both streams, so that haul ends quietly, with no half-printed error, as ls and grep do.
type pipes struct {
	closed atomic.Bool
	cancel context.CancelCauseFunc
}

// watch wraps w. Data written to stdout must not be taken for written when it was not, so
// a silenced stdout keeps failing; a silenced stderr swallows what it is given.
func (p *pipes) watch(w io.Writer, swallow bool) io.Writer {
	return &pipeWriter{w: w, p: p, swallow: swallow}
}

type pipeWriter struct {
	w       io.Writer
	p       *pipes
	swallow bool
}

func (pw *pipeWriter) Write(b []byte) (int, error) {
	if pw.p.closed.Load() {
		if pw.swallow {
			return len(b), nil
		}
		return 0, syscall.EPIPE
	}
	n, err := pw.w.Write(b)
	if err != nil && closedPipe(err) {
		pw.p.closed.Store(true)
		pw.p.cancel(errClosedPipe)
		if pw.swallow {
			return len(b), nil
		}
	}
	return n, err
}

// Fd returns the file descriptor of the stream underneath, so that terminal checks still
// see it; ^uintptr(0) when it has none.
func (pw *pipeWriter) Fd() uintptr {
	if f, ok := pw.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}
