package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
)

// server is a versitygw on loopback, started for one test.
type server struct {
	endpoint, access, secret, region string
	home                             string // an empty HOME, so that no ~/.aws is read
}

// versitygwBin returns the pinned versitygw that make tools builds into .tools/bin of the
// repository (HAUL_TOOLS_BIN overrides the directory, as for haul's own tests).
func versitygwBin(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HAUL_TOOLS_BIN")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", ".tools", "bin")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "versitygw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("versitygw is missing at %s: run make tools (scripts/install-tools.sh versitygw): %v", bin, err)
	}
	return bin
}

// startVersitygw starts versitygw on a free port of 127.0.0.1 with its posix backend on a
// temporary directory, waits until it answers, and stops it when the test ends.
func startVersitygw(t *testing.T) *server {
	t.Helper()
	bin := versitygwBin(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{endpoint: "http://" + addr, access: "k8scheckaccess", secret: "k8scheck-secret", region: "us-east-1", home: t.TempDir()}
	var log bytes.Buffer
	cmd := exec.Command(bin, "--access", s.access, "--secret", s.secret, "--region", s.region,
		"--port", addr, "--quiet", "posix", t.TempDir())
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		r := s.haul(t, "ls")
		if r.code == 0 {
			return s
		}
		select {
		case <-exited:
			t.Fatalf("versitygw exited before it was ready:\n%s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw not ready on %s after 30s: %s\n%s", addr, r.stderr, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// env is the environment of a haul run by the test itself (not one of a Job's pods).
func (s *server) env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID": s.access, "AWS_SECRET_ACCESS_KEY": s.secret,
		"AWS_ENDPOINT_URL": s.endpoint, "AWS_REGION": s.region, "HOME": s.home,
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs haul with args and env (and nothing else in its environment).
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, haulBin, args...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{out.String(), errb.String(), 0}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Errorf("running haul %s: %v", strings.Join(args, " "), err)
		r.code = -1
	}
	return r
}

func (s *server) haul(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, s.env(), args...)
}

// cluster stands in for a Kubernetes cluster: the manifests, with the ConfigMaps and the
// Secret pointed at a local server, and a local directory for each claim.
type cluster struct {
	m      *Manifests
	claims map[string]string // claim name: directory
}

// set gives an existing key of a ConfigMap or Secret another value; a key the manifest
// does not hold fails the test, so the manifests' keys are the ones tested.
func (c *cluster) set(t *testing.T, kind, name, key, value string) {
	t.Helper()
	switch kind {
	case "ConfigMap":
		cm, ok := c.m.ConfigMaps[name]
		if _, has := cm.Data[key]; !ok || !has {
			t.Fatalf("no key %s in a ConfigMap %s", key, name)
		}
		cm.Data[key] = value
	case "Secret":
		s, ok := c.m.Secrets[name]
		if _, has := s.StringData[key]; !ok || !has {
			t.Fatalf("no key %s in a Secret %s", key, name)
		}
		s.StringData[key] = value
	}
}

// newCluster loads the manifests and points them at srv, with bucket as the bucket of
// every s3:// value of haul-config.
func newCluster(t *testing.T, srv *server, bucket string) *cluster {
	t.Helper()
	c := &cluster{m: load(t), claims: map[string]string{}}
	c.set(t, "Secret", "haul-s3-credentials", "AWS_ACCESS_KEY_ID", srv.access)
	c.set(t, "Secret", "haul-s3-credentials", "AWS_SECRET_ACCESS_KEY", srv.secret)
	c.set(t, "ConfigMap", "haul-config", "AWS_ENDPOINT_URL", srv.endpoint)
	c.set(t, "ConfigMap", "haul-config", "AWS_REGION", srv.region)
	for k, v := range c.m.ConfigMaps["haul-config"].Data {
		if rest, ok := strings.CutPrefix(v, "s3://"); ok {
			_, key, _ := strings.Cut(rest, "/")
			c.set(t, "ConfigMap", "haul-config", k, "s3://"+bucket+"/"+key)
		}
	}
	for name := range c.m.Claims {
		c.claims[name] = t.TempDir()
	}
	return c
}

// pod is one pod of a Job as local paths see it.
type pod struct {
	args []string
	env  map[string]string
}

// podOf returns what pod index (-1: not an Indexed Job) of job runs: its args and env with
// $(NAME) expanded as Kubernetes expands them, and every path under a volume's mountPath
// moved to the claim's local directory (an emptyDir gets a new one).
func (c *cluster) podOf(t *testing.T, job *batchv1.Job, index int) pod {
	t.Helper()
	ctr := container(t, job)
	env, err := c.m.Env(ctr)
	if err != nil {
		t.Fatal(err)
	}
	if index >= 0 {
		env["JOB_COMPLETION_INDEX"] = strconv.Itoa(index)
	}
	mounts := map[string]string{}
	for _, vm := range ctr.VolumeMounts {
		for _, v := range job.Spec.Template.Spec.Volumes {
			switch {
			case v.Name != vm.Name:
			case v.PersistentVolumeClaim != nil:
				mounts[vm.MountPath] = c.claims[v.PersistentVolumeClaim.ClaimName]
			case v.EmptyDir != nil:
				mounts[vm.MountPath] = t.TempDir()
			}
		}
	}
	local := func(s string) string {
		for mp, dir := range mounts {
			if s == mp || strings.HasPrefix(s, mp+"/") {
				return dir + strings.TrimPrefix(s, mp)
			}
		}
		return s
	}
	p := pod{env: map[string]string{"HOME": t.TempDir()}} // a pod has no ~/.aws
	for k, v := range env {
		p.env[k] = local(v)
	}
	for _, a := range ctr.Args {
		p.args = append(p.args, local(Expand(a, env)))
	}
	return p
}

// runJob runs the pods of the Job name as local processes, all at once, as its
// parallelism lets Kubernetes run them, and returns their results by index.
func (c *cluster) runJob(t *testing.T, name string) []result {
	t.Helper()
	job, ok := c.m.Jobs[name]
	if !ok {
		t.Fatalf("no Job %s", name)
	}
	var pods []pod
	if job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion {
		for i := range int(*job.Spec.Completions) {
			pods = append(pods, c.podOf(t, job, i))
		}
	} else {
		pods = append(pods, c.podOf(t, job, -1))
	}
	results := make([]result, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Go(func() { results[i] = run(t, p.env, p.args...) })
	}
	wg.Wait()
	return results
}

// mustRunJob runs the Job and fails the test unless every pod exits 0.
func (c *cluster) mustRunJob(t *testing.T, name string) []result {
	t.Helper()
	rs := c.runJob(t, name)
	for i, r := range rs {
		if r.code != 0 {
			t.Fatalf("Job %s, pod %d: exit %d\nstdout: %s\nstderr: %s", name, i, r.code, r.stdout, r.stderr)
		}
	}
	return rs
}

// makeTree writes n files of 1 KiB under dir, in 10 directories, and returns their
// relative paths.
func makeTree(t *testing.T, dir string, n int) []string {
	t.Helper()
	var rels []string
	for i := range n {
		rel := fmt.Sprintf("d%d/f%04d.bin", i%10, i)
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 1024)
		_, _ = rand.Read(data)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rels = append(rels, rel)
	}
	slices.Sort(rels)
	return rels
}

