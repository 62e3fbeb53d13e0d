package transfer

import (
	"time"

	"github.com/haul-s3/haul/object"
)

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	// Queued: an item was found and will be transferred.
	Queued EventKind = iota
	// Progress: Bytes more bytes of an item moved; negative when a failed attempt's bytes
	// will be sent again.
	Progress
	// Done: an item was transferred (Elapsed; Item.Size is its size).
	Done
	// Failed: an item was not transferred (Err).
	Failed
	// Retrying: a request failed (Err) and is sent again after Delay; Attempt counts from 1.
	Retrying
	// Aborted: the multipart upload UploadID of the item was aborted, or, when Err is
	// set, could not be aborted and is left behind.
	Aborted
	// Skipped: a resumed run found the item already done.
	Skipped
	// Notice: something the user should know about an item (Note), such as a resumed
	// upload that had to start over.
	Notice
	// NotDone: an item was found but not finished because the run was cancelled or
	// stopped (Err: the cause). Its multipart upload, if any, was aborted (or,
	// with a journal, kept) and no partial file was left.
	NotDone
	// Ignored: a producer passed an entry over on purpose (Item.Skip, also in Err): a
	// symbolic link not followed, a loop, a special file. Nothing was sent; it is neither
	// done nor failed.
	Ignored
)

// Event reports what happened to an item. Fields that do not apply to a Kind are zero; an
// event about no item in particular (a Notice that the engine slowed down, a retried
// listing) has a zero Item.
type Event struct {
	Kind EventKind
	// Item is the item the event is about: every Progress event names the item its bytes
	// belong to, so that an observer can keep one bar per file.
	Item     Item
	Bytes    int64 // Progress: bytes moved since the last event; negative when taken back
	Elapsed  time.Duration
	Err      error
	Attempt  int
	Delay    time.Duration
	UploadID string
	Note     string
	// Verified names what a downloaded item's bytes were checked against, with Done: "md5"
	// (the ETag of a single-part object), a CRC ("crc32c", from haul's metadata or the
	// server's whole-object checksum), "crc32-parts" (each part against its checksum),
	// "md5-parts" (the multipart ETag); "none" when nothing could be checked (Unverified
	// says why); empty when verification was off.
	Verified string
	// Unverified is, with a Done whose Verified is "none", why the bytes were not checked.
	Unverified string
	// NoGrants is, with the Done of a copy given no ACL, why the source's grants could not
	// be read ("GetObjectAcl answered NotImplemented"): the copy has the destination's
	// default ACL, not the source's grants. Empty when they were read (or not asked for).
	NoGrants string
	// StopsRun is set, with Failed, when this failure will be every other item's too and
	// stops the run (the call returns a *StoppedError with it).
	StopsRun bool
	// Checksum is, with the Done of an upload, the whole-file checksum recorded with the
	// object (its haul-checksum metadata); zero when none was (ChecksumNone). With the Done
	// of a download, the whole-object checksum its bytes were checked against (haul's, or
	// the server's CRC); zero when they were checked against an MD5 ETag, part by part, or
	// not at all. With the Done of a copy, the source's haul checksum, which the copy keeps.
	Checksum object.Checksum
	// VersionID is, with the Done of an upload or a copy, the version ID the server gave the
	// object written; empty when the bucket keeps no versions (or the store tells none).
	VersionID string
	// Share is, with the Done of a shared upload, copy or download (Item.Share), which parts
	// its shard holds and how many of them it sent (or fetched); Completed is set for the
	// one run that completed the object (or renamed the download into place).
	Share *ShareOutcome
}

// Observer receives a run's events. Within one call into the Engine (one UploadDir, say)
// Observe is never called concurrently with itself, so an observer used by one call at a
// time needs no locking of its own. Observe must return quickly: transfers wait for it.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }
