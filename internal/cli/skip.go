package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/transfer"
)

// What haul says of the local entries a walk passes over on purpose (transfer.Ignored):
// symbolic links not followed (--no-follow-symlinks), loops, named pipes, sockets and
// devices. Each is one "skip:" line on the item lines' stream (stdout, as the skip lines of
// a resumed run), or one "skipped" event with --json; none is a failure, so none changes
// the exit code. The summary counts them.

// skipWhy is why the entry of it was skipped, with the flag or command that bears on it.
func skipWhy(it transfer.Item, err error) string {
	var skip *localfs.SkipError
	if !errors.As(err, &skip) {
		return err.Error()
	}
	switch {
	case skip.Kind == localfs.SkipLink:
		return skip.Error() + " (--no-follow-symlinks)"
	case skip.Kind == localfs.SkipSpecial && skip.Mode&fs.ModeNamedPipe != 0 && it.Op == transfer.Upload:
		return skip.Error() + " (to send what a pipe carries: haul cp - s3://bucket/key < PIPE)"
	}
	return skip.Error()
}

// skipped reports one entry passed over: a "skip: PATH: why" line on w unless --quiet, or
// a "skipped" event.
func (r *reporter) skipped(w io.Writer, it transfer.Item, err error) {
	switch {
	case r.a.json:
		r.emitJSON(skippedEvent(it, err))
	case !r.a.quiet:
		r.line(w, "skip: %s: %s", it.Path, skipWhy(it, err))
	}
}

// skippedEvent is the --json event of an entry passed over: the path in src (in dst when
// the local side is a download's destination: sync from S3), why in message.
func skippedEvent(it transfer.Item, err error) event {
	ev := event{Event: "skipped", Op: string(it.Op), Src: it.Path, Message: skipWhy(it, err)}
	if it.Op == transfer.Download {
		ev.Src, ev.Dst = "", it.Path
	}
	return ev
}

// skippedText is the summary's ", N skipped", or nothing when none was.
func skippedText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d skipped", n)
}
