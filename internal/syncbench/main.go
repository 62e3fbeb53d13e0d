// Command syncbench measures the memory of a sync's plan: the peak resident set (VmHWM) of
// a dry-run upload plan with --delete over N local empty files against a destination
// listing of N keys, half of them the local files' names and half not, so that half the
// files are unchanged (one HEAD each, answered with the file's haul-mtime), half are new
// and half the keys are spooled for deletion. The listing is made up on the fly in key
// order by a fake store, so the store holds nothing; what grows with N is the plan's.
//
// It is not part of make test:
//
//	go run ./internal/syncbench -n 100000
//	go run ./internal/syncbench -n 1000000
//
// The files are made in a temporary directory (N/1000 directories of 1,000; under /dev/shm
// by default, -dir to choose) and removed at the end; the peak is reset after they are made (/proc/self/clear_refs), so it is the
// plan's alone. Linux only.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/syncplan"
	"github.com/haul-s3/haul/transfer"
)

const perDir = 1000

// mtime is every file's modification time, and the haul-mtime every HEAD answers with: a
// day ago, so that no state record is racy.
var mtime = time.Now().Add(-24 * time.Hour).Truncate(time.Second).Add(123456789)

func main() {
	n := flag.Int("n", 1_000_000, "local files, and destination keys")
	parent := flag.String("dir", defaultDir(), "where to make the files")
	real := flag.Bool("real", false, "carry the plan out (uploads and deletes to a store that keeps nothing) and write a state file, instead of a dry run")
	state := flag.Bool("state", false, "first sync once to write a state file (not measured), then measure a plan that reads it")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *n, *parent, *real, *state)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n int, parent string, real, withState bool) error {
	if n <= 0 || n%perDir != 0 {
		return fmt.Errorf("-n %d: give a multiple of %d", n, perDir)
	}
	top, err := os.MkdirTemp(parent, "haul-syncbench-*")
	if err != nil {
		return err
	}
	defer func() {
		start := time.Now()
		if err := os.RemoveAll(top); err != nil {
			fmt.Fprintln(os.Stderr, "syncbench: removing the files:", err)
		}
		fmt.Printf("removed %s in %s\n", top, time.Since(start).Round(time.Millisecond))
	}()
	dir := filepath.Join(top, "tree")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	start := time.Now()
	if err := makeFiles(ctx, dir, n); err != nil {
		return err
	}
	fmt.Printf("made %d empty files in %s in %s\n", n, dir, time.Since(start).Round(time.Millisecond))
	c := config{dir: dir, n: n, real: real}
	if real || withState {
		c.state = filepath.Join(top, "sync.state") // beside the tree, not in it
	}
	if withState {
		start = time.Now()
		p, err := plan(ctx, config{dir: dir, n: n, real: true, state: c.state})
		if err != nil {
			return fmt.Errorf("the run that writes the state: %w", err)
		}
		fmt.Printf("state written by a first run (%d uploads, %d unchanged) in %s\n", p.uploads, p.counts.Unchanged, time.Since(start).Round(time.Millisecond))
	}

	runtime.GC()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("resetting the peak RSS: %w", err)
	}
	before, _ := status("VmRSS")
	start = time.Now()
	p, err := plan(ctx, c)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	hwm, err := status("VmHWM")
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mode := "dry-run plan"
	if real {
		mode = "run"
	}
	if c.state != "" {
		mode += " with a state file"
	}
	fmt.Printf("%s of %d files against %d keys: %d uploads, %d unchanged %v (%d HEAD), %d deletes; %s\n",
		mode, n, n, p.uploads, p.counts.Unchanged, p.counts.UnchangedBy, p.counts.Heads, p.deletes, elapsed.Round(time.Millisecond))
	fmt.Printf("RSS before the plan %.1f MiB; peak during it (VmHWM) %.1f MiB; Go heap now %.1f MiB of %.1f MiB from the OS; GOMAXPROCS %d\n",
		mib(before), mib(hwm), mib(int64(ms.HeapAlloc)), mib(int64(ms.Sys)), runtime.GOMAXPROCS(0))
	fmt.Printf("RESULT mode=%q n=%d peak_rss_mib=%.1f elapsed_s=%.1f\n", mode, n, mib(hwm), elapsed.Seconds())
	return nil
}

// defaultDir is /dev/shm where it is a directory (a tmpfs: a million files are made in
// seconds, not minutes), else the system's temporary directory.
func defaultDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// status returns a field of /proc/self/status given in kB, in bytes.
func status(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// name is the i-th local file's key: d0000/f0000, in key order.
func name(i int) string { return fmt.Sprintf("d%04d/f%04d", i/perDir, i%perDir) }

// makeFiles makes n empty files, perDir to a directory, all with the time mtime.
func makeFiles(ctx context.Context, dir string, n int) error {
	for i := 0; i < n; i++ {
		if i%perDir == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := os.Mkdir(filepath.Join(dir, name(i)[:5]), 0o755); err != nil {
				return err
			}
		}
		p := filepath.Join(dir, name(i))
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			return err
		}
	}
	return nil
}

