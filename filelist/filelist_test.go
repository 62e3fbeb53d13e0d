package filelist

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// all reads every entry of r.
func all(t *testing.T, r *Reader) []Entry {
	t.Helper()
	var es []Entry
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return es
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		es = append(es, e)
	}
}

func names(es []Entry) []string {
	var ns []string
	for _, e := range es {
		ns = append(ns, e.Name)
	}
	return ns
}

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nul   bool
		in    string
		want  []string
		lines []int
	}{
		{name: "lines", in: "a\nb/c\n", want: []string{"a", "b/c"}, lines: []int{1, 2}},
		{name: "no final newline", in: "a\nb", want: []string{"a", "b"}, lines: []int{1, 2}},
		{name: "CRLF", in: "a\r\nb c\r\nd\r", want: []string{"a", "b c", "d"}},
		{name: "only the last CR goes", in: "a\r\r\n", want: []string{"a\r"}},
		{name: "blank lines and comments", in: "\n# a comment\n\nx\n#\n\r\n", want: []string{"x"}, lines: []int{4}},
		{name: "spaces are kept", in: "  lead\ntrail  \n # not a comment\n\t\n", want: []string{"  lead", "trail  ", " # not a comment", "\t"}},
		{name: "a # inside a name", in: "a#b\n", want: []string{"a#b"}},
		{name: "plus and non-ASCII", in: "a+b\ncafé/ü ñ.txt\n日本\n", want: []string{"a+b", "café/ü ñ.txt", "日本"}},
		{name: "empty", in: "", want: nil},
		{name: "only newlines", in: "\n\n\n", want: nil},
		{name: "NUL", nul: true, in: "a\x00b\nc\x00", want: []string{"a", "b\nc"}, lines: []int{1, 2}},
		{name: "NUL keeps # CR and spaces", nul: true, in: "#x\x00 y \x00z\r\x00", want: []string{"#x", " y ", "z\r"}},
		{name: "NUL passes empty entries over", nul: true, in: "\x00\x00a\x00\x00b", want: []string{"a", "b"}, lines: []int{3, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Lines(strings.NewReader(tc.in))
			if tc.nul {
				r = NULs(strings.NewReader(tc.in))
			}
			es := all(t, r)
			if got := names(es); strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("names %q, want %q", got, tc.want)
			}
			for i, l := range tc.lines {
				if es[i].Line != l {
					t.Errorf("entry %d: line %d, want %d", i, es[i].Line, l)
				}
			}
			for _, e := range es {
				if e.Err != nil {
					t.Errorf("entry %q: %v", e.Name, e.Err)
				}
			}
		})
	}
}

// A line longer than the reader's buffer is read whole; one longer than MaxEntry is an
// entry with ErrTooLong, and the list goes on after it.
func TestReaderLongLines(t *testing.T) {
	long := strings.Repeat("x", 10000) + " y"
	tooLong := strings.Repeat("z", MaxEntry+1)
	justFits := strings.Repeat("w", MaxEntry)
	in := "a\n" + long + "\r\n" + tooLong + "\n" + justFits + "\r\nb\n" + tooLong
	es := all(t, Lines(iotest.HalfReader(strings.NewReader(in))))
	if len(es) != 6 {
		t.Fatalf("%d entries, want 6", len(es))
	}
	if es[0].Name != "a" || es[1].Name != long || es[3].Name != justFits || es[4].Name != "b" {
		t.Errorf("names %q.. %d bytes, %d bytes, %q", es[0].Name, len(es[1].Name), len(es[3].Name), es[4].Name)
	}
	for _, i := range []int{2, 5} {
		if !errors.Is(es[i].Err, ErrTooLong) || es[i].Name != "" || es[i].Line != i+1 {
			t.Errorf("entry %d: %+v, want ErrTooLong at line %d", i, es[i], i+1)
		}
	}
	for _, i := range []int{0, 1, 3, 4} {
		if es[i].Err != nil || es[i].Line != i+1 {
			t.Errorf("entry %d: line %d, err %v", i, es[i].Line, es[i].Err)
		}
	}
}

// A list that cannot be read ends with the reader's error, after the entries before it.
func TestReaderError(t *testing.T) {
	boom := errors.New("boom")
	r := Lines(io.MultiReader(strings.NewReader("a\nb\n"), iotest.ErrReader(boom)))
	for _, want := range []string{"a", "b"} {
		e, err := r.Next()
		if err != nil || e.Name != want {
			t.Fatalf("Next = %q, %v; want %q", e.Name, err, want)
		}
	}
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Fatalf("Next = %v, want boom", err)
	}
}

// A long list streams: reading a million lines keeps one entry, not the list.
func TestReaderStreams(t *testing.T) {
	const n = 1_000_000
	pr, pw := io.Pipe()
	go func() {
		line := []byte("dir/some file name.txt\n")
		for range n {
			if _, err := pw.Write(line); err != nil {
				return
			}
		}
		pw.Close()
	}()
	r := Lines(pr)
	count := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != n {
		t.Fatalf("%d entries, want %d", count, n)
	}
	if cap(r.buf) > 64<<10 {
		t.Errorf("the reader holds %d bytes", cap(r.buf))
	}
}

func TestEntryError(t *testing.T) {
	e := &EntryError{Line: 3, Name: "../x", Err: errors.New("refused")}
	if got, want := e.Error(), `entry 3 of the list ("../x"): refused`; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	e = &EntryError{Line: 4, Err: ErrTooLong}
	if !errors.Is(e, ErrTooLong) || !strings.Contains(e.Error(), "entry 4 of the list: longer than") {
		t.Errorf("%q", e.Error())
	}
}
