package journal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haul-s3/haul/object"
)

func open(t *testing.T, path string) *Journal {
	t.Helper()
	j, err := Open(path, Header{Args: []string{"cp", "a", "s3://b/a"}})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestRecordsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "run.journal")
	j := open(t, path)
	fp := Fingerprint{Size: 100, MtimeNs: 7, Inode: 9}
	must(t, j.StartUpload(Upload{Bucket: "b", Key: "k", UploadID: "u1", Source: fp, PartSize: 5}))
	must(t, j.PartDone("b", "k", "u1", object.Part{Number: 1, ETag: `"e1"`, Size: 5, Checksum: object.Checksum{Algorithm: "CRC32C", Value: "4waSgw=="}}))
	must(t, j.PartDone("b", "k", "other-upload", object.Part{Number: 2, ETag: "x", Size: 5}))
	must(t, j.UploadDone("b", "small", fp))
	must(t, j.StartDownload("/t/file", Download{Bucket: "b", Key: "k", ETag: "e", Size: 10, Temp: "/t/.file.tmp", PartSize: 5}))
	must(t, j.RangeDone("/t/file", 0, 5))
	must(t, j.Close())

	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	j = open(t, path)
	defer j.Close()
	u, ok := j.Upload("b", "k")
	if !ok || u.UploadID != "u1" || u.Source != fp || len(u.Parts) != 1 || u.Parts[1].ETag != `"e1"` || u.Parts[1].Checksum.Value != "4waSgw==" {
		t.Fatalf("upload read back as %+v", u)
	}
	if !j.Uploaded("b", "small", fp) || j.Uploaded("b", "small", Fingerprint{Size: 101}) {
		t.Fatal("finished upload not recognised, or recognised for a changed file")
	}
	d, ok := j.Download("/t/file")
	if !ok || d.Ranges[0] != 5 || d.Temp != "/t/.file.tmp" {
		t.Fatalf("download read back as %+v", d)
	}
	if j.Header().Args[0] != "cp" || j.Header().Version != Version {
		t.Fatalf("header %+v", j.Header())
	}
}

func TestTornLastRecordIsIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.journal")
	j := open(t, path)
	must(t, j.StartUpload(Upload{Bucket: "b", Key: "k", UploadID: "u1", PartSize: 5}))
	must(t, j.PartDone("b", "k", "u1", object.Part{Number: 1, ETag: "e1", Size: 5}))
	must(t, j.Close())
	// A kill -9 in the middle of the next write leaves half a line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"op":"part","bucket":"b","key":"k","upload_id":"u1","part":2,"et`)
	f.Close()

	j = open(t, path)
	u, _ := j.Upload("b", "k")
	if len(u.Parts) != 1 {
		t.Fatalf("%d parts after a torn record, want 1", len(u.Parts))
	}
	must(t, j.PartDone("b", "k", "u1", object.Part{Number: 2, ETag: "e2", Size: 5}))
	must(t, j.Close())
	j = open(t, path) // the torn bytes were dropped, so the new record reads back cleanly
	defer j.Close()
	if u, _ := j.Upload("b", "k"); len(u.Parts) != 2 {
		t.Fatalf("%d parts, want 2", len(u.Parts))
	}
}

func TestDamagedJournalsAreRefusedClearly(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not a journal", "hello world\n", "not a haul journal"},
		{"older format", `{"format":"haul-journal","version":0}` + "\n", "version 0 is not supported"},
		{"newer format", `{"format":"haul-journal","version":99}` + "\n", "version 99 is not supported"},
		{"damaged middle", `{"format":"haul-journal","version":1}` + "\n" + "{garbage\n" + `{"op":"forget"}` + "\n", "line 2 is damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run.journal")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(path, Header{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if got, _ := os.ReadFile(path); string(got) != tt.content {
				t.Fatal("a refused journal was changed")
			}
		})
	}
}

func TestSecondOpenIsRefusedWhileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.journal")
	j := open(t, path)
	_, err := Open(path, Header{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	must(t, j.Close())
	j2 := open(t, path)
	must(t, j2.Remove())
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("Remove left the file")
	}
}

func TestInspect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.journal")
	j := open(t, path)
	h, err := Inspect(path) // works while another process holds the lock
	if err != nil || h.Args[1] != "a" {
		t.Fatalf("ReadHeader: %+v, %v", h, err)
	}
	must(t, j.Close())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