type planned struct {
	uploads, deletes int
	counts           syncplan.Counts
}

// config is how a plan is made: as a dry run (the items and deletions counted, none
// carried out) or carried out by Engine.Run and Engine.Delete against the fake store
// (real); with a state file (state: "" for none).
type config struct {
	dir   string
	n     int
	real  bool
	state string
}

// plan makes one sync's plan, as haul sync (--dry-run) does.
func plan(ctx context.Context, c config) (planned, error) {
	st := &listing{n: c.n}
	e := transfer.New(st, transfer.Options{})
	s, err := syncplan.New(e, st, syncplan.Options{
		Dir: syncplan.Up, Local: c.dir, Remote: object.Ref{Bucket: "b", Key: "p/"},
		Delete: true, Guards: syncplan.Guards{MaxDelete: -1, MaxDeleteSize: -1, MaxDeletePercent: 100},
		DryRun: !c.real, StatePath: c.state,
	})
	if err != nil {
		return planned{}, err
	}
	var p planned
	if c.real {
		err = carryOut(ctx, e, s, &p)
	} else {
		err = dryRun(ctx, s, &p)
	}
	p.counts = s.Counts()
	if cerr := s.Close(err == nil); err == nil {
		err = cerr
	}
	return p, err
}

func dryRun(ctx context.Context, s *syncplan.Sync, p *planned) error {
	var failed error
	err := s.Items(ctx, func(it transfer.Item) bool {
		if it.Err != nil {
			failed = it.Err
			return false
		}
		p.uploads++
		return true
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return err
	}
	produce, err := s.Deletes()
	if err != nil {
		return err
	}
	return produce(ctx, func(transfer.Item) bool {
		p.deletes++
		return true
	})
}

func carryOut(ctx context.Context, e *transfer.Engine, s *syncplan.Sync, p *planned) error {
	sum, err := e.Run(ctx, s.Items, transfer.WithObserver(s.Observer(nil)))
	p.uploads = sum.Done
	if err != nil {
		return err
	}
	produce, err := s.Deletes()
	if err != nil {
		return err
	}
	dsum, err := e.Delete(ctx, produce)
	p.deletes = dsum.Done
	return err
}

// listing is a store whose prefix "p/" holds n empty objects, made up as they are listed:
// in each directory of the local tree, the even files' names (f0000, f0002, ...) and as many
// names no file has (g0001, g0003, ...). HeadObject answers that an object's haul-mtime is
// every file's mtime. It stores nothing: PutObject reads the body and forgets it, and
// DeleteObjects deletes nothing; the other calls fail.
type listing struct{ n int }

var errNotHere = errors.New("syncbench: the store only lists, heads, puts and deletes")

const emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"

func (l *listing) List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error {
	for d := 0; d < l.n/perDir; d++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, c := range []struct {
			letter byte
			first  int
		}{{'f', 0}, {'g', 1}} {
			for i := c.first; i < perDir; i += 2 {
				key := fmt.Sprintf("p/d%04d/%c%04d", d, c.letter, i)
				if err := fn(object.Info{Key: key, ETag: emptyMD5, LastModified: mtime.Truncate(time.Second)}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (l *listing) HeadObject(ctx context.Context, ref object.Ref) (object.Info, error) {
	return object.Info{Key: ref.Key, ETag: emptyMD5, LastModified: mtime.Truncate(time.Second),
		Metadata: map[string]string{transfer.MtimeMetadata: strconv.FormatInt(mtime.UnixNano(), 10)}}, nil
}

func (l *listing) PutObject(_ context.Context, _ object.Ref, body io.ReadSeeker, _ int64, _ *object.Options, _ object.Checksum) (object.Written, error) {
	if _, err := io.Copy(io.Discard, body); err != nil {
		return object.Written{}, err
	}
	return object.Written{ETag: emptyMD5}, nil
}

func (l *listing) DeleteObjects(context.Context, string, []string) (map[string]error, error) {
	return nil, nil
}

func (l *listing) CreateMultipartUpload(context.Context, object.Ref, *object.Options) (string, error) {
	return "", errNotHere
}

func (l *listing) UploadPart(context.Context, object.Ref, string, int32, io.ReadSeeker, int64, object.Checksum) (string, error) {
	return "", errNotHere
}

func (l *listing) CompleteMultipartUpload(context.Context, object.Ref, string, []object.Part) (object.Written, error) {
	return object.Written{}, errNotHere
}

func (l *listing) AbortMultipartUpload(context.Context, object.Ref, string) error { return errNotHere }

func (l *listing) GetObject(context.Context, object.Ref, int64, int64, string) (io.ReadCloser, error) {
	return nil, errNotHere
}
