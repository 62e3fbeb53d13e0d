package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
)

// This file is one huge object sent from many machines: `uploads start` creates the
// multipart upload, `cp --shard I/N --upload-id ID FILE s3://b/k` on each machine sends
// the parts of its shard, and `uploads complete` checks every part against the file and
// completes it (transfer.Share, transfer.CompleteShared).

// startFlags are the flags of `uploads start`.
type startFlags struct {
	cp     cpFlags // the object options and --part-size
	source string  // --source: the file, to record its checksum and show its layout
}

func (a *app) uploadsStartCommand() *cobra.Command {
	var f startFlags
	cmd := &cobra.Command{
		Use:   "start s3://bucket/key",
		Short: "Start a multipart upload that several haul cp --upload-id runs send the parts of",
		Long: `Start a multipart upload of one object with the object options given (ACL, metadata,
tags, encryption, storage class, content type, checksum algorithm), print its upload ID
alone on stdout (ID=$(haul uploads start ...)), and the way on to stderr. Each machine then
sends its shard's parts with haul cp --shard I/N --upload-id ID FILE s3://bucket/key, and
haul uploads complete s3://bucket/key --upload-id ID --source FILE completes it.

Where the server keeps a full-object CRC (AWS, MinIO, versitygw) the upload asks for one,
and complete gives the whole file's CRC for the server to check. --source FILE reads the
file once and records its CRC in the object's metadata (x-amz-meta-haul-checksum), as haul
cp does, which downloads check on every server.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.cp.checksumSet = cmd.Flags().Changed("checksum")
			return a.uploadsStart(cmd.Context(), args[0], &f)
		},
	}
	fl := cmd.Flags()
	f.cp.registerObject(fl, "checksum")
	fl.Var(sizeFlag{&f.cp.partSize}, "part-size", "the part size the shards will be given, to show the layout with --source (default: haul's, from the file size)")
	fl.StringVar(&f.source, "source", "", "the file to be sent: read once to record its checksum in the object's metadata, and to show its parts")
	return cmd
}

// sharedObject is what uploads start and complete begin with: the object options of the
// flags, and the store and ref of the one object (not a prefix) that arg names.
func (a *app) sharedObject(ctx context.Context, arg string, f *cpFlags) (object.Options, object.Ref, *s3store.Store, error) {
	o, err := f.objectOptions()
	if err != nil {
		return o, object.Ref{}, nil, err
	}
	u, store, err := a.connect(ctx, arg, 0)
	if err != nil {
		return o, u, nil, err
	}
	if u.Key == "" || u.IsDir() {
		return o, u, nil, usagef("give the key of one object, not a prefix: %s", arg)
	}
	return o, u, store, nil
}

func (a *app) uploadsStart(ctx context.Context, arg string, f *startFlags) error {
	o, u, store, err := a.sharedObject(ctx, arg, &f.cp)
	if err != nil {
		return err
	}
	dst := object.Ref{Bucket: u.Bucket, Key: u.Key}
	if o.Checksum, err = a.providerChecksum(ctx, store, &f.cp, u.Bucket, o.Checksum); err != nil {
		return err
	}
	switch o.Checksum {
	case "":
		o.Checksum = store.DefaultChecksum(ctx, u.Bucket)
	case object.ChecksumNone:
		o.Checksum = ""
	}
	name, _ := store.DetectProvider(ctx, u.Bucket)
	p, _ := s3store.LookupProvider(name)
	o.FullObject = p.FullObject && isCRC(o.Checksum)
	var lay transfer.Layout
	if f.source != "" {
		if lay, err = a.layoutOf(f.source, f.cp.partSize); err != nil {
			return err
		}
		whole, err := transfer.FileChecksum(ctx, f.source, o.Checksum)
		if err != nil {
			return err
		}
		o = *transfer.WithChecksum(&o, whole)
	}
	e := transfer.New(store, transfer.Options{})
	id, err := e.CreateUpload(ctx, dst, &o)
	out := a.output()
	if err != nil {
		out.summary(event{}, "", err)
		return err
	}
	ev := event{Event: "started", Dst: dst.String(), UploadID: id}
	if lay.Parts > 0 {
		ev.Parts, ev.Size = new(lay.Parts), new(lay.Size)
	}
	if a.json {
		out.print(ev, nil, "")
		out.summary(event{}, "", nil)
		return nil
	}
	fmt.Fprintln(a.stdout, id)
	if !a.quiet {
		a.startAdvice(dst, id, &o, lay, f)
	}
	return nil
}

// startAdvice says on stderr what `uploads start` made and the way on.
func (a *app) startAdvice(dst object.Ref, id string, o *object.Options, lay transfer.Layout, f *startFlags) {
	sum := "no checksum"
	if o.Checksum != "" {
		sum = "checksum " + strings.ToLower(o.Checksum) + " per part"
		if o.FullObject {
			sum += " and of the whole object, which the server checks at completion"
		}
	}
	if !o.FullObject && f.source == "" {
		sum += "; the server keeps no full-object checksum: give --source FILE to record the file's, which downloads check"
	}
	file, ps := "FILE", ""
	if f.source != "" {
		file = f.source
	}
	if f.cp.partSize > 0 {
		ps = " --part-size " + bytesize.Format(f.cp.partSize)
	}
	a.errMu.Lock()
	defer a.errMu.Unlock()
	fmt.Fprintf(a.stderr, "started multipart upload %s of %s (%s)\n", id, dst, sum)
	if lay.Parts > 0 {
		fmt.Fprintf(a.stderr, "%s: %s in %d parts of %s; its checksum is recorded in the object's metadata\n", f.source, bytesize.Format(lay.Size), lay.Parts, bytesize.Format(lay.PartSize))
	}
	fmt.Fprintf(a.stderr, "send each shard I of N with: haul cp --shard I/N --upload-id %s%s %s %s\n", id, ps, file, dst)
	fmt.Fprintf(a.stderr, "then: haul uploads complete %s --upload-id %s%s --source %s\n", dst, id, ps, file)
	fmt.Fprintf(a.stderr, "or, to give it up: haul uploads abort %s --upload-id %s\n", dst, id)
}

func isCRC(alg string) bool {
	return alg == object.ChecksumCRC32C || alg == object.ChecksumCRC32 || alg == object.ChecksumCRC64NVME
}

// layoutOf returns the part layout of the file at path with the part size given (0:
// haul's), or a usage error.
func (a *app) layoutOf(path string, partSize int64) (transfer.Layout, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return transfer.Layout{}, usagef("cannot read the source: %v", err)
	}
	if !fi.Mode().IsRegular() {
		return transfer.Layout{}, usagef("%s is not a regular file: a shared upload sends the parts of one file", path)
	}
	lay, err := transfer.NewLayout(fi.Size(), partSize)
	if errors.Is(err, transfer.ErrEmptyFile) {
		return lay, usagef("%s is empty: a multipart upload needs at least one byte; send it with haul cp %s s3://bucket/key", path, path)
	}
	if err != nil {
		return lay, &usageError{err}
	}
	return lay, nil
}

// cpShare is `cp --upload-id`: this run's shard of the parts of one file's shared upload.
func (a *app) cpShare(ctx context.Context, f *cpFlags, opts transfer.Options, src, dst string) error {
	switch {
	case f.recursive || f.list.given() || f.move:
		return usagef("--upload-id sends the parts of one file: give a FILE, without -r or --files-from")
	case f.resume || f.dryRun || f.createBucket:
		return usagef("--upload-id runs can be repeated as they are (they send only the parts missing): --resume, --dry-run and --create-bucket do not apply")
	case f.receipt.path != "":
		return usagef("--receipt records objects written; a --upload-id run writes none (haul uploads complete does)")
	case !object.IsURL(dst) || object.IsURL(src) || src == "-":
		return usagef("--upload-id uploads a local FILE to s3://bucket/key")
	case objectOptionsGiven(f):
		return usagef("the object's options (--acl, --metadata, --tags, --sse, --storage-class, --content-type, --cache-control) are given to haul uploads start, which creates the upload")
	}
	u, err := object.ParseURL(dst)
	if err != nil {
		return &usageError{err}
	}
	if u.Key == "" || u.IsDir() {
		return usagef("give the object's key, as to haul uploads start, not a prefix: %s", dst)
	}
	if _, err := a.layoutOf(src, f.partSize); err != nil {
		return err
	}
	store, err := a.store(ctx, f.concurrency)
	if err != nil {
		return err
	}
	ref := object.Ref{Bucket: u.Bucket, Key: u.Key}
	if opts.Object.Checksum, err = a.providerChecksum(ctx, store, f, u.Bucket, opts.Object.Checksum); err != nil {
		return err
	}
	sh := transfer.Share{UploadID: f.uploadID, Index: 0, Count: 1}
	if f.shard.shard.Sharded() {
		sh.Index, sh.Count = f.shard.shard.Index, f.shard.shard.Count
	}
	rep := a.newReporter(false, false)
	var outcome *transfer.ShareOutcome
	opts.Observer = f.noteBandwidthChanges(transfer.ObserverFunc(func(ev transfer.Event) {
		if ev.Kind == transfer.Done {
			outcome = ev.Share
		}
		rep.Observe(ev)
	}))
	e := transfer.New(store, opts)
	sum, runErr := e.Run(ctx, e.SharedFileItem(src, ref, sh))
	err = rep.finish(sum, runErr)
	a.shareNote(sh, outcome, src, ref, runErr)
	return err
}

// objectOptionsGiven reports whether any object option but the checksum was given.
func objectOptionsGiven(f *cpFlags) bool {
	return f.acl != "" || len(f.metadata) > 0 || len(f.tags) > 0 || f.sse != "" || f.kmsKey != "" ||
		f.storageClass != "" || f.contentType != "" || f.cacheControl != ""
}

// shareNote says what a `cp --upload-id` run did with its shard, and that the upload is
// left in place whatever happened.
func (a *app) shareNote(sh transfer.Share, o *transfer.ShareOutcome, src string, dst object.Ref, err error) {
	out := a.output()
	var se *s3store.Error
	if errors.As(err, &se) && se.Op == "ListParts" && se.NotFound() {
		return // no such upload: nothing was left
	}
	shard := fmt.Sprintf("%d/%d", sh.Index, sh.Count)
	ev := event{Op: "upload", Src: src, Dst: dst.String(), UploadID: sh.UploadID, Shard: shard}
	switch {
	case err != nil:
		out.failingNote(ev, fmt.Sprintf("shard %s: the upload %s is left as it is, with every part sent; run the same command again to send the parts still missing", shard, sh.UploadID))
	case o == nil:
	case o.First == o.End:
		ev.Parts = new(0)
		out.note(ev, fmt.Sprintf("shard %s has none of the %d parts: nothing to send", shard, o.Layout.Parts))
	default:
		ev.Parts, ev.Sent, ev.Held = new(int(o.End-o.First)), new(o.Sent), new(o.Held)
		parts := fmt.Sprintf("part %d", o.First)
		if o.End-o.First > 1 {
			parts = fmt.Sprintf("parts %d-%d", o.First, o.End-1)
		}
		out.note(ev, fmt.Sprintf("shard %s: %s of %d: %d sent, %d already there; the upload is left for haul uploads complete",
			shard, parts, o.Layout.Parts, o.Sent, o.Held))
	}
}

// completeFlags are the flags of `uploads complete`.
type completeFlags struct {
	cp       cpFlags // --checksum and --part-size
	uploadID string
	source   string
	shards   int
}

func (a *app) uploadsCompleteCommand() *cobra.Command {
	var f completeFlags
	cmd := &cobra.Command{
		Use:   "complete s3://bucket/key --upload-id ID --source FILE",
		Short: "Check every part of a shared multipart upload against the file and complete it",
		Long: `Complete a multipart upload whose parts haul cp --shard I/N --upload-id ID runs sent: list
its parts, read FILE once to check that every part is there with the file's bytes (its
checksum where the server keeps one, else its MD5 ETag), complete the upload (with the whole
file's CRC where the upload keeps a full-object checksum, which the server checks), then
check the object's size and checksum. A part missing or wrong fails with exit code 1 and
names the shards to run again (give --shards N); the upload is left as it was. Give the
--part-size and --checksum the shards were given, if any.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.cp.checksumSet = cmd.Flags().Changed("checksum")
			return a.uploadsComplete(cmd.Context(), args[0], &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.uploadID, "upload-id", "", "the upload to complete (required)")
	fl.StringVar(&f.source, "source", "", "the file the shards sent (required)")
	fl.IntVar(&f.shards, "shards", 0, "the number of shards N the parts were sent in, to name the shards to run again")
	fl.Var(sizeFlag{&f.cp.partSize}, "part-size", "the part size the shards were given (default: haul's, from the file size)")
	f.cp.checksumFlag = "checksum"
	fl.StringVar(&f.cp.checksum, "checksum", "", "the checksum algorithm the shards were given, when the server does not list the upload's (default: the provider's)")
	return cmd
}

func (a *app) uploadsComplete(ctx context.Context, arg string, f *completeFlags) error {
	switch {
	case f.uploadID == "" || f.source == "":
		return usagef("give the upload with --upload-id and the file its parts came from with --source")
	case f.shards < 0:
		return usagef("--shards %d: give the number of shards, 1 or more", f.shards)
	}
	o, u, store, err := a.sharedObject(ctx, arg, &f.cp)
	if err != nil {
		return err
	}
	lay, err := a.layoutOf(f.source, f.cp.partSize)
	if err != nil {
		return err
	}
	dst := object.Ref{Bucket: u.Bucket, Key: u.Key}
	if o.Checksum, err = a.providerChecksum(ctx, store, &f.cp, u.Bucket, o.Checksum); err != nil {
		return err
	}
	e := transfer.New(store, transfer.Options{PartSize: f.cp.partSize, Object: object.Options{Checksum: o.Checksum}})
	c, err := e.CompleteShared(ctx, f.source, dst, f.uploadID)
	out := a.output()
	var perr *transfer.PartsError
	if errors.As(err, &perr) {
		out.failingNote(event{Op: "complete", Dst: dst.String(), UploadID: f.uploadID}, a.rerunAdvice(perr, f, dst, lay))
		err = reported{err}
	}
	if err == nil {
		ev := event{Event: "done", Op: "complete", Src: f.source, Dst: dst.String(), UploadID: f.uploadID,
			Bytes: new(lay.Size), Parts: new(lay.Parts), ETag: c.ETag, Verified: c.Verified}
		out.did(ev, fmt.Sprintf("complete: %s -> %s %s in %d parts, verified: %s", f.source, dst, bytesize.Format(lay.Size), lay.Parts, c.Verified))
	}
	out.summary(event{}, "", err)
	return err
}

// rerunAdvice says which parts a shared upload lacks and which runs to repeat.
func (a *app) rerunAdvice(perr *transfer.PartsError, f *completeFlags, dst object.Ref, lay transfer.Layout) string {
	text := perr.Error() + "; the upload is left as it was"
	if f.shards == 0 {
		return text + "; run again the shards that own them, then complete again (--shards N names them)"
	}
	var owners []int
	for _, num := range slices.Concat(perr.Missing, perr.Wrong) {
		owners = append(owners, lay.Owner(num, f.shards))
	}
	slices.Sort(owners)
	owners = slices.Compact(owners)
	ps := ""
	if f.cp.partSize > 0 {
		ps = " --part-size " + bytesize.Format(f.cp.partSize)
	}
	var runs []string
	for _, i := range owners {
		runs = append(runs, fmt.Sprintf("haul cp --shard %d/%d --upload-id %s%s %s %s", i, f.shards, f.uploadID, ps, f.source, dst))
	}
	return text + "; rerun: " + strings.Join(runs, "; ")
}

// registerSplit defines --shard-parts-over and --shard-wait, for the command named
// ("cp -r", "sync").
func (f *cpFlags) registerSplit(fl *pflag.FlagSet, command string) {
	help := "with --shard, " + command + " to S3 (from a local directory, or from S3 on one endpoint, where the server copies): a file or object larger than this is not sent whole by one shard but split by parts among all of them, which find its upload through the server; the last shard to finish its parts completes it"
	if command == "cp -r" {
		help += "; from S3 to a directory, which must be one all the shards see (NFS, a ReadWriteMany volume), an object larger than this is fetched by all of them into one temporary file, each its range of parts, and the last to finish checks it and renames it into place"
	}
	fl.Var(sizeFlag{&f.splitOver}, "shard-parts-over", help)
	fl.DurationVar(&f.splitWait, "shard-wait", transfer.DefaultShareWait, "with --shard-parts-over: how long a shard waits for the upload of a file it shares to be started by the shard that owns the file")
}

// checkSplit checks --shard-parts-over of command ("cp -r", "sync"): sharded, recursive (sync
// sets it), to S3 from a local directory or from S3 (on one endpoint, where the server
// copies the parts: checked once the source's store is known, splitSource), or, for cp -r
// only, from S3 to a directory (a sync's downloads stay whole on one shard); not a dry run
// or a list of files. mv has no --shard-parts-over.
func (f *cpFlags) checkSplit(srcS3, dstS3 bool, command string) error {
	switch {
	case f.splitOver == 0:
		return nil
	case f.splitOver < 0:
		return usagef("--shard-parts-over: give a size such as 1GiB")
	case !f.shard.shard.Sharded():
		return usagef("--shard-parts-over splits big files among the shards of a job: give --shard I/N (or set %s) with N of 2 or more", shardEnv)
	case !f.recursive || !dstS3 && (!srcS3 || command != "cp -r"):
		return usagef("--shard-parts-over is for %s to S3 (from a local directory, or from S3 on one endpoint) and for cp -r from S3 to a directory all the shards see: %s's downloads do not split objects among shards", command, command)
	case f.list.given() || f.dryRun:
		return usagef("--shard-parts-over splits the files of a directory walk or the objects of a listing; --files-from and --dry-run do not apply")
	}
	return nil
}

// splitSource refuses --shard-parts-over for a copy whose source is on another store
// (Options.Source): only a copy the server makes is split among shards.
func (f *cpFlags) splitSource(source transfer.Store) error {
	if source != nil && f.splitOver > 0 {
		return usagef("--shard-parts-over splits a copy among shards only when the server copies it, on one endpoint and profile: not from another (--source-endpoint-url, --source-profile, --source-region)")
	}
	return nil
}

// splitLarge returns p with the files (or, from S3, the objects) larger than
// --shard-parts-over shared by parts among the shards, and every other item kept by its
// own shard (transfer.SplitLarge). root is the local directory, or the source's prefix.
func (f *cpFlags) splitLarge(p plan, root string) plan {
	if f.splitOver == 0 || p == nil {
		return p
	}
	sh := f.shard.shard
	owner := func(it transfer.Item) int {
		switch it.Op {
		case transfer.Copy:
			return filter.Of(strings.TrimPrefix(it.Source.Key, root), sh.Count)
		case transfer.Download:
			return filter.Of(strings.TrimPrefix(it.Object.Key, root), sh.Count)
		}
		rel, err := filepath.Rel(root, it.Path)
		if err != nil {
			return sh.Index // not under the root: a failure to report, here
		}
		return filter.Of(filepath.ToSlash(rel), sh.Count)
	}
	return func(e *transfer.Engine) transfer.Producer {
		return transfer.SplitLarge(p(e), f.splitOver, sh.Index, sh.Count, owner)
	}
}
