package transfer

import (
	"context"
	"io"
)

// RateLimiter paces bytes: a token bucket of bytes shared by every request that uses it.
// *rate.Limiter of golang.org/x/time/rate has these methods, and so has package bwlimit's
// Direction (which follows a timetable). It must be safe for concurrent use.
type RateLimiter interface {
	// WaitN blocks until n bytes may move, or ctx ends (it then returns an error).
	WaitN(ctx context.Context, n int) error
	// Burst is the most bytes one WaitN may ask for; 0 when there is no limit.
	Burst() int
}

// Bandwidth caps the bytes a run moves. Up paces the bodies of requests (PutObject,
// UploadPart; the upload half of a copy between stores), Down the bodies of answers
// (GetObject, in every download and the download half of a copy between stores); nil
// leaves that direction unpaced. Give both the same limiter for one cap on the two
// directions together. A copy made by the server (CopyObject, UploadPartCopy) moves no byte
// through the client and is not paced. Listings, HEADs and other small requests are not
// counted.
//
// A paced body moves at most pacedChunk bytes (or the limiter's burst) per wait, and the
// stall watch (Options.StallTimeout) is held while it waits for the limiter: a request
// that is slow because of the cap is not a stalled one. A paced upload is read through its
// body (no sendfile), so that every byte is counted.
type Bandwidth struct {
	Up, Down RateLimiter
}

// pacedChunk is the most bytes a paced body moves per wait for the limiter.
const pacedChunk = 64 << 10

// upBody returns body paced by the engine's upload limit, or body itself when there is
// none. The paced body has only Read and Seek: a store does not see the file under it
// (s3store would send a file's section with sendfile, past the pacing), nor a small file's
// bytes in memory (which s3store would send without reading them).
func (t *task) upBody(ctx context.Context, body io.ReadSeeker) io.ReadSeeker {
	lim := t.e.opts.Bandwidth.Up
	if lim == nil {
		return body
	}
	return &pacedReadSeeker{pacedReader: pacedReader{ctx: ctx, r: body, lim: lim}, s: body}
}

// downBody returns body paced by the engine's download limit, or body itself when there is
// none.
func (t *task) downBody(ctx context.Context, body io.Reader) io.Reader {
	lim := t.e.opts.Bandwidth.Down
	if lim == nil {
		return body
	}
	return &pacedReader{ctx: ctx, r: body, lim: lim}
}

// pacedReader reads at most a chunk at a time and waits for the limiter's tokens for the
// bytes each read brought, with the stall watch of ctx's attempt held meanwhile.
type pacedReader struct {
	ctx context.Context //nolint:containedctx // the attempt's: the wait and its stall watch
	r   io.Reader
	lim RateLimiter
}

func (p *pacedReader) Read(b []byte) (int, error) {
	chunk := pacedChunk
	if burst := p.lim.Burst(); burst > 0 {
		chunk = min(chunk, burst)
	}
	if len(b) > chunk {
		b = b[:chunk]
	}
	n, err := p.r.Read(b)
	if n > 0 {
		if werr := pace(p.ctx, p.lim, n); werr != nil {
			return 0, werr
		}
	}
	return n, err
}

// pacedReadSeeker is a pacedReader of a request body, which the store may seek.
type pacedReadSeeker struct {
	pacedReader
	s io.Seeker
}

func (p *pacedReadSeeker) Seek(offset int64, whence int) (int64, error) {
	return p.s.Seek(offset, whence)
}

// pace waits until n bytes may move, with the stall watch held: waiting for the limiter is
// not a stall. It returns ctx's error when ctx ends first.
func pace(ctx context.Context, lim RateLimiter, n int) error {
	resume := Hold(ctx)
	defer resume()
	if err := lim.WaitN(ctx, n); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &BandwidthError{Err: err}
	}
	return nil
}

// BandwidthError is a wait for the bandwidth limit that failed other than by the context
// ending (a limiter that cannot give the bytes asked for). It is not retried.
type BandwidthError struct{ Err error }

func (e *BandwidthError) Error() string { return "bandwidth limit: " + e.Err.Error() }

// Unwrap returns the limiter's error.
func (e *BandwidthError) Unwrap() error { return e.Err }
