package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/receipt"
	"github.com/haul-s3/haul/transfer"
)

type verifyFlags struct {
	deep        bool
	against     string
	concurrency int
}

func (a *app) verifyCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify RECEIPT...",
		Short: "Check that what receipts (cp, mv, sync --receipt) say was done is still so",
		Long: `Check each object and file that one or more receipts (written by cp, mv and sync with
--receipt FILE) record, against what the store and the disk hold now. Give the receipts of
every shard of a job (--shard I/N) together to check the whole job. When receipts hold
several lines of one object (a sync run again), the one done last (its time) stands,
whatever order the receipts are given in. A line of mv retires the line of its source
(mv a b, then mv b c: b is not missing), which still covers its own source for --against.

  haul verify job.receipt                              every object still as recorded
  haul verify job.shard-*-of-8.receipt --against ./data
                                                       ... and every file of ./data is in one
  haul verify pull.receipt --deep                      read the bytes back, too

What is checked, line by line (of an object, always its current version, whatever
version_id the line names: an object written over since the job is a difference, even
where the bucket keeps the version the job wrote):
  upload, copy, unchanged   a HEAD of the object (checksum mode on): it must be there
                            with the recorded size and ETag, and the recorded
                            checksum where the object carries one of that algorithm (haul's
                            own, recorded at upload, or the server's)
  delete                    the object (or, from a sync from S3, the local file) must be gone
  download                  the local file must be there with the recorded size and mtime
                            (a download to standard output: its object, as for upload)

--deep also reads the bytes: each object is downloaded (and checked as cp checks a
download) and each local file read, and their checksum must be the recorded one (or, with
none recorded, the MD5 ETag of a single-part object). A line with neither (a multipart
ETag and no checksum) is not counted as checked: the summary says how many were "not
read-checked: no checksum recorded". A sync's unchanged line with no checksum takes the
one an earlier line of the same object recorded with the same size and ETag.

--against DIR lists every file under DIR (walked as cp -r walks it: links followed, named
pipes, sockets and devices skipped) that is not the source of a line; --against
s3://bucket/prefix every key under the prefix that is not. This is how the receipts of all
the shards of a job show that the whole source arrived.

Each difference is one line on stdout ("missing: URL", "changed: URL: size 10 != receipt
12", "not deleted: URL", "not covered: PATH"), then a summary on stderr. Exit codes: 0
everything matches; 1 a difference, or an object or file that could not be checked; 2
usage (a receipt that cannot be read, or a line in one that is not a receipt line: a last
line cut short by a crash is passed over with a warning). A failure every object would
meet (refused credentials, a missing bucket, access denied) stops the check at once and is
explained as cp explains it: exit 2 when nothing was checked yet, else 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.verify(cmd.Context(), &f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.deep, "deep", false, "read every object and local file back and check its bytes against the recorded checksum")
	fl.StringVar(&f.against, "against", "", "also list what under this directory or s3://bucket/prefix no receipt line accounts for")
	fl.IntVar(&f.concurrency, "concurrency", transfer.DefaultConcurrency, "objects and files checked at once")
	return cmd
}

// verifier checks the lines of receipts. Its methods are safe for concurrent use.
type verifier struct {
	out  *output
	e    *transfer.Engine // nil when nothing needs the store
	head func(context.Context, object.Ref) (object.Info, error)
	deep bool

	mu                   sync.Mutex
	checked, diffs, fail int
	bytes                int64
	// unread counts, with deep, the lines found as recorded whose bytes could not be
	// compared with the receipt: it records no checksum of them (a multipart ETag, and no
	// checksum). They are not among checked.
	unread int
}

func (a *app) verify(ctx context.Context, f *verifyFlags, files []string) error {
	if f.concurrency < 1 {
		return usagef("--concurrency %d: give at least 1", f.concurrency)
	}
	var against object.Ref
	if object.IsURL(f.against) {
		var err error
		if against, err = object.ParseURL(f.against); err != nil {
			return &usageError{err}
		}
		against.Key = asPrefix(against.Key) // as cp -r takes it: p is p/, and p2/ is not under it
	} else if f.against != "" {
		if fi, err := os.Stat(f.against); err != nil || !fi.IsDir() {
			return usagef("--against %s: give a directory or an s3://bucket/prefix", f.against)
		}
	}
	latest, remote, err := a.readReceipts(files)
	if err != nil {
		return err
	}
	defer latest.Close()
	v := &verifier{out: a.output(), deep: f.deep}
	if against.Bucket != "" || remote {
		store, err := a.store(ctx, f.concurrency)
		if err != nil {
			return err
		}
		v.e = transfer.New(store, transfer.Options{Concurrency: f.concurrency})
		v.head = store.HeadObject
	}
	if f.against == "" {
		return v.finish(len(files), v.checkAll(ctx, latest, f.concurrency, nil))
	}
	sources, err := filelist.Collect(func(add func(string) error) error {
		return v.checkAll(ctx, latest, f.concurrency, add)
	})
	if err == nil {
		defer sources.Close()
		err = v.against(ctx, f.against, against, sources)
	}
	return v.finish(len(files), err)
}

// readReceipts reads every receipt, keeping the last line of each object and file: the
// line done last stands (receipt.Collect). remote says whether a line names an object to
// look at (rather than only local files). A receipt that cannot be read, or holds a line
// that is not a receipt line, is a usage error; a last line a crash cut short is passed
// over with a warning.
func (a *app) readReceipts(files []string) (latest *receipt.Latest, remote bool, err error) {
	latest, err = receipt.Collect(func(add func(receipt.Line) error) error {
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return usagef("cannot read the receipt: %v", err)
			}
			torn, err := receipt.Read(f, func(l receipt.Line) error {
				remote = remote || !l.Local()
				return add(l)
			})
			_ = f.Close()
			var se *receipt.SyntaxError
			switch {
			case errors.As(err, &se):
				return usagef("receipt %s: %v", name, err)
			case err != nil:
				return fmt.Errorf("receipt %s: %w", name, err)
			}
			if torn {
				a.output().warning(fmt.Sprintf("receipt %s ends in a partial line, passed over (a run that crashed while writing it)", name))
			}
		}
		return nil
	})
	return latest, remote, err
}

// checkAll checks the last line of each object and file, up to n at a time, and gives
// source (when not nil) the source of each line but a deletion's. It returns only an error
// that ends the run (a cancel, a store that refuses every request, a source not taken); a
// line that cannot be checked is a failure, printed and counted.
func (v *verifier) checkAll(ctx context.Context, latest *receipt.Latest, n int, source func(string) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	var serr error
	err := latest.Each(func(l receipt.Line) bool {
		if source != nil && l.Op != receipt.Delete && l.Source != "" {
			if serr = source(l.Source); serr != nil {
				return false
			}
		}
		if l.Retired() {
			return true // moved away since by a later line's move: not to be found
		}
		g.Go(func() error {
			found, err := v.find(gctx, l)
			if err != nil {
				return v.failed(l, err)
			}
			d := l.Compare(found)
			v.mu.Lock()
			if v.deep && d == nil && l.Op != receipt.Delete && found.Read == "" {
				v.unread++ // as recorded, but nothing to compare its bytes with
			} else {
				v.checked++
				if l.Op != receipt.Delete {
					v.bytes += l.Size // what is there, not what was deleted
				}
			}
			v.mu.Unlock()
			if d != nil {
				v.difference(*d, name(l), l.Op)
			}
			return nil
		})
		return gctx.Err() == nil
	})
	if werr := g.Wait(); werr != nil {
		return werr
	}
	if err := errors.Join(err, serr); err != nil {
		return err
	}
	return ctx.Err()
}

// name is what a difference of l names: its local file, or its object.
func name(l receipt.Line) string {
	if l.Local() {
		return l.Path
	}
	return l.URL
}

// failed prints a line that could not be checked and counts it; an error that every other
// line would meet too (a cancel, refused credentials, a missing bucket, access denied) is
// returned to end the run.
func (v *verifier) failed(l receipt.Line, err error) error {
	if errors.Is(err, context.Canceled) || stopsVerify(err) {
		return err
	}
	v.mu.Lock()
	v.fail++
	v.mu.Unlock()
	v.out.failed(event{Op: l.Op, Dst: name(l)}, fmt.Errorf("%s: %w", name(l), err))
	return nil
}

// difference prints one difference and counts it.
func (v *verifier) difference(d receipt.Difference, what, op string) {
	v.mu.Lock()
	v.diffs++
	v.mu.Unlock()
	text := d.Kind + ": " + what
	if d.Detail != "" {
		text += ": " + d.Detail
	}
	v.out.listed(event{Event: strings.ReplaceAll(d.Kind, " ", "_"), Op: op, Dst: what, Message: d.Detail}, text)
}

// stopsVerify reports whether err, met checking one line, is what checking every other
// line would meet too: the store says so (refused credentials, a missing bucket, an
// unreachable endpoint), or it denied access. Verify asks the same of every object (a
// HEAD, a read), so one denial stops it rather than failing each object in turn.
func stopsVerify(err error) bool {
	var se interface{ StopsRun() bool }
	var d interface{ Denied() bool }
	return errors.As(err, &se) && se.StopsRun() || errors.As(err, &d) && d.Denied()
}

// finish prints the summary and returns what decides the exit code: 1 when anything
// differed or could not be checked; for an error that stopped the run (stopsVerify), a
// stopError, which is explained as every command explains it (2 when nothing was checked).
func (v *verifier) finish(receipts int, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) && stopsVerify(err) {
		err = &stopError{err: err, done: v.checked + v.unread}
	}
	ev := event{Objects: &v.checked, Bytes: new(v.bytes), Receipts: &receipts, Differences: &v.diffs, Failed: &v.fail}
	text := fmt.Sprintf("%s checked (%s) from %s: %s", plural(v.checked, "object", "objects"), bytesize.Format(v.bytes),
		plural(receipts, "receipt", "receipts"), plural(v.diffs, "difference", "differences"))
	if v.fail > 0 {
		text += fmt.Sprintf(", %d could not be checked", v.fail)
	}
	if v.deep {
		ev.NotReadChecked = &v.unread
	}
	if v.unread > 0 {
		text += fmt.Sprintf(", %d not read-checked: no checksum recorded (found with the recorded size and ETag; an ETag of parts, or under SSE-KMS or SSE-C, is no checksum of the bytes)", v.unread)
	}
	if err != nil {
		v.out.summary(ev, text, err)
		return err
	}
	if v.diffs > 0 || v.fail > 0 {
		v.out.summary(ev, text, errReported)
		return errReported
	}
	v.out.summary(ev, text, nil)
	return nil
}
