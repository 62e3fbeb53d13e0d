package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/haul-s3/haul/receipt"
	"github.com/haul-s3/haul/syncplan"
	"github.com/haul-s3/haul/transfer"
)

// receiptFlag is --receipt FILE of cp, mv and sync: a line for each object done, written
// as it is done (package receipt), for haul verify.
type receiptFlag struct {
	path string
}

func (r *receiptFlag) register(fl *pflag.FlagSet) {
	fl.StringVar(&r.path, "receipt", "", "append one JSON line per object done (uploaded, downloaded, copied, deleted; with sync also unchanged) to FILE as each is done, for haul verify; with --shard I/N, FILE gets .shard-I-of-N before its extension; - writes them to stdout (with --quiet)")
}

// receipts is the receipt of a run: an observer that writes a line for each item done and
// passes every event on to the reporter. It never changes what happens: a write that
// fails is reported at the end (close), and the run goes on.
type receipts struct {
	w     *receipt.Writer
	shard string // I/N of a sharded run
	next  transfer.Observer
}

// checkReceipt refuses --receipt where it cannot work: on a dry run, which does nothing
// to record, and "-" (stdout) on a run that prints anything else there (only --quiet
// without --json and without data to stdout prints nothing there).
func (a *app) checkReceipt(r receiptFlag, dryRun, dataOnStdout bool) error {
	switch {
	case r.path == "":
		return nil
	case dryRun:
		return usagef("--receipt records what a run did: a dry run does nothing to record")
	case r.path == "-" && (dataOnStdout || a.json || !a.quiet):
		return usagef("--receipt -: standard output carries the run's own lines; give --quiet (and no --json, no - destination), or a file")
	}
	return nil
}

// openReceipt opens the receipt of --receipt (checked by checkReceipt), if given: the file
// with the shard's suffix (shard.file), or stdout for "-". nil when none was asked for.
func (a *app) openReceipt(r receiptFlag, sh *shardFlags) (*receipts, error) {
	if r.path == "" {
		return nil, nil
	}
	rc := &receipts{}
	if sh.shard.Sharded() {
		rc.shard = sh.shard.String()
	}
	if r.path == "-" {
		rc.w = receipt.NewWriter(a.stdout)
		return rc, nil
	}
	path := sh.file(r.path)
	w, cut, err := receipt.Create(path)
	if err != nil {
		return nil, &usageError{err}
	}
	if cut > 0 {
		a.output().note(event{Dst: path}, fmt.Sprintf("the receipt %s ended in a partial line (%d bytes) that a crashed run left; it was cut off", path, cut))
	}
	rc.w = w
	return rc, nil
}

// observe returns the observer of a run with a receipt: rc, in front of next; next itself
// when rc is nil.
func (rc *receipts) observe(next transfer.Observer) transfer.Observer {
	if rc == nil {
		return next
	}
	rc.next = next
	return rc
}

// Observe implements transfer.Observer: a line for each item done. An item skipped by a
// resumed run gets none: the interrupted run's receipt (the same file, appended to) has it.
//
// A shard's share of a file's parts (--shard-parts-over) gets one only from the shard that
// completed the upload, with the whole object's size: the others wrote no object.
func (rc *receipts) Observe(ev transfer.Event) {
	if ev.Kind == transfer.Done && (ev.Share == nil || ev.Share.Completed) {
		if ev.Share != nil {
			ev.Item.Size = ev.Share.Layout.Size
		}
		_ = rc.w.Write(rc.done(ev)) // a failure sticks, and close reports it
	}
	if rc.next != nil {
		rc.next.Observe(ev)
	}
}

// done is the line of an item done.
func (rc *receipts) done(ev transfer.Event) receipt.Line {
	it := ev.Item
	l := rc.line(string(it.Op), it)
	l.Verified, l.VersionID = ev.Verified, ev.VersionID
	if ev.Checksum.Algorithm != "" {
		l.ChecksumAlgorithm, l.Checksum = ev.Checksum.Algorithm, ev.Checksum.Value
		if it.Op == transfer.Upload {
			l.Verified = "server" // each request carried a checksum of its bytes, which the server checked
		}
	}
	return l
}

// line is what every line of it says: the object, where its bytes came from or went, and
// when.
func (rc *receipts) line(op string, it transfer.Item) receipt.Line {
	l := receipt.Line{Op: op, Size: it.Size, ETag: strings.Trim(it.ETag, `"`), Reason: it.Reason, Moved: it.Move, Time: time.Now().UTC(), Shard: rc.shard}
	if ref := it.Object; ref.Bucket != "" {
		l.URL, l.Bucket, l.Key = ref.String(), ref.Bucket, ref.Key
	}
	switch it.Op {
	case transfer.Upload:
		l.Source, l.SourceMtime = absLocal(it.Path), it.LastModified
	case transfer.Copy:
		l.Source = it.Source.String()
	case transfer.Download:
		l.Source = l.URL
		if it.Path != "-" { // a download to standard output leaves no file: its line is the object's
			l.Path = absLocal(it.Path)
			l.Mtime = fileMtime(l.Path)
		}
	case transfer.Delete:
		if it.Object.Bucket == "" { // a local file (a sync from S3)
			l.Path = absLocal(it.Path)
		}
	}
	return l
}

// fileMtime is the mtime of the file at path; zero if it cannot be read.
func fileMtime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// unchanged writes the line of a key a sync found the same on both sides
// (syncplan.Options.Unchanged): the object, and the local file or source object it was
// compared with, as the comparison saw them.
func (rc *receipts) unchanged(s syncplan.Same) {
	it := s.Item
	it.Size, it.ETag = s.Object.Size, s.Object.ETag
	l := rc.line(receipt.Unchanged, it)
	switch it.Op {
	case transfer.Upload:
		l.SourceMtime = s.Other.ModTime
	case transfer.Download:
		l.Mtime = s.Other.ModTime
	}
	if s.Sum.Algorithm != "" {
		l.ChecksumAlgorithm, l.Checksum = s.Sum.Algorithm, s.Sum.Value
	}
	_ = rc.w.Write(l)
}

// close closes the receipt and returns err, or, when the run itself went well, the error
// of a line that could not be written: a receipt with a gap in it is no receipt.
func (rc *receipts) close(err error) error {
	if rc == nil {
		return err
	}
	if cerr := rc.w.Close(); cerr != nil && err == nil {
		return fmt.Errorf("%w (the run itself went through)", cerr)
	}
	return err
}
