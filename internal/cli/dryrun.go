package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
)

// requestsJSON is a plan's count of requests by operation; -1 is not known in advance.
type requestsJSON struct {
	HeadObject              int `json:"head_object,omitempty"`
	GetObjectAcl            int `json:"get_object_acl,omitempty"`
	GetObjectTagging        int `json:"get_object_tagging,omitempty"`
	PutObject               int `json:"put_object,omitempty"`
	CreateMultipartUpload   int `json:"create_multipart_upload,omitempty"`
	UploadPart              int `json:"upload_part,omitempty"`
	CompleteMultipartUpload int `json:"complete_multipart_upload,omitempty"`
	GetObject               int `json:"get_object,omitempty"`
	RangedGet               int `json:"ranged_get,omitempty"`
	DeleteObjects           int `json:"delete_objects,omitempty"` // sync --dry-run --delete
	CopyObject              int `json:"copy_object,omitempty"`
	UploadPartCopy          int `json:"upload_part_copy,omitempty"`
	DeleteObject            int `json:"delete_object,omitempty"` // mv: the source removed
}

func requestsOf(q transfer.Requests) *requestsJSON {
	r := requestsJSON{HeadObject: q.HeadObject, GetObjectAcl: q.GetObjectAcl, GetObjectTagging: q.GetObjectTagging, PutObject: q.PutObject, CreateMultipartUpload: q.CreateMultipartUpload,
		UploadPart: q.UploadPart, CompleteMultipartUpload: q.CompleteMultipartUpload, GetObject: q.GetObject, RangedGet: q.RangedGet,
		CopyObject: q.CopyObject, UploadPartCopy: q.UploadPartCopy, DeleteObject: q.DeleteObject}
	return &r
}

// dryRun prints the plan of a copy, one line per item with the requests it takes, and the
// totals, and carries out nothing: the producer lists and asks for sizes (ListObjectsV2,
// HeadObject), but no request that carries or fetches an object's bytes is sent. An item
// the real run would fail at once (a key refused) is printed as failed and makes the exit
// code 1, as the run would; a producer that cannot go on ends it as the run would. An
// entry the real run would skip (a link not followed) gets its skip line; walks says a
// local directory is walked, so that the --json summary counts skips (0 too).
func (a *app) dryRun(ctx context.Context, e *transfer.Engine, produce transfer.Producer, walks bool) error {
	out := a.output()
	p := &planTally{e: e, out: out}
	items := 0
	err := produce(ctx, func(it transfer.Item) bool {
		ev, q, ok := p.add(it)
		if !ok {
			return true
		}
		items++
		size := "size unknown"
		if it.Size >= 0 {
			ev.Bytes = new(it.Size)
			size = bytesize.Format(it.Size)
		}
		out.listed(ev, fmt.Sprintf("plan: %s: %s -> %s %s (%s)", it.Op, it.Src(), it.Dst(), size, q))
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	var se *s3store.Error
	if errors.As(err, &se) && se.StopsRun() {
		err = &stopError{err: err, done: 0}
	}
	text := fmt.Sprintf("dry run: %s, %s; requests: %s; nothing was sent", plural(items, "item", "items"), bytesize.Format(p.bytes), p.total)
	if p.failed > 0 {
		text += fmt.Sprintf("; %d would fail", p.failed)
	}
	if p.skipped > 0 {
		text += fmt.Sprintf("; %d skipped", p.skipped)
	}
	sev := event{Items: new(items), Failed: new(p.failed), Bytes: new(p.bytes), Requests: requestsOf(p.total)}
	if walks || p.skipped > 0 {
		sev.Skipped = new(p.skipped)
	}
	out.summary(sev, text, err)
	switch {
	case err != nil:
		return err
	case p.failed > 0:
		return errReported
	}
	return nil
}

// planTally counts the items of a dry run (cp's and sync's): the requests and bytes of
// those that would run, and the failures and skips, which it prints.
type planTally struct {
	e       *transfer.Engine
	out     *output
	total   transfer.Requests
	bytes   int64
	failed  int
	skipped int
}

// add takes one item of the plan. For one that would run it returns its plan event (the
// caller prints it) and its requests; one that would fail or be skipped it prints and
// counts, and returns false.
func (p *planTally) add(it transfer.Item) (event, transfer.Requests, bool) {
	ev := event{Op: string(it.Op), Src: it.Src(), Dst: it.Dst(), Reason: it.Reason}
	if it.Skip != nil && it.Err == nil {
		p.skipped++
		p.out.did(skippedEvent(it, it.Skip), "skip: "+it.Path+": "+skipWhy(it, it.Skip))
		return ev, transfer.Requests{}, false
	}
	q, err := p.e.Requests(it)
	if err == nil {
		err = it.Err
	}
	if err != nil {
		p.failed++
		p.out.failed(ev, fmt.Errorf("%s -> %s: %w", it.Src(), it.Dst(), err))
		return ev, q, false
	}
	p.bytes += max(it.Size, 0)
	p.total.Add(q)
	ev.Event, ev.Requests = "plan", requestsOf(q)
	return ev, q, true
}
