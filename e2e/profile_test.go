package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// HAUL_CPUPROFILE and HAUL_MEMPROFILE make haul write runtime/pprof profiles (gzipped
// protocol buffers) of the command, which still does its work and exits as it would; a
// profile that cannot be written is said on stderr and changes nothing else.
func TestProfilesWrittenWhenAsked(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	bucket := srv.NewBucket(t)
	src := t.TempDir()
	for i := range 20 {
		randomFile(t, filepath.Join(src, fmt.Sprintf("d%d", i%3), fmt.Sprintf("f%02d", i)), 100)
	}
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	cmd := haulCmd(t, srv, "cp", "-r", src, "s3://"+bucket+"/p/")
	cmd.Env = append(cmd.Env, "HAUL_CPUPROFILE="+cpu, "HAUL_MEMPROFILE="+mem)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("haul cp -r with profiles: %v\n%s", err, out)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s is not a pprof profile (gzip): %v", filepath.Base(p), err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil || len(raw) == 0 {
			t.Fatalf("%s: %d bytes unpacked, %v", filepath.Base(p), len(raw), err)
		}
		if filepath.Base(p) == "mem.pprof" && !bytes.Contains(raw, []byte("inuse_space")) {
			t.Errorf("mem.pprof is not a heap profile (no inuse_space)")
		}
	}
	if got := len(keys(t, srv, bucket, "p/")); got != 20 {
		t.Fatalf("uploaded %d objects with profiling on, want 20", got)
	}

	// A profile that cannot be written: said on stderr, the command's exit code is its own.
	r := haulWithEnv(t, srv, []string{"HAUL_CPUPROFILE=" + filepath.Join(dir, "no", "such", "dir", "cpu")}, "ls", "s3://"+bucket+"/p/")
	if r.code != 0 || !bytes.Contains([]byte(r.stderr), []byte("HAUL_CPUPROFILE")) {
		t.Fatalf("haul ls with an unwritable HAUL_CPUPROFILE: exit %d, stderr %q; want 0 and a word about it", r.code, r.stderr)
	}
}

// haulWithEnv is haul with env added to the command's environment.
func haulWithEnv(t *testing.T, srv *s3test.Server, env []string, args ...string) result {
	t.Helper()
	cmd := haulCmd(t, srv, args...)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(interface{ ExitCode() int })
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return result{out.String(), errb.String(), code}
}
