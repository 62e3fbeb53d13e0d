// Package transfer is haul's engine: it moves local files, directory trees and streams to
// S3-compatible object storage and back.
//
// One Engine holds one limit on requests in flight and one budget of buffer memory, shared
// by every file and every part of a run, so that one huge file and a million small ones use
// the same workers and memory stays flat as the work grows. Objects larger than the
// multipart threshold are sent as parts read from the file through io.SectionReader (never
// read whole into memory) and fetched back as parallel ranged GETs written with WriteAt into
// a temporary file that is renamed into place only when complete.
//
// Every request is retried on its own when the store says the failure is retryable. When
// the context is cancelled the engine stops scheduling, cancels requests in flight, aborts
// every multipart upload it started (on a fresh context with its own timeout) and removes
// its temporary files before the call returns.
//
// # What a call returns
//
// Every call (UploadFile, UploadDir, UploadStream, DownloadFile, DownloadPrefix,
// DownloadStream) returns a Summary that counts each item it found once: Done (stored or
// written; Done == 1 after UploadFile means the object is stored), Failed (listed with
// reasons in Failures) or NotDone (listed in Unfinished: started or queued when the call was
// cancelled or stopped); an entry a producer passes over on purpose (Item.Skip: a symbolic
// link not followed, a named pipe) is counted in Ignored and fails nothing. Its error is
//
//   - nil when every item was done, even if ctx was cancelled after the last one finished;
//   - ctx's error (context.Canceled) when a cancel cut the call short: the items counted
//     in Done are stored, the rest are not, and nothing is left behind (with
//     Options.Journal, parts and temporary files are kept for a resume instead);
//   - a *StoppedError when a failure every item would meet stopped the call (see
//     StoppedError);
//   - the item's own error when the call had one item and it failed, or else an error
//     wrapping ErrSomeFailed and every failed item's error (an *ItemsError) when some
//     items failed.
package transfer

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

// Defaults for Options fields left zero.
const (
	DefaultConcurrency        = 16
	DefaultMultipartThreshold = 16 << 20
	DefaultMemoryBudget       = 256 << 20
	DefaultRetries            = 5
	DefaultStallTimeout       = time.Minute
)

// DefaultPartConcurrency is how many parts of big objects are in flight at once when
// Options.Concurrency is left zero: two per CPU, at least 4, at most DefaultConcurrency.
func DefaultPartConcurrency() int {
	return min(max(2*runtime.NumCPU(), 4), DefaultConcurrency)
}

// Options tune an Engine. The zero value of each field selects its default.
type Options struct {
	// Concurrency is the number of requests in flight at once, shared by all files and parts.
	// 0 selects DefaultConcurrency, of which at most DefaultPartConcurrency are parts.
	Concurrency int
	// PartConcurrency is the most of those requests that are parts of big objects
	// (UploadPart, a ranged or part GET) at once. 0 selects Concurrency when Concurrency is
	// given, else DefaultPartConcurrency. Small objects are many short requests whose time
	// goes mostly in waiting for answers, so they gain from many in flight; a big object's
	// parts keep the CPUs and the link busy with a few, and more only make them contend
	// (make bench-concurrency measures the curve this was chosen from: README, Performance).
	PartConcurrency int
	// PartSize forces the multipart part size; 0 chooses it per object (see PartSize).
	PartSize int64
	// MultipartThreshold is the size above which a file is sent in parts and downloaded
	// with parallel ranged GETs.
	MultipartThreshold int64
	// MemoryBudget bounds the bytes held in buffers for streams of unknown size.
	MemoryBudget int64
	// Retries is how many times one failed request is sent again; 0 selects
	// DefaultRetries and a negative value turns retries off.
	Retries int
	// RetryBase and RetryMax shape the exponential backoff (full jitter) between attempts.
	RetryBase, RetryMax time.Duration
	// StallTimeout cancels and retries a request that moves no byte for this long: no byte
	// of its body taken, no byte of its answer received. 0 selects DefaultStallTimeout; a
	// negative value turns it off. CompleteMultipartUpload and aborts are exempt: S3 may
	// take minutes to complete a large object.
	StallTimeout time.Duration
	// ThrottleTimeout is how long the run rides out a server that throttles every request
	// (503 SlowDown, 429), with no request succeeding, before the requests fail with a
	// *ThrottledError; throttled attempts are waited out together (one backoff shared by
	// the engine's requests) and do not count against Retries. 0 selects
	// DefaultThrottleTimeout; a negative value is no limit.
	ThrottleTimeout time.Duration
	// Object holds the properties given to every uploaded object. Its Checksum left empty
	// takes the store's default (s3store: the provider's; else CRC32C), as the command
	// line does; object.ChecksumNone sends none.
	Object object.Options
	// Observer receives the run's events; nil discards them.
	Observer Observer
	// SkipVerify turns off checking downloads against what the object says its bytes must
	// be: the whole-file checksum haul records in metadata, the server's whole-object
	// checksum, the MD5 ETag of a single-part object, or a multipart object's parts (their
	// checksums, else the multipart ETag). With checking on (the default) a mismatch is
	// retried, then the item fails and no file is written.
	SkipVerify bool
	// VerifyRequired makes a download that cannot be verified (an SSE-KMS or SSE-C object
	// with no checksum, a server that tells neither part layout nor checksums) fail, no
	// file written, with an *UnverifiedError; without it such a download is written and
	// its Done event says Verified "none".
	VerifyRequired bool
	// Source is the store Copy items read from when it is another server or account than
	// the engine's store: each object's bytes then pass through the client, part by part in
	// buffers of the memory budget (never staged on disk), and are checked end to end
	// against the source's whole-object checksum. nil: the engine's own store, where a copy
	// is made by the server (Copier) without its bytes leaving it.
	Source Store
	// ReplaceMetadata gives copies the metadata, content type and cache control of their
	// object options (Object, WithObject, Item.Options) instead of the source object's
	// (S3's metadata directive REPLACE; COPY without it). The ACL, storage class and
	// encryption given are applied either way; those not given are the source's.
	ReplaceMetadata bool
	// IgnoreGrants makes copies neither read nor carry their source's grants (no
	// GetObjectAcl per object): a copy then gets the ACL given in its object options, or
	// the destination bucket's default. Without it a copy given no canned ACL carries the
	// source's grants beyond its owner's (see copyOptions).
	IgnoreGrants bool
	// Journal, when set, makes the run resumable: multipart uploads and downloads are
	// recorded as they progress, finished items are skipped when the run is repeated, and
	// a cancelled or failed run keeps its uploaded parts and temporary files for the next
	// run instead of aborting them. Streams (UploadStream, DownloadStream) are not resumable;
	// nor is a copy between stores (Options.Source) in parts, which starts over (its
	// end-to-end check needs every byte read in one run).
	Journal *journal.Journal
	// ShareWait is how long a run that shares a file's upload with other runs (SplitLarge)
	// waits for the upload to appear before it fails with a *ShareWaitError. 0 selects
	// DefaultShareWait.
	ShareWait time.Duration
	// Bandwidth caps the bytes sent and received by every request of the engine (see
	// Bandwidth); the zero value caps nothing.
	Bandwidth Bandwidth
}

