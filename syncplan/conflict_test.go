package syncplan

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// Downloading to a case-insensitive directory (told so, as the CLI's probe would on macOS):
// of two keys equal but for case, the first in key order is written and the second fails as
// a conflict; a local file that matches a key but for case is neither overwritten nor
// deleted.
func TestSyncDownCaseConflicts(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(memstore.Config{Buckets: []string{"b"}})
	for _, k := range []string{"p/README.md", "p/Readme.md", "p/notes.txt"} {
		if _, err := st.PutObject(ctx, object.Ref{Bucket: "b", Key: k}, bytes.NewReader([]byte(k)), int64(len(k)), nil, object.Checksum{}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	// The local directory holds NOTES.txt: on a case-insensitive filesystem it is where
	// notes.txt would land.
	if err := os.WriteFile(filepath.Join(dir, "NOTES.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := transfer.New(st, transfer.Options{})
	s, err := New(e, st, Options{Dir: Down, Local: dir, Remote: object.Ref{Bucket: "b", Key: "p/"}, Delete: true,
		CaseInsensitive: true, Guards: Guards{MaxDelete: -1, MaxDeleteSize: -1, MaxDeletePercent: 100}})
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]error{}
	sum, err := e.Run(ctx, s.Items, transfer.WithObserver(s.Observer(transfer.ObserverFunc(func(ev transfer.Event) {
		if ev.Kind == transfer.Failed {
			failed[ev.Item.Object.Key] = ev.Err
		}
	}))))
	if !errors.Is(err, transfer.ErrSomeFailed) || sum.Done != 1 {
		t.Fatalf("run: %v, %d done; want README.md done and the rest failed", err, sum.Done)
	}
	var c *ConflictError
	for _, k := range []string{"p/Readme.md", "p/notes.txt"} {
		if !errors.As(failed[k], &c) || !c.Case {
			t.Errorf("%s: %v, want a case conflict", k, failed[k])
		}
	}
	produce, err := s.Deletes()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Delete(ctx, produce); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(true); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "NOTES.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("NOTES.txt: %q, %v; want it kept as it was", b, err)
	}
	if c := s.Counts(); c.Deletes != 0 || c.Protected != 1 {
		t.Errorf("counts %+v: want no deletion and NOTES.txt protected", c)
	}
}
