package e2e

import (
	"debug/buildinfo"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersionIsTheBuildInfo runs haul version and haul --version and checks them against
// the binary's build info as read from the file (what go version -m shows).
func TestVersionIsTheBuildInfo(t *testing.T) {
	info, err := buildinfo.ReadFile(haulBin)
	if err != nil {
		t.Fatal(err)
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	want := []string{"haul " + version}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (modified: built from a tree with uncommitted changes)"
		}
		want = append(want, "  revision     "+rev)
	}
	if ct := settings["vcs.time"]; ct != "" {
		want = append(want, "  committed    "+ct)
	}
	want = append(want, "  go           "+info.GoVersion, "  platform     "+runtime.GOOS+"/"+runtime.GOARCH)
	wantText := strings.Join(want, "\n") + "\n"
	for _, arg := range []string{"version", "--version"} {
		r := haul(t, nil, nil, arg)
		if r.code != 0 || r.stdout != wantText || r.stderr != "" {
			t.Errorf("haul %s: exit %d, stdout\n%s\nstderr %q\nwant exit 0 and\n%s", arg, r.code, r.stdout, r.stderr, wantText)
		}
	}
}

// TestVersionLinkedAsReleasesDo builds haul with the -X flags of .goreleaser.yaml, its
// templates filled in as goreleaser would, and checks that haul version reports those
// values: a variable renamed in the code or misspelt in the configuration fails here, in
// make test, and not only in a release build.
func TestVersionLinkedAsReleasesDo(t *testing.T) {
	conf, err := os.ReadFile(filepath.Join("..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer(
		"{{ .Version }}", "9.8.7-e2e",
		"{{ .FullCommit }}", "0123456789abcdef0123456789abcdef01234567",
		"{{ .IsGitDirty }}", "true",
		"{{ .CommitDate }}", "2026-11-30T12:00:00Z",
	)
	var ldflags []string
	for _, m := range regexp.MustCompile(`(?m)^\s*- (-X github\.com/haul-s3/haul/\S+=.*)$`).FindAllStringSubmatch(string(conf), -1) {
		flag := fill.Replace(m[1])
		if strings.Contains(flag, "{{") {
			t.Fatalf(".goreleaser.yaml: %q uses a template this test does not fill in", m[1])
		}
		ldflags = append(ldflags, flag)
	}
	if len(ldflags) != 4 {
		t.Fatalf(".goreleaser.yaml: found %d -X flags for haul (%q), want 4: version, revision, modified, commit time", len(ldflags), ldflags)
	}
	bin := filepath.Join(t.TempDir(), "haul")
	build := exec.Command("go", "build", "-ldflags", strings.Join(ldflags, " "), "-o", bin, "github.com/haul-s3/haul/cmd/haul")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -ldflags %q: %v\n%s", strings.Join(ldflags, " "), err, out)
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("haul version --json: %v", err)
	}
	var got struct {
		Version, Revision string
		Modified          bool
		CommitTime        string `json:"commit_time"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("haul version --json: %q: %v", out, err)
	}
	if got.Version != "v9.8.7-e2e" || got.Revision != "0123456789abcdef0123456789abcdef01234567" || !got.Modified || got.CommitTime != "2026-11-30T12:00:00Z" {
		t.Errorf("haul version --json: %s\nwant the linked version v9.8.7-e2e, revision 0123456789abcdef0123456789abcdef01234567, modified, commit time 2026-11-30T12:00:00Z", out)
	}
}
