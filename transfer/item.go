package transfer

import (
	"io"
	"time"

	"github.com/haul-s3/haul/object"
)

// Op names what an item does.
type Op string

// The operations.
const (
	Upload   Op = "upload"   // a local file or stream to an object
	Download Op = "download" // an object to a local file or stream
	Copy     Op = "copy"     // an object to another object (Source to Object)
)

// Item is one thing a run does, as data: a producer (a directory walk, a listing, a sync
// plan) makes it, a filter may drop it, and Engine.Run carries it out. Events name the item
// they are about.
type Item struct {
	Op Op
	// Path is the local side: the file an upload reads or a download writes, or "-" for a
	// stream (UploadStream, DownloadStream).
	Path string
	// Object is the object an upload or a copy writes, or a download reads.
	Object object.Ref
	// Source is the object a copy reads, on the engine's store or on Options.Source.
	Source object.Ref
	// Size is the item's size in bytes as the producer knows it; -1 when not known yet (a
	// stream, an object not yet asked about).
	Size int64
	// ETag and LastModified are what a listing said of a download's object: every GET is
	// pinned to ETag (If-Match), and LastModified becomes the file's time. A download
	// without an ETag asks the server first (HeadObject). A copy always asks (it needs the
	// source's metadata) and is pinned to the ETag the server gave then. In an upload's or
	// a copy's Done event, ETag is the ETag of the object written; in an upload's Done
	// event, LastModified is the file's mtime as it was read for the upload.
	ETag         string
	LastModified time.Time
	// Options are the object options of an upload (ACL, metadata, encryption, storage
	// class, content type, cache control, checksum); nil takes the call's (WithObject) or
	// else the engine's (Options.Object). A content type left empty is found from the
	// file's extension.
	Options *object.Options
	// Reason says why the item is in the plan ("new", "changed", ...); empty for a copy.
	Reason string
	// Move removes the item's source (the local file, or the object a download or copy
	// read) once the item is done and its destination verified; a failed item keeps it.
	Move bool
	// Err, when set by a producer, is why an item it found cannot be run (an unreadable
	// file, a key that would land outside the destination): the run reports the item as
	// failed and goes on.
	Err error
	// Skip, when set by a producer, is why an entry it found is passed over on purpose
	// and is not a failure (a *localfs.SkipError: a symbolic link not followed, a loop, a
	// named pipe): the run reports it in an Ignored event, counts it in Summary.Ignored,
	// and neither transfers nor fails it. Err wins when both are set.
	Skip error
	// Share, with an Upload of a file, makes the item one run's share of a multipart upload
	// that several runs make together (see Share and Engine.SharedFileItem): it sends only
	// its shard's parts, and neither creates, completes nor aborts the upload unless the
	// share is found through the server (SplitLarge). With a Copy (SplitLarge only) it is
	// the run's share of the parts of a server-side copy (see sharedcopy.go); with a
	// Download (SplitLarge only), of the parts of a download into a directory every run
	// sees (see shareddown.go).
	Share *Share

	stream io.Reader       // UploadStream's source
	sink   io.Writer       // DownloadStream's destination
	head   *object.Info    // what HeadObject said of a download's object or a copy's source, when the producer asked
	props  *object.Options // with head, what the producer learnt of a copy's source's properties
}

// Src names where the item's bytes come from, for people: a path, "-" or an s3:// URL;
// nothing for a deletion.
func (it Item) Src() string {
	switch it.Op {
	case Delete:
		return ""
	case Download:
		return it.objectName()
	case Copy:
		return it.Source.String()
	}
	return it.Path
}

// objectName is the object's URL, or "" for an item with no object (a zero Item).
func (it Item) objectName() string {
	if it.Object.Bucket == "" {
		return ""
	}
	return it.Object.String()
}

// Dst names where the item's bytes go, for people; for a deletion, what it removes.
func (it Item) Dst() string {
	if it.Op == Download || it.Op == Delete && it.Object.Bucket == "" {
		return it.Path
	}
	return it.objectName()
}
