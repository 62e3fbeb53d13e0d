package localfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenReadsAndNamesWhatIsMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("haul"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3)
	if n, err := f.ReadAt(b, 1); n != 3 || string(b) != "aul" {
		t.Fatalf("ReadAt: %q, %v", b[:n], err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(p + ".missing")
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != p+".missing" {
		t.Fatalf("a missing file: %v, want a PathError naming it that is ErrNotExist", err)
	}
}

func TestCreateTempMakesANewHiddenFileBesideTheTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "report.csv")
	seen := map[string]bool{}
	for range 3 {
		f, err := CreateTemp(target)
		if err != nil {
			t.Fatal(err)
		}
		name := f.Name()
		if _, err := f.WriteString("x"); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if filepath.Dir(name) != dir || !strings.HasPrefix(filepath.Base(name), ".report.csv.haul-") || !strings.HasSuffix(name, ".tmp") {
			t.Errorf("temp %s: want .report.csv.haul-*.tmp in %s", name, dir)
		}
		if seen[name] {
			t.Errorf("temp %s given twice", name)
		}
		seen[name] = true
	}
}
