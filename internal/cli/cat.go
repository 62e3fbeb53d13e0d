package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

func (a *app) catCommand() *cobra.Command {
	f := cpFlags{concurrency: 1, threshold: transfer.DefaultMultipartThreshold, memory: transfer.DefaultMemoryBudget, verify: verifyOn}
	cmd := &cobra.Command{
		Use:   "cat s3://bucket/key",
		Short: "Write an object to standard output, verified",
		Long: `Write an object to standard output, as haul cp s3://bucket/key - does: one GET, resumed
where it stopped if the connection fails, and checked as the bytes go by against haul's
whole-file checksum, the server's checksum or the MD5 ETag (part by part for a multipart
object). The bytes cannot be taken back once written, so a mismatch is found at the end:
haul then says so and exits 1. Nothing else is printed (no progress bar either) unless
something fails or nothing could check the bytes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.cat(cmd.Context(), &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.retries, "retries", transfer.DefaultRetries, "times one failed request is sent again")
	fl.DurationVar(&f.stall, "stall-timeout", transfer.DefaultStallTimeout, "cancel and retry a request that moves no byte for this long (0: never)")
	fl.DurationVar(&f.throttle, "throttle-timeout", transfer.DefaultThrottleTimeout, "give up when the server has throttled every request (503 SlowDown, 429) for this long (0: never)")
	fl.Var(&f.verify, "verify", "check the bytes: true (against what haul can check, else a note says nothing could), required (an object nothing can check fails before a byte is written) or false")
	fl.Lookup("verify").NoOptDefVal = "true"
	fl.Var(bwlimitFlag{&f.bwlimit}, "bwlimit", "cap the bytes received per second: RATE (100MiB/s, 50MB/s, 800Mbit/s, bytes per second, or off), or a timetable in local time, \"08:00,10MiB/s 19:00,off\" (see haul cp --help)")
	return cmd
}

// cat downloads one object to stdout through the engine's stream download (the path of
// cp s3://bucket/key -), with no line for the object done.
func (a *app) cat(ctx context.Context, f *cpFlags, arg string) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	u, err := object.ParseURL(arg)
	if err != nil {
		return &usageError{err}
	}
	if u.IsDir() {
		return usagef("%s names a prefix, not an object: cat takes a key", arg)
	}
	store, err := a.store(ctx, 1)
	if err != nil {
		return err
	}
	rep := a.newReporter(false, true)
	rep.silentDone = true
	rep.bar = nil // cat's output is often the terminal that stderr is too
	opts.Observer = f.noteBandwidthChanges(rep)
	sum, err := transfer.New(store, opts).DownloadStream(ctx, object.Ref{Bucket: u.Bucket, Key: u.Key}, a.stdout)
	return rep.finish(sum, err)
}
