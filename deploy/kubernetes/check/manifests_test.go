package check

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// manifestDir is where the manifests are, from this package's directory.
const manifestDir = ".."

// haulPath is where haul's image puts the binary (scripts/ociimage): the command of every Job.
const haulPath = "/usr/local/bin/haul"

var haulBin string // haul, built from the parent module by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "haul-k8s-check-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	haulBin = filepath.Join(dir, "haul")
	build := exec.Command("go", "build", "-o", haulBin, "./cmd/haul")
	build.Dir = filepath.Join("..", "..", "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "check: building haul from the parent module:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func load(t *testing.T) *Manifests {
	t.Helper()
	m, err := Load(manifestDir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The objects the README tells a user to apply, by name.
var (
	wantJobs       = []string{"haul-huge-complete", "haul-huge-parts", "haul-huge-start", "haul-sync", "haul-verify"}
	wantConfigMaps = []string{"haul-config", "haul-upload"}
	wantSecrets    = []string{"haul-s3-credentials"}
	wantClaims     = []string{"haul-data", "haul-receipts"}
)

func names[T any](m map[string]T) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Every manifest decodes strictly into its Kubernetes type, and they are the objects the
// README names.
func TestManifestsDecode(t *testing.T) {
	m := load(t)
	for _, c := range []struct {
		kind      string
		got, want []string
	}{
		{"Job", names(m.Jobs), wantJobs},
		{"ConfigMap", names(m.ConfigMaps), wantConfigMaps},
		{"Secret", names(m.Secrets), wantSecrets},
		{"PersistentVolumeClaim", names(m.Claims), wantClaims},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s objects %v, want %v", c.kind, c.got, c.want)
		}
	}
}

// Decoding is strict: a misspelt field, a field at the wrong level, a wrong apiVersion or
// an unknown kind is an error, so TestManifestsDecode can fail.
func TestDecodeRefuses(t *testing.T) {
	for _, c := range []struct{ name, doc, says string }{
		{"misspelt field", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  backoffLimitPerIndx: 3\n", "backoffLimitPerIndx"},
		{"field at the wrong level", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  restartPolicy: Never\n", "restartPolicy"},
		{"wrong type", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completions: eight\n", "completions"},
		{"apiVersion", "apiVersion: batch/v2\nkind: Job\nmetadata: {name: x}\n", "batch/v2"},
		{"kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "Pod"},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  A: a\n  A: b\n", "A"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("Decode: %v, want an error naming %q", err, c.says)
			}
		})
	}
}

// container returns the one container of job, named haul.
func container(t *testing.T, job *batchv1.Job) *corev1.Container {
	t.Helper()
	cs := job.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "haul" || len(job.Spec.Template.Spec.InitContainers) != 0 {
		t.Fatalf("Job %s: want one container, named haul (the pod failure policy names it)", job.Name)
	}
	return &cs[0]
}

// The rules every Job keeps, on which haul and the README rely.
func TestJobRules(t *testing.T) {
	m := load(t)
	images := map[string]bool{}
	for _, name := range names(m.Jobs) {
		job := m.Jobs[name]
		t.Run(name, func(t *testing.T) {
			pod := job.Spec.Template.Spec
			c := container(t, job)
			images[c.Image] = true
			if pod.RestartPolicy != corev1.RestartPolicyNever {
				t.Errorf("restartPolicy %q, want Never: a Job's retries (and podFailurePolicy) count failed pods", pod.RestartPolicy)
			}
			if !slices.Equal(c.Command, []string{haulPath}) {
				t.Errorf("command %q, want [%s], where haul's image puts it (there is no shell in the image)", c.Command, haulPath)
			}
			if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
				t.Errorf("runAsNonRoot unset: haul's image runs as user 65532")
			}
			env, err := m.Env(c)
			if err != nil {
				t.Error(err)
			}
			for _, a := range c.Args {
				for _, ref := range References(a) {
					if _, ok := env[ref]; !ok {
						t.Errorf("argument %q refers to $(%s), which is not in the container's env: Kubernetes would pass it as it is", a, ref)
					}
				}
			}
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_REGION"} {
				if _, ok := env[k]; !ok {
					t.Errorf("no %s in the env", k)
				}
			}
			checkVolumes(t, m, &pod, c)
			n, variable, err := ShardCount(c.Args)
			if err != nil {
				if _, has := Flag(c.Args, "--shard"); has {
					t.Fatal(err)
				}
				if job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion {
					t.Errorf("an Indexed Job whose haul has no --shard: every pod would do the whole job")
				}
				return
			}
			checkIndexed(t, job, n, variable)
		})
	}
	if len(images) != 1 {
		t.Errorf("the Jobs use the images %v: want one", names(images))
	}
}

// checkIndexed checks the Job of a --shard '$VAR/n' command.
func checkIndexed(t *testing.T, job *batchv1.Job, n int, variable string) {
	t.Helper()
	s := job.Spec
	if variable != "JOB_COMPLETION_INDEX" {
		t.Errorf("--shard reads $%s, want $JOB_COMPLETION_INDEX, the index Kubernetes gives each pod", variable)
	}
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed: only an Indexed Job sets JOB_COMPLETION_INDEX", s.CompletionMode)
	}
	if s.Completions == nil || int(*s.Completions) != n || s.Parallelism == nil || int(*s.Parallelism) != n {
		t.Errorf("completions %v, parallelism %v: want both %d, the N of --shard I/%d", deref(s.Completions), deref(s.Parallelism), n, n)
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex < 1 {
		t.Errorf("backoffLimitPerIndex %v: want 1 or more, so that a failed shard is retried alone", deref(s.BackoffLimitPerIndex))
	}
	if s.MaxFailedIndexes == nil {
		t.Errorf("maxFailedIndexes unset: the Job would run every other index to the end after many have failed")
	}
	if s.BackoffLimit != nil {
		t.Errorf("backoffLimit %d beside backoffLimitPerIndex: the Job would fail after that many failures of all its indexes together", *s.BackoffLimit)
	}
	failsIndex := false
	if p := s.PodFailurePolicy; p != nil {
		for _, r := range p.Rules {
			e := r.OnExitCodes
			if r.Action == batchv1.PodFailurePolicyActionFailIndex && e != nil && e.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn &&
				e.ContainerName != nil && *e.ContainerName == "haul" && slices.Contains(e.Values, 2) {
				failsIndex = true
			}
		}
	}
	if !failsIndex {
		t.Errorf("no podFailurePolicy rule FailIndex on haul's exit code 2 (usage): a shard that can never work would be retried")
	}
}

func deref(p *int32) any {
	if p == nil {
		return "unset"
	}
	return *p
}

// checkVolumes checks that every mount names a volume of the pod, every claim is one of
// the example's, and /tmp is writable with a read-only root file system.
func checkVolumes(t *testing.T, m *Manifests, pod *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		vols[v.Name] = v
		if pvc := v.PersistentVolumeClaim; pvc != nil {
			if _, ok := m.Claims[pvc.ClaimName]; !ok {
				t.Errorf("volume %s: claim %q is not in volumes.example.yaml", v.Name, pvc.ClaimName)
			}
		}
	}
	tmp := false
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			t.Errorf("mount %s: no volume of that name", vm.Name)
		}
		if vm.MountPath == "/tmp" && v.EmptyDir != nil {
			tmp = true
		}
	}
	if sc := c.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem && !tmp {
		t.Errorf("a read-only root file system and no emptyDir at /tmp: haul's image works in /tmp")
	}
}

