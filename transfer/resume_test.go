package transfer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/haul-s3/haul/transfer/journal"
)

func openJournal(t *testing.T, path string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(path, journal.Header{Args: []string{"cp"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// interruptAfter returns a hook that cancels the run once n parts have been received.
func interruptAfter(n int, cancel context.CancelFunc) func(fakeCall, int) error {
	var mu sync.Mutex
	seen := 0
	return func(c fakeCall, _ int) error {
		if c.Op != "UploadPart" && c.Op != "GetObject" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen > n {
			cancel()
			return context.Canceled
		}
		return nil
	}
}

func notices(events *[]Event) Observer {
	var mu sync.Mutex
	return ObserverFunc(func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Kind == Notice || ev.Kind == Skipped {
			*events = append(*events, ev)
		}
	})
}

func TestResumedUploadSendsOnlyMissingParts(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	p := filepath.Join(dir, "big")
	data := randomBytes(31*mib, 21)
	writeFile(t, p, data)
	jpath := filepath.Join(dir, "run.journal")
	opts := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 1})

	ctx, cancel := context.WithCancel(context.Background())
	fs.hook = interruptAfter(3, cancel)
	opts.Journal = openJournal(t, jpath)
	if _, err := New(fs, opts).UploadFile(ctx, p, dst); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v", err)
	}
	if fs.openUploads() != 1 || fs.count("AbortMultipartUpload") != 0 {
		t.Fatalf("a resumable run must keep its upload: open %d, aborts %d", fs.openUploads(), fs.count("AbortMultipartUpload"))
	}
	opts.Journal.Close()

	fs.hook = nil
	before := fs.count("UploadPart")
	opts.Journal = openJournal(t, jpath)
	if _, err := New(fs, opts).UploadFile(context.Background(), p, dst); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if sent := fs.count("UploadPart") - before; sent != 7-3 {
		t.Fatalf("resumed run sent %d parts, want the 4 missing ones", sent)
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) || fs.openUploads() != 0 {
		t.Fatal("object differs or an upload is left open")
	}

	// A third run finds the file done and sends nothing.
	var evs []Event
	opts.Observer = notices(&evs)
	calls := len(fs.calls)
	sum, err := New(fs, opts).UploadFile(context.Background(), p, dst)
	if err != nil || sum.Skipped != 1 || len(fs.calls) != calls {
		t.Fatalf("third run: err %v, summary %+v, %d new calls", err, sum, len(fs.calls)-calls)
	}
}

func TestResumeStartsOverWhenUploadIsGoneOrFileChanged(t *testing.T) {
	for _, tc := range []string{"upload gone", "file changed"} {
		t.Run(tc, func(t *testing.T) {
			fs := newFake()
			dir := t.TempDir()
			p := filepath.Join(dir, "big")
			writeFile(t, p, randomBytes(12*mib, 22))
			jpath := filepath.Join(dir, "run.journal")
			opts := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 1})
			ctx, cancel := context.WithCancel(context.Background())
			fs.hook = interruptAfter(1, cancel)
			opts.Journal = openJournal(t, jpath)
			_, _ = New(fs, opts).UploadFile(ctx, p, dst)
			opts.Journal.Close()
			fs.hook = nil

			data := randomBytes(12*mib, 23)
			if tc == "upload gone" {
				for id := range fs.uploads {
					delete(fs.uploads, id) // as a lifecycle rule would
				}
			} else {
				writeFile(t, p, data)
			}
			var evs []Event
			opts.Observer = notices(&evs)
			opts.Journal = openJournal(t, jpath)
			if _, err := New(fs, opts).UploadFile(context.Background(), p, dst); err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || !strings.Contains(evs[0].Note, "starting") {
				t.Fatalf("notices %+v, want one saying the file starts over", evs)
			}
			if tc == "file changed" {
				if got, _ := fs.object(dst); !bytes.Equal(got, data) {
					t.Fatal("object is not the changed file")
				}
				if fs.count("AbortMultipartUpload") != 1 {
					t.Fatal("the stale upload was not aborted")
				}
			}
			if fs.openUploads() != 0 {
				t.Fatal("an upload is left open")
			}
		})
	}
}

