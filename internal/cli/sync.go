package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/syncplan"
	"github.com/haul-s3/haul/transfer"
	"github.com/haul-s3/haul/transfer/journal"
)

// Exit codes of sync beyond cp's.
const (
	ExitGuard   = 3 // a delete guard refused the deletions; the transfers were done
	ExitPending = 4 // sync --dry-run --detailed-exitcode: there is something to do
)

// exitCode is an error that decides the exit code; what it stands for was printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

type syncFlags struct {
	cpFlags
	delete, deleteExcluded       bool
	content                      bool // --checksum: decide by content
	sizeOnly, update, ignoreOld  bool
	allowEmpty, detailedExitcode bool
	maxDelete, maxDeleteSize     int64
	maxDeletePercent             int64
	state                        string
	noState                      bool
}

func (a *app) syncCommand() *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:   "sync SOURCE DEST",
		Short: "Make a prefix like a directory or another prefix, or a directory like a prefix, sending only what differs",
		Long: `Make DEST hold what SOURCE holds, sending only the files that differ; with --delete, also
delete what SOURCE does not hold. One side is a local directory, the other an S3 prefix, or
both are S3 prefixes; "dir", "dir/", "s3://b/p" and "s3://b/p/" all mean the contents of it.

  haul sync ./site s3://www/ --delete --dry-run      the plan, nothing sent
  haul sync ./site s3://www/ --delete                only changes move; deletes guarded
  haul sync s3://logs/2026-11-23/ ./logs             and back; mtimes kept
  haul sync ./data s3://bk/data --checksum           decide by content, not time
  haul sync s3://a/p s3://b/q --delete               S3 to S3: copies on the server, or
                                                     through haul with --source-endpoint-url

A file is unchanged when its size matches and: the state file says so (both sides as
recorded); or the mtime haul stored with the object equals the file's; or their checksums
are equal. Between two S3 prefixes an object is unchanged when its size matches and their
ETags or checksums are equal, or, with no checksum to compare, the copy is not older than
the source.

Symbolic links under a local SOURCE are followed (a loop is skipped, a broken link fails).
With --no-follow-symlinks each link is skipped with a skip: line, and what DEST holds under
its name is kept, not deleted. Named pipes, sockets and devices are always skipped, and
kept likewise.
With --files-from only the listed names are looked at, on both sides (a stat or a HEAD
each; nothing is walked or listed): a listed name SOURCE does not hold is deleted from DEST
with --delete (the guards count only listed names), and is a failed item without it.

Exit codes: 0 done; 1 some item or a listing failed; 2 usage; 3 a delete guard refused the
deletions (transfers done); 4 changes pending (--dry-run --detailed-exitcode); 130
interrupted.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.checksumSet = cmd.Flags().Changed(f.checksumFlag)
			if !cmd.Flags().Changed("max-delete-size") {
				f.maxDeleteSize = -1
			}
			return a.sync(cmd.Context(), &f, args[0], args[1])
		},
	}
	fl := cmd.Flags()
	f.register(fl, "checksum-algorithm", "")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan (one line per upload, download and delete, and the totals); send nothing that carries or fetches object bodies and delete nothing")
	fl.BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "with --dry-run: exit 0 when there is nothing to do, 4 when there is")
	fl.BoolVar(&f.delete, "delete", false, "delete from DEST what SOURCE does not hold, after every transfer, unless a guard refuses")
	fl.BoolVar(&f.deleteExcluded, "delete-excluded", false, "with --delete, also delete from DEST the keys --exclude leaves out")
	fl.BoolVar(&f.content, "checksum", false, "decide by content: compare checksums where times would do, and send what has no checksum to compare")
	fl.BoolVar(&f.sizeOnly, "size-only", false, "a file of the same size is unchanged")
	fl.BoolVar(&f.update, "update", false, "never replace a file or object that is newer at DEST")
	fl.BoolVar(&f.ignoreOld, "ignore-existing", false, "never replace what DEST holds; only send what it lacks")
	fl.Int64Var(&f.maxDelete, "max-delete", -1, "with --delete: delete nothing if more than this many deletions are planned (-1: no limit)")
	fl.Var(sizeFlag{&f.maxDeleteSize}, "max-delete-size", "with --delete: delete nothing if the deletions would remove more bytes than this")
	fl.Int64Var(&f.maxDeletePercent, "max-delete-percent", 50, fmt.Sprintf("with --delete: delete nothing if the deletions are more than this share of DEST's keys, once DEST holds %d or more (100: no limit)", syncplan.PercentFloor))
	fl.BoolVar(&f.allowEmpty, "allow-empty-source", false, "with --delete: delete everything DEST holds when SOURCE is empty (refused otherwise)")
	fl.StringVar(&f.state, "state", "", "the state file of this pair (default: one per SOURCE, DEST and endpoint in "+stateDirHint+")")
	fl.BoolVar(&f.noState, "no-state", false, "keep no state file: every run checks each same-size object (one HEAD)")
	f.list.register(fl, "")
	f.copy.register(fl)
	f.registerSplit(fl, "sync")
	return cmd
}

const stateDirHint = "$XDG_STATE_HOME/haul/sync (~/.local/state/haul/sync)"

// syncJob is a checked sync command line.
type syncJob struct {
	dir    syncplan.Direction
	local  string
	remote object.Ref // the S3 side; S3 to S3, the destination
	source object.Ref // S3 to S3: the source
}

func (a *app) checkSync(f *syncFlags, src, dst string) (syncJob, error) {
	srcS3, dstS3 := object.IsURL(src), object.IsURL(dst)
	var j syncJob
	switch {
	case srcS3 && dstS3:
		return a.checkSyncCopy(f, src, dst)
	case f.copy.given():
		return j, usagef("--source-endpoint-url, --source-profile, --source-region, --metadata-directive and --no-copy-acl are for syncs from S3 to S3")
	case !srcS3 && !dstS3:
		return j, usagef("neither %q nor %q is an S3 URL (s3://bucket/prefix); one side must be", src, dst)
	case src == "-" || dst == "-":
		return j, usagef("sync works on a directory, not standard input or output: use haul cp")
	}
	if err := f.check(); err != nil {
		return j, err
	}
	if f.noFollow && srcS3 {
		return j, usagef("--no-follow-symlinks is for a local source: it skips the symbolic links found under the directory being sent")
	}
	url := dst
	j.dir, j.local = syncplan.Up, src
	if srcS3 {
		url, j.dir, j.local = src, syncplan.Down, dst
	}
	u, err := object.ParseURL(url)
	if err != nil {
		return j, &usageError{err}
	}
	if u.Key != "" && !strings.HasSuffix(u.Key, "/") {
		u.Key += "/" // the prefix p is p/: p2/ is never touched
	}
	j.remote = u
	fi, err := os.Stat(j.local)
	switch {
	case j.dir == syncplan.Up && err != nil:
		return j, usagef("cannot read the source directory: %v", err)
	case err == nil && !fi.IsDir():
		return j, usagef("%s is a file, not a directory: sync works on directories; to copy one file, use haul cp", j.local)
	case j.dir == syncplan.Down && errors.Is(err, fs.ErrNotExist) && !f.dryRun:
		if err := os.MkdirAll(j.local, 0o755); err != nil {
			return j, usagef("cannot create the destination directory: %v", err)
		}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return j, usagef("cannot read the destination directory: %v", err)
	}
	return j, nil
}

// check checks the flags of every sync against each other.
func (f *syncFlags) check() error {
	switch {
	case f.sizeOnly && f.content:
		return usagef("--size-only and --checksum contradict each other: give one")
	case (f.maxDelete >= 0 || f.maxDeleteSize >= 0 || f.allowEmpty || f.deleteExcluded) && !f.delete:
		return usagef("--max-delete, --max-delete-size, --allow-empty-source and --delete-excluded go with --delete")
	case f.detailedExitcode && !f.dryRun:
		return usagef("--detailed-exitcode goes with --dry-run")
	case f.maxDeletePercent < 0:
		return usagef("--max-delete-percent %d: give 0 to 100", f.maxDeletePercent)
	}
	return nil
}

// checkSyncCopy checks a sync from an S3 prefix to another.
func (a *app) checkSyncCopy(f *syncFlags, src, dst string) (syncJob, error) {
	j := syncJob{dir: syncplan.Copy}
	if err := f.check(); err != nil {
		return j, err
	}
	if f.noFollow {
		return j, usagef("--no-follow-symlinks is for a local source: it skips the symbolic links found under the directory being sent")
	}
	if f.state != "" {
		return j, usagef("--state: a sync from S3 to S3 keeps no state file (both sides are listings with sizes and ETags)")
	}
	if e := f.copy.srcEndpoint; e != "" && !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
		return j, usagef("--source-endpoint-url %q: give a URL starting with http:// or https://", e)
	}
	su, err := object.ParseURL(src)
	if err != nil {
		return j, &usageError{err}
	}
	du, err := object.ParseURL(dst)
	if err != nil {
		return j, &usageError{err}
	}
	j.source = object.Ref{Bucket: su.Bucket, Key: asPrefix(su.Key)} // p is p/: p2/ is never touched
	j.remote = object.Ref{Bucket: du.Bucket, Key: asPrefix(du.Key)}
	return j, nil
}

// overlap reports whether two prefixes of one store share keys: one holds the other (or
// they are the same), so that a sync between them would copy its own copies or delete its
// own source.
func overlap(a, b object.Ref) bool {
	return a.Bucket == b.Bucket && (strings.HasPrefix(a.Key, b.Key) || strings.HasPrefix(b.Key, a.Key))
}

// statePath is the state file of a sync: --state, or one per source, destination and
// endpoint.
func (a *app) statePath(f *syncFlags, src, dst, endpoint string) (string, error) {
	if f.noState {
		return "", nil
	}
	if f.state != "" {
		return f.state, nil
	}
	dir, err := stateHome()
	if err != nil {
		return "", usagef("no home directory for the sync state (%v): give --state PATH or --no-state", err)
	}
	strip := func(s string) string { return strings.TrimRight(absLocal(s), `/\`) }
	sum := sha256.Sum256([]byte(strip(src) + "\x00" + strip(dst) + "\x00" + endpoint))
	return f.shard.file(filepath.Join(dir, "sync", hex.EncodeToString(sum[:8])+".state")), nil
}

func (a *app) sync(ctx context.Context, f *syncFlags, src, dst string) error {
	f.recursive = true
	opts, err := f.options()
	if err != nil {
		return err
	}
	if err := f.checkSplit(object.IsURL(src), object.IsURL(dst), "sync"); err != nil {
		return err
	}
	job, err := a.checkSync(f, src, dst)
	if err != nil {
		return err
	}
	if err := a.checkReceipt(f.receipt, f.dryRun, false); err != nil {
		return err
	}
	a.countCalls = true
	store, err := a.store(ctx, f.concurrency)
	if err != nil {
		return err
	}
	var from syncplan.Store // S3 to S3: the source's store when it is not store
	if job.dir == syncplan.Copy {
		if from, err = a.syncSource(ctx, f, &opts, store, job); err != nil {
			return err
		}
	}
	if job.dir != syncplan.Down {
		if opts.Object.Checksum, err = a.providerChecksum(ctx, store, &f.cpFlags, job.remote.Bucket, opts.Object.Checksum); err != nil {
			return err
		}
		if f.dryRun {
			err = a.checkBucket(ctx, store, job.remote.Bucket, f.createBucket)
		} else if f.createBucket {
			err = a.ensureBucket(ctx, store, job.remote.Bucket)
		}
		if err != nil {
			return err
		}
	}
	state := ""
	if job.dir != syncplan.Copy {
		if state, err = a.statePath(f, src, dst, store.Endpoint); err != nil {
			return err
		}
	}
	names, closeList, err := f.list.open(a.stdin)
	if err != nil {
		return err
	}
	defer closeList()
	out := a.output()
	so := syncplan.Options{List: names, Dir: job.dir, Local: job.local, Remote: job.remote, Source: job.source, SourceStore: from, Filter: f.filter, Shard: f.shard.filter(),
		Delete: f.delete, DeleteExcluded: f.deleteExcluded,
		Guards:   syncplan.Guards{AllowEmptySource: f.allowEmpty, MaxDelete: f.maxDelete, MaxDeleteSize: f.maxDeleteSize, MaxDeletePercent: f.maxDeletePercent},
		SizeOnly: f.sizeOnly, Checksum: f.content, Update: f.update, IgnoreExisting: f.ignoreOld,
		SplitOver: f.splitOver, StatePath: state, DryRun: f.dryRun, Checks: f.concurrency, NoFollowSymlinks: f.noFollow,
		Note: func(n syncplan.Note) {
			out.did(event{Event: n.Kind, Dst: refOrPath(job, n.Key), Message: n.Err.Error()}, fmt.Sprintf("%s: %s (%v)", n.Kind, refOrPath(job, n.Key), n.Err))
		},
	}
	if job.dir == syncplan.Down {
		// A directory that cannot be probed (a dry run's, not made yet) counts as
		// case-sensitive: it holds no file a key could clash with.
		so.CaseInsensitive, _ = localfs.CaseInsensitive(job.local)
	}
	if f.dryRun {
		e := transfer.New(store, opts)
		s, err := syncplan.New(e, store, so)
		if err != nil {
			return err
		}
		defer s.Close(false)
		return a.syncPlan(ctx, f, job.dir, e, s)
	}
	rec, err := a.openReceipt(f.receipt, &f.shard)
	if err != nil {
		return err
	}
	if rec != nil {
		so.Unchanged = rec.unchanged
	}
	rep := a.newReporter(false, false)
	var j *journal.Journal
	if f.resume {
		if j, err = a.openJournal(&f.cpFlags, src, dst); err != nil {
			return err
		}
		opts.Journal = j
	}
	e := transfer.New(store, opts)
	s, err := syncplan.New(e, store, so)
	if err != nil {
		return &usageError{err}
	}
	obs := transfer.WithObserver(f.noteBandwidthChanges(s.Observer(rec.observe(rep))))
	root := job.local
	if job.dir == syncplan.Copy {
		root = job.source.Key
	}
	items := f.splitLarge(func(*transfer.Engine) transfer.Producer { return s.Items }, root)(e)
	sum, runErr := e.Run(ctx, items, obs)
	var dsum transfer.Summary
	var delErr, guardErr error
	if runErr == nil || errors.Is(runErr, transfer.ErrSomeFailed) {
		switch produce, err := s.Deletes(); {
		case errors.As(err, new(*syncplan.GuardError)):
			guardErr = err
		case err != nil:
			delErr = err
		case produce != nil:
			dsum, delErr = e.Delete(ctx, produce, obs)
		}
	}
	if err := s.Close(true); err != nil {
		out.warning("could not write the sync state (the next run will check more): " + err.Error())
	}
	err = rec.close(a.syncFinish(rep, s, job.dir, sum, dsum, runErr, delErr, guardErr))
	if j != nil {
		a.closeJournal(j, err)
	}
	return err
}

// syncSource sets up the source of a sync from S3 to S3: the metadata directive, and the
// source's store when --source-endpoint-url, --source-profile or --source-region name
// another than the destination's (returned, and made the engine's Options.Source, whose
// copies then pass through haul). On one store, prefixes that hold one another are
// refused.
func (a *app) syncSource(ctx context.Context, f *syncFlags, opts *transfer.Options, store *s3store.Store, job syncJob) (syncplan.Store, error) {
	var err error
	if opts.ReplaceMetadata, err = f.replaceMetadata(); err != nil {
		return nil, err
	}
	opts.IgnoreGrants = f.copy.noCopyACL
	if opts.Source, err = a.sourceStore(ctx, &f.cpFlags, store); err != nil {
		return nil, err
	}
	if err := f.splitSource(opts.Source); err != nil {
		return nil, err
	}
	if opts.Source == nil {
		if overlap(job.source, job.remote) {
			return nil, usagef("%s and %s share keys: a sync between them would copy its own copies or delete its source; give prefixes apart", job.source, job.remote)
		}
		return nil, nil
	}
	from, ok := opts.Source.(syncplan.Store)
	if !ok {
		return nil, fmt.Errorf("sync: the source store cannot list (%T)", opts.Source)
	}
	return from, nil
}

// refOrPath names a key of the sync on its destination side.
func refOrPath(job syncJob, key string) string {
	if job.dir != syncplan.Down {
		return object.Ref{Bucket: job.remote.Bucket, Key: job.remote.Key + key}.String()
	}
	return filepath.Join(job.local, filepath.FromSlash(key))
}