// The example Secret is plainly an example, so that no one applies it as it is or
// commits a real one in its place.
func TestSecretIsAnExample(t *testing.T) {
	m := load(t)
	for _, s := range m.Secrets {
		if len(s.Data) != 0 {
			t.Errorf("Secret %s has data: keep the example in stringData, readable", s.Name)
		}
		for k, v := range s.StringData {
			if !strings.Contains(v, "EXAMPLE") {
				t.Errorf("Secret %s, %s: %q does not say it is an example", s.Name, k, v)
			}
		}
		if !strings.HasSuffix(m.File["Secret/"+s.Name], ".example.yaml") {
			t.Errorf("Secret %s is in %s, want a *.example.yaml file", s.Name, m.File["Secret/"+s.Name])
		}
	}
}

// The verify Job checks exactly the receipts the sync Job's shards write, against the
// directory it sends, mounted from the same claim.
func TestSyncAndVerifyAgree(t *testing.T) {
	m := load(t)
	sync, verify := container(t, m.Jobs["haul-sync"]), container(t, m.Jobs["haul-verify"])
	n, _, err := ShardCount(sync.Args)
	if err != nil {
		t.Fatal(err)
	}
	receipt, ok := Flag(sync.Args, "--receipt")
	if !ok {
		t.Fatal("the sync Job writes no --receipt")
	}
	pos := Positional(sync.Args, "--no-state", "--delete", "--dry-run", "--checksum", "--size-only")
	if len(pos) != 3 || pos[0] != "sync" {
		t.Fatalf("sync arguments %q: want sync SOURCE DEST", pos)
	}
	var want []string
	for i := range n {
		want = append(want, ReceiptName(receipt, i, n))
	}
	vpos := Positional(verify.Args, "--deep")
	if len(vpos) < 1 || vpos[0] != "verify" || !slices.Equal(vpos[1:], want) {
		t.Errorf("the verify Job checks %q, want the %d receipts of the sync Job's shards %q", vpos, n, want)
	}
	if against, _ := Flag(verify.Args, "--against"); against != pos[1] {
		t.Errorf("verify --against %q, want the sync Job's source %q", against, pos[1])
	}
	for _, mount := range []string{"/data", "/receipts"} {
		if a, b := claimAt(m.Jobs["haul-sync"], mount), claimAt(m.Jobs["haul-verify"], mount); a == "" || a != b {
			t.Errorf("%s: the sync Job mounts claim %q, the verify Job %q: want the same", mount, a, b)
		}
	}
}

