package s3store

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/haul-s3/haul/object"
)

func testStore(t *testing.T, c Config) *Store {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "env-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	c.Region = "us-east-1"
	s, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A HEAD answer has no body, so a 404 cannot say whether the key or the bucket is missing;
// HeadObject asks after the bucket and names a missing bucket as one.
func TestHeadObjectNamesAMissingBucket(t *testing.T) {
	for _, bucketThere := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/b" && bucketThere { // HeadBucket (path style)
				w.WriteHeader(http.StatusOK)
				return
			}
			w.WriteHeader(http.StatusNotFound)
		}))
		s := testStore(t, Config{Endpoint: srv.URL})
		_, err := s.HeadObject(context.Background(), object.Ref{Bucket: "b", Key: "k"})
		var e *Error
		want := map[bool]string{false: "NoSuchBucket", true: "NoSuchKey"}[bucketThere]
		if !errors.As(err, &e) || e.Code != want || e.StopsRun() != !bucketThere {
			t.Errorf("bucket there %v: %v; want %s (stops the run: %v)", bucketThere, err, want, !bucketThere)
		}
		srv.Close()
	}
}

func TestUnreachableEndpointStopsTheRun(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	s := testStore(t, Config{Endpoint: "http://" + addr})
	_, err = s.PutObject(context.Background(), object.Ref{Bucket: "b", Key: "k"}, nil, 0, &object.Options{}, object.Checksum{})
	var e *Error
	if !errors.As(err, &e) || !e.Unreachable() || !e.StopsRun() || !e.Retryable() {
		t.Fatalf("%v: want an unreachable, retryable error that stops the run", err)
	}
	if e.Detail() != "connection refused" {
		t.Errorf("detail %q, want %q", e.Detail(), "connection refused")
	}
}

func TestDeniedAndCredentialErrors(t *testing.T) {
	for _, c := range []struct {
		code          string
		status        int
		stops, denied bool
	}{
		{"AccessDenied", 403, false, true},
		{"InvalidAccessKeyId", 403, true, false},
		{"SignatureDoesNotMatch", 403, true, false},
		{"InvalidTokenId", 403, true, false}, // MinIO: a session token it did not issue
		{"InvalidToken", 400, true, false},
		{"NoSuchBucket", 404, true, false},
		{"NoSuchKey", 404, false, false},
		{"InternalError", 500, false, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(c.status)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + c.code + `</Code><Message>m</Message></Error>`))
		}))
		s := testStore(t, Config{Endpoint: srv.URL})
		body, err := s.GetObject(context.Background(), object.Ref{Bucket: "b", Key: "k"}, 0, -1, "")
		if body != nil {
			body.Close()
		}
		var e *Error
		if !errors.As(err, &e) || e.StopsRun() != c.stops || e.Denied() != c.denied {
			t.Errorf("%s: %v: stops %v denied %v, want %v %v", c.code, err, e != nil && e.StopsRun(), e != nil && e.Denied(), c.stops, c.denied)
		}
		srv.Close()
	}
}

func TestEndpointAndCredentialsAreNamedWithTheirSource(t *testing.T) {
	s := testStore(t, Config{Endpoint: "http://127.0.0.1:9"})
	if s.Endpoint != "http://127.0.0.1:9" || s.EndpointFrom != "config" || s.CredentialsFrom != "EnvConfigCredentials" {
		t.Errorf("endpoint %q from %q, credentials from %q", s.Endpoint, s.EndpointFrom, s.CredentialsFrom)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8")
	t.Setenv("AWS_ACCESS_KEY_ID", "env-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	s, err := New(context.Background(), Config{AccessKeyID: "static-key", SecretAccessKey: "static-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Endpoint != "http://127.0.0.1:8" || s.EndpointFrom != "AWS_ENDPOINT_URL" || s.CredentialsFrom != "StaticCredentials" {
		t.Errorf("endpoint %q from %q, credentials from %q", s.Endpoint, s.EndpointFrom, s.CredentialsFrom)
	}
	if _, err := New(context.Background(), Config{AccessKeyID: "only-the-key"}); err == nil {
		t.Error("a key without its secret was taken")
	}
}
