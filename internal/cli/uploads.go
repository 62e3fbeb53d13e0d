package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
)

// Requests in flight for `uploads ls` (ListParts) and `uploads abort` (ListParts and abort).
const (
	listPartsConcurrency = 8
	abortConcurrency     = 16
)

// uploadsFlags select the uploads that `uploads ls` and `uploads abort` act on.
type uploadsFlags struct {
	olderThan time.Duration
	uploadID  string
	noParts   bool
	dryRun    bool
}

func (a *app) uploadsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "uploads",
		Short: "List or abort incomplete multipart uploads",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for haul uploads: use ls or abort", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(a.uploadsLsCommand(), a.uploadsAbortCommand())
	return cmd
}

func (a *app) uploadsLsCommand() *cobra.Command {
	var f uploadsFlags
	cmd := &cobra.Command{
		Use:   "ls s3://bucket[/prefix]",
		Short: "List incomplete multipart uploads whose key starts with the prefix",
		Long: `List incomplete multipart uploads whose key starts with the prefix (a whole key works
too): one line per upload with when it started, its parts and bytes so far, its key and its
upload ID. Parts are counted with one ListParts request per upload; --no-parts skips them.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.uploadsLs(cmd.Context(), args[0], &f)
		},
	}
	f.register(cmd, false)
	return cmd
}

func (a *app) uploadsAbortCommand() *cobra.Command {
	var f uploadsFlags
	cmd := &cobra.Command{
		Use:   "abort s3://bucket[/prefix]",
		Short: "Abort incomplete multipart uploads whose key starts with the prefix",
		Long: `Abort every incomplete multipart upload whose key starts with the prefix (a whole key
works too), or only those older than --older-than, or the one with --upload-id, and report how
many were aborted and how many bytes their parts held. An upload that is already gone counts
as aborted. --dry-run lists what would be aborted and aborts nothing.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.uploadsAbort(cmd.Context(), args[0], &f)
		},
	}
	f.register(cmd, true)
	return cmd
}

func (f *uploadsFlags) register(cmd *cobra.Command, abort bool) {
	fl := cmd.Flags()
	fl.Var(ageFlag{&f.olderThan}, "older-than", "only uploads started longer ago than this (e.g. 90m, 24h, 7d)")
	fl.BoolVar(&f.noParts, "no-parts", false, "do not ask for each upload's parts (one request each), so parts and bytes are not shown")
	if abort {
		fl.StringVar(&f.uploadID, "upload-id", "", "only the upload with this ID")
		fl.BoolVar(&f.dryRun, "dry-run", false, "list what would be aborted and abort nothing")
	}
}

// uploadLine is one upload with what ListParts said about it.
type uploadLine struct {
	object.Upload
	parts int
	bytes int64
	known bool  // parts and bytes were counted
	err   error // why they could not be
}

// uploadJSON is one line of --json output about an upload.
type uploadJSON struct {
	Event     string `json:"event,omitempty"`
	Dst       string `json:"dst,omitempty"`
	Key       string `json:"key"`
	UploadID  string `json:"upload_id"`
	Initiated string `json:"initiated"`
	Parts     *int   `json:"parts,omitempty"`
	Bytes     *int64 `json:"bytes,omitempty"`
	Error     string `json:"error,omitempty"`
}

// json renders the upload as one line of --json output; an event names what happened to it.
func (u *uploadLine) json(event, bucket string) string {
	j := uploadJSON{Event: event, Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated.UTC().Format(time.RFC3339)}
	if event != "" {
		j.Dst = object.Ref{Bucket: bucket, Key: u.Key}.String()
	}
	if u.known {
		j.Parts, j.Bytes = &u.parts, &u.bytes
	}
	if u.err != nil {
		j.Error = u.err.Error()
	}
	b, _ := json.Marshal(j)
	return string(b)
}

// size says how many parts and bytes the upload holds, or "?" for each when not known.
func (u *uploadLine) size() (parts, bytes string) {
	if !u.known {
		return "?", "?"
	}
	return strconv.Itoa(u.parts), bytesize.Format(u.bytes)
}

