package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// This file holds the one output language that every command speaks; the README's Output
// section describes it for users and must change with it.
//
// Text: what a command lists or did goes to stdout, one line per thing; "note:", "failed:"
// and "summary:" lines go to stderr. --quiet leaves out everything but failures, errors and
// a listing's own lines (the data that was asked for, as cp's bytes to stdout are).
//
// --json: one event per line on stdout, each a JSON object with an "event" field, and
// always one "summary" event last once the command has started (usage errors, exit 2,
// print only their message). A summary counts each kind of item event under the name of
// that kind (deleted, aborted, objects, ...), failures as "failed", and carries "error"
// when the run ended on an error instead of running to its end.

// event is one line of --json output. Every field but Event is left out when it is empty or
// nil, so an event carries only what applies to it; a field means the same in every
// command's events. Counts and sizes are pointers so that a zero that applies is printed
// and one that does not is left out: set them with new(n).
//
// It holds every field of cp's events (report.go) with the same JSON names.
type event struct {
	Event string `json:"event"`           // what happened: done, failed, object, summary, ...
	Op    string `json:"op,omitempty"`    // the operation: upload, download, delete, abort, make_bucket, list
	Src   string `json:"src,omitempty"`   // where an item comes from: a path or s3:// URL
	Dst   string `json:"dst,omitempty"`   // where an item goes, or the s3:// URL acted on
	Bytes *int64 `json:"bytes,omitempty"` // bytes moved, held or listed (in a summary: all of them)

	Seconds  float64 `json:"seconds,omitempty"`   // how long it took; in a retry event, the wait before the next attempt
	Error    string  `json:"error,omitempty"`     // why it failed; in a summary, the error that ended the run
	UploadID string  `json:"upload_id,omitempty"` // a multipart upload's ID
	Attempt  int     `json:"attempt,omitempty"`   // the attempt that failed, in a retry event
	Verified string  `json:"verified,omitempty"`  // what a download was checked against; "none" when nothing could be
	// Unverified says why a download with "verified":"none" could not be checked.
	Unverified string `json:"unverified,omitempty"`
	// NoGrants says, on a copy's done event, why its source's grants could not be read (the
	// copy has the destination bucket's default ACL).
	NoGrants string `json:"no_grants,omitempty"`
	Reason   string `json:"reason,omitempty"` // sync: why an item is in the plan (new, size 1 B -> 2 B, ...)
	Moved    bool   `json:"moved,omitempty"`  // mv: the source was removed once the item was verified

	// Listings.
	Bucket       string        `json:"bucket,omitempty"`        // a bucket's name
	Key          string        `json:"key,omitempty"`           // an object's key, a prefix, or an upload's key
	Size         *int64        `json:"size,omitempty"`          // an object's size
	ETag         string        `json:"etag,omitempty"`          // an object's ETag, without quotes
	LastModified string        `json:"last_modified,omitempty"` // RFC 3339, UTC
	Initiated    string        `json:"initiated,omitempty"`     // when a multipart upload started, RFC 3339, UTC
	Parts        *int          `json:"parts,omitempty"`         // parts a multipart upload holds
	Message      string        `json:"message,omitempty"`       // what a note says
	Shard        string        `json:"shard,omitempty"`         // cp --upload-id: the shard I/N a run sent
	Sent         *int          `json:"sent,omitempty"`          // cp --upload-id: the shard's parts sent
	Held         *int          `json:"held,omitempty"`          // cp --upload-id: the shard's parts the server held already
	Requests     *requestsJSON `json:"requests,omitempty"`      // the requests an item of a plan takes (cp --dry-run), or all of them
	*ruleJSON                  // a lifecycle rule's fields (lifecycle.go)

	// Counts, in summaries: each is present only in the summaries of the commands it fits.
	Items       *int `json:"items,omitempty"`        // cp --dry-run: items planned
	Done        *int `json:"done,omitempty"`         // cp: items done (skipped ones included)
	Failed      *int `json:"failed,omitempty"`       // items that failed
	NotDone     *int `json:"not_done,omitempty"`     // cp: items not finished when the run stopped (reserved)
	Skipped     *int `json:"skipped,omitempty"`      // cp, mv, sync: local entries passed over (links not followed, loops, special files)
	Deleted     *int `json:"deleted,omitempty"`      // rm
	Objects     *int `json:"objects,omitempty"`      // ls
	Prefixes    *int `json:"prefixes,omitempty"`     // ls
	Buckets     *int `json:"buckets,omitempty"`      // ls of buckets
	Created     *int `json:"created,omitempty"`      // mb
	Removed     *int `json:"removed,omitempty"`      // rb: buckets removed
	Uploads     *int `json:"uploads,omitempty"`      // uploads ls
	Aborted     *int `json:"aborted,omitempty"`      // uploads abort
	WouldAbort  *int `json:"would_abort,omitempty"`  // uploads abort --dry-run
	SizeUnknown *int `json:"size_unknown,omitempty"` // uploads whose parts could not be counted
	Rules       *int `json:"rules,omitempty"`        // lifecycle show
	Installed   *int `json:"installed,omitempty"`    // lifecycle abort-incomplete: a new rule
	Replaced    *int `json:"replaced,omitempty"`     // lifecycle abort-incomplete: a rule replaced
	Uploaded    *int `json:"uploaded,omitempty"`     // sync: files uploaded
	Downloaded  *int `json:"downloaded,omitempty"`   // sync: objects downloaded
	Copied      *int `json:"copied,omitempty"`       // sync: objects copied from S3 to S3
	Unchanged   *int `json:"unchanged,omitempty"`    // sync: keys the same on both sides
	Protected   *int `json:"protected,omitempty"`    // sync: keys not deleted because their source could not be read
	Receipts    *int `json:"receipts,omitempty"`     // verify: receipt files read
	Differences *int `json:"differences,omitempty"`  // verify: objects and files not as their receipts say
	// NotReadChecked counts, in verify --deep's summary, the objects and files found as their
	// receipts say whose bytes were not compared: the receipt records no checksum of them.
	NotReadChecked *int `json:"not_read_checked,omitempty"`

	// Calls counts the S3 requests a command sent, by operation (sync).
	Calls map[string]int `json:"calls,omitempty"`
}

