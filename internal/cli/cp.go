package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/haul-s3/haul/bwlimit"
	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
	"github.com/haul-s3/haul/transfer/journal"
)

// plan is a checked copy: it gives the producer of the copy's items once the engine (and
// so the store) is there.
type plan func(*transfer.Engine) transfer.Producer

type cpFlags struct {
	recursive    bool
	concurrency  int
	partSize     int64
	threshold    int64
	memory       int64
	retries      int
	stall        time.Duration
	throttle     time.Duration
	acl          string
	metadata     []string
	tags         []string
	sse, kmsKey  string
	storageClass string
	contentType  string
	cacheControl string
	createBucket bool
	resume       bool
	journal      string
	checksum     string
	checksumSet  bool   // --checksum given: the provider's default does not apply
	checksumFlag string // the name of that flag: checksum (cp) or checksum-algorithm (sync)
	// flags is where register defined them, to tell a --concurrency given from the default
	// (nil: every value counts as given).
	flags       *pflag.FlagSet
	verify      verifyMode
	failIfEmpty bool
	createdDir  bool // the destination directory of a recursive download did not exist
	dryRun      bool
	rules       []filter.Rule    // --include and --exclude, in command-line order
	filter      transfer.Filter  // from rules; nil when there are none
	copy        copyFlags        // S3 to S3 (cp, mv)
	move        bool             // mv: remove each source once its copy is verified
	list        listFlags        // --files-from, --files-from0 (cp, sync)
	names       *filelist.Reader // the list opened, while the command runs; nil: none given
	// noFollow is --no-follow-symlinks: links under a local source directory are skipped.
	noFollow bool
	bwlimit  bwlimit.Schedule
	limiter  *bwlimit.Limiter // made by options from bwlimit; nil when it never limits
	shard    shardFlags       // --shard I/N (shard.go)
	receipt  receiptFlag      // --receipt FILE (receipt.go)
	uploadID string           // cp --upload-id: send a shard's parts of this upload (shared.go)
	// splitOver is cp --shard-parts-over: with --shard, files larger than this are split by
	// parts among all the shards (shared.go); splitWait how long a shard waits for the upload.
	splitOver int64
	splitWait time.Duration
}

