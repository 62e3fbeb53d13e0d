package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

func (a *app) duCommand() *cobra.Command {
	var depth int
	cmd := &cobra.Command{
		Use:   "du s3://bucket[/prefix/]",
		Short: "Count the objects and bytes under a prefix, and under each of its prefixes to --depth",
		Long: `Count the objects and bytes under a prefix (the whole bucket without one), and, with
--depth N, under every prefix down to N levels of "/" below it. As du does, each prefix's
line comes after those of the prefixes inside it, and counts them; the last line is the
total. A prefix is read as a directory: s3://bucket/logs counts the keys under logs/.
The keys are listed as ls -r lists them, in parallel over large prefixes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if depth < 0 {
				return usagef("--depth %d: give 0 (the total only) or more", depth)
			}
			return a.du(cmd.Context(), args[0], depth)
		},
	}
	cmd.Flags().IntVarP(&depth, "depth", "d", 0, "also count each prefix down to this many levels below the one given (0: the total only)")
	return cmd
}

func (a *app) du(ctx context.Context, arg string, depth int) error {
	u, store, err := a.connect(ctx, arg, transfer.DefaultConcurrency)
	if err != nil {
		return err
	}
	if u.Key != "" && !strings.HasSuffix(u.Key, "/") {
		u.Key += "/"
	}
	t := &duTally{out: a.output(), bucket: u.Bucket, depth: depth, open: []duCount{{prefix: u.Key}}}
	err = retrying(store).p.ListPrefix(ctx, store, u.Bucket, u.Key, func(_ context.Context, o object.Info) error {
		t.add(o)
		return nil
	})
	total := t.open[0]
	if err == nil {
		t.close(1)
		if total = t.open[0]; total.objects == 0 {
			noteEmpty(t.out, u)
		}
		t.print(total, " (total)")
	}
	ev := event{Objects: new(total.objects), Bytes: new(total.bytes), Prefixes: new(t.prefixes)}
	t.out.summary(ev, plural(total.objects, "object", "objects")+", "+bytesize.Format(total.bytes)+" under "+u.String(), err)
	return err
}

// duCount is what is under one prefix.
type duCount struct {
	prefix  string
	objects int
	bytes   int64
}

// duTally adds up a listing in key order, where the keys under a prefix come one after
// another: it keeps the prefixes the current key is in (open, outermost first, at most
// depth+1 of them) and prints a prefix when the listing leaves it, after the prefixes
// inside it. Its memory does not grow with the listing.
type duTally struct {
	out      *output
	bucket   string
	depth    int
	open     []duCount
	prefixes int // lines printed for prefixes below the one given
}

func (t *duTally) add(o object.Info) {
	// Leave the open prefixes that do not hold this key.
	keep := 1
	for keep < len(t.open) && strings.HasPrefix(o.Key, t.open[keep].prefix) {
		keep++
	}
	t.close(keep)
	// Enter the prefixes of this key down to depth levels below the one given.
	for len(t.open) <= t.depth {
		last := t.open[len(t.open)-1].prefix
		i := strings.Index(o.Key[len(last):], "/")
		if i < 0 {
			break
		}
		t.open = append(t.open, duCount{prefix: o.Key[:len(last)+i+1]})
	}
	for i := range t.open {
		t.open[i].objects++
		t.open[i].bytes += o.Size
	}
}

// close prints and closes the open prefixes from the n-th on, innermost first.
func (t *duTally) close(n int) {
	for len(t.open) > n {
		c := t.open[len(t.open)-1]
		t.open = t.open[:len(t.open)-1]
		t.prefixes++
		t.print(c, "")
	}
}

func (t *duTally) print(c duCount, note string) {
	url := object.Ref{Bucket: t.bucket, Key: c.prefix}.String()
	t.out.listed(event{Event: "prefix", Dst: url, Key: c.prefix, Objects: new(c.objects), Bytes: new(c.bytes)},
		fmt.Sprintf("%10s %14s  %s%s", bytesize.Format(c.bytes), plural(c.objects, "object", "objects"), url, note))
}
