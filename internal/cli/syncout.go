package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/syncplan"
	"github.com/haul-s3/haul/transfer"
)

// guardText says, with the flags, why a guard refused a sync's deletions.
func guardText(err error) string {
	var g *syncplan.GuardError
	if !errors.As(err, &g) {
		return err.Error()
	}
	n := plural(g.Deletes, "deletion", "deletions")
	switch g.Guard {
	case syncplan.GuardEmptySource:
		return fmt.Sprintf("nothing deleted: the source is empty and the destination holds %s; if the source is meant to be empty, add --allow-empty-source",
			plural(g.Dest, "key", "keys"))
	case syncplan.GuardMaxDelete:
		return fmt.Sprintf("nothing deleted: %s planned, more than --max-delete %d", n, g.Limit)
	case syncplan.GuardMaxDeleteSize:
		return fmt.Sprintf("nothing deleted: %s planned, %s, more than --max-delete-size %s", n, bytesize.Format(g.Bytes), bytesize.Format(g.Limit))
	}
	of := "the destination's"
	if g.Sharded {
		of = "this shard's share of the destination,"
	}
	return fmt.Sprintf("nothing deleted: %s planned, %d%% of %s %d keys, more than --max-delete-percent %d; raise it (100: no limit) if that is meant",
		n, int64(g.Deletes)*100/int64(max(g.Dest, 1)), of, g.Dest, g.Limit)
}

// callsText is "3 ListObjectsV2, 50 PutObject", by operation name.
func callsText(calls map[string]int) string {
	if len(calls) == 0 {
		return "none"
	}
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		parts = append(parts, fmt.Sprintf("%d %s", calls[op], op))
	}
	return strings.Join(parts, ", ")
}

// unchangedText is "47 unchanged (45 state, 2 mtime)".
func unchangedText(c syncplan.Counts) string {
	text := fmt.Sprintf("%d unchanged", c.Unchanged)
	if c.Unchanged == 0 {
		return text
	}
	var by []string
	for _, r := range slices.Sorted(maps.Keys(c.UnchangedBy)) {
		by = append(by, fmt.Sprintf("%d %s", c.UnchangedBy[r], r))
	}
	return text + " (" + strings.Join(by, ", ") + ")"
}

// syncFinish prints a sync's summary and returns the error that decides its exit code:
// interrupted (130), stopped before anything was done (2), an item or a listing failed (1),
// a guard refused the deletions (3).
func (a *app) syncFinish(rep *reporter, s *syncplan.Sync, dir syncplan.Direction, run, del transfer.Summary, runErr, delErr, guardErr error) error {
	rep.endBar()
	c := s.Counts()
	moved, deleted := run.Done, del.Done
	failed, notDone := run.Failed+del.Failed, run.NotDone+del.NotDone
	elapsed := run.Elapsed + del.Elapsed
	out := a.output()
	if guardErr != nil {
		out.failingNote(event{}, guardText(guardErr))
	}
	err := runErr
	if err == nil || errors.Is(err, transfer.ErrSomeFailed) && delErr != nil {
		err = delErr
	}
	stopped, isStop := stoppedBy(err)
	interrupted := !isStop && errors.Is(err, context.Canceled)
	ev := event{Failed: &failed, NotDone: &notDone, Bytes: new(run.Bytes), Seconds: elapsed.Seconds(),
		Deleted: &deleted, Unchanged: &c.Unchanged, Protected: &c.Protected, Calls: a.callCounts()}
	if dir != syncplan.Copy {
		ev.Skipped = new(run.Ignored) // what the local walk passed over
	}
	verb := "uploaded"
	switch dir {
	case syncplan.Down:
		verb, ev.Downloaded = "downloaded", &moved
	case syncplan.Copy:
		verb, ev.Copied = "copied", &moved
	default:
		ev.Uploaded = &moved
	}
	text := fmt.Sprintf("%d %s %s, %d deleted, %s, %d failed", moved, verb, bytesize.Format(run.Bytes), deleted, unchangedText(c), failed)
	if notDone > 0 {
		text += fmt.Sprintf(", %d not done", notDone)
	}
	text += skippedText(run.Ignored)
	if c.Protected > 0 {
		text += fmt.Sprintf(", %d protected", c.Protected)
	}
	text += fmt.Sprintf(" in %.1fs; requests: %s", elapsed.Seconds(), callsText(ev.Calls))
	var sumErr error
	switch {
	case interrupted:
		sumErr = context.Canceled
	case isStop:
		sumErr = reported{fmt.Errorf("stopped: %s", a.explain(stopped))}
	case err != nil && !errors.Is(err, transfer.ErrSomeFailed):
		sumErr = err
	case guardErr != nil:
		sumErr = reported{errors.New(guardText(guardErr))}
	}
	out.summary(ev, text, sumErr)
	switch {
	case interrupted:
		return context.Canceled
	case isStop:
		return &stopError{err: stopped, done: run.Done + del.Done}
	case err != nil && !errors.Is(err, transfer.ErrSomeFailed):
		return err
	case failed > 0:
		return errReported
	case guardErr != nil:
		return exitCode(ExitGuard)
	}
	return nil
}

