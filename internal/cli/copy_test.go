package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The checks of a copy from S3 to S3 and of mv that refuse a command line before any
// request is sent (exit 2, naming what to change).
func TestCopyAndMoveUsage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"directive with an upload", []string{"cp", file, "s3://dst-bucket/k", "--metadata-directive", "COPY"}, "copies from S3 to S3"},
		{"--no-copy-acl with an upload", []string{"cp", file, "s3://dst-bucket/k", "--no-copy-acl"}, "copies from S3 to S3"},
		{"--no-copy-acl with a sync upload", []string{"sync", filepath.Dir(file), "s3://dst-bucket/p", "--no-copy-acl"}, "syncs from S3 to S3"},
		{"source flag with a download", []string{"cp", "s3://dst-bucket/k", file, "--source-profile", "p"}, "copies from S3 to S3"},
		{"unknown directive", []string{"cp", "s3://src-bucket/k", "s3://dst-bucket/k", "--metadata-directive", "KEEP"}, "use COPY or REPLACE"},
		{"metadata with COPY", []string{"cp", "s3://src-bucket/k", "s3://dst-bucket/k", "--metadata-directive", "copy", "--metadata", "a=b"}, "--metadata-directive REPLACE"},
		{"content type with COPY", []string{"cp", "s3://src-bucket/k", "s3://dst-bucket/k", "--metadata-directive", "COPY", "--content-type", "text/plain"}, "--metadata-directive REPLACE"},
		{"prefix without -r", []string{"cp", "s3://src-bucket/p/", "s3://dst-bucket/q/"}, "use -r"},
		{"into its own prefix", []string{"cp", "-r", "s3://src-bucket/p/", "s3://src-bucket/p/sub/"}, "its own copies"},
		{"bad source endpoint", []string{"cp", "s3://src-bucket/k", "s3://dst-bucket/k", "--source-endpoint-url", "minio:9000"}, "--source-endpoint-url"},
		{"mv from stdin", []string{"mv", "-", "s3://dst-bucket/k"}, "not a stream"},
		{"mv to stdout", []string{"mv", "s3://dst-bucket/k", "-"}, "not a stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--endpoint-url", "http://127.0.0.1:1"}, tt.args...)
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if code != ExitUsage || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("haul %q: exit %d, stderr %q; want %d mentioning %q", tt.args, code, stderr.String(), ExitUsage, tt.wantErr)
			}
		})
	}
}
