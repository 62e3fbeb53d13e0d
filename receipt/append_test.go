package receipt

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Two runs that write one receipt at once append to it: neither writes over the other's
// lines.
func TestCreateTwiceAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r")
	a, _, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := a.Write(line(Upload, "a", int64(i))); err != nil {
			t.Fatal(err)
		}
		if err := b.Write(line(Delete, "bb", int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := errorsJoin(a.Close(), b.Close()); err != nil {
		t.Fatal(err)
	}
	ls, torn, err := readAll(t, path)
	if err != nil || torn || len(ls) != 6 {
		t.Fatalf("two writers: %d lines, torn %v, %v; want 6 whole lines", len(ls), torn, err)
	}
	for i, l := range ls {
		if want := []string{"a", "bb"}[i%2]; l.Key != want || l.Size != int64(i/2) {
			t.Errorf("line %d: %+v, want key %s, size %d", i, l, want, i/2)
		}
	}
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// A last line that lacks only its newline is a whole line: it is kept, and the next line
// goes after it.
func TestCreateKeepsAWholeLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r")
	w, _, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write(line(Upload, "a", 1))
	_ = w.Write(line(Upload, "b", 2))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:len(data)-1], 0o644); err != nil { // b's line, without its newline
		t.Fatal(err)
	}
	w, cut, err := Create(path)
	if err != nil || cut != 0 {
		t.Fatalf("Create = cut %d, %v; want 0, nil", cut, err)
	}
	_ = w.Write(line(Upload, "c", 3))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ls, torn, err := readAll(t, path)
	if err != nil || torn || len(ls) != 3 || ls[1].Key != "b" || ls[2].Key != "c" {
		t.Fatalf("lines %+v, torn %v, %v; want a, b and c", ls, torn, err)
	}
}

// Every time is written in UTC, whatever zone it came in.
func TestWriteTimesInUTC(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	zone := time.FixedZone("UTC+1", 3600)
	l := line(Download, "k", 1)
	l.Path = "/out/k"
	l.Time = time.Date(2026, 12, 1, 11, 0, 0, 0, zone)
	l.Mtime = time.Date(2026, 11, 30, 9, 30, 0, 5, zone)
	l.SourceMtime = l.Mtime
	if err := w.Write(l); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{`"time":"2026-12-01T10:00:00Z"`, `"mtime":"2026-11-30T08:30:00.000000005Z"`, `"source_mtime":"2026-11-30T08:30:00.000000005Z"`} {
		if !strings.Contains(got, want) {
			t.Errorf("no %s in %s", want, got)
		}
	}
	if strings.Contains(got, "+01:00") {
		t.Errorf("a time in local time: %s", got)
	}
}
