package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set at link time by release builds (.goreleaser.yaml) with -ldflags -X, for example
//
//	-X github.com/haul-s3/haul/internal/cli.linkedVersion=v1.2.3
//
// A release build knows what the binary's build info may not: its own name for the version
// (a snapshot's too), and the revision even where go build cannot stamp it (go build in a git
// worktree, or with -buildvcs=false). All are empty in a plain go build or go install, where
// the build info says what there is to say. linkedModified is "true" or "false". No build
// time is linked: release builds are reproducible, and the commit time says when.
var linkedVersion, linkedRevision, linkedModified, linkedCommitTime string

// buildVersion is what haul version prints: where the binary came from and what it runs on.
// Fields that are not known are empty (Modified is then false).
type buildVersion struct {
	Version    string `json:"version"`               // module version (v1.2.3), a pseudo-version, or (devel)
	Revision   string `json:"revision,omitempty"`    // VCS revision the binary was built from
	Modified   bool   `json:"modified,omitempty"`    // the work tree had uncommitted changes
	CommitTime string `json:"commit_time,omitempty"` // the revision's commit time, RFC 3339
	Go         string `json:"go"`                    // Go toolchain version
	OS         string `json:"os"`
	Arch       string `json:"arch"`
}

// readVersion describes this binary from its build info and the link-time values.
func readVersion() buildVersion {
	info, _ := debug.ReadBuildInfo()
	return describeBuild(info, buildVersion{
		Version:    linkedVersion,
		Revision:   linkedRevision,
		Modified:   linkedModified == "true",
		CommitTime: linkedCommitTime,
	})
}

// describeBuild makes a buildVersion from a binary's build info (nil: none), the values set
// at link time (linked; an empty field: not set), and the running toolchain and platform.
// A linked version wins over the module's: a release build names its version itself, and go
// install module@v1.2.3, which links none, reports the module's v1.2.3. A linked revision
// replaces the VCS facts of the build info (revision, modified, commit time) together.
func describeBuild(info *debug.BuildInfo, linked buildVersion) buildVersion {
	v := buildVersion{Version: "(devel)", Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if info != nil {
		if info.Main.Version != "" {
			v.Version = info.Main.Version
		}
		if info.GoVersion != "" {
			v.Go = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.CommitTime = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if linked.Version != "" {
		v.Version = linked.Version
	}
	if linked.Revision != "" {
		v.Revision, v.Modified, v.CommitTime = linked.Revision, linked.Modified, linked.CommitTime
	}
	return v
}

// text is the version as haul version and haul --version print it: the version on the
// first line, then one line for each other fact known.
func (v buildVersion) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "haul %s\n", v.Version)
	line := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "  %-12s %s\n", name, value)
		}
	}
	rev := v.Revision
	if rev != "" && v.Modified {
		rev += " (modified: built from a tree with uncommitted changes)"
	}
	line("revision", rev)
	line("committed", v.CommitTime)
	line("go", v.Go)
	line("platform", v.OS+"/"+v.Arch)
	return b.String()
}

// versionCommand returns haul version, and makes root answer --version with the same text.
func (a *app) versionCommand(root *cobra.Command) *cobra.Command {
	v := readVersion()
	root.Version = v.Version
	// The template is text, not a Go template of ours: braces in a version stay as they are.
	root.SetVersionTemplate(templateLiteral(v.text()))
	return &cobra.Command{
		Use:   "version",
		Short: "Print haul's version, the revision it was built from, its Go version and platform",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return a.printVersion(a.stdout, v)
		},
	}
}

func (a *app) printVersion(w io.Writer, v buildVersion) error {
	if a.json {
		b, err := json.Marshal(struct {
			Event string `json:"event"`
			buildVersion
		}{"version", v})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := io.WriteString(w, v.text())
	return err
}

// templateLiteral returns a text/template that prints s as it is.
func templateLiteral(s string) string {
	return "{{`" + strings.ReplaceAll(s, "`", "`}}{{\"`\"}}{{`") + "`}}"
}
