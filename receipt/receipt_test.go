package receipt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

func line(op, key string, size int64) Line {
	return Line{Op: op, URL: "s3://bkt/" + key, Bucket: "bkt", Key: key, Size: size, Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
}

func readAll(t *testing.T, path string) ([]Line, bool, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ls []Line
	torn, err := Read(f, func(l Line) error { ls = append(ls, l); return nil })
	return ls, torn, err
}

// A receipt is appended to, whole lines at a time, and a partial last line that a crash
// left is cut off before anything is appended after it.
func TestCreateAppendsAndCutsATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r")
	w, cut, err := Create(path)
	if err != nil || cut != 0 {
		t.Fatalf("Create = %d, %v", cut, err)
	}
	for _, k := range []string{"a", "b"} {
		if err := w.Write(line(Upload, k, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	partial := `{"op":"upload","url":"s3://bkt/c","bu`
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(partial)
	_ = f.Close()

	ls, torn, err := readAll(t, path)
	if err != nil || !torn || len(ls) != 2 {
		t.Fatalf("Read of a torn receipt = %d lines, torn %v, %v; want 2, true, nil", len(ls), torn, err)
	}
	w, cut, err = Create(path)
	if err != nil || cut != int64(len(partial)) {
		t.Fatalf("Create again = cut %d, %v; want %d", cut, err, len(partial))
	}
	if err := w.Write(line(Delete, "c", 0)); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	ls, torn, err = readAll(t, path)
	if err != nil || torn || len(ls) != 3 || ls[2].Op != Delete || ls[0].Key != "a" {
		t.Fatalf("after the rerun: %+v, torn %v, %v", ls, torn, err)
	}
}

// A file that is all partial line is cut to nothing.
func TestCreateCutsALoneTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r")
	if err := os.WriteFile(path, []byte(`{"op":`), 0o644); err != nil {
		t.Fatal(err)
	}
	w, cut, err := Create(path)
	if err != nil || cut != 6 {
		t.Fatalf("Create = %d, %v", cut, err)
	}
	_ = w.Close()
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Fatalf("size %d after the cut", fi.Size())
	}
}

func TestReadRefusesWhatIsNotAReceipt(t *testing.T) {
	good := `{"op":"upload","url":"s3://bkt/k","bucket":"bkt","key":"k","size":1,"time":"2026-12-01T10:00:00Z"}`
	for _, tc := range []struct {
		name, text string
		line       int // of the SyntaxError; 0: no error
		torn       bool
	}{
		{name: "good", text: good + "\n" + good + "\n"},
		{name: "no final newline", text: good + "\n" + good},
		{name: "torn last line", text: good + "\n" + good[:20], torn: true},
		{name: "bad last line with its newline", text: good + "\n" + good[:20] + "\n", line: 2},
		{name: "bad line in the middle", text: good + "\nnot json\n" + good + "\n", line: 2},
		{name: "unknown op", text: strings.Replace(good, `"upload"`, `"rename"`, 1) + "\n", line: 1},
		{name: "url and key differ", text: strings.Replace(good, `"key":"k"`, `"key":"x"`, 1) + "\n", line: 1},
		{name: "download to a stream, without a path", text: strings.Replace(good, `"upload"`, `"download"`, 1) + "\n"},
		{name: "two values on a line", text: good + good + "\n", line: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			torn, err := Read(strings.NewReader(tc.text), func(Line) error { return nil })
			var se *SyntaxError
			switch {
			case tc.line == 0 && err != nil:
				t.Fatalf("Read: %v", err)
			case tc.line != 0 && (!errors.As(err, &se) || se.Line != tc.line):
				t.Fatalf("Read = %v; want a SyntaxError at line %d", err, tc.line)
			case torn != tc.torn:
				t.Fatalf("torn = %v, want %v", torn, tc.torn)
			}
		})
	}
}