// The Jobs run as the README says, each pod a local process given its index as Kubernetes
// gives it, against a local versitygw: the sync Job's shards send the whole tree and the
// verify Job finds it all there (and finds an object that goes missing); the three steps of
// the huge-object case make one object of the file's bytes.
func TestJobsRunLocally(t *testing.T) {
	srv := startVersitygw(t)
	const bucket = "k8s-check"
	if r := srv.haul(t, "mb", "s3://"+bucket); r.code != 0 {
		t.Fatalf("haul mb: exit %d: %s", r.code, r.stderr)
	}

	t.Run("sync-and-verify", func(t *testing.T) {
		c := newCluster(t, srv, bucket)
		const files = 400
		rels := makeTree(t, c.claims["haul-data"], files)
		c.mustRunJob(t, "haul-sync")

		// One receipt per shard, named as the verify Job names them.
		sync := container(t, c.m.Jobs["haul-sync"])
		n, _, _ := ShardCount(sync.Args)
		receipt, _ := Flag(sync.Args, "--receipt")
		var want []string
		for i := range n {
			want = append(want, filepath.Base(ReceiptName(receipt, i, n)))
		}
		entries, err := os.ReadDir(c.claims["haul-receipts"])
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		if !slices.Equal(got, want) {
			t.Fatalf("the receipts volume holds %q, want %q", got, want)
		}

		dest := c.m.ConfigMaps["haul-config"].Data["HAUL_DEST"]
		r := srv.haul(t, "ls", "-r", dest)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 || len(lines) != files {
			t.Fatalf("haul ls -r %s: exit %d, %d lines, want %d objects\n%s", dest, r.code, len(lines), files, r.stderr)
		}
		c.mustRunJob(t, "haul-verify")

		// A pod of the sync Job run again (a retry of its index) finds nothing to send.
		if r := run(t, c.podOf(t, c.m.Jobs["haul-sync"], 3).env, c.podOf(t, c.m.Jobs["haul-sync"], 3).args...); r.code != 0 {
			t.Fatalf("shard 3 run again: exit %d\n%s", r.code, r.stderr)
		}

		// An object gone: the verify Job says so and fails.
		if r := srv.haul(t, "rm", dest+rels[0]); r.code != 0 {
			t.Fatalf("haul rm: exit %d: %s", r.code, r.stderr)
		}
		v := c.runJob(t, "haul-verify")[0]
		if v.code != 1 || !strings.Contains(v.stdout, rels[0]) {
			t.Errorf("verify after %s was removed: exit %d, want 1 and a line naming it\nstdout: %s\nstderr: %s", rels[0], v.code, v.stdout, v.stderr)
		}
	})

	t.Run("huge-object", func(t *testing.T) {
		c := newCluster(t, srv, bucket)
		cm := c.m.ConfigMaps["haul-config"].Data
		src, ok := strings.CutPrefix(cm["HAUL_HUGE_SOURCE"], "/data/")
		if !ok {
			t.Fatalf("HAUL_HUGE_SOURCE %q is not on the data volume (/data/)", cm["HAUL_HUGE_SOURCE"])
		}
		data := make([]byte, 64<<20) // 8 parts of haul's default 8 MiB: one per shard
		_, _ = rand.Read(data)
		if err := os.WriteFile(filepath.Join(c.claims["haul-data"], src), data, 0o644); err != nil {
			t.Fatal(err)
		}
		start := c.mustRunJob(t, "haul-huge-start")[0]
		id := strings.TrimSuffix(start.stdout, "\n")
		if id == "" || strings.ContainsAny(id, " \n") {
			t.Fatalf("the start Job's log (stdout) %q is not an upload ID alone", start.stdout)
		}
		// kubectl create configmap haul-upload --from-literal=HAUL_UPLOAD_ID="$(kubectl logs job/haul-huge-start)"
		c.set(t, "ConfigMap", "haul-upload", "HAUL_UPLOAD_ID", id)
		c.mustRunJob(t, "haul-huge-parts")
		c.mustRunJob(t, "haul-huge-complete")

		out := filepath.Join(t.TempDir(), "back")
		if r := srv.haul(t, "cp", cm["HAUL_HUGE_DEST"], out); r.code != 0 {
			t.Fatalf("haul cp of the object back: exit %d: %s", r.code, r.stderr)
		}
		back, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("the object (%d bytes) is not the file (%d bytes)", len(back), len(data))
		}
		if r := srv.haul(t, "uploads", "ls", "s3://"+bucket); strings.Contains(r.stdout, id) {
			t.Errorf("the upload %s is still listed as incomplete:\n%s", id, r.stdout)
		}
	})
}
