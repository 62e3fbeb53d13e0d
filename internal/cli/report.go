package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// reporter turns engine events into output: one line per finished item (or one JSON
// object per event with --json), a live progress bar when stderr is a terminal, and a
// summary at the end. The engine serialises calls to Observe.
type reporter struct {
	a                   *app
	bar                 *progressbar.ProgressBar
	files, done, failed int
	bytesTotal          int64
	unknownSize         bool
	lines               io.Writer // where per-item lines go: stderr when stdout carries data
	out                 *output   // --json events
	unverified          int       // downloads that nothing could verify
	unverifiedWhy       string    // why the first of them could not be
	noGrants            int       // copies made without their source's grants: none could be read
	noGrantsWhy         string    // why, for the first of them
	silentDone          bool      // print no line for an item done (cat: the bytes are the answer)
	walks               bool      // the run walks a local directory: its --json summary counts what it skipped
}

func (a *app) newReporter(unknownSize, dataOnStdout bool) *reporter {
	r := &reporter{a: a, unknownSize: unknownSize, lines: a.stdout, out: a.output()}
	if dataOnStdout {
		r.lines = a.stderr
		r.out.stdout = a.stderr // events must not mix with the data
	}
	if !a.quiet && !a.json && !a.debug && isTerminal(a.stderr) {
		max := int64(0)
		if unknownSize {
			max = -1
		}
		r.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetDescription("files 0/0"),
		)
	}
	return r
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && f.Fd() != ^uintptr(0) && term.IsTerminal(int(f.Fd()))
}

func (r *reporter) emitJSON(ev event) {
	r.out.print(ev, nil, "")
}

// line prints a line above the progress bar.
func (r *reporter) line(w io.Writer, format string, args ...any) {
	if r.bar != nil {
		_ = r.bar.Clear()
	}
	fmt.Fprintf(w, format+"\n", args...)
}

// Observe implements transfer.Observer.
func (r *reporter) Observe(ev transfer.Event) {
	switch ev.Kind {
	case transfer.Queued:
		r.files++
		r.bytesTotal += max(ev.Item.Size, 0)
		if r.bar != nil && !r.unknownSize {
			r.bar.ChangeMax64(r.bytesTotal)
		}
	case transfer.Progress:
		if r.bar != nil {
			_ = r.bar.Add64(ev.Bytes)
		}
	case transfer.Done:
		r.done++
		if ev.NoGrants != "" {
			if r.noGrants++; r.noGrants == 1 {
				r.noGrantsWhy = ev.NoGrants
			}
		}
		if ev.Verified == "none" {
			if r.unverified++; r.unverified == 1 {
				r.unverifiedWhy = ev.Unverified
			}
		}
		switch {
		case r.a.json:
			r.emitJSON(event{Event: "done", Op: string(ev.Item.Op), Src: ev.Item.Src(), Dst: ev.Item.Dst(), Bytes: new(ev.Item.Size), Seconds: ev.Elapsed.Seconds(),
				Verified: ev.Verified, Unverified: ev.Unverified, NoGrants: ev.NoGrants, Reason: ev.Item.Reason, Moved: ev.Item.Move})
		case r.a.quiet || r.silentDone:
		case ev.Item.Op == transfer.Delete:
			r.line(r.lines, "delete: %s", ev.Item.Dst())
		case ev.Item.Move:
			r.line(r.lines, "move (%s): %s -> %s %s %.1fs", ev.Item.Op, ev.Item.Src(), ev.Item.Dst(), bytesize.Format(ev.Item.Size), ev.Elapsed.Seconds())
		default:
			r.line(r.lines, "%s: %s -> %s %s %.1fs%s", ev.Item.Op, ev.Item.Src(), ev.Item.Dst(), bytesize.Format(ev.Item.Size), ev.Elapsed.Seconds(), because(ev.Item.Reason))
		}
	case transfer.Skipped:
		r.done++
		switch {
		case r.a.json:
			r.emitJSON(event{Event: "skipped", Op: string(ev.Item.Op), Src: ev.Item.Src(), Dst: ev.Item.Dst(), Bytes: new(ev.Item.Size)})
		case !r.a.quiet:
			r.line(r.lines, "skip: %s -> %s %s (already done by the interrupted run)", ev.Item.Src(), ev.Item.Dst(), bytesize.Format(ev.Item.Size))
		}
	case transfer.Ignored:
		r.skipped(r.lines, ev.Item, ev.Err)
	case transfer.Notice:
		switch {
		case r.a.json:
			r.emitJSON(event{Event: "note", Op: string(ev.Item.Op), Src: ev.Item.Src(), Dst: ev.Item.Dst(), Message: ev.Note})
		case !r.a.quiet:
			r.line(r.a.stderr, "note: %s", describeFailure(ev.Item.Src(), ev.Item.Dst(), errors.New(ev.Note)))
		}
	case transfer.Failed:
		r.failed++
		switch {
		case r.a.json:
			r.emitJSON(event{Event: "failed", Op: string(ev.Item.Op), Src: ev.Item.Src(), Dst: ev.Item.Dst(), Error: advise(ev.Err)})
		case !ev.StopsRun: // a failure that stops the run is said once, at the end
			r.line(r.a.stderr, "failed: %s", describeFailure(ev.Item.Src(), ev.Item.Dst(), ev.Err))
		}
	case transfer.NotDone:
		if r.a.json {
			r.emitJSON(event{Event: "not_done", Op: string(ev.Item.Op), Src: ev.Item.Src(), Dst: ev.Item.Dst(), Error: notDoneReason(ev.Err)})
		}
	case transfer.Retrying:
		if r.a.json {
			r.emitJSON(event{Event: "retry", Op: string(ev.Item.Op), Src: ev.Item.Src(), Dst: ev.Item.Dst(), Error: advise(ev.Err), Attempt: ev.Attempt, Seconds: ev.Delay.Seconds()})
		} else if r.a.debug {
			r.line(r.a.stderr, "retry: attempt %d failed, again in %s: %v", ev.Attempt, ev.Delay.Round(time.Millisecond), ev.Err)
		}
	case transfer.Aborted:
		switch {
		case r.a.json:
			ej := event{Event: "aborted", Op: string(ev.Item.Op), Dst: ev.Item.Dst(), UploadID: ev.UploadID}
			if ev.Err != nil {
				ej.Error = ev.Err.Error()
			}
			r.emitJSON(ej)
		case ev.Err != nil:
			r.line(r.a.stderr, "warning: %v", ev.Err)
		case r.a.debug:
			r.line(r.a.stderr, "aborted: multipart upload %s of %s", ev.UploadID, ev.Item.Dst())
		}
	}
	if r.bar != nil && ev.Kind != transfer.Progress {
		r.bar.Describe(fmt.Sprintf("files %d/%d", r.done, r.files))
	}
}