func (a *app) uploadsLs(ctx context.Context, arg string, f *uploadsFlags) error {
	store, bucket, ups, listErr := a.findUploads(ctx, arg, f)
	if listErr != nil && !errors.Is(listErr, errListingIncomplete) {
		return listErr
	}
	lines := newLines(ups)
	if !f.noParts {
		if err := countAll(ctx, store, bucket, lines); err != nil {
			return err
		}
	}
	var unknown []error
	for i := range lines {
		l := &lines[i]
		if l.err != nil {
			unknown = append(unknown, l.err)
		}
		when := l.Initiated.Local().Format("2006-01-02 15:04:05")
		switch {
		case a.json:
			fmt.Fprintln(a.stdout, l.json("", bucket))
		case f.noParts:
			fmt.Fprintf(a.stdout, "%s  %s  %s\n", when, l.Key, l.UploadID)
		default:
			parts, bytes := l.size()
			fmt.Fprintf(a.stdout, "%s %6s parts %10s  %s  %s\n", when, parts, bytes, l.Key, l.UploadID)
		}
	}
	if len(unknown) > 0 && !a.json {
		fmt.Fprintf(a.stderr, "warning: the parts of %d uploads could not be listed (shown as ?); the first error: %v\n", len(unknown), unknown[0])
	}
	return listErr
}

func newLines(ups []object.Upload) []uploadLine {
	lines := make([]uploadLine, len(ups))
	for i := range ups {
		lines[i].Upload = ups[i]
	}
	return lines
}

// countAll counts the parts of every upload, a few at a time. It returns only ctx's error:
// a failure to list one upload's parts is recorded in its line.
func countAll(ctx context.Context, store *s3store.Store, bucket string, lines []uploadLine) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listPartsConcurrency)
	for i := range lines {
		g.Go(func() error { lines[i].count(gctx, store, bucket); return nil })
	}
	_ = g.Wait()
	return ctx.Err()
}

// count asks for the upload's parts and records their number and bytes, or why it could
// not.
func (u *uploadLine) count(ctx context.Context, store *s3store.Store, bucket string) {
	parts, err := store.ListParts(ctx, object.Ref{Bucket: bucket, Key: u.Key}, u.UploadID)
	if err != nil {
		u.err = err
		return
	}
	u.known, u.parts = true, len(parts)
	for _, p := range parts {
		u.bytes += p.Size
	}
}

// findUploads connects and lists the incomplete uploads under arg that pass the flags.
func (a *app) findUploads(ctx context.Context, arg string, f *uploadsFlags) (*s3store.Store, string, []object.Upload, error) {
	u, store, err := a.connect(ctx, arg, abortConcurrency)
	if err != nil {
		return nil, "", nil, err
	}
	cutoff := time.Now().Add(-f.olderThan)
	var ups []object.Upload
	err = store.ListUploads(ctx, u.Bucket, u.Key, func(up object.Upload) error {
		if f.uploadID != "" && up.UploadID != f.uploadID {
			return nil
		}
		if f.olderThan > 0 && (up.Initiated.IsZero() || !up.Initiated.Before(cutoff)) {
			return nil
		}
		ups = append(ups, up)
		return nil
	})
	if err != nil && len(ups) > 0 && ctx.Err() == nil {
		// Act on what was listed: the error is reported after it.
		fmt.Fprintf(a.stderr, "haul: %v\n", err)
		err = errListingIncomplete
	}
	return store, u.Bucket, ups, err
}

// errListingIncomplete is returned with the uploads that were listed before the listing
// failed; the failure has been printed.
var errListingIncomplete = fmt.Errorf("listing incomplete: %w", errReported)

func (a *app) uploadsAbort(ctx context.Context, arg string, f *uploadsFlags) error {
	store, bucket, ups, listErr := a.findUploads(ctx, arg, f)
	if listErr != nil && !errors.Is(listErr, errListingIncomplete) {
		return listErr
	}
	if len(ups) == 0 && f.uploadID != "" {
		return fmt.Errorf("no incomplete multipart upload with ID %s under %s", f.uploadID, arg)
	}
	lines := newLines(ups)
	var sum abortSummary
	if f.dryRun {
		if !f.noParts {
			if err := countAll(ctx, store, bucket, lines); err != nil {
				return err
			}
		}
		for i := range lines {
			a.reportAbort(&lines[i], bucket, nil, true, &sum)
		}
	} else if err := a.abortAll(ctx, store, bucket, lines, !f.noParts, &sum); err != nil {
		return err
	}
	a.printAbortSummary(&sum, f, arg)
	if sum.failed > 0 || listErr != nil {
		return errReported
	}
	return nil
}