// syncPlan prints a sync's plan, one line per transfer and deletion and a total, and
// carries out nothing (LIST and HEAD requests only; local files are read when their
// checksums decide). It exits as the real run would: 1 if an item or a listing would fail,
// 3 if a guard would refuse the deletions, and with --detailed-exitcode 4 when there is
// something to do and 0 when there is not.
func (a *app) syncPlan(ctx context.Context, f *syncFlags, dir syncplan.Direction, e *transfer.Engine, s *syncplan.Sync) error {
	out := a.output()
	p := &planTally{e: e, out: out}
	uploads, downloads, copies := 0, 0, 0
	err := s.Items(ctx, func(it transfer.Item) bool {
		ev, _, ok := p.add(it)
		if !ok {
			return true
		}
		switch it.Op {
		case transfer.Upload:
			uploads++
		case transfer.Copy:
			copies++
		default:
			downloads++
		}
		ev.Bytes = new(it.Size)
		out.listed(ev, fmt.Sprintf("%s: %s -> %s %s%s", it.Op, it.Src(), it.Dst(), bytesize.Format(it.Size), because(it.Reason)))
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	deletes, delBatches := 0, 0
	var delBytes int64
	var guardErr error
	if err == nil {
		produce, derr := s.Deletes()
		switch {
		case errors.As(derr, new(*syncplan.GuardError)):
			guardErr = derr
			out.failingNote(event{}, guardText(derr))
		case derr != nil:
			err = derr
		case produce != nil:
			err = produce(ctx, func(it transfer.Item) bool {
				deletes++
				delBytes += it.Size
				if it.Object.Bucket != "" && (deletes-1)%1000 == 0 {
					delBatches++
				}
				out.listed(event{Event: "plan", Op: "delete", Dst: it.Dst(), Bytes: new(it.Size), Reason: it.Reason},
					fmt.Sprintf("delete: %s %s%s", it.Dst(), bytesize.Format(it.Size), because(it.Reason)))
				return true
			})
		}
	}
	var se interface{ StopsRun() bool }
	if errors.As(err, &se) && se.StopsRun() {
		err = &stopError{err: err, done: 0}
	}
	c := s.Counts()
	calls := a.callCounts()
	reqs := p.total.String()
	if delBatches > 0 {
		reqs = strings.TrimSuffix(reqs, "none")
		if reqs != "" {
			reqs += ", "
		}
		reqs += plural(delBatches, "DeleteObjects", "DeleteObjects")
	}
	moves := fmt.Sprintf("%d upload, %d download", uploads, downloads)
	if dir == syncplan.Copy {
		moves = fmt.Sprintf("%d copy", copies)
	}
	text := fmt.Sprintf("plan: %s %s, %d delete %s, %s", moves, bytesize.Format(p.bytes), deletes, bytesize.Format(delBytes), unchangedText(c))
	if p.failed > 0 {
		text += fmt.Sprintf(", %d would fail", p.failed)
	}
	text += skippedText(p.skipped)
	if c.Protected > 0 {
		text += fmt.Sprintf(", %d protected", c.Protected)
	}
	text += fmt.Sprintf("; requests: %s; planning cost: %s; nothing was sent", reqs, callsText(calls))
	items := uploads + downloads + copies + deletes
	q := requestsOf(p.total)
	q.DeleteObjects = delBatches
	sev := event{Items: &items, Failed: &p.failed, Bytes: new(p.bytes), Deleted: &deletes, Unchanged: &c.Unchanged, Protected: &c.Protected,
		Requests: q, Calls: calls}
	if dir != syncplan.Copy {
		sev.Skipped = &p.skipped
	}
	out.summary(sev, strings.TrimPrefix(text, "plan: "), err)
	switch {
	case err != nil:
		return err
	case p.failed > 0:
		return errReported
	case guardErr != nil:
		return exitCode(ExitGuard)
	case f.detailedExitcode && items > 0:
		return exitCode(ExitPending)
	}
	return nil
}