// claimAt returns the claim mounted at path in job's container.
func claimAt(job *batchv1.Job, path string) string {
	pod := job.Spec.Template.Spec
	for _, vm := range pod.Containers[0].VolumeMounts {
		if vm.MountPath != path {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.PersistentVolumeClaim != nil {
				return v.PersistentVolumeClaim.ClaimName
			}
		}
	}
	return ""
}

// The three steps of the huge-object case send one file to one object: start prints the
// upload ID alone (--quiet), the parts Job and complete agree on the shard count.
func TestHugeStepsAgree(t *testing.T) {
	m := load(t)
	start, parts, complete := container(t, m.Jobs["haul-huge-start"]), container(t, m.Jobs["haul-huge-parts"]), container(t, m.Jobs["haul-huge-complete"])
	if p := Positional(start.Args, "--quiet", "-q"); len(p) != 3 || p[0] != "uploads" || p[1] != "start" {
		t.Fatalf("start arguments %q: want uploads start DEST", p)
	}
	if !slices.Contains(start.Args, "--quiet") {
		t.Error("uploads start without --quiet: its log would hold more than the upload ID")
	}
	dest := Positional(start.Args, "--quiet")[2]
	source, _ := Flag(start.Args, "--source")
	pp := Positional(parts.Args)
	if len(pp) != 3 || pp[0] != "cp" || pp[1] != source || pp[2] != dest {
		t.Errorf("parts arguments %q: want cp %s %s", pp, source, dest)
	}
	if id, _ := Flag(parts.Args, "--upload-id"); id != "$(HAUL_UPLOAD_ID)" {
		t.Errorf("parts --upload-id %q, want $(HAUL_UPLOAD_ID)", id)
	}
	n, _, err := ShardCount(parts.Args)
	if err != nil {
		t.Fatal(err)
	}
	cp := Positional(complete.Args)
	if len(cp) != 3 || cp[0] != "uploads" || cp[1] != "complete" || cp[2] != dest {
		t.Errorf("complete arguments %q: want uploads complete %s", cp, dest)
	}
	if s, _ := Flag(complete.Args, "--source"); s != source {
		t.Errorf("complete --source %q, want %q", s, source)
	}
	if s, _ := Flag(complete.Args, "--shards"); s != fmt.Sprint(n) {
		t.Errorf("complete --shards %q, want %d, the parts Job's shard count", s, n)
	}
	if id, _ := Flag(complete.Args, "--upload-id"); id != "$(HAUL_UPLOAD_ID)" {
		t.Errorf("complete --upload-id %q, want $(HAUL_UPLOAD_ID)", id)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "x", "B": ""}
	for in, want := range map[string]string{
		"$(A)/y":                  "x/y",
		"$(B)z":                   "z",
		"$(C)":                    "$(C)",
		"$$(A)":                   "$(A)",
		"$JOB_COMPLETION_INDEX/8": "$JOB_COMPLETION_INDEX/8",
		"a$":                      "a$",
		"$(A":                     "$(A",
	} {
		if got := Expand(in, env); got != want {
			t.Errorf("Expand(%q) = %q, want %q", in, got, want)
		}
	}
}
