package transfer

import (
	"fmt"
	"strings"
)

// Requests counts the S3 requests an item takes when nothing fails, by operation. A count
// of -1 means not known before the item runs (the parts of a stream of unknown length).
type Requests struct {
	HeadObject              int // asking for an object's size and version
	PutObject               int // a whole object in one request
	CreateMultipartUpload   int
	UploadPart              int
	CompleteMultipartUpload int
	GetObject               int // a whole object in one GET
	RangedGet               int // parallel GETs of parts of an object
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
	add(&q.PutObject, o.PutObject)
	add(&q.CreateMultipartUpload, o.CreateMultipartUpload)
	add(&q.UploadPart, o.UploadPart)
	add(&q.CompleteMultipartUpload, o.CompleteMultipartUpload)
	add(&q.GetObject, o.GetObject)
	add(&q.RangedGet, o.RangedGet)
}

// String lists the counts that are not zero: "1 CreateMultipartUpload + 4 UploadPart + 1
// CompleteMultipartUpload"; "none" when all are.
func (q Requests) String() string {
	var parts []string
	for _, c := range []struct {
		n    int
		name string
	}{
		{q.HeadObject, "HeadObject"}, {q.PutObject, "PutObject"}, {q.CreateMultipartUpload, "CreateMultipartUpload"},
		{q.UploadPart, "UploadPart"}, {q.CompleteMultipartUpload, "CompleteMultipartUpload"},
		{q.GetObject, "GetObject"}, {q.RangedGet, "ranged GetObject"},
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
// HeadObject of its own.
func (e *Engine) Requests(it Item) (Requests, error) {
	var q Requests
	switch {
	case it.Err != nil:
		return q, nil
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
