package transfer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// versionStore is a fake store in a bucket that keeps versions: each write makes one.
type versionStore struct{ *fakeStore }

func (s versionStore) PutObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) (object.Written, error) {
	w, err := s.fakeStore.PutObject(ctx, ref, body, size, o, sum)
	w.VersionID = "v-" + w.ETag
	return w, err
}

// doneOf runs fn with an observer and returns the Done event it saw.
func doneOf(t *testing.T, fn func(obs Observer) error) Event {
	t.Helper()
	var done []Event
	if err := fn(ObserverFunc(func(ev Event) {
		if ev.Kind == Done {
			done = append(done, ev)
		}
	})); err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 {
		t.Fatalf("%d Done events, want 1", len(done))
	}
	return done[0]
}

// A Done event carries what a receipt records: an upload's file time, checksum and
// version; a download's checksum checked.
func TestDoneCarriesWhatWasRecordedAndChecked(t *testing.T) {
	fs := versionStore{newFake()}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, randomBytes(1000, 7), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	e := New(fs, fastOpts(Options{}))
	up := doneOf(t, func(obs Observer) error {
		_, err := e.UploadFile(context.Background(), path, dst, WithObserver(obs))
		return err
	})
	if !up.Item.LastModified.Equal(mtime) || up.Checksum.Algorithm != object.ChecksumCRC32C || up.Checksum.Value == "" ||
		up.VersionID != "v-"+up.Item.ETag || up.Item.ETag == "" {
		t.Fatalf("upload's Done: mtime %v, checksum %+v, version %q, ETag %q", up.Item.LastModified, up.Checksum, up.VersionID, up.Item.ETag)
	}
	down := doneOf(t, func(obs Observer) error {
		_, err := e.DownloadFile(context.Background(), dst, filepath.Join(t.TempDir(), "out"), WithObserver(obs))
		return err
	})
	if down.Checksum != up.Checksum || down.Verified != "crc32c" || down.VersionID != "" {
		t.Fatalf("download's Done: checksum %+v, verified %q, version %q; want %+v, crc32c, none", down.Checksum, down.Verified, down.VersionID, up.Checksum)
	}

	// An object with no checksum of its own is checked against its MD5 ETag, which the
	// item carries: the event names no checksum.
	fs.put(object.Ref{Bucket: "b", Key: "plain"}, randomBytes(100, 8))
	plain := doneOf(t, func(obs Observer) error {
		_, err := e.DownloadFile(context.Background(), object.Ref{Bucket: "b", Key: "plain"}, filepath.Join(t.TempDir(), "plain"), WithObserver(obs))
		return err
	})
	if plain.Checksum != (object.Checksum{}) || plain.Verified != "md5" {
		t.Fatalf("download checked by its ETag: checksum %+v, verified %q", plain.Checksum, plain.Verified)
	}

	// A download to a stream names the ETag of the object it read, and its checksum.
	stream := doneOf(t, func(obs Observer) error {
		_, err := e.DownloadStream(context.Background(), dst, io.Discard, WithObserver(obs))
		return err
	})
	if stream.Item.ETag != up.Item.ETag || stream.Checksum != up.Checksum {
		t.Fatalf("stream download's Done: ETag %q, checksum %+v; want %q, %+v", stream.Item.ETag, stream.Checksum, up.Item.ETag, up.Checksum)
	}
}
