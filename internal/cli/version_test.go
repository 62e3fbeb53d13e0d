package cli

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	vcs := func(rev, time, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: time}, {Key: "vcs.modified", Value: modified}}
	}
	info := func(version string, settings []debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/haul-s3/haul", Version: version}, Settings: settings}
	}
	platform := func(v buildVersion) buildVersion { v.OS, v.Arch = runtime.GOOS, runtime.GOARCH; return v }
	tests := []struct {
		name   string
		info   *debug.BuildInfo
		linked buildVersion
		want   buildVersion
	}{
		{"go install module@version", info("v1.2.3", nil), buildVersion{},
			buildVersion{Version: "v1.2.3", Go: "go1.99.1"}},
		{"go build in a clean checkout", info("v0.0.0-20261201023007-484bf8513dc1", vcs("484bf8513dc1ffc9b544f1fcc393fdbb7dc2946c", "2026-12-01T02:30:07Z", "false")), buildVersion{},
			buildVersion{Version: "v0.0.0-20261201023007-484bf8513dc1", Revision: "484bf8513dc1ffc9b544f1fcc393fdbb7dc2946c", CommitTime: "2026-12-01T02:30:07Z", Go: "go1.99.1"}},
		{"go build with changes", info("v0.0.0-20261201023007-484bf8513dc1+dirty", vcs("484bf85", "2026-12-01T02:30:07Z", "true")), buildVersion{},
			buildVersion{Version: "v0.0.0-20261201023007-484bf8513dc1+dirty", Revision: "484bf85", Modified: true, CommitTime: "2026-12-01T02:30:07Z", Go: "go1.99.1"}},
		{"go build without VCS stamping", info("(devel)", nil), buildVersion{},
			buildVersion{Version: "(devel)", Go: "go1.99.1"}},
		{"no module version", info("", nil), buildVersion{},
			buildVersion{Version: "(devel)", Go: "go1.99.1"}},
		{"no build info", nil, buildVersion{},
			buildVersion{Version: "(devel)", Go: runtime.Version()}},
		{"release build", info("(devel)", nil), buildVersion{Version: "v1.2.3", Revision: "abc", CommitTime: "2026-11-30T00:00:00Z"},
			buildVersion{Version: "v1.2.3", Revision: "abc", CommitTime: "2026-11-30T00:00:00Z", Go: "go1.99.1"}},
		{"linked revision replaces the stamped one, modified included", info("v0.0.0-x+dirty", vcs("def", "2026-01-01T00:00:00Z", "true")), buildVersion{Version: "v1.2.4-rc1", Revision: "abc"},
			buildVersion{Version: "v1.2.4-rc1", Revision: "abc", Go: "go1.99.1"}},
		{"linked version alone keeps the stamped revision", info("v0.0.0-x", vcs("def", "2026-01-01T00:00:00Z", "true")), buildVersion{Version: "v2.0.0"},
			buildVersion{Version: "v2.0.0", Revision: "def", Modified: true, CommitTime: "2026-01-01T00:00:00Z", Go: "go1.99.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describeBuild(tt.info, tt.linked)
			if want := platform(tt.want); got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestVersionText(t *testing.T) {
	v := buildVersion{Version: "v1.2.3", Revision: "abc", Modified: true, CommitTime: "2026-11-30T00:00:00Z", Go: "go1.99.1", OS: "linux", Arch: "arm64"}
	want := "haul v1.2.3\n" +
		"  revision     abc (modified: built from a tree with uncommitted changes)\n" +
		"  committed    2026-11-30T00:00:00Z\n" +
		"  go           go1.99.1\n" +
		"  platform     linux/arm64\n"
	if got := v.text(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	bare := buildVersion{Version: "(devel)", Go: "go1.99.1", OS: "windows", Arch: "amd64"}
	want = "haul (devel)\n  go           go1.99.1\n  platform     windows/amd64\n"
	if got := bare.text(); got != want {
		t.Errorf("unknown facts printed: got\n%s\nwant\n%s", got, want)
	}
}

// TestVersionCommand runs haul version, haul --version and haul version --json with a
// version set as a release build links it: braces and backquotes in it are printed as they
// are, not read as a template.
func TestVersionCommand(t *testing.T) {
	oldVersion, oldRevision, oldModified := linkedVersion, linkedRevision, linkedModified
	t.Cleanup(func() { linkedVersion, linkedRevision, linkedModified = oldVersion, oldRevision, oldModified })
	linkedVersion, linkedRevision, linkedModified = "v1.2.3-{{.Name}}`x`", "0123abc", "true"
	wantText := readVersion().text()
	if !strings.HasPrefix(wantText, "haul v1.2.3-{{.Name}}`x`\n  revision     0123abc (modified") {
		t.Fatalf("readVersion ignores the linked values: %q", wantText)
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), args, nil, &stdout, &stderr)
			if code != ExitOK || stdout.String() != wantText || stderr.Len() != 0 {
				t.Errorf("haul %s: exit %d, stdout %q, stderr %q; want 0 and stdout %q", args[0], code, stdout.String(), stderr.String(), wantText)
			}
		})
	}
	t.Run("version --json", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"version", "--json"}, nil, &stdout, &stderr); code != ExitOK {
			t.Fatalf("exit %d, stderr %q", code, stderr.String())
		}
		var got map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("not one JSON object: %q: %v", stdout.String(), err)
		}
		want := map[string]any{"event": "version", "version": "v1.2.3-{{.Name}}`x`", "revision": "0123abc", "modified": true,
			"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: got %v, want %v (all: %s)", k, got[k], w, stdout.String())
			}
		}
	})
	t.Run("version with an argument", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"version", "extra"}, nil, &stdout, &stderr); code != ExitUsage {
			t.Errorf("exit %d, want %d (usage); stderr %q", code, ExitUsage, stderr.String())
		}
	})
}
