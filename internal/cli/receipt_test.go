package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/receipt"
	"github.com/haul-s3/haul/syncplan"
	"github.com/haul-s3/haul/transfer"
)

// The lines the receipt writes for the events of each kind of item, and none for what was
// not done.
func TestReceiptLines(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 11, 30, 8, 0, 0, 5, time.UTC)
	if err := os.Chtimes(file, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	crc := object.Checksum{Algorithm: object.ChecksumCRC32C, Value: "AAAAAA=="}
	obj := object.Ref{Bucket: "bkt", Key: "p/f"}
	src := object.Ref{Bucket: "src", Key: "q/f"}
	events := []transfer.Event{
		{Kind: transfer.Done, Item: transfer.Item{Op: transfer.Upload, Path: file, Object: obj, Size: 1, ETag: `"e1"`, LastModified: mtime, Move: true}, Checksum: crc, VersionID: "v1"},
		{Kind: transfer.Done, Item: transfer.Item{Op: transfer.Download, Path: file, Object: obj, Size: 1, ETag: "e2"}, Verified: "crc32c", Checksum: crc},
		{Kind: transfer.Done, Item: transfer.Item{Op: transfer.Copy, Source: src, Object: obj, Size: 1, ETag: "e3"}, Verified: "none", VersionID: "v3"},
		{Kind: transfer.Done, Item: transfer.Item{Op: transfer.Delete, Object: obj, Size: 1, Reason: "not in the source"}},
		{Kind: transfer.Done, Item: transfer.Item{Op: transfer.Delete, Path: file, Size: 1}},
		{Kind: transfer.Failed, Item: transfer.Item{Op: transfer.Upload, Path: file, Object: obj}, Err: errors.New("no")},
		{Kind: transfer.Skipped, Item: transfer.Item{Op: transfer.Upload, Path: file, Object: obj}},
		{Kind: transfer.NotDone, Item: transfer.Item{Op: transfer.Upload, Path: file, Object: obj}},
		{Kind: transfer.Queued, Item: transfer.Item{Op: transfer.Upload, Path: file, Object: obj}},
	}
	var buf bytes.Buffer
	passed := 0
	rc := &receipts{w: receipt.NewWriter(&buf)}
	obs := rc.observe(transfer.ObserverFunc(func(transfer.Event) { passed++ }))
	for _, ev := range events {
		obs.Observe(ev)
	}
	rc.unchanged(syncplan.Same{Item: transfer.Item{Op: transfer.Upload, Path: file, Object: obj, Reason: "state"},
		Object: syncplan.Entry{Size: 1, ETag: "e4"}, Other: syncplan.Entry{Size: 1, ModTime: mtime}, Sum: crc})
	rc.unchanged(syncplan.Same{Item: transfer.Item{Op: transfer.Download, Path: file, Object: obj, Reason: "mtime"},
		Object: syncplan.Entry{Size: 1, ETag: "e5"}, Other: syncplan.Entry{Size: 1, ModTime: mtime}})
	if err := rc.close(nil); err != nil {
		t.Fatal(err)
	}
	if passed != len(events) {
		t.Errorf("the reporter saw %d events of %d", passed, len(events))
	}
	var got []receipt.Line
	if _, err := receipt.Read(&buf, func(l receipt.Line) error { got = append(got, l); return nil }); err != nil {
		t.Fatal(err)
	}
	u := obj.String()
	want := []receipt.Line{
		{Op: "upload", URL: u, Bucket: "bkt", Key: "p/f", Size: 1, ETag: "e1", VersionID: "v1", ChecksumAlgorithm: "CRC32C", Checksum: crc.Value, Source: file, SourceMtime: mtime, Verified: "server", Moved: true},
		{Op: "download", URL: u, Bucket: "bkt", Key: "p/f", Size: 1, ETag: "e2", ChecksumAlgorithm: "CRC32C", Checksum: crc.Value, Source: u, Path: file, Mtime: mtime, Verified: "crc32c"},
		{Op: "copy", URL: u, Bucket: "bkt", Key: "p/f", Size: 1, ETag: "e3", VersionID: "v3", Source: src.String(), Verified: "none"},
		{Op: "delete", URL: u, Bucket: "bkt", Key: "p/f", Size: 1, Reason: "not in the source"},
		{Op: "delete", Size: 1, Path: file},
		{Op: "unchanged", URL: u, Bucket: "bkt", Key: "p/f", Size: 1, ETag: "e4", ChecksumAlgorithm: "CRC32C", Checksum: crc.Value, Source: file, SourceMtime: mtime, Reason: "state"},
		{Op: "unchanged", URL: u, Bucket: "bkt", Key: "p/f", Size: 1, ETag: "e5", Source: u, Path: file, Mtime: mtime, Reason: "mtime"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if g.Time.IsZero() || g.Time.Location() != time.UTC || time.Since(g.Time) > time.Hour {
			t.Errorf("line %d: time %v", i, g.Time)
		}
		g.Time = time.Time{}
		if !g.SourceMtime.Equal(want[i].SourceMtime) || !g.Mtime.Equal(want[i].Mtime) {
			t.Errorf("line %d: mtimes %v, %v; want %v, %v", i, g.SourceMtime, g.Mtime, want[i].SourceMtime, want[i].Mtime)
		}
		g.SourceMtime, g.Mtime, want[i].SourceMtime, want[i].Mtime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if g != want[i] {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, g, want[i])
		}
	}
}

