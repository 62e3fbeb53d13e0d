package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
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
		Short: "List, abort, or start and complete multipart uploads",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for haul uploads: use ls, abort, start or complete", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(a.uploadsLsCommand(), a.uploadsAbortCommand(), a.uploadsStartCommand(), a.uploadsCompleteCommand())
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

// uploadEvent describes an incomplete upload in an event of that name.
func uploadEvent(u *transfer.Incomplete, name string) event {
	ev := event{Event: name, Dst: u.Ref().String(), Key: u.Key, UploadID: u.UploadID}
	if !u.Initiated.IsZero() {
		ev.Initiated = u.Initiated.UTC().Format(time.RFC3339)
	}
	if u.Counted {
		ev.Parts, ev.Bytes = new(u.Parts), new(u.Bytes)
	}
	if u.Err != nil {
		ev.Error = advise(u.Err)
	}
	return ev
}

// uploadSize says how many parts and bytes the upload holds, or "?" for each when not known.
func uploadSize(u *transfer.Incomplete) (parts, bytes string) {
	if !u.Counted {
		return "?", "?"
	}
	return strconv.Itoa(u.Parts), bytesize.Format(u.Bytes)
}

// keepUploads returns the filter of the uploads the flags select.
func keepUploads(f *uploadsFlags) func(object.Upload) bool {
	cutoff := time.Now().Add(-f.olderThan)
	return func(up object.Upload) bool {
		if f.uploadID != "" && up.UploadID != f.uploadID {
			return false
		}
		return f.olderThan <= 0 || !up.Initiated.IsZero() && up.Initiated.Before(cutoff)
	}
}

func (a *app) uploadsLs(ctx context.Context, arg string, f *uploadsFlags) error {
	u, store, err := a.connect(ctx, arg, 0)
	if err != nil {
		return err
	}
	out := a.output()
	ups, err := transfer.New(store, transfer.Options{}).ListIncomplete(ctx, u.Bucket, u.Key, keepUploads(f), !f.noParts)
	if ctx.Err() != nil {
		ups = nil // interrupted: what was not counted is not known
	}
	var sum uploadsSummary
	var unknown []error
	for i := range ups {
		l := &ups[i]
		sum.add(l)
		if l.Err != nil {
			unknown = append(unknown, l.Err)
		}
		when := l.Initiated.Local().Format("2006-01-02 15:04:05")
		text := fmt.Sprintf("%s  %s  %s", when, l.Key, l.UploadID)
		if !f.noParts {
			parts, bytes := uploadSize(l)
			text = fmt.Sprintf("%s %6s parts %10s  %s  %s", when, parts, bytes, l.Key, l.UploadID)
		}
		out.listed(uploadEvent(l, "upload"), text)
	}
	if len(unknown) > 0 {
		out.warning(fmt.Sprintf("the parts of %d uploads could not be listed (shown as ?); the first error: %s", len(unknown), advise(unknown[0])))
	}
	if err == nil {
		err = ctx.Err()
	}
	out.summary(event{Uploads: new(sum.uploads), Bytes: new(sum.bytes), SizeUnknown: new(sum.unknown)},
		plural(sum.uploads, "upload", "uploads")+", "+sum.held(f), err)
	return err
}

func (a *app) uploadsAbort(ctx context.Context, arg string, f *uploadsFlags) error {
	u, store, err := a.connect(ctx, arg, 0)
	if err != nil {
		return err
	}
	out := a.output()
	e := transfer.New(store, transfer.Options{})
	ups, err := e.ListIncomplete(ctx, u.Bucket, u.Key, keepUploads(f), f.dryRun && !f.noParts)
	if err == nil && len(ups) == 0 && f.uploadID != "" {
		err = fmt.Errorf("no incomplete multipart upload with ID %s under %s", f.uploadID, arg)
	}
	var sum uploadsSummary
	switch {
	case ctx.Err() != nil: // interrupted while listing
	case f.dryRun:
		for i := range ups {
			reportAbort(out, &ups[i], nil, true, &sum)
		}
	default:
		e.AbortIncomplete(ctx, ups, !f.noParts, func(l *transfer.Incomplete, err error) {
			reportAbort(out, l, err, false, &sum)
		})
	}
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case err == nil && sum.failed > 0:
		err = errReported // each failure has been printed
	}
	printAbortSummary(out, &sum, f, arg, err)
	return err
}

// uploadsSummary counts the uploads that `uploads ls` listed or `uploads abort` aborted
// (or would abort), and the bytes their parts hold.
type uploadsSummary struct {
	uploads, failed, unknown int
	bytes                    int64
}

// add counts one upload.
func (s *uploadsSummary) add(l *transfer.Incomplete) {
	s.uploads++
	if l.Counted {
		s.bytes += l.Bytes
	} else {
		s.unknown++
	}
}

// held says how many bytes the counted uploads hold, as far as it is known.
func (s *uploadsSummary) held(f *uploadsFlags) string {
	switch {
	case f.noParts:
		return "holding bytes not counted (--no-parts)"
	case s.unknown > 0:
		return fmt.Sprintf("holding %s and %d of unknown size", bytesize.Format(s.bytes), s.unknown)
	}
	return "holding " + bytesize.Format(s.bytes)
}

// reportAbort prints the outcome for one upload and counts it. Calls are serialised.
func reportAbort(out *output, l *transfer.Incomplete, err error, dryRun bool, sum *uploadsSummary) {
	if err != nil {
		sum.failed++
		ev := uploadEvent(l, "")
		ev.Op = "abort"
		out.failed(ev, err)
		return
	}
	sum.add(l)
	name, verb := "aborted", "abort"
	if dryRun {
		name, verb = "would_abort", "would abort"
	}
	l.Err = nil // a failed ListParts only means the size is not known
	parts, bytes := uploadSize(l)
	out.did(uploadEvent(l, name), fmt.Sprintf("%s: %s (upload ID %s, %s parts, %s)", verb, l.Ref(), l.UploadID, parts, bytes))
}

// printAbortSummary ends the output of `uploads abort`; err is the error the run ended on.
func printAbortSummary(out *output, sum *uploadsSummary, f *uploadsFlags, arg string, err error) {
	ev := event{Failed: new(sum.failed), Bytes: new(sum.bytes), SizeUnknown: new(sum.unknown)}
	var text string
	switch {
	case f.dryRun:
		ev.WouldAbort = new(sum.uploads)
		text = fmt.Sprintf("%d would be aborted, %s; nothing was aborted (--dry-run)", sum.uploads, sum.held(f))
	default:
		ev.Aborted = new(sum.uploads)
		text = fmt.Sprintf("%d aborted, %s; %d failed", sum.uploads, sum.held(f), sum.failed)
	}
	if sum.uploads+sum.failed == 0 && err == nil {
		text = "nothing to abort: no incomplete multipart upload under " + arg + " matches"
	}
	out.summary(ev, text, err)
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