// because is a line's " (reason)", or nothing.
func because(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// endBar stops the progress bar, if there is one, and clears it.
func (r *reporter) endBar() {
	if r.bar != nil {
		_ = r.bar.Finish()
		_ = r.bar.Clear()
	}
}

func describeFailure(src, dst string, err error) string {
	msg := advise(err)
	switch {
	case src != "" && dst != "":
		return fmt.Sprintf("%s -> %s: %s", src, dst, msg)
	case src != "":
		return fmt.Sprintf("%s: %s", src, msg)
	case dst != "":
		return fmt.Sprintf("%s: %s", dst, msg)
	}
	return msg
}

// notDoneReason says in a word or two why an item was not finished.
// The cause of an item cut short by a stop is the failure itself (see transfer.Summary's
// Unfinished), so a cancel is the only cause that is context.Canceled.
func notDoneReason(cause error) string {
	if errors.Is(cause, context.Canceled) {
		return "interrupted"
	}
	return "stopped: " + cause.Error()
}

// noteUnverified says, once per run, how many downloaded files nothing could verify.
func (r *reporter) noteUnverified() {
	if r.unverified == 0 {
		return
	}
	files := "file"
	if r.unverified > 1 {
		files = "files"
	}
	fmt.Fprintf(r.a.stderr, "note: %d downloaded %s could not be verified (%s); --verify=required makes that a failure\n", r.unverified, files, r.unverifiedWhy)
}

// noteNoGrants says, once per run, how many copies were made without their source's grants
// because none could be read.
func (r *reporter) noteNoGrants() {
	if r.noGrants == 0 {
		return
	}
	copies := "copy was"
	if r.noGrants > 1 {
		copies = "copies were"
	}
	fmt.Fprintf(r.a.stderr, "note: %d %s made without the source's grants, which could not be read (%s): they have the destination bucket's default ACL; give --acl to set one, or --no-copy-acl to skip the read\n",
		r.noGrants, copies, strings.TrimPrefix(r.noGrantsWhy, object.ErrUnreadable.Error()+": "))
}

// finish prints the summary and returns the error that decides the exit code.
func (r *reporter) finish(sum transfer.Summary, err error) error {
	r.endBar()
	stopped, isStop := stoppedBy(err)
	interrupted := !isStop && errors.Is(err, context.Canceled)
	if r.a.json {
		done, failed, notDone := sum.Done, sum.Failed, sum.NotDone
		ev := event{Event: "summary", Done: &done, Failed: &failed, NotDone: &notDone, Bytes: new(sum.Bytes), Seconds: sum.Elapsed.Seconds()}
		if r.walks || sum.Ignored > 0 {
			ev.Skipped = new(sum.Ignored)
		}
		switch {
		case interrupted:
			ev.Error = "interrupted"
		case isStop:
			ev.Error = "stopped: " + r.a.explain(stopped)
		}
		r.emitJSON(ev)
	} else if !r.a.quiet || sum.Failed > 0 || sum.NotDone > 0 || interrupted {
		r.noteUnverified()
		r.noteNoGrants()
		many := r.files > 1 || (sum.Failed > 0 && !isStop) || sum.NotDone > 0 || interrupted || sum.Ignored > 0
		if many {
			why := ""
			switch {
			case interrupted:
				why = " (interrupted)"
			case isStop:
				why = " (stopped)"
			}
			rate := float64(sum.Bytes) / max(sum.Elapsed.Seconds(), 1e-9)
			fmt.Fprintf(r.a.stderr, "summary: %d done, %d failed, %d not done%s%s, %s in %.1fs (%s/s)\n",
				sum.Done, sum.Failed, sum.NotDone, why, skippedText(sum.Ignored), bytesize.Format(sum.Bytes), sum.Elapsed.Seconds(), bytesize.Format(int64(rate)))
		}
	}
	switch {
	case err == nil:
		return nil
	case isStop:
		return &stopError{err: stopped, done: sum.Done}
	case sum.Failed > 0 && !interrupted:
		return errReported // each failure has been printed
	}
	return err
}
