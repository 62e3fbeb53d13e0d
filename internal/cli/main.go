// Package cli is the haul command line: it parses commands and flags, wires the store and the
// transfer engine together, prints results and decides the exit code. It is the only package
// that prints or exits.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/transfer"
)

// Exit codes.
const (
	ExitOK     = 0 // everything was done
	ExitFailed = 1 // some item failed
	// ExitUsage: bad usage or configuration, or a failure every item would meet (an
	// unreachable endpoint, a missing bucket, refused credentials) before anything was done.
	ExitUsage       = 2
	ExitInterrupted = 130 // cancelled by Ctrl-C or SIGTERM
)

// usageError marks a mistake in the command line or configuration (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// Main runs haul with args (without the program name) and returns the exit code. The first
// SIGINT or SIGTERM cancels the run, which then cleans up and returns 130; a second one
// exits at once. When the reader of stdout or stderr goes away (haul ls | head), the run is
// cancelled and cleaned up the same way, nothing more is printed, and Main returns
// ExitClosedPipe.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// With SIGPIPE delivered to a channel, a write to a closed pipe fails with EPIPE instead
	// of killing haul before it can abort its multipart uploads.
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)
	p := &pipes{cancel: cancel}
	stdout, stderr = p.watch(stdout, false), p.watch(stderr, true)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		fmt.Fprintln(stderr, "haul: interrupted: stopping and cleaning up (press Ctrl-C again to exit at once)")
		cancel(context.Canceled)
		if _, ok := <-sigs; ok {
			fmt.Fprintln(stderr, "haul: interrupted again: exiting at once; incomplete uploads may remain: list them with haul uploads ls, abort them with haul uploads abort")
			os.Exit(ExitInterrupted)
		}
	}()
	code := run(ctx, args, stdin, stdout, stderr)
	if p.closed.Load() {
		return ExitClosedPipe
	}
	return code
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &app{stdin: stdin, stdout: stdout, stderr: stderr, args: args}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	var stop *stopError
	var code exitCode
	switch {
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &stop):
		fmt.Fprintf(stderr, "haul: %s\n", app.explain(stop.err))
		if stop.done == 0 {
			return ExitUsage
		}
		return ExitFailed
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintln(stderr, "haul: interrupted")
		return ExitInterrupted
	case errors.As(err, &ue) || isCobraUsage(err):
		fmt.Fprintf(stderr, "haul: %s\n", advise(err))
		return ExitUsage
	case errors.Is(err, transfer.ErrSomeFailed), errors.Is(err, errReported):
		return ExitFailed
	default:
		fmt.Fprintf(stderr, "haul: %s\n", app.explain(err))
		return ExitFailed
	}
}

// errReported is returned by a command whose failure has already been printed.
var errReported = errors.New("failure already reported")

// isCobraUsage reports whether err is cobra's own complaint about an unknown command. Cobra
// has no error type for it; flag and argument errors are marked as usageErrors where they
// arise (SetFlagErrorFunc, usageArgs), so only this one needs its text looked at.
func isCobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command")
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "haul",
		Short:         "Move files and directories to and from S3-compatible object storage",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q: see haul --help", args[0])
			}
			return cmd.Help()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	a.globalFlags(root)
	root.AddCommand(a.cpCommand(), a.mvCommand(), a.syncCommand(), a.lsCommand(), a.rmCommand(), a.mbCommand(), a.resumeCommand(), a.uploadsCommand(), a.lifecycleCommand(), a.statCommand(), a.catCommand(), a.duCommand(), a.presignCommand(), a.rbCommand(), a.verifyCommand(), a.versionCommand(root))
	for _, c := range root.Commands() {
		c.SilenceUsage, c.SilenceErrors = true, true
		if c.Args != nil {
			c.Args = usageArgs(c.Args)
		}
	}
	return root
}

// usageArgs marks an argument-count error as a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usagef("%s: %v (usage: %s)", cmd.Name(), err, cmd.UseLine())
		}
		return nil
	}
}