// Engine moves data between local files and a Store. It is safe for concurrent use; calls
// made at the same time share its request limit and memory budget.
type Engine struct {
	store Store
	opts  Options
	limit *limiter            // requests in flight
	parts *semaphore.Weighted // parts in flight, when fewer than limit's maximum; else nil
	gate  *throttleGate       // the backoff throttled requests share
	mem   *semaphore.Weighted // stream buffer bytes
	bufs  sync.Pool           // stream part buffers (*[]byte), reused between parts

	checksums sync.Map // bucket -> the store's default checksum algorithm
	// noGrants holds, for a source bucket of which no object's grants can be read
	// (object.ErrUnreadable), why: later copies from it do not ask again.
	noGrants sync.Map
}

// New returns an Engine that uses store.
func New(store Store, opts Options) *Engine {
	switch {
	case opts.Concurrency <= 0:
		opts.Concurrency = DefaultConcurrency
		if opts.PartConcurrency <= 0 {
			opts.PartConcurrency = DefaultPartConcurrency()
		}
	case opts.PartConcurrency <= 0:
		opts.PartConcurrency = opts.Concurrency
	}
	opts.PartConcurrency = min(opts.PartConcurrency, opts.Concurrency)
	if opts.MultipartThreshold <= 0 {
		opts.MultipartThreshold = DefaultMultipartThreshold
	}
	if opts.MemoryBudget <= 0 {
		opts.MemoryBudget = DefaultMemoryBudget
	}
	switch {
	case opts.Retries == 0:
		opts.Retries = DefaultRetries
	case opts.Retries < 0:
		opts.Retries = 0
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 100 * time.Millisecond
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 10 * time.Second
	}
	switch {
	case opts.StallTimeout == 0:
		opts.StallTimeout = DefaultStallTimeout
	case opts.StallTimeout < 0:
		opts.StallTimeout = 0
	}
	switch {
	case opts.ThrottleTimeout == 0:
		opts.ThrottleTimeout = DefaultThrottleTimeout
	case opts.ThrottleTimeout < 0:
		opts.ThrottleTimeout = 0
	}
	var parts *semaphore.Weighted
	if opts.PartConcurrency < opts.Concurrency {
		parts = semaphore.NewWeighted(int64(opts.PartConcurrency))
	}
	return &Engine{
		store: store,
		opts:  opts,
		parts: parts,
		limit: newLimiter(int64(opts.Concurrency)),
		gate:  &throttleGate{},
		mem:   semaphore.NewWeighted(opts.MemoryBudget),
	}
}

// ErrSomeFailed is wrapped by the error of a run in which some items failed and others
// were done; the Summary lists the failures.
var ErrSomeFailed = errors.New("some items failed")

// Summary is what a run did. Every item the run found is counted once: done, failed or not
// done. Items a cancelled or stopped run had not found yet (files not walked, keys not
// listed) are in no count.
type Summary struct {
	Done     int   // items transferred (including those skipped as already done)
	Skipped  int   // items a journal showed were already done
	Failed   int   // items that failed
	NotDone  int   // items started or queued but not finished: the run was cancelled or stopped
	Ignored  int   // entries passed over on purpose (Item.Skip): links not followed, special files
	Bytes    int64 // bytes of the items done
	Elapsed  time.Duration
	Failures []Failure
	// Unfinished lists the items counted in NotDone, with the cause: the context's cause
	// (context.Canceled) or the failure that stopped the run.
	Unfinished []Failure
}

// Failure is one item that was not transferred, and why.
type Failure struct {
	Item Item
	Err  error
}
