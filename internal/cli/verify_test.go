package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/receipt"
)

// writeReceipt writes ls to a receipt file in a temporary directory.
func writeReceipt(t *testing.T, ls ...receipt.Line) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.receipt")
	w, _, err := receipt.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if err := w.Write(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// localFile writes content to a new file and returns its path and mtime.
func localFile(t *testing.T, name, content string) (string, time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, fi.ModTime()
}

// downloadLine is the receipt line of a download of s3://bkt/key to path.
func downloadLine(key, path string, size int64, mtime time.Time) receipt.Line {
	return receipt.Line{Op: receipt.Download, URL: "s3://bkt/" + key, Bucket: "bkt", Key: key, Size: size, Path: path, Mtime: mtime,
		Source: "s3://bkt/" + key, Time: time.Now().UTC()}
}

// runVerify runs haul verify with f on files and returns its exit error, stdout and stderr.
func runVerify(t *testing.T, f verifyFlags, json bool, files ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, json: json}
	if f.concurrency == 0 {
		f.concurrency = 2
	}
	err = a.verify(t.Context(), &f, files)
	return out.String(), errOut.String(), err
}

// --deep says how many lines it could not read-check (no checksum recorded), and does not
// count them as checked.
func TestVerifyDeepSaysWhatItCouldNotRead(t *testing.T) {
	a, am := localFile(t, "a", "hello")
	b, bm := localFile(t, "b", "world")
	sum := crc32.Checksum([]byte("hello"), crc32.MakeTable(crc32.Castagnoli))
	la := downloadLine("a", a, 5, am)
	la.ETag, la.ChecksumAlgorithm = "e1", object.ChecksumCRC32C
	la.Checksum = base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	lb := downloadLine("b", b, 5, bm)
	lb.ETag = "0123456789abcdef0123456789abcdef-2" // a multipart ETag: no checksum of the bytes
	rc := writeReceipt(t, la, lb)

	stdout, stderr, err := runVerify(t, verifyFlags{deep: true}, false, rc)
	if err != nil || stdout != "" {
		t.Fatalf("verify --deep: %v\n%s%s", err, stdout, stderr)
	}
	if !strings.Contains(stderr, "1 object checked") || !strings.Contains(stderr, "1 not read-checked: no checksum recorded") {
		t.Errorf("summary: %s", stderr)
	}
	stdout, _, err = runVerify(t, verifyFlags{deep: true}, true, rc)
	var ev struct {
		Objects        *int `json:"objects"`
		NotReadChecked *int `json:"not_read_checked"`
	}
	if err != nil || json.Unmarshal([]byte(strings.TrimSpace(stdout)), &ev) != nil || ev.Objects == nil || *ev.Objects != 1 ||
		ev.NotReadChecked == nil || *ev.NotReadChecked != 1 {
		t.Errorf("verify --deep --json: %v, %s", err, stdout)
	}
	// Without --deep, nothing is read: both are checked by their size and mtime.
	_, stderr, err = runVerify(t, verifyFlags{}, false, rc)
	if err != nil || !strings.Contains(stderr, "2 objects checked") || strings.Contains(stderr, "read-checked") {
		t.Errorf("verify: %v, %s", err, stderr)
	}
}

// An ETag of 32 hex digits is taken for the MD5 of the bytes only where that was shown
// (the download checked it: verified md5): under SSE-KMS or SSE-C it is not one, and a
// mismatch is no difference, only a line not read-checked.
func TestVerifyDeepETagNotProvenMD5(t *testing.T) {
	for _, c := range []struct {
		verified string
		want     string // in the summary
		diff     bool
	}{
		{"md5", "1 difference", true},
		{"none", "1 not read-checked", false},
		{"", "1 not read-checked", false},
	} {
		t.Run("verified "+c.verified, func(t *testing.T) {
			path, mtime := localFile(t, "a", "hello")
			l := downloadLine("a", path, 5, mtime)
			l.ETag, l.Verified = "0123456789abcdef0123456789abcdef", c.verified // not the MD5 of hello
			stdout, stderr, err := runVerify(t, verifyFlags{deep: true}, false, writeReceipt(t, l))
			if (err != nil) != c.diff || strings.Contains(stdout, "changed: "+path+": content") != c.diff || !strings.Contains(stderr, c.want) {
				t.Errorf("verify --deep: %v\n%s%s", err, stdout, stderr)
			}
		})
	}
	// The ETag that is the MD5 proves the bytes, whatever the line says of the download.
	path, mtime := localFile(t, "a", "hello")
	l := downloadLine("a", path, 5, mtime)
	l.ETag = "5d41402abc4b2a76b9719d911017c592" // md5("hello")
	if _, stderr, err := runVerify(t, verifyFlags{deep: true}, false, writeReceipt(t, l)); err != nil || !strings.Contains(stderr, "1 object checked") {
		t.Errorf("verify --deep of a file whose MD5 is the ETag: %v, %s", err, stderr)
	}
}