// The last line of an object stands; a download's line is its file's, apart from the
// object's own lines.
func TestLatestLineWins(t *testing.T) {
	up := line(Upload, "k", 1)
	up.Source = "/d/k"
	down := line(Download, "k", 1)
	down.Path, down.Source = "/out/k", down.URL
	again := line(Unchanged, "k", 2)
	again.Source = "/d/k"
	other := line(Upload, "a", 3)
	x, err := Collect(func(add func(Line) error) error {
		for _, l := range []Line{up, down, other, again} {
			if err := add(l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var got []Line
	if err := x.Each(func(l Line) bool { got = append(got, l); return true }); err != nil {
		t.Fatal(err)
	}
	// In the order of the ids: the download's file ("file:/out/k"), then the URLs.
	if len(got) != 3 || got[0] != down || got[1] != other || got[2] != again {
		t.Fatalf("lines %+v", got)
	}
	n := 0
	if err := x.Each(func(Line) bool { n++; return false }); err != nil || n != 1 {
		t.Fatalf("Each stopped by fn: %d lines, %v", n, err)
	}
}

func TestWriterKeepsItsFirstError(t *testing.T) {
	w := NewWriter(failing{})
	if err := w.Write(line(Upload, "a", 1)); err == nil {
		t.Fatal("a failed write returned nil")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close forgot the failed write")
	}
	var buf bytes.Buffer
	w = NewWriter(&buf)
	_ = w.Write(line(Upload, "a", 1))
	if !strings.HasSuffix(buf.String(), "}\n") || strings.Count(buf.String(), "\n") != 1 {
		t.Fatalf("wrote %q", buf.String())
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestContent(t *testing.T) {
	l := line(Upload, "k", 5)
	if _, ok := l.Content(); ok {
		t.Fatal("a line with neither checksum nor ETag has content to check")
	}
	l.ETag = "0123456789abcdef0123456789abcdef-2"
	if _, ok := l.Content(); ok {
		t.Fatal("a multipart ETag taken for an MD5")
	}
	l.ETag = "5d41402abc4b2a76b9719d911017c592" // md5("hello")
	c, ok := l.Content()
	h := c.New()
	h.Write([]byte("hello"))
	if !ok || c.Algorithm != object.ChecksumMD5 || c.Sum(h) != l.ETag {
		t.Fatalf("MD5 ETag: %+v, %v, sum %s", c, ok, c.Sum(h))
	}
	sum := object.Sum(object.ChecksumCRC32C, []byte("hello"))
	l.ChecksumAlgorithm, l.Checksum = sum.Algorithm, sum.Value
	c, ok = l.Content()
	h = c.New()
	h.Write([]byte("hello"))
	if !ok || c.Algorithm != object.ChecksumCRC32C || c.Sum(h) != sum.Value {
		t.Fatalf("CRC32C: %+v, %v, sum %s", c, ok, c.Sum(h))
	}
}

func TestCompare(t *testing.T) {
	mtime := time.Date(2026, 11, 30, 8, 0, 0, 123, time.UTC)
	crc := object.Sum(object.ChecksumCRC32C, []byte("hello"))
	up := line(Upload, "k", 5)
	up.ETag, up.ChecksumAlgorithm, up.Checksum = "5d41402abc4b2a76b9719d911017c592", crc.Algorithm, crc.Value
	down := up
	down.Op, down.Path, down.Mtime = Download, "/out/k", mtime
	del := line(Delete, "k", 5)
	obj := Found{Exists: true, Size: 5, ETag: up.ETag, Checksums: []object.Checksum{crc}}
	file := Found{Exists: true, Size: 5, Mtime: mtime}
	with := func(f Found, change func(*Found)) Found { change(&f); return f }
	for _, tc := range []struct {
		name string
		l    Line
		f    Found
		want string // Kind: Detail, or "" for none
	}{
		{"upload as recorded", up, obj, ""},
		{"upload missing", up, Found{}, "missing"},
		{"upload of another size", up, with(obj, func(f *Found) { f.Size = 6 }), "changed: size 6 != receipt 5"},
		{"upload with another ETag", up, with(obj, func(f *Found) { f.ETag = "x" }), "changed: etag x != receipt " + up.ETag},
		{"upload with another checksum", up, with(obj, func(f *Found) { f.Checksums = []object.Checksum{{Algorithm: crc.Algorithm, Value: "AAAAAA=="}} }),
			"changed: checksum CRC32C AAAAAA== != receipt " + crc.Value},
		{"a checksum of another algorithm is not compared", up, with(obj, func(f *Found) { f.Checksums = []object.Checksum{{Algorithm: "SHA256", Value: "x"}} }), ""},
		{"bytes read back that differ", up, with(obj, func(f *Found) { f.Read = "AAAAAA==" }), "changed: content CRC32C AAAAAA== != receipt " + crc.Value},
		{"bytes read back as recorded", up, with(obj, func(f *Found) { f.Read = crc.Value }), ""},
		{"bytes that fail the object's own check", up, with(obj, func(f *Found) { f.Corrupt = "content: bad" }), "changed: content: bad"},
		{"deleted and gone", del, Found{}, ""},
		{"deleted but there", del, obj, "not deleted"},
		{"download as recorded", down, file, ""},
		{"download's file gone", down, Found{}, "missing"},
		{"download's file of another mtime", down, with(file, func(f *Found) { f.Mtime = mtime.Add(time.Second) }),
			"changed: mtime 2026-11-30T08:00:01.000000123Z != receipt 2026-11-30T08:00:00.000000123Z"},
		{"download's file rewritten, seen by reading it", down, with(file, func(f *Found) { f.Read = "AAAAAA==" }), "changed: content CRC32C AAAAAA== != receipt " + crc.Value},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.l.Compare(tc.f)
			got := ""
			if d != nil {
				got = d.Kind
				if d.Detail != "" {
					got += ": " + d.Detail
				}
			}
			if got != tc.want {
				t.Fatalf("Compare = %q, want %q", got, tc.want)
			}
		})
	}
}

// latest collects ls in order and returns the last line of each object.
func latest(t *testing.T, ls ...Line) []Line {
	t.Helper()
	x, err := Collect(func(add func(Line) error) error {
		for _, l := range ls {
			if err := add(l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var got []Line
	if err := x.Each(func(l Line) bool { got = append(got, l); return true }); err != nil {
		t.Fatal(err)
	}
	return got
}

// A sync's unchanged line without a checksum takes the one an earlier line of the same
// object recorded, through a chain of such lines, when size and ETag are the same.
func TestLatestInheritsTheChecksum(t *testing.T) {
	up := line(Upload, "k", 5)
	up.ETag, up.ChecksumAlgorithm, up.Checksum = "abc-2", object.ChecksumCRC32C, "AAAAAA=="
	same := line(Unchanged, "k", 5)
	same.ETag = "ABC-2"
	other := same
	other.ETag = "def-2"
	for _, c := range []struct {
		name  string
		lines []Line
		want  string
	}{
		{"unchanged after the upload", []Line{up, same}, up.Checksum},
		{"two unchanged after the upload", []Line{up, same, same}, up.Checksum},
		{"unchanged alone", []Line{same}, ""},
		{"another ETag", []Line{up, other}, ""},
		{"another ETag between", []Line{up, other, same}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := latest(t, c.lines...)
			if len(got) != 1 || got[0].Checksum != c.want || got[0].Op != Unchanged {
				t.Fatalf("latest %+v, want an unchanged line with checksum %q", got, c.want)
			}
			if c.want != "" && got[0].ChecksumAlgorithm != up.ChecksumAlgorithm {
				t.Errorf("algorithm %q", got[0].ChecksumAlgorithm)
			}
		})
	}
}

// The line done last stands, whatever order the receipts are given in; of lines done at
// the same time, the last given.
func TestLatestByTime(t *testing.T) {
	early, late := line(Upload, "k", 1), line(Upload, "k", 2)
	late.Time = early.Time.Add(time.Second)
	same := line(Upload, "k", 3)
	same.Time = late.Time
	for _, c := range []struct {
		name  string
		lines []Line
		want  int64
	}{
		{"in order", []Line{early, late}, 2},
		{"later file first", []Line{late, early}, 2},
		{"same time: the last given", []Line{early, late, same}, 3},
		{"same time, other order", []Line{same, late, early}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := latest(t, c.lines...); len(got) != 1 || got[0].Size != c.want {
				t.Fatalf("latest %+v, want the line of size %d", got, c.want)
			}
		})
	}
}

// A move retires its source's line: haul mv a b, then haul mv b c leaves b's line retired
// (not to be found), unless b was written again after.
func TestLatestMoveRetiresItsSource(t *testing.T) {
	b := line(Upload, "b", 1)
	b.Source = "/d/a"
	c := line(Copy, "c", 1)
	c.Source, c.Moved, c.Time = b.URL, true, b.Time.Add(time.Second)
	down := line(Download, "c", 1)
	down.Source, down.Path, down.Moved, down.Time = c.URL, "/out/c", true, c.Time.Add(time.Second)
	again := line(Upload, "b", 2)
	again.Source, again.Time = "/d/a", c.Time.Add(time.Minute)
	byKey := func(ls []Line) map[string]Line {
		m := map[string]Line{}
		for _, l := range ls {
			m[l.Key+":"+l.Path] = l
		}
		return m
	}

	got := byKey(latest(t, b, c))
	if len(got) != 2 || !got["b:"].Retired() || got["b:"].Source != "/d/a" || got["c:"].Retired() {
		t.Fatalf("mv b c: %+v; want b's line retired, c's not", got)
	}
	got = byKey(latest(t, c, down, b)) // in any order: by time
	if len(got) != 3 || !got["b:"].Retired() || !got["c:"].Retired() || got["c:/out/c"].Retired() {
		t.Fatalf("mv b c, mv c /out/c: %+v; want b's and c's lines retired", got)
	}
	got = byKey(latest(t, b, c, again))
	if len(got) != 2 || got["b:"].Retired() || got["b:"].Size != 2 {
		t.Fatalf("b written again after the move: %+v; want its new line, not retired", got)
	}
	if got := latest(t, c); len(got) != 1 || got[0].Key != "c" {
		t.Fatalf("a move whose source has no line: %+v; want only its own line", got)
	}
}