func (a *app) cpCommand() *cobra.Command {
	var f cpFlags
	cmd := &cobra.Command{
		Use:   "cp SOURCE DEST",
		Short: "Copy files, directories or a stream to S3, objects from S3, or objects between S3 locations",
		Long: `Copy a file, a directory (-r) or standard input (-) to S3, an object or a prefix (-r)
from S3 to a file, a directory or standard output (-), or an object or a prefix (-r) to
another bucket, key or server.

  haul cp FILE s3://bucket/key            haul cp s3://bucket/key FILE
  haul cp FILE s3://bucket/prefix/        haul cp s3://bucket/key DIR/
  haul cp -r DIR s3://bucket/prefix/      haul cp -r s3://bucket/prefix/ DIR
  haul cp - s3://bucket/key               haul cp s3://bucket/key -
  haul cp s3://a/key s3://b/key2          haul cp -r s3://a/prefix/ s3://b/prefix/

Between S3 locations on one endpoint with one profile the server copies the bytes
(CopyObject; UploadPartCopy above --multipart-threshold). With --source-endpoint-url or
--source-profile naming another server or account, haul streams them through memory
(--memory), checked end to end against the source's checksum.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.checksumSet = cmd.Flags().Changed(f.checksumFlag)
			return a.cp(cmd.Context(), &f, args[0], args[1])
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.recursive, "recursive", "r", false, "copy a directory or a whole prefix")
	f.register(fl, "checksum", "with -r, ")
	fl.BoolVar(&f.failIfEmpty, "fail-if-empty", false, "exit 1 if the prefix holds no objects (cp -r from S3)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print what would be copied, one line per item, and the requests it takes; send nothing that carries or fetches object bodies")
	f.list.register(fl, "with -r, ")
	f.copy.register(fl)
	f.registerSplit(fl, "cp -r")
	fl.StringVar(&f.uploadID, "upload-id", "", "send one FILE's parts, of shard --shard I/N (default: all of them), to this multipart upload started with haul uploads start, and leave it for haul uploads complete; parts already there are not sent again, and the upload is never aborted")
	return cmd
}

// register defines the flags that cp and sync share: how to transfer, and the object
// options. checksumFlag names the flag of the checksum algorithm (cp's --checksum; sync's
// --checksum-algorithm, as its --checksum decides by content); filterScope begins the
// --include help ("with -r, ").
func (f *cpFlags) register(fl *pflag.FlagSet, checksumFlag, filterScope string) {
	f.checksumFlag = checksumFlag
	f.flags = fl
	fl.IntVar(&f.concurrency, "concurrency", transfer.DefaultConcurrency, fmt.Sprintf("requests in flight at once, shared by all files and parts; unless given, at most %d of them (2 per CPU, at least 4) are parts of big files", transfer.DefaultPartConcurrency()))
	fl.Var(sizeFlag{&f.partSize}, "part-size", "multipart part size, 5MiB..5GiB (default: 8MiB, grown with the object so it needs at most 1,000 parts)")
	f.threshold = transfer.DefaultMultipartThreshold
	fl.Var(sizeFlag{&f.threshold}, "multipart-threshold", "objects larger than this are sent in parts and fetched with parallel ranged GETs")
	f.memory = transfer.DefaultMemoryBudget
	fl.Var(sizeFlag{&f.memory}, "memory", "memory for buffering a stream of unknown size (stdin)")
	fl.IntVar(&f.retries, "retries", transfer.DefaultRetries, "times one failed request is sent again")
	fl.DurationVar(&f.stall, "stall-timeout", transfer.DefaultStallTimeout, "cancel and retry a request that moves no byte for this long (0: never)")
	fl.DurationVar(&f.throttle, "throttle-timeout", transfer.DefaultThrottleTimeout, "give up when the server has throttled every request (503 SlowDown, 429) for this long (0: never); throttled requests wait together and use up no --retries")
	f.registerObject(fl, checksumFlag)
	fl.BoolVar(&f.createBucket, "create-bucket", false, "create the destination bucket if it does not exist (in --region)")
	fl.Var(filter.IncludeFlag(&f.rules), "include", filterScope+"copy only paths that match (repeatable; with --exclude, the last that matches wins; * and ? stop at /, ** crosses it)")
	fl.Var(filter.ExcludeFlag(&f.rules), "exclude", filterScope+"do not copy paths that match (repeatable; see --include)")
	f.verify = verifyOn
	fl.Var(&f.verify, "verify", "check downloaded bytes: true (against haul's whole-file checksum, the server's checksums, or the MD5 ETag, part by part for a multipart object; a file nothing can check is written and counted in a note), required (such a file fails) or false")
	fl.Lookup("verify").NoOptDefVal = "true"
	fl.BoolVar(&f.resume, "resume", false, "keep a journal so an interrupted copy continues where it stopped (run the same command again, or haul resume)")
	fl.StringVar(&f.journal, "journal", "", "journal file for --resume (default: one per source and destination in "+journalDirHint+")")
	f.shard.register(fl)
	f.receipt.register(fl)
	fl.BoolVar(&f.noFollow, "no-follow-symlinks", false, "do not follow symbolic links found under a local source directory: each is skipped with a skip: line, not sent (a directory or file named on the command line is still followed)")
	fl.Var(bwlimitFlag{&f.bwlimit}, "bwlimit", bwlimitHelp)
}

// verifyMode is the value of --verify: true, false or required.
type verifyMode string

const (
	verifyOn       verifyMode = "true"
	verifyOff      verifyMode = "false"
	verifyRequired verifyMode = "required"
)

func (v *verifyMode) String() string { return string(*v) }
func (v *verifyMode) Type() string   { return "true|false|required" }

// Set takes true, false (or any other spelling strconv.ParseBool knows, as the flag was a
// bool before) or required.
func (v *verifyMode) Set(s string) error {
	if strings.EqualFold(s, string(verifyRequired)) {
		*v = verifyRequired
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q: use true, false or required", s)
	}
	*v = verifyOff
	if b {
		*v = verifyOn
	}
	return nil
}

var checksumNames = map[string]string{
	"crc32c": object.ChecksumCRC32C, "crc32": object.ChecksumCRC32, "crc64nvme": object.ChecksumCRC64NVME,
	"sha256": object.ChecksumSHA256, "sha1": object.ChecksumSHA1, "md5": object.ChecksumMD5, "none": object.ChecksumNone,
}

var cannedACLs = []string{"private", "public-read", "public-read-write", "authenticated-read",
	"aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"}

// options checks the flags and turns them into engine options.
func (f *cpFlags) options() (transfer.Options, error) {
	var o transfer.Options
	if f.concurrency < 1 {
		return o, usagef("--concurrency %d: give at least 1", f.concurrency)
	}
	if f.partSize != 0 && (f.partSize < transfer.MinPartSize || f.partSize > transfer.MaxPartSize) {
		return o, usagef("--part-size %d: a part must be 5MiB to 5GiB", f.partSize)
	}
	if f.retries < 0 {
		return o, usagef("--retries %d: give 0 or more", f.retries)
	}
	if f.stall < 0 {
		return o, usagef("--stall-timeout %s: give 0 (never) or a positive duration such as 30s", f.stall)
	}
	stall := f.stall
	if stall == 0 {
		stall = -1 // the engine reads 0 as "default"
	}
	if f.throttle < 0 {
		return o, usagef("--throttle-timeout %s: give 0 (never) or a positive duration such as 10m", f.throttle)
	}
	throttle := f.throttle
	if throttle == 0 {
		throttle = -1
	}
	obj, err := f.objectOptions()
	if err != nil {
		return o, err
	}
	if err := f.list.check(f.recursive); err != nil {
		return o, err
	}
	if f.noFollow && f.list.given() {
		return o, usagef("--no-follow-symlinks is for a directory being walked; with --files-from each listed name is sent as it is (a listed link is followed): leave the links out of the list")
	}
	if len(f.rules) > 0 {
		if !f.recursive {
			return o, usagef("--include and --exclude select among the files of a directory or the keys of a prefix: add -r")
		}
		flt, err := filter.New(f.rules)
		if err != nil {
			return o, &usageError{err}
		}
		f.filter = flt
	}
	if err := f.shard.check(f.recursive || f.uploadID != "", os.LookupEnv); err != nil {
		return o, err
	}
	retries := f.retries
	if retries == 0 {
		retries = -1 // the engine reads 0 as "default"
	}
	concurrency := f.concurrency
	if f.flags != nil && !f.flags.Changed("concurrency") {
		concurrency = 0 // the engine's default: fewer of the requests may be parts
	}
	return transfer.Options{
		Concurrency: concurrency, PartSize: f.partSize, MultipartThreshold: f.threshold,
		MemoryBudget: f.memory, Retries: retries, StallTimeout: stall, ThrottleTimeout: throttle, SkipVerify: f.verify == verifyOff, VerifyRequired: f.verify == verifyRequired,
		Bandwidth: f.bandwidth(), ShareWait: f.splitWait,
		Object: obj,
	}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseMetadata parses key=value pairs. Keys are letters, digits, '-', '_' and '.'; values
// printable ASCII, as S3 stores them in HTTP headers.
func parseMetadata(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usagef("--metadata %q: write it as key=value", p)
		}
		for _, c := range k {
			if !isMetadataKeyChar(c) {
				return nil, usagef("--metadata %q: a key may hold only letters, digits, '-', '_' and '.'", p)
			}
		}
		for _, c := range v {
			if c < ' ' || c > '~' {
				return nil, usagef("--metadata %q: a value may hold only printable ASCII characters", p)
			}
		}
		m[strings.ToLower(k)] = v
	}
	return m, nil
}

func isMetadataKeyChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// cp works out the direction and the shape of the copy, then runs it.
func (a *app) cp(ctx context.Context, f *cpFlags, src, dst string) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	if f.uploadID != "" {
		return a.cpShare(ctx, f, opts, src, dst)
	}
	srcS3, dstS3 := object.IsURL(src), object.IsURL(dst)
	if err := f.checkSplit(srcS3, dstS3, "cp -r"); err != nil {
		return err
	}
	if f.splitOver == 0 {
		f.filter = f.shard.sharded(f.filter) // else splitLarge takes each shard's items
	}
	switch {
	case !srcS3 && !dstS3:
		return usagef("neither %q nor %q is an S3 URL (s3://bucket/key); one side must be", src, dst)
	case (!srcS3 || !dstS3) && f.copy.given():
		return usagef("--source-endpoint-url, --source-profile, --source-region, --metadata-directive and --no-copy-acl are for copies from S3 to S3")
	case f.move && (src == "-" || dst == "-"):
		return usagef("mv moves files and objects, not a stream: use cp with -")
	case f.noFollow && (srcS3 || src == "-"):
		return usagef("--no-follow-symlinks is for a local source: it skips the symbolic links found under a directory being sent")
	case f.list.given() && (src == "-" || dst == "-"):
		return usagef("--files-from and --files-from0 list the files of a directory or the keys of a prefix, not a stream")
	}
	if err := a.checkReceipt(f.receipt, f.dryRun, dst == "-"); err != nil {
		return err
	}
	names, closeList, err := f.list.open(a.stdin)
	if err != nil {
		return err
	}
	defer closeList()
	f.names = names
	if f.move && srcS3 && !dstS3 && !f.flags.Changed("verify") {
		opts.VerifyRequired = true // the object is removed only once the file is verified
	}
	var items plan
	var target string
	switch {
	case srcS3 && dstS3:
		items, target, err = a.planCopy(f, &opts, src, dst)
		if u, perr := object.ParseURL(src); perr == nil {
			items = f.splitLarge(items, asPrefix(u.Key))
		}
	case dstS3:
		items, target, err = a.planUpload(f, src, dst)
		items = f.splitLarge(items, src)
	default:
		items, target, err = a.planDownload(f, src, dst)
		if u, perr := object.ParseURL(src); perr == nil {
			items = f.splitLarge(items, asPrefix(u.Key))
		}
	}
	if err != nil {
		return err
	}
	if f.move {
		p := items
		items = func(e *transfer.Engine) transfer.Producer { return transfer.Moving(p(e)) }
	}
	store, err := a.store(ctx, f.concurrency)
	if err != nil {
		return err
	}
	if srcS3 && dstS3 {
		if opts.Source, err = a.sourceStore(ctx, f, store); err != nil {
			return err
		}
		if err := f.splitSource(opts.Source); err != nil {
			return err
		}
	}
	if dstS3 {
		if opts.Object.Checksum, err = a.providerChecksum(ctx, store, f, target, opts.Object.Checksum); err != nil {
			return err
		}
	}
	if f.dryRun {
		if dstS3 {
			if err := a.checkBucket(ctx, store, target, f.createBucket); err != nil {
				return err
			}
		}
		e := transfer.New(store, opts)
		return a.dryRun(ctx, e, items(e), dstS3 && !srcS3 && f.recursive)
	}
	if dstS3 && f.createBucket {
		if err := a.ensureBucket(ctx, store, target); err != nil {
			return err
		}
	}
	rec, err := a.openReceipt(f.receipt, &f.shard)
	if err != nil {
		return err
	}
	rep := a.newReporter(src == "-", dst == "-")
	rep.walks = dstS3 && !srcS3 && f.recursive
	opts.Observer = f.noteBandwidthChanges(rec.observe(rep))
	var j *journal.Journal
	if f.resume {
		if j, err = a.openJournal(f, src, dst); err != nil {
			return err
		}
		opts.Journal = j
	}
	e := transfer.New(store, opts)
	sum, err := e.Run(ctx, items(e))
	err = rec.close(rep.finish(sum, err))
	if j != nil {
		a.closeJournal(j, err)
	}
	if err == nil && srcS3 && f.recursive && !f.list.given() && sum.Done+sum.Failed+sum.NotDone == 0 {
		return a.emptyPrefix(f, src, dst)
	}
	return err
}

// emptyPrefix reports a recursive download that found no objects: a note, and a failure
// with --fail-if-empty. The destination directory, if the copy created it, is removed.
func (a *app) emptyPrefix(f *cpFlags, src, dst string) error {
	if f.createdDir {
		_ = os.Remove(dst)
	}
	o := a.output()
	op, done := "download", "downloaded"
	if object.IsURL(dst) {
		op, done = "copy", "copied"
	}
	text := "no objects under " + src + "; nothing was " + done
	if f.shard.shard.Sharded() {
		text = "no objects of shard " + f.shard.shard.String() + " under " + src + "; nothing was " + done
	}
	if f.failIfEmpty {
		o.failingNote(event{Op: op, Src: src}, text+" (--fail-if-empty)")
		return errReported
	}
	o.note(event{Op: op, Src: src}, text)
	return nil
}

// providerChecksum returns the checksum algorithm uploads send: the provider's default
// unless --checksum was given, and then only one the provider accepts.
func (a *app) providerChecksum(ctx context.Context, store *s3store.Store, f *cpFlags, bucket, given string) (string, error) {
	name, how := store.DetectProvider(ctx, bucket)
	p, _ := s3store.LookupProvider(name)
	if a.debug {
		a.errMu.Lock()
		fmt.Fprintf(a.stderr, "debug: provider %s (from %s)\n", name, strings.Replace(how, "Config.Provider", "--provider", 1))
		a.errMu.Unlock()
	}
	switch {
	case !f.checksumSet:
		return "", nil // the engine takes the provider's default from the store
	case given == object.ChecksumNone || p.Accepts(given):
		return given, nil
	}
	return "", usagef("--%s %s: %s servers do not accept it; use %s or none (or --provider other to send it anyway)",
		f.checksumFlag, f.checksum, name, strings.ToLower(strings.Join(p.Checksums, ", ")))
}

// checkBucket is ensureBucket for a dry run: a missing bucket is noted when --create-bucket
// would create it, and else stops the run as the real run would be.
func (a *app) checkBucket(ctx context.Context, store *s3store.Store, bucket string, create bool) error {
	ok, err := retrying(store).BucketExists(ctx, bucket)
	switch {
	case err != nil:
		return err
	case ok:
		return nil
	case create:
		a.output().note(event{Bucket: bucket}, "bucket s3://"+bucket+" does not exist: the copy would create it (--create-bucket)")
		return nil
	}
	return &stopError{err: &s3store.Error{Op: "HeadBucket", Bucket: bucket, Code: "NoSuchBucket", Status: 404}}
}

func (a *app) ensureBucket(ctx context.Context, store *s3store.Store, bucket string) error {
	rs := retrying(store)
	ok, err := rs.BucketExists(ctx, bucket)
	if err != nil || ok {
		return err
	}
	err = rs.CreateBucket(ctx, bucket, a.region)
	if err != nil {
		return err
	}
	a.output().did(event{Event: "created", Bucket: bucket}, "make_bucket: s3://"+bucket)
	return nil
}

// planUpload checks an upload's source and returns the job and the destination bucket.
func (a *app) planUpload(f *cpFlags, src, dst string) (plan, string, error) {
	u, err := object.ParseURL(dst)
	if err != nil {
		return nil, "", &usageError{err}
	}
	if src == "-" {
		if u.IsDir() {
			return nil, "", usagef("give a key to store standard input under, not a prefix: %s", dst)
		}
		ref := object.Ref{Bucket: u.Bucket, Key: u.Key}
		return func(*transfer.Engine) transfer.Producer { return transfer.ReaderItem(a.stdin, ref) }, u.Bucket, nil
	}
	fi, err := os.Stat(src)
	if err != nil {
		return nil, "", usagef("cannot read the source: %v", err)
	}
	if fi.IsDir() {
		if !f.recursive {
			return nil, "", usagef("%s is a directory: use -r to copy a directory", src)
		}
		prefix := u.Key
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		ref := object.Ref{Bucket: u.Bucket, Key: prefix}
		if f.names != nil {
			return func(*transfer.Engine) transfer.Producer { return transfer.ListedFiles(f.names, src, ref, f.filter) }, u.Bucket, nil
		}
		tree := transfer.TreeOptions{Filter: f.filter, NoFollowSymlinks: f.noFollow}
		return func(*transfer.Engine) transfer.Producer { return transfer.TreeItemsWith(src, ref, tree) }, u.Bucket, nil
	}
	if f.names != nil {
		return nil, "", usagef("%s is not a directory: --files-from and --files-from0 name files under a directory", src)
	}
	if !fi.Mode().IsRegular() {
		// Stat'ed, never opened: opening a named pipe would wait for a writer.
		msg := fmt.Sprintf("%s is a %s, not a regular file: haul copies regular files, directories (-r) and standard input (-)", src, localfs.SpecialKind(fi.Mode().Type()))
		if fi.Mode()&fs.ModeNamedPipe != 0 {
			msg += fmt.Sprintf("; to send what the pipe carries: haul cp - %s < %s", dst, src)
		}
		return nil, "", usagef("%s", msg)
	}
	key := u.Key
	if u.IsDir() {
		key += filepath.Base(src)
	}
	if err := object.CheckKey(key); err != nil {
		return nil, "", &usageError{err}
	}
	ref := object.Ref{Bucket: u.Bucket, Key: key}
	return func(*transfer.Engine) transfer.Producer { return transfer.FileItem(src, ref) }, u.Bucket, nil
}

// makeDir makes a download's destination directory; a dry run makes nothing.
func (f *cpFlags) makeDir(dir string) error {
	if f.dryRun {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usagef("cannot create the destination directory: %v", err)
	}
	return nil
}

// planDownload checks a download's source URL and destination and returns the job.
func (a *app) planDownload(f *cpFlags, src, dst string) (plan, string, error) {
	u, err := object.ParseURL(src)
	if err != nil {
		return nil, "", &usageError{err}
	}
	if f.recursive {
		if dst == "-" {
			return nil, "", usagef("cannot copy a prefix (-r) to standard output")
		}
		prefix := u.Key
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if _, err := os.Stat(dst); errors.Is(err, fs.ErrNotExist) {
			f.createdDir = true
		}
		if err := f.makeDir(dst); err != nil {
			return nil, "", err
		}
		ref := object.Ref{Bucket: u.Bucket, Key: prefix}
		if f.names != nil {
			return func(e *transfer.Engine) transfer.Producer { return e.ListedObjects(f.names, ref, dst, f.filter) }, u.Bucket, nil
		}
		return func(e *transfer.Engine) transfer.Producer { return e.PrefixItems(ref, dst, f.filter) }, u.Bucket, nil
	}
	if u.IsDir() {
		return nil, "", usagef("%s names a prefix, not an object: use -r to copy everything under it", src)
	}
	ref := object.Ref{Bucket: u.Bucket, Key: u.Key}
	if dst == "-" {
		return func(*transfer.Engine) transfer.Producer { return transfer.WriterItem(ref, a.stdout) }, u.Bucket, nil
	}
	target := dst
	if fi, err := os.Stat(dst); (err == nil && fi.IsDir()) || strings.HasSuffix(dst, "/") || strings.HasSuffix(dst, string(filepath.Separator)) {
		target = filepath.Join(dst, path.Base(u.Key))
	}
	if err := f.makeDir(filepath.Dir(target)); err != nil {
		return nil, "", err
	}
	return func(e *transfer.Engine) transfer.Producer { return e.ObjectItem(ref, target) }, u.Bucket, nil
}
