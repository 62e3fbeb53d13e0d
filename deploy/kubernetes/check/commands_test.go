package check

import (
	"bytes"
	"errors"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// commandPath returns the subcommand of haul that args run ("sync", "uploads start"): the
// leading arguments that are plain words.
func commandPath(args []string) string {
	word := regexp.MustCompile(`^[a-z]+$`)
	var path []string
	for _, a := range args {
		if !word.MatchString(a) {
			break
		}
		path = append(path, a)
	}
	return strings.Join(path, " ")
}

// podArgs returns the arguments Kubernetes gives haul in container c of pod index: its
// args with $(NAME) expanded from the container's env, which holds JOB_COMPLETION_INDEX.
func podArgs(t *testing.T, m *Manifests, c *corev1.Container, index string) (args []string, env map[string]string) {
	t.Helper()
	env, err := m.Env(c)
	if err != nil {
		t.Fatal(err)
	}
	env["JOB_COMPLETION_INDEX"] = index
	for _, a := range c.Args {
		args = append(args, Expand(a, env))
	}
	return args, env
}

// helpRun runs haul with args and --help added: cobra parses every flag before it prints
// the help, so a flag haul does not have (or a value of the wrong type) fails it. It
// returns the exit code and the output.
func helpRun(t *testing.T, args []string, env map[string]string) (int, string) {
	t.Helper()
	cmd := exec.Command(haulBin, append(slices.Clone(args), "--help")...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, out.String()
}

// Each Job's command, as Kubernetes would run it, parses: the subcommand is haul's and
// haul has every flag it gives, so a renamed flag or command fails here.
func TestCommandsParse(t *testing.T) {
	m := load(t)
	for _, name := range names(m.Jobs) {
		t.Run(name, func(t *testing.T) {
			c := container(t, m.Jobs[name])
			args, env := podArgs(t, m, c, "0")
			path := commandPath(args)
			code, out := helpRun(t, args, env)
			if code != 0 || !strings.Contains(out, "Usage:\n  haul "+path+" ") {
				t.Errorf("haul %s --help: exit %d, want 0 and the usage of haul %s\n%s", strings.Join(args, " "), code, path, out)
			}
		})
	}
}

// TestCommandsParse can fail: a misspelt flag or subcommand in a Job's command is caught.
func TestCommandsParseCatches(t *testing.T) {
	m := load(t)
	c := container(t, m.Jobs["haul-sync"])
	args, env := podArgs(t, m, c, "0")
	bad := slices.Clone(args)
	bad[slices.Index(bad, "--no-state")] = "--no-stat"
	if code, _ := helpRun(t, bad, env); code != 2 {
		t.Errorf("haul %s --help: exit %d, want 2 for a flag haul does not have", strings.Join(bad, " "), code)
	}
	bad = slices.Clone(args)
	bad[0] = "snyc"
	if _, out := helpRun(t, bad, env); strings.Contains(out, "Usage:\n  haul "+commandPath(bad)+" ") {
		t.Errorf("haul %s --help printed the usage of a command haul does not have", strings.Join(bad, " "))
	}
}
