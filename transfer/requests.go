package transfer

import (
	"fmt"
	"strings"
)

// Requests counts the S3 requests an item takes when nothing fails, by operation. A count
// of -1 means not known before the item runs (the parts of a stream of unknown length).
type Requests struct {
	HeadObject              int // asking for an object's size and version
	GetObjectAcl            int // a copy asking for its source's grants (beside the HEAD)
	GetObjectTagging        int // a copy in parts asking for its source's tags, when it has some
	PutObject               int // a whole object in one request
	CreateMultipartUpload   int
	UploadPart              int
	CompleteMultipartUpload int
	GetObject               int // a whole object in one GET
	RangedGet               int // parallel GETs of parts of an object
	CopyObject              int // a server-side copy in one request
	UploadPartCopy          int // server-side copies of parts
	DeleteObject            int // a move's removal of its source object
}

// Add adds o's counts to q (an unknown count stays unknown).
func (q *Requests) Add(o Requests) {
	add := func(a *int, b int) {
		if *a < 0 || b < 0 {
			*a = -1
			return
		}
		*a += b
	}
	add(&q.HeadObject, o.HeadObject)
	add(&q.GetObjectAcl, o.GetObjectAcl)
	add(&q.GetObjectTagging, o.GetObjectTagging)
	add(&q.PutObject, o.PutObject)
	add(&q.CreateMultipartUpload, o.CreateMultipartUpload)
	add(&q.UploadPart, o.UploadPart)
	add(&q.CompleteMultipartUpload, o.CompleteMultipartUpload)
	add(&q.GetObject, o.GetObject)
	add(&q.RangedGet, o.RangedGet)
	add(&q.CopyObject, o.CopyObject)
	add(&q.UploadPartCopy, o.UploadPartCopy)
	add(&q.DeleteObject, o.DeleteObject)
}

// String lists the counts that are not zero: "1 CreateMultipartUpload + 4 UploadPart + 1
// CompleteMultipartUpload"; "none" when all are.
func (q Requests) String() string {
	var parts []string
	for _, c := range []struct {
		n    int
		name string
	}{
		{q.HeadObject, "HeadObject"}, {q.GetObjectAcl, "GetObjectAcl"}, {q.GetObjectTagging, "GetObjectTagging"}, {q.PutObject, "PutObject"}, {q.CreateMultipartUpload, "CreateMultipartUpload"},
		{q.UploadPart, "UploadPart"}, {q.CompleteMultipartUpload, "CompleteMultipartUpload"},
		{q.GetObject, "GetObject"}, {q.RangedGet, "ranged GetObject"},
		{q.CopyObject, "CopyObject"}, {q.UploadPartCopy, "UploadPartCopy"}, {q.DeleteObject, "DeleteObject"},
	} {
		switch {
		case c.n < 0:
			parts = append(parts, "? "+c.name)
		case c.n > 0:
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}

// Requests returns the requests the engine will make to carry out it, with its options
// (threshold, part size) and when nothing fails: what a dry run reports. A single-object
// download counts the HeadObject its producer makes (ObjectItem), a stream's download one
// HeadObject of its own; a copy counts the HeadObject it makes of its source (and the one
// Engine.CopyItem makes first) and the GetObjectAcl beside it unless the copy is given an ACL
// or Options.IgnoreGrants (fewer are sent from a bucket whose grants cannot be read: it is
// asked until the first answer says so), and a GetObjectTagging when the copy is not made in one
// CopyObject and the source has tags (not known before the copy when the item came from a
// listing: counted as unknown), and a move the DeleteObject of an object it read.
func (e *Engine) Requests(it Item) (Requests, error) {
	var q Requests
	if it.Move && it.Err == nil && it.Skip == nil && (it.Op == Copy || it.Op == Download && it.sink == nil) {
		q.DeleteObject = 1
	}
	switch {
	case it.Err != nil || it.Skip != nil:
		return q, nil
	case it.Op == Copy:
		return q, e.copyRequests(it, &q)
	case it.Op == Upload && it.Size < 0:
		q.CreateMultipartUpload, q.UploadPart, q.CompleteMultipartUpload = 1, -1, 1
	case it.Op == Upload && it.Size <= e.opts.MultipartThreshold:
		q.PutObject = 1
	case it.Op == Upload:
		ps, err := PartSize(it.Size, e.opts.PartSize)
		if err != nil {
			return q, err
		}
		q.CreateMultipartUpload, q.UploadPart, q.CompleteMultipartUpload = 1, PartCount(it.Size, ps), 1
	case it.Op == Download && (it.sink != nil || it.Size < 0):
		q.HeadObject, q.GetObject = 1, 1
	case it.Op == Download:
		if it.head != nil {
			q.HeadObject = 1
		}
		if it.Size <= e.opts.MultipartThreshold {
			q.GetObject = 1
			break
		}
		ps, err := PartSize(it.Size, e.opts.PartSize)
		if err != nil {
			return q, err
		}
		q.RangedGet = PartCount(it.Size, ps)
	}
	return q, nil
}

// copyRequests counts the requests of a copy: server-side on one store that can copy,
// else through the client.
func (e *Engine) copyRequests(it Item, q *Requests) error {
	q.HeadObject = 1 // the producer's, whose answer the copy takes, or the copy's own
	_, copier := e.store.(Copier)
	serverSide := copier && e.opts.Source == nil
	given := e.opts.Object
	if it.Options != nil {
		given = *it.Options
	}
	if _, ok := e.source().(GrantReader); ok && !e.opts.IgnoreGrants && given.ACL == "" {
		q.GetObjectAcl = 1
	}
	whole := it.Size <= e.opts.MultipartThreshold && (!serverSide || it.Size <= MaxPartSize)
	if _, ok := e.source().(TagReader); ok && given.Tags == nil && (!serverSide || !whole) && it.Size >= 0 {
		switch {
		case it.head == nil:
			q.GetObjectTagging = -1
		case it.head.TagCount > 0:
			q.GetObjectTagging = 1
		}
	}
	switch {
	case it.Size < 0:
		return nil
	case it.Size <= e.opts.MultipartThreshold && serverSide:
		q.CopyObject = 1
		return nil
	case it.Size <= e.opts.MultipartThreshold:
		q.GetObject, q.PutObject = 1, 1
		return nil
	}
	ps, err := PartSize(it.Size, e.opts.PartSize)
	if err != nil {
		return err
	}
	n := PartCount(it.Size, ps)
	q.CreateMultipartUpload, q.CompleteMultipartUpload = 1, 1
	if serverSide {
		q.UploadPartCopy = n
	} else {
		q.RangedGet, q.UploadPart = n, n
	}
	return nil
}
