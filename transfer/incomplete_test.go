package transfer

import (
	"bytes"
	"context"
	"testing"

	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
)

func TestListAndAbortIncompleteUploads(t *testing.T) {
	ms := memstore.New(memstore.Config{Buckets: []string{"b"}})
	ctx := context.Background()
	for _, k := range []string{"p/a", "p/b", "q/c"} {
		id, err := ms.CreateMultipartUpload(ctx, object.Ref{Bucket: "b", Key: k}, &object.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ms.UploadPart(ctx, object.Ref{Bucket: "b", Key: k}, id, 1, bytes.NewReader(make([]byte, 100)), 100, object.Checksum{}); err != nil {
			t.Fatal(err)
		}
	}
	e := New(ms, fastOpts(Options{}))
	ups, err := e.ListIncomplete(ctx, "b", "p/", func(u object.Upload) bool { return u.Key != "p/b" }, true)
	if err != nil || len(ups) != 1 || ups[0].Key != "p/a" || !ups[0].Counted || ups[0].Parts != 1 || ups[0].Bytes != 100 {
		t.Fatalf("listed %+v, %v: want p/a with 1 part of 100 bytes", ups, err)
	}
	all, _ := e.ListIncomplete(ctx, "b", "", nil, false)
	aborted := 0
	e.AbortIncomplete(ctx, all, false, func(u *Incomplete, err error) {
		if err != nil {
			t.Errorf("abort %s: %v", u.Key, err)
		}
		aborted++
	})
	if left, _ := e.ListIncomplete(ctx, "b", "", nil, false); aborted != 3 || len(left) != 0 {
		t.Fatalf("aborted %d, %d left", aborted, len(left))
	}
}