// abortAll aborts every upload, counting its parts first when count is set, a few at a time,
// and reports each as it ends. It returns only ctx's error: failures are reported and counted.
func (a *app) abortAll(ctx context.Context, store *s3store.Store, bucket string, lines []uploadLine, count bool, sum *abortSummary) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(abortConcurrency)
	for i := range lines {
		l := &lines[i]
		g.Go(func() error {
			if count {
				l.count(gctx, store, bucket)
			}
			err := store.AbortMultipartUpload(gctx, object.Ref{Bucket: bucket, Key: l.Key}, l.UploadID)
			if gctx.Err() != nil {
				return nil // interrupted: not a failure of this upload
			}
			mu.Lock()
			defer mu.Unlock()
			a.reportAbort(l, bucket, err, false, sum)
			return nil
		})
	}
	_ = g.Wait()
	return ctx.Err()
}

// abortSummary counts what `uploads abort` did.
type abortSummary struct {
	aborted, failed, unknown int
	bytes                    int64
}

// reportAbort prints the outcome for one upload and counts it. Calls are serialised.
func (a *app) reportAbort(l *uploadLine, bucket string, err error, dryRun bool, sum *abortSummary) {
	dst := object.Ref{Bucket: bucket, Key: l.Key}.String()
	if err != nil {
		sum.failed++
		if a.json {
			l.err = err
			fmt.Fprintln(a.stdout, l.json("failed", bucket))
		} else {
			fmt.Fprintf(a.stderr, "failed: %v\n", err)
		}
		return
	}
	sum.aborted++
	if l.known {
		sum.bytes += l.bytes
	} else {
		sum.unknown++
	}
	event, verb := "aborted", "abort"
	if dryRun {
		event, verb = "would_abort", "would abort"
	}
	switch {
	case a.json:
		l.err = nil // a failed ListParts only means the size is not known
		fmt.Fprintln(a.stdout, l.json(event, bucket))
	case !a.quiet:
		parts, bytes := l.size()
		fmt.Fprintf(a.stdout, "%s: %s (upload ID %s, %s parts, %s)\n", verb, dst, l.UploadID, parts, bytes)
	}
}

func (a *app) printAbortSummary(sum *abortSummary, f *uploadsFlags, arg string) {
	if a.json {
		b, _ := json.Marshal(struct {
			Event   string `json:"event"`
			Aborted int    `json:"aborted"`
			Failed  int    `json:"failed"`
			Bytes   int64  `json:"bytes"`
			Unknown int    `json:"size_unknown"`
			DryRun  bool   `json:"dry_run"`
		}{"summary", sum.aborted, sum.failed, sum.bytes, sum.unknown, f.dryRun})
		fmt.Fprintln(a.stdout, string(b))
		return
	}
	if a.quiet && sum.failed == 0 {
		return
	}
	if sum.aborted+sum.failed == 0 {
		fmt.Fprintf(a.stderr, "summary: nothing to abort: no incomplete multipart upload under %s matches\n", arg)
		return
	}
	held := "holding " + bytesize.Format(sum.bytes)
	switch {
	case f.noParts:
		held = "holding bytes not counted (--no-parts)"
	case sum.unknown > 0:
		held += fmt.Sprintf(" and %d of unknown size", sum.unknown)
	}
	if f.dryRun {
		fmt.Fprintf(a.stderr, "summary: %d would be aborted, %s; nothing was aborted (--dry-run)\n", sum.aborted, held)
		return
	}
	fmt.Fprintf(a.stderr, "summary: %d aborted, %s; %d failed\n", sum.aborted, held, sum.failed)
}

// ageFlag is a pflag.Value for ages: Go durations (90m, 24h) and whole or fractional days
// (7d, 1.5d, 1d12h).
type ageFlag struct{ v *time.Duration }

func (f ageFlag) String() string {
	if f.v == nil || *f.v == 0 {
		return ""
	}
	return f.v.String()
}

func (f ageFlag) Set(s string) error {
	d, err := parseAge(s)
	if err != nil {
		return err
	}
	*f.v = d
	return nil
}

func (f ageFlag) Type() string { return "duration" }

func parseAge(s string) (time.Duration, error) {
	var d time.Duration
	rest := s
	if days, after, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("%q: write a duration such as 90m, 24h or 7d", s)
		}
		d, rest = time.Duration(n*24*float64(time.Hour)), after
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, fmt.Errorf("%q: write a duration such as 90m, 24h or 7d", s)
		}
		d += r
	}
	return d, nil
}