func TestResumedDownloadFetchesOnlyMissingRanges(t *testing.T) {
	fs := newFake()
	data := randomBytes(26*mib, 24)
	fs.put(dst, data)
	dir := t.TempDir()
	target := filepath.Join(dir, "out")
	jpath := filepath.Join(t.TempDir(), "run.journal")
	opts := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 1})

	ctx, cancel := context.WithCancel(context.Background())
	fs.hook = interruptAfter(2, cancel)
	opts.Journal = openJournal(t, jpath)
	if _, err := New(fs, opts).DownloadFile(ctx, dst, target); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v", err)
	}
	opts.Journal.Close()
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatal("an interrupted download created the target")
	}

	fs.hook = nil
	before := fs.count("GetObject")
	opts.Journal = openJournal(t, jpath)
	if _, err := New(fs, opts).DownloadFile(context.Background(), dst, target); err != nil {
		t.Fatal(err)
	}
	if got := fs.count("GetObject") - before; got != 6-2 {
		t.Fatalf("resumed download made %d GETs, want the 4 missing ranges", got)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) {
		t.Fatal("resumed download differs")
	}
	if extra := leftovers(t, dir, "out"); len(extra) > 0 {
		t.Fatalf("left behind: %v", extra)
	}
}

func TestResumedDownloadOfAChangedObjectStartsOver(t *testing.T) {
	fs := newFake()
	fs.put(dst, randomBytes(12*mib, 25))
	dir := t.TempDir()
	target := filepath.Join(dir, "out")
	jpath := filepath.Join(t.TempDir(), "run.journal")
	opts := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 1})
	ctx, cancel := context.WithCancel(context.Background())
	fs.hook = interruptAfter(1, cancel)
	opts.Journal = openJournal(t, jpath)
	_, _ = New(fs, opts).DownloadFile(ctx, dst, target)
	opts.Journal.Close()

	fs.hook = nil
	data := randomBytes(12*mib, 26)
	fs.put(dst, data)
	var evs []Event
	opts.Observer = notices(&evs)
	opts.Journal = openJournal(t, jpath)
	if _, err := New(fs, opts).DownloadFile(context.Background(), dst, target); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) {
		t.Fatal("the download stitched two versions of the object")
	}
	if len(evs) != 1 || !strings.Contains(evs[0].Note, "changed") {
		t.Fatalf("notices %+v", evs)
	}
	if extra := leftovers(t, dir, "out"); len(extra) > 0 {
		t.Fatalf("the old partial file was left behind: %v", extra)
	}
}

func TestResumedUploadResendsAPartTheServerHoldsWrongly(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	p := filepath.Join(dir, "big")
	data := randomBytes(21*mib, 27)
	writeFile(t, p, data)
	jpath := filepath.Join(dir, "run.journal")
	opts := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 1})
	ctx, cancel := context.WithCancel(context.Background())
	fs.hook = interruptAfter(2, cancel)
	opts.Journal = openJournal(t, jpath)
	_, _ = New(fs, opts).UploadFile(ctx, p, dst)
	opts.Journal.Close()

	// The second ListParts is the check before completing: just before it, a late request of
	// the killed run truncates part 4 on the server.
	lists := 0
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "ListParts" {
			if lists++; lists == 2 {
				fs.mu.Lock()
				for _, u := range fs.uploads {
					u.parts[4] = u.parts[4][:1000]
				}
				fs.mu.Unlock()
			}
		}
		return nil
	}
	var evs []Event
	opts.Observer = notices(&evs)
	opts.Journal = openJournal(t, jpath)
	if _, err := New(fs, opts).UploadFile(context.Background(), p, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) {
		t.Fatal("object differs")
	}
	if len(evs) != 1 || !strings.Contains(evs[0].Note, "part 4") || fs.partAttempts("k", 4) != 2 {
		t.Fatalf("notices %+v, part 4 sent %d times; want one notice and a re-send", evs, fs.partAttempts("k", 4))
	}
}
