package s3test

import (
	"regexp"
	"strings"
	"testing"
)

func TestBucketName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	long := "TestSomething/" + strings.Repeat("Very_Long_Subtest_Name/", 5)
	for _, name := range []string{"TestFoo", "TestFoo/minio", "Test", "TestA__B//C", long} {
		got := bucketName(name)
		if !valid.MatchString(got) || strings.Contains(got, "--") {
			t.Errorf("bucketName(%q) = %q, not a valid bucket name", name, got)
		}
	}
	if first, second := bucketName("TestFoo"), bucketName("TestFoo"); first == second {
		t.Error("bucketName is not unique")
	}
}
