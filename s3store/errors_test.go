package s3store

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/haul-s3/haul/object"
)

// A server that says the bucket lives in another region (S3 answers 301 PermanentRedirect
// with x-amz-bucket-region, or 400 AuthorizationHeaderMalformed) must give an error that
// names the region and the flag to pass.
func TestWrongRegionNamesTheBucketsRegion(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
	}{{301, "PermanentRedirect"}, {400, "AuthorizationHeaderMalformed"}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amz-Bucket-Region", "eu-central-1")
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(c.status)
			if r.Method != http.MethodHead {
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + c.code + `</Code><Message>wrong region</Message></Error>`))
			}
		}))
		t.Setenv("AWS_ACCESS_KEY_ID", "test")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
		t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
		s, err := New(context.Background(), Config{Endpoint: srv.URL, Region: "us-east-1"})
		if err != nil {
			t.Fatal(err)
		}
		ref := object.Ref{Bucket: "b", Key: "k"}
		_, headErr := s.HeadObject(context.Background(), ref)
		body, getErr := s.GetObject(context.Background(), ref, 0, -1, "")
		if body != nil {
			body.Close()
		}
		for _, err := range []error{headErr, getErr} {
			var e *Error
			if !errors.As(err, &e) || e.Region != "eu-central-1" || !strings.Contains(err.Error(), "the bucket is in region eu-central-1") {
				t.Errorf("%d %s: %v; want the bucket's region named", c.status, c.code, err)
			}
		}
		srv.Close()
	}
}

// MinIO and versitygw send x-amz-bucket-region with every error; when it is the region
// the request was signed for it is not a wrong-region error.
func TestSameRegionIsNotCalledWrong(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Amz-Bucket-Region", "us-east-1")
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	s, err := New(context.Background(), Config{Endpoint: srv.URL, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.HeadObject(context.Background(), object.Ref{Bucket: "b", Key: "k"})
	if err == nil || strings.Contains(err.Error(), "--region") {
		t.Fatalf("%v: a 400 in the signing region was called a wrong-region error", err)
	}
}

// The library's words name no flag or command of haul's command line: that advice is the
// CLI's (internal/cli/advice.go).
func TestDescriptionsNameNoCommandLine(t *testing.T) {
	texts := []string{}
	for _, d := range describe {
		texts = append(texts, d)
	}
	for _, d := range describeStatus {
		texts = append(texts, d)
	}
	for _, d := range texts {
		if strings.Contains(d, "--") || strings.Contains(d, "haul ") {
			t.Errorf("%q names the command line", d)
		}
	}
}