// counted returns the sum of the event's counts: zero in a summary of a run that did
// nothing.
func (ev *event) counted() int {
	n := 0
	for _, c := range []*int{ev.Done, ev.Failed, ev.NotDone, ev.Skipped, ev.Deleted, ev.Objects, ev.Prefixes, ev.Buckets, ev.Created, ev.Removed,
		ev.Uploads, ev.Aborted, ev.WouldAbort, ev.Rules, ev.Installed, ev.Replaced, ev.Uploaded, ev.Downloaded, ev.Copied, ev.Unchanged, ev.Protected, ev.Differences} {
		if c != nil {
			n += *c
		}
	}
	return n
}

// output prints what a command has to say, as text or, with --json, as events. Its methods
// are safe for concurrent use; each writes whole lines.
type output struct {
	json, quiet bool
	stdout      io.Writer   // listings, item lines and --json events
	stderr      io.Writer   // notes, failures and summaries in text
	mu          *sync.Mutex // shared with the --debug log, so that lines never interleave
}

// output returns the printer of the global flags' kind of output.
func (a *app) output() *output {
	return &output{json: a.json, quiet: a.quiet, stdout: a.stdout, stderr: a.stderr, mu: &a.errMu}
}

// listed prints one thing the command lists: ev, or text on stdout, also with --quiet.
func (o *output) listed(ev event, text string) {
	o.print(ev, o.stdout, text)
}

// did reports something done to one thing: ev, or text on stdout unless --quiet.
func (o *output) did(ev event, text string) {
	if o.json || !o.quiet {
		o.print(ev, o.stdout, text)
	}
}

// failed reports one thing that failed while the command went on with the others: ev as a
// "failed" event with err as its error, or "failed: err" on stderr, also with --quiet.
func (o *output) failed(ev event, err error) {
	ev.Event, ev.Error = "failed", advise(err)
	o.print(ev, o.stderr, "failed: "+ev.Error)
}

// note says something worth knowing that is not a failure: a "note" event with text as its
// message, or "note: text" on stderr unless --quiet.
func (o *output) note(ev event, text string) {
	if o.json || !o.quiet {
		o.failingNote(ev, text)
	}
}

// failingNote is a note that is also why the command fails: printed with --quiet too.
func (o *output) failingNote(ev event, text string) {
	ev.Event, ev.Message = "note", text
	o.print(ev, o.stderr, "note: "+text)
}

// warning says, in text only, "warning: text" on stderr, also with --quiet: something
// could not be done or counted that the events say item by item with --json.
func (o *output) warning(text string) {
	if !o.json {
		o.print(event{}, o.stderr, "warning: "+text)
	}
}

// summary ends the command's output. With --json it is always printed, as a "summary"
// event, with err (the error the run ended on, if any) as its error; a bare errReported adds none,
// as the failures it stands for were printed and counted. As text, "summary: text" goes to
// stderr if text is not empty, and not with --quiet unless something failed or the run was
// interrupted; a run that ended on an error before it had counted anything prints none, as
// the error says it all.
func (o *output) summary(ev event, text string, err error) {
	interrupted := errors.Is(err, context.Canceled)
	ev.Event = "summary"
	switch {
	case interrupted:
		ev.Error = "interrupted"
	case err != nil && !errors.Is(err, errReported) || errors.As(err, new(reported)):
		ev.Error = advise(err)
	}
	if o.json {
		o.print(ev, nil, "")
		return
	}
	failed := ev.Failed != nil && *ev.Failed > 0
	if text == "" || o.quiet && !failed && !interrupted || err != nil && !interrupted && ev.counted() == 0 {
		return
	}
	o.print(ev, o.stderr, "summary: "+text)
}

// print writes ev as one line of JSON on stdout with --json, or else text as one line on w.
func (o *output) print(ev event, w io.Writer, text string) {
	line := text
	if o.json {
		b, err := json.Marshal(ev)
		if err != nil {
			// Every field is a string, a number or a pointer to one: this cannot happen.
			panic(fmt.Sprintf("cli: encoding a %s event: %v", ev.Event, err))
		}
		line, w = string(b), o.stdout
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintln(w, line)
}

// reported is an error whose message has been printed already, so that main prints it no
// more, but that a summary still gives as its error.
type reported struct{ error }

func (r reported) Unwrap() error { return r.error }

// Is makes a reported error errReported.
func (reported) Is(target error) bool { return target == errReported }

// plural writes n and the noun for it: "1 object", "2 objects", "2 prefixes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