// A sharded run's receipt is its own file, named as its state and journal files are, and
// each line says which shard wrote it.
func TestReceiptShardFile(t *testing.T) {
	dir := t.TempDir()
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	sh := &shardFlags{shard: filter.Shard{Index: 1, Count: 3}}
	rc, err := a.openReceipt(receiptFlag{path: filepath.Join(dir, "job.receipt")}, sh)
	if err != nil {
		t.Fatal(err)
	}
	rc.Observe(transfer.Event{Kind: transfer.Done, Item: transfer.Item{Op: transfer.Copy, Source: object.Ref{Bucket: "src", Key: "k"}, Object: object.Ref{Bucket: "bkt", Key: "k"}}})
	if err := rc.close(nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "job.shard-1-of-3.receipt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"shard":"1/3"`) {
		t.Fatalf("receipt %s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "job.receipt")); err == nil {
		t.Fatal("the unsuffixed receipt was written too")
	}
}

func TestReceiptUsage(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		path                     string
		quiet, json, dry, onData bool
		errHas                   string
	}{
		{name: "file", path: "r"},
		{name: "none on a dry run", dry: true},
		{name: "a dry run", path: "r", dry: true, errHas: "a dry run does nothing to record"},
		{name: "stdout with --quiet", path: "-", quiet: true},
		{name: "stdout with lines there", path: "-", errHas: "give --quiet"},
		{name: "stdout with --json", path: "-", quiet: true, json: true, errHas: "give --quiet"},
		{name: "stdout carrying the data", path: "-", quiet: true, onData: true, errHas: "give --quiet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &app{quiet: tc.quiet, json: tc.json}
			err := a.checkReceipt(receiptFlag{path: tc.path}, tc.dry, tc.onData)
			switch {
			case tc.errHas == "" && err != nil:
				t.Fatalf("checkReceipt: %v", err)
			case tc.errHas != "" && (!errors.As(err, new(*usageError)) || !strings.Contains(err.Error(), tc.errHas)):
				t.Fatalf("checkReceipt = %v; want a usage error saying %q", err, tc.errHas)
			}
		})
	}
}

// A receipt that could not be written fails a run that went well, and only such a run.
func TestReceiptWriteFailure(t *testing.T) {
	rc := &receipts{w: receipt.NewWriter(failingWriter{})}
	rc.Observe(transfer.Event{Kind: transfer.Done, Item: transfer.Item{Op: transfer.Copy, Object: object.Ref{Bucket: "bkt", Key: "k"}}})
	if err := rc.close(nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("close = %v; want the write's error", err)
	}
	runErr := errors.New("run failed")
	rc = &receipts{w: receipt.NewWriter(failingWriter{})}
	rc.Observe(transfer.Event{Kind: transfer.Done, Item: transfer.Item{Op: transfer.Copy, Object: object.Ref{Bucket: "bkt", Key: "k"}}})
	if err := rc.close(runErr); !errors.Is(err, runErr) {
		t.Fatalf("close = %v; want the run's error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
