package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// say is one call of an output method.
type say func(o *output)

func TestOutputText(t *testing.T) {
	failure := errors.New("DeleteObjects s3://b/k: AccessDenied")
	listed := func(o *output) { o.listed(event{Event: "object", Key: "k"}, "k 1 B") }
	did := func(o *output) { o.did(event{Event: "deleted", Dst: "s3://b/k"}, "delete: s3://b/k") }
	failed := func(o *output) { o.failed(event{Op: "delete", Dst: "s3://b/k"}, failure) }
	note := func(o *output) { o.note(event{Src: "s3://b/p/"}, "no objects under s3://b/p/") }
	failingNote := func(o *output) { o.failingNote(event{Src: "s3://b/p/"}, "no objects under s3://b/p/") }
	summary := func(ev event, err error) say {
		return func(o *output) { o.summary(ev, "3 deleted", err) }
	}
	deleted := event{Deleted: new(3), Failed: new(0)}
	tests := []struct {
		name           string
		quiet          bool
		say            say
		stdout, stderr string
	}{
		{"listed", false, listed, "k 1 B\n", ""},
		{"listed with --quiet", true, listed, "k 1 B\n", ""},
		{"did", false, did, "delete: s3://b/k\n", ""},
		{"did with --quiet", true, did, "", ""},
		{"failed", false, failed, "", "failed: DeleteObjects s3://b/k: AccessDenied\n"},
		{"failed with --quiet", true, failed, "", "failed: DeleteObjects s3://b/k: AccessDenied\n"},
		{"note", false, note, "", "note: no objects under s3://b/p/\n"},
		{"note with --quiet", true, note, "", ""},
		{"failing note with --quiet", true, failingNote, "", "note: no objects under s3://b/p/\n"},
		{"summary", false, summary(deleted, nil), "", "summary: 3 deleted\n"},
		{"summary with --quiet", true, summary(deleted, nil), "", ""},
		{"summary with --quiet and a failure", true, summary(event{Deleted: new(3), Failed: new(1)}, errReported), "", "summary: 3 deleted\n"},
		{"summary with --quiet, interrupted", true, summary(event{Deleted: new(0)}, context.Canceled), "", "summary: 3 deleted\n"},
		{"summary after an error, something done", false, summary(deleted, failure), "", "summary: 3 deleted\n"},
		{"no summary after an error, nothing done", false, summary(event{Deleted: new(0), Failed: new(0)}, failure), "", ""},
		{"warning with --quiet", true, func(o *output) { o.warning("2 uploads of unknown size") }, "", "warning: 2 uploads of unknown size\n"},
		{"no summary without text", false, func(o *output) { o.summary(deleted, "", nil) }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			tt.say(&output{quiet: tt.quiet, stdout: &stdout, stderr: &stderr, mu: new(sync.Mutex)})
			if stdout.String() != tt.stdout || stderr.String() != tt.stderr {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tt.stdout, tt.stderr)
			}
		})
	}
}

func TestOutputJSON(t *testing.T) {
	failure := errors.New("ListObjectsV2 s3://b: NoSuchBucket")
	tests := []struct {
		name string
		say  say
		want string
	}{
		{"listed", func(o *output) {
			o.listed(event{Event: "object", Key: "k", Size: new(int64(0)), ETag: "e", LastModified: "2026-01-02T03:04:05Z"}, "text")
		}, `{"event":"object","key":"k","size":0,"etag":"e","last_modified":"2026-01-02T03:04:05Z"}`},
		{"did, with --quiet too", func(o *output) { o.quiet = true; o.did(event{Event: "created", Bucket: "b"}, "text") },
			`{"event":"created","bucket":"b"}`},
		{"failed", func(o *output) { o.failed(event{Op: "delete", Dst: "s3://b/k"}, failure) },
			`{"event":"failed","op":"delete","dst":"s3://b/k","error":"ListObjectsV2 s3://b: NoSuchBucket"}`},
		{"note", func(o *output) { o.note(event{Src: "s3://b/p/"}, "no objects under s3://b/p/") },
			`{"event":"note","src":"s3://b/p/","message":"no objects under s3://b/p/"}`},
		{"summary: a zero count is printed", func(o *output) {
			o.summary(event{Objects: new(0), Prefixes: new(2), Bytes: new(int64(0))}, "", nil)
		}, `{"event":"summary","bytes":0,"objects":0,"prefixes":2}`},
		{"summary of failures that were reported", func(o *output) { o.summary(event{Failed: new(1)}, "", errReported) },
			`{"event":"summary","failed":1}`},
		{"summary after an error", func(o *output) { o.summary(event{Objects: new(0)}, "", failure) },
			`{"event":"summary","error":"ListObjectsV2 s3://b: NoSuchBucket","objects":0}`},
		{"summary after an error that was printed", func(o *output) {
			o.summary(event{Objects: new(0)}, "", reported{errors.New("no objects under s3://b/p/")})
		}, `{"event":"summary","error":"no objects under s3://b/p/","objects":0}`},
		{"summary when interrupted", func(o *output) { o.summary(event{Done: new(1)}, "", fmt.Errorf("listing: %w", context.Canceled)) },
			`{"event":"summary","error":"interrupted","done":1}`},
		{"no warning", func(o *output) { o.warning("text"); o.listed(event{Event: "upload"}, "text") }, `{"event":"upload"}`},
		{"a lifecycle rule", func(o *output) {
			o.listed(event{Event: "rule", Bucket: "b", ruleJSON: &ruleJSON{ID: "r", Status: "Enabled", AbortIncompleteDays: 3}}, "text")
		}, `{"event":"rule","bucket":"b","id":"r","status":"Enabled","prefix":"","abort_incomplete_days":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			tt.say(&output{json: true, stdout: &stdout, stderr: &stderr, mu: new(sync.Mutex)})
			if got := strings.TrimSuffix(stdout.String(), "\n"); got != tt.want || stderr.Len() != 0 || strings.Count(stdout.String(), "\n") != 1 {
				t.Errorf("stdout %q, stderr %q; want one line on stdout:\n%s", stdout.String(), stderr.String(), tt.want)
			}
		})
	}
}

// TestReportedIsErrReported checks that main exits 1 without printing a reported error.
func TestReportedIsErrReported(t *testing.T) {
	err := fmt.Errorf("ls: %w", reported{errors.New("no objects")})
	if !errors.Is(err, errReported) {
		t.Fatal("a reported error is not errReported")
	}
}
