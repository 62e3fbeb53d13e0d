package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// The README's library example is examples/upload/main.go, word for word, and it runs: it
// uploads a directory with static keys given in s3store.Config (no AWS_* variables), and
// the objects arrive with the metadata it sets.
func TestReadmeLibraryExample(t *testing.T) {
	src, err := os.ReadFile("../examples/upload/main.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	code := string(src[strings.Index(string(src), "package main"):])
	if !strings.Contains(string(readme), "```go\n"+code+"```\n") {
		t.Fatal("README.md's library example is not examples/upload/main.go as it is: copy the file into the README")
	}

	srv := s3test.Shared(t, "versitygw")
	bucket := srv.NewBucket(t)
	bin := filepath.Join(t.TempDir(), "upload")
	build := exec.Command("go", "build", "-o", bin, "github.com/haul-s3/haul/examples/upload")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the example: %v\n%s", err, out)
	}
	dir := smallTree(t, 5)
	cmd := exec.Command(bin, srv.Endpoint, dir, bucket+"/ex/")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_REGION=" + srv.Region, "EXAMPLE_ACCESS_KEY=" + srv.AccessKey, "EXAMPLE_SECRET_KEY=" + srv.SecretKey}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "5 done, 0 failed, 0 not done") {
		t.Fatalf("example: %v\n%s", err, out)
	}
	key := "ex/f00.log"
	head, err := srv.Client(t).HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil || head.Metadata["source"] != "example" {
		t.Fatalf("uploaded object: %v, metadata %v", err, head.Metadata)
	}
}
