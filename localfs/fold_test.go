package localfs

import (
	"os"
	"runtime"
	"testing"
)

func TestCaseInsensitiveProbe(t *testing.T) {
	dir := t.TempDir()
	got, err := CaseInsensitive(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The temp directories of the platforms CI runs on: Linux's are case-sensitive.
	if runtime.GOOS == "linux" && got {
		t.Fatalf("%s reported case-insensitive on Linux", dir)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the probe left %s behind", entries[0].Name())
	}
}
