package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

const journalDirHint = "$XDG_STATE_HOME/haul/journals (~/.local/state/haul/journals)"

// stateHome is haul's directory of state, $XDG_STATE_HOME/haul or ~/.local/state/haul:
// resume journals and sync state files live under it.
func stateHome() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "haul"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state", "haul"), nil
}

// journalDir is where journals live unless --journal says otherwise.
func journalDir() (string, error) {
	dir, err := stateHome()
	if err != nil {
		return "", usagef("no home directory for the resume journal (%v): give --journal PATH", err)
	}
	return filepath.Join(dir, "journals"), nil
}

// defaultJournal names the journal of a copy from src to dst, so that running the same
// command again finds it.
func defaultJournal(src, dst string) (string, error) {
	dir, err := journalDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(absLocal(src) + "\x00" + absLocal(dst)))
	return filepath.Join(dir, hex.EncodeToString(sum[:8])+".journal"), nil
}

func absLocal(p string) string {
	if object.IsURL(p) || p == "-" {
		return p
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func (a *app) openJournal(f *cpFlags, src, dst string) (*journal.Journal, error) {
	if src == "-" || dst == "-" {
		return nil, usagef("--resume cannot continue a copy from standard input or to standard output")
	}
	path := f.journal
	if path == "" {
		var err error
		if path, err = defaultJournal(src, dst); err != nil {
			return nil, err
		}
		path = f.shard.file(path)
	}
	cwd, _ := os.Getwd()
	args := a.args
	if !slices.Contains(args, "--journal") && f.journal == "" {
		args = append(slices.Clone(args), "--journal", path)
	}
	args = f.shard.record(args)
	j, err := journal.Open(path, journal.Header{Args: args, Dir: cwd})
	if err != nil {
		return nil, &usageError{err}
	}
	return j, nil
}

// closeJournal removes the journal of a run that finished, and keeps it, saying how to
// continue, when the run was interrupted or some items failed.
func (a *app) closeJournal(j *journal.Journal, runErr error) {
	if runErr == nil {
		if err := j.Remove(); err != nil {
			fmt.Fprintf(a.stderr, "haul: warning: could not remove the finished journal: %v\n", err)
		}
		return
	}
	_ = j.Close()
	fmt.Fprintf(a.stderr, "haul: uploaded parts and partial files are kept; continue with: haul resume %s\n", j.Path())
}

func (a *app) resumeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "resume [JOURNAL]",
		Short: "Continue an interrupted haul cp --resume (or mv --resume) run from its journal",
		Long: `Continue an interrupted "haul cp --resume" or "haul mv --resume" run. Without JOURNAL, the only journal in
` + journalDirHint + ` is used; running the same cp --resume command again does the same.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			} else {
				var err error
				if path, err = onlyJournal(); err != nil {
					return err
				}
			}
			h, err := journal.Inspect(path)
			if err != nil {
				return &usageError{err}
			}
			if len(h.Args) == 0 || !slices.Contains(h.Args, "cp") && !slices.Contains(h.Args, "mv") {
				return usagef("journal %s does not record a haul cp or mv command", path)
			}
			if h.Dir != "" {
				if err := os.Chdir(h.Dir); err != nil {
					return usagef("cannot return to the directory the copy ran in: %v", err)
				}
			}
			fmt.Fprintf(a.stderr, "haul: resuming: haul %s\n", strings.Join(h.Args, " "))
			root := a.rootCommand()
			root.SetArgs(h.Args)
			return root.ExecuteContext(cmd.Context())
		},
	}
}

// onlyJournal returns the single journal in the journal directory.
func onlyJournal() (string, error) {
	dir, err := journalDir()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.journal"))
	switch len(matches) {
	case 0:
		return "", usagef("no interrupted run to resume in %s", dir)
	case 1:
		return matches[0], nil
	}
	return "", &usageError{errors.New("more than one interrupted run; name one: haul resume " + strings.Join(matches, " | "))}
}
