package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestManPages generates the man pages and finds one for every command a user can run
// (hidden ones and help aside), nested ones included, and no other: each names its
// command in its title and says its short description and its flags.
func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man")
	if err := ManPages(dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		want[strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"] = c
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(manRoot())
	for _, name := range []string{"haul.1", "haul-cp.1", "haul-stat.1", "haul-rb.1", "haul-uploads-abort.1", "haul-completion-bash.1"} {
		if want[name] == nil {
			t.Fatalf("the command tree has no %s: %v", name, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d pages for %d commands", len(entries), len(want))
	}
	for name, c := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("no page for %q: %v", c.CommandPath(), err)
			continue
		}
		page := string(b)
		title := `.TH "` + strings.ToUpper(strings.TrimSuffix(name, ".1")) + `" "1"`
		if !strings.Contains(page, title) || !strings.Contains(page, c.Short) {
			t.Errorf("%s: want %s and %q in\n%s", name, title, c.Short, page)
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !strings.Contains(page, `\fB--`+f.Name+`\fP`) {
				t.Errorf("%s does not describe --%s", name, f.Name)
			}
		})
	}
}
